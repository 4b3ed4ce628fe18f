/**
 * Snapshot files: `snapshots/<16-hex index>.snap`, written atomically (temp file, fsync,
 * rename, fsync of the directory) and checksummed.
 *
 * Layout: `"RCTSNP" | u16 version | u32 metaLength | meta | data | u32 crc32`, little-endian,
 * the CRC covering every byte before it. meta: `u64 index | u64 term | u32 voters | (u16 length,
 * utf-8 id)… | u32 learners | (u16 length, utf-8 id)…`.
 */
import {join} from 'node:path'
import {crc32} from 'node:zlib'
import type {ConfState, NodeId, Snapshot, SnapshotMeta} from '../raft/types.js'
import {snapshotBytes} from '../replica/snapshot-data.js'
import {SnapshotFileData} from './snapshot-file-data.js'
import {corrupt, toStorageError, type StorageError} from './errors.js'
import {fsyncDir, fsyncDirAsync, writeFully, writeFullyAsync, type FsOps} from './fs-ops.js'
import {FormatError, readU64, writeU64} from './record.js'

/** Magic at the start of every snapshot file, followed by a u16 format version. */
export const SNAPSHOT_MAGIC = 'RCTSNP'

/** Format version of snapshot files. */
export const SNAPSHOT_VERSION = 1

/** Suffix of snapshot files. */
export const SNAPSHOT_SUFFIX = '.snap'

/** Suffix of a snapshot being written; leftovers are deleted at start-up. */
export const TEMP_SUFFIX = '.tmp'

const PREFIX_BYTES = 12
const NAME_RE = /^([0-9a-f]{16})\.snap$/

/** A snapshot file found in the snapshot directory. */
export interface SnapshotFileRef {
  readonly index: number
  readonly path: string
}

/** `<16 hex digits>` of an index, the naming scheme of segments and snapshots. */
export function hex16(n: number): string {
  return n.toString(16).padStart(16, '0')
}

/** Snapshot files in `dir`, oldest (lowest index) first, leftover temp files, and the names of other files found there. */
export function listSnapshotFiles(ops: FsOps, dir: string): {snapshots: SnapshotFileRef[]; temps: string[]; strangers: string[]} {
  const snapshots: SnapshotFileRef[] = []
  const temps: string[] = []
  const strangers: string[] = []
  for (const name of ops.readdirSync(dir)) {
    const m = NAME_RE.exec(name)
    if (m) snapshots.push({index: parseInt(m[1], 16), path: join(dir, name)})
    else if (name.endsWith(TEMP_SUFFIX)) temps.push(join(dir, name))
    else strangers.push(name)
  }
  snapshots.sort((a, b) => a.index - b.index)
  return {snapshots, temps, strangers}
}

function encodeIds(ids: readonly NodeId[]): Buffer[] {
  const count = Buffer.alloc(4)
  count.writeUInt32LE(ids.length)
  return [count, ...ids.flatMap((id) => {
    const bytes = Buffer.from(id, 'utf8')
    const len = Buffer.alloc(2)
    len.writeUInt16LE(bytes.length)
    return [len, bytes]
  })]
}

function encodePrefix(meta: SnapshotMeta): Buffer {
  const fixed = Buffer.alloc(16)
  writeU64(fixed, 0, meta.index)
  writeU64(fixed, 8, meta.term)
  const body = Buffer.concat([fixed, ...encodeIds(meta.conf.voters), ...encodeIds(meta.conf.learners)])
  const head = Buffer.alloc(PREFIX_BYTES)
  head.write(SNAPSHOT_MAGIC, 0, 'ascii')
  head.writeUInt16LE(SNAPSHOT_VERSION, 6)
  head.writeUInt32LE(body.length, 8)
  return Buffer.concat([head, body])
}

/** A snapshot whose data are bytes in memory (as read from a file, or to be written to one). */
export interface BytesSnapshot extends Snapshot {
  readonly data: Uint8Array
}

/** The whole file content of `snapshot` (its data must be in memory), as pieces to write in order. */
export function encodeSnapshotFile(snapshot: Snapshot): Uint8Array[] {
  const data = snapshotBytes(snapshot.data)
  const prefix = encodePrefix(snapshot.meta)
  const trailer = Buffer.alloc(4)
  trailer.writeUInt32LE(crc32(data, crc32(prefix)))
  return [prefix, data, trailer]
}

/** Where the data start in the file of a snapshot with `meta` (after the magic, version and metadata). */
export function snapshotDataOffset(meta: SnapshotMeta): number {
  return encodePrefix(meta).length
}

/** The handle on the data of the snapshot file `path` holding `meta` and `byteLength` bytes of data. */
export function snapshotFileData(path: string, meta: SnapshotMeta, byteLength: number): SnapshotFileData {
  return new SnapshotFileData(path, snapshotDataOffset(meta), byteLength)
}

function writePieces(ops: FsOps, path: string, pieces: Uint8Array[], sync: boolean): void {
  const fd = ops.openSync(path, 'w')
  try {
    let at = 0
    for (const piece of pieces) {
      writeFully(ops, fd, piece, at)
      at += piece.length
    }
    if (sync) ops.fdatasyncSync(fd)
  } finally {
    ops.closeSync(fd)
  }
}

function tryUnlink(ops: FsOps, path: string): void {
  try {
    ops.unlinkSync(path)
  } catch {
    // best effort: a leftover temp file is deleted at the next start-up
  }
}

/**
 * Write `snapshot` atomically into `dir`; returns its path. When `sync`, the file and the
 * directory are fsync'd before returning. Throws StorageError (STORAGE_FULL / STORAGE_IO); on
 * failure no file named `*.snap` was created or changed.
 */
export function writeSnapshotFile(ops: FsOps, dir: string, snapshot: Snapshot, sync: boolean): string {
  const path = join(dir, hex16(snapshot.meta.index) + SNAPSHOT_SUFFIX)
  const temp = path + TEMP_SUFFIX
  try {
    writePieces(ops, temp, encodeSnapshotFile(snapshot), sync)
    ops.renameSync(temp, path)
  } catch (err) {
    tryUnlink(ops, temp)
    throw toStorageError(err, 'writing snapshot', temp)
  }
  if (sync) syncDirOrThrow(ops, dir)
  return path
}

/**
 * While a snapshot file is written in the background, fdatasync it after every this many bytes
 * (8 MiB; 0: only at the end). A snapshot's pages otherwise stay dirty until its final
 * fdatasync flushes them all at once (122 MiB at 1M keys, on three nodes that snapshot at the
 * same index), and every WAL fdatasync issued meanwhile waits behind that flush: 143–209 ms for a
 * 200-byte WAL sync in a test of three such writers on this machine, 16 ms with a sync every
 * 8 MiB (docs/storage.md, "Snapshots and the WAL's syncs"). A follower syncs its WAL in its
 * event loop, so that wait stopped it acknowledging and hearing its leader for longer than an
 * election timeout.
 */
export const DEFAULT_SNAPSHOT_SYNC_BYTES = 8 * 1024 * 1024

/** What {@link writeSnapshotFileAsync} hands back once the file is in place. */
export interface WrittenSnapshot {
  readonly path: string
  /** A handle on the data in the file (the pieces are not kept: no encoded snapshot stays in memory). */
  readonly data: SnapshotFileData
}

/**
 * {@link writeSnapshotFile} in the background, for a snapshot whose data are the concatenation
 * of `pieces`: each piece is pulled (encoded by the caller's iterator) in its own turn of the
 * event loop, checksummed and written at once in the thread pool, then the file is
 * fdatasync'd there (also after every `syncEveryBytes` written, 0: only at the end; see
 * {@link DEFAULT_SNAPSHOT_SYNC_BYTES}), renamed into place, and the directory fsync'd (when
 * `sync`). The caller's
 * loop keeps running between the steps; a piece is referenced only until it is written. `done`
 * gets the path and a handle on the data in the file; or a StorageError
 * (STORAGE_FULL / STORAGE_IO; an iterator that throws gives STORAGE_IO), the temp file removed,
 * the iterator returned, and no file named `*.snap` created or changed (unless the directory's
 * fsync failed after the rename, as for {@link writeSnapshotFile}).
 */
export function writeSnapshotFileAsync(
  ops: FsOps, dir: string, meta: SnapshotMeta, pieces: Iterator<Uint8Array>, sync: boolean,
  done: (err: StorageError | null, written: WrittenSnapshot | null) => void,
  syncEveryBytes = DEFAULT_SNAPSHOT_SYNC_BYTES,
): void {
  const path = join(dir, hex16(meta.index) + SNAPSHOT_SUFFIX)
  const temp = path + TEMP_SUFFIX
  let fd: number | null = null
  const fail = (err: unknown, what: string, file: string): void => {
    if (fd !== null) tryClose(ops, fd)
    fd = null
    tryUnlink(ops, temp)
    try {
      pieces.return?.()
    } catch {
      // the iterator's own cleanup failed: the write failed already
    }
    done(toStorageError(err, what, file), null)
  }
  try {
    fd = ops.openSync(temp, 'w')
  } catch (err) {
    return fail(err, 'writing snapshot', temp)
  }
  let dataBytes = 0
  const prefix = encodePrefix(meta)
  let crc = crc32(prefix)
  let at = 0
  let syncedAt = 0
  const write = (piece: Uint8Array, next: () => void): void => writeFullyAsync(ops, fd!, piece, at, (err) => {
    if (err) return fail(err, 'writing snapshot', temp)
    at += piece.length
    if (!sync || syncEveryBytes === 0 || at - syncedAt < syncEveryBytes) return next()
    syncedAt = at
    ops.fdatasync(fd!, (syncErr) => (syncErr ? fail(syncErr, 'writing snapshot', temp) : next()))
  })
  const pull = (): void => {
    let r: IteratorResult<Uint8Array>
    try {
      r = pieces.next()
    } catch (err) {
      return fail(err, 'encoding snapshot', temp)
    }
    if (r.done) return finish()
    dataBytes += r.value.length
    crc = crc32(r.value, crc)
    write(r.value, pull)
  }
  const finish = (): void => {
    const trailer = Buffer.alloc(4)
    trailer.writeUInt32LE(crc)
    write(trailer, () => (sync ? ops.fdatasync(fd!, (err) => (err ? fail(err, 'writing snapshot', temp) : place())) : place()))
  }
  const place = (): void => {
    try {
      ops.closeSync(fd!)
      fd = null
      ops.renameSync(temp, path)
    } catch (err) {
      return fail(err, 'writing snapshot', temp)
    }
    const written = (): void => done(null, {path, data: new SnapshotFileData(path, prefix.length, dataBytes)})
    if (!sync) return written()
    fsyncDirAsync(ops, dir, (err) => (err ? done(toStorageError(err, 'syncing directory', dir), null) : written()))
  }
  write(prefix, pull)
}

function tryClose(ops: FsOps, fd: number): void {
  try {
    ops.closeSync(fd)
  } catch {
    // best effort after a failure
  }
}

/** fsync `dir`, wrapping failures as StorageError. */
export function syncDirOrThrow(ops: FsOps, dir: string): void {
  try {
    fsyncDir(ops, dir)
  } catch (err) {
    throw toStorageError(err, 'syncing directory', dir)
  }
}

class Reader {
  at: number
  constructor(readonly buf: Buffer, start: number, readonly end: number) {
    this.at = start
  }

  take(n: number): number {
    if (this.at + n > this.end) throw new FormatError('snapshot metadata is truncated', this.at)
    const at = this.at
    this.at += n
    return at
  }

  ids(): NodeId[] {
    const count = this.buf.readUInt32LE(this.take(4))
    const ids: NodeId[] = []
    for (let k = 0; k < count; k++) {
      const len = this.buf.readUInt16LE(this.take(2))
      const at = this.take(len)
      ids.push(this.buf.toString('utf8', at, at + len))
    }
    return ids
  }
}

function decodeMeta(buf: Buffer, metaEnd: number): SnapshotMeta {
  const r = new Reader(buf, PREFIX_BYTES, metaEnd)
  const index = readU64(buf, r.take(8))
  const term = readU64(buf, r.take(8))
  const conf: ConfState = {voters: r.ids(), learners: r.ids()}
  if (r.at !== metaEnd) throw new FormatError('trailing bytes in snapshot metadata', r.at)
  return {index, term, conf}
}

function checkFrame(buf: Buffer, path: string): number {
  if (buf.length < PREFIX_BYTES + 4) throw corrupt(path, 0, `file of ${buf.length} bytes is too short for a snapshot`)
  if (buf.toString('ascii', 0, 6) !== SNAPSHOT_MAGIC) throw corrupt(path, 0, 'not a snapshot file (bad magic)')
  const version = buf.readUInt16LE(6)
  if (version !== SNAPSHOT_VERSION) throw corrupt(path, 6, `unsupported snapshot format version ${version}`)
  const crcAt = buf.length - 4
  if (crc32(buf.subarray(0, crcAt)) !== buf.readUInt32LE(crcAt)) throw corrupt(path, crcAt, 'snapshot checksum mismatch')
  const metaEnd = PREFIX_BYTES + buf.readUInt32LE(8)
  if (metaEnd > crcAt) throw corrupt(path, 8, 'snapshot metadata length runs past the end of the file')
  return metaEnd
}

/**
 * Read and validate the snapshot file at `path`, expected to hold `expectedIndex`. Throws
 * StorageError CORRUPT naming the file and offset on any mismatch, STORAGE_IO if unreadable.
 */
export function readSnapshotFile(ops: FsOps, path: string, expectedIndex: number): BytesSnapshot {
  let buf: Buffer
  try {
    buf = ops.readFileSync(path)
  } catch (err) {
    throw toStorageError(err, 'reading snapshot', path)
  }
  return decodeSnapshotFile(buf, path, expectedIndex)
}

/**
 * Validate and decode the bytes `buf` of the snapshot file `path`, expected to hold
 * `expectedIndex`. Throws StorageError CORRUPT naming the file and offset on any mismatch.
 */
export function decodeSnapshotFile(buf: Buffer, path: string, expectedIndex: number): BytesSnapshot {
  const metaEnd = checkFrame(buf, path)
  let meta: SnapshotMeta
  try {
    meta = decodeMeta(buf, metaEnd)
  } catch (err) {
    throw corrupt(path, err instanceof FormatError ? err.at : PREFIX_BYTES, err instanceof Error ? err.message : String(err))
  }
  if (meta.index !== expectedIndex) throw corrupt(path, PREFIX_BYTES, `holds index ${meta.index} but is named for ${expectedIndex}`)
  // A view of the file's bytes, not a copy (128 MB at a million keys): a plain Uint8Array over
  // the buffer read for this file alone, which holds only the frame's few bytes besides.
  return {meta, data: new Uint8Array(buf.buffer, buf.byteOffset + metaEnd, buf.length - 4 - metaEnd)}
}
