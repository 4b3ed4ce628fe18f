/**
 * Start-up recovery of a FileStorage directory: read and validate the newest snapshot, scan
 * the WAL segments not wholly below it, replay their batches into a log, reconcile the log with
 * the snapshot, and only then repair a torn tail and delete the segments below the snapshot
 * that a crash left (so a store found corrupt is left untouched).
 */
import {dirname, join} from 'node:path'
import type {Entry, HardState, Snapshot, SnapshotMeta} from '../raft/types.js'
import type {RecoveredState} from '../replica/ports.js'
import {corrupt, toStorageError} from './errors.js'
import {fsyncDir, type FsOps} from './fs-ops.js'
import {IndexedLog} from './indexed-log.js'
import {EMPTY_HARD_STATE} from './log-rules.js'
import {RecordType, SEGMENT_HEADER_BYTES} from './record.js'
import {listSnapshotFiles, readSnapshotFile, snapshotFileData} from './snapshot-file.js'
import type {StorageLogger} from './types.js'
import {listSegmentFiles, scanSegment, segmentsBelowSnapshot, type ScannedSegment, type SegmentRef, type SegmentSizes} from './wal.js'

/** Where an entry's record lives, and its term. */
export interface EntryLoc {
  readonly term: number
  /** Name of the segment holding the record. */
  readonly seg: number
  /** Offset of the record in that segment. */
  readonly offset: number
}

/** Inputs of {@link recover}. */
export interface RecoveryContext {
  /** The data directory holding `walDir` and `snapDir`. */
  readonly dir: string
  readonly walDir: string
  readonly snapDir: string
  readonly ops: FsOps
  readonly maxRecordBytes: number
  readonly sync: boolean
  readonly logger: StorageLogger
  /** Told after each file read: bytes read so far and the bytes recovery expects to read in all. */
  readonly onProgress?: (readBytes: number, totalBytes: number) => void
}

/** Counts the bytes recovery reads against the sizes of the files it plans to read, for {@link RecoveryContext.onProgress}. */
class ReadMeter {
  #read = 0
  #total = 0
  readonly #sizes = new Map<string, number>()

  constructor(private readonly ctx: RecoveryContext) {}

  /** Expect to read `paths` (their sizes are added to the total; unknown sizes count 0). */
  plan(paths: readonly string[]): void {
    if (!this.ctx.onProgress || !this.ctx.ops.sizeSync) return
    for (const path of paths) {
      try {
        const size = this.ctx.ops.sizeSync(path)
        this.#sizes.set(path, size)
        this.#total += size
      } catch {
        // gone or unreadable: its read reports the error
      }
    }
  }

  /** The file `path` was read: its planned size counts (else `bytes`, what was read of it). */
  read(path: string, bytes: number): void {
    this.#read += this.#sizes.get(path) ?? bytes
    this.ctx.onProgress?.(this.#read, Math.max(this.#total, this.#read))
  }
}

/** Everything recovered. */
export interface Recovered {
  readonly state: RecoveredState
  readonly snapshotMeta: SnapshotMeta | null
  /** The live log: one location per entry. */
  readonly log: IndexedLog<EntryLoc>
  /** Surviving segments in log order with their valid sizes and file sizes. */
  readonly segments: SegmentSizes[]
  /**
   * True when the WAL's entries were discarded because they do not continue the snapshot: the
   * caller must append a discarding SNAPSHOT record before anything else, or the next replay
   * would see a gap.
   */
  readonly discardedLog: boolean
  /** What start-up read: segments scanned, entry records replayed (those below the snapshot's segments were not read). */
  readonly read: {readonly segments: number; readonly entryRecords: number}
}

/** A replayed entry with its location. */
export interface ReplayItem extends EntryLoc {
  readonly entry: Entry
}

/** Create the directories; when syncing, fsync the data directory and its parent so they survive a crash. */
function ensureDirs(ctx: RecoveryContext): void {
  for (const dir of [ctx.walDir, ctx.snapDir]) {
    try {
      ctx.ops.mkdirSync(dir, {recursive: true})
    } catch (err) {
      throw toStorageError(err, 'creating directory', dir)
    }
  }
  if (!ctx.sync) return
  for (const dir of [ctx.dir, dirname(ctx.dir)]) {
    try {
      fsyncDir(ctx.ops, dir)
    } catch (err) {
      throw toStorageError(err, 'syncing directory', dir)
    }
  }
}

function removeTemps(ctx: RecoveryContext, temps: readonly string[]): void {
  for (const temp of temps) {
    try {
      ctx.ops.unlinkSync(temp)
      ctx.logger('info', 'removed an unfinished snapshot file', {file: temp})
    } catch (err) {
      ctx.logger('warn', 'could not remove an unfinished snapshot file', {file: temp, error: String(err)})
    }
  }
}

/** The newest snapshot file (its index from its name), unfinished ones removed. */
function newestSnapshotFile(ctx: RecoveryContext): {index: number; path: string} | undefined {
  const {snapshots, temps} = listSnapshotFiles(ctx.ops, ctx.snapDir)
  removeTemps(ctx, temps)
  return snapshots[snapshots.length - 1]
}

/** The newest snapshot, validated: its meta, a handle on its data in the file, and the bytes read (for the one restore at start-up). */
function loadSnapshot(ctx: RecoveryContext, newest: {index: number; path: string} | undefined, meter: ReadMeter): {snapshot: Snapshot; bytes: Uint8Array} | null {
  if (!newest) return null
  const {meta, data} = readSnapshotFile(ctx.ops, newest.path, newest.index)
  meter.read(newest.path, data.length)
  return {snapshot: {meta, data: snapshotFileData(newest.path, meta, data.length)}, bytes: data}
}

function readSegment(ctx: RecoveryContext, ref: SegmentRef, isLast: boolean, meter: ReadMeter): ScannedSegment {
  let buf: Buffer
  try {
    buf = ctx.ops.readFileSync(ref.path)
  } catch (err) {
    throw toStorageError(err, 'reading WAL segment', ref.path)
  }
  meter.read(ref.path, buf.length)
  return scanSegment(buf, ref, isLast, ctx.maxRecordBytes)
}

/** The segments recovery reads, and those it leaves unread: wholly below the snapshot. */
interface ScanResult {
  readonly scanned: ScannedSegment[]
  readonly below: SegmentRef[]
}

/**
 * Read the segments recovery needs: the last one, and every one not wholly below the snapshot
 * at `snapIndex` ({@link segmentsBelowSnapshot}). Those below are left unread (start-up time is
 * bounded by the entries since the snapshot, not by history), unless the last segment holds no
 * complete batch: then the newest hard state may be in an older segment, and all are read.
 */
function scanAll(ctx: RecoveryContext, segments: readonly SegmentRef[], snapIndex: number, meter: ReadMeter): ScanResult {
  if (segments.length === 0) return {scanned: [], below: []}
  const last = readSegment(ctx, segments[segments.length - 1], true, meter)
  const skip = last.batches.length > 0 ? segmentsBelowSnapshot(segments, snapIndex) : 0
  if (skip === 0) meter.plan(segments.slice(0, segmentsBelowSnapshot(segments, snapIndex)).map((seg) => seg.path))
  const middle = segments.slice(skip, -1).map((ref) => readSegment(ctx, ref, false, meter))
  return {scanned: [...middle, last], below: segments.slice(0, skip)}
}

function listSegments(ctx: RecoveryContext): SegmentRef[] {
  const {segments, strangers} = listSegmentFiles(ctx.ops, ctx.walDir)
  if (strangers.length > 0) ctx.logger('warn', 'ignoring unknown files in the WAL directory', {dir: ctx.walDir, files: strangers})
  return segments
}

/**
 * Delete the segments wholly below the snapshot that a crash left behind (compaction deletes
 * them oldest first, so a crash in the middle leaves an older run of them), oldest first, then
 * sync the directory. Best effort: one that cannot be deleted is left for the next start.
 */
function deleteBelow(ctx: RecoveryContext, below: readonly SegmentRef[]): void {
  let deleted = 0
  for (const seg of below) {
    try {
      ctx.ops.unlinkSync(seg.path)
      deleted++
    } catch (err) {
      ctx.logger('warn', 'could not delete a WAL segment below the snapshot', {file: seg.path, error: String(err)})
      break
    }
  }
  if (deleted === 0) return
  ctx.logger('info', 'deleted WAL segments below the snapshot', {segments: deleted})
  if (!ctx.sync) return
  try {
    fsyncDir(ctx.ops, ctx.walDir)
  } catch (err) {
    ctx.logger('warn', 'could not sync the WAL directory', {dir: ctx.walDir, error: String(err)})
  }
}

/** Where a replay rule was broken: the record's file and offset, and why. */
export type ReplayReport = (file: string, offset: number, reason: string) => void

const throwCorrupt: ReplayReport = (file, offset, reason) => {
  throw corrupt(file, offset, reason)
}

/**
 * Replays batches in order. Entry rules mirror the writer's: no gaps; an index at or below the
 * last restarts the suffix. A broken rule goes to `report`, which throws CORRUPT by default (the
 * recovery path). A reader that lists problems instead passes its own: the replay then goes on,
 * and on a gap the log restarts at the new entry, the entries before the gap going to `onRestart`.
 */
export class Replay {
  readonly log = new IndexedLog<ReplayItem>()
  hardState: HardState = EMPTY_HARD_STATE
  /** After a discarding snapshot record: the index the next entry must have. */
  #expect: number | undefined

  constructor(private readonly report: ReplayReport = throwCorrupt, private readonly onRestart: (before: ReplayItem[]) => void = () => {}) {}

  segment(seg: ScannedSegment): void {
    for (const batch of seg.batches) {
      for (const {record, offset} of batch.records) {
        if (record.type === RecordType.ENTRY) this.#entry(seg, offset, record.entry)
        else if (record.type === RecordType.STATE) this.hardState = record.hardState
        else this.#snapshot(record.mark.index, record.mark.keep)
      }
    }
  }

  #entry(seg: ScannedSegment, offset: number, entry: Entry): void {
    const {index} = entry
    if (this.#expect !== undefined && index !== this.#expect) {
      this.report(seg.path, offset, `entry ${index} follows a snapshot that ends at ${this.#expect - 1}`)
    }
    if (this.log.length > 0 && index > this.log.lastIndex + 1) {
      this.report(seg.path, offset, `entry ${index} leaves a gap after entry ${this.log.lastIndex}`)
      this.onRestart(this.log.itemsAfter(this.log.firstIndex - 1))
      this.log.clear(index)
    }
    this.log.put(index, {term: entry.term, seg: seg.name, offset, entry})
    this.#expect = undefined
  }

  #snapshot(index: number, keep: boolean): void {
    if (keep) {
      this.log.dropThrough(index)
      this.#expect = undefined
    } else {
      this.log.clear(index + 1)
      this.#expect = index + 1
    }
  }
}

/**
 * How a replayed log fits the snapshot: `fits`; `discard` when the log conflicts with the
 * snapshot or ends before it (what a crash between writing a snapshot file and its WAL record
 * leaves: recovery discards the log); `missing` when the log starts after `snapshot index + 1`
 * (entries were lost: corruption). An empty log fits.
 */
export function snapshotFit(log: IndexedLog<{readonly term: number}>, meta: SnapshotMeta | null): 'fits' | 'discard' | 'missing' {
  if (log.length === 0) return 'fits'
  const snapIndex = meta?.index ?? 0
  const atSnap = log.at(snapIndex)
  if (log.lastIndex < snapIndex || (atSnap !== undefined && atSnap.term !== meta?.term)) return 'discard'
  return log.firstIndex > snapIndex + 1 ? 'missing' : 'fits'
}

function pathOf(segments: readonly ScannedSegment[], name: number): string {
  return segments.find((s) => s.name === name)?.path ?? '(unknown segment)'
}

/**
 * Make the replayed log agree with the snapshot. A log that conflicts with it or ends before it
 * is what a crash between writing a snapshot file and its WAL record leaves: it is discarded.
 * A log that starts after `snapshot index + 1` has lost entries: CORRUPT. Returns true when
 * the log was discarded (the caller must then record that in the WAL).
 */
function reconcile(ctx: RecoveryContext, replay: Replay, meta: SnapshotMeta | null, segments: readonly ScannedSegment[]): boolean {
  const log = replay.log
  const snapIndex = meta?.index ?? 0
  const fit = snapshotFit(log, meta)
  if (fit === 'discard') {
    ctx.logger('warn', 'discarding WAL entries that do not continue the snapshot (interrupted snapshot install)', {snapshotIndex: snapIndex, firstIndex: log.firstIndex, lastIndex: log.lastIndex})
    log.clear(snapIndex + 1)
    return true
  }
  if (fit === 'missing') {
    const first = log.at(log.firstIndex)!
    throw corrupt(pathOf(segments, first.seg), first.offset, `log starts at entry ${log.firstIndex} but the snapshot ends at ${snapIndex}: entries are missing`)
  }
  return false
}

function truncateSegment(ctx: RecoveryContext, seg: ScannedSegment): void {
  const fd = ctx.ops.openSync(seg.path, 'r+')
  try {
    ctx.ops.ftruncateSync(fd, seg.goodEnd)
    if (ctx.sync) ctx.ops.fdatasyncSync(fd)
  } finally {
    ctx.ops.closeSync(fd)
  }
}

/**
 * Cut a torn tail off the last segment, or delete it when no complete batch remains (the active
 * segment must hold the latest STATE record). Returns false if deleted.
 */
function repairTail(ctx: RecoveryContext, seg: ScannedSegment): boolean {
  const torn = seg.torn ?? {offset: seg.goodEnd, reason: 'no complete batch'}
  const fields = {file: seg.path, offset: torn.offset, reason: torn.reason, droppedBytes: Math.max(0, seg.dataBytes - seg.goodEnd)}
  try {
    if (seg.batches.length === 0) {
      ctx.ops.unlinkSync(seg.path)
      if (ctx.sync) fsyncDir(ctx.ops, ctx.walDir)
      ctx.logger('warn', 'deleted a WAL segment holding only a torn write', fields)
      return false
    }
    truncateSegment(ctx, seg)
    ctx.logger('warn', 'truncated a torn tail of the WAL', fields)
    return true
  } catch (err) {
    throw toStorageError(err, 'repairing the torn tail of', seg.path, seg.goodEnd)
  }
}

function survivingSegments(ctx: RecoveryContext, scanned: readonly ScannedSegment[]): SegmentSizes[] {
  const kept: SegmentSizes[] = []
  scanned.forEach((seg, k) => {
    const isLast = k === scanned.length - 1
    const repaired = isLast && (seg.torn !== undefined || seg.batches.length === 0)
    if (repaired && !repairTail(ctx, seg)) return
    if (!isLast && seg.batches.length === 0) ctx.logger('warn', 'WAL segment holds no records', {file: seg.path})
    const bytes = Math.max(seg.goodEnd, SEGMENT_HEADER_BYTES)
    kept.push({name: seg.name, path: seg.path, bytes, fileBytes: repaired ? bytes : seg.fileBytes})
  })
  return kept
}

function toLocations(replay: Replay): IndexedLog<EntryLoc> {
  const log = new IndexedLog<EntryLoc>()
  log.clear(replay.log.firstIndex)
  for (let i = replay.log.firstIndex; i <= replay.log.lastIndex; i++) {
    const {term, seg, offset} = replay.log.at(i)!
    log.put(i, {term, seg, offset})
  }
  return log
}

function countEntryRecords(scanned: readonly ScannedSegment[]): number {
  let n = 0
  for (const seg of scanned) for (const batch of seg.batches) for (const {record} of batch.records) if (record.type === RecordType.ENTRY) n++
  return n
}

/**
 * Recover a storage directory. Throws StorageError CORRUPT (file and offset named) when a
 * snapshot or a segment fails validation anywhere but a torn tail, STORAGE_IO when unreadable.
 */
export function recover(ctx: RecoveryContext): Recovered {
  ensureDirs(ctx)
  const newest = newestSnapshotFile(ctx)
  const listed = listSegments(ctx)
  const meter = new ReadMeter(ctx)
  meter.plan([...(newest ? [newest.path] : []), ...listed.slice(segmentsBelowSnapshot(listed, newest?.index ?? 0)).map((seg) => seg.path)])
  const loaded = loadSnapshot(ctx, newest, meter)
  const snapshot = loaded?.snapshot ?? null
  const {scanned, below} = scanAll(ctx, listed, snapshot?.meta.index ?? 0, meter)
  const replay = new Replay()
  for (const seg of scanned) replay.segment(seg)
  const discardedLog = reconcile(ctx, replay, snapshot?.meta ?? null, scanned)
  const segments = survivingSegments(ctx, scanned)
  deleteBelow(ctx, below)
  const snapIndex = snapshot?.meta.index ?? 0
  const entries = replay.log.itemsAfter(snapIndex).map((item) => item.entry)
  return {
    state: {hardState: replay.hardState, snapshot, entries, ...(loaded ? {snapshotBytes: loaded.bytes} : {})},
    snapshotMeta: snapshot?.meta ?? null,
    log: toLocations(replay),
    segments,
    discardedLog,
    read: {segments: scanned.length, entryRecords: countEntryRecords(scanned)},
  }
}

/** Paths of the sub-directories of a storage directory. */
export function storagePaths(dir: string): {walDir: string; snapDir: string} {
  return {walDir: join(dir, 'wal'), snapDir: join(dir, 'snapshots')}
}
