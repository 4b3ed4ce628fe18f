/**
 * RaftNode: the pure, deterministic Raft state machine. Inputs are `tick`, `step` (a message),
 * `propose`, `proposeConfChange`, `readIndex`, `campaign`, `transferLeader`, `stepDown`; outputs
 * are collected into a Ready (see README.md). No I/O, no clock, no timers, no async: time is
 * ticks and randomness comes from the injected Rng.
 */
import {resolveOptions, type RaftOptions, type ResolvedRaftOptions} from './config.js'
import {RaftLog} from './log.js'
import {Progress, type ProgressState} from './progress.js'
import {committedIndex, hasQuorum, majority, tallyVotes} from './quorum.js'
import type {Cause, ProposeResult, RaftErrorCode, RaftEvent, RaftRejection, ReadState, Ready, RequestResult, Role, VoteRefusal} from './ready.js'
import {
  decodeConfChange,
  encodeConfChange,
  type AppendRequest,
  type AppendResponse,
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type Heartbeat,
  type HeartbeatResponse,
  type Message,
  type NodeId,
  type Snapshot,
  type SnapshotData,
  type SnapshotRequest,
  type TimeoutNow,
  type VoteRequest,
  type VoteResponse,
} from './types.js'

/** What a node starts from: its durable state, or an empty log and an initial membership. */
export interface RaftInit {
  readonly hardState?: HardState
  /** Latest durable snapshot (its meta.conf is the membership at its index). */
  readonly snapshot?: Snapshot | null
  /** Durable entries after the snapshot. */
  readonly entries?: readonly Entry[]
  /** Membership when the log and snapshot hold none (a brand-new cluster). */
  readonly initialConf?: ConfState
  /**
   * The node lost data it may have acknowledged (its data folder was created anew although it
   * was a member) or was rebuilding when it stopped: it neither votes nor campaigns until it has
   * caught up (README.md "A node that lost its data"). Default false.
   */
  readonly rebuilding?: boolean
}

/** Options of {@link RaftNode.proposeConfChange}. */
export interface ConfChangeOptions {
  /**
   * Skip the strict reconfiguration check (an operator's `--force`): append the change even if
   * too few voters of the new configuration were recently heard from to form its quorum.
   * Default false.
   */
  readonly force?: boolean
}

/** Per-follower replication as reported by {@link RaftNode.status}. */
export interface ProgressStatus {
  readonly id: NodeId
  readonly match: number
  readonly next: number
  readonly state: ProgressState
  /** Heard from since the last CheckQuorum round (reset every election timeout; the leader itself: true). */
  readonly recentActive: boolean
  /**
   * Heard from within the last election timeout (`electionTicks`), the leader itself always: the
   * view the strict reconfiguration check of {@link RaftNode.proposeConfChange} uses. Unlike
   * `recentActive` it does not drop to false at each CheckQuorum round.
   */
  readonly recentlyHeard: boolean
  readonly ticksSinceContact: number
  readonly inflight: number
  /** The follower said it is rebuilding (its data was lost): its answers confirm nothing. */
  readonly rebuilding: boolean
}

/** A read-only picture of the node for status displays. */
export interface RaftStatus {
  readonly id: NodeId
  readonly role: Role
  readonly term: number
  readonly vote: NodeId | null
  readonly leader: NodeId | null
  readonly commitIndex: number
  readonly appliedIndex: number
  readonly lastIndex: number
  readonly lastTerm: number
  readonly firstIndex: number
  readonly snapshotIndex: number
  readonly conf: ConfState
  readonly voter: boolean
  readonly electionElapsed: number
  readonly electionTimeout: number
  readonly transferee: NodeId | null
  /** Rebuilding after losing its data: no votes, no campaigns until caught up. */
  readonly rebuilding: boolean
  readonly progress: readonly ProgressStatus[]
}

interface PendingRead {
  readonly id: number
  readonly index: number
  readonly round: number
}

const EMPTY = new Uint8Array(0)

/** The Raft consensus core for one node. Not thread-safe; owned by one driver. */
export class RaftNode {
  readonly id: NodeId
  private readonly o: ResolvedRaftOptions
  private readonly log: RaftLog

  // --- hard state (persisted before dependent messages leave) ---
  /** Current term. Never decreases. */
  private term = 0
  /** Vote in `term`; at most one per term. */
  private vote: NodeId | null = null

  // --- soft state ---
  private role: Role = 'follower'
  private leader: NodeId | null = null
  /** Membership: the latest config entry in the log (committed or not, dissertation §4.1). */
  private conf: ConfState
  /** Index of the config entry `conf` comes from (or the snapshot index). */
  private confIndex: number
  /** Ticks since the last election timeout reset (followers: since contact with a leader). */
  private electionElapsed = 0
  private heartbeatElapsed = 0
  /** Current randomized election timeout in [T, 2T). */
  private randomizedTimeout: number
  /** {@link leaderLost} shortened `randomizedTimeout`: the next leader heard draws a full one again. */
  private timeoutShortened = false
  /** Votes received in the current (pre-)election. */
  private readonly votes = new Map<NodeId, boolean>()
  /** Leader only: replication progress of every member including self. */
  private readonly progress = new Map<NodeId, Progress>()
  /** Leader only: target of a leadership transfer in progress. */
  private transferee: NodeId | null = null
  /** Leader only: highest config entry index proposed (only one change may be pending). */
  private pendingConfIndex = 0
  /** Leader only: heartbeat round counter for ReadIndex. */
  private round = 0
  /** Leader only: reads waiting for a quorum to acknowledge their round. */
  private pendingReads: PendingRead[] = []
  /** Leader only: reads waiting for the first commit in this term. */
  private readsBeforeCommit: number[] = []
  /** Leader only: a heartbeat round is owed to pending reads (sent at the next Ready). */
  private readRoundOwed = false
  /** Leader only: new entries are owed to followers (batched until the next Ready). */
  private appendOwed = false
  /**
   * This node lost data it may have acknowledged and has not caught up since: it grants no
   * vote, starts no election and ignores TimeoutNow (it forgot its vote and what it held, so
   * its vote could elect a leader missing committed entries, or a second leader in a term).
   * Cleared once its durable log holds a commit index of the current leader's term (that
   * covers every entry committed before the term); set by `init.rebuilding` or when a leader's
   * heartbeat carries a commit index beyond the log.
   */
  private rebuilding: boolean

  // --- outputs collected until the next Ready ---
  private msgs: Message[] = []
  private msgsAfterPersist: Message[] = []
  private readStates: ReadState[] = []
  private events: RaftEvent[] = []
  private prevHardState: HardState
  /** What the last Ready handed out, acknowledged by advance(). */
  private inReady: {lastEntry: number; applied: number; snapshot: Snapshot | null; term: number} | null = null
  /**
   * The term the driver has made durable (the hard state of the last advanced Ready). A leader
   * sends before persistence only in a durable term: a single voter elects itself in one step,
   * and its first messages must not carry a term a power loss could take back (a restarted node
   * could then lead that term again with a different log).
   */
  private durableTerm: number

  /**
   * @param options core options (see {@link RaftOptions})
   * @param init durable state to recover from; a brand-new node passes `initialConf`.
   */
  constructor(options: RaftOptions, init: RaftInit = {}) {
    this.o = resolveOptions(options)
    this.id = options.id
    const snapshot: Snapshot = init.snapshot ?? {
      meta: {index: 0, term: 0, conf: {voters: [], learners: []}},
      data: EMPTY,
    }
    const hs = init.hardState ?? {term: 0, vote: null, commit: 0}
    const bootstrap = isBlank(hs, snapshot, init.entries) && init.initialConf !== undefined
    const entries = bootstrap ? bootstrapEntries(init.initialConf!) : init.entries ?? []
    this.log = new RaftLog(snapshot, entries, bootstrap ? entries.length : hs.commit, this.o.bugs)
    this.term = bootstrap ? 1 : hs.term
    this.vote = this.o.bugs.forgetVoteOnRestart ? null : hs.vote
    this.rebuilding = init.rebuilding === true
    this.conf = {voters: [], learners: []}
    this.confIndex = 0
    this.recomputeConf()
    this.prevHardState = bootstrap ? hs : this.hardState()
    this.durableTerm = hs.term
    if (bootstrap) this.log.stableIndex = 0
    this.randomizedTimeout = this.drawTimeout()
  }

  // ===================================================================== inputs

  /** Advance logical time by one tick: election timeouts, heartbeats, CheckQuorum. */
  tick(): void {
    if (this.role === 'leader') this.tickLeader()
    else this.tickElection()
  }

  /** Process one message from a peer. Messages not addressed to this node are ignored. */
  step(m: Message): void {
    if (m.to !== this.id || m.from === this.id) return
    if (!this.stepTerm(m)) return
    switch (m.type) {
      case 'vote': return this.handleVote(m)
      case 'voteResp': return this.handleVoteResponse(m)
      case 'append': return this.handleAppend(m)
      case 'appendResp': return this.handleAppendResponse(m)
      case 'heartbeat': return this.handleHeartbeat(m)
      case 'heartbeatResp': return this.handleHeartbeatResponse(m)
      case 'snapshot': return this.handleSnapshot(m)
      case 'timeoutNow': return this.handleTimeoutNow(m)
    }
  }

  /** Append a state-machine command (leader only). Empty `data` is reserved for the no-op. */
  propose(data: Uint8Array): ProposeResult {
    const refusal = this.checkProposal(data.length)
    if (refusal) return refusal
    return this.appendAsLeader('normal', data)
  }

  /**
   * Append a membership change (leader only). Refused while another change is uncommitted or
   * before the leader has committed an entry of its own term (the single-server change fix).
   * Unless `options.force`, also refused with `UNSAFE_CHANGE` when it changes the voters and
   * fewer voters of the new configuration than its quorum were heard from within the last
   * election timeout, this leader counting itself (the strict reconfiguration check, as etcd's
   * `--strict-reconfig-check`): such a change could commit only once a silent voter answers, and
   * meanwhile CheckQuorum would make the leader step down — the cluster would stall although a
   * quorum of the old configuration can talk. A change of learners only is never refused by it.
   */
  proposeConfChange(change: ConfChange, options: ConfChangeOptions = {}): ProposeResult {
    const refusal = this.checkProposal(0) ?? this.checkConfChange(change) ?? (options.force ? null : this.checkHeardQuorum(change))
    if (refusal) return refusal
    const result = this.appendAsLeader('config', encodeConfChange(change))
    if (result.ok) this.pendingConfIndex = result.index
    return result
  }

  /**
   * Ask for a linearizable read (leader only). When leadership is confirmed by a heartbeat
   * round, a ReadState `{id, index}` appears in a Ready: serve the read once applied >= index.
   */
  readIndex(id: number): RequestResult {
    if (this.role !== 'leader') return this.reject('NOT_LEADER', 'not the leader')
    if (this.log.term(this.log.committed) !== this.term) {
      this.readsBeforeCommit.push(id)
      return {ok: true}
    }
    this.registerRead(id)
    return {ok: true}
  }

  /**
   * Start an election now (operator "trigger an election"). Forced, like a transfer: no
   * pre-vote, and the vote requests bypass the leader lease, so the term rises even while a
   * leader is healthy. Refused on non-voters; a no-op on the leader.
   */
  campaign(): RequestResult {
    if (!this.isVoter()) return this.reject('NOT_VOTER', `${this.id} is not a voter`)
    if (this.rebuilding) return this.reject('REBUILDING', `${this.id} lost its data and is rebuilding: it may not campaign until it has caught up`)
    if (this.role === 'leader') return {ok: true}
    this.startElection('manual', {forced: true})
    return {ok: true}
  }

  /**
   * Hand leadership to `to` (dissertation §3.10): stop taking proposals, bring `to` up to date,
   * send TimeoutNow. Aborted after an election timeout if `to` has not taken over.
   */
  transferLeader(to: NodeId): RequestResult {
    if (this.role !== 'leader') return this.reject('NOT_LEADER', 'not the leader')
    if (to === this.id) return {ok: true}
    if (!this.conf.voters.includes(to)) return this.reject('NOT_VOTER', `${to} is not a voter`)
    if (this.transferee === to) return {ok: true}
    this.transferee = to
    this.electionElapsed = 0
    this.event({type: 'transferStarted', to, term: this.term})
    const pr = this.progress.get(to)!
    if (pr.match === this.log.lastIndex()) this.sendTimeoutNow(to)
    else this.sendAppend(to)
    return {ok: true}
  }

  /** Leader steps down by transferring to the most caught-up voter (or, alone, refuses). */
  stepDown(): RequestResult {
    if (this.role !== 'leader') return this.reject('NOT_LEADER', 'not the leader')
    const target = this.mostCaughtUpFollower()
    if (target === null) return this.reject('NO_QUORUM', 'no other voter to hand leadership to')
    return this.transferLeader(target)
  }

  /** The voter (other than self) with the highest match index, or null. */
  mostCaughtUpFollower(): NodeId | null {
    let best: NodeId | null = null
    let bestMatch = -1
    for (const id of this.conf.voters) {
      if (id === this.id) continue
      const match = this.progress.get(id)?.match ?? 0
      if (match > bestMatch) {
        best = id
        bestMatch = match
      }
    }
    return best
  }

  /**
   * Adopt a snapshot of the local state machine taken at `snapshot.meta.index` (<= applied) and
   * drop in-memory entries up to `compactTo` (default: the snapshot index).
   */
  compact(snapshot: Snapshot, compactTo: number = snapshot.meta.index): void {
    this.log.compact(snapshot, compactTo)
  }

  /**
   * Tell the core a peer is unreachable (its connection was lost or refused, or its queue
   * overflowed). A leader falls back to probing that follower.
   *
   * A follower told that its leader is unreachable forgets it (the leader lease lapses, so it
   * grants PreVotes at once) and runs out its election timeout early: within a fresh draw from
   * [1, electionTicks] ticks, unless less remains. A dead leader (its process gone, so every
   * connection to it closes at once) is then replaced after a few ticks rather than a whole
   * timeout of [electionTicks, 2·electionTicks). The draw keeps electionTicks distinct slots, as
   * many as the ordinary timeout, so two followers told at the same moment split votes no more
   * often than two whose timers started at the same heartbeat. Needless elections are not made
   * more likely: a follower whose connection to a live leader drops campaigns only with a PreVote,
   * which the other voters, still hearing the leader, refuse (leader lease, §9.6); the next
   * heartbeat restores the leader.
   */
  reportUnreachable(peer: NodeId): void {
    const pr = this.progress.get(peer)
    if (this.role === 'leader' && pr && pr.state === 'replicate') pr.becomeProbe()
    if (this.role === 'follower' && peer === this.leader && this.o.preVote && this.o.checkQuorum) this.leaderLost()
  }

  /**
   * Tell the leader that the snapshot at `index` it sent to `peer` in `term` is still on its way
   * (the driver's network sends a large one in chunks, and reports each chunk written). A follower in
   * snapshot state waiting for that snapshot starts its wait before re-probing
   * ({@link RaftOptions.electionTicks} ticks) again: a snapshot that takes longer than an election
   * timeout to send is not sent again meanwhile (each re-send costs the leader an encode and the
   * follower a refused probe, and shows as another `snapshotSent`). Without reports (a network
   * that does not tell, or a snapshot lost on the way) the leader re-probes after the wait, as
   * before. Any other state or index, or a send of another term (a send begun by this node in an
   * earlier term as leader, which the follower will refuse as stale, must not hold back this
   * term's snapshot): ignored.
   */
  reportSnapshotInFlight(peer: NodeId, index: number, term: number): void {
    const pr = this.progress.get(peer)
    if (this.role === 'leader' && term === this.term && pr && pr.state === 'snapshot' && pr.pendingSnapshot === index) pr.snapshotTicks = 0
  }

  /** See {@link reportUnreachable}: forget the leader and time out within [1, electionTicks] ticks. */
  private leaderLost(): void {
    this.setLeader(null)
    const early = this.electionElapsed + 1 + this.o.rng.int(this.o.electionTicks)
    this.randomizedTimeout = Math.min(this.randomizedTimeout, early)
    this.timeoutShortened = true
  }

  // ===================================================================== Ready

  /** True while this node is the leader (cheaper than {@link status} for a per-Ready check). */
  get isLeader(): boolean {
    return this.role === 'leader'
  }

  /** True when a Ready holds work (the driver then calls ready(), handles it, and advance()). */
  hasReady(): boolean {
    return (
      this.appendOwed ||
      this.readRoundOwed ||
      this.msgs.length > 0 ||
      this.msgsAfterPersist.length > 0 ||
      this.readStates.length > 0 ||
      this.events.length > 0 ||
      this.log.pendingSnapshot !== null ||
      this.log.stableIndex < this.log.lastIndex() ||
      this.log.applied < this.log.committed ||
      !sameHardState(this.hardState(), this.prevHardState)
    )
  }

  /**
   * Collect the pending work. Call advance() once it is handled, before the next ready(). Other
   * inputs (step, tick, propose, …) may arrive in between, while the Ready is being persisted.
   */
  ready(): Ready {
    this.flushOwed()
    const hs = this.hardState()
    const entries = this.log.unstableEntries()
    const committedEntries = this.log.nextCommittedEntries(this.o.maxApplyBytes)
    const rd: Ready = {
      hardState: sameHardState(hs, this.prevHardState) ? null : hs,
      snapshot: this.log.pendingSnapshot,
      entries,
      messages: this.msgs,
      messagesAfterPersist: this.msgsAfterPersist,
      committedEntries,
      readStates: this.readStates,
      events: this.events,
    }
    this.inReady = {
      lastEntry: entries.length > 0 ? entries[entries.length - 1]!.index : this.log.stableIndex,
      applied: committedEntries.length > 0 ? committedEntries[committedEntries.length - 1]!.index : this.log.applied,
      snapshot: this.log.pendingSnapshot,
      term: hs.term,
    }
    this.log.unchangedThrough = Number.MAX_SAFE_INTEGER
    this.prevHardState = hs
    this.msgs = []
    this.msgsAfterPersist = []
    this.readStates = []
    this.events = []
    return rd
  }

  /**
   * While a Ready is being persisted: the messages that may leave before persistence (the
   * leader's appends, heartbeats, snapshots and TimeoutNow, including appends of entries
   * proposed since), so replication and heartbeats go on during a slow sync. Everything else
   * waits for the next Ready. Safe at any time; returns [] when there is nothing to send.
   */
  takeMessages(): Message[] {
    this.flushOwed()
    if (this.msgs.length === 0) return []
    const out = this.msgs
    this.msgs = []
    return out
  }

  /**
   * While a Ready is being persisted: the committed entries not yet handed out, to apply now.
   * They are durable on a quorum whatever this node's own sync does (a leader counts itself only
   * once its batch is durable, so these were committed by its followers). Only entries already
   * handed to storage (durable, or in the Ready being persisted and not replaced since) are
   * handed out: the applied index never passes what this node is writing, so a local snapshot
   * never covers entries it has yet to write. The next Ready starts after them. Returns [] when
   * there are none or a snapshot is pending. Safe at any time.
   */
  takeCommittedEntries(): Entry[] {
    const from = Math.max(this.log.applied, this.inReady?.applied ?? 0)
    const written = this.inReady === null ? this.log.stableIndex : Math.min(this.inReady.lastEntry, this.log.unchangedThrough)
    const to = Math.min(this.log.committed, written)
    if (this.log.pendingSnapshot !== null || from >= to) return []
    const out = this.log.slice(from + 1, to, this.o.maxApplyBytes)
    if (out.length === 0) return []
    const last = out[out.length - 1]!.index
    if (this.inReady !== null) this.inReady.applied = last
    else this.log.applied = last
    return out
  }

  /**
   * The last Ready has been persisted, sent and applied. Inputs that arrived while it was being
   * persisted are accounted for: entries it carried that a later append replaced (or a snapshot
   * superseded) are not marked stable, and a snapshot received meanwhile stays pending.
   */
  advance(): void {
    const done = this.inReady
    if (done === null) return
    this.inReady = null
    if (done.snapshot !== null && this.log.pendingSnapshot === done.snapshot) this.log.pendingSnapshot = null
    this.durableTerm = Math.max(this.durableTerm, done.term)
    const persisted = Math.min(done.lastEntry, this.log.unchangedThrough, this.log.lastIndex())
    this.log.stableIndex = Math.max(this.log.stableIndex, persisted)
    this.log.applied = Math.max(this.log.applied, done.applied)
    if (this.role === 'leader') {
      const self = this.progress.get(this.id)
      if (self && self.maybeUpdate(this.log.stableIndex)) this.maybeCommitAndBroadcast()
      this.maybeLeaveRemoved()
    }
  }

  // ===================================================================== status

  /** A snapshot of the node's state for status displays (safe to call at any time). */
  status(): RaftStatus {
    const progress: ProgressStatus[] = []
    if (this.role === 'leader') {
      for (const [id, pr] of this.progress) {
        progress.push({
          id,
          match: pr.match,
          next: pr.next,
          state: pr.state,
          recentActive: id === this.id || pr.recentActive,
          recentlyHeard: this.recentlyHeard(id),
          ticksSinceContact: id === this.id ? 0 : pr.ticksSinceContact,
          inflight: pr.inflight.length,
          rebuilding: pr.rebuilding,
        })
      }
    }
    return {
      id: this.id,
      role: this.role,
      term: this.term,
      vote: this.vote,
      leader: this.leader,
      commitIndex: this.log.committed,
      appliedIndex: this.log.applied,
      lastIndex: this.log.lastIndex(),
      lastTerm: this.log.lastTerm(),
      firstIndex: this.log.firstIndex(),
      snapshotIndex: this.log.snapshotIndex,
      conf: this.conf,
      voter: this.isVoter(),
      electionElapsed: this.electionElapsed,
      electionTimeout: this.randomizedTimeout,
      transferee: this.transferee,
      rebuilding: this.rebuilding,
      progress,
    }
  }

  /** The durable hard state as of now. */
  hardState(): HardState {
    return {term: this.term, vote: this.vote, commit: this.log.committed}
  }

  /** The entry at `index` if held in memory (for checkers and tests). */
  entryAt(index: number): Entry | undefined {
    return this.log.entry(index)
  }

  /** Term of the entry at `index` if known. */
  termAt(index: number): number | undefined {
    return this.log.term(index)
  }

  /** The latest snapshot held (for sending to followers and for checkers). */
  latestSnapshot(): Snapshot {
    return this.log.snapshot
  }

  /**
   * The driver holds the data of the snapshot at `index` another way now (it wrote a received
   * snapshot's bytes to a durable file and keeps a handle on the file): the core keeps `data`
   * instead, so the bytes it was given can be freed. The same state, so nothing else changes.
   * Ignored unless the latest snapshot is at `index` and none is pending.
   */
  replaceSnapshotData(index: number, data: SnapshotData): void {
    if (this.log.pendingSnapshot !== null || this.log.snapshot.meta.index !== index) return
    this.log.snapshot = {meta: this.log.snapshot.meta, data}
  }

  // ===================================================================== ticks

  private tickElection(): void {
    this.electionElapsed++
    if (this.electionElapsed >= this.randomizedTimeout && this.mayCampaign()) {
      this.electionElapsed = 0
      this.startElection('timeout', {})
    }
  }

  private tickLeader(): void {
    this.heartbeatElapsed++
    this.electionElapsed++
    for (const [id, pr] of this.progress) {
      if (id === this.id) continue
      pr.ticksSinceContact++
      if (pr.state === 'snapshot' && ++pr.snapshotTicks >= this.o.electionTicks) pr.becomeProbe()
    }
    if (this.electionElapsed >= this.o.electionTicks) {
      this.electionElapsed = 0
      if (this.o.checkQuorum && !this.maybeKeepLeadership()) return
      if (this.transferee !== null) this.abortTransfer()
    }
    if (this.heartbeatElapsed >= this.o.heartbeatTicks) {
      this.heartbeatElapsed = 0
      this.bcastHeartbeat()
    }
  }

  /** CheckQuorum: step down unless a majority was heard from in the last election timeout. */
  private maybeKeepLeadership(): boolean {
    const active = (id: NodeId): boolean => id === this.id || this.progress.get(id)?.recentActive === true
    const ok = hasQuorum(this.conf.voters, active)
    for (const [id, pr] of this.progress) if (id !== this.id) pr.recentActive = false
    if (!ok) this.becomeFollower(this.term, null, 'checkQuorum')
    return ok
  }

  private abortTransfer(): void {
    const to = this.transferee!
    this.transferee = null
    this.event({type: 'transferAborted', to, term: this.term})
  }

  // ===================================================================== roles

  private becomeFollower(term: number, leader: NodeId | null, cause: Cause, peer?: NodeId): void {
    const from = this.role
    if (term !== this.term) {
      this.term = term
      this.vote = null
    }
    this.role = 'follower'
    this.resetElectionState()
    this.setLeader(leader)
    if (from !== 'follower') this.event(peer === undefined ? {type: 'roleChanged', from, to: 'follower', term: this.term, cause} : {type: 'roleChanged', from, to: 'follower', term: this.term, cause, peer})
  }

  private becomePreCandidate(cause: Cause): void {
    const from = this.role
    this.role = 'precandidate'
    this.resetElectionState()
    this.setLeader(null)
    if (from !== 'precandidate') this.event({type: 'roleChanged', from, to: 'precandidate', term: this.term, cause})
  }

  private becomeCandidate(cause: Cause): void {
    const from = this.role
    this.term++
    this.vote = this.id
    this.role = 'candidate'
    this.resetElectionState()
    this.setLeader(null)
    this.event({type: 'roleChanged', from, to: 'candidate', term: this.term, cause})
  }

  private becomeLeader(): void {
    const from = this.role
    this.role = 'leader'
    this.resetElectionState()
    this.setLeader(this.id)
    this.progress.clear()
    for (const id of this.members()) this.addProgress(id)
    this.round = 0
    this.pendingReads = []
    this.readsBeforeCommit = []
    this.pendingConfIndex = this.log.lastIndex()
    this.event({type: 'roleChanged', from, to: 'leader', term: this.term, cause: 'won'})
    // §5.4.2 / §8: the leader's no-op, so entries of earlier terms commit by counting this one.
    if (!this.o.bugs.commitPreviousTerm) this.appendAsLeader('normal', EMPTY)
  }

  private resetElectionState(): void {
    this.electionElapsed = 0
    this.heartbeatElapsed = 0
    this.randomizedTimeout = this.drawTimeout()
    this.timeoutShortened = false
    this.votes.clear()
    this.transferee = null
    this.appendOwed = false
    this.readRoundOwed = false
    if (this.role !== 'leader') {
      this.progress.clear()
      this.pendingReads = []
      this.readsBeforeCommit = []
    }
  }

  private setLeader(leader: NodeId | null): void {
    if (this.leader !== leader) {
      this.leader = leader
      this.event({type: 'leaderChanged', leader, term: this.term})
    }
  }

  private drawTimeout(): number {
    return this.o.electionTicks + this.o.rng.int(this.o.electionTicks)
  }

  // ===================================================================== elections

  /**
   * Begin an election: a pre-vote first when PreVote is on, unless the election is `forced`
   * (leader transfer, operator campaign: no pre-vote and the lease is bypassed) or the pre-vote
   * was just won (`preVoteWon`: a real election that still respects the lease).
   */
  private startElection(cause: Cause, how: {forced?: boolean; preVoteWon?: boolean}): void {
    const forced = how.forced === true
    if (this.o.preVote && !forced && !how.preVoteWon) {
      this.becomePreCandidate(cause)
      this.event({type: 'electionStarted', term: this.term + 1, pre: true, cause})
      this.requestVotes(true, false)
    } else {
      this.becomeCandidate(cause)
      this.event({type: 'electionStarted', term: this.term, pre: false, cause})
      this.requestVotes(false, forced)
    }
  }

  private requestVotes(pre: boolean, forced: boolean): void {
    this.votes.set(this.id, true)
    if (this.checkVotes(pre)) return
    const term = pre ? this.term + 1 : this.term
    for (const id of this.conf.voters) {
      if (id === this.id) continue
      this.send({
        type: 'vote', from: this.id, to: id, term,
        lastIndex: this.log.lastIndex(), lastTerm: this.log.lastTerm(), pre, transfer: forced,
      })
    }
  }

  /** Tally; act on a decision. Returns true when the election is decided. */
  private checkVotes(pre: boolean): boolean {
    const result = tallyVotes(this.conf.voters, this.votes)
    if (result === 'won') {
      if (pre) this.startElection('won', {preVoteWon: true})
      else this.becomeLeader()
      return true
    }
    if (result === 'lost') {
      this.becomeFollower(this.term, null, 'lost')
      return true
    }
    return false
  }

  /** A leader was heard from within the minimum election timeout (leader lease, §6 / §9.6). */
  private inLease(): boolean {
    return this.o.checkQuorum && this.leader !== null && this.electionElapsed < this.o.electionTicks
  }

  // ===================================================================== term rules

  /**
   * Apply the term rules common to every message (§5.1). Returns false if the message must be
   * dropped (stale, or a vote request ignored under the leader lease).
   */
  private stepTerm(m: Message): boolean {
    if (m.term > this.term) {
      if (m.type === 'vote') {
        if (!m.transfer && this.inLease()) {
          this.voteEvent(m, false, 'lease')
          return false
        }
        if (m.pre) return true // a pre-vote never changes our term
        this.becomeFollower(m.term, null, 'higherTerm', m.from)
        return true
      }
      if (m.type === 'voteResp' && m.pre && m.granted) return true
      const leader = m.type === 'append' || m.type === 'heartbeat' || m.type === 'snapshot' ? m.from : null
      this.becomeFollower(m.term, leader, 'higherTerm', m.from)
      return true
    }
    if (m.term < this.term) {
      this.answerStale(m)
      return false
    }
    return true
  }

  /** Tell a node with a stale term about ours, so a stale leader or candidate steps down. */
  private answerStale(m: Message): void {
    if (m.type === 'append' || m.type === 'heartbeat' || m.type === 'snapshot') {
      this.send({type: 'appendResp', from: this.id, to: m.from, term: this.term, success: false, index: 0, hintIndex: 0, hintTerm: 0})
    } else if (m.type === 'vote') {
      this.send({type: 'voteResp', from: this.id, to: m.from, term: this.term, granted: false, pre: m.pre})
      this.voteEvent(m, false, 'staleTerm')
    }
  }

  // ===================================================================== handlers

  private handleVote(m: VoteRequest): void {
    const upToDate = this.o.bugs.skipUpToDateCheck || this.log.isUpToDate(m.lastIndex, m.lastTerm)
    const canVote = this.vote === m.from || (this.vote === null && this.leader === null) || (m.pre && m.term > this.term)
    const granted = canVote && upToDate && !this.rebuilding
    // A grant carries the requested term (a pre-vote's is one ahead of ours); a refusal carries ours.
    this.send({type: 'voteResp', from: this.id, to: m.from, term: granted ? m.term : this.term, granted, pre: m.pre})
    this.voteEvent(m, granted, granted ? null : !upToDate ? 'logBehind' : this.vote !== null ? 'votedOther' : 'leaderKnown')
    if (granted && !m.pre) {
      this.vote = m.from
      this.electionElapsed = 0
    }
  }

  private handleVoteResponse(m: VoteResponse): void {
    const expected: Role = m.pre ? 'precandidate' : 'candidate'
    if (this.role !== expected) return
    this.votes.set(m.from, m.granted)
    this.checkVotes(m.pre)
  }

  private handleAppend(m: AppendRequest): void {
    this.followLeader(m.from)
    const reply = (success: boolean, index: number, hintIndex = 0, hintTerm = 0): void =>
      this.send({type: 'appendResp', from: this.id, to: m.from, term: this.term, success, index, hintIndex, hintTerm, ...this.lifeFields()})
    if (m.prevIndex < this.log.committed) return reply(true, this.log.committed)
    if (!this.log.matchTerm(m.prevIndex, m.prevTerm)) {
      const hint = this.log.findConflictByTerm(Math.min(m.prevIndex, this.log.lastIndex()), m.prevTerm)
      return reply(false, m.prevIndex, hint, this.log.term(hint) ?? 0)
    }
    const {changedFrom, truncated} = this.log.appendFollower(m.prevIndex, m.entries)
    if (changedFrom > 0) this.afterLogChange(changedFrom, truncated, m.entries)
    const lastNew = m.prevIndex + m.entries.length
    this.log.commitTo(Math.min(m.commit, lastNew))
    // The leader's own commit index, not the part of it this append covers: a rebuilding node
    // that holds only a prefix ending in an entry of this term has not caught up (seed 63636).
    this.maybeFinishRebuilding(m.term, m.commit)
    reply(true, lastNew)
  }

  /**
   * A heartbeat's commit is at most what the leader recorded as this follower's match. Beyond
   * this log, it means the follower lost entries it acknowledged (its data was wiped): it starts
   * rebuilding and reports its last index, instead of ignoring the commit index.
   */
  private handleHeartbeat(m: Heartbeat): void {
    this.followLeader(m.from)
    const last = this.log.lastIndex()
    const shortLog = m.commit > last
    // A heartbeat's commit is capped at this follower's match: holding it says nothing of the
    // entries committed beyond it, so it never ends rebuilding (seed 63636: a rebuilding node
    // that held 9 of 89 committed entries voted, and a leader without entry 64 was elected).
    // The leader sends a rebuilding follower that has caught up an append with its whole
    // commit index instead (handleHeartbeatResponse).
    if (shortLog) this.setRebuilding(true)
    else this.log.commitTo(m.commit)
    this.send({
      type: 'heartbeatResp', from: this.id, to: m.from, term: this.term, round: m.round,
      ...this.lifeFields(), ...(shortLog ? {lastIndex: last} : {}),
    })
  }

  /** The fields of this node's answers that tell a leader about its data: incarnation (when not 0) and rebuilding (when true). */
  private lifeFields(): {incarnation?: number; rebuilding?: boolean} {
    const out: {incarnation?: number; rebuilding?: boolean} = {}
    if (this.o.incarnation > 0) out.incarnation = this.o.incarnation
    if (this.rebuilding) out.rebuilding = true
    return out
  }

  /**
   * Stop rebuilding once the durable log holds the leader's commit index `commit` and that
   * entry is of the leader's term `term`: a leader's commit in its own term covers every entry
   * committed before the term (§5.4), so this node again holds everything it may have
   * acknowledged, and its votes are safe.
   */
  private maybeFinishRebuilding(term: number, commit: number): void {
    if (!this.rebuilding || commit === 0 || this.log.stableIndex < commit || this.log.term(commit) !== term) return
    this.setRebuilding(false)
  }

  private setRebuilding(rebuilding: boolean): void {
    if (this.rebuilding === rebuilding) return
    this.rebuilding = rebuilding
    this.event({type: 'rebuildingChanged', rebuilding, term: this.term, index: this.log.lastIndex()})
  }

  private handleSnapshot(m: SnapshotRequest): void {
    this.followLeader(m.from)
    const meta = m.snapshot.meta
    const reply = (index: number): void =>
      this.send({type: 'appendResp', from: this.id, to: m.from, term: this.term, success: true, index, hintIndex: 0, hintTerm: 0, ...this.lifeFields()})
    if (meta.index <= this.log.committed) return reply(this.log.committed)
    if (this.log.matchTerm(meta.index, meta.term)) {
      // We already hold the entry: just fast-forward the commit index.
      this.log.commitTo(meta.index)
      return reply(meta.index)
    }
    this.log.restore(m.snapshot)
    this.conf = meta.conf
    this.confIndex = meta.index
    this.event({type: 'snapshotReceived', from: m.from, index: meta.index, term: this.term})
    this.event({type: 'confChanged', conf: this.conf, index: meta.index})
    reply(meta.index)
  }

  private handleTimeoutNow(_m: TimeoutNow): void {
    if (this.role === 'leader' || !this.mayCampaign()) return
    this.startElection('transfer', {forced: true})
  }

  private handleAppendResponse(m: AppendResponse): void {
    if (this.role !== 'leader') return
    const pr = this.progress.get(m.from)
    if (!pr || !this.checkLife(m.from, pr, m)) return
    this.markActive(pr)
    if (!m.success) return this.handleAppendRejection(m.from, pr, m)
    const wasPaused = pr.isPaused()
    if (pr.maybeUpdate(m.index)) {
      if (pr.state === 'probe' || (pr.state === 'snapshot' && pr.match >= pr.pendingSnapshot)) pr.becomeReplicate()
      this.maybeCommitAndBroadcast()
      if (this.transferee === m.from && pr.match === this.log.lastIndex()) this.sendTimeoutNow(m.from)
      this.maybeSendNews(m.from)
    } else if (wasPaused) {
      this.maybeSendNews(m.from)
    }
  }

  private handleAppendRejection(from: NodeId, pr: Progress, m: AppendResponse): void {
    if (m.index === 0 && m.hintIndex === 0) return // a stale-term answer carries no log information
    let probeFrom = m.hintIndex
    if (m.hintTerm > 0) probeFrom = this.log.findConflictByTerm(m.hintIndex, m.hintTerm)
    if (pr.maybeDecrease(m.index, probeFrom + 1)) {
      if (pr.state === 'replicate') pr.becomeProbe()
      this.sendAppend(from)
    }
  }

  private handleHeartbeatResponse(m: HeartbeatResponse): void {
    if (this.role !== 'leader') return
    const pr = this.progress.get(m.from)
    if (!pr || !this.checkLife(m.from, pr, m)) return
    if (m.lastIndex !== undefined && m.lastIndex < pr.match) this.forgetProgress(m.from, pr, 'shortLog', m.lastIndex + 1)
    this.markActive(pr)
    // A rebuilding follower forgot the terms it saw: its acknowledgement confirms no leadership.
    if (m.round > pr.ackedRound && !pr.rebuilding) pr.ackedRound = m.round
    this.releaseConfirmedReads()
    if (pr.match < this.log.lastIndex()) this.resumeLagging(m.from, pr)
    // A rebuilding follower holding every entry: an append carries the whole commit index, which
    // lets it stop rebuilding (a heartbeat's commit, capped at its match, does not).
    else if (pr.rebuilding && pr.state === 'replicate') this.sendAppend(m.from)
  }

  /** A heartbeat answered but the follower is behind: unpause, and re-probe if stalled. */
  private resumeLagging(id: NodeId, pr: Progress): void {
    if (pr.state === 'probe') pr.probeSent = false
    else if (pr.state === 'replicate') {
      if (++pr.stalledHeartbeats >= 3) pr.becomeProbe()
      else if (pr.isPaused()) pr.freeFirstInflight()
    }
    this.maybeSendAppend(id)
  }

  /**
   * Leader: what a follower's answer says about its data. An answer from a lower incarnation
   * than recorded is from a previous life: dropped (returns false). A higher one means the
   * follower's data was created anew: the match recorded for it is forgotten. Notes whether it
   * is rebuilding.
   */
  private checkLife(id: NodeId, pr: Progress, m: AppendResponse | HeartbeatResponse): boolean {
    const incarnation = m.incarnation ?? 0
    if (incarnation < pr.incarnation) return false
    if (incarnation > pr.incarnation) {
      pr.incarnation = incarnation
      if (pr.match > 0) this.forgetProgress(id, pr, 'incarnation', this.log.lastIndex() + 1)
    }
    pr.rebuilding = m.rebuilding === true
    return true
  }

  /** Forget a follower's match (it lost data): probe it again from `next`; entries or a snapshot repair it. */
  private forgetProgress(id: NodeId, pr: Progress, reason: 'incarnation' | 'shortLog', next: number): void {
    this.event({type: 'progressReset', node: id, match: pr.match, reason, term: this.term})
    pr.forget(Math.min(next, this.log.lastIndex() + 1))
  }

  /** A follower answered; a rebuilding one does not count toward CheckQuorum (it forgot the terms it saw). */
  private markActive(pr: Progress): void {
    if (!pr.rebuilding) pr.recentActive = true
    pr.heard = true
    pr.ticksSinceContact = 0
  }

  /**
   * Adopt `leader` for this term and reset the election timer. A timeout that
   * {@link leaderLost} shortened is drawn afresh: the leader is back (the connection drop was
   * brief, or the notice came late), and a short timeout kept would start needless PreVotes.
   */
  private followLeader(leader: NodeId): void {
    if (this.role !== 'follower') this.becomeFollower(this.term, leader, 'higherTerm')
    this.setLeader(leader)
    this.electionElapsed = 0
    if (this.timeoutShortened) {
      this.timeoutShortened = false
      this.randomizedTimeout = this.drawTimeout()
    }
  }

  // ===================================================================== replication

  private appendAsLeader(type: 'normal' | 'config', data: Uint8Array): ProposeResult {
    const index = this.log.lastIndex() + 1
    const entry: Entry = {term: this.term, index, type, data}
    this.log.appendNew([entry])
    if (type === 'config') this.applyConfChange(entry)
    if (this.o.batchAppends) this.appendOwed = true
    else this.bcastAppend()
    return {ok: true, index, term: this.term}
  }

  private checkProposal(bytes: number): RaftRejection | null {
    if (this.role !== 'leader') return this.reject('NOT_LEADER', 'not the leader')
    if (this.transferee !== null) return this.reject('TRANSFER_IN_PROGRESS', `leadership is being transferred to ${this.transferee}`)
    if (bytes > this.o.maxProposalBytes) return this.reject('PAYLOAD_TOO_LARGE', `proposal of ${bytes} bytes exceeds maxProposalBytes ${this.o.maxProposalBytes}`)
    if (this.log.lastIndex() - this.log.committed >= this.o.maxUncommittedEntries) {
      return this.reject('NO_QUORUM', `${this.o.maxUncommittedEntries} entries await commit (maxUncommittedEntries)`)
    }
    return null
  }

  /** Send new entries (or a newer commit index) to every follower that can take them. */
  private bcastAppend(): void {
    for (const id of this.progress.keys()) if (id !== this.id) this.maybeSendNews(id)
  }

  private bcastHeartbeat(): void {
    this.round++
    for (const [id, pr] of this.progress) {
      if (id === this.id) continue
      const commit = Math.min(pr.match, this.log.committed)
      this.send({type: 'heartbeat', from: this.id, to: id, term: this.term, commit, round: this.round})
    }
    this.releaseConfirmedReads()
  }

  /** Send an append (or a snapshot) to `to` if its progress is not paused. */
  private maybeSendAppend(to: NodeId): void {
    const pr = this.progress.get(to)
    if (!pr || pr.isPaused()) return
    this.sendAppend(to)
  }

  private sendAppend(to: NodeId): void {
    const pr = this.progress.get(to)!
    const prevIndex = pr.next - 1
    const prevTerm = this.log.term(prevIndex)
    // Entries from `next` were compacted away: only a snapshot can bring this follower up.
    if (prevTerm === undefined || pr.next < this.log.firstIndex()) return this.sendSnapshot(to, pr)
    const entries = pr.next <= this.log.lastIndex() ? this.log.slice(pr.next, this.log.lastIndex(), this.o.maxAppendBytes) : []
    this.send({type: 'append', from: this.id, to, term: this.term, prevIndex, prevTerm, entries, commit: this.log.committed})
    pr.sentEntries(prevIndex + entries.length, entries.length)
    pr.commitSent = this.log.committed
  }

  /** Send to `to` only if it has entries to receive or has not been told the commit index. */
  private maybeSendNews(to: NodeId): void {
    const pr = this.progress.get(to)
    if (!pr) return
    // In replicate state, pipeline appends until the in-flight window is full (§5.3 flow control).
    do {
      if (pr.isPaused()) return
      if (pr.next > this.log.lastIndex() && (!this.o.commitNotices || pr.commitSent >= this.log.committed)) return
      this.sendAppend(to)
    } while (pr.state === 'replicate' && pr.next <= this.log.lastIndex())
  }

  private sendSnapshot(to: NodeId, pr: Progress): void {
    const snapshot = this.log.snapshot
    this.send({type: 'snapshot', from: this.id, to, term: this.term, snapshot})
    pr.becomeSnapshot(snapshot.meta.index)
    this.event({type: 'snapshotSent', to, index: snapshot.meta.index, term: this.term})
  }

  private sendTimeoutNow(to: NodeId): void {
    this.send({type: 'timeoutNow', from: this.id, to, term: this.term})
  }

  /** Commit the highest index a majority holds, but only by counting entries of this term (§5.4.2). */
  private maybeCommitAndBroadcast(): void {
    const index = committedIndex(this.conf.voters, (id) => this.progress.get(id)?.match ?? 0)
    if (index <= this.log.committed) return
    if (this.log.term(index) !== this.term && !this.o.bugs.commitPreviousTerm) return
    const firstInTerm = this.log.term(this.log.committed) !== this.term
    this.log.commitTo(index)
    if (firstInTerm) this.releaseReadsBeforeCommit()
    this.maybeLeaveRemoved()
    // Tell followers the new commit index promptly (batched into the next Ready), unless it
    // waits for the next append or heartbeat (commitNotices off).
    if (!this.o.commitNotices) return
    if (this.o.batchAppends) this.appendOwed = true
    else this.bcastAppend()
  }

  /** Send what was owed during this batch: one append per follower, one read round. */
  private flushOwed(): void {
    if (this.appendOwed) {
      this.appendOwed = false
      if (this.role === 'leader') this.bcastAppend()
    }
    if (this.readRoundOwed) {
      this.readRoundOwed = false
      if (this.role === 'leader') this.bcastHeartbeat()
    }
  }

  // ===================================================================== ReadIndex

  private registerRead(id: number): void {
    if (this.conf.voters.length === 1 && this.conf.voters[0] === this.id) {
      this.readStates.push({id, index: this.log.committed})
      return
    }
    // The read is confirmed by the next heartbeat round (sent at the next Ready).
    this.pendingReads.push({id, index: this.log.committed, round: this.round + 1})
    this.readRoundOwed = true
  }

  private releaseReadsBeforeCommit(): void {
    const ids = this.readsBeforeCommit
    this.readsBeforeCommit = []
    for (const id of ids) this.registerRead(id)
  }

  /** Release, in order, every read whose round a quorum has acknowledged. */
  private releaseConfirmedReads(): void {
    if (this.pendingReads.length === 0) return
    const acked = (id: NodeId): number => (id === this.id ? this.round : this.progress.get(id)?.ackedRound ?? 0)
    const confirmedRound = committedIndex(this.conf.voters, acked)
    let n = 0
    while (n < this.pendingReads.length && this.pendingReads[n]!.round <= confirmedRound) {
      const r = this.pendingReads[n]!
      this.readStates.push({id: r.id, index: r.index})
      n++
    }
    if (n > 0) this.pendingReads.splice(0, n)
  }

  // ===================================================================== membership

  private isVoter(): boolean {
    return this.conf.voters.includes(this.id)
  }

  /**
   * May this node start an election (a timeout, or TimeoutNow)? Not while rebuilding. A voter of
   * its latest configuration may; so may a node that a configuration entry not yet committed here
   * removed, if it was a voter before that entry (dissertation §4.2.2: such a server "might still
   * be needed until the Cnew entry is committed"). Its own vote does not count then (the tally
   * counts the latest configuration's voters), and as leader it steps down once the removal
   * commits ({@link maybeLeaveRemoved}). Without this, a removal left uncommitted by a crash could
   * stall the cluster for good: the removed node held the longest log, so no other candidate got
   * its vote, and it never ran (simulator seed 19156, with a node that lost its disk not voting).
   */
  private mayCampaign(): boolean {
    if (this.rebuilding) return false
    if (this.isVoter()) return true
    return this.confIndex > this.log.committed && this.confIndex - 1 >= this.log.snapshotIndex && this.confAt(this.confIndex - 1).voters.includes(this.id)
  }

  private members(): NodeId[] {
    return [...this.conf.voters, ...this.conf.learners]
  }

  private addProgress(id: NodeId): void {
    const pr = new Progress(this.log.lastIndex() + 1, this.o.maxInflight)
    if (id === this.id) pr.match = this.log.stableIndex
    this.progress.set(id, pr)
  }

  private checkConfChange(change: ConfChange): RaftRejection | null {
    if (this.log.term(this.log.committed) !== this.term) {
      return this.reject('CONF_CHANGE_PENDING', 'the leader has not yet committed an entry of its term; retry shortly')
    }
    if (this.pendingConfIndex > this.log.committed) {
      return this.reject('CONF_CHANGE_PENDING', `a membership change at index ${this.pendingConfIndex} is not yet committed`)
    }
    const {voters, learners} = this.conf
    const n = change.node
    switch (change.type) {
      case 'addLearner':
        if (voters.includes(n) || learners.includes(n)) return this.reject('BAD_REQUEST', `${n} is already a member`)
        return null
      case 'addVoter':
        if (voters.includes(n)) return this.reject('BAD_REQUEST', `${n} is already a voter`)
        return null
      case 'promote':
        if (!learners.includes(n)) return this.reject('NODE_NOT_FOUND', `${n} is not a learner`)
        return null
      case 'remove':
        if (!voters.includes(n) && !learners.includes(n)) return this.reject('NODE_NOT_FOUND', `${n} is not a member`)
        if (voters.length === 1 && voters[0] === n) return this.reject('BAD_REQUEST', 'cannot remove the last voter')
        return null
    }
  }

  /**
   * The strict reconfiguration check (see {@link proposeConfChange}): null when `change` leaves
   * the voters as they are or when enough voters of the new configuration were recently heard
   * from; else an `UNSAFE_CHANGE` rejection that names the silent voters.
   */
  private checkHeardQuorum(change: ConfChange): RaftRejection | null {
    const after = nextConf(this.conf, change).voters
    const before = this.conf.voters
    if (after.length === before.length && after.every((id) => before.includes(id))) return null
    const heard = (id: NodeId): boolean => this.recentlyHeard(id)
    if (hasQuorum(after, heard)) return null
    const silent = after.filter((id) => !heard(id)).map((id) => this.describeSilence(id))
    const reachable = after.filter(heard).length
    return this.reject('UNSAFE_CHANGE',
      `${silent.join('; ')}; after ${changeVerb(change)} only ${reachable} of ${after.length} voters would be reachable, quorum ${majority(after.length)}`)
  }

  /** Whether this leader heard from `id` within the last election timeout (itself: always). */
  private recentlyHeard(id: NodeId): boolean {
    if (id === this.id) return true
    const pr = this.progress.get(id)
    return pr !== undefined && pr.heard && pr.ticksSinceContact < this.o.electionTicks
  }

  /** `n2 has not been heard by the leader n1 for 45 ticks (election timeout 30)`. */
  private describeSilence(id: NodeId): string {
    const pr = this.progress.get(id)
    if (pr === undefined || !pr.heard) return `${id} has not been heard by the leader ${this.id} yet`
    return `${id} has not been heard by the leader ${this.id} for ${pr.ticksSinceContact} ticks (election timeout ${this.o.electionTicks})`
  }

  /** Adopt the membership of a config entry as soon as it is in the log (dissertation §4.1). */
  private applyConfChange(entry: Entry): void {
    const change = decodeConfChange(entry.data)
    this.conf = nextConf(this.conf, change)
    this.confIndex = entry.index
    this.event({type: 'confChanged', conf: this.conf, index: entry.index, change})
    if (this.role === 'leader') this.syncProgressWithConf()
  }

  private syncProgressWithConf(): void {
    const members = new Set(this.members())
    for (const id of [...this.progress.keys()]) if (!members.has(id)) this.progress.delete(id)
    for (const id of members) if (!this.progress.has(id)) this.addProgress(id)
    if (this.transferee !== null && !this.conf.voters.includes(this.transferee)) this.transferee = null
    this.maybeCommitAndBroadcast()
  }

  /** After a follower's log changed from `from`: recompute membership if a config entry moved. */
  private afterLogChange(from: number, truncated: boolean, entries: readonly Entry[]): void {
    if (truncated && from <= this.confIndex) {
      this.recomputeConf()
      this.event({type: 'confChanged', conf: this.conf, index: this.confIndex})
      return
    }
    for (const e of entries) if (e.index >= from && e.type === 'config') this.applyConfChange(e)
  }

  /** Membership from the snapshot plus every config entry in the log after it. */
  private recomputeConf(): void {
    this.conf = this.walkConfAt(this.log.lastIndex())
    let index = this.log.snapshotIndex
    for (let i = this.log.lastIndex(); i > this.log.snapshotIndex; i--) {
      if (this.log.entry(i)?.type === 'config') {
        index = i
        break
      }
    }
    this.confIndex = index
  }

  /**
   * Membership as of `index` (between the snapshot index and the last index). At or after the
   * last config entry (`confIndex`: where a snapshot is taken, at the applied index, almost
   * always is) it is the current membership, in O(1); before it, the log is walked from the
   * snapshot (at a million-entry log the walk alone held a leader's loop for tens of ms).
   */
  confAt(index: number): ConfState {
    if (index >= this.confIndex && index <= this.log.lastIndex()) return this.conf
    return this.walkConfAt(index)
  }

  /** {@link confAt} from the snapshot's membership and the log alone (`conf` and `confIndex` may be stale: after a truncation). */
  private walkConfAt(index: number): ConfState {
    let conf = this.log.snapshot.meta.conf
    for (let i = Math.max(this.log.firstIndex(), this.log.snapshotIndex + 1); i <= index; i++) {
      const e = this.log.entry(i)
      if (e?.type === 'config') conf = nextConf(conf, decodeConfChange(e.data))
    }
    return conf
  }

  /** A leader removed from the configuration steps down once the removal is committed. */
  private maybeLeaveRemoved(): void {
    if (this.role === 'leader' && !this.isVoter() && this.log.committed >= this.confIndex) {
      this.becomeFollower(this.term, null, 'removed')
    }
  }

  // ===================================================================== outputs

  private send(m: Message): void {
    const immediate = this.role === 'leader' && m.from === this.id && this.term === this.durableTerm &&
      (m.type === 'append' || m.type === 'heartbeat' || m.type === 'snapshot' || m.type === 'timeoutNow')
    if (immediate) this.msgs.push(m)
    else this.msgsAfterPersist.push(m)
  }

  private event(e: RaftEvent): void {
    this.events.push(e)
  }

  /** Report how this node answered a (pre-)vote request. */
  private voteEvent(m: VoteRequest, granted: boolean, reason: VoteRefusal | null): void {
    this.event({type: 'voteCast', candidate: m.from, term: m.term, pre: m.pre, granted, reason})
  }

  private reject(code: RaftErrorCode, message: string): RaftRejection {
    return {ok: false, code, message, leader: this.leader}
  }
}

/** Membership after applying one change. */
export function nextConf(conf: ConfState, change: ConfChange): ConfState {
  const voters = conf.voters.filter((id) => id !== change.node)
  const learners = conf.learners.filter((id) => id !== change.node)
  switch (change.type) {
    case 'addLearner': learners.push(change.node); break
    case 'addVoter':
    case 'promote': voters.push(change.node); break
    case 'remove': break
  }
  return {voters, learners}
}

/** `removing n3`, `adding n4 as a voter`, … (for messages). */
function changeVerb(change: ConfChange): string {
  switch (change.type) {
    case 'addLearner': return `adding ${change.node} as a learner`
    case 'addVoter': return `adding ${change.node} as a voter`
    case 'promote': return `promoting ${change.node}`
    case 'remove': return `removing ${change.node}`
  }
}

/** True for a node that has never stored anything. */
function isBlank(hs: HardState, snapshot: Snapshot, entries: readonly Entry[] | undefined): boolean {
  return hs.term === 0 && hs.commit === 0 && snapshot.meta.index === 0 && (entries?.length ?? 0) === 0
}

/**
 * The log every founding member of a new cluster starts with: one config entry per initial
 * member at term 1, committed by construction (all founders write the same entries).
 */
export function bootstrapEntries(conf: ConfState): Entry[] {
  const changes: ConfChange[] = [
    ...conf.voters.map((node): ConfChange => ({type: 'addVoter', node})),
    ...conf.learners.map((node): ConfChange => ({type: 'addLearner', node})),
  ]
  return changes.map((change, i) => ({term: 1, index: i + 1, type: 'config', data: encodeConfChange(change)}))
}

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit
}
