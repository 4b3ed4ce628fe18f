/**
 * The result of `raftctl verify` (what `--json` prints, DESIGN.md §4: `{"valid": bool, "ops",
 * …}`), shared by the orchestration (run.ts) and the reports (report.ts).
 */
import type {CheckResult, Counterexample, UnknownReason, Verdict} from './checker.js'
import type {DurabilityResult} from './durability.js'
import type {HistoryOp, OpKind} from './history.js'
import type {ChaosFaultName as NemesisKind} from '../chaos/schedule.js'

/** One fault as the report shows it. Times: ns on the history clock, and ms. */
export interface FaultSummary {
  id: string
  kind: NemesisKind
  description: string
  nodes: string[]
  /** `applied`, or `failed` when the action that starts it failed (see `notes`). */
  status: 'applied' | 'failed'
  /** Planned start and length, ms from the start of the schedule. */
  atMs: number
  durationMs: number
  /** When the fault was started, and when it was healed (ns on the history clock). */
  start: number
  end?: number
  notes: string[]
}

/** The linearizability part of the result. */
export interface LinearizableSummary {
  valid: Verdict
  keys: number
  /** States the search remembered, over all keys. */
  states: number
  elapsedMs: number
  reason?: UnknownReason
  /** For a violation: the smallest failing prefix of one key (times in ns on the history clock). */
  counterexample?: Counterexample
}

/** The whole result. */
export interface VerifyResult {
  /** True only when the history is linearizable AND durable. */
  valid: boolean
  /** `valid`; `violation` (exit 1) when either check failed; `undecided` (exit 3) otherwise. */
  verdict: 'valid' | 'violation' | 'undecided'
  cluster: {
    name: string
    nodes: string[]
    /** verify created the cluster for this run. */
    created: boolean
    /** verify started its daemons (it existed but was stopped). */
    started: boolean
    unsafeFollowerReads: boolean
    /** What happened to it at the end. */
    cleanup: 'destroyed' | 'stopped' | 'kept running' | 'left as found'
  }
  seed: number
  /** Requested workload duration, ms; `elapsedMs`: how long it really ran (until the last op ended). */
  durationMs: number
  elapsedMs: number
  clients: number
  /** Key slots, and distinct keys used. */
  keySlots: number
  keys: number
  ops: number
  ok: number
  failed: number
  unknown: number
  /** Writes refused with an error before they were proposed: certainly not applied, so left out of the history and of `ops`. */
  rejected: number
  /** The same counts per kind of operation (a failed cas is a comparison that failed; a failed get, a read that got no answer). */
  byOp: Partial<Record<OpKind, {ok: number; failed: number; unknown: number}>>
  /** Operations that completed with ok true, per second of workload. */
  opsPerSecond: number
  /** Latency of the operations that completed with ok true, ms. */
  latencyMs: {p50: number; p90: number; p99: number; max: number}
  faults: FaultSummary[]
  /** The kinds asked for, those really scheduled, and those left out (with why, in `warnings`). */
  faultKinds: {requested: NemesisKind[]; scheduled: NemesisKind[]; skipped: NemesisKind[]}
  warnings: string[]
  linearizable: LinearizableSummary
  durable: DurabilityResult
  /** Time from the end of the workload until a leader was back with every node up, ms (null: never). */
  recoveryMs: number | null
  /** Files written. */
  history: string
  report: string
  /** The folder the daemons' logs were copied into (when verify destroyed the cluster it created), else null. */
  logs: string | null
}

/** The overall verdict from the two checks: any violation wins, then any undecided. */
export function overallVerdict(linearizable: Verdict, durable: Verdict): VerifyResult['verdict'] {
  if (linearizable === false || durable === false) return 'violation'
  if (linearizable === 'unknown' || durable === 'unknown') return 'undecided'
  return 'valid'
}

/** The linearizability summary of a checker result. */
export function summarizeCheck(check: CheckResult): LinearizableSummary {
  const summary: LinearizableSummary = {
    valid: check.valid,
    keys: check.keys,
    states: check.perKey.reduce((n, k) => n + k.states, 0),
    elapsedMs: check.elapsedMs,
  }
  if (check.reason) summary.reason = check.reason
  if (check.counterexample) summary.counterexample = check.counterexample
  return summary
}

/** Counts of ok / failed / unknown per kind of operation. */
export function countByOp(ops: readonly HistoryOp[]): VerifyResult['byOp'] {
  const out: VerifyResult['byOp'] = {}
  for (const op of ops) {
    const c = (out[op.op] ??= {ok: 0, failed: 0, unknown: 0})
    if (op.ok === true) c.ok++
    else if (op.ok === false) c.failed++
    else c.unknown++
  }
  return out
}
