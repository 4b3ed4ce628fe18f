/**
 * After `npm run bench:soak -- --node-flags=--trace-gc --keep ... > soak.json`: were the
 * elections caused by garbage-collection pauses? Reads the report and the daemons' logs in the
 * kept cluster folder, places each `--trace-gc` line in time (the daemon's start time from the
 * report, plus the line's ms since start; ±10 ms), and prints per node the pauses during the
 * measured run (count, total, longest, how many over 50/100/150/300 ms, mark-compacts and their
 * longest incremental step, beside the snapshots it took), then for each election started by a timeout the longest pause of
 * the leader it lost (the last one that node knew) and of the node itself in the WINDOW ms before
 * it (default 1100: the default election timeout's upper bound, 300 ms, plus heartbeats and the
 * sampler's slack; use ~2500 for a 1 s election timeout).
 *
 *   node --import tsx bench/soak-gc.ts soak.json [WINDOW]
 */
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

interface Report {
  readonly startedAt: string
  readonly summary: {readonly seconds: number}
  readonly clusterHome: string | null
  readonly daemonStartedAt: Record<string, number | null>
  readonly samples: readonly {t: number; nodes: readonly {id: string; snapshotIndex: number | null; leader?: string | null}[]}[]
  readonly events: readonly {node: string; time: number; msg: string; fields: Record<string, unknown>}[]
}

interface Pause {
  readonly at: number
  readonly ms: number
  readonly kind: string
  readonly biggestStepMs: number
}

const [reportPath, windowArg] = process.argv.slice(2)
if (reportPath === undefined) throw new Error('usage: node --import tsx bench/soak-gc.ts SOAK.json [WINDOW_MS]')
const WINDOW_MS = Number(windowArg ?? 1100)
const report = JSON.parse(readFileSync(reportPath, 'utf8')) as Report
if (report.clusterHome === null) throw new Error('the soak did not keep its cluster folder: run it with --keep')
const runFrom = Date.parse(report.startedAt)
const runTo = runFrom + report.summary.seconds * 1000

/** `--trace-gc` lines of a daemon's log, placed in time (epoch ms at the pause's end). */
function pausesOf(node: string): Pause[] {
  const started = report.daemonStartedAt[node]
  if (started == null) return []
  const text = readFileSync(join(report.clusterHome!, 'soak', 'logs', `${node}.log`), 'utf8')
  const pauses: Pause[] = []
  for (const m of text.matchAll(/^\[\d+:0x[0-9a-f]+\]\s+(\d+) ms: (Scavenge|Mark-Compact|Mark-Compact \(reduce\)|Minor Mark-Compact)[^,]*, ([\d.]+) \/ [\d.]+ ms(.*)$/gm)) {
    const step = /biggest step ([\d.]+) ms/.exec(m[4])
    pauses.push({at: started + Number(m[1]), kind: m[2], ms: Number(m[3]), biggestStepMs: step ? Number(step[1]) : 0})
  }
  return pauses.filter((p) => p.at >= runFrom && p.at <= runTo)
}

const nodes = Object.keys(report.daemonStartedAt).sort()
const pauses = new Map(nodes.map((n) => [n, pausesOf(n)]))
/** Snapshots a node took during the run: the changes of its snapshot index between samples. */
const snapshotsOf = (node: string): number => {
  const indexes = report.samples.map((s) => s.nodes.find((x) => x.id === node)?.snapshotIndex ?? null).filter((i): i is number => i !== null)
  return indexes.filter((i, k) => k > 0 && i !== indexes[k - 1]).length
}
for (const n of nodes) {
  const ps = pauses.get(n)!
  const over = (ms: number): number => ps.filter((p) => p.ms >= ms).length
  const mc = ps.filter((p) => p.kind.startsWith('Mark-Compact'))
  console.log(`${n}: ${ps.length} pauses, ${Math.round(ps.reduce((a, p) => a + p.ms, 0))} ms in all, longest ${Math.max(0, ...ps.map((p) => p.ms)).toFixed(1)} ms; ` +
    `>=50 ms ${over(50)}, >=100 ms ${over(100)}, >=150 ms ${over(150)}, >=300 ms ${over(300)}; ` +
    `${mc.length} mark-compacts for ${snapshotsOf(n)} snapshots (longest ${Math.max(0, ...mc.map((p) => p.ms)).toFixed(1)} ms, longest incremental step ${Math.max(0, ...mc.map((p) => p.biggestStepMs)).toFixed(1)} ms)`)
}

const longestBefore = (node: string | null, t: number): Pause | null => {
  if (node === null) return null
  let best: Pause | null = null
  for (const p of pauses.get(node) ?? []) if (p.at <= t && p.at >= t - WINDOW_MS && (best === null || p.ms > best.ms)) best = p
  return best
}
const show = (p: Pause | null): string => (p === null ? 'none' : `${p.ms.toFixed(0)} ms ${p.kind}`)
const lastLeader = new Map<string, string>()
/** The leader `node` reported in the last status sample before `time` (for a leader elected before the events begin). */
const sampledLeader = (node: string, time: number): string | null => {
  let leader: string | null = null
  for (const s of report.samples) if (runFrom + s.t * 1000 < time) leader = s.nodes.find((n) => n.id === node)?.leader ?? leader
  return leader
}
let elections = 0
let gcCaused = 0
for (const e of report.events) {
  if (e.msg === 'leader changed' && typeof e.fields.leader === 'string') lastLeader.set(e.node, e.fields.leader)
  if (e.msg !== 'election started' || e.fields.cause !== 'timeout' || e.time < runFrom) continue
  elections++
  const leader = lastLeader.get(e.node) ?? sampledLeader(e.node, e.time)
  const onLeader = longestBefore(leader, e.time)
  const onSelf = longestBefore(e.node, e.time)
  if ((onLeader?.ms ?? 0) >= 100 || (onSelf?.ms ?? 0) >= 100) gcCaused++
  console.log(`t=${((e.time - runFrom) / 1000).toFixed(1)}s ${e.node} ${e.fields.pre === true ? 'pre-vote' : 'vote'} term ${String(e.fields.term)}: ` +
    `longest pause in the ${WINDOW_MS} ms before it on the leader ${leader ?? '?'}: ${show(onLeader)}; on ${e.node}: ${show(onSelf)}`)
}
console.log(`${elections} elections started by a timeout during the run; ${gcCaused} with a pause of 100 ms or more on the leader or the node in the ${WINDOW_MS} ms before`)
