/**
 * A snapshot received from the leader, streamed to a temp file in the snapshot folder as its
 * chunks arrive ({@link FileSnapshotSink}, the transport's `SnapshotSink`), in the snapshot file
 * format (snapshot-file.ts: prefix, data, CRC-32), so that installing it renames the file into
 * place ({@link ReceivedSnapshotFile.adoptAs}, as a locally taken snapshot) instead of writing
 * it again. Writes run in the thread pool, in order; the data are checked as they stream in (the
 * state machine's checksum, when given) and the file is fdatasync'd every few MiB as it grows
 * (as a local snapshot's) and before the snapshot is handed on. A temp file is named `<16-hex index>.snap.<n>.recv.tmp`: one left by a crash is
 * removed when the storage opens (as every `*.tmp` there), and an abandoned or refused transfer
 * removes its own. No whole encoded snapshot is ever in memory.
 */
import {join} from 'node:path'
import {crc32} from 'node:zlib'
import type {SnapshotData, SnapshotMeta} from '../raft/types.js'
import type {SnapshotDataCheck, SnapshotDataReader, SnapshotSink, SnapshotSource} from '../replica/snapshot-data.js'
import {corrupt, toStorageError} from './errors.js'
import {unlinkAsync, writeFullyAsync, type FsOps} from './fs-ops.js'
import {DEFAULT_SNAPSHOT_SYNC_BYTES, encodePrefix, hex16, SNAPSHOT_SUFFIX, TEMP_SUFFIX} from './snapshot-file.js'
import {SnapshotFileData} from './snapshot-file-data.js'

/** What a {@link FileSnapshotSink} needs from its storage. */
export interface ReceiveContext {
  readonly ops: FsOps
  /** The snapshot folder: the temp file is made there, and renamed there at install. */
  readonly dir: string
  /** fdatasync the file before it is handed on (false only with the storage's unsafe `none` sync mode). */
  readonly sync: boolean
  /** Also fdatasync after every this many bytes written (0: only at the end), as a local snapshot's file ({@link DEFAULT_SNAPSHOT_SYNC_BYTES}): the WAL's syncs never wait behind a whole received snapshot's dirty pages. */
  readonly syncEveryBytes?: number
}

let received = 0

/**
 * The data of a snapshot received from the leader: a handle on its temp file (a `SnapshotSource`,
 * readable in pieces like a local snapshot's file) until the storage adopts it as its snapshot
 * file (renamed: the handle then points there) or nobody needs it ({@link release}: deleted).
 */
export class ReceivedSnapshotFile implements SnapshotSource {
  #file: SnapshotFileData
  #state: 'received' | 'adopted' | 'released' = 'received'

  constructor(readonly context: ReceiveContext, readonly meta: SnapshotMeta, path: string, offset: number, byteLength: number) {
    this.#file = new SnapshotFileData(path, offset, byteLength)
  }

  /** {@inheritDoc SnapshotData.byteLength} */
  get byteLength(): number {
    return this.#file.byteLength
  }

  /** Where the data are now: the temp file, or the snapshot file once adopted. */
  get path(): string {
    return this.#file.path
  }

  /** True until adopted or released. */
  get pending(): boolean {
    return this.#state === 'received'
  }

  /** {@inheritDoc SnapshotSource.openReader} */
  openReader(done: (err: Error | null, reader: SnapshotDataReader | null) => void): void {
    this.#file.openReader(done)
  }

  /** {@inheritDoc SnapshotSource.describe} */
  describe(): string {
    return `received ${this.#file.describe()}`
  }

  /** {@inheritDoc SnapshotSource.release} The temp file is deleted in the background. */
  release(): void {
    if (this.#state !== 'received') return
    this.#state = 'released'
    unlinkAsync(this.context.ops, this.#file.path, () => {})
  }

  /**
   * Make the temp file the snapshot file `to` (rename; the caller syncs the folder). Returns the
   * handle on its data there, which this object now reads too. Throws the rename's error (the
   * temp file then stays, released as usual). Only while {@link pending}.
   */
  adoptAs(to: string): SnapshotFileData {
    if (this.#state !== 'received') throw new Error(`received snapshot ${this.#file.path} was ${this.#state}`)
    this.context.ops.renameSync(this.#file.path, to)
    this.#state = 'adopted'
    this.#file = new SnapshotFileData(to, this.#file.offset, this.#file.byteLength)
    return this.#file
  }
}

interface QueuedWrite {
  readonly bytes: Uint8Array
  readonly done: (err: Error | null) => void
}

/**
 * The {@link SnapshotSink} of a FileStorage: see the file's header. Throws StorageError
 * (STORAGE_FULL / STORAGE_IO) from the constructor when the temp file cannot be made.
 */
export class FileSnapshotSink implements SnapshotSink {
  readonly path: string
  #fd: number | null
  /** Next file position to write at. */
  #at = 0
  /** File position of the last periodic fdatasync. */
  #syncedAt = 0
  #crc: number
  #queued: QueuedWrite[] = []
  #writing = false
  #dataBytes = 0
  #failed: Error | null = null
  #aborted = false
  #finish: ((err: Error | null, data: SnapshotData | null) => void) | null = null
  readonly #prefixBytes: number

  constructor(private readonly context: ReceiveContext, private readonly meta: SnapshotMeta, private readonly byteLength: number, private readonly check?: SnapshotDataCheck) {
    this.path = join(context.dir, `${hex16(meta.index)}${SNAPSHOT_SUFFIX}.${++received}.recv${TEMP_SUFFIX}`)
    try {
      this.#fd = context.ops.openSync(this.path, 'w')
    } catch (err) {
      throw toStorageError(err, 'receiving snapshot', this.path)
    }
    const prefix = encodePrefix(meta)
    this.#prefixBytes = prefix.length
    this.#crc = crc32(prefix)
    this.#queued.push({bytes: prefix, done: () => {}})
    this.#pump()
  }

  /** {@inheritDoc SnapshotSink.write} */
  write(bytes: Uint8Array, done: (err: Error | null) => void): void {
    if (this.#aborted || this.#failed !== null) return done(this.#failed ?? new Error('snapshot receive aborted'))
    if (this.#dataBytes + bytes.length > this.byteLength) return done(this.#fail(new RangeError(`more than the announced ${this.byteLength} bytes of snapshot data`)))
    this.#dataBytes += bytes.length
    this.#crc = crc32(bytes, this.#crc)
    this.check?.update(bytes)
    this.#queued.push({bytes, done})
    this.#pump()
  }

  /** {@inheritDoc SnapshotSink.finish} */
  finish(done: (err: Error | null, data: SnapshotData | null) => void): void {
    // A write failed already (the file is gone): say so now; #maybeFinish would wait forever.
    if (this.#failed !== null) return done(this.#failed, null)
    this.#finish = done
    this.#maybeFinish()
  }

  /** {@inheritDoc SnapshotSink.abort} */
  abort(): void {
    if (this.#aborted) return
    this.#aborted = true
    this.#queued = []
    this.#closeWhenIdle()
    unlinkAsync(this.context.ops, this.path, () => {})
  }

  #pump(): void {
    if (this.#writing || this.#aborted || this.#failed !== null) return
    const next = this.#queued.shift()
    if (next === undefined) return this.#maybeFinish()
    this.#writing = true
    writeFullyAsync(this.context.ops, this.#fd!, next.bytes, this.#at, (err) => {
      if (err || this.#aborted) return this.#written(next, err)
      this.#at += next.bytes.length
      const every = this.context.syncEveryBytes ?? DEFAULT_SNAPSHOT_SYNC_BYTES
      if (!this.context.sync || every === 0 || this.#at - this.#syncedAt < every) return this.#written(next, null)
      this.#syncedAt = this.#at
      this.context.ops.fdatasync(this.#fd!, (syncErr) => this.#written(next, syncErr))
    })
  }

  /** A queued write (and its periodic sync) ended. */
  #written(write: QueuedWrite, err: NodeJS.ErrnoException | null): void {
    this.#writing = false
    if (this.#aborted) return this.#closeWhenIdle()
    if (err) {
      const failure = this.#fail(toStorageError(err, 'receiving snapshot', this.path))
      write.done(failure)
      // A failure after finish() was asked ends it too (else its caller would wait forever).
      if (this.#finish !== null) this.#end(failure)
      return
    }
    write.done(null)
    this.#pump()
  }

  /** Once every byte is written and `finish` was asked: check, write the trailer, sync, close, hand on. */
  #maybeFinish(): void {
    if (this.#finish === null || this.#writing || this.#queued.length > 0 || this.#aborted || this.#failed !== null) return
    if (this.#dataBytes !== this.byteLength) return this.#end(this.#fail(new RangeError(`snapshot data ended at ${this.#dataBytes} of ${this.byteLength} bytes`)))
    const reason = this.check?.verify() ?? null
    if (reason !== null) return this.#end(this.#fail(corrupt(this.path, this.#prefixBytes, `received snapshot refused: ${reason}`)))
    const trailer = Buffer.alloc(4)
    trailer.writeUInt32LE(this.#crc >>> 0)
    this.#writing = true
    writeFullyAsync(this.context.ops, this.#fd!, trailer, this.#at, (err) => {
      if (err) return this.#afterIo(err)
      if (!this.context.sync) return this.#afterIo(null)
      this.context.ops.fdatasync(this.#fd!, (syncErr) => this.#afterIo(syncErr))
    })
  }

  #afterIo(err: NodeJS.ErrnoException | null): void {
    this.#writing = false
    if (this.#aborted) return this.#closeWhenIdle()
    if (err) return this.#end(this.#fail(toStorageError(err, 'receiving snapshot', this.path)))
    const fd = this.#fd!
    this.#fd = null
    try {
      this.context.ops.closeSync(fd)
    } catch (closeErr) {
      return this.#end(this.#fail(toStorageError(closeErr, 'receiving snapshot', this.path)))
    }
    this.#end(null, new ReceivedSnapshotFile(this.context, this.meta, this.path, this.#prefixBytes, this.byteLength))
  }

  #end(err: Error | null, data: SnapshotData | null = null): void {
    const done = this.#finish!
    this.#finish = null
    done(err, data)
  }

  /** Record the first failure: the temp file is removed, pending writes fail. Returns the failure. */
  #fail(err: Error): Error {
    if (this.#failed !== null) return this.#failed
    this.#failed = err
    const queued = this.#queued
    this.#queued = []
    for (const q of queued) q.done(err)
    this.#aborted = false
    this.abort()
    return err
  }

  #closeWhenIdle(): void {
    if (this.#writing || this.#fd === null) return
    const fd = this.#fd
    this.#fd = null
    try {
      this.context.ops.closeSync(fd)
    } catch {
      // the file is being removed anyway
    }
  }
}
