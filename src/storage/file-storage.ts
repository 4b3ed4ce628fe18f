/**
 * FileStorage: the Storage port on local disk. A write-ahead log of segment files holds
 * entries, hard-state records and snapshot-install records; snapshot files hold state-machine
 * snapshots. Each `save` is one batch in the WAL, written with one fdatasync (group commit) and
 * atomic on recovery. See docs/storage.md for the format and the recovery rules.
 */
import type {Entry, HardState, Snapshot, SnapshotData, SnapshotMeta} from '../raft/types.js'
import type {RecoveredState, Storage, StorageWrite} from '../replica/ports.js'
import {join} from 'node:path'
import {StorageError, toStorageError} from './errors.js'
import {fsyncDir, fsyncDirAsync, nodeFs, unlinkAsync, writeFully, type FsOps} from './fs-ops.js'
import {IndexedLog} from './indexed-log.js'
import {EMPTY_HARD_STATE, planLocalSnapshot, planWrite, type LogView, type SnapshotPlan} from './log-rules.js'
import {
  entryRecordBytes, putEntryRecord, putSnapshotRecord, putStateRecord, SNAPSHOT_RECORD_BYTES, stateRecordBytes,
  type SnapshotMark,
} from './record.js'
import {recover, storagePaths, type EntryLoc} from './recovery.js'
import {DEFAULT_SNAPSHOT_SYNC_BYTES, listSnapshotFiles, writeSnapshotFile, writeSnapshotFileAsync} from './snapshot-file.js'
import type {StorageLogger, StorageStats} from './types.js'
import {segmentsBelowSnapshot, Wal} from './wal.js'
import {NODE_DEFAULTS} from '../common/defaults.js'

/** Default size at which the WAL rolls to a new segment: 8 MiB (the node default of src/common/defaults.ts). */
export const DEFAULT_SEGMENT_BYTES = NODE_DEFAULTS.segmentBytes

/** Default largest WAL record (one entry with its data): 64 MiB. Larger entries are refused with a RangeError. */
export const DEFAULT_MAX_RECORD_BYTES = 64 * 1024 * 1024

/**
 * Default zero-filled space kept ahead of the WAL's end: 1 MiB (the node default of
 * src/common/defaults.ts). An fdatasync after an append into
 * preallocated space has no file-size change to journal: on this project's test machine 90–114 µs
 * at the median against 135 µs when each append grows the file (docs/performance.md).
 */
export const DEFAULT_PREALLOCATE_BYTES = NODE_DEFAULTS.walPreallocateBytes

/** The file {@link FileStorage.probeFreeSpace} writes and deletes, in the storage directory. */
export const WRITE_PROBE_FILE = 'write-probe.tmp'

const PROBE_CHUNK = Buffer.alloc(64 * 1024)

/** Default number of snapshot files kept (the newest ones). */
export const DEFAULT_KEEP_SNAPSHOTS = 2

/**
 * How writes are made durable.
 * - `fdatasync` (default): every save is fdatasync'd before it returns; file creations,
 *   renames and deletions are followed by an fsync of the directory.
 * - `none`: UNSAFE, no syncs at all (like etcd's `--unsafe-no-fsync`): a power loss or
 *   kernel crash can lose acknowledged writes and break Raft's guarantees. Benchmarks and
 *   throw-away test clusters only.
 */
export type SyncMode = 'fdatasync' | 'none'

/** Default {@link SyncMode}. */
export const DEFAULT_SYNC_MODE: SyncMode = 'fdatasync'

/** Options of {@link FileStorage}. */
export interface FileStorageOptions {
  /** Data directory; `wal/` and `snapshots/` are created inside it. */
  readonly dir: string
  /** Roll to a new WAL segment once the active one holds this many bytes. Default {@link DEFAULT_SEGMENT_BYTES}. */
  readonly segmentBytes?: number
  /** Default {@link DEFAULT_SYNC_MODE}. */
  readonly syncMode?: SyncMode
  /**
   * Zero bytes written ahead of the active WAL segment's end when an append would grow the file,
   * so that later appends overwrite allocated blocks (cheaper fdatasyncs); never past
   * `segmentBytes`. 0 turns preallocation off. Ignored (0) with syncMode 'none'. Default
   * {@link DEFAULT_PREALLOCATE_BYTES}.
   */
  readonly preallocateBytes?: number
  /** Receives warnings (torn tail truncated, …). Default: none. */
  readonly logger?: StorageLogger
  /** Largest record accepted (written and read). Default {@link DEFAULT_MAX_RECORD_BYTES}. */
  readonly maxRecordBytes?: number
  /** Snapshot files to keep, at least 1. Default {@link DEFAULT_KEEP_SNAPSHOTS}. */
  readonly keepSnapshots?: number
  /** File-system calls (test seam for fault injection). Default: node:fs. */
  readonly fs?: FsOps
  /** Told during `load()` after each file read: bytes read so far and bytes to read in all (start-up progress). */
  readonly onLoadProgress?: (readBytes: number, totalBytes: number) => void
  /**
   * Delete the files a snapshot made obsolete (WAL segments wholly below it, snapshot files
   * beyond `keepSnapshots`) and sync their directories in the background (libuv's thread pool)
   * instead of before `save`/`saveSnapshot` returns. Default false. The daemon sets it: at 1M
   * keys the unlinks and two directory fsyncs took 15–60 ms of the event loop per snapshot. A
   * crash before they finish leaves files that recovery deletes (as after a crash mid-deletion).
   */
  readonly cleanupInBackground?: boolean
  /**
   * A snapshot written in the background is fdatasync'd after every this many bytes, so its
   * dirty pages never pile up ahead of the WAL's syncs (0: only at the end). Default
   * {@link DEFAULT_SNAPSHOT_SYNC_BYTES} (8 MiB).
   */
  readonly snapshotSyncBytes?: number
}

interface Resolved {
  readonly dir: string
  readonly walDir: string
  readonly snapDir: string
  readonly segmentBytes: number
  readonly sync: boolean
  readonly preallocateBytes: number
  readonly logger: StorageLogger
  readonly maxRecordBytes: number
  readonly keepSnapshots: number
  readonly ops: FsOps
  readonly onLoadProgress?: (readBytes: number, totalBytes: number) => void
  readonly cleanupInBackground: boolean
  readonly snapshotSyncBytes: number
}

interface EncodedBatch {
  readonly buf: Buffer
  /** Offset of each entry's record inside `buf`. */
  readonly entryOffsets: readonly number[]
}

/** `value` (or `fallback` when absent), checked to be an integer of at least `min` (0 or 1). */
function integer(name: string, value: number | undefined, fallback: number, min: 0 | 1 = 1): number {
  const v = value ?? fallback
  if (!Number.isSafeInteger(v) || v < min) throw new RangeError(`${name} must be a ${min === 1 ? 'positive' : 'non-negative'} integer, got ${v}`)
  return v
}

function resolve(options: FileStorageOptions): Resolved {
  const syncMode = options.syncMode ?? DEFAULT_SYNC_MODE
  if (syncMode !== 'fdatasync' && syncMode !== 'none') throw new RangeError(`syncMode must be 'fdatasync' or 'none', got ${String(syncMode)}`)
  return {
    dir: options.dir,
    ...storagePaths(options.dir),
    segmentBytes: integer('segmentBytes', options.segmentBytes, DEFAULT_SEGMENT_BYTES),
    sync: syncMode === 'fdatasync',
    preallocateBytes: syncMode === 'fdatasync' ? integer('preallocateBytes', options.preallocateBytes, DEFAULT_PREALLOCATE_BYTES, 0) : 0,
    logger: options.logger ?? (() => {}),
    maxRecordBytes: integer('maxRecordBytes', options.maxRecordBytes, DEFAULT_MAX_RECORD_BYTES),
    keepSnapshots: integer('keepSnapshots', options.keepSnapshots, DEFAULT_KEEP_SNAPSHOTS),
    ops: options.fs ?? nodeFs,
    onLoadProgress: options.onLoadProgress,
    cleanupInBackground: options.cleanupInBackground ?? false,
    snapshotSyncBytes: integer('snapshotSyncBytes', options.snapshotSyncBytes, DEFAULT_SNAPSHOT_SYNC_BYTES, 0),
  }
}

/** The key of a prewritten snapshot file: one per (index, term). */
function prewrittenKey(meta: SnapshotMeta): string {
  return `${meta.index}:${meta.term}`
}

/**
 * Batches up to this size are encoded into one buffer that the storage keeps and reuses (grown
 * to the largest such batch seen): every write of a batch is synchronous (the kernel copies it),
 * so nothing holds a batch after its save. A fresh buffer per batch cost page faults on every
 * page of it (glibc maps buffers over 4 MiB anew each time): at 256 KiB values and 64 clients,
 * copying the entries into it cost each daemon as much as writing them to the file (issue 23).
 * Larger batches get their own buffer, so the memory kept is bounded.
 */
export const REUSED_BATCH_BYTES = 16 * 1024 * 1024

/** The reused batch buffer of one storage (see {@link REUSED_BATCH_BYTES}). */
class BatchBuffer {
  #buf = Buffer.alloc(0)

  /** `size` bytes to encode a batch into, valid until the next call. */
  take(size: number): Buffer {
    if (size > REUSED_BATCH_BYTES) return Buffer.allocUnsafe(size)
    if (this.#buf.length < size) this.#buf = Buffer.allocUnsafeSlow(Math.min(REUSED_BATCH_BYTES, 2 ** Math.ceil(Math.log2(size))))
    return this.#buf.subarray(0, size)
  }
}

/**
 * Encode one batch: an optional snapshot record, the entries, and the closing STATE record,
 * into `into` when given (reused between batches), else a new buffer.
 */
function encodeBatch(mark: SnapshotMark | undefined, entries: readonly Entry[], hs: HardState, maxRecordBytes: number, into?: BatchBuffer): EncodedBatch {
  let total = (mark ? SNAPSHOT_RECORD_BYTES : 0) + stateRecordBytes(hs)
  for (const e of entries) {
    const bytes = entryRecordBytes(e)
    if (bytes - 8 > maxRecordBytes) throw new RangeError(`entry ${e.index} of ${e.data.length} bytes exceeds maxRecordBytes (${maxRecordBytes})`)
    total += bytes
  }
  const buf = into === undefined ? Buffer.allocUnsafe(total) : into.take(total)
  let at = mark ? putSnapshotRecord(buf, 0, mark) : 0
  const entryOffsets: number[] = []
  for (const e of entries) {
    entryOffsets.push(at)
    at = putEntryRecord(buf, at, e)
  }
  putStateRecord(buf, at, hs)
  return {buf, entryOffsets}
}

function markOf(plan: SnapshotPlan): SnapshotMark {
  return {index: plan.snapshot.meta.index, term: plan.snapshot.meta.term, keep: plan.keep}
}

/**
 * {@link Storage} on local disk: one `save` = one batch = one fdatasync (group commit);
 * `saveAsync` runs that fdatasync in the background (pipelined group commit).
 *
 * Errors: `StorageError` `CORRUPT` from `load` (file and offset named), `STORAGE_FULL` when the
 * disk is full (the failed save left nothing behind; later saves work once space is back),
 * `STORAGE_IO` for other I/O failures. A failure that cannot be undone (e.g. a failed fdatasync)
 * makes every later write throw `STORAGE_IO` until `load()` reopens the store. Contract
 * violations (gaps, stale snapshots, oversized entries) throw RangeError before writing.
 */
export class FileStorage implements Storage, LogView {
  readonly #o: Resolved
  readonly #batchBuffer = new BatchBuffer()
  #wal: Wal | null = null
  #log = new IndexedLog<EntryLoc>()
  #hardState: HardState = EMPTY_HARD_STATE
  #snapshot: SnapshotMeta | null = null
  #poisoned: StorageError | null = null
  #closed = false
  #syncs = 0
  /** The snapshot file the last {@link writeSnapshot} put in place, until `saveSnapshot` adopts it. */
  /** Files {@link writeSnapshot} put in place, by `index:term`, until the `save`/`saveSnapshot` that adopts one (any adoption forgets the others: older files are pruned as usual). */
  readonly #prewritten = new Map<string, string>()
  /** Files being deleted in the background ({@link FileStorageOptions.cleanupInBackground}). */
  readonly #deleting = new Set<string>()

  /** Create a store over `options.dir`. No I/O happens until `load()` (or the first write, which loads implicitly). */
  constructor(options: FileStorageOptions) {
    this.#o = resolve(options)
  }

  /**
   * (Re)open the directory: validate everything, truncate a torn WAL tail (with a warning),
   * and return the durable state. Clears a failed state left by an earlier I/O error.
   */
  load(): RecoveredState {
    this.close()
    const o = this.#o
    if (!o.sync) o.logger('warn', "syncMode 'none': writes are NOT durable; acknowledged data can be lost on a crash", {dir: o.dir})
    // Reading never uses a limit below the default, so lowering the option cannot make an existing WAL look corrupt.
    const readLimit = Math.max(o.maxRecordBytes, DEFAULT_MAX_RECORD_BYTES)
    const rec = recover({dir: o.dir, walDir: o.walDir, snapDir: o.snapDir, ops: o.ops, maxRecordBytes: readLimit, sync: o.sync, logger: o.logger, onProgress: o.onLoadProgress})
    this.#wal = new Wal({walDir: o.walDir, ops: o.ops, segmentBytes: o.segmentBytes, sync: o.sync, preallocateBytes: o.preallocateBytes, logger: o.logger}, rec.segments)
    this.#log = rec.log
    this.#hardState = rec.state.hardState
    this.#snapshot = rec.snapshotMeta
    this.#poisoned = null
    this.#closed = false
    this.#syncs = 0
    this.#prewritten.clear()
    if (rec.discardedLog) this.#recordDiscard()
    o.logger('info', 'storage opened', {dir: o.dir, ...this.stats(), readSegments: rec.read.segments, replayedEntries: rec.read.entryRecords})
    return rec.state
  }

  /** {@inheritDoc Storage.save} */
  save(write: StorageWrite): void {
    this.#write(write, null)
  }

  /**
   * {@inheritDoc Storage.saveAsync} The batch is written (page cache) before this returns and
   * its fdatasync runs in libuv's thread pool. Batches with a snapshot, or that open a new
   * segment, are synced before this returns (`done` then too). Errors of the write itself are
   * reported through `done` too, with nothing of the batch left behind.
   */
  saveAsync(write: StorageWrite, done: (err: Error | null) => void): void {
    // `done` runs only once #write has returned: after its bookkeeping (the store then shows the
    // batch), and outside the try below (an exception of the caller's callback is the caller's,
    // never mistaken for, or swallowed as, a storage failure).
    let called = false
    let returned = false
    let early: {err: Error | null} | null = null
    const once = (err: Error | null): void => {
      if (called) return
      called = true
      if (returned) done(err)
      else early = {err}
    }
    try {
      this.#write(write, once)
    } catch (err) {
      once(err as Error)
    }
    returned = true
    if (early !== null) done((early as {err: Error | null}).err)
  }

  /**
   * One batch: with `done` null synced before returning, else synced in the background. `done`
   * may be called before the bookkeeping here is finished: only `saveAsync` passes one, and it
   * holds such an early result until this returns.
   */
  #write(write: StorageWrite, done: ((err: Error | null) => void) | null): void {
    const wal = this.#usable()
    const plan = planWrite(this, write)
    if (!plan.snapshot && plan.entries.length === 0 && !plan.hardState) return done?.(null)
    const hs = plan.hardState ?? this.#hardState
    const batch = encodeBatch(plan.snapshot && markOf(plan.snapshot), plan.entries, hs, this.#o.maxRecordBytes, this.#batchBuffer)
    const written = plan.snapshot?.rewrite ? (this.#adoptPrewritten(plan.snapshot.snapshot.meta) ?? writeSnapshotFile(this.#o.ops, this.#o.snapDir, plan.snapshot.snapshot, this.#o.sync)) : null
    const next = plan.snapshot && !plan.snapshot.keep ? plan.snapshot.snapshot.meta.index + 1 : this.lastIndex() + 1
    const deferred = done !== null && !plan.snapshot
    const place = deferred
      ? wal.appendDeferred(batch.buf, plan.entries[0]?.index, next, done)
      : this.#appendOrUndo(wal, batch.buf, plan.entries[0]?.index, next, written)
    if (plan.snapshot) this.#applySnapshot(plan.snapshot, plan.snapshot.snapshot.meta.index)
    plan.entries.forEach((e, k) => this.#log.put(e.index, {term: e.term, seg: place.seg, offset: place.offset + batch.entryOffsets[k]}))
    this.#hardState = hs
    this.#syncs++
    if (plan.snapshot) this.#afterSnapshot()
    if (!deferred) done?.(null)
  }

  /** {@inheritDoc Storage.saveSnapshot} A snapshot equal (index and term) to the stored one is not rewritten. */
  saveSnapshot(snapshot: Snapshot, compactTo: number): void {
    const wal = this.#usable()
    const plan = planLocalSnapshot(this, snapshot, compactTo)
    const written = plan.rewrite ? (this.#adoptPrewritten(snapshot.meta) ?? writeSnapshotFile(this.#o.ops, this.#o.snapDir, snapshot, this.#o.sync)) : null
    if (!plan.keep) {
      const batch = encodeBatch(markOf(plan), [], this.#hardState, this.#o.maxRecordBytes)
      this.#appendOrUndo(wal, batch.buf, undefined, snapshot.meta.index + 1, written)
    }
    this.#applySnapshot(plan, compactTo)
    this.#syncs++
    this.#afterSnapshot()
  }

  /**
   * {@inheritDoc Storage.writeSnapshot} The file is written as by `saveSnapshot` (temp file,
   * fdatasync, rename, directory fsync), in the background: see `writeSnapshotFileAsync`. Until
   * the `saveSnapshot` that adopts it, the WAL is untouched; recovery after a crash in between
   * starts from this snapshot (the newest file) and the WAL's entries after it, which are all
   * still there. Errors: StorageError STORAGE_FULL / STORAGE_IO, nothing left behind.
   */
  writeSnapshot(meta: SnapshotMeta, pieces: Iterator<Uint8Array>, done: (err: Error | null, data: SnapshotData | null) => void): void {
    try {
      this.#usable()
    } catch (err) {
      pieces.return?.()
      return done(err as Error, null)
    }
    writeSnapshotFileAsync(this.#o.ops, this.#o.snapDir, meta, pieces, this.#o.sync, (err, written) => {
      if (err !== null || written === null) return done(err, null)
      this.#prewritten.set(prewrittenKey(meta), written.path)
      done(null, written.data)
    }, this.#o.snapshotSyncBytes)
  }

  /** The path of the file {@link writeSnapshot} wrote for `meta`, consumed; null when there is none. */
  #adoptPrewritten(meta: SnapshotMeta): string | null {
    const path = this.#prewritten.get(prewrittenKey(meta)) ?? null
    this.#prewritten.clear()
    return path
  }

  /**
   * Check that the disk takes `bytes` more: write that many zeros to a probe file next to `wal/`,
   * sync it and delete it. A daemon runs this before it reports ready, so that a node started on
   * a full disk fails at once with STORAGE_FULL instead of at its first write, seconds after it
   * was reported started (the WAL's preallocated zeros can take a few batches before that).
   * Throws StorageError STORAGE_FULL / STORAGE_IO; the probe file is removed either way.
   */
  probeFreeSpace(bytes: number): void {
    const o = this.#o
    const path = join(o.dir, WRITE_PROBE_FILE)
    let fd: number | null = null
    try {
      fd = o.ops.openSync(path, 'w')
      for (let at = 0; at < bytes; at += PROBE_CHUNK.length) writeFully(o.ops, fd, PROBE_CHUNK.subarray(0, Math.min(PROBE_CHUNK.length, bytes - at)), at)
      if (o.sync) o.ops.fdatasyncSync(fd)
    } catch (err) {
      throw toStorageError(err, `checking that the disk takes ${bytes} more bytes, in`, path)
    } finally {
      if (fd !== null) o.ops.closeSync(fd)
      try {
        o.ops.unlinkSync(path)
      } catch {
        // never created
      }
    }
  }

  /** {@inheritDoc Storage.close} Later writes throw STORAGE_IO until `load()` reopens the store. */
  close(): void {
    this.#wal?.close()
    this.#wal = null
    this.#closed = true
  }

  /** Figures for metrics (no I/O). */
  stats(): StorageStats {
    return {
      segments: this.#wal?.segments.length ?? 0,
      bytes: this.#wal?.bytes ?? 0,
      firstIndex: this.#log.length > 0 ? this.#log.firstIndex : this.lastIndex() + 1,
      lastIndex: this.lastIndex(),
      snapshotIndex: this.#snapshot?.index ?? 0,
      syncs: this.#syncs,
    }
  }

  /** {@inheritDoc LogView.snapshotMeta} */
  snapshotMeta(): SnapshotMeta | null {
    return this.#snapshot
  }

  /** {@inheritDoc LogView.lastIndex} */
  lastIndex(): number {
    return this.#log.length > 0 ? this.#log.lastIndex : (this.#snapshot?.index ?? 0)
  }

  /** {@inheritDoc LogView.termAt} */
  termAt(index: number): number | undefined {
    const loc = this.#log.at(index)
    if (loc) return loc.term
    if (this.#snapshot && index === this.#snapshot.index) return this.#snapshot.term
    return index === 0 ? 0 : undefined
  }

  #usable(): Wal {
    if (this.#closed) throw new StorageError('STORAGE_IO', `storage ${this.#o.dir} is closed`, {file: this.#o.dir})
    if (this.#wal === null) this.load()
    const failure = this.#poisoned ?? this.#wal!.poisoned
    if (failure) throw failure
    return this.#wal!
  }

  /** Append a batch; if it fails, remove the snapshot file written for it (or poison the store if that fails too). */
  #appendOrUndo(wal: Wal, buf: Buffer, firstEntry: number | undefined, next: number, snapshotPath: string | null): {seg: number; offset: number} {
    try {
      return wal.append(buf, firstEntry, next)
    } catch (err) {
      if (snapshotPath !== null) this.#removeSnapshotFile(snapshotPath)
      throw err
    }
  }

  #removeSnapshotFile(path: string): void {
    try {
      this.#o.ops.unlinkSync(path)
      if (this.#o.sync) fsyncDir(this.#o.ops, this.#o.snapDir)
    } catch (err) {
      this.#poisoned = new StorageError('STORAGE_IO', `could not remove snapshot ${path} after a failed save; reopen the store`, {file: path, cause: err})
      this.#o.logger('error', 'storage failed: snapshot of a failed save could not be removed', {file: path, error: String(err)})
    }
  }

  /** Apply a snapshot to the in-memory log: keep entries above `compactTo`, or discard all. */
  #applySnapshot(plan: SnapshotPlan, compactTo: number): void {
    if (plan.rewrite) this.#snapshot = plan.snapshot.meta
    if (plan.keep) this.#log.dropThrough(compactTo)
    else this.#log.clear(plan.snapshot.meta.index + 1)
  }

  /**
   * Delete WAL segments holding no live entry or lying wholly below the (durable) snapshot, then
   * snapshot files beyond the newest `keepSnapshots`. Best effort; oldest first, so a crash in the
   * middle leaves an older run of them, which the next recovery skips and deletes.
   */
  #afterSnapshot(): void {
    const wal = this.#wal!
    const firstLive = this.#log.at(this.#log.firstIndex)
    const belowSnapshot = wal.segments[segmentsBelowSnapshot(wal.segments, this.#snapshot?.index ?? 0)]?.name ?? 0
    const before = Math.max(firstLive ? firstLive.seg : Number.MAX_SAFE_INTEGER, belowSnapshot)
    if (this.#o.cleanupInBackground) return this.#cleanUpInBackground(wal.detachBefore(before), this.#oldSnapshots())
    const deleted = wal.deleteBefore(before)
    if (deleted > 0) this.#o.logger('debug', 'compacted the WAL', {deletedSegments: deleted})
    this.#pruneSnapshots()
  }

  /** Snapshot files beyond the newest `keepSnapshots`, not already being deleted (empty when the folder cannot be read: a warning). */
  #oldSnapshots(): string[] {
    const o = this.#o
    try {
      const {snapshots} = listSnapshotFiles(o.ops, o.snapDir)
      return snapshots.slice(0, Math.max(0, snapshots.length - o.keepSnapshots)).map((s) => s.path).filter((path) => !this.#deleting.has(path))
    } catch (err) {
      o.logger('warn', 'could not delete old snapshot files', {dir: o.snapDir, error: String(err)})
      return []
    }
  }

  /**
   * `segments` (already forgotten by the WAL) and `snapshots` deleted one after the other in the
   * thread pool, then each directory that lost a file fsync'd there; failures are warnings, as
   * for the synchronous deletion (a file left behind is deleted at the next start-up).
   */
  #cleanUpInBackground(segments: string[], snapshots: string[]): void {
    const o = this.#o
    const files = [...segments, ...snapshots]
    if (files.length === 0) return
    for (const path of files) this.#deleting.add(path)
    if (segments.length > 0) o.logger('debug', 'compacted the WAL', {deletedSegments: segments.length})
    const dirs = [...(segments.length > 0 ? [o.walDir] : []), ...(snapshots.length > 0 ? [o.snapDir] : [])]
    const syncDirs = (k: number): void => {
      if (!o.sync || k >= dirs.length) return
      fsyncDirAsync(o.ops, dirs[k], (err) => {
        if (err) o.logger('warn', 'could not sync a directory after deleting files', {dir: dirs[k], error: String(err)})
        syncDirs(k + 1)
      })
    }
    const next = (k: number): void => {
      if (k >= files.length) return syncDirs(0)
      unlinkAsync(o.ops, files[k], (err) => {
        this.#deleting.delete(files[k])
        if (err && err.code !== 'ENOENT') o.logger('warn', 'could not delete a file the snapshot made obsolete', {file: files[k], error: String(err)})
        next(k + 1)
      })
    }
    next(0)
  }

  #pruneSnapshots(): void {
    const o = this.#o
    try {
      const {snapshots} = listSnapshotFiles(o.ops, o.snapDir)
      const old = snapshots.slice(0, Math.max(0, snapshots.length - o.keepSnapshots))
      for (const s of old) o.ops.unlinkSync(s.path)
      if (old.length > 0 && o.sync) fsyncDir(o.ops, o.snapDir)
    } catch (err) {
      o.logger('warn', 'could not delete old snapshot files', {dir: o.snapDir, error: String(err)})
    }
  }

  /** After recovery discarded the WAL's entries, record that in the WAL so the next replay agrees. */
  #recordDiscard(): void {
    const meta = this.#snapshot!
    const batch = encodeBatch({index: meta.index, term: meta.term, keep: false}, [], this.#hardState, this.#o.maxRecordBytes)
    this.#wal!.append(batch.buf, undefined, meta.index + 1)
    this.#afterSnapshot()
  }
}
