/**
 * The driver: owns one Raft core and runs its Ready loop in the contract order (persist, send,
 * apply, advance — src/raft/README.md) against injected ports. The daemon and the simulator run
 * this same code. One Ready is one storage batch (one fsync: group commit). With a storage that
 * offers `saveAsync`, the driver keeps taking inputs while a batch syncs (pipelined group commit):
 * whatever arrives meanwhile goes into the next Ready, which starts when the sync completes.
 * With a state machine that offers `capture` and a storage that offers `writeSnapshot`, periodic
 * snapshots are captured at the applied index (copy-on-write) and serialized, written and synced in the
 * background while the driver goes on; the log is compacted once the snapshot is durable. With
 * a `runInSlices` host, a state machine that offers `beginRestore` and a storage that offers
 * `writeSnapshot`, a snapshot from the leader is installed the same way: decoded in slices, its
 * file written in the background, then persisted and switched to at once (see installInBackground).
 */
import {RaftNode, type ConfChangeOptions, type RaftOptions, type RaftEvent, type Ready, type RaftStatus, type RequestResult} from '../raft/index.js'
import type {ConfChange, ConfState, Entry, HardState, Message, NodeId, Snapshot, SnapshotData} from '../raft/types.js'
import {NODE_DEFAULTS} from '../common/defaults.js'
import {AppliedBytes} from './applied-bytes.js'
import type {ApplyResult, Network, RestoreJob, SliceRunner, StateMachine, Storage, StorageWrite, StreamRestoreJob} from './ports.js'
import {isSnapshotSource, openSnapshotData, releaseSnapshotData, snapshotBytes, type SnapshotSource} from './snapshot-data.js'

/**
 * How a proposal ended. `unknown` means it may or may not take effect (never "failed"). `R` is
 * the state machine's result type (see {@link Replica}); null for an entry it was not given.
 */
export type ProposalOutcome<R = ApplyResult> =
  | {readonly ok: true; readonly index: number; readonly result: R | null}
  | {readonly ok: false; readonly code: string; readonly message: string; readonly leader: NodeId | null; readonly unknown: boolean}

/** How a linearizable read ended: ok means "read the state machine now". */
export type ReadOutcome =
  | {readonly ok: true; readonly index: number}
  | {readonly ok: false; readonly code: string; readonly message: string; readonly leader: NodeId | null}

/** Options of a replica; `R` is the result type of its state machine. */
export interface ReplicaOptions<R = ApplyResult> {
  /** Core options (id, rng, timing, limits). */
  readonly raft: RaftOptions
  readonly storage: Storage
  readonly network: Network
  readonly stateMachine: StateMachine<R>
  /** Membership of a brand-new cluster (ignored when storage holds state). */
  readonly initialConf?: ConfState
  /**
   * The node lost data it may have acknowledged (a wiped data folder of a member) or was still
   * rebuilding when it stopped: the core refuses to vote until it has caught up
   * (src/raft/README.md "A node that lost its data"). The driver's owner records the core's
   * `rebuildingChanged` events durably and passes the mark back here. Default false.
   */
  readonly rebuilding?: boolean
  /** Take a state-machine snapshot every this many applied entries. Default 10000 ({@link REPLICA_DEFAULTS}). 0 disables. */
  readonly snapshotEvery?: number
  /** Entries kept behind a snapshot so slightly lagging followers need no snapshot. Default 5000 ({@link REPLICA_DEFAULTS}). */
  readonly compactionLag?: number
  /**
   * Also take a snapshot once the entries applied since the last one hold this many bytes of
   * data, before `snapshotEvery` entries (large values). Default 64 MiB ({@link REPLICA_DEFAULTS}). 0: no byte trigger.
   */
  readonly snapshotEveryBytes?: number
  /**
   * Most bytes of entry data kept behind a snapshot: compaction keeps at most `compactionLag`
   * entries and at most this many bytes, whichever is fewer. Default 16 MiB ({@link REPLICA_DEFAULTS}).
   */
  readonly compactionLagBytes?: number
  /** Called for every core event (role, leader, elections, membership). */
  readonly onEvent?: (event: RaftEvent) => void
  /** Called for every entry applied (for checkers and metrics). */
  onApplied?(index: number, term: number, data: Uint8Array, result: R | null): void
  /** Called after a snapshot from the leader was persisted and restored into the state machine. */
  readonly onSnapshotInstalled?: (index: number) => void
  /**
   * Called when an asynchronous save fails; the replica then processes nothing more (stop it and
   * reopen the store). Without it the error is thrown. A failing synchronous save always throws.
   */
  readonly onStorageError?: (err: Error) => void
  /**
   * Which nodes sync their batches in the background when the storage has `saveAsync`:
   * `'always'` (default), or only the `'leader'`. A follower's acknowledgement waits for its
   * sync either way, so a synchronous sync costs it no latency and saves the thread-pool round
   * trip (as etcd's followers, which persist in their Ready loop); the leader's appends have
   * already left, so it keeps taking requests while its batch syncs.
   */
  readonly backgroundSaves?: 'always' | 'leader'
  /**
   * How the host runs long work in slices between its other events (the daemon: a few ms each,
   * then setImmediate). With it, a snapshot received from the leader is installed without
   * stopping the node, when the state machine has `beginRestore` and the storage `writeSnapshot`.
   * Without it (the simulator) the install happens at once inside the Ready.
   */
  readonly runInSlices?: SliceRunner
}

/** Defaults of {@link ReplicaOptions}: the node defaults of src/common/defaults.ts. */
export const REPLICA_DEFAULTS = {
  snapshotEvery: NODE_DEFAULTS.snapshotEvery,
  compactionLag: NODE_DEFAULTS.compactionLag,
  snapshotEveryBytes: NODE_DEFAULTS.snapshotEveryBytes,
  compactionLagBytes: NODE_DEFAULTS.compactionLagBytes,
  backgroundSaves: 'always',
} as const

/** A proposal waiting for its index to apply. (Callbacks are methods: a Replica<R> is usable as a Replica<unknown>.) */
interface PendingProposal<R> {
  readonly term: number
  cb(outcome: ProposalOutcome<R>): void
}

/**
 * One node's replica: core + storage + network + state machine. `R` is the state machine's
 * result type, handed to proposers as it is (the daemon's is the KV's `KvResult`).
 *
 * The core is private: callers drive it through the replica's verbs (propose, read barrier,
 * membership, campaign, transfer, step down, snapshot) and read it through {@link status}, so
 * every input is followed by the replica's Ready handling and nothing bypasses the driver.
 */
export class Replica<R = ApplyResult> {
  private readonly core: RaftNode
  private readonly storage: Storage
  private readonly network: Network
  private readonly sm: StateMachine<R>
  private readonly snapshotEvery: number
  private readonly compactionLag: number
  private readonly snapshotEveryBytes: number
  private readonly compactionLagBytes: number
  /** Data bytes of the applied entries the log may still hold (for the byte bounds). */
  private readonly appliedBytes: AppliedBytes
  private readonly backgroundSaves: 'always' | 'leader'
  private readonly onEvent?: (event: RaftEvent) => void
  private readonly onApplied?: ReplicaOptions<R>['onApplied']
  private readonly onSnapshotInstalled?: ReplicaOptions<R>['onSnapshotInstalled']
  private readonly onStorageError?: ReplicaOptions<R>['onStorageError']
  private readonly runInSlices?: SliceRunner
  /** True while a snapshot from the leader is being installed in the background (`persisting` too). */
  private installing = false
  /** The snapshot from the leader the core holds and that is not being installed yet (see afterSnapshotMessage). */
  private receivedSnapshot: Snapshot | null = null
  /** True while a Ready's batch is being synced by `saveAsync` (no new Ready starts meanwhile). */
  private persisting = false
  /** Called once no batch is being synced. */
  private idleWaiters: (() => void)[] = []
  /** Set when an asynchronous save failed. */
  private storageFailure: Error | null = null
  /**
   * Proposals by log index, resolved when that index is applied. Several can wait on one index:
   * a node that lost and regained leadership may have proposed at the same index in two terms,
   * and either entry may still be the one committed there.
   */
  private readonly proposals = new Map<number, PendingProposal<R>[]>()
  /** Reads waiting for the leader to confirm leadership. */
  private readonly readsAwaitingConfirm = new Map<number, (o: ReadOutcome) => void>()
  /** Confirmed reads waiting for the state machine to reach their index, in index order. */
  private readsAwaitingApply: {index: number; cb: (o: ReadOutcome) => void}[] = []
  private nextReadId = 1
  private appliedIndex: number
  private lastSnapshotIndex: number
  private processing = false
  /** Between handleReady() and that Ready's advance(), a background sync included (so `persisting` implies it). */
  private midReady = false
  /** The first error a proposer's callback threw, rethrown once the replica is consistent. */
  private callbackFailure: unknown = null
  private stopped = false
  /** Index of the snapshot being written in the background (`Storage.writeSnapshot`) until it is adopted, or null. */
  private snapshotInFlight: number | null = null
  /** Called with the snapshot index (or null) when the background snapshot in flight ends. */
  private snapshotWaiters: ((index: number | null) => void)[] = []
  /** The hard state storage holds. */
  private durableHardState: HardState
  /** A newer hard state that differs from the durable one only in its commit index (not yet written). */
  private unsyncedHardState: HardState | null = null

  constructor(options: ReplicaOptions<R>) {
    this.storage = options.storage
    this.network = options.network
    this.sm = options.stateMachine
    this.snapshotEvery = options.snapshotEvery ?? REPLICA_DEFAULTS.snapshotEvery
    this.compactionLag = options.compactionLag ?? REPLICA_DEFAULTS.compactionLag
    this.snapshotEveryBytes = options.snapshotEveryBytes ?? REPLICA_DEFAULTS.snapshotEveryBytes
    this.compactionLagBytes = options.compactionLagBytes ?? REPLICA_DEFAULTS.compactionLagBytes
    this.backgroundSaves = options.backgroundSaves ?? REPLICA_DEFAULTS.backgroundSaves
    this.onEvent = options.onEvent
    this.onApplied = options.onApplied
    this.onSnapshotInstalled = options.onSnapshotInstalled
    this.onStorageError = options.onStorageError
    this.runInSlices = options.runInSlices
    const recovered = this.storage.load()
    this.durableHardState = recovered.hardState
    if (recovered.snapshot) this.sm.restore(recovered.snapshotBytes ?? snapshotBytes(recovered.snapshot.data))
    this.core = new RaftNode(options.raft, {
      hardState: recovered.hardState,
      snapshot: recovered.snapshot,
      entries: recovered.entries,
      initialConf: options.initialConf,
      rebuilding: options.rebuilding,
    })
    this.appliedIndex = recovered.snapshot?.meta.index ?? 0
    this.lastSnapshotIndex = this.appliedIndex
    this.appliedBytes = new AppliedBytes(this.appliedIndex)
    this.process()
  }

  get id(): NodeId {
    return this.core.id
  }

  /** Index of the last entry applied to the state machine. */
  get applied(): number {
    return this.appliedIndex
  }

  /** Advance logical time by one tick. */
  tick(): void {
    if (this.stopped) return
    this.core.tick()
    this.process()
  }

  /** Deliver a message from a peer (processing happens in {@link process}). */
  receive(message: Message): void {
    if (this.stopped) {
      if (message.type === 'snapshot') releaseSnapshotData(message.snapshot.data)
      return
    }
    this.core.step(message)
    if (message.type === 'snapshot') this.afterSnapshotMessage(message.snapshot)
  }

  /**
   * A snapshot from the leader went to the core: data it did not keep (stale, or a log that
   * already holds it), and a received snapshot it kept before and has now replaced with this
   * one before installing it, are released (a received temp file is deleted at once, not at the
   * next start-up). The one being installed is never released: the storage adopts its file.
   */
  private afterSnapshotMessage(snapshot: Snapshot): void {
    if (this.core.latestSnapshot() !== snapshot) return releaseSnapshotData(snapshot.data)
    const replaced = this.receivedSnapshot
    this.receivedSnapshot = snapshot
    if (replaced !== null && replaced !== snapshot) releaseSnapshotData(replaced.data)
  }

  /** Deliver a message and process at once (the simulator's path). */
  deliver(message: Message): void {
    this.receive(message)
    this.process()
  }

  /**
   * Propose a command. `cb` is called exactly once: ok with the state machine's result when
   * applied; not ok with `unknown: false` when it definitely did not and will not take effect.
   */
  propose(data: Uint8Array, cb: (outcome: ProposalOutcome<R>) => void): void {
    const r = this.core.propose(data)
    if (!r.ok) return cb({ok: false, code: r.code, message: r.message, leader: r.leader, unknown: false})
    this.track(r.index, {term: r.term, cb})
  }

  private track(index: number, p: PendingProposal<R>): void {
    const list = this.proposals.get(index)
    if (list) list.push(p)
    else this.proposals.set(index, [p])
  }

  /**
   * Propose a membership change; resolved when applied, like {@link propose}. `options.force`
   * skips the core's strict reconfiguration check (`UNSAFE_CHANGE`, see RaftNode.proposeConfChange).
   */
  proposeConfChange(change: ConfChange, cb: (outcome: ProposalOutcome<R>) => void, options: ConfChangeOptions = {}): void {
    const r = this.core.proposeConfChange(change, options)
    if (!r.ok) return cb({ok: false, code: r.code, message: r.message, leader: r.leader, unknown: false})
    this.track(r.index, {term: r.term, cb})
  }

  /** A linearizable read barrier (ReadIndex): `cb` ok means the state machine may be read now. */
  readBarrier(cb: (outcome: ReadOutcome) => void): void {
    const id = this.nextReadId++
    const r = this.core.readIndex(id)
    if (!r.ok) return cb({ok: false, code: r.code, message: r.message, leader: r.leader})
    this.readsAwaitingConfirm.set(id, cb)
  }

  /**
   * Start an election now (operator "trigger an election"): forced, no pre-vote; refused on
   * non-voters, a no-op on the leader (RaftNode.campaign). Call {@link process} (or let the
   * host schedule it) to send the vote requests.
   */
  campaign(): RequestResult {
    return this.core.campaign()
  }

  /** Hand leadership to `to` (RaftNode.transferLeader): refused unless this node leads and `to` votes. */
  transferLeader(to: NodeId): RequestResult {
    return this.core.transferLeader(to)
  }

  /** The leader hands leadership to its most caught-up voter (RaftNode.stepDown). */
  stepDown(): RequestResult {
    return this.core.stepDown()
  }

  /** The voter other than this node with the highest match index, or null (meaningful on the leader). */
  mostCaughtUpFollower(): NodeId | null {
    return this.core.mostCaughtUpFollower()
  }

  /**
   * Tell the core a peer is unreachable (its connection dropped or was refused, or its send queue
   * overflowed): a leader falls back to probing it; a follower told so of its leader runs out its
   * election timeout early (RaftNode.reportUnreachable).
   */
  reportUnreachable(peer: NodeId): void {
    this.core.reportUnreachable(peer)
  }

  /** The snapshot at `index` to `peer` is still being sent (RaftNode.reportSnapshotInFlight): the leader does not re-send it meanwhile. */
  reportSnapshotInFlight(peer: NodeId, index: number, term: number): void {
    this.core.reportSnapshotInFlight(peer, index, term)
  }

  /** The entry at `index` in the core's log, if it still holds it (checkers read logs through this). */
  entryAt(index: number): Entry | undefined {
    return this.core.entryAt(index)
  }

  /** Highest log index a local proposal still waits on (0 if none). */
  maxPendingIndex(): number {
    let max = 0
    for (const index of this.proposals.keys()) if (index > max) max = index
    return max
  }

  /** Status of the core plus the driver's applied index. */
  status(): RaftStatus {
    return {...this.core.status(), appliedIndex: this.appliedIndex}
  }

  /**
   * Run Ready loops until the core has nothing more to do, or a batch is being synced (the loop
   * then resumes when the sync completes; meanwhile only the messages the core allows to leave
   * before persistence are sent). Re-entrant calls are ignored.
   */
  process(): void {
    if (this.processing || this.stopped || this.storageFailure !== null) return
    this.processing = true
    try {
      // A save that fails (even before saveAsync returns) ends the loop: its Ready was never
      // advanced, and must not be handled again.
      while (!this.persisting && !this.stopped && this.storageFailure === null && this.core.hasReady()) this.handleReady(this.core.ready())
      // While a batch syncs, entries a quorum made durable meanwhile are applied (and answered)
      // at once, and the leader's appends and heartbeats still go out (pipelining).
      if (this.persisting && !this.installing && !this.stopped) {
        for (let committed = this.core.takeCommittedEntries(); committed.length > 0; committed = this.core.takeCommittedEntries()) {
          this.applyEntries(committed)
          this.serveReads()
        }
        for (const m of this.core.takeMessages()) this.network.send(m)
      }
      if (!this.midReady && this.idleWaiters.length > 0) this.runIdleWaiters()
    } finally {
      this.processing = false
    }
    this.rethrowCallbackFailure()
  }

  /**
   * A proposer's callback that threw: the replica finished what it was doing first (its state
   * stays consistent), and the first such error is thrown from {@link process} now.
   */
  private rethrowCallbackFailure(): void {
    const err = this.callbackFailure
    if (err === null) return
    this.callbackFailure = null
    throw err
  }

  /** True while a batch is being synced in the background. */
  get syncing(): boolean {
    return this.persisting
  }

  /** Call `cb` once no Ready is being handled or synced (at once when none is). */
  whenIdle(cb: () => void): void {
    if (this.midReady) this.idleWaiters.push(cb)
    else cb()
  }

  /** Stop: no more ticks, messages or Ready processing; fail every waiter as unknown/unavailable. */
  stop(): void {
    if (this.stopped) return
    this.stopped = true
    for (const [, list] of this.proposals) {
      for (const p of list) p.cb({ok: false, code: 'SHUTTING_DOWN', message: 'node stopped', leader: null, unknown: true})
    }
    this.proposals.clear()
    this.failReads('SHUTTING_DOWN', 'node stopped')
    this.endSnapshotWaiters(null)
    if (this.receivedSnapshot !== null) releaseSnapshotData(this.receivedSnapshot.data)
    this.receivedSnapshot = null
  }

  // ------------------------------------------------------------------ the Ready contract

  private handleReady(rd: Ready): void {
    this.midReady = true
    if (rd.snapshot !== null && this.installsInBackground) return this.installInBackground(rd, rd.snapshot)
    const write = this.planWrite(rd)
    const background = write !== null && this.storage.saveAsync !== undefined && (this.backgroundSaves === 'always' || this.core.isLeader)
    // 3 (early). Committed entries are durable on a quorum already: apply them (and answer their
    // proposers) first, so the answers are handed over before this Ready's messages and do not
    // wait for this node's own sync. A crash loses nothing: the state machine is rebuilt from the log and
    // snapshots on restart. (With a synchronous save, apply stays after it, in finishReady.)
    if (write === null || background) {
      this.applyEntries(rd.committedEntries)
      this.serveReads()
    }
    // 2a. Messages that may go out before persistence (the leader's appends and heartbeats),
    // on the wire before this node spends time on its own write.
    for (const m of rd.messages) this.network.send(m)
    // 1. Persist snapshot, entries, hard state — durably.
    if (write === null) return this.finishReady(rd, true)
    if (rd.messages.length > 0) this.network.flush?.()
    if (!background) {
      this.storage.save(write)
      return this.finishReady(rd, false)
    }
    this.persisting = true
    this.storage.saveAsync!(write, (err) => this.onPersisted(rd, err))
  }

  /** The batch of an asynchronous save is durable (or failed): finish its Ready, then go on. */
  private onPersisted(rd: Ready, err: Error | null): void {
    this.persisting = false
    if (err !== null) return this.failStorage(err)
    if (!this.stopped) this.finishReady(rd, true)
    else this.midReady = false
    this.runIdleWaiters()
    this.process()
  }

  private failStorage(err: Error): void {
    this.storageFailure = err
    this.midReady = false
    try {
      this.runIdleWaiters()
    } finally {
      if (this.onStorageError === undefined) throw err
      this.onStorageError(err)
    }
  }

  /** Call every idle waiter, even when one throws (the first error is rethrown after). */
  private runIdleWaiters(): void {
    let failure: unknown = null
    for (const cb of this.idleWaiters.splice(0)) {
      try {
        cb()
      } catch (err) {
        failure ??= err
      }
    }
    if (failure !== null) throw failure
  }

  /** True when a snapshot from the leader can be installed without stopping the node. */
  private get installsInBackground(): boolean {
    return this.runInSlices !== undefined && this.sm.beginRestore !== undefined && this.storage.writeSnapshot !== undefined
  }

  /**
   * The Ready of a snapshot from the leader, in the background: this node stops taking Readys
   * (as while a batch syncs: inputs queue in the core) and applies nothing, while (1) the state
   * machine decodes the snapshot in slices beside its live state, then (2) the storage writes
   * the snapshot file and syncs it off the loop; then the batch is saved (the WAL's snapshot
   * record, adopting that file: a small sync) and the state machine switches to the decoded
   * state at once. A crash at any point leaves the old state (the file without its WAL record
   * is a snapshot the recovery reconciles: it discards a log that does not continue it) or the
   * new one, never a mix. A snapshot that does not decode fails the replica (as the synchronous
   * path's throw) before anything is written. Once installed, the core keeps the storage's
   * handle on the file instead of the received bytes (which are then freed).
   */
  private installInBackground(rd: Ready, snapshot: Snapshot): void {
    for (const m of rd.messages) this.network.send(m)
    if (rd.messages.length > 0) this.network.flush?.()
    const write = this.planWrite(rd)!
    this.persisting = true
    this.installing = true
    if (this.receivedSnapshot === snapshot) this.receivedSnapshot = null
    const {data} = snapshot
    if (isSnapshotSource(data) && this.sm.beginStreamRestore !== undefined && this.storage.adoptSnapshot !== undefined) {
      return this.installFromSource(rd, snapshot, write, data)
    }
    let job: RestoreJob
    try {
      job = this.sm.beginRestore!(snapshotBytes(data))
    } catch (err) {
      return this.failInstall(err as Error)
    }
    this.runInSlices!(() => this.installEnded() || job.step(), (err) => {
      if (this.installEnded()) return
      if (err !== null) return this.failInstall(err)
      this.storage.writeSnapshot!(snapshot.meta, piecesOf(snapshotBytes(data)), (writeErr, kept) => this.installed(rd, snapshot, write, job, writeErr, kept))
    })
  }

  /**
   * A storage failure meanwhile (a local background snapshot failing) has already stopped the
   * replica: a background install ends there, without a second failure report.
   */
  private installEnded(): boolean {
    return this.stopped || this.storageFailure !== null
  }

  /**
   * {@link installInBackground} for a snapshot whose data are in a file (received from the leader,
   * streamed there by the transport): read in pieces in the thread pool, each decoded in slices
   * into the new state; then the storage adopts the file as its snapshot (a rename: the bytes are
   * not written again). The encoded snapshot is never in memory whole.
   */
  private installFromSource(rd: Ready, snapshot: Snapshot, write: StorageWrite, source: SnapshotSource): void {
    let job: StreamRestoreJob
    try {
      job = this.sm.beginStreamRestore!(source.byteLength)
    } catch (err) {
      return this.failInstall(err as Error)
    }
    openSnapshotData(source, (openErr, reader) => {
      let at = 0
      /** Decode what came (a read's failure, passed in, fails the install under the host's guard), then read on. */
      const decode = (failure: Error | null): void => this.runInSlices!(() => {
        if (failure !== null) throw failure
        return this.installEnded() || job.step()
      }, (err) => {
        if (this.installEnded() || err !== null || job.done) reader?.close()
        if (this.installEnded()) return
        if (err !== null) return this.failInstall(err)
        if (!job.done) return readNext()
        this.storage.adoptSnapshot!(snapshot.meta, source, (adoptErr, kept) => this.installed(rd, snapshot, write, job, adoptErr, kept))
      })
      const readNext = (): void => {
        const space = job.space()
        if (space === null) return decode(new Error(`snapshot ${snapshot.meta.index} ended before it decoded whole (${source.describe()})`))
        reader!.read(at, space.length, (err, bytes) => {
          if (err !== null || bytes === null) return decode(err ?? new Error('snapshot read gave nothing'))
          try {
            job.received(space.length)
          } catch (receivedErr) {
            return decode(receivedErr as Error)
          }
          at += space.length
          decode(null)
        }, space)
      }
      if (openErr !== null || reader === null) return decode(openErr ?? new Error(`cannot read ${source.describe()}`))
      readNext()
    })
  }

  /** The decoded snapshot's file is durable (or failed): save the batch that records it, switch to the new state, go on. */
  private installed(rd: Ready, snapshot: Snapshot, write: StorageWrite, job: RestoreJob, err: Error | null, kept: SnapshotData | null): void {
    if (this.installEnded()) return
    if (err !== null) return this.failInstall(err)
    try {
      this.storage.save(write)
    } catch (saveErr) {
      return this.failInstall(saveErr as Error)
    }
    job.commit()
    this.persisting = false
    this.installing = false
    this.finishReady(rd, false, true)
    if (kept !== null) this.core.replaceSnapshotData(snapshot.meta.index, kept)
    this.runIdleWaiters()
    this.process()
  }

  private failInstall(err: Error): void {
    this.persisting = false
    this.installing = false
    this.failStorage(err)
  }

  /**
   * Steps 1 (the part after the write is durable), 2b, 3 (unless `applied` early) and 4 of the
   * Ready contract; `restored`: the state machine holds the Ready's snapshot already.
   */
  private finishReady(rd: Ready, applied: boolean, restored = false): void {
    if (rd.snapshot !== null) this.installSnapshot(rd.snapshot, restored)
    // 2b. Messages that depend on what was just persisted: on the wire at once (a follower's
    // acknowledgement does not wait for its apply or a local snapshot).
    for (const m of rd.messagesAfterPersist) this.network.send(m)
    if (rd.messagesAfterPersist.length > 0) this.network.flush?.()
    // 3. Apply committed entries, then serve confirmed reads.
    if (!applied) this.applyEntries(rd.committedEntries)
    for (const e of rd.events) this.handleEvent(e)
    for (const rs of rd.readStates) this.confirmRead(rs.id, rs.index)
    this.serveReads()
    // 4. Advance.
    this.core.advance()
    this.midReady = false
    this.maybeSnapshot()
  }

  /**
   * What step 1 must write, or null. A Ready whose only durable change is a higher commit index
   * is not synced on its own: the commit index need not be durable (after a restart the leader
   * tells it again), so it rides along with the next batch that must be synced. This saves one
   * fsync per write on every node (and one fsync on the leader between quorum and apply).
   */
  private planWrite(rd: Ready): StorageWrite | null {
    const hs = rd.hardState
    const voteOrTermChanged = hs !== null && (hs.term !== this.durableHardState.term || hs.vote !== this.durableHardState.vote)
    const mustSync = rd.snapshot !== null || rd.entries.length > 0 || voteOrTermChanged
    if (!mustSync) {
      if (hs !== null) this.unsyncedHardState = hs
      return null
    }
    const hardState = hs ?? this.unsyncedHardState ?? undefined
    if (hardState) this.durableHardState = hardState
    this.unsyncedHardState = null
    return {snapshot: rd.snapshot ?? undefined, entries: rd.entries, hardState}
  }

  private installSnapshot(snapshot: Snapshot, restored: boolean): void {
    if (!restored) this.sm.restore(snapshotBytes(snapshot.data))
    this.appliedIndex = snapshot.meta.index
    this.lastSnapshotIndex = snapshot.meta.index
    this.appliedBytes.restart(snapshot.meta.index)
    // Proposals at or below the snapshot are decided but their results are gone.
    for (const [index, list] of this.proposals) {
      if (index > snapshot.meta.index) continue
      this.proposals.delete(index)
      for (const p of list) p.cb({ok: false, code: 'UNKNOWN_OUTCOME', message: 'replaced by a snapshot; outcome unknown', leader: null, unknown: true})
    }
    this.onSnapshotInstalled?.(snapshot.meta.index)
  }

  private applyEntries(entries: readonly Entry[]): void {
    for (const e of entries) {
      let result: R | null = null
      if (e.type === 'normal' && e.data.length > 0) result = this.sm.apply(e.index, e.data)
      this.appliedIndex = e.index
      this.appliedBytes.record(e.index, e.data.length)
      this.onApplied?.(e.index, e.term, e.data, result)
      this.resolveProposal(e.index, e.term, result)
    }
  }

  private resolveProposal(index: number, term: number, result: R | null): void {
    const list = this.proposals.get(index)
    if (!list) return
    this.proposals.delete(index)
    for (const p of list) {
      try {
        if (p.term === term) p.cb({ok: true, index, result})
        // Another entry was committed at this index: ours never will be (committed entries are final).
        else p.cb({ok: false, code: 'NOT_LEADER', message: 'leadership changed before the write committed; it was not applied', leader: this.core.status().leader, unknown: false})
      } catch (err) {
        // Applying goes on (the entries are handed out already); the error surfaces after.
        this.callbackFailure ??= err
      }
    }
  }

  private handleEvent(e: RaftEvent): void {
    if (e.type === 'roleChanged' && e.from === 'leader') {
      // Reads not yet confirmed can no longer be; proposals stay pending (a new leader may commit them).
      for (const [id, cb] of this.readsAwaitingConfirm) {
        this.readsAwaitingConfirm.delete(id)
        cb({ok: false, code: 'NOT_LEADER', message: 'lost leadership before the read was confirmed', leader: null})
      }
    }
    this.onEvent?.(e)
  }

  private confirmRead(id: number, index: number): void {
    const cb = this.readsAwaitingConfirm.get(id)
    if (!cb) return
    this.readsAwaitingConfirm.delete(id)
    this.readsAwaitingApply.push({index, cb})
  }

  private serveReads(): void {
    if (this.readsAwaitingApply.length === 0) return
    const ready = this.readsAwaitingApply.filter((r) => r.index <= this.appliedIndex)
    if (ready.length === 0) return
    this.readsAwaitingApply = this.readsAwaitingApply.filter((r) => r.index > this.appliedIndex)
    for (const r of ready) r.cb({ok: true, index: r.index})
  }

  private failReads(code: string, message: string): void {
    for (const [, cb] of this.readsAwaitingConfirm) cb({ok: false, code, message, leader: null})
    this.readsAwaitingConfirm.clear()
    for (const r of this.readsAwaitingApply) r.cb({ok: false, code, message, leader: null})
    this.readsAwaitingApply = []
  }

  /**
   * Snapshot the state machine every `snapshotEvery` applied entries, or once the entries applied
   * since the last snapshot hold more than `snapshotEveryBytes` of data, and compact the log: in
   * the background when the ports allow it (one at a time), else at once.
   */
  private maybeSnapshot(): void {
    if (!this.snapshotDue()) return
    if (!this.snapshotsInBackground) return void this.takeSnapshot()
    if (this.snapshotInFlight === null) this.startBackgroundSnapshot()
  }

  /** True when the count or the byte trigger of automatic snapshots is reached (0 turns either off). */
  private snapshotDue(): boolean {
    const sinceSnapshot = this.appliedIndex - this.lastSnapshotIndex
    if (sinceSnapshot <= 0) return false
    if (this.snapshotEvery > 0 && sinceSnapshot >= this.snapshotEvery) return true
    return this.snapshotEveryBytes > 0 && this.appliedBytes.between(this.lastSnapshotIndex, this.appliedIndex) > this.snapshotEveryBytes
  }

  /**
   * How far to compact behind a snapshot at `index`: keep at most `compactionLag` entries and at
   * most `compactionLagBytes` of entry data, whichever keeps fewer (never past `index`). Entries
   * the byte sums do not cover (recovered before the last restart or snapshot install, which the
   * core no longer holds) count as within the byte budget, so small entries keep the count rule.
   */
  private compactionPoint(index: number): number {
    const byCount = Math.max(0, index - this.compactionLag)
    if (this.appliedBytes.between(byCount, index) <= this.compactionLagBytes) return byCount
    return this.appliedBytes.lowestWithin(byCount, index, this.compactionLagBytes)
  }

  /** Compact the store and the core behind the local snapshot `snapshot` (at most the applied index). */
  private compactBehind(snapshot: Snapshot): void {
    const index = snapshot.meta.index
    const compactTo = this.compactionPoint(index)
    this.storage.saveSnapshot(snapshot, compactTo)
    this.core.compact(snapshot, compactTo)
    this.appliedBytes.dropThrough(compactTo)
    this.lastSnapshotIndex = index
  }

  /** True when the state machine can capture its state and the storage write it in the background. */
  private get snapshotsInBackground(): boolean {
    return this.sm.capture !== undefined && this.storage.writeSnapshot !== undefined
  }

  /** True while a snapshot is being written in the background. */
  get snapshotting(): boolean {
    return this.snapshotInFlight !== null
  }

  /**
   * Snapshot at the applied index once no batch is syncing (at once when none is); `cb` gets the
   * snapshot's index once it is durable and the log compacted, or null when the replica stopped
   * or its storage failed first (admin "take a snapshot"). In the background when the ports
   * allow it; after the one in flight, if any.
   */
  snapshotWhenIdle(cb: (index: number | null) => void): void {
    this.whenIdle(() => {
      if (this.stopped || this.storageFailure !== null) return cb(null)
      if (!this.snapshotsInBackground) return cb(this.takeSnapshot())
      if (this.snapshotInFlight === null) return this.startBackgroundSnapshot(cb)
      this.snapshotWaiters.push((index) => (index === null ? cb(null) : this.snapshotWhenIdle(cb)))
    })
  }

  /**
   * Capture the state machine at the applied index (cheap: copy-on-write) and have the storage
   * serialize and write it in the background; {@link commitSnapshot} follows once it is
   * durable. Only while no batch is syncing: the applied index must not pass what is durable here.
   */
  private startBackgroundSnapshot(cb?: (index: number | null) => void): void {
    const index = this.appliedIndex
    const term = index > this.lastSnapshotIndex ? this.core.termAt(index) : undefined
    if (term === undefined) return cb?.(this.lastSnapshotIndex)
    const meta = {index, term, conf: this.confAt(index)}
    this.snapshotInFlight = index
    if (cb) this.snapshotWaiters.push(cb)
    this.storage.writeSnapshot!(meta, this.sm.capture!(), (err, data) => this.onSnapshotWritten(meta, err, data))
  }

  /** The background snapshot is durable (or failed): adopt it once no Ready is in progress. */
  private onSnapshotWritten(meta: Snapshot['meta'], err: Error | null, data: SnapshotData | null): void {
    if (this.stopped || this.storageFailure !== null) return this.endSnapshotWaiters(null)
    if (err !== null || data === null) {
      this.endSnapshotWaiters(null)
      return this.failStorage(err ?? new Error('snapshot written without data'))
    }
    this.whenIdle(() => this.commitSnapshot({meta, data}))
  }

  /**
   * Make a durable local snapshot the store's and the core's, compacting the log behind it;
   * skipped when a newer snapshot (one from the leader) was installed meanwhile.
   */
  private commitSnapshot(snapshot: Snapshot): void {
    if (this.stopped || this.storageFailure !== null) return this.endSnapshotWaiters(null)
    const index = snapshot.meta.index
    if (index > this.lastSnapshotIndex) this.compactBehind(snapshot)
    this.endSnapshotWaiters(this.lastSnapshotIndex)
  }

  /** The background snapshot is over (adopted, skipped or failed): hand `index` to its waiters. */
  private endSnapshotWaiters(index: number | null): void {
    this.snapshotInFlight = null
    for (const cb of this.snapshotWaiters.splice(0)) cb(index)
  }

  /**
   * Snapshot now at the applied index; returns its index. Only while no batch is syncing (the
   * core may not compact entries that are still being written): throws otherwise; use
   * {@link snapshotWhenIdle}.
   */
  takeSnapshot(): number {
    if (this.persisting) throw new Error('takeSnapshot while a batch is syncing; use snapshotWhenIdle')
    const index = this.appliedIndex
    if (index <= this.lastSnapshotIndex) return this.lastSnapshotIndex
    const term = this.core.termAt(index)
    if (term === undefined) return this.lastSnapshotIndex
    this.compactBehind({meta: {index, term, conf: this.confAt(index)}, data: this.sm.snapshot()})
    return index
  }

  /** The latest snapshot the core holds (local or installed; index 0 and empty data before the first): its data (bytes, or the storage's handle on its file: read them with `openSnapshotData`) are never modified. */
  latestSnapshot(): Snapshot {
    return this.core.latestSnapshot()
  }

  /** Membership as of `index` (<= applied). */
  private confAt(index: number): ConfState {
    return this.core.confAt(index)
  }
}

/** Size of the pieces a received snapshot is written to its file in: 1 MiB. */
export const INSTALL_WRITE_PIECE_BYTES = 1024 * 1024

/** `data` as consecutive views of at most {@link INSTALL_WRITE_PIECE_BYTES} (no copy). */
function* piecesOf(data: Uint8Array): Generator<Uint8Array, void, undefined> {
  for (let at = 0; at < data.length; at += INSTALL_WRITE_PIECE_BYTES) yield data.subarray(at, Math.min(data.length, at + INSTALL_WRITE_PIECE_BYTES))
}
