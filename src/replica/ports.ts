/**
 * The small ports the replica driver runs against (and `withSaveAsync`, to wrap a Storage). The daemon plugs in file storage, the
 * WebSocket transport and the KV state machine; the simulator plugs in memory storage, a
 * simulated network and the same KV state machine. Every port is synchronous (when a method
 * returns, its effect has happened; for Storage: durably), except the optional
 * {@link Storage.saveAsync}, which lets the driver keep working while a batch is being synced,
 * and the optional {@link Storage.writeSnapshot} with {@link StateMachine.capture}, which let it
 * keep working while a snapshot is serialized and written.
 */
import type {Entry, HardState, Message, NodeId, Snapshot, SnapshotData, SnapshotMeta} from '../raft/types.js'

/** What a node recovers from durable storage at start-up. */
export interface RecoveredState {
  readonly hardState: HardState
  /**
   * The latest durable snapshot, or null. Its data may be a handle on its file
   * (`SnapshotFileData`), what the node keeps of it: then {@link snapshotBytes} holds the bytes.
   */
  readonly snapshot: Snapshot | null
  /** The snapshot's bytes as read at load, for the state machine's restore (once; then dropped), when `snapshot.data` is not them. */
  readonly snapshotBytes?: Uint8Array
  /** Entries after the snapshot (first index = snapshot index + 1), consecutive. */
  readonly entries: readonly Entry[]
}

/** One batch of writes from a Ready. Applied in this order: snapshot, entries, hard state. */
export interface StorageWrite {
  /** A snapshot received from the leader: replaces the whole log up to its index. */
  readonly snapshot?: Snapshot
  /**
   * Entries to append. If `entries[0].index` is at or below the last stored index, the stored
   * suffix from that index on is discarded first (conflict truncation).
   */
  readonly entries: readonly Entry[]
  /** New hard state, when it changed. */
  readonly hardState?: HardState
}

/**
 * Durable storage of one node's log, hard state and snapshots.
 * Contract: `save` returns only once everything it was given is durable (fsync'd) and
 * consistent on recovery; it throws a `StorageError` (code `STORAGE_FULL`, `STORAGE_IO`, …)
 * and leaves previously durable state intact if it cannot.
 */
export interface Storage {
  /** Read everything back, validating it. Throws `StorageError` (code `CORRUPT`, naming file and offset) on corruption. */
  load(): RecoveredState
  /** Durably write one Ready's batch (group commit: one sync for the whole batch). */
  save(write: StorageWrite): void
  /**
   * Optional asynchronous form of {@link save} (pipelined group commit): the batch is applied
   * to the store at once, as by `save` (later reads and writes see it), and `done` is called
   * exactly once when it is durable, or with the error that stopped it (`null` on success).
   * `done` may be called before `saveAsync` returns. The driver makes no other call on the
   * store until `done`, except {@link saveSnapshot} and {@link close}, which must then wait
   * for or tolerate the pending sync. A failed sync leaves the store unusable until `load()`.
   */
  saveAsync?(write: StorageWrite, done: (err: Error | null) => void): void
  /**
   * Durably store a snapshot taken locally at `snapshot.meta.index` (≤ applied index) and
   * discard log entries up to `compactTo` (≤ snapshot index).
   */
  saveSnapshot(snapshot: Snapshot, compactTo: number): void
  /**
   * Optional: write the snapshot `meta` (a local one, ≤ applied index) in the background, its
   * data being the concatenation of `pieces`, pulled one at a time with the driver's work in
   * between; `done(null, data)` once it is durable, with the whole data. Nothing else changes:
   * the snapshot takes effect, and the log is compacted, at the `saveSnapshot` of that snapshot
   * that follows, which then does not write it again. A crash before that `saveSnapshot` leaves
   * a consistent store (the snapshot, if found at start-up, agrees with the log). On failure
   * `done(err, null)`: nothing written stays (the pieces are returned). Every other call may be
   * made meanwhile. Also used for a snapshot received from the leader, before the {@link save}
   * that carries it, which then does not write it again: at most one local and one received
   * snapshot at a time, at different indexes. `data` is what the node keeps of the snapshot: a
   * handle on its file (`SnapshotFileData`, the daemon: the pieces are not kept), or the bytes.
   * Each piece is read before the next is pulled and may be reused by the iterator after that
   * ({@link StateMachine.capture}): a storage that keeps the bytes copies them.
   */
  writeSnapshot?(meta: SnapshotMeta, pieces: Iterator<Uint8Array>, done: (err: Error | null, data: SnapshotData | null) => void): void
  /**
   * Optional: make `data`, a snapshot received from the leader that this storage already wrote
   * durably as it arrived (its transport sink: a temp file), the snapshot file of `meta`, in the
   * background and without writing it again; then as after {@link writeSnapshot}: `done(null,
   * kept)` with what the node keeps, and the {@link save} that carries the snapshot adopts it.
   * Fails (`done(err, null)`) for data it did not receive.
   */
  adoptSnapshot?(meta: SnapshotMeta, data: SnapshotData, done: (err: Error | null, data: SnapshotData | null) => void): void
  /** Release files and handles. */
  close(): void
}

/**
 * `storage` with its asynchronous save replaced by `saveAsync` (every other call goes to
 * `storage`): how a host runs background syncs its own way, e.g. under its error handling or on
 * a simulated clock.
 */
export function withSaveAsync(storage: Storage, saveAsync: NonNullable<Storage['saveAsync']>): Storage {
  return {
    load: () => storage.load(),
    save: (write) => storage.save(write),
    saveSnapshot: (snapshot, compactTo) => storage.saveSnapshot(snapshot, compactTo),
    close: () => storage.close(),
    saveAsync,
    ...(storage.writeSnapshot ? {writeSnapshot: storage.writeSnapshot.bind(storage)} : {}),
    ...(storage.adoptSnapshot ? {adoptSnapshot: storage.adoptSnapshot.bind(storage)} : {}),
  }
}

/** Outgoing messages. Delivery is best-effort: Raft tolerates loss, duplication and reorder. */
export interface Network {
  send(message: Message): void
  /**
   * Optional: hand what was sent so far to the OS now, if the network batches sends until the
   * current run ends. The driver calls it before a disk write, so the leader's appends leave
   * before it spends time on its own write.
   */
  flush?(): void
}

/**
 * Result of applying one command, opaque to the replica: whatever the state machine returns,
 * handed to the proposer as it is (null for an entry the state machine was not given).
 */
export type ApplyResult = unknown

/**
 * The replicated state machine. Deterministic: the same commands in the same order give the
 * same state and results on every node. `R` is its result type (opaque to the replica, which
 * hands it to the proposer: the daemon's KV results reach the protocol typed).
 */
export interface StateMachine<R = ApplyResult> {
  /** Apply the command of the entry at `index`. Never throws for a malformed command: returns an error result (null: nothing to answer). */
  apply(index: number, data: Uint8Array): R | null
  /** Serialize the whole state (including client sessions). */
  snapshot(): Uint8Array
  /**
   * Optional: the state as of now, serialized lazily: each `next()` gives the next piece of what
   * {@link snapshot} would return now, even after later `apply` calls. Must be cheap to call (a
   * copy-on-write capture, not a copy). At most one open at a time (exhausted or returned ends it).
   * A piece may be valid only until the next `next()` (one reused buffer: the daemon's KV state
   * machine), so {@link Storage.writeSnapshot} copies what it keeps.
   */
  capture?(): Iterator<Uint8Array>
  /** Replace the whole state with a snapshot's. Throws on malformed data. */
  restore(data: Uint8Array): void
  /**
   * Optional: {@link restore} in bounded steps, so a large snapshot from the leader is decoded
   * while the node keeps answering. `step()` does one bounded piece (a few ms) and returns true
   * once done; it throws on malformed data. `commit()` then replaces the state in O(1). Before
   * `commit()` the state machine is unchanged; an abandoned job leaves nothing behind.
   */
  beginRestore?(data: Uint8Array): RestoreJob
  /**
   * Optional: {@link beginRestore} for a snapshot whose `byteLength` bytes are not in memory (a
   * file received from the leader): the replica reads them in order into the job's `space()` and
   * reports each read with `received(n)`; `step()` then decodes a bounded piece of what came and
   * returns true when it needs more bytes or is `done`. The whole encoded snapshot is never held.
   */
  beginStreamRestore?(byteLength: number): StreamRestoreJob
}

/** A {@link StateMachine.beginStreamRestore} job: fed with the snapshot's bytes, decoded in steps, then committed. */
export interface StreamRestoreJob extends RestoreJob {
  /** Where the next bytes go (read up to its length), or null once all came. */
  space(): Uint8Array | null
  /** `n` bytes were written at the start of the last `space()`. */
  received(n: number): void
  /** True once the whole snapshot is decoded and checked: `commit()` may follow. */
  readonly done: boolean
}

/** A {@link StateMachine.restore} in steps (see {@link StateMachine.beginRestore}). */
export interface RestoreJob {
  step(): boolean
  commit(): void
}

/**
 * Runs `step` again and again, yielding to the host's event loop between bounded slices of
 * steps, until it returns true (then `done(null)`) or throws (then `done(err)`). Injected by
 * the daemon (setImmediate and a clock); the simulator gives none and restores at once.
 */
export type SliceRunner = (step: () => boolean, done: (err: Error | null) => void) => void

/** Node identity helper re-exported for port users. */
export type {NodeId}
