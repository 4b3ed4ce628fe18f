/**
 * The figures of `npm run bench:size` (bench/size.ts) as pictures and a table: one SVG plot per
 * figure against the key count (snapshot duration; longest event-loop stall, with the 50 ms
 * target; WAL bytes on disk after compaction, with the 2 × (snapshot + one segment) bound;
 * restart time to ready, with the 5 s target; time for a new node to catch up by snapshot),
 * and the Markdown table docs/performance.md shows beside them.
 *
 * Pure: the benchmark measures, this only draws, so the drawing is unit-tested.
 */
import {linePlotSvg, type PlotSeries} from './svg-plot.js'

/** One (size, mode) row of bench:size: medians over its runs. */
export interface SizeRow {
  readonly keys: number
  /** `after`: snapshots off the event loop (the current build); `before`: the synchronous path. */
  readonly mode: string
  readonly snapshotMs: number
  readonly longestPingGapMs: number
  readonly maxLoopDelayMs: number
  readonly captureMs: number
  readonly writesAnswered: number
  readonly walMiB: number
  readonly walSegments: number
  readonly snapshotMiB: number
  readonly diskBoundMiB: number
  /** From opening the store to a leader that applied every committed entry. */
  readonly restartMs: number
  /** Of `restartMs`: opening the store (reading and checking the snapshot file and the WAL segments). */
  readonly restartStorageMs: number
  /** What the restart read: WAL segments, and entry records replayed. */
  readonly restartSegmentsRead: number
  readonly restartEntriesReplayed: number
}

/** Time for a new node (a real daemon) to catch up by snapshot with `keys` keys. */
export interface CatchUpRow {
  readonly keys: number
  /** From the learner's configuration entry committed to the leader seeing its match at its last index, ms (null: it did not catch up in time). */
  readonly catchUpMs: number | null
  /** The leader's snapshot, MiB. */
  readonly snapshotMiB: number | null
  /** The leader's peak RSS during the catch-up (VmHWM, reset before it), MiB; absent or null: not measured. */
  readonly leaderPeakRssMiB?: number | null
  /** The new node's peak RSS over its life, MiB. */
  readonly followerPeakRssMiB?: number | null
  /** The leader's longest event-loop delay during the catch-up (its /metrics `nodejs_eventloop_lag_max_seconds`), ms. */
  readonly leaderMaxLagMs?: number | null
  /** The same on the new node, ms. */
  readonly followerMaxLagMs?: number | null
  /** Snapshots the leader's core sent to the new node (its log's `snapshotSent` lines), re-sends included. */
  readonly snapshotsSent?: number
}

/** The stall target of issue 19, ms. */
export const SIZE_STALL_TARGET_MS = 50
/** The restart target of issue 19 at 1M keys, ms. */
export const SIZE_RESTART_TARGET_MS = 5000

/** The plots, by file name suffix (`snapshot`, `stall`, `wal`, `restart`, `catchup`): SVG documents. */
export function sizePlots(rows: readonly SizeRow[], catchUps: readonly CatchUpRow[], load: string): Record<string, string> {
  const modes = [...new Set(rows.map((r) => r.mode))]
  const byMode = (name: (mode: string) => string, y: (r: SizeRow) => number): PlotSeries[] =>
    modes.map((mode) => ({name: name(mode), points: rows.filter((r) => r.mode === mode).map((r) => ({x: r.keys, y: y(r)}))}))
  const label = (mode: string): string => (mode === 'after' ? 'off the loop (now)' : mode === 'before' ? 'on the loop (before)' : mode)
  const common = {xLabel: `keys of 100 B (load ${load})`, xLog: true} as const
  const out: Record<string, string> = {
    snapshot: linePlotSvg(byMode(label, (r) => r.snapshotMs), {...common, title: 'Snapshot duration (request to durable, log compacted)', yLabel: 'ms', yLog: true}),
    stall: linePlotSvg(byMode(label, (r) => r.longestPingGapMs), {
      ...common, title: 'Longest event-loop stall during the snapshot (5 ms ping)', yLabel: 'ms', yLog: true,
      target: {y: SIZE_STALL_TARGET_MS, label: `target ${SIZE_STALL_TARGET_MS} ms`},
    }),
    wal: linePlotSvg([
      ...byMode((m) => `WAL on disk, ${label(m)}`, (r) => r.walMiB),
      ...byMode((m) => `bound 2×(snapshot + segment), ${label(m)}`, (r) => r.diskBoundMiB),
    ], {...common, title: 'WAL bytes on disk after compaction', yLabel: 'MiB'}),
    restart: linePlotSvg(byMode(label, (r) => r.restartMs), {
      ...common, title: 'Restart time to a ready leader', yLabel: 'ms', yLog: true,
      target: {y: SIZE_RESTART_TARGET_MS, label: `target ${SIZE_RESTART_TARGET_MS / 1000} s`},
    }),
  }
  if (catchUps.length > 0) {
    out.catchup = linePlotSvg([{name: 'new node (daemon), by snapshot', points: catchUps.map((c) => ({x: c.keys, y: c.catchUpMs}))}], {
      ...common, title: 'Time for a new node to catch up by snapshot', yLabel: 'ms',
    })
  }
  return out
}

/** The Markdown table of the rows, with the catch-up time of each size (— where not measured). */
export function sizeMarkdownTable(rows: readonly SizeRow[], catchUps: readonly CatchUpRow[]): string {
  const head = '| keys | mode | snapshot ms | longest stall ms | loop delay max ms | capture ms | WAL MiB (segments) | bound MiB | restart ms | catch-up ms |'
  const lines = [head, `|${' --- |'.repeat(10)}`]
  for (const r of rows) {
    const c = catchUps.find((x) => x.keys === r.keys)
    const catchUp = r.mode === 'after' && c ? (c.catchUpMs === null ? 'did not' : String(Math.round(c.catchUpMs))) : '—'
    lines.push(`| ${r.keys.toLocaleString('en-US')} | ${r.mode} | ${r.snapshotMs} | ${r.longestPingGapMs} | ${r.maxLoopDelayMs} | ${r.captureMs} | ${r.walMiB} (${r.walSegments}) | ${r.diskBoundMiB} | ${r.restartMs} | ${catchUp} |`)
  }
  return lines.join('\n') + '\n'
}
