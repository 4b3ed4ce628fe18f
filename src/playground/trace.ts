/**
 * Simulator traces for the playground page (`raftctl sim run --seed N --open`, `--trace FILE`):
 * the recorder that turns a simulator run into a compact list of steps (messages sent, node
 * state and log changes, trace lines), and the page-side player that replays those steps in
 * the playground's view. The recorder sees the simulation only through the small structural
 * interface the simulator's observer hook offers (no import of src/sim). Browser-safe: imports
 * only the core's types.
 */
import type {Entry, Message, NodeId, RaftStatus} from '../raft/index.js'
import type {Flight, LogLine, NodeView} from './engine.js'

export const TRACE_FORMAT = 'raftctl-sim-trace/1'

/** Limits of a trace the page accepts. */
export const TRACE_LIMITS = {
  /** Most steps in one trace (about 100 MB of JSON at most). */
  maxSteps: 2_000_000,
  /** Messages drawn after they arrived or were lost (virtual ms). */
  keepMessagesMs: 60,
} as const

/** What a node shows in a trace (changes only are recorded). */
export interface TraceNodeState {
  readonly up: boolean
  readonly role: RaftStatus['role']
  readonly term: number
  readonly vote: NodeId | null
  readonly leader: NodeId | null
  readonly commit: number
  readonly first: number
}

/** A message as the page draws it. */
export interface TraceMessage {
  readonly type: Message['type']
  readonly term: number
  readonly pre?: boolean
  readonly granted?: boolean
  readonly success?: boolean
  /** Entries carried by an append. */
  readonly n?: number
}

/**
 * One step of a trace, at virtual time `t`:
 * - `send`: a message, arriving at each of `arrives` (empty: lost);
 * - `node`: a node's state changed;
 * - `log`: a node's log from index `from` on is now `terms` (entries before `from` unchanged;
 *   with `reset`, the log now starts at `from`: compaction, a snapshot, a restart);
 * - `line`: a line of the simulator's own trace (what `sim run --seed N` prints);
 * - `faults`: the network faults in force changed (the nemesis's partitions, drops, delays…).
 */
export type TraceStep =
  | {readonly k: 'send'; readonly t: number; readonly from: NodeId; readonly to: NodeId; readonly m: TraceMessage; readonly arrives: readonly number[]}
  | {readonly k: 'node'; readonly t: number; readonly id: NodeId; readonly s: TraceNodeState}
  | {readonly k: 'log'; readonly t: number; readonly id: NodeId; readonly from: number; readonly terms: readonly number[]; readonly reset?: true}
  | {readonly k: 'line'; readonly t: number; readonly text: string}
  | {readonly k: 'faults'; readonly t: number; readonly faults: readonly TraceFault[]}

/** A recorded simulator run. */
export interface SimTrace {
  readonly format: typeof TRACE_FORMAT
  readonly seed: number
  /** The violation that ended the run, at virtual time `at`, with the nodes its message names. */
  readonly violation: {readonly property: string; readonly message: string; readonly at: number; readonly nodes: readonly NodeId[]} | null
  /** Virtual time at the end of the run. */
  readonly end: number
  /** What `sim run --seed N` says about the options (disk mode and so on), for the caption. */
  readonly replay: string
  readonly steps: readonly TraceStep[]
}

/**
 * A network fault as the page draws it (the shape of src/chaos's faults, which this layer does
 * not import): a partition's groups, or the links another kind acts on (no scope: all).
 */
export interface TraceFault {
  readonly kind: string
  readonly groups?: readonly (readonly NodeId[])[]
  readonly oneWay?: boolean
  readonly scope?: {readonly from?: readonly NodeId[]; readonly to?: readonly NodeId[]}
  readonly ms?: number
}

/** The part of a running node the recorder reads (a Replica has it). */
export interface ObservedRaft {
  status(): RaftStatus
  entryAt(index: number): Entry | undefined
}

/** A node of the simulation as the recorder sees it: its replica, or null while down. */
export interface ObservedNode {
  readonly id: NodeId
  readonly replica: ObservedRaft | null
}

/**
 * Records a simulator run as a {@link SimTrace}: pass it as the simulation's observer, then
 * {@link finish} with the result. Keeps a mirror of every node's log terms so that each event
 * records only what changed.
 */
export class TraceRecorder {
  readonly steps: TraceStep[] = []
  private readonly states = new Map<NodeId, TraceNodeState>()
  private readonly logs = new Map<NodeId, {first: number; terms: number[]}>()
  private faultsKey = '[]'

  /** A message was sent at `time`; it arrives after each of `delays` ms (none: lost). */
  onSend(time: number, m: Message, delays: readonly number[]): void {
    this.steps.push({k: 'send', t: time, from: m.from, to: m.to, m: summarize(m), arrives: delays.map((d) => time + d)})
  }

  /** A line of the simulator's trace. */
  onLog(time: number, line: string): void {
    this.steps.push({k: 'line', t: time, text: line})
  }

  /** After every event: record what changed on each node, and in the network's faults. */
  afterEvent(time: number, nodes: Iterable<ObservedNode>, faults: readonly TraceFault[] = []): void {
    const shown = faults.map((f) => ({kind: f.kind, groups: f.groups, oneWay: f.oneWay, scope: f.scope, ms: f.ms}))
    const key = JSON.stringify(shown)
    if (key !== this.faultsKey) {
      this.faultsKey = key
      this.steps.push({k: 'faults', t: time, faults: JSON.parse(key) as TraceFault[]})
    }
    for (const n of nodes) {
      const st = n.replica?.status() ?? null
      const prev = this.states.get(n.id)
      const next: TraceNodeState = st === null
        ? {...(prev ?? {role: 'follower', term: 0, vote: null, leader: null, commit: 0, first: 1}), up: false}
        : {up: true, role: st.role, term: st.term, vote: st.vote, leader: st.leader, commit: st.commitIndex, first: st.firstIndex}
      if (!prev || !sameState(prev, next)) {
        this.states.set(n.id, next)
        this.steps.push({k: 'node', t: time, id: n.id, s: next})
      }
      if (st !== null && n.replica) this.diffLog(time, n.id, n.replica, st)
    }
  }

  /** The trace of the run that ended with `result`. */
  finish(seed: number, end: number, violation: {property: string; message: string} | undefined, replay: string): SimTrace {
    return {
      format: TRACE_FORMAT, seed, end, replay, steps: this.steps,
      violation: violation ? {...violation, at: end, nodes: [...new Set(violation.message.match(/\bn\d+\b/g) ?? [])]} : null,
    }
  }

  /**
   * Compare the node's log with the mirror from the end: by log matching, once an (index, term)
   * agrees everything before it does too, so a plain append costs only the new entries.
   */
  private diffLog(time: number, id: NodeId, raft: ObservedRaft, st: RaftStatus): void {
    let mirror = this.logs.get(id)
    if (!mirror || mirror.first !== st.firstIndex) {
      mirror = {first: st.firstIndex, terms: []}
      this.logs.set(id, mirror)
      const terms = this.termsFrom(raft, st.firstIndex, st.lastIndex)
      mirror.terms = terms
      this.steps.push({k: 'log', t: time, id, from: st.firstIndex, terms, reset: true})
      return
    }
    const mirrorLast = mirror.first + mirror.terms.length - 1
    if (mirrorLast === st.lastIndex && (mirror.terms.length === 0 || mirror.terms[mirror.terms.length - 1] === st.lastTerm)) return
    let i = Math.min(mirrorLast, st.lastIndex)
    while (i >= mirror.first && raft.entryAt(i)?.term !== mirror.terms[i - mirror.first]) i--
    const from = i + 1
    const terms = this.termsFrom(raft, from, st.lastIndex)
    mirror.terms.length = from - mirror.first
    mirror.terms.push(...terms)
    this.steps.push({k: 'log', t: time, id, from, terms})
  }

  private termsFrom(raft: ObservedRaft, from: number, last: number): number[] {
    const out: number[] = []
    for (let i = from; i <= last; i++) out.push(raft.entryAt(i)?.term ?? 0)
    return out
  }
}

function sameState(a: TraceNodeState, b: TraceNodeState): boolean {
  return a.up === b.up && a.role === b.role && a.term === b.term && a.vote === b.vote && a.leader === b.leader && a.commit === b.commit && a.first === b.first
}

function summarize(m: Message): TraceMessage {
  switch (m.type) {
    case 'vote': return {type: m.type, term: m.term, pre: m.pre}
    case 'voteResp': return {type: m.type, term: m.term, pre: m.pre, granted: m.granted}
    case 'append': return {type: m.type, term: m.term, n: m.entries.length}
    case 'appendResp': return {type: m.type, term: m.term, success: m.success}
    default: return {type: m.type, term: m.term}
  }
}

function inScope(scope: TraceFault['scope'], from: NodeId, to: NodeId): boolean {
  if (!scope) return true
  if (scope.from && scope.from.length > 0 && !scope.from.includes(from)) return false
  return !(scope.to && scope.to.length > 0 && !scope.to.includes(to))
}

/** Check the outline of an untrusted trace; throws Error saying what is wrong. */
export function parseTrace(value: unknown): SimTrace {
  const t = value as Partial<SimTrace> | null
  if (typeof t !== 'object' || t === null || t.format !== TRACE_FORMAT) throw new Error(`not a simulator trace (format must be "${TRACE_FORMAT}")`)
  if (!Number.isInteger(t.seed) || typeof t.end !== 'number' || !Array.isArray(t.steps)) throw new Error('the trace lacks its seed, end or steps')
  if (t.steps.length > TRACE_LIMITS.maxSteps) throw new Error(`the trace has more than ${TRACE_LIMITS.maxSteps} steps`)
  for (const s of t.steps) {
    if (typeof s !== 'object' || s === null || typeof s.t !== 'number' || !['send', 'node', 'log', 'line', 'faults'].includes(s.k)) throw new Error('the trace has a malformed step')
  }
  return t as SimTrace
}

interface PlayerNode {
  state: TraceNodeState
  first: number
  terms: number[]
}

/** A mark on the page's time line. */
export interface TraceMark {
  readonly at: number
  readonly text: string
  readonly kind: 'violation' | 'crash' | 'action'
}

/**
 * Plays a trace in the page: the same views as the playground's engine (nodes, logs, messages
 * in flight, event lines), moved by {@link runUntil}, {@link step} and {@link seek}.
 */
export class TraceView {
  readonly trace: SimTrace
  private nodes = new Map<NodeId, PlayerNode>()
  private flights: Flight[] = []
  private log: LogLine[] = []
  private netFaults: readonly TraceFault[] = []
  private next = 0
  private clock = 0

  constructor(value: unknown) {
    this.trace = parseTrace(value)
  }

  get now(): number {
    return this.clock
  }

  get end(): number {
    return this.trace.end
  }

  get violation(): SimTrace['violation'] {
    return this.trace.violation
  }

  get title(): string {
    return `simulator seed ${this.trace.seed}`
  }

  get caption(): string {
    const v = this.trace.violation
    return v
      ? `VIOLATION of ${v.property} at ${v.at} ms: ${v.message.split('\n')[0]} — the nodes it names are outlined in red (replay: ${this.trace.replay})`
      : `Seed ${this.trace.seed} passed every safety check (${this.trace.replay}). Faults, crashes and client writes come from the seed.`
  }

  /** Steps applied so far. */
  position(): number {
    return this.next
  }

  /** Apply every step up to virtual time `t`. */
  runUntil(t: number): void {
    const steps = this.trace.steps
    while (this.next < steps.length && steps[this.next]!.t <= t) this.apply(steps[this.next++]!)
    this.clock = Math.max(this.clock, t)
    const keep = this.clock - TRACE_LIMITS.keepMessagesMs
    this.flights = this.flights.filter((f) => f.arrives >= keep)
  }

  /** Move to the time of the next step. */
  step(): void {
    const s = this.trace.steps[this.next]
    if (s) this.runUntil(s.t)
  }

  /** Go to time `t` (backwards: from the start). */
  seek(t: number): void {
    if (t < this.clock) {
      this.nodes = new Map()
      this.flights = []
      this.log = []
      this.netFaults = []
      this.next = 0
      this.clock = 0
    }
    this.runUntil(t)
  }

  lines(): readonly LogLine[] {
    return this.log
  }

  inFlight(): readonly Flight[] {
    return this.flights
  }

  /** The links the faults in force act on: a partition cuts (drop), other kinds make a link faulty. */
  faults(): {from: NodeId; to: NodeId; drop: boolean; delayMs: number}[] {
    const ids = [...this.nodes.keys()]
    const out: {from: NodeId; to: NodeId; drop: boolean; delayMs: number}[] = []
    for (const f of this.netFaults) {
      for (const from of ids) {
        for (const to of ids) {
          if (from === to) continue
          if (f.kind === 'partition' && f.groups) {
            const gf = f.groups.findIndex((g) => g.includes(from))
            const gt = f.groups.findIndex((g) => g.includes(to))
            if (gf >= 0 && gt >= 0 && gf !== gt && (!f.oneWay || gf > gt)) out.push({from, to, drop: true, delayMs: 0})
          } else if (f.kind !== 'partition' && inScope(f.scope, from, to)) {
            out.push({from, to, drop: false, delayMs: f.ms ?? 0})
          }
        }
      }
    }
    return out
  }

  /** The nodes a violation names, once its time is reached. */
  offenders(): Set<NodeId> | null {
    const v = this.trace.violation
    return v && this.clock >= v.at ? new Set(v.nodes) : null
  }

  marks(): TraceMark[] {
    const out: TraceMark[] = []
    for (const s of this.trace.steps) if (s.k === 'line' && /crash/.test(s.text)) out.push({at: s.t, text: s.text, kind: 'crash'})
    const v = this.trace.violation
    if (v) out.push({at: v.at, text: `VIOLATION ${v.property}: ${v.message.split('\n')[0]}`, kind: 'violation'})
    return out
  }

  views(): NodeView[] {
    return [...this.nodes].map(([id, n]) => {
      const st = n.state
      const lastIndex = n.first + n.terms.length - 1
      const status = {
        id, role: st.role, term: st.term, vote: st.vote, leader: st.leader, commitIndex: st.commit, appliedIndex: st.commit,
        lastIndex, lastTerm: n.terms[n.terms.length - 1] ?? 0, firstIndex: n.first, snapshotIndex: n.first - 1,
        conf: {voters: [], learners: []}, voter: true, rebuilding: false, electionElapsed: 0, electionTimeout: 1, transferee: null, progress: [],
      } satisfies RaftStatus
      const log = n.terms.map((term, i) => ({index: n.first + i, term, kind: 'request' as const, text: `term ${term}`}))
      return {id, state: st.up ? 'up' as const : 'down' as const, status, log, applied: []}
    })
  }

  private node(id: NodeId): PlayerNode {
    let n = this.nodes.get(id)
    if (!n) {
      n = {state: {up: true, role: 'follower', term: 0, vote: null, leader: null, commit: 0, first: 1}, first: 1, terms: []}
      this.nodes.set(id, n)
    }
    return n
  }

  private apply(s: TraceStep): void {
    switch (s.k) {
      case 'send': {
        const msg = {...s.m, from: s.from, to: s.to, entries: {length: s.m.n ?? 0}} as unknown as Message
        if (s.arrives.length === 0) this.flights.push({id: this.flights.length, msg, sent: s.t, arrives: s.t + 10, lost: true})
        for (const at of s.arrives) this.flights.push({id: this.flights.length, msg, sent: s.t, arrives: at, lost: false})
        return
      }
      case 'node':
        this.node(s.id).state = s.s
        return
      case 'log': {
        const n = this.node(s.id)
        if (s.reset === true || s.from < n.first || s.from > n.first + n.terms.length) {
          n.first = s.from
          n.terms = [...s.terms]
        } else {
          n.terms.length = s.from - n.first
          n.terms.push(...s.terms)
        }
        return
      }
      case 'faults':
        this.netFaults = s.faults
        return
      case 'line':
        this.log.push({t: s.t, text: s.text.replace(/^t=\s*\d+ /, ''), kind: /VIOLATION/.test(s.text) ? 'violation' : /crash|restart|retired/.test(s.text) ? 'role' : 'note'})
        if (this.log.length > 400) this.log.shift()
    }
  }
}
