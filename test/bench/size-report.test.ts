/**
 * bench:size's pictures and table (src/bench/size-report.ts): one plot per figure, one series per
 * mode, the targets drawn, the WAL bound as its own series, a catch-up that failed drawn as a
 * gap, and the table's rows.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {sizeMarkdownTable, sizePlots, type CatchUpRow, type SizeRow} from '../../src/bench/size-report.js'

const row = (keys: number, mode: string, over: Partial<SizeRow> = {}): SizeRow => ({
  keys, mode, snapshotMs: 100, longestPingGapMs: 20, maxLoopDelayMs: 18, captureMs: 1, writesAnswered: 5,
  walMiB: 2, walSegments: 1, snapshotMiB: 1, diskBoundMiB: 18, restartMs: 900, restartStorageMs: 600, restartSegmentsRead: 1, restartEntriesReplayed: 10, ...over,
})

const ROWS: SizeRow[] = [row(10_000, 'before'), row(10_000, 'after'), row(100_000, 'before'), row(100_000, 'after', {walMiB: 7, diskBoundMiB: 40})]
const CATCH: CatchUpRow[] = [{keys: 10_000, catchUpMs: 800, snapshotMiB: 1}, {keys: 100_000, catchUpMs: null, snapshotMiB: null}]

const circles = (svg: string): number => [...svg.matchAll(/<circle /g)].length

test('one plot per figure, a series per mode, the targets on the stall and restart plots', () => {
  const plots = sizePlots(ROWS, CATCH, '20–25')
  assert.deepEqual(Object.keys(plots).sort(), ['catchup', 'restart', 'snapshot', 'stall', 'wal'])
  assert.equal(circles(plots.snapshot!), 4)
  assert.ok(plots.snapshot!.includes('on the loop (before)') && plots.snapshot!.includes('off the loop (now)'))
  assert.ok(plots.stall!.includes('target 50 ms'))
  assert.ok(plots.restart!.includes('target 5 s'))
  assert.ok(plots.snapshot!.includes('load 20–25'), 'the load is on the picture')
})

test('the WAL plot has the bound as a series of its own', () => {
  const wal = sizePlots(ROWS, [], 'x').wal!
  assert.equal(circles(wal), 8, 'WAL and bound, two modes, two sizes')
  assert.ok(wal.includes('bound 2×(snapshot + segment), off the loop (now)'))
})

test('a catch-up that did not finish is a gap, and no catch-up plot without catch-ups', () => {
  assert.equal(circles(sizePlots(ROWS, CATCH, 'x').catchup!), 1)
  assert.equal(sizePlots(ROWS, [], 'x').catchup, undefined)
})

test('the table: a row per (size, mode), the catch-up on the current build\'s rows only', () => {
  const lines = sizeMarkdownTable(ROWS, CATCH).trim().split('\n')
  assert.equal(lines.length, 2 + ROWS.length)
  assert.match(lines[2]!, /^\| 10,000 \| before \|.*\| — \|$/)
  assert.match(lines[3]!, /^\| 10,000 \| after \|.*\| 800 \|$/)
  assert.match(lines[5]!, /^\| 100,000 \| after \| .*\| 7 \(1\) \| 40 \|.*\| did not \|$/)
})
