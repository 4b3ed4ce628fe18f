/**
 * The durability check of `raftctl verify`: after the faults are healed, and again after every
 * node was killed and restarted, the final value of every key must still reflect every
 * acknowledged write. The rule (docs/verify.md, "The durability rule"):
 *
 * A write `w` is ACKNOWLEDGED when its history op has `ok: true` (put, a cas that swapped,
 * append, delete). It MAY HAVE TAKEN EFFECT when `ok` is true or `"unknown"`. `w` PRECEDES `a`
 * when `w` returned before `a` was called (an unknown op never returned, so it precedes nothing).
 *
 * Register keys (put / cas / delete): the final value `v` must have a WRITER: a write that may
 * have taken effect and leaves `v` (a put or cas of `v`, a delete for absent; for absent also the
 * initial state, which precedes every op). Some writer of `v` must not precede any
 * acknowledged write: a write that completed before an acknowledged write was even called
 * cannot be the last one. So an acknowledged put is visible unless a later write may have
 * replaced it, and no value comes from nowhere, from a failed write, or from the past.
 *
 * Append keys (append only): the final value must be a sequence of the tokens the workload
 * appends (`a<client>.<n>;`), where every token is one that an append of this key that may have
 * taken effect added (none from a failed append, none invented), no token appears twice
 * (exactly-once sessions), every acknowledged append's token appears, and two tokens appear in
 * real-time order: if append `a` precedes append `b`, `a`'s token comes first.
 *
 * Across the restart: nothing writes between the two reads, so the value read after the
 * restart must EQUAL the value read after healing (and both must satisfy the rule).
 *
 * A key whose final value could not be read (and where no violation showed) is undecided; a
 * key mixing appends with other writes has no rule here and is undecided too.
 */
import {KvClient, toClientError, type ClientTlsOptions, type Endpoint} from '../client/index.js'
import type {HistoryOp} from './history.js'
import type {Verdict} from './checker.js'

/** The kind of key, which picks the rule. */
export type KeyKind = 'register' | 'append'

/** A final read: the value, or why it could not be read. */
export type FinalRead = {readonly value: string | null} | {readonly error: string}

/** The verdict for one key. */
export interface KeyDurability {
  key: string
  kind: KeyKind | 'mixed'
  valid: Verdict
  /** What was read after healing / after the full restart (absent: not read). */
  afterHeal?: FinalRead
  afterRestart?: FinalRead
  /** What is wrong, one sentence each (empty when valid). */
  problems: string[]
  /** Why the verdict is unknown. */
  reason?: string
}

/** The result of {@link checkDurability}. */
export interface DurabilityResult {
  valid: Verdict
  /** Keys checked. */
  keys: number
  /** Acknowledged writes (ok true) in the history. */
  acknowledged: number
  /** Whether the reads after the full restart were done. */
  restarted: boolean
  /** Keys that violate the rule (all of them). */
  violations: KeyDurability[]
  /** Keys without a verdict (all of them). */
  undecided: KeyDurability[]
  /** Why there is no verdict at all (e.g. the cluster did not recover). */
  reason?: string
}

/** Input of {@link checkDurability}. */
export interface DurabilityInput {
  readonly history: readonly HistoryOp[]
  /** Kinds of the keys to check (default: inferred from the history; every key of the history is checked). */
  readonly kinds?: ReadonlyMap<string, KeyKind>
  readonly afterHeal: ReadonlyMap<string, FinalRead>
  /** Absent: the full restart was not done (the verdict is then at best undecided, unless {@link restartSkipped}). */
  readonly afterRestart?: ReadonlyMap<string, FinalRead>
  /**
   * The full restart was left out on purpose (a cluster that runs elsewhere: its processes cannot
   * be killed from here): the verdict rests on the reads after healing alone. Default false.
   */
  readonly restartSkipped?: boolean
  /** Set when the final reads could not be made at all. */
  readonly reason?: string
}

/** Apply the durability rule to every key of the history. */
export function checkDurability(input: DurabilityInput): DurabilityResult {
  const byKey = new Map<string, HistoryOp[]>()
  for (const op of input.history) {
    let list = byKey.get(op.key)
    if (!list) byKey.set(op.key, (list = []))
    list.push(op)
  }
  for (const key of input.kinds?.keys() ?? []) if (!byKey.has(key)) byKey.set(key, [])
  const perKey = [...byKey].map(([key, ops]) => checkKey(key, ops, input.kinds?.get(key), input.afterHeal.get(key), input.afterRestart?.get(key), input.afterRestart !== undefined, input.restartSkipped !== true))
  const violations = perKey.filter((k) => k.valid === false)
  const undecided = perKey.filter((k) => k.valid === 'unknown')
  const result: DurabilityResult = {
    valid: violations.length > 0 ? false : undecided.length > 0 || input.reason !== undefined ? 'unknown' : true,
    keys: perKey.length,
    acknowledged: input.history.filter((op) => op.ok === true && op.op !== 'get').length,
    restarted: input.afterRestart !== undefined,
    violations,
    undecided,
  }
  if (input.reason !== undefined) result.reason = input.reason
  return result
}

/**
 * The verdict for one key from its ops and its final reads. Without a full restart (`restarted`
 * false) the key is undecided, unless the restart was not `restartRequired` (left out on purpose).
 */
export function checkKey(key: string, ops: readonly HistoryOp[], kind: KeyKind | undefined, afterHeal: FinalRead | undefined, afterRestart: FinalRead | undefined, restarted = true, restartRequired = true): KeyDurability {
  const actual = kind ?? inferKind(ops)
  const result: KeyDurability = {key, kind: actual, valid: true, problems: []}
  if (afterHeal) result.afterHeal = afterHeal
  if (afterRestart) result.afterRestart = afterRestart
  if (actual === 'mixed') return undecided(result, 'the key mixes appends with other writes: no durability rule applies')
  const rule = actual === 'append' ? appendProblems : registerProblems
  const missing: string[] = []
  for (const [phase, read] of [['after healing', afterHeal], ['after the full restart', afterRestart]] as const) {
    if (read === undefined) {
      if (phase === 'after healing' || restarted) missing.push(`not read ${phase}`)
      continue
    }
    if ('error' in read) {
      missing.push(`could not be read ${phase} (${read.error})`)
      continue
    }
    for (const p of rule(ops, read.value)) result.problems.push(`${phase}: ${p}`)
  }
  if (afterHeal && afterRestart && 'value' in afterHeal && 'value' in afterRestart && afterHeal.value !== afterRestart.value) {
    result.problems.push(`the value changed across the restart (${show(afterHeal.value)} → ${show(afterRestart.value)}) although nothing wrote in between`)
  }
  if (!restarted && restartRequired) missing.push('the full restart was not done')
  if (result.problems.length > 0) result.valid = false
  else if (missing.length > 0) return undecided(result, missing.join('; '))
  return result
}

function undecided(result: KeyDurability, reason: string): KeyDurability {
  result.valid = 'unknown'
  result.reason = reason
  return result
}

/** `append` when every write of the key is an append, `register` when none is, else `mixed`. */
export function inferKind(ops: readonly HistoryOp[]): KeyKind | 'mixed' {
  const writes = ops.filter((op) => op.op !== 'get')
  const appends = writes.filter((op) => op.op === 'append').length
  if (appends === 0) return 'register'
  return appends === writes.length ? 'append' : 'mixed'
}

const mayHaveTakenEffect = (op: HistoryOp): boolean => op.ok === true || op.ok === 'unknown'
/** The return time of an op; an unknown op never returned. */
const returned = (op: HistoryOp): number => (op.ok === 'unknown' || op.return === undefined ? Infinity : op.return)

/** Problems with `value` as the final value of a register key (empty: it satisfies the rule). */
export function registerProblems(ops: readonly HistoryOp[], value: string | null): string[] {
  const writes = ops.filter((op) => op.op === 'put' || op.op === 'cas' || op.op === 'delete')
  const acknowledged = writes.filter((op) => op.ok === true)
  const leaves = (op: HistoryOp): string | null => (op.op === 'delete' ? null : op.value ?? null)
  // Writers of the value: writes that may have taken effect and leave it; for absent, also the initial state.
  const writerReturns = writes.filter((op) => mayHaveTakenEffect(op) && leaves(op) === value).map(returned)
  if (value === null) writerReturns.push(-Infinity)
  if (writerReturns.length === 0) {
    const failed = writes.find((op) => op.ok === false && leaves(op) === value)
    return [failed ? `${show(value)} was written by a write that failed (ok false)` : `${show(value)} was never written to this key`]
  }
  const latest = Math.max(...writerReturns)
  const later = acknowledged.filter((a) => a.call > latest)
  if (later.length === 0) return []
  const lost = later.sort((a, b) => a.call - b.call)[0]!
  const what = value === null ? 'absent (the initial state or a delete)' : show(value)
  return [`${what} was written before the acknowledged ${lost.op} of ${show(lost.value ?? null)} (called at ${lost.call}) was even called: that write is lost`]
}

/** Problems with `value` as the final value of an append key (empty: it satisfies the rule). */
export function appendProblems(ops: readonly HistoryOp[], value: string | null): string[] {
  const appends = ops.filter((op) => op.op === 'append')
  const text = value ?? ''
  if (text !== '' && !text.endsWith(';')) return [`${show(value)} is not a sequence of appended tokens ("…;")`]
  const tokens = text === '' ? [] : text.slice(0, -1).split(';').map((t) => `${t};`)
  const byToken = new Map<string, HistoryOp>()
  for (const op of appends) byToken.set(op.value ?? '', op)
  const problems: string[] = []
  const position = new Map<string, number>()
  tokens.forEach((token, i) => {
    const op = byToken.get(token)
    if (op === undefined) problems.push(`${show(token)} was never appended to this key`)
    else if (op.ok === false) problems.push(`${show(token)} comes from an append that failed (ok false)`)
    if (position.has(token)) problems.push(`${show(token)} appears twice (an append applied twice)`)
    else position.set(token, i)
  })
  for (const op of appends) {
    if (op.ok === true && !position.has(op.value ?? '')) problems.push(`the acknowledged append of ${show(op.value ?? '')} (called at ${op.call}) is missing`)
  }
  // Real-time order: among the appends present, one that returned before another was called comes first.
  const present = appends.filter((op) => position.has(op.value ?? '') && op.ok !== false).sort((a, b) => position.get(a.value!)! - position.get(b.value!)!)
  for (let i = 0; i < present.length; i++) {
    for (let j = i + 1; j < present.length; j++) {
      const earlier = present[i]!
      const later = present[j]!
      if (returned(later) < earlier.call) {
        problems.push(`${show(later.value!)} returned before ${show(earlier.value!)} was called, yet comes after it`)
        return problems
      }
    }
  }
  return problems
}

function show(value: string | null): string {
  if (value === null) return 'absent'
  const text = JSON.stringify(value)
  return text.length > 60 ? `${text.slice(0, 57)}…"` : text
}

// ---------------------------------------------------------------------------------------------
// Reading the final values

/** Default time one final read may take over its retries, ms. */
export const DEFAULT_FINAL_READ_DEADLINE_MS = 10_000

/** Read every key with linearizable gets (through the leader). A key that cannot be read gets its error. */
export async function readFinalValues(endpoints: readonly Endpoint[], access: {readonly secret: string; readonly clusterId?: string; readonly tls?: ClientTlsOptions}, keys: Iterable<string>, deadlineMs = DEFAULT_FINAL_READ_DEADLINE_MS): Promise<Map<string, FinalRead>> {
  const kv = new KvClient({endpoints, ...access, timeoutMs: Math.min(2000, deadlineMs), deadlineMs, maxAttempts: 30})
  const out = new Map<string, FinalRead>()
  try {
    const list = [...keys]
    const batch = 16
    for (let i = 0; i < list.length; i += batch) {
      await Promise.all(list.slice(i, i + batch).map(async (key) => {
        try {
          out.set(key, {value: (await kv.get(key)).value})
        } catch (error) {
          out.set(key, {error: toClientError(error).code})
        }
      }))
    }
  } finally {
    await kv.close()
  }
  return out
}
