/**
 * The playground's simulation: the real Raft core (src/raft, unchanged) on a virtual clock and
 * a simulated network, driven by a seed and a list of timed user actions. Browser-safe: it
 * imports only the core, reads no clock and no global randomness, so one scenario (seed,
 * settings, actions) always unfolds the same way — which is what makes the page's scrubber
 * (a replay up to a time) and its shareable links work.
 *
 * Each node is driven by the Ready contract of src/raft/README.md, with an in-memory disk that
 * is durable at once: persist (snapshot, entries, hard state), send, apply, advance.
 */
import {RaftNode, SeededRng, decodeConfChange, type ConfChange, type Entry, type HardState, type Message, type NodeId, type RaftEvent, type RaftStatus, type Snapshot} from '../raft/index.js'
import {type Action, type Scenario, type Settings, type UntimedAction} from './scenario.js'

/** Virtual milliseconds per core tick. */
export const TICK_MS = 10

/** Limits of one run. */
export const ENGINE_LIMITS = {
  /** Messages kept for drawing after they arrived or were lost (virtual ms). */
  keepMessagesMs: 400,
  /** Lines kept in the event log. */
  maxLogLines: 400,
  /** Most nodes at once (founders plus added nodes). */
  maxNodes: 12,
} as const

/** A message on the wire, for drawing. `lost`: it will not arrive (cut link, stopped node). */
export interface Flight {
  readonly id: number
  readonly msg: Message
  readonly sent: number
  readonly arrives: number
  lost: boolean
}

/** One line of what happened, at a virtual time. */
export interface LogLine {
  readonly t: number
  readonly text: string
  /** The node it is about, if any. */
  readonly node?: NodeId
  readonly kind: 'election' | 'leader' | 'role' | 'action' | 'config' | 'note' | 'violation'
}

/** What the page draws of one node. */
export interface NodeView {
  readonly id: NodeId
  /** `down`: stopped by the user; `removed`: removed from the configuration and stopped. */
  readonly state: 'up' | 'down' | 'removed'
  readonly status: RaftStatus
  /** The node's log (index, term, kind, text), from its first index. */
  readonly log: readonly {index: number; term: number; kind: 'noop' | 'config' | 'request'; text: string}[]
  /** Requests applied to this node's state machine, in order. */
  readonly applied: readonly string[]
}

interface SimDisk {
  hardState: HardState
  entries: Entry[]
  snapshot: Snapshot | null
}

interface SimNode {
  readonly id: NodeId
  raft: RaftNode | null
  readonly disk: SimDisk
  /** Applied requests (the state machine: a list). Rebuilt from the log after a restart. */
  applied: string[]
  removed: boolean
  /** Bumped at every start and stop: ticks of an older incarnation are ignored. */
  epoch: number
  /** Last status while it ran (shown greyed out while down). */
  last: RaftStatus | null
  readonly founding: readonly NodeId[] | null
}

type QueueItem =
  | {readonly kind: 'tick'; readonly node: NodeId; readonly epoch: number}
  | {readonly kind: 'deliver'; readonly flight: Flight}

interface Timed {
  readonly time: number
  readonly seq: number
  readonly item: QueueItem
}

/** A one-way link fault: messages from `from` to `to` are lost, or delayed by `delayMs`. */
interface LinkFault {
  readonly drop: boolean
  readonly delayMs: number
}

/** How the event log words the cause of an election. */
const CAUSES: Partial<Record<string, string>> = {timeout: 'its timer ran out', won: 'it won the pre-vote', transfer: 'leader transfer', manual: 'told to time out now'}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/**
 * One playground run. Create it from a {@link Scenario}, then move its clock forward with
 * {@link runUntil} or {@link step}; {@link act} applies a user action now and returns it with
 * its time, for recording. Actions of the scenario are applied at their times by the run
 * itself (after every event at a time ≤ the action's `at`).
 */
export class Engine {
  readonly settings: Settings
  readonly seed: number
  private readonly rng: SeededRng
  private readonly netRng: SeededRng
  private readonly nodes = new Map<NodeId, SimNode>()
  private readonly queue: Timed[] = []
  private seq = 0
  private clock = 0
  private events = 0
  private nextNode = 1
  private nextFlight = 1
  private requests = 0
  private readonly flights: Flight[] = []
  private readonly links = new Map<string, LinkFault>()
  /** Indexes of configuration entries already told of in the event lines. */
  private readonly confNoted = new Set<number>()
  readonly lines: LogLine[] = []
  private readonly pending: Action[]
  /** Actions applied so far, in order (the scenario's, then the user's). */
  readonly applied: Action[] = []

  constructor(scenario: Scenario) {
    this.settings = scenario.settings
    this.seed = scenario.seed
    this.rng = new SeededRng(scenario.seed)
    this.netRng = this.rng.fork()
    this.pending = [...scenario.actions]
    const founders: NodeId[] = []
    for (let i = 0; i < scenario.nodes; i++) founders.push(`n${this.nextNode++}`)
    for (const id of founders) this.addNode(id, founders)
    // The founders' configuration entries (index 1..n, one per member) need no telling.
    for (let i = 1; i <= founders.length; i++) this.confNoted.add(i)
  }

  /** Virtual time now, ms. */
  get now(): number {
    return this.clock
  }

  /** Events handled so far (ticks and deliveries). */
  get eventCount(): number {
    return this.events
  }

  /** Handle every event up to virtual time `t` (and the scenario's actions due by then); the clock ends at `t`. */
  runUntil(t: number): void {
    for (;;) {
      const next = this.queue[0]
      const action = this.pending[0]
      if (action && action.at <= t && (!next || next.time > action.at)) {
        this.clock = Math.max(this.clock, action.at)
        this.apply(this.pending.shift()!)
        continue
      }
      if (!next || next.time > t) break
      this.handleNext()
    }
    this.clock = Math.max(this.clock, t)
    this.prune()
  }

  /**
   * Move to the next event that shows something — a message arrives, or a tick makes a node
   * act (an election timeout, a heartbeat) — and handle every event at that time. Returns false
   * when nothing is left (never, while a node runs).
   */
  step(): boolean {
    const maxEvents = 100_000
    for (let i = 0; i < maxEvents; i++) {
      const next = this.queue[0]
      if (!next) return false
      const before = this.flights.length + this.lines.length
      this.runUntil(next.time)
      if (this.flights.length + this.lines.length !== before) return true
    }
    return false
  }

  /** Apply `action` now (at the current time, after every event of this time). Returns it with its `at`, or throws Error with a message for the user. */
  act(action: UntimedAction): Action {
    this.runUntil(this.clock)
    const timed = {...action, at: this.clock} as Action
    const problem = this.check(timed)
    if (problem !== null) throw new Error(problem)
    this.apply(timed)
    return timed
  }

  // ------------------------------------------------------------------ views

  /** Every node, founders first, in order of creation. */
  views(): NodeView[] {
    return [...this.nodes.values()].map((n) => this.view(n))
  }

  /** Messages in flight or recently arrived / lost, for drawing. */
  inFlight(): readonly Flight[] {
    return this.flights
  }

  /** Link faults in force, as `from>to` keys with what they do. */
  faults(): {from: NodeId; to: NodeId; drop: boolean; delayMs: number}[] {
    return [...this.links].map(([k, f]) => {
      const [from, to] = k.split('>') as [NodeId, NodeId]
      return {from, to, ...f}
    })
  }

  /** The live node that leads in the highest term, if any. */
  leader(): NodeId | null {
    let best: RaftStatus | null = null
    for (const n of this.nodes.values()) {
      const st = n.raft?.status()
      if (st && st.role === 'leader' && (!best || st.term > best.term)) best = st
    }
    return best?.id ?? null
  }

  private view(n: SimNode): NodeView {
    const status = n.raft?.status() ?? n.last!
    const log: NodeView['log'][number][] = []
    const entries = n.raft ? this.entriesOf(n.raft, status) : n.disk.entries
    for (const e of entries) log.push({index: e.index, term: e.term, ...describeEntry(e)})
    return {id: n.id, state: n.removed ? 'removed' : n.raft ? 'up' : 'down', status, log, applied: n.applied}
  }

  private entriesOf(raft: RaftNode, st: RaftStatus): Entry[] {
    const out: Entry[] = []
    for (let i = st.firstIndex; i <= st.lastIndex; i++) {
      const e = raft.entryAt(i)
      if (e) out.push(e)
    }
    return out
  }

  // ------------------------------------------------------------------ nodes

  private addNode(id: NodeId, founders: readonly NodeId[] | null): SimNode {
    const node: SimNode = {
      id, raft: null, disk: {hardState: {term: 0, vote: null, commit: 0}, entries: [], snapshot: null},
      applied: [], removed: false, epoch: 0, last: null, founding: founders,
    }
    this.nodes.set(id, node)
    this.start(node)
    return node
  }

  private start(n: SimNode): void {
    const s = this.settings
    n.raft = new RaftNode(
      {id: n.id, rng: this.rng.fork(), electionTicks: s.electionTicks, heartbeatTicks: s.heartbeatTicks, preVote: s.preVote, checkQuorum: s.checkQuorum},
      {hardState: n.disk.hardState, entries: n.disk.entries, snapshot: n.disk.snapshot, initialConf: n.founding ? {voters: [...n.founding], learners: []} : undefined},
    )
    n.applied = []
    n.epoch++
    this.push(this.clock + 1 + this.rng.int(TICK_MS), {kind: 'tick', node: n.id, epoch: n.epoch})
    this.drive(n)
  }

  private stop(n: SimNode): void {
    if (!n.raft) return
    n.last = n.raft.status()
    n.raft = null
    n.epoch++
  }

  /** Handle the Ready loop of `n` (README.md "The Ready contract"), the disk durable at once. */
  private drive(n: SimNode): void {
    const raft = n.raft
    if (!raft) return
    while (n.raft === raft && raft.hasReady()) {
      const rd = raft.ready()
      if (rd.snapshot) {
        n.disk.snapshot = rd.snapshot
        n.disk.entries = n.disk.entries.filter((e) => e.index > rd.snapshot!.meta.index)
      }
      if (rd.entries.length > 0) {
        const first = rd.entries[0]!.index
        n.disk.entries = n.disk.entries.filter((e) => e.index < first).concat(rd.entries)
      }
      if (rd.hardState) n.disk.hardState = rd.hardState
      for (const m of rd.messages) this.send(m)
      for (const m of rd.messagesAfterPersist) this.send(m)
      for (const e of rd.committedEntries) this.applyEntry(n, e)
      for (const ev of rd.events) this.onEvent(n.id, ev)
      raft.advance()
    }
  }

  private applyEntry(n: SimNode, e: Entry): void {
    if (e.type === 'normal' && e.data.length > 0) n.applied.push(decoder.decode(e.data))
    if (e.type !== 'config' || n.raft?.isLeader !== true) return
    const change = decodeConfChange(e.data)
    const target = this.nodes.get(change.node)
    // The operator stops a removed node once its removal is committed (as `raftctl node remove` does).
    if (change.type === 'remove' && target && !target.removed) {
      this.stop(target)
      target.removed = true
      this.note(`${change.node} removed from the configuration and stopped`, 'config', change.node)
    }
  }

  private onEvent(id: NodeId, ev: RaftEvent): void {
    switch (ev.type) {
      case 'electionStarted':
        return this.note(`${id} starts ${ev.pre ? 'a pre-vote for' : 'an election in'} term ${ev.term} (${CAUSES[ev.cause] ?? ev.cause})`, 'election', id)
      case 'leaderChanged':
        if (ev.leader === id) this.note(`${id} is the leader of term ${ev.term}`, 'leader', id)
        return
      case 'roleChanged':
        if (ev.to === 'follower' && ev.from === 'leader') this.note(`${id} steps down in term ${ev.term} (${ev.cause})`, 'role', id)
        return
      case 'confChanged':
        // Said once per configuration entry (the first node to adopt it: the leader), not once per node.
        if (ev.change && !this.confNoted.has(ev.index)) {
          this.confNoted.add(ev.index)
          this.note(`${id} adopts ${describeChange(ev.change)} (index ${ev.index}); the others as they receive it`, 'config', id)
        }
        return
      case 'transferStarted':
        return this.note(`${id} transfers leadership to ${ev.to}`, 'leader', id)
      case 'transferAborted':
        return this.note(`${id}'s transfer to ${ev.to} aborted`, 'leader', id)
    }
  }

  private note(text: string, kind: LogLine['kind'], node?: NodeId): void {
    this.lines.push({t: this.clock, text, kind, node})
    if (this.lines.length > ENGINE_LIMITS.maxLogLines) this.lines.shift()
  }

  // ------------------------------------------------------------------ network and clock

  private send(m: Message): void {
    const fault = this.links.get(`${m.from}>${m.to}`)
    const base = this.settings.minDelayMs + this.netRng.int(this.settings.maxDelayMs - this.settings.minDelayMs + 1)
    const flight: Flight = {id: this.nextFlight++, msg: m, sent: this.clock, arrives: this.clock + base + (fault?.delayMs ?? 0), lost: fault?.drop === true}
    this.flights.push(flight)
    this.push(flight.arrives, {kind: 'deliver', flight})
  }

  private push(time: number, item: QueueItem): void {
    const entry = {time, seq: this.seq++, item}
    let lo = 0
    let hi = this.queue.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (this.queue[mid]!.time <= time) lo = mid + 1
      else hi = mid
    }
    this.queue.splice(lo, 0, entry)
  }

  private handleNext(): void {
    const {time, item} = this.queue.shift()!
    this.clock = time
    this.events++
    if (item.kind === 'tick') return this.onTick(item.node, item.epoch)
    this.onDeliver(item.flight)
  }

  private onTick(id: NodeId, epoch: number): void {
    const n = this.nodes.get(id)!
    if (n.epoch !== epoch || !n.raft) return
    this.push(this.clock + TICK_MS, {kind: 'tick', node: id, epoch})
    n.raft.tick()
    this.drive(n)
  }

  private onDeliver(f: Flight): void {
    const n = this.nodes.get(f.msg.to)
    if (f.lost || !n?.raft) {
      f.lost = true
      return
    }
    n.raft.step(f.msg)
    this.drive(n)
  }

  private prune(): void {
    const keep = this.clock - ENGINE_LIMITS.keepMessagesMs
    let i = 0
    while (i < this.flights.length && this.flights[i]!.arrives < keep) i++
    if (i > 0) this.flights.splice(0, i)
  }

  // ------------------------------------------------------------------ actions

  /** Why `a` cannot be applied now, or null. */
  private check(a: Action): string | null {
    const node = 'node' in a ? this.resolve(a.node) : null
    const needsNode = a.do !== 'request' && a.do !== 'add' && a.do !== 'partition' && a.do !== 'heal' && a.do !== 'link'
    if (needsNode && !node) return `no node ${'node' in a ? a.node : ''} (${[...this.nodes.keys()].join(', ')})`
    switch (a.do) {
      case 'stop': return node!.raft ? null : `${node!.id} is not running`
      case 'restart': return node!.raft || node!.removed ? `${node!.id} is ${node!.removed ? 'removed' : 'running'}` : null
      case 'timeout': return node!.raft ? null : `${node!.id} is not running`
      case 'request': case 'remove': case 'transfer': return this.leader() === null ? 'there is no leader now: wait for an election' : null
      case 'add': return this.nodes.size >= ENGINE_LIMITS.maxNodes ? `at most ${ENGINE_LIMITS.maxNodes} nodes` : this.leader() === null ? 'there is no leader now: wait for an election' : null
      case 'partition': return a.groups.flat().every((id) => this.nodes.has(id)) ? null : 'a partition names a node that does not exist'
      case 'link': return this.nodes.has(a.from) && this.nodes.has(a.to) && a.from !== a.to ? null : `no link ${a.from} → ${a.to}`
      case 'heal': return null
    }
  }

  /** A node by id, or `leader` for the current leader. */
  private resolve(id: string): SimNode | undefined {
    const real = id === 'leader' ? this.leader() : id
    return real === null ? undefined : this.nodes.get(real)
  }

  private apply(a: Action): void {
    const problem = this.check(a)
    if (problem !== null) {
      this.note(`${describeAction(a)}: not done — ${problem}`, 'action')
      return
    }
    this.applied.push(a)
    const node = 'node' in a ? this.resolve(a.node) : undefined
    const shown = node && 'node' in a && a.node === 'leader' ? {...a, node: `${node.id} (the leader)`} : a
    this.note(describeAction(shown), 'action', node?.id)
    switch (a.do) {
      case 'stop': return this.stop(node!)
      case 'restart': return this.start(node!)
      case 'timeout': return this.report(node!.raft!.campaign(), node!)
      case 'request': return this.request(a.value)
      case 'add': return this.addMember()
      case 'remove': return this.proposeChange({type: 'remove', node: node!.id})
      case 'transfer': {
        const leader = this.nodes.get(this.leader()!)!
        return this.report(leader.raft!.transferLeader(node!.id), leader)
      }
      case 'partition': return this.partition(a.groups, a.oneWay)
      case 'link': return this.setLink(a.from, a.to, {drop: a.drop, delayMs: a.delayMs}, a.both)
      case 'heal':
        this.links.clear()
        return
    }
  }

  private report(r: {ok: boolean; code?: string; message?: string}, n: SimNode): void {
    if (!r.ok) this.note(`${n.id} refuses: ${r.code ?? ''} ${r.message ?? ''}`.trim(), 'note', n.id)
    this.drive(n)
  }

  private request(value: string | undefined): void {
    const leader = this.nodes.get(this.leader()!)!
    const text = value ?? `x=${++this.requests}`
    const r = leader.raft!.propose(encoder.encode(text))
    if (r.ok) this.note(`${leader.id} appends "${text}" at index ${r.index} (term ${r.term})`, 'note', leader.id)
    this.report(r, leader)
  }

  private addMember(): void {
    const id = `n${this.nextNode++}`
    this.addNode(id, null)
    this.proposeChange({type: 'addVoter', node: id})
  }

  private proposeChange(change: ConfChange): void {
    const leader = this.nodes.get(this.leader()!)!
    this.report(leader.raft!.proposeConfChange(change), leader)
  }

  /** Cut every link between groups; one-way: only messages from a later group to an earlier one. */
  private partition(groups: readonly (readonly NodeId[])[], oneWay: boolean): void {
    this.links.clear()
    groups.forEach((g, i) => groups.forEach((h, j) => {
      if (i === j || (oneWay && j < i)) return
      for (const from of h) for (const to of g) this.links.set(`${from}>${to}`, {drop: true, delayMs: 0})
    }))
  }

  private setLink(from: NodeId, to: NodeId, fault: LinkFault, both: boolean): void {
    for (const [a, b] of both ? [[from, to], [to, from]] : [[from, to]]) {
      const key = `${a}>${b}`
      if (!fault.drop && fault.delayMs === 0) this.links.delete(key)
      else this.links.set(key, fault)
    }
  }
}

/** A short description of an entry for the log rows. */
function describeEntry(e: Entry): {kind: 'noop' | 'config' | 'request'; text: string} {
  if (e.type === 'config') {
    try {
      return {kind: 'config', text: describeChange(decodeConfChange(e.data))}
    } catch {
      return {kind: 'config', text: 'configuration'}
    }
  }
  return e.data.length === 0 ? {kind: 'noop', text: 'no-op (new leader)'} : {kind: 'request', text: decoder.decode(e.data)}
}

function describeChange(c: ConfChange): string {
  const what = {addLearner: 'add learner', addVoter: 'add voter', promote: 'promote', remove: 'remove'}[c.type]
  return `${what} ${c.node}`
}

/** One line saying what an action does. */
export function describeAction(a: Action): string {
  switch (a.do) {
    case 'stop': return `stop ${a.node}`
    case 'restart': return `restart ${a.node}`
    case 'timeout': return `${a.node} times out now`
    case 'request': return `client request${a.value ? ` "${a.value}"` : ''} to the leader`
    case 'add': return 'add a node'
    case 'remove': return `remove ${a.node}`
    case 'transfer': return `transfer leadership to ${a.node}`
    case 'partition': return `partition ${a.groups.map((g) => g.join(' ')).join(a.oneWay ? ' ← ' : ' | ')}`
    case 'link': return `${a.drop ? 'drop' : a.delayMs > 0 ? `delay ${a.delayMs} ms on` : 'repair'} ${a.from} ${a.both ? '↔' : '→'} ${a.to}`
    case 'heal': return 'heal every link'
  }
}
