/**
 * The nemesis of `raftctl verify`: the seeded fault schedules of `raftctl chaos run`
 * (src/chaos/schedule.ts: the same fault names, the same plan for the same seed, duration,
 * faults and nodes), run on the history's clock, and turned into fault WINDOWS for the reports:
 * when each fault was really in force, in nanoseconds on the clock of the history.
 *
 * A plan is one fault per interval (default 5 s): it starts a quarter interval in, lasts 40–70 %
 * of the interval and is healed, so the cluster has calm time to recover before the next one.
 * Node faults hit a minority and partitions leave a majority side, so the cluster as a whole can
 * make progress between (and often during) faults. Network and disk faults are added with a
 * `forMs`, so they heal themselves even if verify dies half-way.
 */
import {
  CHAOS_FAULT_NAMES, DEFAULT_CHAOS_FAULTS, DEFAULT_INTERVAL_MS, planSchedule, runSchedule,
  type AppliedAction, type ChaosExecutor, type ChaosFaultName, type ScheduledFault,
} from '../chaos/schedule.js'
import type {MonotonicClock} from './workload.js'
import type {FaultSummary} from './result.js'

/** The fault names of `--faults` (those of `raftctl chaos run`). */
export type NemesisKind = ChaosFaultName

/** Every {@link NemesisKind}. */
export const NEMESIS_KINDS: readonly NemesisKind[] = CHAOS_FAULT_NAMES

/** `--faults` default. */
export const DEFAULT_FAULTS: readonly NemesisKind[] = DEFAULT_CHAOS_FAULTS

/** Default time between fault starts, ms. */
export const DEFAULT_FAULT_INTERVAL_MS = DEFAULT_INTERVAL_MS

/** The kinds that need the daemons' live chaos (`chaos.*` admin requests); the others are process faults. */
export const CHAOS_KINDS: ReadonlySet<NemesisKind> = new Set<NemesisKind>(['partition', 'delay', 'drop', 'duplicate', 'reorder', 'disk'])

/** Options of {@link planNemesis}. */
export interface NemesisPlanOptions {
  readonly seed: number
  /** Every fault is healed before this, ms after the start. */
  readonly durationMs: number
  readonly kinds: readonly NemesisKind[]
  /** The nodes of the cluster, e.g. `['n1', 'n2', 'n3']`. */
  readonly nodes: readonly string[]
  /** Time between fault starts, ms. Default {@link DEFAULT_FAULT_INTERVAL_MS}. */
  readonly intervalMs?: number
}

/** The seeded plan: exactly what `raftctl chaos run` would do with the same options. */
export function planNemesis(options: NemesisPlanOptions): ScheduledFault[] {
  return planSchedule({durationMs: options.durationMs, faults: options.kinds, seed: options.seed, nodes: options.nodes, intervalMs: options.intervalMs})
}

/** Options of {@link runNemesis}. */
export interface NemesisRunOptions {
  readonly clock: MonotonicClock
  /** The workload's length, ms: the final heal happens then (or when `signal` aborts). */
  readonly durationMs: number
  /** Stops the schedule early: nothing more starts, everything is healed at once. */
  readonly signal?: AbortSignal
  /** Told of each action as soon as it is done (progress output). */
  readonly onAction?: (action: AppliedAction, atNs: number) => void
}

/** What {@link runNemesis} returns. */
export interface NemesisRun {
  /** Every action as applied (the last one heals everything). */
  readonly applied: readonly AppliedAction[]
  /** The fault windows, for the reports. */
  readonly faults: FaultSummary[]
}

/**
 * Run `plan` through `executor` on the history's clock, heal everything at the end, and return
 * the fault windows. Never rejects: failed actions are recorded (the runner goes on).
 */
export async function runNemesis(plan: readonly ScheduledFault[], executor: ChaosExecutor, options: NemesisRunOptions): Promise<NemesisRun> {
  const {clock} = options
  const ms = (): number => clock.now() / 1e6
  const offsetMs = ms()
  const run = await runSchedule(plan, executor, {
    durationMs: Math.max(0, options.durationMs - offsetMs),
    signal: options.signal,
    now: ms,
    onAction: (a) => options.onAction?.(a, Math.round((offsetMs + a.elapsedMs) * 1e6)),
  })
  return {applied: run.applied, faults: faultSummaries(run.applied, offsetMs)}
}

/**
 * Pair each fault's start with what ended it (fault → heal, kill → start, pause → resume, a
 * restart with itself; whatever is open ends at the final heal) into windows. `offsetMs` maps
 * the runner's times to the history clock. A window is `applied` when its starting action
 * succeeded, else `failed`; the errors of both ends are its notes.
 */
export function faultSummaries(applied: readonly AppliedAction[], offsetMs = 0): FaultSummary[] {
  const ns = (msFromStart: number): number => Math.round((offsetMs + msFromStart) * 1e6)
  const open = new Map<string, {summary: FaultSummary}>()
  const out: FaultSummary[] = []
  let n = 0
  const close = (key: string, by: AppliedAction): void => {
    const o = open.get(key)
    if (!o) return
    open.delete(key)
    o.summary.end = ns(by.elapsedMs + by.tookMs)
    o.summary.durationMs = Math.max(0, by.atMs - o.summary.atMs)
    if (!by.ok) o.summary.notes.push(`healing failed: ${by.error}`)
  }
  const start = (key: string, a: AppliedAction, id: string, nodes: readonly string[]): FaultSummary => {
    const summary: FaultSummary = {
      id, kind: a.family ?? 'restart', description: a.description, nodes: [...nodes], status: a.ok ? 'applied' : 'failed',
      atMs: a.atMs, durationMs: 0, start: ns(a.elapsedMs), notes: a.ok ? [] : [`failed: ${a.error}`],
    }
    out.push(summary)
    if (key !== '') open.set(key, {summary})
    return summary
  }
  for (const a of applied) {
    const action = a.action
    switch (action.type) {
      case 'fault':
        start(`fault:${action.id}`, a, action.id, action.nodes ?? [])
        break
      case 'heal':
        close(`fault:${action.id}`, a)
        break
      case 'kill':
      case 'pause':
        start(`${action.type}:${action.node}`, a, `${action.type}-${action.node}-${++n}`, [action.node])
        break
      case 'start':
        close(`kill:${action.node}`, a)
        break
      case 'resume':
        close(`pause:${action.node}`, a)
        break
      case 'restart': {
        const s = start('', a, `restart-${action.node}-${++n}`, [action.node])
        s.end = ns(a.elapsedMs + a.tookMs)
        break
      }
      case 'healAll':
        for (const key of [...open.keys()]) close(key, a)
        break
    }
  }
  for (const o of open.values()) o.summary.notes.push('never healed by the schedule')
  return out
}
