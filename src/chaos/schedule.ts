/**
 * Seeded fault schedules for `raftctl chaos run` and `raftctl verify`: what to break, where and
 * when, planned up front from one seed (pure: the same input always gives the same plan), and
 * a runner that applies a plan through a {@link ChaosExecutor} (the CLI's executor drives a
 * local cluster; tests use a fake one), then heals everything.
 *
 * Shape of a plan: one fault per `intervalMs` slot. A slot starts a quarter interval in, the
 * fault lasts 40–70 % of the interval and is then healed, so the cluster has calm time to
 * recover before the next slot. Node faults (kill, pause) hit a minority of the nodes, and a
 * partition always leaves one side with a majority, so the cluster as a whole stays able to
 * make progress between (and often during) faults.
 */
import type {NodeId} from '../raft/types.js'
import {SeededRng} from '../raft/rng.js'
import {tolerates} from '../common/quorum.js'
import {describeFaultSpec, type FaultSpec} from './faults.js'

/** The fault families a schedule can draw from (the `--faults` names). */
export type ChaosFaultName = 'partition' | 'kill' | 'pause' | 'restart' | 'delay' | 'drop' | 'duplicate' | 'reorder' | 'disk'

/** Every family, in the order help texts list them. */
export const CHAOS_FAULT_NAMES: readonly ChaosFaultName[] = ['partition', 'kill', 'pause', 'restart', 'delay', 'drop', 'duplicate', 'reorder', 'disk']

/** The default `--faults`. */
export const DEFAULT_CHAOS_FAULTS: readonly ChaosFaultName[] = ['partition', 'kill', 'pause', 'delay']

/**
 * Parse a comma-separated list of family names (`partition,kill`; `all` for every family).
 * Throws an Error naming the unknown name and listing the known ones.
 */
export function parseFaultNames(text: string): ChaosFaultName[] {
  const names = text.split(',').map((s) => s.trim()).filter((s) => s.length > 0)
  if (names.length === 0) throw new Error(`no fault names given; use some of: ${CHAOS_FAULT_NAMES.join(', ')} (or all)`)
  const out: ChaosFaultName[] = []
  for (const name of names) {
    if (name === 'all') {
      for (const n of CHAOS_FAULT_NAMES) if (!out.includes(n)) out.push(n)
      continue
    }
    if (!(CHAOS_FAULT_NAMES as readonly string[]).includes(name)) {
      throw new Error(`unknown fault "${name}"; use some of: ${CHAOS_FAULT_NAMES.join(', ')} (or all)`)
    }
    if (!out.includes(name as ChaosFaultName)) out.push(name as ChaosFaultName)
  }
  return out
}

/** One step of a schedule. */
export type ChaosAction =
  /** Add a network or disk fault with this id on `nodes` (absent: every node); `forMs`: it heals itself after that long anyway. */
  | {readonly type: 'fault'; readonly id: string; readonly fault: FaultSpec; readonly nodes?: readonly NodeId[]; readonly forMs: number}
  /** Heal the fault `id` on every node. */
  | {readonly type: 'heal'; readonly id: string}
  /** SIGKILL the node. */
  | {readonly type: 'kill'; readonly node: NodeId}
  /** Start a node that is down. */
  | {readonly type: 'start'; readonly node: NodeId}
  /** SIGSTOP the node. */
  | {readonly type: 'pause'; readonly node: NodeId}
  /** SIGCONT the node. */
  | {readonly type: 'resume'; readonly node: NodeId}
  /** Graceful stop, then start. */
  | {readonly type: 'restart'; readonly node: NodeId}
  /** Heal everything: resume paused nodes, start stopped ones, heal every fault on every node (the runner's last step). */
  | {readonly type: 'healAll'}

/** A step of a plan: when (ms after the start), what, and which family it belongs to. */
export interface ScheduledFault {
  /** Planned time, ms after the run starts. */
  readonly atMs: number
  readonly action: ChaosAction
  /** The family that produced it (`healAll`: null). */
  readonly family: ChaosFaultName | null
  /** One line for humans: `partition n1,n2 | n3`, `kill n2`, `heal partition n1,n2 | n3`. */
  readonly description: string
}

/** Input of {@link planSchedule}. */
export interface PlanOptions {
  /** Length of the run, ms. Every action of the plan happens before it. */
  readonly durationMs: number
  /** The families to draw from (each slot picks one, uniformly). Empty: an empty plan. */
  readonly faults: readonly ChaosFaultName[]
  /** Any integer; the same seed (and other options) gives the same plan. */
  readonly seed: number
  /** Time between fault starts, ms. Default 5000. */
  readonly intervalMs?: number
  /** The nodes faults may target (ids, e.g. the running nodes of the cluster). */
  readonly nodes: readonly NodeId[]
}

/** Default time between faults. */
export const DEFAULT_INTERVAL_MS = 5000

/**
 * Plan a random schedule of faults. Pure and deterministic. Actions are sorted by `atMs`; every
 * fault is healed (its `heal`, `start` or `resume` action) before `durationMs`; fault ids are
 * `s<seed>-<slot>` (so one plan's faults are easy to find in `chaos inspect`). Families that
 * need two nodes (partition) are skipped for a one-node cluster.
 */
export function planSchedule(options: PlanOptions): ScheduledFault[] {
  const {durationMs, faults, seed, nodes} = options
  const intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS
  if (!(Number.isFinite(durationMs) && durationMs >= 0)) throw new RangeError(`durationMs must be >= 0, got ${durationMs}`)
  if (!(Number.isFinite(intervalMs) && intervalMs >= 100)) throw new RangeError(`intervalMs must be >= 100, got ${intervalMs}`)
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`)
  const families = faults.filter((f) => f !== 'partition' || nodes.length >= 2)
  if (families.length === 0 || nodes.length === 0) return []
  const rng = new SeededRng(seed)
  const plan: ScheduledFault[] = []
  const offset = Math.round(intervalMs / 4)
  for (let slot = 0; ; slot++) {
    const at = offset + slot * intervalMs
    // Room for the fault and its healing before the end.
    const room = durationMs - at - 1
    if (room < Math.min(100, intervalMs / 4)) break
    const window = Math.max(1, Math.min(room, Math.round(intervalMs * (0.4 + 0.3 * rng.float()))))
    const family = families[rng.int(families.length)]!
    const id = `s${seed}-${slot + 1}`
    for (const [dt, action] of planSlot(family, id, window, nodes, rng)) {
      plan.push({atMs: at + dt, action, family, description: describeAction(action)})
    }
  }
  return plan.sort((a, b) => a.atMs - b.atMs)
}

type Step = readonly [number, ChaosAction]

function planSlot(family: ChaosFaultName, id: string, window: number, nodes: readonly NodeId[], rng: SeededRng): Step[] {
  const fault = (spec: FaultSpec, on?: readonly NodeId[]): Step[] => [
    [0, {type: 'fault', id, fault: spec, ...(on ? {nodes: on} : {}), forMs: window}],
    [window, {type: 'heal', id}],
  ]
  /** All nodes half the time, one random node otherwise. */
  const where = (): readonly NodeId[] | undefined => (rng.int(2) === 0 ? undefined : [pick(nodes, rng)])
  switch (family) {
    case 'partition':
      return fault(planPartition(nodes, rng))
    case 'delay': {
      // 10–60 ms, jitter up to half: a round trip mostly stays below the default election
      // timeout (150 ms), so leaders survive; the longest ones cause a few elections.
      const ms = 10 + rng.int(51)
      return fault({kind: 'delay', ms, jitter: rng.int(Math.floor(ms / 2) + 1)}, where())
    }
    case 'drop':
      return fault({kind: 'drop', rate: round2(0.1 + 0.4 * rng.float())}, where())
    case 'duplicate':
      return fault({kind: 'duplicate', rate: round2(0.1 + 0.5 * rng.float())}, where())
    case 'reorder':
      return fault({kind: 'reorder', rate: round2(0.2 + 0.5 * rng.float()), ms: 10 + rng.int(91)}, where())
    case 'disk':
      return fault({kind: 'disk', fsyncDelayMs: 20 + rng.int(181)}, [pick(nodes, rng)])
    case 'kill':
      return minority(nodes, rng).flatMap((node): Step[] => [[0, {type: 'kill', node}], [window, {type: 'start', node}]])
    case 'pause':
      return minority(nodes, rng).flatMap((node): Step[] => [[0, {type: 'pause', node}], [window, {type: 'resume', node}]])
    case 'restart':
      return [[0, {type: 'restart', node: pick(nodes, rng)}]]
  }
}

/**
 * A partition that leaves a majority side: a quarter of the time one node is isolated, a
 * quarter of the time it is one-way (the minority, put in the later group, hears without being
 * heard, or the other way round), otherwise a random minority | majority split.
 */
function planPartition(nodes: readonly NodeId[], rng: SeededRng): FaultSpec {
  const shuffled = shuffle(nodes, rng)
  const roll = rng.int(4)
  const cut = roll === 0 ? 1 : 1 + rng.int(Math.max(1, tolerates(nodes.length)))
  const small = shuffled.slice(0, cut)
  const big = shuffled.slice(cut)
  if (roll === 1) return rng.int(2) === 0 ? {kind: 'partition', groups: [big, small], oneWay: true} : {kind: 'partition', groups: [small, big], oneWay: true}
  return {kind: 'partition', groups: rng.int(2) === 0 ? [small, big] : [big, small]}
}

/** 1 node, or a random minority (at most the failures n voters tolerate, ⌊(n−1)/2⌋; at least 1). */
function minority(nodes: readonly NodeId[], rng: SeededRng): NodeId[] {
  const max = Math.max(1, tolerates(nodes.length))
  return shuffle(nodes, rng).slice(0, 1 + rng.int(max))
}

function shuffle<T>(items: readonly T[], rng: SeededRng): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1)
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

function pick<T>(items: readonly T[], rng: SeededRng): T {
  return items[rng.int(items.length)]!
}

function round2(x: number): number {
  return Math.round(x * 100) / 100
}

/** One line for humans. */
export function describeAction(action: ChaosAction): string {
  switch (action.type) {
    case 'fault':
      return `${describeFaultSpec(action.fault)}${action.nodes ? ` on ${action.nodes.join(',')}` : ''} [${action.id}]`
    case 'heal':
      return `heal [${action.id}]`
    case 'healAll':
      return 'heal everything'
    default:
      return `${action.type} ${action.node}`
  }
}

// ---------------------------------------------------------------------------------------------
// Running a plan

/**
 * What a schedule is applied through. Each method resolves once the action is done, or rejects
 * (the runner records the error and goes on). The CLI's implementation drives a local cluster:
 * `ClusterChaos` in src/cluster/chaos.ts.
 */
export interface ChaosExecutor {
  /** Add the fault with this id on `nodes` (absent: every running node); it heals itself after `forMs`. */
  addFault(id: string, fault: FaultSpec, options: {readonly nodes?: readonly NodeId[]; readonly forMs?: number}): Promise<void>
  /** Heal the fault `id` on every node. */
  healFault(id: string): Promise<void>
  kill(node: NodeId): Promise<void>
  start(node: NodeId): Promise<void>
  pause(node: NodeId): Promise<void>
  resume(node: NodeId): Promise<void>
  restart(node: NodeId): Promise<void>
  /** Resume paused nodes, start stopped ones, heal every fault on every node. */
  healAll(): Promise<void>
}

/** Apply one action through `executor`. */
export function executeAction(executor: ChaosExecutor, action: ChaosAction): Promise<void> {
  switch (action.type) {
    case 'fault':
      return executor.addFault(action.id, action.fault, {nodes: action.nodes, forMs: action.forMs})
    case 'heal':
      return executor.healFault(action.id)
    case 'healAll':
      return executor.healAll()
    default:
      return executor[action.type](action.node)
  }
}

/** A step as it was applied. */
export interface AppliedAction extends ScheduledFault {
  /** When it actually started, ms after the run started. */
  readonly elapsedMs: number
  /** How long it took, ms. */
  readonly tookMs: number
  readonly ok: boolean
  /** Why it failed (ok false). */
  readonly error?: string
}

/** Options of {@link runSchedule}. */
export interface RunScheduleOptions {
  /** Wait until this long after the start before the final heal (default: the last action's time). */
  readonly durationMs?: number
  /** Stops the run early: the final heal still happens. */
  readonly signal?: AbortSignal
  /** Told of each applied action as soon as it is done (print it). Must not throw. */
  readonly onAction?: (applied: AppliedAction) => void
  /** Heal everything at the end (default true). */
  readonly healAtEnd?: boolean
  /** Clock, ms. Default `performance.now`. */
  readonly now?: () => number
  /** Sleep that ends early when `signal` aborts. Default: setTimeout-based. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
}

/** Result of {@link runSchedule}. */
export interface ScheduleRun {
  /** Every action applied, in order, ending with `healAll` (unless `healAtEnd` is false). */
  readonly applied: AppliedAction[]
  /** True when the signal stopped the run before its end. */
  readonly interrupted: boolean
  /** Length of the whole run, heal included, ms. */
  readonly elapsedMs: number
}

/**
 * Apply `schedule` through `executor`, each action at its planned time (or as soon as the
 * previous one is done, when that is later), then wait until `durationMs` and heal everything.
 * Failed actions are recorded, not thrown. When `signal` aborts, no further action is started
 * and the final heal runs at once.
 */
export async function runSchedule(schedule: readonly ScheduledFault[], executor: ChaosExecutor, options: RunScheduleOptions = {}): Promise<ScheduleRun> {
  const now = options.now ?? (() => performance.now())
  const sleep = options.sleep ?? abortableSleep
  const {signal} = options
  const start = now()
  const applied: AppliedAction[] = []
  const apply = async (step: ScheduledFault): Promise<void> => {
    const began = now()
    let error: string | undefined
    try {
      await executeAction(executor, step.action)
    } catch (err) {
      error = (err as Error)?.message ?? String(err)
    }
    const done: AppliedAction = {...step, elapsedMs: Math.round(began - start), tookMs: Math.round(now() - began), ok: error === undefined, ...(error === undefined ? {} : {error})}
    applied.push(done)
    options.onAction?.(done)
  }
  for (const step of schedule) {
    if (signal?.aborted) break
    const wait = step.atMs - (now() - start)
    if (wait > 0) await sleep(wait, signal)
    if (signal?.aborted) break
    await apply(step)
  }
  const end = options.durationMs ?? (schedule.length > 0 ? schedule[schedule.length - 1]!.atMs : 0)
  if (!signal?.aborted) {
    const wait = end - (now() - start)
    if (wait > 0) await sleep(wait, signal)
  }
  const interrupted = signal?.aborted === true
  if (options.healAtEnd !== false) {
    await apply({atMs: Math.round(now() - start), action: {type: 'healAll'}, family: null, description: describeAction({type: 'healAll'})})
  }
  return {applied, interrupted, elapsedMs: Math.round(now() - start)}
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve()
    const done = (): void => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done)
  })
}

// ---------------------------------------------------------------------------------------------
// Fault windows (for reports: shade the time a fault was in force)

/** A period during which one fault was in force. */
export interface FaultWindow {
  readonly family: ChaosFaultName
  /** `partition n1 | n2,n3`, `kill n2`, … (the starting action's description). */
  readonly description: string
  /** Nodes it targeted (empty: every node). */
  readonly nodes: readonly NodeId[]
  readonly startMs: number
  /** When it was healed (or `endMs` when never healed); equal to startMs for `restart`. */
  readonly endMs: number
}

/**
 * The windows of a plan or of an applied run: a fault from its `fault` to its `heal`, a kill
 * from `kill` to `start`, a pause from `pause` to `resume`, a restart as an instant; whatever
 * is still open ends at `healAll` or at `endMs`. `time` picks the time of an item: planned
 * (`atMs`, default) or applied (`elapsedMs`).
 */
export function faultWindows<T extends ScheduledFault>(items: readonly T[], endMs: number, time: (item: T) => number = (i) => i.atMs): FaultWindow[] {
  const open = new Map<string, {item: T; nodes: readonly NodeId[]}>()
  const windows: FaultWindow[] = []
  const close = (key: string, at: number): void => {
    const o = open.get(key)
    if (!o) return
    open.delete(key)
    windows.push({family: o.item.family!, description: o.item.description, nodes: o.nodes, startMs: time(o.item), endMs: Math.max(time(o.item), at)})
  }
  for (const item of items) {
    const a = item.action
    const t = time(item)
    switch (a.type) {
      case 'fault':
        open.set(`fault:${a.id}`, {item, nodes: a.nodes ?? []})
        break
      case 'heal':
        close(`fault:${a.id}`, t)
        break
      case 'kill':
      case 'pause':
        open.set(`${a.type}:${a.node}`, {item, nodes: [a.node]})
        break
      case 'start':
        close(`kill:${a.node}`, t)
        break
      case 'resume':
        close(`pause:${a.node}`, t)
        break
      case 'restart':
        windows.push({family: item.family ?? 'restart', description: item.description, nodes: [a.node], startMs: t, endMs: t})
        break
      case 'healAll':
        for (const key of [...open.keys()]) close(key, t)
        break
    }
  }
  for (const key of [...open.keys()]) close(key, endMs)
  return windows.sort((a, b) => a.startMs - b.startMs)
}
