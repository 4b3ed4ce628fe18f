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
import {WatchHub} from '../../src/daemon/watch-hub.js'

interface Composed {
  readonly services: Services
  readonly replica: Replica<KvResult>
  readonly loop: ReplicaLoop
  readonly cleanup: () => void
}

/** One node's services over a single-voter (or, with `voters`, a not-yet-elected) replica. */
function compose(voters: string[] = ['n1'], peers: Record<string, string> = {}): Composed {
  const dir = mkdtempSync(join(tmpdir(), 'raftctl-services-'))
  const kv = new KvStateMachine()
  const replica = new Replica<KvResult>({
    raft: {id: 'n1', rng: new SeededRng(1), electionTicks: 10, heartbeatTicks: 1},
    storage: new MemoryStorage(),
    network: {send: () => {}},
    stateMachine: kv,
    initialConf: {voters, learners: []},
  })
  const loop = new ReplicaLoop(replica, silentLogger, (err) => assert.fail(err))
  const addresses = new AddressBook(dir, peers, silentLogger)
  const services = new Services({
    watches: new WatchHub(0),
    id: 'n1',
    config: {requestTimeoutMs: 5_000, unsafeFollowerReads: false, tickMs: 5},
    replica,
    kv,
    loop,
    addresses,
    metrics: new DaemonMetrics(),
    chaos: new FaultRegistry({now: Date.now}),
    servedAt: {address: 'ws://127.0.0.1:1', peerAuth: 'peer-secret'},
  })
  return {services, replica, loop, cleanup: () => {
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
