/**
 * The linearizability checker behind `raftctl check` (and `raftctl verify`): the public entry
 * point. Linearizability is local, so the history is split by key and each key is searched on
 * its own (src/verify/linearize.ts does the search against a string-register model). This file
 * combines the per-key verdicts, applies the budgets (over budget: `'unknown'`, never a pass)
 * and, for a violation, finds the smallest failing prefix and describes it. See docs/checker.md.
 */
import type {HistoryOp} from './history.js'
import {RaftctlError} from '../common/errors.js'
import {projectHistory} from './project.js'
import {compileKey, searchKey, type CompiledKey, type IndexedOp, type SearchBudget, type SearchOutcome, type UnknownReason, type Verdict} from './linearize.js'

export type {UnknownReason, Verdict} from './linearize.js'

// ---------------------------------------------------------------------------------------------
// Public types

/** Options of {@link checkHistory}. Every limit has a documented default. */
export interface CheckOptions {
  /** Wall-clock budget for the whole check, in ms. Default {@link DEFAULT_TIME_LIMIT_MS}. */
  timeLimitMs?: number
  /** Most configurations remembered per key before giving up. Default {@link DEFAULT_MAX_STATES}. */
  maxStates?: number
  /** Most bytes the per-key cache may use before giving up. Default {@link DEFAULT_MAX_MEMORY_BYTES}. */
  maxMemoryBytes?: number
  /** Search for the smallest failing prefix of a violation. Default true. */
  minimize?: boolean
  /** 1-based line numbers of the ops (as from `parseHistory`), copied into reported ops. */
  lines?: readonly number[]
}

/** Default time budget: 30 s. */
export const DEFAULT_TIME_LIMIT_MS = 30_000
/** Default state budget per key: one million remembered configurations. */
export const DEFAULT_MAX_STATES = 1_000_000
/** Default memory budget per key for remembered configurations: 512 MiB. */
export const DEFAULT_MAX_MEMORY_BYTES = 512 * 1024 * 1024

/** An operation of the input, with its position there (0-based) and its line when known. */
export type OpRef = HistoryOp & {index: number; line?: number}

/** The verdict for one key. */
export interface KeyResult {
  key: string
  /** Operations of this key in the input (including those that carry no constraint). */
  ops: number
  valid: Verdict
  /** Configurations remembered by the search. */
  states: number
  elapsedMs: number
  reason?: UnknownReason
}

/**
 * A violation: the smallest failing prefix found for one key. The ops of `key` called up to
 * `at` cannot be linearized (those still running at `at` count as unknown, or as never having
 * happened when they failed); when `minimal` is true, the same ops up to just before `at` can.
 */
export interface Counterexample {
  key: string
  /** The time at which the history of `key` stops being linearizable. */
  at: number
  /** The op that completes at `at`: its result cannot be accommodated. */
  culprit: OpRef
  /** Every op of `key` called by `at`, by call time. */
  ops: OpRef[]
  /** The longest partial linearization the search found for `ops`, with the value after each. */
  linearized: Array<{op: OpRef; after: string | null}>
  /** True when the prefix just before `at` was shown linearizable (the cut is the smallest). */
  minimal: boolean
}

/** The outcome of {@link checkHistory}. */
export interface CheckResult {
  valid: Verdict
  /** Operations in the history. */
  ops: number
  /** Distinct keys. */
  keys: number
  /** Operations by `ok` field. */
  counts: {ok: number; failed: number; unknown: number}
  /** Set when `valid` is `'unknown'`: the first budget that ran out. */
  reason?: UnknownReason
  perKey: KeyResult[]
  /** Set when `valid` is false. */
  counterexample?: Counterexample
  elapsedMs: number
}

// ---------------------------------------------------------------------------------------------
// Entry point

/**
 * Check a whole history for linearizability against a per-key string register (absent
 * initially; put sets, delete makes absent, append concatenates, cas compares-and-sets, get
 * reads). Over budget the verdict is `'unknown'`, never `true`.
 *
 * @throws RaftctlError `BAD_INPUT` when a completed op has no `return` or one before its `call`
 * (histories from `parseHistory` never do).
 */
export function checkHistory(history: readonly HistoryOp[], options: CheckOptions = {}): CheckResult {
  const started = performance.now()
  const budget = makeBudget(options, started)
  const byKey = partitionByKey(history, options.lines)
  const perKey: KeyResult[] = []
  let counterexample: Counterexample | undefined
  for (const [key, ops] of byKey) {
    const keyResult = checkKey(key, ops, budget)
    perKey.push(keyResult)
    // Explain the first violation at once, while the time budget is still there.
    if (keyResult.valid === false && !counterexample) counterexample = explainFailure(key, ops, budget, options.minimize ?? true)
  }
  const valid = overallVerdict(perKey)
  const result: CheckResult = {valid, ops: history.length, keys: byKey.size, counts: countOutcomes(history), perKey, elapsedMs: 0}
  if (valid === 'unknown') result.reason = perKey.find((k) => k.reason)?.reason
  if (counterexample) result.counterexample = counterexample
  result.elapsedMs = round(performance.now() - started)
  return result
}

/**
 * The history as it stood at time `t`: ops called after `t` are left out, completed ops still
 * running at `t` become `'unknown'` (no return), failed ops still running at `t` are left out.
 * If this prefix is not linearizable, neither is the whole history.
 */
export function cutHistory(history: readonly HistoryOp[], t: number): HistoryOp[] {
  return cutIndexed(history.map((op, index) => ({op, index})), t).map((x) => x.op)
}

// ---------------------------------------------------------------------------------------------
// Budgets and results

type Budget = SearchBudget

function makeBudget(options: CheckOptions, started: number): Budget {
  return {
    deadline: started + (options.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS),
    maxStates: options.maxStates ?? DEFAULT_MAX_STATES,
    maxMemoryBytes: options.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES,
  }
}

function overallVerdict(perKey: readonly KeyResult[]): Verdict {
  if (perKey.some((k) => k.valid === false)) return false
  if (perKey.some((k) => k.valid === 'unknown')) return 'unknown'
  return true
}

function countOutcomes(history: readonly HistoryOp[]): CheckResult['counts'] {
  const counts = {ok: 0, failed: 0, unknown: 0}
  for (const op of history) {
    if (op.ok === true) counts.ok++
    else if (op.ok === false) counts.failed++
    else counts.unknown++
  }
  return counts
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100
}

// ---------------------------------------------------------------------------------------------
// Partition and cut

/** An input op with its position in the input and its line. */
interface Indexed extends IndexedOp {
  line?: number
}

/**
 * The ops of each key, in input order; keys in order of first appearance. Range reads and txns
 * count as the single-key ops they mean for each key (src/verify/project.ts), with their index.
 */
function partitionByKey(history: readonly HistoryOp[], lines?: readonly number[]): Map<string, Indexed[]> {
  history.forEach((op, index) => checkCompleted(op, index))
  const byKey = new Map<string, Indexed[]>()
  for (const {op, index} of projectHistory(history)) {
    let list = byKey.get(op.key)
    if (!list) byKey.set(op.key, (list = []))
    list.push({op, index, line: lines?.[index]})
  }
  return byKey
}

/** A completed op needs a return time not before its call (the parser guarantees it). */
function checkCompleted(op: HistoryOp, index: number): void {
  if (op.ok === 'unknown') return
  if (op.return === undefined || !(op.return >= op.call)) {
    throw new RaftctlError('BAD_INPUT', `op ${index}: a completed op needs "return" >= "call"`, {index})
  }
}

/** The rule of {@link cutHistory}, keeping each op's position and line. */
function cutIndexed(ops: readonly Indexed[], t: number): Indexed[] {
  const out: Indexed[] = []
  for (const x of ops) {
    const {op} = x
    if (op.call > t) continue
    if (op.ok === 'unknown' || (op.return ?? Infinity) <= t) {
      out.push(x)
    } else if (op.ok === true) {
      const pending: HistoryOp = {...op, ok: 'unknown'}
      delete pending.return
      out.push({...x, op: pending})
    }
  }
  return out
}

function toRef(x: Indexed): OpRef {
  const ref: OpRef = {...x.op, index: x.index}
  if (x.line !== undefined) ref.line = x.line
  return ref
}

// ---------------------------------------------------------------------------------------------
// One key

function checkKey(key: string, ops: readonly Indexed[], budget: Budget): KeyResult {
  const started = performance.now()
  const outcome = searchKey(compileKey(ops), budget)
  const result: KeyResult = {key, ops: ops.length, valid: outcome.verdict, states: outcome.states, elapsedMs: 0}
  if (outcome.reason) result.reason = outcome.reason
  result.elapsedMs = round(performance.now() - started)
  return result
}

/**
 * Find the smallest failing prefix of a failing key by bisection over return times (failure
 * of a prefix is monotone in its cut time), and describe it.
 */
function explainFailure(key: string, ops: readonly Indexed[], budget: Budget, minimize: boolean): Counterexample {
  const times = returnTimes(ops)
  let lo = 0
  let hi = times.length - 1
  const provenValid = new Set<number>()
  while (minimize && lo < hi) {
    const mid = (lo + hi) >> 1
    const verdict = searchKey(compileKey(cutIndexed(ops, times[mid]!)), budget).verdict
    if (verdict === false) hi = mid
    else {
      if (verdict === true) provenValid.add(mid)
      lo = mid + 1
    }
  }
  const at = times[hi]!
  const prefix = cutIndexed(ops, at)
  const compiled = compileKey(prefix)
  const outcome = explainingSearch(compiled, budget)
  return {
    key,
    at,
    culprit: toRef(pickCulprit(ops, at, outcome.stuck, compiled)),
    ops: originalsByCall(ops, prefix),
    linearized: describeLinearization(compiled, outcome.best, ops),
    minimal: hi === 0 || provenValid.has(hi - 1),
  }
}

/** States the unpruned search for a readable partial linearization may use. */
const EXPLAIN_MAX_STATES = 100_000

/**
 * Search a failing prefix again for its longest partial linearization. Value-demand pruning
 * cuts attempts short (it refuses to leave a value a pending read still needs), so try without
 * it first, under a small state budget; fall back to the pruned search.
 */
function explainingSearch(compiled: CompiledKey, budget: Budget): SearchOutcome {
  const unpruned = searchKey(compiled, {...budget, maxStates: Math.min(budget.maxStates, EXPLAIN_MAX_STATES)}, false)
  return unpruned.verdict === false ? unpruned : searchKey(compiled, budget)
}

/** The original form of the ops of a cut prefix (not their cut form), by call time. */
function originalsByCall(ops: readonly Indexed[], prefix: readonly Indexed[]): OpRef[] {
  const kept = new Set(prefix.map((x) => x.index))
  return ops
    .filter((x) => kept.has(x.index))
    .sort((a, b) => a.op.call - b.op.call || a.index - b.index)
    .map(toRef)
}

/** Distinct return times of completed ops, ascending. */
function returnTimes(ops: readonly Indexed[]): number[] {
  const set = new Set<number>()
  for (const {op} of ops) if (op.ok !== 'unknown' && op.return !== undefined) set.add(op.return)
  return [...set].sort((a, b) => a - b)
}

/** The op completing at `at`: the one the search got stuck on if it completes then, else the first. */
function pickCulprit(ops: readonly Indexed[], at: number, stuck: number, compiled: CompiledKey): Indexed {
  const stuckIndex = stuck >= 0 ? compiled.ops[stuck]!.index : -1
  const atCut = ops.filter((x) => x.op.ok !== 'unknown' && x.op.return === at)
  return atCut.find((x) => x.index === stuckIndex) ?? atCut[0]!
}

/**
 * Replay a partial linearization on the plain register, naming each op in its original form.
 * Unknown cas ops that the search set aside as unable to take effect are left out.
 */
function describeLinearization(compiled: CompiledKey, order: readonly number[], originals: readonly Indexed[]): Counterexample['linearized'] {
  const byIndex = new Map(originals.map((x) => [x.index, x]))
  const steps: Counterexample['linearized'] = []
  let value: string | null = null
  for (const i of order) {
    const original = byIndex.get(compiled.ops[i]!.index)!
    if (original.op.op === 'cas' && original.op.ok === 'unknown' && value !== original.op.expected) continue
    value = registerAfter(value, original.op)
    steps.push({op: toRef(original), after: value})
  }
  return steps
}

/** The register's value after `op` took effect on `value` (a failed cas changes nothing). */
function registerAfter(value: string | null, op: HistoryOp): string | null {
  switch (op.op) {
    case 'put':
      return op.value ?? null
    case 'delete':
      return null
    case 'append':
      return (value ?? '') + (op.value ?? '')
    case 'cas':
      return value === op.expected ? (op.value ?? null) : value
    default:
      return value
  }
}
