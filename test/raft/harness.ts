/**
 * A tiny deterministic in-memory network of RaftNode cores for tests (no Replica, no timers).
 *
 * - Every node is a bare `RaftNode`; the harness plays the driver: it handles each Ready in the
 *   contract order (persist snapshot / entries / hard state, send, apply, advance) and keeps per
 *   node exactly what was persisted, so `crash` + `restart` recover from durable state only.
 * - Messages are queued FIFO and delivered in rounds: `deliverRound()` handles every pending
 *   Ready, then delivers the messages queued so far; `stabilize()` repeats until quiescent.
 * - Faults: symmetric partitions (`partition`, `isolate`), one-way cuts (`cut`), a message
 *   filter (`dropIf`), crashed nodes. Dropped messages are recorded.
 * - Invariants checked on every Ready: at most one leader per term; committed entries are
 *   handed out in order without gaps; every node applies the same entry at each index.
 *
 * Everything is deterministic: node `k` draws its election timeouts from `SeededRng(seed + k)`.
 */
import {snapshotBytes} from '../../src/replica/snapshot-data.js'
import {
  RaftNode,
  SeededRng,
  decodeConfChange,
  type ConfChange,
  type ConfChangeOptions,
  type ConfState,
  type Entry,
  type HardState,
  type Message,
  type NodeId,
  type ProposeResult,
  type RaftEvent,
  type RaftOptions,
  type RaftStatus,
  type ReadState,
  type Ready,
  type RequestResult,
  type Snapshot,
} from '../../src/raft/index.js'

/** Core options the harness passes to every node (id and rng are filled in). */
export type NodeOptions = Omit<RaftOptions, 'id' | 'rng'>

/** What a node has made durable (what it restarts from). */
export interface Persisted {
  hardState: HardState | undefined
  snapshot: Snapshot | null
  /** Durable entries, ascending and contiguous; may start at or before the snapshot index. */
  entries: Entry[]
}

/** One applied command of the test state machine. */
export interface Applied {
  readonly index: number
  readonly term: number
  readonly text: string
}

interface Slot {
  readonly id: NodeId
  readonly ordinal: number
  options: NodeOptions
  /** Membership handed to the core when it has no durable state (founders); undefined for joiners. */
  readonly initialConf: ConfState | undefined
  node: RaftNode | null
  persisted: Persisted
  /** The state machine: applied non-empty normal entries (reset to the snapshot on restart). */
  sm: Applied[]
  appliedIndex: number
  restarts: number
  readStates: ReadState[]
  events: RaftEvent[]
  /** Durable "rebuilding" mark (what the daemon keeps in identity.json): set by `wipe`, cleared by the core's rebuildingChanged event. */
  rebuilding: boolean
}

export interface HarnessOptions {
  /** Defaults for every node (electionTicks 10, heartbeatTicks 1, preVote and checkQuorum on). */
  readonly node?: NodeOptions
  /** Base seed of the nodes' random generators. Default 1. */
  readonly seed?: number
  /** Abort `stabilize` after this many delivered messages (a livelock guard). Default 100000. */
  readonly maxMessages?: number
}

const enc = new TextEncoder()
const dec = new TextDecoder()

/** Text of a command. */
export function bytes(text: string): Uint8Array {
  return enc.encode(text)
}

/** `n3` for `3` or `n3`. */
export function nid(x: string | number): NodeId {
  const s = String(x)
  return /^\d+$/.test(s) ? `n${s}` : s
}

/**
 * Normal entries with the given terms at indexes `from`, `from + 1`, … (data `e<index>`), for
 * hand-made logs.
 */
export function entriesWithTerms(terms: readonly number[], from = 1): Entry[] {
  return terms.map((term, i) => ({term, index: from + i, type: 'normal' as const, data: enc.encode(`e${from + i}`)}))
}

/**
 * Durable state of a node with a hand-made log: `voters` as the membership (held by an empty
 * snapshot at index 0), entries with `terms`, and the given hard state.
 */
export function stateWithLog(voters: readonly NodeId[], terms: readonly number[], hs: {term: number; vote?: NodeId | null; commit?: number}): Persisted {
  return {
    hardState: {term: hs.term, vote: hs.vote ?? null, commit: hs.commit ?? 0},
    snapshot: {meta: {index: 0, term: 0, conf: {voters: [...voters], learners: []}}, data: enc.encode('[]')},
    entries: entriesWithTerms(terms),
  }
}

/** `[n1, ..., nN]`. */
export function ids(n: number, from = 1): NodeId[] {
  return Array.from({length: n}, (_, i) => `n${from + i}`)
}

export class Harness {
  private readonly slots = new Map<NodeId, Slot>()
  private readonly seed: number
  private readonly defaults: NodeOptions
  private readonly maxMessages: number
  /** Messages sent but not yet delivered, in send order. */
  queue: Message[] = []
  /** Every message delivered, in order. */
  readonly delivered: Message[] = []
  /** Every message dropped (partition, cut, filter, crashed receiver), in order. */
  readonly dropped: Message[] = []
  /** Every Ready handed out, in order (for tests of the Ready contract). */
  readonly readies: {id: NodeId; ready: Ready}[] = []
  /** Human-readable log of what happened (messages only while `traceMessages`). */
  private traceLines: string[] = []
  traceMessages = false
  /** Return true to drop a message (in addition to partitions and cuts). */
  dropIf: ((m: Message) => boolean) | null = null
  /**
   * Rewrites each round's batch before delivery: reorder, duplicate, or hold messages back (a
   * held message may be returned in a later round). Null: deliver in send order.
   */
  network: ((batch: Message[]) => Message[]) | null = null
  private readonly cuts = new Set<string>()
  /** Leader of each term ever elected (checked: one per term). */
  readonly leaders = new Map<number, NodeId>()
  /** The entry every node applied at each index (checked: all agree). */
  readonly appliedAt = new Map<number, {term: number; text: string}>()

  constructor(options: HarnessOptions = {}) {
    this.seed = options.seed ?? 1
    this.defaults = options.node ?? {}
    this.maxMessages = options.maxMessages ?? 100_000
  }

  /** A brand-new cluster of `n` founding voters n1..nN (plus founding learners). */
  static cluster(n: number, options: HarnessOptions & {learners?: number} = {}): Harness {
    const h = new Harness(options)
    const voters = ids(n)
    const learners = ids(options.learners ?? 0, n + 1)
    for (const id of [...voters, ...learners]) h.addNode(id, {voters, learners})
    h.stabilize()
    return h
  }

  // ------------------------------------------------------------------ nodes

  /**
   * Create node `id`. With `conf` it is a founder that bootstraps the cluster from it; without
   * it, a blank node that joins an existing cluster (it learns membership from the log).
   */
  addNode(id: NodeId, conf?: ConfState, options: NodeOptions = {}): RaftNode {
    if (this.slots.has(id)) throw new Error(`harness: ${id} exists`)
    const slot: Slot = {
      id, ordinal: this.slots.size + 1, options: {...this.defaults, ...options}, initialConf: conf,
      node: null, persisted: {hardState: undefined, snapshot: null, entries: []},
      sm: [], appliedIndex: 0, restarts: 0, readStates: [], events: [], rebuilding: false,
    }
    this.slots.set(id, slot)
    slot.node = this.boot(slot)
    return slot.node
  }

  /**
   * Create node `id` from given durable state (as if it restarted from it), e.g. a follower with
   * a hand-made log for Figure 7. Membership comes from the snapshot's conf plus config entries.
   */
  addNodeFromState(id: NodeId, persisted: Persisted, options: NodeOptions = {}): RaftNode {
    if (this.slots.has(id)) throw new Error(`harness: ${id} exists`)
    const snap = persisted.snapshot
    const slot: Slot = {
      id, ordinal: this.slots.size + 1, options: {...this.defaults, ...options}, initialConf: undefined,
      node: null, persisted: {hardState: persisted.hardState, snapshot: snap, entries: persisted.entries.slice()},
      sm: snap ? (JSON.parse(dec.decode(snapshotBytes(snap.data))) as Applied[]) : [], appliedIndex: snap?.meta.index ?? 0,
      restarts: 0, readStates: [], events: [], rebuilding: false,
    }
    this.slots.set(id, slot)
    slot.node = this.boot(slot)
    return slot.node
  }

  private boot(slot: Slot): RaftNode {
    const {hardState, snapshot, entries} = slot.persisted
    const after = snapshot?.meta.index ?? 0
    const rng = new SeededRng(this.seed * 7919 + slot.ordinal * 101 + slot.restarts)
    return new RaftNode(
      {...slot.options, id: slot.id, rng},
      {hardState, snapshot, entries: entries.filter((e) => e.index > after), initialConf: slot.initialConf, rebuilding: slot.rebuilding},
    )
  }

  /** Node ids in creation order. */
  get nodeIds(): NodeId[] {
    return [...this.slots.keys()]
  }

  /** Ids of the nodes that are up. */
  get liveIds(): NodeId[] {
    return this.nodeIds.filter((id) => this.slot(id).node !== null)
  }

  /** The core of a running node (throws when it is down). */
  node(id: NodeId): RaftNode {
    const n = this.slot(id).node
    if (n === null) throw new Error(`harness: ${id} is down`)
    return n
  }

  isUp(id: NodeId): boolean {
    return this.slot(id).node !== null
  }

  status(id: NodeId): RaftStatus {
    return this.node(id).status()
  }

  /** The live leader with the highest term, or null. */
  leader(): NodeId | null {
    let best: NodeId | null = null
    let term = -1
    for (const id of this.liveIds) {
      const s = this.status(id)
      if (s.role === 'leader' && s.term > term) {
        best = id
        term = s.term
      }
    }
    return best
  }

  /** What node `id` has persisted. */
  persisted(id: NodeId): Persisted {
    return this.slot(id).persisted
  }

  /** The node's state machine: the texts applied, in order. */
  applied(id: NodeId): string[] {
    return this.slot(id).sm.map((a) => a.text)
  }

  appliedIndex(id: NodeId): number {
    return this.slot(id).appliedIndex
  }

  /** Read states the node has released so far (in order). */
  readStates(id: NodeId): ReadState[] {
    return this.slot(id).readStates
  }

  /** Every event the node reported (since creation, across restarts). */
  events(id: NodeId): RaftEvent[] {
    return this.slot(id).events
  }

  /** The entries the node holds in memory, firstIndex..lastIndex. */
  log(id: NodeId): Entry[] {
    const s = this.status(id)
    const out: Entry[] = []
    for (let i = s.firstIndex; i <= s.lastIndex; i++) out.push(this.node(id).entryAt(i)!)
    return out
  }

  /** Terms of the entries held in memory, firstIndex..lastIndex. */
  logTerms(id: NodeId): number[] {
    return this.log(id).map((e) => e.term)
  }

  private slot(id: NodeId): Slot {
    const s = this.slots.get(id)
    if (!s) throw new Error(`harness: no node ${id}`)
    return s
  }

  // ------------------------------------------------------------------ inputs

  /** Tick every live node (or `only`) once per round, `n` rounds, stabilizing after each. */
  tick(n = 1, only?: readonly NodeId[]): void {
    for (let k = 0; k < n; k++) {
      for (const id of only ?? this.liveIds) if (this.isUp(id)) this.node(id).tick()
      this.stabilize()
    }
  }

  /** Tick every live node (or `only`) until `cond` holds, at most `max` rounds; returns the rounds used. */
  tickUntil(cond: () => boolean, max = 1000, only?: readonly NodeId[]): number {
    for (let k = 1; k <= max; k++) {
      this.tick(1, only)
      if (cond()) return k
    }
    throw new Error(`harness: condition not reached in ${max} ticks`)
  }

  campaign(id: NodeId): RequestResult {
    return this.node(id).campaign()
  }

  propose(id: NodeId, text: string): ProposeResult {
    return this.node(id).propose(bytes(text))
  }

  proposeConfChange(id: NodeId, change: ConfChange, options: ConfChangeOptions = {}): ProposeResult {
    return this.node(id).proposeConfChange(change, options)
  }

  readIndex(id: NodeId, readId: number): RequestResult {
    return this.node(id).readIndex(readId)
  }

  transfer(from: NodeId, to: NodeId): RequestResult {
    return this.node(from).transferLeader(to)
  }

  /**
   * Take a snapshot of node `id`'s state machine at `index` (<= applied) and compact its log up
   * to `compactTo` (default `index`), persisting both as a driver would.
   */
  compact(id: NodeId, index: number, compactTo = index): Snapshot {
    const slot = this.slot(id)
    const node = this.node(id)
    if (index > slot.appliedIndex) throw new Error(`harness: compact ${index} beyond applied ${slot.appliedIndex}`)
    const term = node.termAt(index)
    if (term === undefined) throw new Error(`harness: no term at ${index}`)
    const snapshot: Snapshot = {
      meta: {index, term, conf: node.confAt(index)},
      data: bytes(JSON.stringify(slot.sm.filter((a) => a.index <= index))),
    }
    node.compact(snapshot, compactTo)
    slot.persisted.snapshot = snapshot
    slot.persisted.entries = slot.persisted.entries.filter((e) => e.index > Math.min(compactTo, index))
    return snapshot
  }

  // ------------------------------------------------------------------ faults

  /** Symmetric partition: nodes in different groups cannot talk. Replaces earlier partitions and cuts. */
  partition(...groups: readonly (readonly NodeId[])[]): void {
    this.heal()
    for (let i = 0; i < groups.length; i++) {
      for (let j = 0; j < groups.length; j++) {
        if (i === j) continue
        for (const a of groups[i]!) for (const b of groups[j]!) this.cuts.add(`${a}>${b}`)
      }
    }
  }

  /** Cut `id` off from every other node (both directions). */
  isolate(id: NodeId): void {
    for (const other of this.nodeIds) {
      if (other === id) continue
      this.cuts.add(`${id}>${other}`)
      this.cuts.add(`${other}>${id}`)
    }
  }

  /** One-way cut: messages from `from` to `to` are dropped. */
  cut(from: NodeId, to: NodeId): void {
    this.cuts.add(`${from}>${to}`)
  }

  /** Remove every partition and cut (the `dropIf` filter stays). */
  heal(): void {
    this.cuts.clear()
  }

  /** Stop a node: it loses everything not persisted; messages to it are dropped. */
  crash(id: NodeId): void {
    const slot = this.slot(id)
    if (slot.node === null) return
    slot.node = null
    this.trace(`${id}: crashed`)
  }

  /** Start a crashed node from what it persisted. */
  restart(id: NodeId): RaftNode {
    const slot = this.slot(id)
    if (slot.node !== null) throw new Error(`harness: ${id} is up`)
    slot.restarts++
    const snap = slot.persisted.snapshot
    slot.sm = snap ? (JSON.parse(dec.decode(snapshotBytes(snap.data))) as Applied[]) : []
    slot.appliedIndex = snap?.meta.index ?? 0
    slot.node = this.boot(slot)
    this.trace(`${id}: restarted term=${slot.node.status().term} commit=${slot.node.status().commitIndex} last=${slot.node.status().lastIndex}`)
    return slot.node
  }

  /**
   * The node loses its disk: it crashes, its durable state is erased, and it restarts empty
   * with a higher incarnation. With `announce` (default) it knows it was a member and starts
   * rebuilding, as the daemon does when started on an emptied folder of a known member.
   */
  wipe(id: NodeId, options: {announce?: boolean} = {}): RaftNode {
    const slot = this.slot(id)
    this.crash(id)
    slot.persisted = {hardState: undefined, snapshot: null, entries: []}
    slot.options = {...slot.options, incarnation: (slot.options.incarnation ?? 0) + 1}
    slot.rebuilding = options.announce ?? true
    this.trace(`${id}: disk wiped`)
    return this.restart(id)
  }

  crashAndRestart(id: NodeId): RaftNode {
    this.crash(id)
    return this.restart(id)
  }

  private blocked(m: Message): boolean {
    if (!this.slots.has(m.to) || this.slot(m.to).node === null) return true
    if (this.cuts.has(`${m.from}>${m.to}`)) return true
    return this.dropIf !== null && this.dropIf(m)
  }

  // ------------------------------------------------------------------ the Ready loop

  /** Handle every pending Ready of node `id` (persist, queue messages, apply, advance). */
  processReady(id: NodeId): boolean {
    const slot = this.slot(id)
    const node = slot.node
    if (node === null) return false
    let any = false
    while (node.hasReady()) {
      any = true
      const rd = node.ready()
      this.readies.push({id, ready: rd})
      this.persist(slot, rd)
      for (const m of rd.messages) this.queue.push(m)
      for (const m of rd.messagesAfterPersist) this.queue.push(m)
      this.apply(slot, rd)
      for (const e of rd.events) this.onEvent(slot, e)
      for (const rs of rd.readStates) {
        slot.readStates.push(rs)
        this.trace(`${id}: read ${rs.id} ready index=${rs.index}`)
      }
      node.advance()
    }
    return any
  }

  private persist(slot: Slot, rd: Ready): void {
    const p = slot.persisted
    if (rd.snapshot !== null) {
      const s = rd.snapshot
      p.snapshot = s
      p.entries = []
      slot.sm = JSON.parse(dec.decode(snapshotBytes(s.data))) as Applied[]
      slot.appliedIndex = s.meta.index
      this.trace(`${slot.id}: install snapshot ${s.meta.index}/${s.meta.term} ${fmtConf(s.meta.conf)}`)
    }
    if (rd.entries.length > 0) {
      const first = rd.entries[0]!.index
      p.entries = p.entries.filter((e) => e.index < first).concat(rd.entries)
      for (let i = 1; i < p.entries.length; i++) {
        if (p.entries[i]!.index !== p.entries[i - 1]!.index + 1) throw new Error(`harness: ${slot.id} persisted a gap at ${p.entries[i]!.index}`)
      }
    }
    if (rd.hardState !== null) p.hardState = rd.hardState
  }

  private apply(slot: Slot, rd: Ready): void {
    if (rd.committedEntries.length === 0) return
    for (const e of rd.committedEntries) {
      if (e.index !== slot.appliedIndex + 1) {
        throw new Error(`harness: ${slot.id} applied ${e.index} after ${slot.appliedIndex}`)
      }
      slot.appliedIndex = e.index
      const text = fmtData(e)
      const seen = this.appliedAt.get(e.index)
      if (seen === undefined) this.appliedAt.set(e.index, {term: e.term, text})
      else if (seen.term !== e.term || seen.text !== text) {
        throw new Error(`harness: state-machine safety: ${slot.id} applied ${e.index}/${e.term} ${text}, another node applied ${seen.term} ${seen.text}`)
      }
      if (e.type === 'normal' && e.data.length > 0) slot.sm.push({index: e.index, term: e.term, text})
    }
    this.trace(`${slot.id}: apply ${rd.committedEntries.map(fmtEntry).join(' ')}`)
  }

  private onEvent(slot: Slot, e: RaftEvent): void {
    slot.events.push(e)
    if (e.type === 'rebuildingChanged') slot.rebuilding = e.rebuilding
    switch (e.type) {
      case 'roleChanged':
        this.trace(`${slot.id}: ${e.from} -> ${e.to} term=${e.term} (${e.cause})`)
        if (e.to === 'leader') {
          const other = this.leaders.get(e.term)
          if (other !== undefined && other !== slot.id) throw new Error(`harness: election safety: ${other} and ${slot.id} both lead term ${e.term}`)
          this.leaders.set(e.term, slot.id)
        }
        break
      case 'confChanged':
        this.trace(`${slot.id}: conf ${fmtConf(e.conf)} @${e.index}`)
        break
      case 'transferStarted':
        this.trace(`${slot.id}: transfer to ${e.to} started term=${e.term}`)
        break
      case 'transferAborted':
        this.trace(`${slot.id}: transfer to ${e.to} aborted term=${e.term}`)
        break
      default:
        break
    }
  }

  /**
   * One round: handle every live node's pending Ready, then deliver the messages queued so far
   * (messages sent while delivering wait for the next round). Returns the number delivered
   * or dropped; 0 with no Ready handled means quiescent.
   */
  deliverRound(): number {
    let work = 0
    for (const id of this.liveIds) if (this.processReady(id)) work++
    const batch = this.network ? this.network(this.queue) : this.queue
    this.queue = []
    for (const m of batch) {
      work++
      if (this.blocked(m)) {
        this.dropped.push(m)
        if (this.traceMessages) this.trace(`DROP ${fmtMessage(m)}`)
        continue
      }
      this.delivered.push(m)
      if (this.traceMessages) this.trace(fmtMessage(m))
      this.node(m.to).step(m)
    }
    return work
  }

  /** Deliver rounds until no node has a Ready and no message is queued. */
  stabilize(): void {
    const start = this.delivered.length + this.dropped.length
    while (this.deliverRound() > 0) {
      if (this.delivered.length + this.dropped.length - start > this.maxMessages) {
        throw new Error(`harness: no quiescence after ${this.maxMessages} messages`)
      }
    }
  }

  // ------------------------------------------------------------------ trace

  trace(line: string): void {
    this.traceLines.push(line)
  }

  /** The trace lines since the last call. */
  takeTrace(): string[] {
    const t = this.traceLines
    this.traceLines = []
    return t
  }
}

// -------------------------------------------------------------------- a single core

/** Handle one Ready of a standalone core as a driver would (no persistence kept). */
export function drain(node: RaftNode): Ready[] {
  const out: Ready[] = []
  while (node.hasReady()) {
    const rd = node.ready()
    out.push(rd)
    node.advance()
  }
  return out
}

/** Every message of the given Readies (immediate ones first within each Ready). */
export function messagesOf(readies: readonly Ready[]): Message[] {
  return readies.flatMap((rd) => [...rd.messages, ...rd.messagesAfterPersist])
}

// -------------------------------------------------------------------- formatting

export function fmtConf(c: ConfState): string {
  return `voters=(${c.voters.join(',')})` + (c.learners.length > 0 ? ` learners=(${c.learners.join(',')})` : '')
}

/** `noop`, the command text, or the membership change, e.g. `addLearner(n4)`. */
export function fmtData(e: Entry): string {
  if (e.type === 'config') {
    try {
      const c = decodeConfChange(e.data)
      return `${c.type}(${c.node})`
    } catch {
      return 'badconf'
    }
  }
  return e.data.length === 0 ? 'noop' : dec.decode(e.data)
}

/** `index/term:data`. */
export function fmtEntry(e: Entry): string {
  return `${e.index}/${e.term}:${fmtData(e)}`
}

/** One line per message, e.g. `n1->n2 append term=2 prev=3/1 commit=3 entries=[4/2:noop]`. */
export function fmtMessage(m: Message): string {
  const head = `${m.from}->${m.to}`
  switch (m.type) {
    case 'vote':
      return `${head} ${m.pre ? 'prevote' : 'vote'} term=${m.term} last=${m.lastIndex}/${m.lastTerm}${m.transfer ? ' transfer' : ''}`
    case 'voteResp':
      return `${head} ${m.pre ? 'prevoteResp' : 'voteResp'} term=${m.term} ${m.granted ? 'granted' : 'rejected'}`
    case 'append':
      return `${head} append term=${m.term} prev=${m.prevIndex}/${m.prevTerm} commit=${m.commit} entries=[${m.entries.map(fmtEntry).join(' ')}]`
    case 'appendResp':
      return m.success
        ? `${head} appendResp term=${m.term} ok index=${m.index}`
        : `${head} appendResp term=${m.term} reject index=${m.index} hint=${m.hintIndex}/${m.hintTerm}`
    case 'heartbeat':
      return `${head} heartbeat term=${m.term} commit=${m.commit} round=${m.round}`
    case 'heartbeatResp':
      return `${head} heartbeatResp term=${m.term} round=${m.round}`
    case 'snapshot':
      return `${head} snapshot term=${m.term} index=${m.snapshot.meta.index}/${m.snapshot.meta.term} ${fmtConf(m.snapshot.meta.conf)}`
    case 'timeoutNow':
      return `${head} timeoutNow term=${m.term}`
  }
}

/** An aligned status table of the given nodes (down nodes shown as `down`). */
export function fmtStatus(h: Harness, nodes: readonly NodeId[] = h.nodeIds): string[] {
  const rows: string[][] = [['node', 'role', 'term', 'vote', 'leader', 'commit', 'applied', 'last', 'first', 'snap', 'conf']]
  for (const id of nodes) {
    if (!h.isUp(id)) {
      rows.push([id, 'down', '-', '-', '-', '-', '-', '-', '-', '-', '-'])
      continue
    }
    const s = h.status(id)
    const role = s.voter || s.role !== 'follower' ? s.role : s.conf.learners.includes(id) ? 'learner' : 'nonmember'
    rows.push([
      id, role, String(s.term), s.vote ?? '-', s.leader ?? '-', String(s.commitIndex), String(h.appliedIndex(id)),
      `${s.lastIndex}/${s.lastTerm}`, String(s.firstIndex), String(s.snapshotIndex), fmtConf(s.conf),
    ])
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)))
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join(' '))
}
