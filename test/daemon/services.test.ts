/**
 * The daemon's services on their own: composed from a replica over memory storage, the KV state
 * machine, the replica loop and an address book, with no node and no socket. Every request type
 * has one service; writes are answered with the protocol's typed results from inside the
 * replica's apply; a follower's refusal names the leader's address from the address book.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {SeededRng} from '../../src/raft/index.js'
import {Replica} from '../../src/replica/replica.js'
import {MemoryStorage} from '../../src/storage/index.js'
import {KvStateMachine, type KvResult} from '../../src/kv/index.js'
import {FaultRegistry} from '../../src/chaos/index.js'
import {PROTOCOL_VERSION, REQUEST_SPECS, type RequestOf, type RequestType, type ResultMap} from '../../src/admin/protocol.js'
import {DaemonMetrics} from '../../src/daemon/metrics.js'
import {AddressBook} from '../../src/daemon/address-book.js'
import {ReplicaLoop} from '../../src/daemon/loop.js'
import {SERVICES, Services, type ServiceError} from '../../src/daemon/services.js'
import {silentLogger} from '../../src/daemon/logger.js'
import {Diagnostics} from '../../src/daemon/diagnostics.js'
import {StateHasher} from '../../src/daemon/state-hash.js'
import {createHash} from 'node:crypto'
import {WatchHub} from '../../src/daemon/watch-hub.js'

interface Composed {
  readonly services: Services
  readonly kv: KvStateMachine
  readonly replica: Replica<KvResult>
  readonly loop: ReplicaLoop
  readonly cleanup: () => void
}

/** One node's services over a single-voter (or, with `voters`, a not-yet-elected) replica. */
function compose(voters: string[] = ['n1'], peers: Record<string, string> = {}): Composed {
  const dir = mkdtempSync(join(tmpdir(), 'raftctl-services-'))
  const kv = new KvStateMachine()
  // eslint-disable-next-line prefer-const
  let loop: ReplicaLoop
  const hasher = new StateHasher(kv, () => replica.applied, (poll) => void loop.waitFor(() => (poll() ? true : null), () => false))
  const replica: Replica<KvResult> = new Replica<KvResult>({
    raft: {id: 'n1', rng: new SeededRng(1), electionTicks: 10, heartbeatTicks: 1},
    storage: new MemoryStorage(),
    network: {send: () => {}},
    stateMachine: hasher.port(),
    initialConf: {voters, learners: []},
  })
  loop = new ReplicaLoop(replica, silentLogger, (err) => assert.fail(err))
  const config = {id: 'n1', requestTimeoutMs: 5_000, unsafeFollowerReads: false, tickMs: 5, electionTicks: 10, heartbeatTicks: 1, dataDir: dir, consistencyCheckEveryMs: 0}
  const diagnostics = new Diagnostics({config, version: 'test', status: () => replica.status(), reachable: () => true, storageError: () => null})
  const addresses = new AddressBook(dir, peers, silentLogger)
  const services = new Services({
    watches: new WatchHub(0),
    id: 'n1',
    config,
    replica,
    kv,
    loop,
    addresses,
    metrics: new DaemonMetrics(),
    chaos: new FaultRegistry({now: Date.now}),
    servedAt: {address: 'ws://127.0.0.1:1', peerAuth: 'peer-secret'},
    diagnostics,
    hasher,
  })
  return {services, kv, replica, loop, cleanup: () => {
    loop.stop()
    replica.stop()
    rmSync(dir, {recursive: true, force: true})
  }}
}

/** A request of type `type` with `params`. */
function request<T extends RequestType>(type: T, params: Omit<RequestOf<T>, 'v' | 'id' | 'type'>, id = 1): RequestOf<T> {
  return {v: PROTOCOL_VERSION, id, type, ...params} as RequestOf<T>
}

/** Serve `req` and settle with its answer. */
function ask<T extends RequestType>(services: Services, req: RequestOf<T>): Promise<ResultMap[T]> {
  return new Promise((resolve, reject) => services.handle(req, (err, result) => (err ? reject(err) : resolve(result!))))
}

test('every request type of the protocol has exactly one service', () => {
  assert.deepEqual(Object.keys(SERVICES).sort(), Object.keys(REQUEST_SPECS).sort())
})

test('writes answer with the protocol results the state machine gave, from inside the apply; a retry answers the first result', async () => {
  const {services, replica, cleanup} = compose()
  try {
    assert.equal(replica.campaign().ok, true)
    replica.process()
    assert.equal(replica.status().role, 'leader')
    const session = {clientId: 'c1', seq: 1}
    // The answer comes while the replica processes (no promise, no later turn on the path of a write).
    let answered: unknown = null
    services.handle(request('put', {key: 'k', value: 'a', session}), (err, result) => {
      answered = err ?? result
    })
    replica.process()
    assert.deepEqual(answered, {value: 'a'})
    const append = request('append', {key: 'k', value: 'b', session: {clientId: 'c1', seq: 2}})
    assert.deepEqual(await ask(services, append), {value: 'ab'})
    // The append again with its sequence number: applied once, answered with the first result.
    assert.deepEqual(await ask(services, append), {value: 'ab'})
    assert.deepEqual(await ask(services, request('get', {key: 'k'})), {value: 'ab', index: replica.applied})
    assert.deepEqual(await ask(services, request('cas', {key: 'k', expected: 'zz', value: 'c', session: {clientId: 'c1', seq: 3}})), {swapped: false, value: 'ab'})
    assert.deepEqual(await ask(services, request('delete', {key: 'k', session: {clientId: 'c1', seq: 4}})), {deleted: true})
    assert.deepEqual(await ask(services, request('get', {key: 'k', serializable: true})), {value: null, index: replica.applied})
  } finally {
    cleanup()
  }
})

test('a node that does not lead refuses a transfer with NO_LEADER, and NOT_LEADER names the leader from the address book', async () => {
  const {services, cleanup} = compose(['n1', 'n2', 'n3'], {n2: 'ws://127.0.0.1:7002'})
  try {
    await assert.rejects(ask(services, request('transfer', {})), (err: ServiceError) => err.code === 'NO_LEADER')
    await assert.rejects(ask(services, request('put', {key: 'k', value: 'v'})), (err: ServiceError) => err.code === 'NO_LEADER')
    const status = await ask(services, request('status', {}))
    assert.deepEqual(status.status.members.voters.map((m) => m.address), [null, 'ws://127.0.0.1:7002', null])
  } finally {
    cleanup()
  }
})

test('the replica hides its core: callers use its verbs', () => {
  const {replica, cleanup} = compose()
  try {
    // @ts-expect-error the core is private (the typecheck fails if it is exposed again)
    assert.equal(typeof replica.core, 'object')
    assert.equal(replica.campaign().ok, true)
  } finally {
    cleanup()
  }
})

test('snapshot.begin/chunk/end: the chunks concatenate to the state machine\'s snapshot at the index begin names, whatever is written meanwhile', async () => {
  const {services, replica, cleanup} = compose()
  try {
    assert.equal(replica.campaign().ok, true)
    replica.process()
    // Values of 60 KB: the state spans several 256 KiB chunks.
    for (let i = 0; i < 20; i++) await ask(services, request('put', {key: `k${i}`, value: String(i % 10).repeat(60_000), session: {clientId: 'c1', seq: i + 1}}))
    const begin = await ask(services, request('snapshot.begin', {}))
    const expected = Buffer.from(services.parts.kv.snapshot())
    assert.equal(begin.index, replica.applied)
    assert.equal(begin.bytes, expected.length)
    assert.ok(begin.bytes > 3 * begin.chunkBytes, `${begin.bytes} bytes in chunks of ${begin.chunkBytes}`)
    assert.deepEqual(begin.members.voters.map((m) => m.id), ['n1'])
    await ask(services, request('put', {key: 'k0', value: 'written after the begin'}))
    const chunks: Buffer[] = []
    for (let offset = 0; offset < begin.bytes;) {
      const chunk = Buffer.from((await ask(services, request('snapshot.chunk', {stream: begin.stream, offset}))).data, 'base64')
      assert.ok(chunk.length > 0 && chunk.length <= begin.chunkBytes)
      chunks.push(chunk)
      offset += chunk.length
    }
    assert.deepEqual(Buffer.concat(chunks), expected)
    await assert.rejects(ask(services, request('snapshot.chunk', {stream: begin.stream, offset: begin.bytes})), (err: ServiceError) => err.code === 'BAD_REQUEST')
    assert.deepEqual(await ask(services, request('snapshot.end', {stream: begin.stream})), {})
    await assert.rejects(ask(services, request('snapshot.chunk', {stream: begin.stream, offset: 0})), (err: ServiceError) => err.code === 'NOT_FOUND')
  } finally {
    cleanup()
  }
})

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex')

/** A single voter that leads, with `keys` written (one entry each). */
async function leaderWith(keys: string[]): Promise<Composed> {
  const c = compose()
  assert.equal(c.replica.campaign().ok, true)
  c.replica.process()
  for (const k of keys) await ask(c.services, request('put', {key: k, value: `v-${k}`}))
  return c
}

test('hash: the SHA-256 of the snapshot encoding of the state as applied now', async () => {
  const c = await leaderWith(['a', 'b'])
  try {
    const r = await ask(c.services, request('hash', {}))
    assert.deepEqual(r, {node: 'n1', index: c.replica.applied, hash: sha256(c.kv.snapshot())})
  } finally {
    c.cleanup()
  }
})

test('hash of a state of several snapshot pieces (each hashed before the next reuses its buffer) is the SHA-256 of the whole encoding', async () => {
  const c = await leaderWith([])
  try {
    // Values of 200 KB: the 256 KiB pieces hold one or two each, so the encoding spans several.
    for (const k of ['a', 'b', 'c', 'd']) await ask(c.services, request('put', {key: k, value: k.repeat(200_000)}))
    const r = await ask(c.services, request('hash', {}))
    assert.deepEqual(r, {node: 'n1', index: c.replica.applied, hash: sha256(c.kv.snapshot())})
  } finally {
    c.cleanup()
  }
})

test('hash at an index not yet applied answers once it is, with the state there (not the later one)', async () => {
  const early = await leaderWith([])
  const same = await leaderWith(['a', 'b'])
  try {
    const target = early.replica.applied + 2
    const pending = ask(early.services, request('hash', {index: target}))
    for (const k of ['a', 'b', 'c', 'd']) await ask(early.services, request('put', {key: k, value: `v-${k}`}))
    const r = await pending
    // The same two writes on another replica, hashed at once: the same state, the same hash.
    assert.equal(same.replica.applied, target)
    assert.deepEqual(r, {node: 'n1', index: target, hash: (await ask(same.services, request('hash', {}))).hash})
    assert.notEqual(r.hash, sha256(early.kv.snapshot()))
  } finally {
    early.cleanup()
    same.cleanup()
  }
})

test('hash at an index the state moved past is INDEX_PASSED; a value changed outside the log changes the hash', async () => {
  const c = await leaderWith(['a', 'b'])
  try {
    await assert.rejects(ask(c.services, request('hash', {index: c.replica.applied - 1})), (err: ServiceError) => err.code === 'INDEX_PASSED')
    const before = (await ask(c.services, request('hash', {}))).hash
    c.kv.tamperForTest('a', 'tampered')
    const after = await ask(c.services, request('hash', {}))
    assert.notEqual(after.hash, before)
    assert.equal(after.index, c.replica.applied, 'the seam does not go through the log')
  } finally {
    c.cleanup()
  }
})

test('the event ring keeps the newest events, counts the dropped ones, and filters by time; slow saves become events', () => {
  let now = 1000
  const config = {id: 'n1', tickMs: 5, electionTicks: 10, heartbeatTicks: 1, dataDir: tmpdir(), consistencyCheckEveryMs: 0}
  const d = new Diagnostics({config, version: 'test', status: () => { throw new Error('unused') }, reachable: () => true, storageError: () => null, now: () => now})
  const capacity = d.ring.capacity
  for (let i = 0; i < capacity + 5; i++) {
    now = 1000 + i
    d.raft({type: 'electionStarted', term: i + 1, pre: false, cause: 'timeout'})
  }
  const all = d.events()
  assert.equal(all.events.length, capacity)
  assert.equal(all.dropped, 5)
  assert.equal(all.events[0]!.seq, 6, 'the oldest five were overwritten')
  assert.deepEqual(all.events.at(-1), {seq: capacity + 5, time: 1000 + capacity + 4, event: {type: 'electionStarted', term: capacity + 5, pre: false, cause: 'timeout'}})
  assert.deepEqual(d.events(1000 + capacity + 3).events.map((e) => e.seq), [capacity + 4, capacity + 5])
  for (const ms of [1, 2, 3, 250]) d.save(ms)
  assert.deepEqual(d.saveLatency(), {count: 4, p50: 3, p99: 250, max: 250})
  assert.deepEqual(d.events(now).events.map((e) => e.event), [{type: 'electionStarted', term: capacity + 5, pre: false, cause: 'timeout'}, {type: 'slowSave', ms: 250}])
})
