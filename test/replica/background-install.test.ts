/**
 * A snapshot from the leader installed in the background (ReplicaOptions.runInSlices +
 * StateMachine.beginRestore + Storage.writeSnapshot): the follower decodes it in slices that a
 * test-held runner releases one at a time, the rest of the cluster goes on committing and
 * answering meanwhile, the follower applies nothing before the switch, and a crash at any point
 * (during the decode, after the file is written but before the WAL records it, after) leaves
 * on disk either the follower's old state or the snapshot's, never a mix.
 */
import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import {snapshotBytes} from '../../src/replica/snapshot-data.js'
import {SeededRng} from '../../src/raft/index.js'
import type {Message} from '../../src/raft/types.js'
import {Replica, type ProposalOutcome} from '../../src/replica/replica.js'
import type {SliceRunner, Storage} from '../../src/replica/ports.js'
import {FileStorage, MemoryStorage} from '../../src/storage/index.js'
import {KvStateMachine, encodeCommand} from '../../src/kv/index.js'
import {testTempDir} from '../helpers.js'
import {SnapshotFileData} from '../../src/storage/snapshot-file-data.js'
import {largestReachableBuffer} from './reachable-buffers.js'

const VOTERS = ['n1', 'n2', 'n3']

/** A slice runner whose slices run only when the test says so (each slice: one step). */
class HeldSlices {
  readonly jobs: {step: () => boolean; done: (err: Error | null) => void}[] = []
  slicesRun = 0
  readonly runner: SliceRunner = (step, done) => void this.jobs.push({step, done})

  /** Run one slice of the open job; true when that finished it. */
  runOne(): boolean {
    const job = this.jobs[0]
    assert.ok(job, 'a job is open')
    this.slicesRun++
    let finished: boolean
    try {
      finished = job.step()
    } catch (err) {
      this.jobs.shift()
      job.done(err as Error)
      return true
    }
    if (!finished) return false
    this.jobs.shift()
    job.done(null)
    return true
  }
}

/** Three replicas on a hand-driven network; n3's links can be cut; n3 runs on FileStorage with held snapshot writes. */
class Cluster {
  readonly replicas = new Map<string, Replica>()
  readonly sms = new Map<string, KvStateMachine>()
  readonly queue: Message[] = []
  cut = new Set<string>()
  readonly slices = new HeldSlices()
  /** Held background snapshot writes: each resolves once the write ended and its callback ran (`report` false: the callback is dropped). */
  readonly heldWrites: ((report?: boolean) => Promise<void>)[] = []

  constructor(readonly dir: string) {
    for (const id of VOTERS) this.start(id)
  }

  start(id: string): void {
    const sm = new KvStateMachine()
    this.sms.set(id, sm)
    const storage = id === 'n3' ? this.n3Storage() : new MemoryStorage()
    this.replicas.set(id, new Replica({
      raft: {id, rng: new SeededRng(VOTERS.indexOf(id) + 1), electionTicks: 10, heartbeatTicks: 1},
      storage,
      network: {send: (m) => void this.queue.push(m)},
      stateMachine: sm,
      initialConf: {voters: VOTERS, learners: []},
      snapshotEvery: id === 'n1' ? 20 : 0,
      compactionLag: 0,
      runInSlices: id === 'n3' ? this.slices.runner : undefined,
    }))
  }

  /** n3's FileStorage, its background snapshot writes held until the test releases them. */
  n3Storage(): Storage {
    const disk = new FileStorage({dir: this.dir, syncMode: 'none'})
    return {
      load: () => disk.load(),
      save: (w) => disk.save(w),
      saveSnapshot: (s, c) => disk.saveSnapshot(s, c),
      close: () => disk.close(),
      writeSnapshot: (meta, pieces, done) => void this.heldWrites.push((report = true) => new Promise((resolve) => disk.writeSnapshot(meta, pieces, (err, data) => {
        if (report) done(err, data)
        resolve()
      }))),
    }
  }

  get(id: string): Replica {
    return this.replicas.get(id)!
  }

  /** Deliver queued messages (dropping those to or from a cut node) until none is left, at most `rounds` passes. */
  settle(rounds = 50): void {
    for (let i = 0; i < rounds && this.queue.length > 0; i++) {
      for (const m of this.queue.splice(0)) {
        if (this.cut.has(m.to) || this.cut.has(m.from)) continue
        this.replicas.get(m.to)?.deliver(m)
      }
    }
  }

  tick(): void {
    for (const [id, r] of this.replicas) if (!this.cut.has(id) || id === 'n3') r.tick()
    this.settle()
  }

  elect(): void {
    for (let i = 0; i < 200 && this.get('n1').status().role !== 'leader'; i++) {
      this.get('n1').campaign()
      this.tick()
    }
    assert.equal(this.get('n1').status().role, 'leader')
  }

  put(keys: readonly string[], value: string): ProposalOutcome[] {
    const outcomes: ProposalOutcome[] = []
    for (const key of keys) this.get('n1').propose(encodeCommand({op: 'put', key, value}), (o) => outcomes.push(o))
    this.get('n1').process()
    this.settle()
    return outcomes
  }

  /** n3 "crashes": dropped as it is; its folder is reopened and its snapshot and log replayed into a fresh state machine. */
  crashN3(): {keys: Map<string, string>; applied: number} {
    this.get('n3').stop()
    this.replicas.delete('n3')
    const disk = new FileStorage({dir: this.dir, syncMode: 'none'})
    const recovered = disk.load()
    disk.close()
    const sm = new KvStateMachine()
    if (recovered.snapshot) sm.restore(recovered.snapshotBytes!)
    let applied = recovered.snapshot?.meta.index ?? 0
    // Every entry its log holds (all of them committed here: n3 only ever received committed
    // ones); the commit index itself need not be durable.
    for (const e of recovered.entries) {
      if (e.type === 'normal' && e.data.length > 0) sm.apply(e.index, e.data)
      applied = e.index
    }
    return {keys: readAll(sm, ['a', 'b', 'c'], 40), applied}
  }
}

function keys(prefix: string, n: number): string[] {
  return Array.from({length: n}, (_, i) => `${prefix}${i}`)
}

function readAll(sm: KvStateMachine, prefixes: readonly string[], n: number): Map<string, string> {
  const found = new Map<string, string>()
  for (const p of prefixes) for (const k of keys(p, n)) {
    const v = sm.read(k)
    if (v !== null) found.set(k, v)
  }
  return found
}

/** A cluster where n3 holds the `a` keys, then misses the `b` keys and a compaction: it needs a snapshot. */
function behind(dir: string): Cluster {
  const c = new Cluster(dir)
  c.elect()
  assert.ok(c.put(keys('a', 10), 'old').every((o) => o.ok))
  c.cut.add('n3')
  assert.ok(c.put(keys('b', 40), 'new').every((o) => o.ok))
  for (let i = 0; i < 5; i++) c.tick()
  assert.ok(c.get('n1').status().snapshotIndex > c.get('n3').status().lastIndex, 'the leader compacted past what n3 holds')
  return c
}

/** Reconnect n3 and tick until the leader's snapshot reached it and its install started. */
function startInstall(c: Cluster): void {
  c.cut.delete('n3')
  for (let i = 0; i < 50 && c.slices.jobs.length === 0; i++) c.tick()
  assert.equal(c.slices.jobs.length, 1, 'n3 started installing the snapshot in the background')
}

describe('snapshot install in the background (replica)', () => {
  it('the cluster goes on committing while the follower decodes in slices; it applies nothing before the switch, then holds everything', async (t) => {
    const c = behind(testTempDir(t))
    const n3 = c.get('n3')
    const appliedBefore = n3.applied
    startInstall(c)
    const order: string[] = []
    // A write proposed during the install is committed by n1 and n2 and answered before it ends.
    c.get('n1').propose(encodeCommand({op: 'put', key: 'c0', value: 'during'}), (o) => order.push(o.ok ? 'write answered' : 'write failed'))
    c.get('n1').process()
    c.settle()
    assert.equal(c.slices.runOne(), false, 'the decode takes more than one slice')
    c.tick()
    assert.equal(n3.applied, appliedBefore, 'nothing applied on n3 while its snapshot is being decoded')
    assert.equal(c.sms.get('n3')!.read('b0'), null, 'n3 still serves its old state')
    while (!c.slices.runOne()) c.tick()
    assert.equal(c.heldWrites.length, 1, 'the snapshot file is written after the decode')
    order.push('decode done')
    await c.heldWrites.shift()!()
    order.push('installed')
    for (let i = 0; i < 20; i++) c.tick()
    assert.deepEqual(order, ['write answered', 'decode done', 'installed'])
    assert.ok(c.slices.slicesRun > 2, `decoded in slices (${c.slices.slicesRun})`)
    const sm = c.sms.get('n3')!
    assert.deepEqual(readAll(sm, ['a', 'b', 'c'], 40), readAll(c.sms.get('n1')!, ['a', 'b', 'c'], 40))
    assert.equal(sm.read('c0'), 'during')
    assert.equal(n3.applied, c.get('n1').applied)
    const kept = n3.latestSnapshot().data
    assert.ok(kept instanceof SnapshotFileData, 'once installed, n3 keeps a handle on the snapshot file, not the bytes it received')
    const largest = largestReachableBuffer(n3)
    assert.ok(largest < kept.byteLength, `n3 holds a buffer of ${largest} bytes, the snapshot is ${kept.byteLength}`)
  })

  for (const at of ['during the decode', 'after the file, before the WAL record', 'after the install'] as const) {
    it(`a crash ${at} leaves the old state or the snapshot's, never a mix; the node then catches up`, async (t) => {
      const c = behind(testTempDir(t))
      const old = readAll(c.sms.get('n3')!, ['a', 'b', 'c'], 40)
      startInstall(c)
      const snapshotState = new KvStateMachine()
      snapshotState.restore(snapshotBytes(c.get('n1').latestSnapshot().data))
      const fresh = readAll(snapshotState, ['a', 'b', 'c'], 40)
      if (at !== 'during the decode') {
        while (!c.slices.runOne());
        if (at === 'after the file, before the WAL record') {
          // The file is written and renamed; the replica's callback (the WAL record) never runs.
          await c.heldWrites.shift()!(false)
        } else {
          await c.heldWrites.shift()!()
        }
      } else {
        c.slices.runOne()
      }
      const after = c.crashN3()
      if (at === 'during the decode') assert.deepEqual(after.keys, old, 'the old state')
      else if (at === 'after the install') assert.deepEqual(after.keys, fresh, "the snapshot's state")
      else assert.ok(sameMap(after.keys, old) || sameMap(after.keys, fresh), 'the old state or the snapshot, nothing else')
      // Restarted, it catches up with the cluster.
      c.slices.jobs.splice(0)
      c.start('n3')
      for (let i = 0; i < 100 && (c.slices.jobs.length > 0 || c.heldWrites.length > 0 || c.get('n3').applied < c.get('n1').applied); i++) {
        if (c.slices.jobs.length > 0) c.slices.runOne()
        while (c.heldWrites.length > 0) await c.heldWrites.shift()!()
        c.tick()
      }
      assert.deepEqual(readAll(c.sms.get('n3')!, ['a', 'b', 'c'], 40), readAll(c.sms.get('n1')!, ['a', 'b', 'c'], 40))
    })
  }

  it('a snapshot that does not decode fails the replica before anything is written', (t) => {
    const dir = testTempDir(t)
    const failures: Error[] = []
    const held = new HeldSlices()
    const disk = new FileStorage({dir, syncMode: 'none'})
    let written = 0
    const r = new Replica({
      raft: {id: 'n3', rng: new SeededRng(3), electionTicks: 10, heartbeatTicks: 1},
      storage: {
        load: () => disk.load(), save: (w) => disk.save(w), saveSnapshot: (s, c) => disk.saveSnapshot(s, c), close: () => disk.close(),
        writeSnapshot: () => void written++,
      },
      network: {send: () => {}},
      stateMachine: new KvStateMachine(),
      initialConf: {voters: VOTERS, learners: []},
      runInSlices: held.runner,
      onStorageError: (err) => failures.push(err),
    })
    const bad = new KvStateMachine()
    const data = bad.snapshot()
    data[data.length - 1] ^= 0xff
    r.deliver({type: 'snapshot', from: 'n1', to: 'n3', term: 2, snapshot: {meta: {index: 50, term: 2, conf: {voters: VOTERS, learners: []}}, data}})
    while (held.jobs.length > 0) held.runOne()
    assert.equal(failures.length, 1)
    assert.match(failures[0]!.message, /checksum/)
    assert.equal(written, 0, 'no snapshot file written')
    assert.equal(new FileStorage({dir, syncMode: 'none'}).load().snapshot, null)
  })
})

function sameMap(a: Map<string, string>, b: Map<string, string>): boolean {
  return a.size === b.size && [...a].every(([k, v]) => b.get(k) === v)
}
