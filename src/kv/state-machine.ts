/**
 * KvStateMachine: the replicated key-value state machine the replica driver applies committed
 * entries to. Structurally implements the `StateMachine` port of src/replica/ports.ts (this
 * folder may not import it). Pure and deterministic: no clock, randomness, timers, I/O or
 * async; the same entries in the same order give the same results and byte-identical
 * snapshots on every node (given the same limits).
 */
import {decodeCommand, errorResult, type KvCommand, type KvResult} from './commands.js'
import {KvError} from './errors.js'
import {resolveLimits, type KvLimits, type KvOptions, type KvPayloadLimits} from './limits.js'
import type {RangeAnswer, RangeQuery} from './range.js'
import {SessionTable} from './sessions.js'
import {SnapshotDecoder, SnapshotStreamDecoder, decodeSnapshot, encodeSessions, encodeSnapshot, encodeSnapshotPieces, type KvState} from './snapshot.js'
import {KvStore, type KvChange} from './store.js'

/**
 * How an applied entry changed the state, in the cheapest form from which {@link changesOf}
 * rebuilds its change list later out of the entry's command bytes (so an apply with nobody
 * watching allocates nothing for watches):
 * - `null`: as its command says — a put, or a cas that swapped, set its key to its value; a
 *   delete removed its key;
 * - a string: its key now holds this value (an append: the value after appending; the string
 *   the store holds);
 * - a list: exactly these changes, in order (a txn, a deletePrefix: which keys they changed
 *   depends on the state; these are rare, and listed while applying).
 */
export type KvChangeSummary = null | string | readonly KvChange[]

/**
 * Told of what applying entries changes, for watches: pure callbacks, called synchronously
 * inside {@link KvStateMachine.apply} / {@link KvStateMachine.restore}; must not throw.
 */
export interface KvChangeListener {
  /**
   * The entry at `index`, whose command is `data` (the log entry's bytes, never modified),
   * changed the state as `summary` says (never nothing). Keep `data` and `summary`, not the
   * change list: {@link changesOf} builds it when a watcher reads.
   */
  changed(index: number, data: Uint8Array, summary: KvChangeSummary): void
  /** The whole state was replaced by a snapshot taken at `appliedIndex`: changes up to it are unknown. */
  restored(appliedIndex: number): void
}

/**
 * The key-value state machine.
 *
 * - `apply(index, data)`: `data` is an {@link encodeCommand} command; the return value its
 *   {@link KvResult} (an object: encoding it is the caller's choice, so a follower, whose
 *   results nobody reads, spends nothing on them). Never throws for malformed `data` (error
 *   result `BAD_REQUEST` or `PAYLOAD_TOO_LARGE`). An empty `data` is the leader's no-op:
 *   returns null.
 * - Writes carrying a session are applied at most once per (clientId, seq); see docs/kv.md.
 * - `read(key)` and `range(query)` serve local reads (after ReadIndex, the driver's job).
 * - Every key keeps its modIndex: the index of the entry that last wrote it (put, cas that
 *   swapped, append), part of the replicated state and of snapshots.
 */
export class KvStateMachine {
  /** The limits in force (defaults filled in). Must be equal on every node. */
  readonly limits: KvLimits
  private store: KvStore
  private sessions: SessionTable
  private applied = 0
  private listener: KvChangeListener | null = null
  /** Set when the command being applied ran against the store (not a session duplicate or rejection). */
  private executed = false
  /** Commands {@link prepare}d by the leader, by the very array their entry will carry. */
  private readonly prepared = new WeakMap<Uint8Array, KvCommand>()

  /** Throws a RangeError when an option is not a positive integer. */
  constructor(options: KvOptions = {}) {
    this.limits = resolveLimits(options)
    this.store = new KvStore(this.limits)
    this.sessions = new SessionTable(this.limits.maxSessions)
  }

  /** Index of the last entry applied (or of the restored snapshot); 0 initially. */
  get appliedIndex(): number {
    return this.applied
  }

  /** Number of keys. */
  get size(): number {
    return this.store.size
  }

  /** Number of client sessions kept (≤ `limits.maxSessions`). */
  get sessionCount(): number {
    return this.sessions.size
  }

  /** UTF-8 bytes of all keys and values (what `maxDataBytes` limits). */
  get dataBytes(): number {
    return this.store.dataBytes
  }

  /** Approximate memory of the state, for metrics: data bytes plus sessions' ids and cached results. */
  get approximateBytes(): number {
    return this.store.dataBytes + this.sessions.approximateBytes
  }

  /** The current value of `key`, or null when absent. Changes nothing. */
  read(key: string): string | null {
    return this.store.get(key)
  }

  /** The index of the entry that last wrote `key`, or null when absent. Changes nothing. */
  modIndex(key: string): number | null {
    return this.store.modIndexOf(key)
  }

  /**
   * A range read of the current state: the keys of `query.range` in UTF-8 byte order, with
   * values and modIndexes, the total count, and whether the limit or byte budget cut the list.
   * Changes nothing (the key order it builds on first use is a cache).
   */
  range(query: RangeQuery): RangeAnswer {
    return this.store.range(query)
  }

  /**
   * Apply the command of the log entry at `index` and return its result (null for an empty
   * `data`). The result may be the object the session table keeps for retries: read it, never
   * modify it (results are frozen only by convention, to keep this path allocation-free). `index` must be a safe integer greater than `appliedIndex` (gaps
   * are allowed: entries such as membership changes are not given to the state machine);
   * otherwise this throws a RangeError, a driver bug, and changes nothing.
   */
  apply(index: number, data: Uint8Array): KvResult | null {
    this.checkIndex(index)
    this.applied = index
    if (data.length === 0) return null
    const command = this.takePrepared(data) ?? this.decode(data)
    if ('ok' in command) return command
    if (this.listener === null) return this.applyCommand(index, command)
    return this.applyWatched(index, data, command, this.listener)
  }

  /** {@link apply} with a listener: tells it the entry's {@link KvChangeSummary}, listing changes only for txn and deletePrefix. */
  private applyWatched(index: number, data: Uint8Array, command: KvCommand, listener: KvChangeListener): KvResult {
    if (command.op === 'txn' || command.op === 'deletePrefix') return this.applyListed(index, data, command, listener)
    // A single-key write: its result says what changed (no change list, no try/finally on the path of every put).
    this.executed = false
    const result = this.applyCommand(index, command)
    if (!this.executed || !result.ok) return result
    if (result.op === 'append') listener.changed(index, data, result.value)
    else if (result.op === 'put' || (result.op === 'delete' && result.deleted) || (result.op === 'cas' && result.swapped)) listener.changed(index, data, null)
    return result
  }

  /** {@link applyWatched} for a txn or deletePrefix: the store lists the keys it changes while applying. */
  private applyListed(index: number, data: Uint8Array, command: KvCommand, listener: KvChangeListener): KvResult {
    const changes: KvChange[] = []
    this.store.changes = changes
    this.executed = false
    let result: KvResult
    try {
      result = this.applyCommand(index, command)
    } finally {
      this.store.changes = null
    }
    if (this.executed && changes.length > 0) listener.changed(index, data, changes)
    return result
  }

  /**
   * The leader encoded `data` from `command` (with {@link encodeCommand} and these limits) and
   * proposes it: when the entry carrying this very array is applied, `command` is used instead
   * of decoding `data` again. Decoding a large value builds a new string of its size (for a
   * 256 KiB value a large-object allocation, about 0.2 ms with its page faults), and the store
   * then holds the string the request carried instead of a second copy. Only commands of
   * {@link PREPARED_FROM_BYTES} or more that carry a value (put, cas, append) are kept; the result
   * is the same as decoding (encoding checked the same limits, and decoding returns an equal
   * command). Held weakly: an entry never applied leaves nothing behind.
   */
  prepare(data: Uint8Array, command: KvCommand): void {
    if (data.length < PREPARED_FROM_BYTES || (command.op !== 'put' && command.op !== 'cas' && command.op !== 'append')) return
    this.prepared.set(data, command)
  }

  private takePrepared(data: Uint8Array): KvCommand | undefined {
    if (data.length < PREPARED_FROM_BYTES) return undefined
    const command = this.prepared.get(data)
    if (command !== undefined) this.prepared.delete(data)
    return command
  }

  /** Tell `listener` (null: nobody) of every change from now on. Costs nothing when null. */
  watchChanges(listener: KvChangeListener | null): void {
    this.listener = listener
  }

  /**
   * TEST SEAM ONLY (the daemon calls it only when started with `RAFTCTL_TEST_TAMPER_FILE`): set
   * `key` to `value` in this replica alone, outside the log, keeping its modIndex — the planted
   * divergence the consistency check's tests must catch. Never call it otherwise.
   */
  tamperForTest(key: string, value: string): void {
    this.store.execute({op: 'put', key, value}, this.store.modIndexOf(key) ?? this.applied)
  }

  /** Serialize the whole state, sessions included, in the format of docs/kv.md. */
  snapshot(): Uint8Array {
    return encodeSnapshot(this.state())
  }

  /**
   * The snapshot of the current state as lazy pieces (see {@link encodeSnapshotPieces}), for a
   * snapshot written in the background while entries go on being applied. Taking the store's
   * copy-on-write capture is O(1) (the bounded session table is encoded at once); each piece costs about {@link SNAPSHOT_PIECE_BYTES} of encoding. One open capture at
   * a time: throws while the pieces of the previous one are neither exhausted nor returned.
   * `pieceBytes` (default SNAPSHOT_PIECE_BYTES) is the size, `pieceMs` (default
   * SNAPSHOT_PIECE_MS) the encoding time, at which a piece ends. `reuse` (default false): every
   * piece in one reused buffer, valid only until the next `next()`, for a consumer that writes
   * or hashes each piece before the next (no buffer of the whole snapshot, which forces a
   * mark-compact of the heap per snapshot; see encodeSnapshotPieces).
   */
  capture(pieceBytes?: number, pieceMs?: number, reuse = false): Iterator<Uint8Array> {
    const capture = this.store.capture()
    const pieces = encodeSnapshotPieces(this.applied, capture, encodeSessions(this.sessions), pieceBytes, pieceMs, reuse)
    // A generator returned before its first piece never runs its `finally`: release here too.
    return {
      next: () => pieces.next(),
      return: () => {
        capture.release()
        return pieces.return(undefined)
      },
    }
  }

  /**
   * Replace the whole state with a snapshot's. Validates everything first and throws
   * {@link KvError} `CORRUPT` on malformed input, leaving the current state unchanged.
   */
  restore(data: Uint8Array): void {
    this.adopt(decodeSnapshot(data, this.limits))
  }

  /**
   * {@link restore} in bounded steps (see {@link SnapshotDecoder}), for a snapshot from the
   * leader installed while the node keeps answering: call `step()` until it returns true (it
   * throws {@link KvError} `CORRUPT` on malformed input), then `commit()` switches to the new
   * state in O(1). Until then this state machine is unchanged and may go on being read; a job
   * never committed leaves nothing behind.
   */
  beginRestore(data: Uint8Array): {step(): boolean; commit(): void} {
    const decoder = new SnapshotDecoder(data, this.limits)
    return {
      step: () => decoder.step(),
      commit: () => this.adopt(decoder.result()),
    }
  }

  /**
   * {@link beginRestore} for a snapshot read in pieces (see {@link SnapshotStreamDecoder}): the
   * caller reads its `byteLength` bytes in order into `space()`, reports them with `received`,
   * and calls `step()` (true: needs more bytes, or `done`) until `done`, then `commit()`.
   */
  beginStreamRestore(byteLength: number): {space(): Uint8Array | null; received(n: number): void; step(): boolean; readonly done: boolean; commit(): void} {
    const decoder = new SnapshotStreamDecoder(byteLength, this.limits)
    return {
      space: () => decoder.space(),
      received: (n) => decoder.received(n),
      step: () => decoder.step(),
      get done() {
        return decoder.done
      },
      commit: () => this.adopt(decoder.result()),
    }
  }

  private adopt(state: KvState): void {
    this.store = state.store
    this.sessions = state.sessions
    this.applied = state.appliedIndex
    this.listener?.restored(state.appliedIndex)
  }

  private state(): KvState {
    return {appliedIndex: this.applied, store: this.store, sessions: this.sessions}
  }

  private checkIndex(index: number): void {
    if (!Number.isSafeInteger(index) || index <= this.applied) {
      throw new RangeError(`apply index ${String(index)} must be an integer greater than the applied index ${this.applied}`)
    }
  }

  /** The decoded command, or the error result when `data` is malformed. */
  private decode(data: Uint8Array): KvCommand | KvResult {
    try {
      return decodeCommand(data, this.limits)
    } catch (error) {
      const code = error instanceof KvError && error.code === 'PAYLOAD_TOO_LARGE' ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST'
      return errorResult(code, error instanceof Error ? error.message : 'malformed command')
    }
  }

  private applyCommand(index: number, command: KvCommand): KvResult {
    if (command.op === 'get') return this.store.execute(command, index)
    if (command.session === undefined) {
      this.executed = true
      return this.store.execute(command, index)
    }
    const session = command.session
    const check = this.sessions.lookup(session)
    switch (check.kind) {
      case 'duplicate':
        this.sessions.touch(session.clientId, index)
        return check.result
      case 'rejected':
        return check.result
      case 'new': {
        this.executed = true
        const result = this.store.execute(command, index)
        this.sessions.record(session, index, result)
        return result
      }
    }
  }
}

/** Smallest encoded command {@link KvStateMachine.prepare} keeps (smaller ones decode in about a microsecond). */
export const PREPARED_FROM_BYTES = 1024

/** Decoding a command that was applied needs no limits: they were checked when it was. */
const APPLIED_LIMITS: KvPayloadLimits = {maxKeyBytes: Infinity, maxValueBytes: Infinity, maxClientIdBytes: Infinity, maxTxnOps: Infinity}

/**
 * The changes of an applied entry, from its command bytes `data` and the `summary` the state
 * machine told its {@link KvChangeListener} (same order as they were made). Costs a decode of
 * `data`: a watch pays it when it reads, not the apply.
 */
export function changesOf(data: Uint8Array, summary: KvChangeSummary): readonly KvChange[] {
  if (summary !== null && typeof summary !== 'string') return summary
  const command = decodeCommand(data, APPLIED_LIMITS)
  switch (command.op) {
    case 'put':
    case 'cas':
      return [{key: command.key, value: command.value}]
    case 'append':
      return [{key: command.key, value: summary ?? command.value}]
    case 'delete':
      return [{key: command.key, value: null}]
    default:
      throw new RangeError(`a ${command.op} entry is summarized by its change list`)
  }
}
