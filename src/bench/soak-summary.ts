/**
 * The pure half of `npm run bench:soak` (bench/soak.ts): reading one value out of a daemon's
 * Prometheus text, the Raft events out of its JSON log, the summary of the samples taken during
 * the run (elections, term and leader changes, longest event-loop stall per node, snapshots),
 * and the two plots over time (writes/s; longest stall per node, with the 50 ms target).
 *
 * Kept apart from the runner so that the arithmetic that decides "no election" is unit-tested.
 */
import {linePlotSvg} from './svg-plot.js'

/** One node as one sample saw it. Nulls: the node did not answer that sample. */
export interface SoakNodeSample {
  readonly id: string
  readonly reachable: boolean
  readonly term: number | null
  /** The leader this node believes in. */
  readonly leader: string | null
  readonly snapshotIndex: number | null
  readonly appliedIndex: number | null
  /**
   * Longest event-loop delay since the previous scrape, ms (prom-client's
   * `nodejs_eventloop_lag_max_seconds`: perf_hooks' monitorEventLoopDelay at a 10 ms
   * resolution, reset at each scrape; an idle loop shows about 10 ms).
   */
  readonly loopDelayMaxMs: number | null
  /** The daemon's own counters since it started: real elections it began, leader changes it saw. */
  readonly elections: number | null
  readonly leaderChanges: number | null
}

/** One sample of the whole cluster. */
export interface SoakSample {
  /** Seconds since the measured load started. */
  readonly t: number
  /** Writes acknowledged per second over the interval before this sample. */
  readonly writesPerSec: number
  readonly nodes: readonly SoakNodeSample[]
}

/** Per node figures of {@link SoakSummary}. */
export interface SoakNodeSummary {
  /** Longest event-loop stall seen, ms (null: never scraped). */
  readonly longestStallMs: number | null
  /** Real elections this node started during the run (its counter's increase). */
  readonly elections: number
  /** Leader changes this node saw during the run (its counter's increase; losing a leader and learning the next count apart). */
  readonly leaderChanges: number
  /** Times its snapshot index moved between two samples: a lower bound of the snapshots it took or installed. */
  readonly snapshotsSeen: number
  /** Its snapshot index at the first and the last sample that reached it. */
  readonly snapshotIndex: {readonly first: number | null; readonly last: number | null}
  /** Samples in which it did not answer. */
  readonly unreachableSamples: number
}

/** The figures of a soak run. */
export interface SoakSummary {
  readonly seconds: number
  readonly writes: number
  readonly writesPerSec: {readonly mean: number; readonly min: number; readonly max: number}
  /** Real elections started during the run, all nodes (the target: 0). */
  readonly elections: number
  /** Times the highest term seen by any node rose between two samples. */
  readonly termChanges: number
  /** Times the leader named by the nodes changed between two samples (no leader in between counts once). */
  readonly leaderChanges: number
  readonly termFirst: number | null
  readonly termLast: number | null
  /** The longest event-loop stall of any node, ms. */
  readonly longestStallMs: number | null
  readonly nodes: Record<string, SoakNodeSummary>
}

/**
 * The sum of every series of metric `name` in Prometheus text (a labelled counter such as
 * `raft_elections_total{cause="…"}` is summed over its labels); null when no series is there.
 */
export function metricValue(text: string, name: string): number | null {
  let sum: number | null = null
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue
    const rest = line.slice(name.length)
    if (rest[0] !== ' ' && rest[0] !== '{') continue
    const value = Number(rest.slice(rest[0] === '{' ? rest.lastIndexOf('}') + 1 : 0).trim().split(' ')[0])
    if (Number.isFinite(value)) sum = (sum ?? 0) + value
  }
  return sum
}

/** A Raft event line of a daemon's log. */
export interface LoggedRaftEvent {
  readonly node: string
  /** ms since the epoch. */
  readonly time: number
  readonly msg: string
  readonly fields: Record<string, unknown>
}

/** The log messages that tell an election's story. */
const RAFT_MESSAGES = new Set(['election started', 'role changed', 'leader changed'])

/**
 * The election-related lines (`election started`, `role changed`, `leader changed`) of one
 * daemon's JSON-lines log at or after `sinceMs` (epoch ms; a line's `time` is an ISO string, as
 * the daemon's logger writes it, or epoch ms); other lines and lines that are not JSON are skipped.
 */
export function raftEventsFromLog(node: string, text: string, sinceMs: number): LoggedRaftEvent[] {
  const out: LoggedRaftEvent[] = []
  for (const line of text.split('\n')) {
    if (!line.includes('"msg"')) continue
    let rec: Record<string, unknown>
    try {
      rec = JSON.parse(line) as Record<string, unknown>
    } catch {
      continue
    }
    const time = typeof rec.time === 'string' ? Date.parse(rec.time) : Number(rec.time)
    const msg = String(rec.msg)
    if (!RAFT_MESSAGES.has(msg) || !(time >= sinceMs)) continue
    const {time: _t, msg: _m, level: _l, pid: _p, hostname: _h, node: _n, ...fields} = rec
    out.push({node, time, msg, fields})
  }
  return out
}

/**
 * Summarize the samples of a run of `seconds` with `writes` acknowledged writes. The first
 * sample, taken as the load starts, is the baseline: counters are measured from it, and its
 * stall (the longest since the daemon started, or since an earlier scrape) does not count.
 */
export function summarizeSoak(samples: readonly SoakSample[], writes: number, seconds: number): SoakSummary {
  const ids = [...new Set(samples.flatMap((s) => s.nodes.map((n) => n.id)))].sort()
  const nodes: Record<string, SoakNodeSummary> = {}
  for (const id of ids) nodes[id] = nodeSummary(samples.map((s) => s.nodes.find((n) => n.id === id) ?? null))
  const terms = samples.map((s) => maxOrNull(s.nodes.map((n) => n.term)))
  const leaders = samples.map((s) => agreedLeader(s.nodes))
  const rates = samples.slice(1).map((s) => s.writesPerSec)
  const stalls = Object.values(nodes).map((n) => n.longestStallMs)
  return {
    seconds, writes,
    writesPerSec: {
      mean: seconds > 0 ? round(writes / seconds) : 0,
      min: rates.length > 0 ? round(Math.min(...rates)) : 0,
      max: rates.length > 0 ? round(Math.max(...rates)) : 0,
    },
    elections: Object.values(nodes).reduce((a, n) => a + n.elections, 0),
    termChanges: rises(terms),
    leaderChanges: changes(leaders),
    termFirst: firstKnown(terms),
    termLast: firstKnown([...terms].reverse()),
    longestStallMs: maxOrNull(stalls),
    nodes,
  }
}

/** One node's figures; its first sample is the baseline (its stall covers the time before the run). */
function nodeSummary(seen: ReadonlyArray<SoakNodeSample | null>): SoakNodeSummary {
  const reached = seen.filter((n): n is SoakNodeSample => n !== null && n.reachable)
  const snaps = reached.map((n) => n.snapshotIndex)
  return {
    longestStallMs: maxOrNull(seen.slice(1).map((n) => (n?.reachable ? n.loopDelayMaxMs : null))),
    elections: increase(reached.map((n) => n.elections)),
    leaderChanges: increase(reached.map((n) => n.leaderChanges)),
    snapshotsSeen: rises(snaps),
    snapshotIndex: {first: firstKnown(snaps), last: firstKnown([...snaps].reverse())},
    unreachableSamples: seen.length - reached.length,
  }
}

/** The leader most reachable nodes name (ties: the first); null when none names one. */
function agreedLeader(nodes: readonly SoakNodeSample[]): string | null {
  const votes = new Map<string, number>()
  for (const n of nodes) if (n.reachable && n.leader !== null) votes.set(n.leader, (votes.get(n.leader) ?? 0) + 1)
  let best: string | null = null
  for (const [id, count] of votes) if (best === null || count > votes.get(best)!) best = id
  return best
}

/** Times a value rose from one known value to the next (nulls skipped). */
function rises(values: ReadonlyArray<number | null>): number {
  let count = 0
  let last: number | null = null
  for (const v of values) {
    if (v === null) continue
    if (last !== null && v > last) count++
    last = v
  }
  return count
}

/** Times the known value differs from the previous known one (nulls skipped). */
function changes(values: ReadonlyArray<string | null>): number {
  let count = 0
  let last: string | null = null
  for (const v of values) {
    if (v === null) continue
    if (last !== null && v !== last) count++
    last = v
  }
  return count
}

/**
 * How much a counter grew from its first to its last known value. A counter that went down (the
 * daemon restarted) adds its new value: the restart's own count.
 */
function increase(values: ReadonlyArray<number | null>): number {
  let total = 0
  let last: number | null = null
  for (const v of values) {
    if (v === null) continue
    if (last !== null) total += v >= last ? v - last : v
    last = v
  }
  return total
}

function firstKnown(values: ReadonlyArray<number | null>): number | null {
  return values.find((v) => v !== null) ?? null
}

function maxOrNull(values: ReadonlyArray<number | null>): number | null {
  const known = values.filter((v): v is number => v !== null)
  return known.length > 0 ? Math.max(...known) : null
}

function round(n: number): number {
  return Math.round(n * 10) / 10
}

/** The longest stall the issue allows, ms: the target line of the stall plot. */
export const STALL_TARGET_MS = 50

/** The two plots of a run: writes/s over time, and each node's longest stall per sample interval over time. */
export function soakPlots(samples: readonly SoakSample[], title: string): {writes: string; stall: string} {
  const measured = samples.slice(1)
  const writes = linePlotSvg([{name: 'writes/s', points: measured.map((s) => ({x: s.t, y: s.writesPerSec}))}], {
    title: `${title}: writes acknowledged per second`, xLabel: 'seconds', yLabel: 'writes/s', width: 800,
  })
  const ids = [...new Set(samples.flatMap((s) => s.nodes.map((n) => n.id)))].sort()
  const stall = linePlotSvg(
    ids.map((id) => ({
      name: id,
      points: measured.map((s) => {
        const n = s.nodes.find((x) => x.id === id)
        return {x: s.t, y: n?.reachable ? n.loopDelayMaxMs : null}
      }),
    })),
    {title: `${title}: longest event-loop stall per sample`, xLabel: 'seconds', yLabel: 'ms', width: 800, target: {y: STALL_TARGET_MS, label: `target ${STALL_TARGET_MS} ms`}},
  )
  return {writes, stall}
}
