/**
 * The log is bounded by bytes as well as by count: large entries trigger a snapshot before
 * `snapshotEvery` entries once their data passes `snapshotEveryBytes`, compaction keeps at most
 * `compactionLagBytes` of entry data behind the snapshot, and small entries keep the count rules.
 * Run with snapshots taken at once (no `writeSnapshot`) and in the background.
 */
import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import {SeededRng} from '../../src/raft/index.js'
import {Replica, type ReplicaOptions} from '../../src/replica/replica.js'
import type {Storage} from '../../src/replica/ports.js'
import {MemoryStorage} from '../../src/storage/index.js'
import {KvStateMachine, encodeCommand} from '../../src/kv/index.js'

type Limits = Pick<ReplicaOptions, 'snapshotEvery' | 'compactionLag' | 'snapshotEveryBytes' | 'compactionLagBytes'>

/** The storage ports: snapshots at once (no writeSnapshot), or in the background (MemoryStorage's own). */
const MODES: Record<string, (disk: MemoryStorage) => Storage> = {
  'at once': (disk) => ({load: () => disk.load(), save: (w) => disk.save(w), saveSnapshot: (s, c) => disk.saveSnapshot(s, c), close: () => disk.close()}),
  'in the background': (disk) => disk,
}

function leader(storage: Storage, limits: Limits): Replica {
  const r = new Replica({
    raft: {id: 'n1', rng: new SeededRng(1), electionTicks: 10, heartbeatTicks: 1},
    storage,
    network: {send: () => assert.fail('a single node sends nothing')},
    stateMachine: new KvStateMachine(),
    initialConf: {voters: ['n1'], learners: []},
    ...limits,
  })
  for (let i = 0; i < 100 && r.status().role !== 'leader'; i++) r.tick()
  assert.equal(r.status().role, 'leader')
  return r
}

/** Put `n` keys with values of `valueBytes`, one Ready each (one apply and snapshot check each). */
function putEach(r: Replica, n: number, valueBytes: number): void {
  for (let i = 0; i < n; i++) {
    let ok = false
    r.propose(encodeCommand({op: 'put', key: `k${i}`, value: 'x'.repeat(valueBytes)}), (o) => (ok = o.ok))
    r.process()
    assert.ok(ok, `put ${i} applied`)
  }
}

/** Data bytes of the entries the core holds in [from, to]. */
function bytesHeld(r: Replica, from: number, to: number): number {
  let bytes = 0
  for (let i = from; i <= to; i++) bytes += r.entryAt(i)!.data.length
  return bytes
}

for (const [mode, ports] of Object.entries(MODES)) {
  describe(`log bounded by bytes (snapshots ${mode})`, () => {
    it('large entries trigger a snapshot before snapshotEvery entries, and compaction keeps at most compactionLagBytes behind it', () => {
      const disk = new MemoryStorage()
      const r = leader(ports(disk), {snapshotEvery: 1000, compactionLag: 1000, snapshotEveryBytes: 10_000, compactionLagBytes: 4_000})
      putEach(r, 12, 1000)
      const snap = r.status().snapshotIndex
      assert.ok(snap > 0 && snap < 1000, `a snapshot by bytes after ~10 KB of entries (snapshot index ${snap})`)
      const first = disk.stats().firstIndex
      assert.ok(first > 1, `the log was compacted (first index ${first})`)
      const kept = bytesHeld(r, first, snap)
      assert.ok(kept > 0 && kept <= 4_000, `kept ${kept} bytes behind the snapshot, at most compactionLagBytes`)
      assert.ok(kept > 4_000 - r.entryAt(snap)!.data.length, `kept ${kept} bytes: as many whole entries as fit`)
      assert.equal(r.entryAt(first - 1), undefined, 'the core compacted to the same index')
      assert.ok(snap - first + 1 < 1000, 'fewer than compactionLag entries were kept')
      // The trigger counts from the last snapshot: the next one comes after another ~10 KB.
      putEach(r, 12, 1000)
      assert.ok(r.status().snapshotIndex > snap, 'a second snapshot by bytes')
    })

    it('small entries keep the count rules: a snapshot every snapshotEvery entries, compactionLag entries kept', () => {
      const disk = new MemoryStorage()
      const r = leader(ports(disk), {snapshotEvery: 20, compactionLag: 5})
      putEach(r, 25, 10)
      const snap = r.status().snapshotIndex
      assert.equal(snap, 20, 'snapshot after exactly snapshotEvery applied entries')
      assert.equal(disk.stats().firstIndex, snap - 5 + 1, 'compactionLag entries kept behind it')
    })

    it('snapshotEveryBytes 0 turns the byte trigger off; compactionLagBytes 0 keeps no entries', () => {
      const disk = new MemoryStorage()
      const r = leader(ports(disk), {snapshotEvery: 20, compactionLag: 5, snapshotEveryBytes: 0, compactionLagBytes: 0})
      const start = r.applied
      putEach(r, 19 - start, 5000)
      assert.equal(r.status().snapshotIndex, 0, 'no snapshot before snapshotEvery entries, however large')
      putEach(r, 3, 5000)
      const snap = r.status().snapshotIndex
      assert.equal(snap, 20)
      assert.equal(disk.stats().firstIndex, snap + 1, 'nothing kept behind the snapshot')
    })
  })
}
