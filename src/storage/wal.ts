/**
 * The write-ahead log: segment files `wal/<16-hex first index>.log`, each a header followed by
 * records grouped in batches (one batch per save, closed by a STATE record). This module scans
 * segments at start-up (telling a torn tail from corruption; `inspectSegment` applies the same
 * rules for a read-only reader, listing corruption instead of throwing) and appends batches afterwards
 * with one fdatasync each, undoing a failed append so the files stay consistent. The active
 * segment is kept zero-filled ahead of its end (preallocation): an append then overwrites blocks
 * the file already has, so its fdatasync has no size change to journal. A segment may therefore
 * end in zeros, which read as its clean end.
 */
import {join} from 'node:path'
import {corrupt, isFullError, StorageError, toStorageError} from './errors.js'
import {fsyncDir, writeFully, type FsOps} from './fs-ops.js'
import {
  checkSegmentHeader, decodeRecord, FormatError, frameAt, RecordType, SEGMENT_HEADER_BYTES, segmentHeader,
  validRecordAt, type WalRecord,
} from './record.js'
import {hex16} from './snapshot-file.js'
import type {StorageLogger} from './types.js'

/** Suffix of WAL segment files. */
export const SEGMENT_SUFFIX = '.log'

const SEGMENT_RE = /^([0-9a-f]{16})\.log$/

/** A segment file: `name` is the index in its file name (the first entry index written to it). */
export interface SegmentRef {
  readonly name: number
  readonly path: string
}

/** A record and where it starts. */
export interface PlacedRecord {
  readonly record: WalRecord
  readonly offset: number
}

/** The records of one complete batch (the last is its STATE record). */
export interface Batch {
  readonly records: readonly PlacedRecord[]
}

/** What scanning one segment found. */
export interface ScannedSegment extends SegmentRef {
  readonly batches: readonly Batch[]
  /** End offset of the last complete batch (0 when even the header is torn). */
  readonly goodEnd: number
  /** Bytes in the file (a zero-filled, preallocated tail included). */
  readonly fileBytes: number
  /** Set when the tail from `offset` on is torn or an incomplete batch (last segment only). */
  readonly torn?: {readonly offset: number; readonly reason: string}
  /** End of the file's data: after its last non-zero byte (a preallocated tail left out). */
  readonly dataBytes: number
}

/** Segment path of `name` in `walDir`. */
export function segmentPath(walDir: string, name: number): string {
  return join(walDir, hex16(name) + SEGMENT_SUFFIX)
}

/** Segment files in `walDir`, in log order, and names of other files found there. */
export function listSegmentFiles(ops: FsOps, walDir: string): {segments: SegmentRef[]; strangers: string[]} {
  const segments: SegmentRef[] = []
  const strangers: string[] = []
  for (const file of ops.readdirSync(walDir)) {
    const m = SEGMENT_RE.exec(file)
    if (m) segments.push({name: parseInt(m[1], 16), path: join(walDir, file)})
    else strangers.push(file)
  }
  segments.sort((a, b) => a.name - b.name)
  return {segments, strangers}
}

/**
 * How many of `segments` (in log order) lie wholly below a durable snapshot at `snapIndex`: the
 * leading segments whose next segment's name is at or below `snapIndex`. A segment's live
 * entries end where the next one starts (replaying the next segment's first entry discards
 * every entry from its index on), so such a segment holds only entries below the snapshot's
 * index, older hard states (each later batch carries the newest) and marks of older snapshots:
 * nothing recovery needs. The segment holding the snapshot's own entry is kept, so recovery can
 * still check that entry's term against the snapshot. The last (active) segment is never counted.
 */
export function segmentsBelowSnapshot(segments: readonly {readonly name: number}[], snapIndex: number): number {
  let n = 0
  while (n + 1 < segments.length && segments[n + 1].name <= snapIndex) n++
  return n
}

/**
 * The rotation rule: a batch starts a new segment when the active one holds at least
 * `segmentBytes` and the batch begins with an entry above the active segment's name (so the new
 * segment's name is its first entry, and names increase). A batch without entries never rolls.
 */
export function rollsOver(active: {readonly name: number; readonly bytes: number}, firstEntry: number | undefined, segmentBytes: number): boolean {
  return firstEntry !== undefined && active.bytes >= segmentBytes && firstEntry > active.name
}

function firstValidRecordAfter(buf: Buffer, from: number, maxRecordBytes: number): number | undefined {
  for (let at = from; at + 9 <= buf.length; at++) {
    if (validRecordAt(buf, at, maxRecordBytes)) return at
  }
  return undefined
}

const ZEROS = Buffer.alloc(64 * 1024)

/**
 * A batch at least this large (64 KiB) that grows its segment gets no zeros written ahead of it.
 * Every byte of preallocated space is written twice (zeros, then the data) and the zeros are
 * synced with the batch before them, so preallocating ahead of large batches (large values)
 * doubled the bytes written and synced; what it saves, journaling the file's new size in the
 * fdatasync (tens of µs), is small beside writing such a batch.
 */
export const LARGE_BATCH_BYTES = 64 * 1024

/** Sector size assumed for torn writes: a write may reach the disk in part, in units of this many bytes. */
export const SECTOR_BYTES = 512

/** Fewest zero bytes that count as a sector chunk that was never written (a record header is never all zero). */
const MIN_LOST_CHUNK = 8

/** True when some sector-aligned chunk of [from, to), at least {@link MIN_LOST_CHUNK} long, is all zero. */
function hasZeroChunk(buf: Buffer, from: number, to: number): boolean {
  for (let start = from; start < to;) {
    const end = Math.min(to, (Math.floor(start / SECTOR_BYTES) + 1) * SECTOR_BYTES)
    if (end - start >= MIN_LOST_CHUNK && buf.compare(ZEROS, 0, end - start, start, end) === 0) return true
    start = end
  }
  return false
}

/**
 * Offset just after the last non-zero byte of `buf`: from there on is the unused, preallocated
 * (zero-filled) end of a segment. Compares whole chunks against zeros, then bytes.
 */
export function endOfData(buf: Buffer): number {
  let end = buf.length
  while (end > 0) {
    const start = Math.max(0, end - ZEROS.length)
    if (buf.compare(ZEROS, 0, end - start, start, end) !== 0) break
    end = start
  }
  while (end > 0 && buf[end - 1] === 0) end--
  return end
}

/**
 * A batch written into preallocated zeros can reach the disk in part, sector by sector, in any
 * order: after a power loss its later records may be there while a sector before them still
 * holds zeros. Such a tail, from the bad record at `at` on, is torn (the last batch, never
 * acknowledged) when each bad stretch in it has an all-zero sector chunk and the valid records
 * after `at` close at most one batch (only the batch being written when the power went can be
 * torn; one more STATE record means a batch that was synced before: corruption).
 */
function isTornByLostSectors(buf: Buffer, at: number, end: number, maxRecordBytes: number): boolean {
  let states = 0
  for (let pos = at; pos < end;) {
    const framed = frameAt(buf, pos, maxRecordBytes)
    if (framed.ok) {
      if (framed.type === RecordType.STATE && ++states > 1) return false
      pos = framed.end
      continue
    }
    const next = firstValidRecordAfter(buf, pos + 1, maxRecordBytes) ?? end
    if (!hasZeroChunk(buf, pos, Math.min(next, end))) return false
    pos = next
  }
  return true
}

/**
 * Whether a bad record at `at` is corruption (returns the reason) or a torn tail (returns
 * null); `dataEnd` is {@link endOfData} of `buf`.
 */
function classifyBadRecord(buf: Buffer, at: number, dataEnd: number, reason: string, isLast: boolean, maxRecordBytes: number): string | null {
  if (!isLast) return `${reason} (not the last segment)`
  const next = firstValidRecordAfter(buf, at + 1, maxRecordBytes)
  if (next !== undefined && !isTornByLostSectors(buf, at, dataEnd, maxRecordBytes)) return `${reason}, but a valid record follows at offset ${next}`
  return null
}

function decodeAt(type: number, payload: Buffer): WalRecord | string {
  try {
    return decodeRecord(type, payload)
  } catch (err) {
    return `malformed record: ${err instanceof FormatError ? err.message : String(err)}`
  }
}

/** A stretch of a segment that recovery refuses as corrupt: where it starts, and why. */
export interface SegmentDamage {
  readonly offset: number
  readonly reason: string
}

/** What {@link inspectSegment} found: the scan, and every corruption in file order. */
export interface InspectedSegment extends ScannedSegment {
  /**
   * Corruption found, in file order (empty for a segment recovery accepts). When there is any,
   * `batches` also holds the valid records read around it, and an incomplete batch at the end of
   * a segment that is not the last; `goodEnd` then means nothing.
   */
  readonly damage: readonly SegmentDamage[]
}

/** The scan of a segment without a readable record (`torn`: its header is a torn write). */
function noRecords(seg: SegmentRef, buf: Buffer, dataEnd: number, torn?: {offset: number; reason: string}): ScannedSegment {
  return {...seg, batches: [], goodEnd: 0, fileBytes: buf.length, dataBytes: dataEnd, ...(torn ? {torn} : {})}
}

/**
 * The scan shared by {@link scanSegment} and {@link inspectSegment}. Each corruption goes to
 * `report`: recovery's throws (so the scan stops at the first); the inspector's records it, and
 * the scan goes on at the next valid record.
 */
function walkSegment(buf: Buffer, seg: SegmentRef, isLast: boolean, maxRecordBytes: number, report: (damage: SegmentDamage) => void): ScannedSegment {
  const dataEnd = endOfData(buf)
  const batches: Batch[] = []
  let pending: PlacedRecord[] = []
  let at = SEGMENT_HEADER_BYTES
  let goodEnd = at
  let bad: {offset: number; reason: string} | undefined
  const damaged = (offset: number, reason: string): number | undefined => {
    report({offset, reason})
    return firstValidRecordAfter(buf, offset + 1, maxRecordBytes)
  }
  const header = checkSegmentHeader(buf)
  if (header !== null) {
    const corruption = classifyBadRecord(buf, 0, dataEnd, header, isLast, maxRecordBytes)
    if (corruption === null) return noRecords(seg, buf, dataEnd, {offset: 0, reason: header})
    const resume = damaged(0, corruption)
    if (resume === undefined) return noRecords(seg, buf, dataEnd)
    at = resume
  }
  while (at < buf.length) {
    const framed = frameAt(buf, at, maxRecordBytes)
    if (!framed.ok && at >= dataEnd) break // the preallocated zeros: the segment's clean end
    if (!framed.ok) {
      const corruption = classifyBadRecord(buf, at, dataEnd, framed.reason, isLast, maxRecordBytes)
      if (corruption === null) {
        bad = {offset: at, reason: framed.reason}
        break
      }
      const resume = damaged(at, corruption)
      if (resume === undefined) break
      at = resume
      continue
    }
    const record = decodeAt(framed.type, framed.payload)
    if (typeof record === 'string') report({offset: at, reason: record})
    else pending.push({record, offset: at})
    at = framed.end
    if (framed.type === RecordType.STATE && typeof record !== 'string') {
      batches.push({records: pending})
      pending = []
      goodEnd = at
    }
  }
  if (pending.length > 0 && !isLast) {
    report({offset: pending[0].offset, reason: 'incomplete batch at the end of a segment that is not the last'})
    batches.push({records: pending})
    pending = []
  }
  if (pending.length > 0) bad = {offset: pending[0].offset, reason: bad ? `incomplete batch ending in ${bad.reason}` : 'incomplete batch'}
  return {...seg, batches, goodEnd, fileBytes: buf.length, torn: bad, dataBytes: dataEnd}
}

/**
 * Parse one segment. The last segment may end in a torn record or an incomplete batch (reported
 * in `torn`, not fixed here); anywhere else, a bad record throws StorageError CORRUPT naming the
 * file and offset, as does a bad record in the last segment that is followed by a valid one.
 */
export function scanSegment(buf: Buffer, seg: SegmentRef, isLast: boolean, maxRecordBytes: number): ScannedSegment {
  return walkSegment(buf, seg, isLast, maxRecordBytes, (d) => {
    throw corrupt(seg.path, d.offset, d.reason)
  })
}

/**
 * Parse one segment as {@link scanSegment} does, by the same rules, but without throwing: each
 * corruption is listed in `damage` and the scan goes on at the next valid record, so a reader
 * (`raftctl wal dump`) can show everything readable and every problem. Pure: reads `buf` only.
 */
export function inspectSegment(buf: Buffer, seg: SegmentRef, isLast: boolean, maxRecordBytes: number): InspectedSegment {
  const damage: SegmentDamage[] = []
  const scanned = walkSegment(buf, seg, isLast, maxRecordBytes, (d) => damage.push(d))
  return {...scanned, damage}
}

/** Options of a {@link Wal}. */
export interface WalOptions {
  readonly walDir: string
  readonly ops: FsOps
  /** Roll to a new segment once the active one holds at least this many bytes. */
  readonly segmentBytes: number
  /** False for syncMode 'none': no fdatasync / directory fsync at all. */
  readonly sync: boolean
  /**
   * Zero bytes written ahead of the active segment's end whenever an append would grow the file
   * (never past `segmentBytes`, unless one batch does); 0: none, the file grows with each append.
   */
  readonly preallocateBytes: number
  readonly logger: StorageLogger
}

/** A segment as the WAL opens it: `bytes` up to the end of its last batch, `fileBytes` in the file (default `bytes`). */
export type SegmentSizes = SegmentRef & {readonly bytes: number; readonly fileBytes?: number}

/** An open segment with its sizes. */
interface OpenSegment extends SegmentRef {
  /** End of the last batch: where the next one is written. */
  bytes: number
  /** Size of the file: up to here it is allocated (zeros after `bytes`). */
  fileBytes: number
}

/** Where a batch was written. */
export interface Placement {
  /** Name of the segment holding the batch. */
  readonly seg: number
  /** Offset of the batch's first byte in that segment. */
  readonly offset: number
}

/**
 * Appends batches to the active (last) segment, rolling to a new one when it is full. After a
 * failed append the files are as before it; if that cannot be ensured, `poisoned` is set and
 * every later append throws STORAGE_IO (reopen the store to recover).
 */
export class Wal {
  readonly #opts: WalOptions
  readonly #segments: OpenSegment[]
  #fd: number | null = null
  #poisoned: StorageError | null = null
  /** The last preallocation failed (its warning is not repeated until one succeeds). */
  #preallocationFailing = false
  /** Asynchronous fdatasyncs not yet completed (see {@link appendDeferred}). */
  #syncsInFlight = 0
  /** Descriptors whose close waits for the in-flight syncs (an fd number must not be reused under them). */
  #closeAfterSyncs: number[] = []

  /** `segments` in log order with their valid sizes; the last one is the active segment. */
  constructor(opts: WalOptions, segments: readonly SegmentSizes[]) {
    this.#opts = opts
    this.#segments = segments.map((s) => ({name: s.name, path: s.path, bytes: s.bytes, fileBytes: Math.max(s.fileBytes ?? s.bytes, s.bytes)}))
    const active = this.#active()
    if (active) this.#fd = this.#open(active.path)
  }

  /** Set once the files may not match what was acknowledged; every append then throws. */
  get poisoned(): StorageError | null {
    return this.#poisoned
  }

  /** Segments in log order (the last one is active). */
  get segments(): readonly SegmentRef[] {
    return this.#segments
  }

  /** Total bytes of all segments. */
  get bytes(): number {
    return this.#segments.reduce((n, s) => n + s.bytes, 0)
  }

  /**
   * Append one batch durably (one fdatasync; plus a directory fsync when a segment is created).
   * `firstEntry` is the index of the batch's first entry (undefined when it has none) and
   * `nextIndex` the index the log continues at; they name a new segment.
   * Throws StorageError STORAGE_FULL / STORAGE_IO; the segment is then as before the call.
   */
  append(batch: Buffer, firstEntry: number | undefined, nextIndex: number): Placement {
    if (this.#poisoned) throw this.#poisoned
    const active = this.#active()
    if (active && !this.#shouldRoll(active, firstEntry)) return this.#appendTo(active, batch)
    return this.#appendToNew(firstEntry ?? nextIndex, batch)
  }

  /**
   * Append one batch to the active segment and start its fdatasync in the background; `done`
   * gets null once the batch is durable, or the error (which poisons the WAL: after a failed
   * fdatasync the page cache can no longer be trusted). Falls back to {@link append} (synchronous,
   * `done` called before returning) when the batch starts a new segment or sync is off. A failed
   * write is undone and thrown, as by `append`.
   */
  appendDeferred(batch: Buffer, firstEntry: number | undefined, nextIndex: number, done: (err: Error | null) => void): Placement {
    if (this.#poisoned) throw this.#poisoned
    const active = this.#active()
    if (!this.#opts.sync || !active || this.#shouldRoll(active, firstEntry)) {
      const placed = this.append(batch, firstEntry, nextIndex)
      done(null)
      return placed
    }
    const fd = this.#fd!
    const placed = this.#appendTo(active, batch, false)
    const offset = placed.offset
    this.#syncsInFlight++
    this.#opts.ops.fdatasync(fd, (err) => {
      this.#syncsInFlight--
      if (this.#syncsInFlight === 0) this.#closeDeferred()
      if (err) {
        this.#poison(active.path, offset, err)
        return done(toStorageError(err, 'syncing WAL segment', active.path, offset))
      }
      done(null)
    })
    return placed
  }

  /** Delete whole segments whose name is below `name` (never the active one). Failures are logged, not thrown. */
  /**
   * Forget the segments that {@link deleteBefore} would delete, without deleting them; returns
   * their paths, for a caller that deletes them in the background (a crash before it did leaves
   * files recovery already copes with: segments wholly below the snapshot).
   */
  detachBefore(name: number): string[] {
    const paths: string[] = []
    while (this.#segments.length > 1 && this.#segments[0].name < name) paths.push(this.#segments.shift()!.path)
    return paths
  }

  deleteBefore(name: number): number {
    let deleted = 0
    while (this.#segments.length > 1 && this.#segments[0].name < name) {
      const seg = this.#segments[0]
      try {
        this.#opts.ops.unlinkSync(seg.path)
      } catch (err) {
        this.#opts.logger('warn', 'could not delete WAL segment', {file: seg.path, error: String(err)})
        break
      }
      this.#segments.shift()
      deleted++
    }
    if (deleted > 0) this.#syncDirQuietly()
    return deleted
  }

  /** Close the active segment's file (after any fdatasync still in flight on it). */
  close(): void {
    if (this.#fd !== null) this.#closeFd(this.#fd)
    this.#fd = null
  }

  #closeFd(fd: number): void {
    if (this.#syncsInFlight > 0) this.#closeAfterSyncs.push(fd)
    else this.#opts.ops.closeSync(fd)
  }

  #closeDeferred(): void {
    for (const fd of this.#closeAfterSyncs.splice(0)) {
      try {
        this.#opts.ops.closeSync(fd)
      } catch (err) {
        this.#opts.logger('warn', 'could not close a WAL segment', {error: String(err)})
      }
    }
  }

  #active(): OpenSegment | undefined {
    return this.#segments[this.#segments.length - 1]
  }

  #shouldRoll(active: OpenSegment, firstEntry: number | undefined): boolean {
    return rollsOver(active, firstEntry, this.#opts.segmentBytes)
  }

  #open(path: string): number {
    try {
      return this.#opts.ops.openSync(path, 'r+')
    } catch (err) {
      throw toStorageError(err, 'opening segment', path)
    }
  }

  /** Write `batch` at the end of the active segment, and fdatasync it when `syncNow`; undone on failure. */
  #appendTo(active: OpenSegment, batch: Buffer, syncNow = true): Placement {
    const fd = this.#fd!
    const offset = active.bytes
    let syncing = false
    try {
      writeFully(this.#opts.ops, fd, batch, offset)
      this.#preallocate(active, fd, offset + batch.length, batch.length)
      syncing = true
      if (syncNow) this.#syncFile(fd)
    } catch (err) {
      const failure = toStorageError(err, 'appending to WAL segment', active.path, offset)
      this.#undoAppend(active, fd, offset, syncing && !isFullError(err) ? err : null)
      throw failure
    }
    active.bytes += batch.length
    return {seg: active.name, offset}
  }

  #appendToNew(name: number, batch: Buffer): Placement {
    const path = segmentPath(this.#opts.walDir, name)
    let fd: number
    try {
      fd = this.#opts.ops.openSync(path, 'w+')
    } catch (err) {
      throw toStorageError(err, 'creating WAL segment', path)
    }
    const created: OpenSegment = {name, path, bytes: SEGMENT_HEADER_BYTES + batch.length, fileBytes: 0}
    let syncing = false
    try {
      writeFully(this.#opts.ops, fd, segmentHeader(), 0)
      writeFully(this.#opts.ops, fd, batch, SEGMENT_HEADER_BYTES)
      this.#preallocate(created, fd, created.bytes, batch.length)
      syncing = true
      this.#syncFile(fd)
      if (this.#opts.sync) fsyncDir(this.#opts.ops, this.#opts.walDir)
    } catch (err) {
      const failure = toStorageError(err, 'writing new WAL segment', path)
      this.#undoCreate(path, fd, syncing && !isFullError(err) ? err : null)
      throw failure
    }
    if (this.#fd !== null) this.#closeFd(this.#fd)
    this.#fd = fd
    this.#segments.push(created)
    this.#opts.logger('debug', 'WAL segment created', {file: path})
    return {seg: name, offset: SEGMENT_HEADER_BYTES}
  }

  /**
   * A batch was just written up to `end`: `seg.fileBytes` becomes at least `end`, and when the
   * batch grew the file, zeros are written after it, `preallocateBytes` of them, but not past
   * `segmentBytes`. The batch is written first, so the zeros never take space it needs. Best effort: a failure (say, a full disk) cuts the file
   * back to `end`, is logged (once until a preallocation succeeds again), and the append goes on
   * as it would without. The zeros become durable with the batch's own fdatasync. A batch of
   * {@link LARGE_BATCH_BYTES} or more (`batchBytes`) gets no zeros ahead: see there.
   */
  #preallocate(seg: OpenSegment, fd: number, end: number, batchBytes: number): void {
    const target = Math.min(end + this.#opts.preallocateBytes, Math.max(end, this.#opts.segmentBytes))
    if (end <= seg.fileBytes) return
    seg.fileBytes = end
    if (target <= end || batchBytes >= LARGE_BATCH_BYTES) return
    try {
      for (let at = end; at < target; at += ZEROS.length) writeFully(this.#opts.ops, fd, ZEROS.subarray(0, Math.min(ZEROS.length, target - at)), at)
      seg.fileBytes = target
      this.#preallocationFailing = false
    } catch (err) {
      this.#giveSpaceBack(seg, fd, end)
      if (!this.#preallocationFailing) this.#opts.logger('warn', 'could not preallocate WAL space; appending without it', {file: seg.path, offset: end, error: String(err)})
      this.#preallocationFailing = true
    }
  }

  /** After a failed zero fill: cut the file back to `end` (zeros left after it would be harmless, only wasted). */
  #giveSpaceBack(seg: OpenSegment, fd: number, end: number): void {
    try {
      this.#opts.ops.ftruncateSync(fd, end)
    } catch (err) {
      this.#opts.logger('warn', 'could not cut back a failed WAL preallocation', {file: seg.path, offset: end, error: String(err)})
    }
  }

  #syncFile(fd: number): void {
    if (this.#opts.sync) this.#opts.ops.fdatasyncSync(fd)
  }

  /**
   * Truncate a failed append away. `syncFailure` is set when fdatasync itself failed for a
   * reason other than "disk full": the page cache can then no longer be trusted (a retried
   * fsync may report success for lost pages), so the WAL is poisoned even after the undo.
   */
  #undoAppend(active: OpenSegment, fd: number, offset: number, syncFailure: unknown): void {
    try {
      this.#opts.ops.ftruncateSync(fd, offset)
      active.fileBytes = offset
      this.#syncFile(fd)
    } catch (err) {
      this.#poison(active.path, offset, err)
      return
    }
    if (syncFailure !== null) this.#poison(active.path, offset, syncFailure)
  }

  /** Remove a segment whose first batch failed; `syncFailure` as for the append undo above. */
  #undoCreate(path: string, fd: number, syncFailure: unknown): void {
    try {
      this.#opts.ops.closeSync(fd)
      this.#opts.ops.unlinkSync(path)
      if (this.#opts.sync) fsyncDir(this.#opts.ops, this.#opts.walDir)
    } catch (err) {
      this.#poison(path, 0, err)
      return
    }
    if (syncFailure !== null) this.#poison(path, 0, syncFailure)
  }

  #poison(file: string, offset: number, cause: unknown): void {
    const detail = cause instanceof Error ? cause.message : String(cause)
    this.#poisoned = new StorageError('STORAGE_IO', `WAL unusable after a failed write to ${file} at offset ${offset} (${detail}); reopen the store`, {file, offset, cause})
    this.#opts.logger('error', 'WAL poisoned: a failed write could not be undone', {file, offset, error: detail})
  }

  #syncDirQuietly(): void {
    if (!this.#opts.sync) return
    try {
      fsyncDir(this.#opts.ops, this.#opts.walDir)
    } catch (err) {
      this.#opts.logger('warn', 'could not sync the WAL directory', {dir: this.#opts.walDir, error: String(err)})
    }
  }
}
