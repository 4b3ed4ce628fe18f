/**
 * The daemon's ways the simulator runs: snapshots that take time to send, reported in flight to
 * their sender after every chunk (`Replica.reportSnapshotInFlight`) with another snapshot to that
 * peer dropped meanwhile (src/sim/snapshot-sends.ts, as src/transport/peers.ts does), and a
 * leader's one-entry batches saved in its loop inside `saveAsync` (src/storage/save-policy.ts,
 * as the daemon's storage port does). Seeds must pass with both forced on, and the runs must
 * actually go through them.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {runSeed} from '../../src/sim/cluster.js'
import {runSeeds} from '../../src/sim/run.js'
import {SimDisk} from '../../src/sim/disk.js'
import {savesInLoop} from '../../src/storage/save-policy.js'
import type {Entry} from '../../src/raft/types.js'
import type {SimStats} from '../../src/sim/types.js'

function entries(from: number, to: number): Entry[] {
  const out: Entry[] = []
  for (let i = from; i <= to; i++) out.push({index: i, term: 1, type: 'normal', data: new Uint8Array([i])})
  return out
}

test('seeds 1..100 pass in the daemon\'s mode with slow snapshot sends and loop saves, and go through both', () => {
  const total: Partial<Record<keyof SimStats, number>> = {}
  const batch = runSeeds(1, 100, {backgroundSaves: 'leader', commitNotices: false, loopSaves: true, snapshotSendMs: 400}, () => 0, (r) => {
    for (const k of ['snapshotSends', 'snapshotSendsCut', 'snapshotsDroppedInFlight', 'snapshotInFlightReports', 'loopSaves'] as const) total[k] = (total[k] ?? 0) + r.stats[k]
  })
  assert.equal(batch.failures.length, 0, batch.failures.map((f) => `seed ${f.seed}: ${f.violation.split('\n')[0]} (${f.replay})`).join('\n'))
  assert.ok(total.snapshotSends! > 0, 'no snapshot was sent over time')
  assert.ok(total.snapshotInFlightReports! > total.snapshotSends!, `reports ${total.snapshotInFlightReports}: fewer than one per send`)
  assert.ok(total.snapshotSendsCut! > 0, 'no send was cut by a crash or a partition')
  // The leader told its snapshot is on its way does not send it again: without the reports
  // (checked by hand) 39 of these seeds' 50 sends had a re-send dropped behind them; with them, none.
  assert.ok(total.snapshotsDroppedInFlight! * 4 < total.snapshotSends!, `${total.snapshotsDroppedInFlight} re-sends dropped behind ${total.snapshotSends} sends: the in-flight reports did not hold the leader back`)
  assert.ok(total.loopSaves! > 0, 'no batch was saved in the loop')
})

test('without them (--no-loop-saves, --snapshot-send-ms 0) nothing is sent over time or saved in the loop', () => {
  for (let seed = 1; seed <= 5; seed++) {
    const r = runSeed({seed, loopSaves: false, snapshotSendMs: 0})
    assert.equal(r.ok, true, r.violation?.message)
    assert.deepEqual([r.stats.snapshotSends, r.stats.snapshotInFlightReports, r.stats.loopSaves], [0, 0, 0])
  }
})

test('by default the seed decides: some seeds of 1..30 send snapshots slowly, some save in the loop, and some do neither', () => {
  const firstLines = Array.from({length: 30}, (_, i) => runSeed({seed: i + 1, safetyMs: 0, livenessMs: 100, fullTrace: true}).trace[0]!)
  assert.ok(firstLines.some((l) => l.includes('snapshot-send<=400ms')) && firstLines.some((l) => l.includes('snapshot-send<=0ms')), firstLines.join('\n'))
  assert.ok(firstLines.some((l) => l.includes('loop-saves=on')) && firstLines.some((l) => l.includes('loop-saves=off')), firstLines.join('\n'))
})

test('a loop-saved batch is durable and its callback has run when saveAsync returns; the others wait for their sync', () => {
  const syncs: (() => void)[] = []
  const disk = new SimDisk((complete) => syncs.push(complete), (write) => savesInLoop(write, 0))
  const done: number[] = []
  disk.saveAsync!({entries: entries(1, 1), hardState: {term: 1, vote: 'n1', commit: 0}}, () => done.push(1))
  assert.deepEqual(done, [1], 'the one-entry batch: done before saveAsync returned')
  assert.equal(disk.crash(), 0, 'nothing unsynced')
  assert.deepEqual(disk.load().entries.map((e) => e.index), [1], 'durable, a crash lost nothing')
  disk.saveAsync!({entries: entries(2, 3), hardState: {term: 1, vote: 'n1', commit: 1}}, () => done.push(2))
  assert.deepEqual(done, [1], 'a two-entry batch waits for its sync')
  syncs.shift()!()
  assert.deepEqual(done, [1, 2])
  assert.deepEqual(disk.load().entries.map((e) => e.index), [1, 2, 3])
})
