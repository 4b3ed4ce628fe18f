/**
 * Snapshots written in the background (StateMachine.capture + Storage.writeSnapshot): writes go on
 * being answered while a snapshot is being written, the log is compacted only once it is
 * durable, and a crash at any point of it (before the file is written, during serialization,
 * before the rename, after the rename, after the compaction) loses no acknowledged write.
 */
import {readdirSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import {snapshotBytes} from '../../src/replica/snapshot-data.js'
import {SeededRng} from '../../src/raft/index.js'
import {Replica, type ProposalOutcome} from '../../src/replica/replica.js'
import type {StateMachine, Storage} from '../../src/replica/ports.js'
import {FileStorage, MemoryStorage} from '../../src/storage/index.js'
import {KvStateMachine, encodeCommand} from '../../src/kv/index.js'
import {nodeFs} from '../../src/storage/fs-ops.js'
import {FaultFs, errno, tempDir} from '../storage/helpers.js'
import {SnapshotFileData} from '../../src/storage/snapshot-file-data.js'
import {largestReachableBuffer} from './reachable-buffers.js'

function singleNode(storage: Storage, sm: StateMachine = new KvStateMachine(), snapshotEvery = 0): Replica {
  return new Replica({
    raft: {id: 'n1', rng: new SeededRng(1), electionTicks: 10, heartbeatTicks: 1},
    storage,
    network: {send: () => assert.fail('a single node sends nothing')},
    stateMachine: sm,
    initialConf: {voters: ['n1'], learners: []},
    snapshotEvery,
    compactionLag: 0,
  })
}

function elect(r: Replica): void {
  for (let i = 0; i < 100 && r.status().role !== 'leader'; i++) r.tick()
  assert.equal(r.status().role, 'leader')
}

/** Propose `key=value` for every key (one Ready: one batch); returns the outcomes, filled as they come. */
function putAll(r: Replica, keys: readonly string[], value = 'v'): ProposalOutcome[] {
  const outcomes: ProposalOutcome[] = []
  for (const key of keys) r.propose(encodeCommand({op: 'put', key, value}), (o) => outcomes.push(o))
  r.process()
  return outcomes
}

function keys(prefix: string, n: number): string[] {
  return Array.from({length: n}, (_, i) => `${prefix}${i}`)
}

/** The ports of `inner` without saveAsync (saves are synchronous), with a writeSnapshot `hold` may intercept. */
function port(inner: MemoryStorage | FileStorage, hold?: (run: () => void) => void): Storage {
  return {
    load: () => inner.load(),
    save: (w) => inner.save(w),
    saveSnapshot: (s, c) => inner.saveSnapshot(s, c),
    close: () => inner.close(),
    writeSnapshot: (meta, pieces, done) => (hold ? hold(() => inner.writeSnapshot(meta, pieces, done)) : inner.writeSnapshot(meta, pieces, done)),
  }
}

describe('background snapshots (replica)', () => {
  it('a write proposed after the snapshot started is answered before the snapshot completes; the log is compacted after', () => {
    const disk = new MemoryStorage()
    const held: (() => void)[] = []
    const r = singleNode(port(disk, (run) => held.push(run)), new KvStateMachine(), 10)
    elect(r)
    const first = putAll(r, keys('k', 12))
    assert.equal(first.filter((o) => o.ok).length, 12)
    assert.equal(held.length, 1, 'the snapshot was started and is being written')
    assert.equal(r.snapshotting, true)
    const captured = r.applied
    const late = putAll(r, ['late'])
    assert.deepEqual(late.map((o) => o.ok), [true], 'answered while the snapshot is in progress')
    assert.equal(r.snapshotting, true, 'the snapshot is still in progress')
    assert.equal(disk.stats().snapshotIndex, 0, 'nothing compacted before the snapshot is durable')
    held.shift()!()
    assert.equal(r.snapshotting, false)
    assert.equal(r.status().snapshotIndex, captured)
    assert.equal(disk.stats().snapshotIndex, captured)
    assert.equal(disk.stats().firstIndex, captured + 1, 'log compacted up to the snapshot')
    const restored = new KvStateMachine()
    restored.restore(snapshotBytes(disk.load().snapshot!.data))
    assert.equal(restored.read('k11'), 'v')
    assert.equal(restored.read('late'), null, 'the snapshot holds the state at its index, not the later write')
  })

  it('after a snapshot the replica keeps a handle on its file, not its encoded bytes; a restart restores it from the file', async (t) => {
    const dir = tempDir(t)
    const disk = new FileStorage({dir, syncMode: 'none'})
    disk.load()
    const r = singleNode(port(disk))
    elect(r)
    putAll(r, keys('k', 3000), 'v'.repeat(100))
    const index = await new Promise<number | null>((resolve) => r.snapshotWhenIdle(resolve))
    assert.equal(index, r.applied)
    const {meta, data} = r.latestSnapshot()
    assert.equal(meta.index, index)
    assert.ok(!(data instanceof Uint8Array), 'the core holds no bytes')
    assert.ok(data instanceof SnapshotFileData)
    const file = statSync(data.path).size
    assert.ok(data.byteLength > 3000 * 100 && data.byteLength < file, `data ${data.byteLength} of the file's ${file} bytes`)
    const largest = largestReachableBuffer(r)
    assert.ok(largest < data.byteLength, `the replica holds a buffer of ${largest} bytes, the snapshot is ${data.byteLength}`)
    disk.close()
    const reopened = new FileStorage({dir, syncMode: 'none'})
    const sm = new KvStateMachine()
    const again = singleNode(port(reopened), sm)
    assert.equal(sm.read('k2999'), 'v'.repeat(100))
    assert.ok(again.latestSnapshot().data instanceof SnapshotFileData)
    reopened.close()
  })

  it('snapshotWhenIdle answers once the snapshot is durable; a second request during it gets a later snapshot', () => {
    const disk = new MemoryStorage()
    const held: (() => void)[] = []
    const r = singleNode(port(disk, (run) => held.push(run)))
    elect(r)
    putAll(r, keys('a', 3))
    const answers: (number | null)[] = []
    r.snapshotWhenIdle((i) => answers.push(i))
    const firstIndex = r.applied
    putAll(r, keys('b', 3))
    r.snapshotWhenIdle((i) => answers.push(i))
    assert.deepEqual(answers, [], 'nothing answered before the snapshot is durable')
    held.shift()!()
    assert.deepEqual(answers, [firstIndex])
    assert.equal(held.length, 1, 'the second snapshot started after the first')
    held.shift()!()
    assert.deepEqual(answers, [firstIndex, r.applied])
  })

  it('a snapshot durable while a batch syncs is adopted after that batch; no second one starts before', () => {
    const disk = new MemoryStorage()
    const heldSnapshots: (() => void)[] = []
    const heldSaves: (() => void)[] = []
    const storage: Storage = {
      ...port(disk, (run) => heldSnapshots.push(run)),
      saveAsync: (w, done) => heldSaves.push(() => {
        disk.save(w)
        done(null)
      }),
    }
    const r = singleNode(storage, new KvStateMachine(), 5)
    const releaseSaves = (): void => {
      while (heldSaves.length > 0) heldSaves.shift()!()
    }
    for (let i = 0; i < 100 && r.status().role !== 'leader'; i++) {
      r.tick()
      releaseSaves()
    }
    putAll(r, keys('a', 6))
    releaseSaves()
    assert.equal(heldSnapshots.length, 1, 'snapshot A started')
    const captured = r.applied
    putAll(r, keys('b', 3))
    assert.equal(heldSaves.length, 1, 'a batch is syncing')
    heldSnapshots.shift()!()
    assert.equal(r.snapshotting, true, 'A is durable but not adopted while the batch syncs')
    releaseSaves()
    assert.equal(heldSnapshots.length, 0, 'no second snapshot started before A was adopted')
    assert.equal(r.snapshotting, false)
    assert.equal(r.status().snapshotIndex, captured)
    assert.equal(disk.stats().snapshotIndex, captured)
  })
})

type HeldOp = 'write' | 'fdatasync' | 'fsync'

/** FaultFs with the background calls (thread-pool write, fdatasync, fsync); one kind can be held (never completes) after `skip` calls: a crash at that point. */
class HoldFs extends FaultFs {
  held: {op: HeldOp; resume: (err: NodeJS.ErrnoException) => void}[] = []
  #hold: {op: HeldOp; skip: number} | null = null

  holdOn(op: HeldOp, skip = 0): void {
    this.#hold = {op, skip}
  }

  #holds(op: HeldOp): boolean {
    if (this.#hold?.op !== op) return false
    if (this.#hold.skip-- > 0) return false
    return true
  }

  write(fd: number, buffer: Uint8Array, offset: number, length: number, position: number, cb: (err: NodeJS.ErrnoException | null, n: number) => void): void {
    if (this.#holds('write')) return void this.held.push({op: 'write', resume: (err) => cb(err, 0)})
    nodeFs.write!(fd, buffer, offset, length, position, cb)
  }

  override fdatasync(fd: number, cb: (err: NodeJS.ErrnoException | null) => void): void {
    if (this.#holds('fdatasync')) return void this.held.push({op: 'fdatasync', resume: cb})
    super.fdatasync(fd, cb)
  }

  fsync(fd: number, cb: (err: NodeJS.ErrnoException | null) => void): void {
    if (this.#holds('fsync')) return void this.held.push({op: 'fsync', resume: cb})
    nodeFs.fsync!(fd, cb)
  }

  /** Fail every held call (after the test: lets the writer close its file). */
  failHeld(): void {
    for (const h of this.held.splice(0)) h.resume(errno('EIO') as NodeJS.ErrnoException)
  }
}

/** Let the thread pool and the event loop run until `cond` holds (bounded by turns, not time). */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200_000 && !cond(); i++) await new Promise((resolve) => setImmediate(resolve))
  assert.ok(cond(), `never happened: ${what}`)
}

/** Where a crash hits the background snapshot, and the snapshot index found on restart (0: none, 'captured': the new one). */
const CRASH_POINTS: {name: string; hold: [HeldOp, number] | null; recovered: 0 | 'captured'}[] = [
  {name: 'before any byte of the file is written', hold: ['write', 0], recovered: 0},
  {name: 'during serialization (some pieces written, the capture still open)', hold: ['write', 2], recovered: 0},
  {name: 'before the rename (file written, its fdatasync not done)', hold: ['fdatasync', 0], recovered: 0},
  {name: 'after the rename (directory fsync pending, log not compacted)', hold: ['fsync', 0], recovered: 'captured'},
  {name: 'after the snapshot completed and the log was compacted', hold: null, recovered: 'captured'},
]

describe("the daemon's capture: pieces in one reused buffer", () => {
  it('the snapshot file FileStorage writes from them holds the state at the capture byte for byte, with writes during it', async (t) => {
    const dir = tempDir(t, 'raftctl-bgsnap-')
    const storage = new FileStorage({dir})
    const kv = new KvStateMachine()
    // As src/daemon/state-hash.ts: 4 KiB pieces here, so that the buffer is reused hundreds of times.
    const sm: StateMachine = {apply: (i, d) => kv.apply(i, d), snapshot: () => kv.snapshot(), restore: (d) => kv.restore(d), capture: () => kv.capture(4096, undefined, true)}
    const r = singleNode(port(storage), sm)
    t.after(() => {
      r.stop()
      storage.close()
    })
    elect(r)
    for (const [k, key] of keys('a', 3000).entries()) r.propose(encodeCommand({op: 'put', key, value: `${k}`.repeat(40)}), () => {})
    r.process()
    const expected = kv.snapshot()
    let answered: number | null | undefined
    r.snapshotWhenIdle((i) => (answered = i))
    putAll(r, keys('a', 500), 'overwritten during the snapshot')
    await until(() => answered !== undefined, 'the snapshot completes')
    const file = readdirSync(join(dir, 'snapshots')).filter((f) => f.endsWith('.snap'))
    assert.equal(file.length, 1)
    const reopened = new FileStorage({dir})
    const recovered = reopened.load()
    reopened.close()
    assert.equal(recovered.snapshot?.meta.index, answered)
    assert.deepEqual(Buffer.from(recovered.snapshotBytes ?? snapshotBytes(recovered.snapshot!.data)), Buffer.from(expected))
  })
})

describe('MemoryStorage with a capture that reuses its buffer', () => {
  it('keeps a copy of each piece: the snapshot it holds is the state at the capture', () => {
    const kv = new KvStateMachine()
    const sm: StateMachine = {apply: (i, d) => kv.apply(i, d), snapshot: () => kv.snapshot(), restore: (d) => kv.restore(d), capture: () => kv.capture(1024, undefined, true)}
    const r = singleNode(port(new MemoryStorage()), sm)
    elect(r)
    putAll(r, keys('a', 200), 'v'.repeat(50))
    const expected = kv.snapshot()
    let answered: number | null | undefined
    r.snapshotWhenIdle((i) => (answered = i))
    assert.equal(answered, r.applied)
    assert.deepEqual(Buffer.from(snapshotBytes(r.latestSnapshot().data)), Buffer.from(expected))
    r.stop()
  })
})

describe('background snapshots: a crash at any point loses no acknowledged write', () => {
  for (const point of CRASH_POINTS) {
    it(point.name, async (t) => {
      const dir = tempDir(t, 'raftctl-bgsnap-')
      const fs = new HoldFs()
      const storage = new FileStorage({dir, fs})
      const r = singleNode(port(storage))
      t.after(() => {
        r.stop()
        fs.failHeld()
      })
      elect(r)
      const value = 'x'.repeat(100)
      const before = keys('a', 3000)
      assert.equal(putAll(r, before, value).filter((o) => o.ok).length, before.length)
      const captured = r.applied
      if (point.hold) fs.holdOn(...point.hold)
      let answered: number | null | undefined
      r.snapshotWhenIdle((i) => (answered = i))
      if (point.hold) await until(() => fs.held.length > 0, `a held ${point.hold[0]}`)
      else await until(() => answered !== undefined, 'the snapshot completes')
      const during = keys('b', 200)
      const outcomes = putAll(r, during, value)
      assert.equal(outcomes.filter((o) => o.ok).length, during.length, 'writes answered')
      if (point.hold) assert.equal(r.snapshotting, true, 'while the snapshot is in progress')
      else assert.equal(answered, captured)

      // Crash: the old store is abandoned as it is (nothing closed, held calls never complete).
      const reopened = new FileStorage({dir})
      const sm = new KvStateMachine()
      const r2 = singleNode(port(reopened), sm)
      t.after(() => {
        r2.stop()
        reopened.close()
      })
      assert.equal(reopened.stats().snapshotIndex, point.recovered === 0 ? 0 : captured)
      elect(r2)
      for (let i = 0; i < 1000 && r2.applied < r2.status().lastIndex; i++) r2.tick()
      const missing = [...before, ...during].filter((k) => sm.read(k) !== value)
      assert.deepEqual(missing, [], 'every acknowledged write is there')
    })
  }
})

describe('FileStorage.writeSnapshot failures', () => {
  it('ENOSPC while writing in the background: STORAGE_FULL, no snapshot or temp file left, the capture released', async (t) => {
    const dir = tempDir(t, 'raftctl-bgsnap-')
    const fs = new FaultFs()
    const storage = new FileStorage({dir, fs})
    storage.load()
    t.after(() => storage.close())
    const sm = new KvStateMachine()
    for (let i = 1; i <= 3000; i++) sm.apply(i, encodeCommand({op: 'put', key: `k${i}`, value: 'x'.repeat(100)}))
    fs.failOn('write', 'ENOSPC', {skip: 2})
    const result = await new Promise<Error | null>((resolve) => storage.writeSnapshot({index: 3000, term: 1, conf: {voters: ['n1'], learners: []}}, sm.capture(), (err) => resolve(err)))
    assert.equal((result as {code?: string} | null)?.code, 'STORAGE_FULL')
    assert.deepEqual(readdirSync(join(dir, 'snapshots')), [], 'no .snap and no .tmp')
    assert.doesNotThrow(() => sm.capture().return?.(), 'the capture was released')
  })
})
