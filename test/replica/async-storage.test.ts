/**
 * The replica driver over a storage with `saveAsync` (the daemon's pipelined group commit): a
 * single-node replica whose batches become durable only when the test says so.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {SeededRng, type Message} from '../../src/raft/index.js'
import {Replica, type ProposalOutcome} from '../../src/replica/replica.js'
import {withSaveAsync, type Storage, type StorageWrite} from '../../src/replica/ports.js'
import {MemoryStorage} from '../../src/storage/index.js'
import {KvStateMachine, encodeCommand} from '../../src/kv/index.js'

/** MemoryStorage behind a saveAsync whose completions the test releases one by one. */
class HeldStorage {
  readonly inner = new MemoryStorage()
  readonly pending: {write: StorageWrite; done: (err: Error | null) => void}[] = []
  readonly port: Storage = withSaveAsync(this.inner, (write, done) => {
    this.log?.push('save')
    this.pending.push({write, done})
  })

  /** @param log where each background save is noted as `save` (for ordering checks) */
  constructor(private readonly log?: string[]) {}

  /** Make the oldest pending batch durable (or fail it). */
  release(err: Error | null = null): void {
    const p = this.pending.shift()
    assert.ok(p, 'a batch is pending')
    if (err === null) this.inner.save(p.write)
    p.done(err)
  }
}

function singleNode(storage: Storage, onStorageError?: (err: Error) => void): Replica {
  const replica = new Replica({
    raft: {id: 'n1', rng: new SeededRng(1), electionTicks: 10, heartbeatTicks: 1},
    storage,
    network: {send: () => assert.fail('a single node sends nothing')},
    stateMachine: new KvStateMachine(),
    initialConf: {voters: ['n1'], learners: []},
    onStorageError,
  })
  return replica
}

function put(key: string, seq: number): Uint8Array {
  return encodeCommand({op: 'put', key, value: 'v', session: {clientId: 'c', seq}})
}

/** Tick until the node leads, releasing every batch on the way. */
function elect(r: Replica, disk: HeldStorage): void {
  for (let i = 0; i < 100 && r.status().role !== 'leader'; i++) {
    r.tick()
    while (disk.pending.length > 0) disk.release()
  }
  assert.equal(r.status().role, 'leader')
  while (disk.pending.length > 0) disk.release()
}

/** A single-node replica over a held store, elected leader with every batch released. */
function electedNode(onStorageError?: (err: Error) => void): {disk: HeldStorage; r: Replica} {
  const disk = new HeldStorage()
  const r = singleNode(disk.port, onStorageError)
  elect(r, disk)
  return {disk, r}
}

test('a write is applied only once its batch is durable; proposals made meanwhile share the next batch', () => {
  const {disk, r} = electedNode()
  const outcomes: ProposalOutcome[] = []
  r.propose(put('a', 1), (o) => outcomes.push(o))
  r.process()
  assert.equal(disk.pending.length, 1, 'one batch in flight')
  assert.equal(r.syncing, true)
  r.propose(put('b', 2), (o) => outcomes.push(o))
  r.propose(put('c', 3), (o) => outcomes.push(o))
  r.process()
  assert.equal(disk.pending.length, 1, 'no second batch while the first syncs')
  assert.equal(outcomes.length, 0, 'nothing applied before it is durable')
  disk.release()
  assert.equal(outcomes.length, 1, 'the first write is applied once durable')
  assert.equal(disk.pending.length, 1, 'the next batch started at once')
  assert.equal(disk.pending[0]!.write.entries.length, 2, 'both later proposals in one batch (group commit)')
  disk.release()
  assert.deepEqual(outcomes.map((o) => o.ok), [true, true, true])
  assert.equal(r.syncing, false)
})

test('whenIdle waits for the batch in flight', () => {
  const {disk, r} = electedNode()
  r.propose(put('a', 1), () => {})
  r.process()
  let idle = false
  r.whenIdle(() => (idle = true))
  assert.equal(idle, false)
  disk.release()
  assert.equal(idle, true)
  let now = false
  r.whenIdle(() => (now = true))
  assert.equal(now, true, 'at once when nothing syncs')
})

test('a failed background sync goes to onStorageError and the replica processes nothing more', () => {
  const errors: Error[] = []
  const {disk, r} = electedNode((err) => errors.push(err))
  const outcomes: ProposalOutcome[] = []
  r.propose(put('a', 1), (o) => outcomes.push(o))
  r.process()
  disk.release(new Error('EIO'))
  assert.equal(errors.length, 1)
  r.propose(put('b', 2), (o) => outcomes.push(o))
  r.process()
  r.tick()
  assert.equal(disk.pending.length, 0, 'no batch after the failure')
  assert.equal(outcomes.length, 0, 'nothing applied')
  r.stop()
  assert.deepEqual(outcomes.map((o) => !o.ok && o.unknown), [true, true], 'stop reports both as unknown')
})

test('without onStorageError a failed background sync is thrown to the caller of done', () => {
  const {disk, r} = electedNode()
  r.propose(put('a', 1), () => {})
  r.process()
  assert.throws(() => disk.release(new Error('EIO')), /EIO/)
})

test('takeSnapshot refuses while a batch syncs; snapshotWhenIdle takes it once the batch is durable', () => {
  const {disk, r} = electedNode()
  r.propose(put('a', 1), () => {})
  r.process()
  disk.release()
  r.propose(put('b', 2), () => {})
  r.process()
  assert.equal(r.syncing, true)
  assert.throws(() => r.takeSnapshot(), /snapshotWhenIdle/)
  const taken: (number | null)[] = []
  r.snapshotWhenIdle((index) => taken.push(index))
  assert.deepEqual(taken, [])
  disk.release()
  assert.equal(taken.length, 1)
  assert.ok(taken[0]! >= 3 && taken[0]! <= r.applied, 'at the index applied when the batch was durable')
  assert.equal(disk.inner.load().snapshot?.meta.index, taken[0])
})

test('a save that fails before saveAsync returns stops the Ready loop at once (no retry of the same Ready)', () => {
  const inner = new MemoryStorage()
  let calls = 0
  let failing = false
  const port: Storage = withSaveAsync(inner, (write, done) => {
    if (!failing) {
      inner.save(write)
      return done(null)
    }
    calls++
    if (calls > 5) throw new Error('the same Ready was handled again and again')
    done(new Error('ENOSPC'))
  })
  const errors: Error[] = []
  const r = singleNode(port, (err) => errors.push(err))
  for (let i = 0; i < 100 && r.status().role !== 'leader'; i++) r.tick()
  assert.equal(r.status().role, 'leader')
  failing = true
  r.propose(put('a', 1), () => {})
  r.process()
  assert.equal(calls, 1, 'one attempt')
  assert.deepEqual(errors.map((e) => e.message), ['ENOSPC'])
})

/** A KV state machine that notes each apply in `log`. */
class LoggingKv extends KvStateMachine {
  constructor(private readonly log: string[]) {
    super()
  }

  override apply(index: number, data: Uint8Array): ReturnType<KvStateMachine['apply']> {
    this.log.push(`apply ${index}`)
    return super.apply(index, data)
  }
}

/**
 * Two (or `count`) replicas over held stores, messages delivered by {@link pump}; n1's sends,
 * flushes and background saves are noted in `log`, n2's sends, flushes and applies in `followerLog`.
 */
function pair(backgroundSaves: 'always' | 'leader', log: string[] = [], count = 2, followerLog: string[] = []): {nodes: Replica[]; disks: HeldStorage[]; queue: Message[]; pump: () => void} {
  const ids = ['n1', 'n2', 'n3'].slice(0, count)
  const disks = ids.map((_, i) => new HeldStorage(i === 0 ? log : undefined))
  const queue: Message[] = []
  const nodes = ids.map((id, i) => new Replica({
    raft: {id, rng: new SeededRng(i + 1), electionTicks: 10, heartbeatTicks: 1},
    storage: disks[i]!.port,
    network: {
      send: (m) => {
        ;[log, followerLog][i]?.push(`send ${m.type}`)
        queue.push(m)
      },
      flush: () => void [log, followerLog][i]?.push('flush'),
    },
    stateMachine: i === 1 ? new LoggingKv(followerLog) : new KvStateMachine(),
    initialConf: {voters: ids, learners: []},
    backgroundSaves,
  }))
  const pump = (): void => {
    for (let round = 0; round < 100 && (queue.length > 0 || disks.some((d) => d.pending.length > 0)); round++) {
      for (const d of disks) while (d.pending.length > 0) d.release()
      for (const m of queue.splice(0)) nodes[ids.indexOf(m.to)]!.deliver(m)
    }
  }
  return {nodes, disks, queue, pump}
}

/** Make n1 campaign, and deliver everything until it leads. */
function electFirst(nodes: Replica[], pump: () => void): void {
  nodes[0]!.campaign()
  nodes[0]!.process()
  pump()
  assert.equal(nodes[0]!.status().role, 'leader')
}

/** The append to `to` among the queued messages (there must be one). */
function appendTo(to: string, queue: Message[]): Message {
  const m = queue.find((q) => q.to === to && q.type === 'append')
  assert.ok(m, `an append to ${to} was sent`)
  return m
}

test('backgroundSaves "leader": the leader syncs in the background, a follower synchronously', () => {
  const {nodes, disks, queue, pump} = pair('leader')
  electFirst(nodes, pump)
  nodes[0]!.propose(put('a', 1), () => {})
  nodes[0]!.process()
  assert.equal(disks[0]!.pending.length, 1, "the leader's batch syncs in the background")
  const followerLast = disks[1]!.inner.load().entries.length
  nodes[1]!.deliver(appendTo('n2', queue))
  assert.equal(disks[1]!.pending.length, 0, 'no background sync on the follower')
  assert.equal(disks[1]!.inner.load().entries.length, followerLast + 1, 'the follower saved the entry before returning')
})

test('backgroundSaves "always" (the default): a follower syncs in the background too', () => {
  const {nodes, disks, queue, pump} = pair('always')
  electFirst(nodes, pump)
  nodes[0]!.propose(put('a', 1), () => {})
  nodes[0]!.process()
  nodes[1]!.deliver(appendTo('n2', queue))
  assert.equal(disks[1]!.pending.length, 1, "the follower's batch syncs in the background")
})

test("a Ready answers its proposers before it sends its own messages (the commit's appends)", () => {
  const {nodes, disks, queue, pump} = pair('leader')
  electFirst(nodes, pump)
  let queuedWhenAnswered = -1
  nodes[0]!.propose(put('a', 1), () => {
    queuedWhenAnswered = queue.length
  })
  nodes[0]!.process()
  const append = appendTo('n2', queue)
  queue.length = 0
  nodes[1]!.deliver(append)
  disks[0]!.release()
  const ack = queue.find((m) => m.to === 'n1' && m.type === 'appendResp')
  assert.ok(ack, 'the follower acknowledged')
  queue.length = 0
  nodes[0]!.deliver(ack)
  assert.equal(queuedWhenAnswered, 0, 'answered before anything of that Ready was sent')
  assert.ok(queue.some((m) => m.to === 'n2' && m.type === 'append'), 'the commit index went out after')
})

test("the leader's appends are flushed to the network before its own batch is written", () => {
  const log: string[] = []
  const {nodes, disks, queue, pump} = pair('leader', log)
  electFirst(nodes, pump)
  log.length = 0
  nodes[0]!.propose(put('a', 1), () => {})
  nodes[0]!.process()
  assert.deepEqual(log, ['send append', 'flush', 'save'])
  assert.equal(disks[0]!.pending.length, 1)
  assert.ok(queue.some((m) => m.type === 'append'))
})

test("a write its followers made durable is answered while the leader's own batch still syncs", () => {
  const {nodes, disks, queue, pump} = pair('leader', [], 3)
  electFirst(nodes, pump)
  const outcomes: ProposalOutcome[] = []
  nodes[0]!.propose(put('a', 1), (o) => outcomes.push(o))
  nodes[0]!.process()
  assert.equal(disks[0]!.pending.length, 1, "the leader's batch is syncing")
  for (const to of ['n2', 'n3']) {
    const append = appendTo(to, queue)
    queue.splice(queue.indexOf(append), 1)
    nodes[Number(to[1]) - 1]!.deliver(append)
  }
  for (const ack of queue.splice(0).filter((m) => m.to === 'n1' && m.type === 'appendResp')) nodes[0]!.deliver(ack)
  assert.equal(disks[0]!.pending.length, 1, "the leader's batch is still syncing")
  assert.deepEqual(outcomes.map((o) => o.ok), [true], 'answered from the followers\' quorum')
  disks[0]!.release()
  assert.equal(outcomes.length, 1, 'answered once')
})

test('a follower flushes its acknowledgement before it applies what the append committed', () => {
  const followerLog: string[] = []
  const {nodes, disks, queue, pump} = pair('leader', [], 2, followerLog)
  electFirst(nodes, pump)
  nodes[0]!.propose(put('a', 1), () => {})
  nodes[0]!.process()
  const first = appendTo('n2', queue)
  queue.length = 0
  nodes[1]!.deliver(first)
  disks[0]!.release()
  for (const ack of queue.splice(0).filter((m) => m.to === 'n1')) nodes[0]!.deliver(ack)
  queue.length = 0 // the commit-only append: the next one carries the commit with an entry
  nodes[0]!.propose(put('b', 2), () => {})
  nodes[0]!.process()
  followerLog.length = 0
  nodes[1]!.deliver(appendTo('n2', queue))
  const sent = followerLog.indexOf('send appendResp')
  const flushed = followerLog.indexOf('flush')
  const applied = followerLog.findIndex((e) => e.startsWith('apply'))
  assert.ok(sent >= 0 && flushed > sent && applied > flushed, `order: ${followerLog.join(', ')}`)
})

test("a proposer's callback that throws: the replica applies the rest, then the error surfaces once", () => {
  const {disk, r} = electedNode()
  const outcomes: string[] = []
  r.propose(put('a', 1), () => {
    outcomes.push('a')
    throw new Error('boom')
  })
  r.propose(put('b', 2), (o) => outcomes.push(o.ok ? 'b' : 'b failed'))
  r.process()
  assert.throws(() => {
    while (disk.pending.length > 0) disk.release()
  }, /boom/)
  assert.deepEqual(outcomes, ['a', 'b'], 'the entry after the failing callback was applied and answered')
  while (disk.pending.length > 0) disk.release()
  assert.doesNotThrow(() => r.process(), 'nothing is applied twice afterwards')
  r.propose(put('c', 3), (o) => outcomes.push(o.ok ? 'c' : 'c failed'))
  r.process()
  while (disk.pending.length > 0) disk.release()
  assert.deepEqual(outcomes, ['a', 'b', 'c'])
})

test('whenIdle called while a Ready is being handled waits for that Ready to be advanced', () => {
  const {disk, r} = electedNode()
  const events: string[] = []
  r.propose(put('a', 1), () => {
    r.whenIdle(() => events.push('idle'))
    events.push('answered')
  })
  r.process()
  while (disk.pending.length > 0) disk.release()
  assert.deepEqual(events, ['answered', 'idle'])
})
