/**
 * A read-only reader of a FileStorage directory (what `raftctl wal dump` shows): the hard state,
 * every snapshot file, every segment, the live log entries with their file and offset, and every
 * problem, found by the same scanning and replay rules as recovery (wal.ts, recovery.ts) but
 * listed instead of thrown. It opens nothing for writing: its file-system calls are
 * {@link readOnlyFs}, whose writing calls throw.
 */
import {join} from 'node:path'
import type {Entry, HardState, SnapshotMeta} from '../raft/types.js'
import {errnoCode, StorageError} from './errors.js'
import {DEFAULT_MAX_RECORD_BYTES} from './file-storage.js'
import {nodeFs, type FsOps} from './fs-ops.js'
import {Replay, snapshotFit, storagePaths, type ReplayItem} from './recovery.js'
import {decodeSnapshotFile, listSnapshotFiles} from './snapshot-file.js'
import {inspectSegment, listSegmentFiles, type InspectedSegment} from './wal.js'

/**
 * Kind of a problem:
 * - `corrupt`: recovery would refuse the directory (or, for an older snapshot file, could not
 *   use it): a checksum failure, a malformed record, a gap, missing entries.
 * - `torn`: what a crash leaves and recovery repairs at start-up: a torn WAL tail (truncated),
 *   an unfinished snapshot file (deleted), a log that does not continue the snapshot (discarded).
 * - `unknown`: a file that is not storage's (recovery ignores it).
 */
export type DumpProblemKind = 'corrupt' | 'torn' | 'unknown'

/** One problem, with the file and the byte offset where it starts (null for a whole file). */
export interface DumpProblem {
  readonly kind: DumpProblemKind
  readonly file: string
  readonly offset: number | null
  readonly message: string
}

/** A valid snapshot file. */
export interface DumpSnapshot {
  readonly file: string
  readonly meta: SnapshotMeta
  /** Bytes of the file. */
  readonly bytes: number
  /** Bytes of the state machine's data in it. */
  readonly dataBytes: number
  /** True for the newest file: the one recovery loads. */
  readonly newest: boolean
}

/** A segment file and what it holds. */
export interface DumpSegment {
  readonly file: string
  /** The index in its name: of the first entry written to it. */
  readonly name: number
  /** Bytes of the file, a preallocated zero tail included. */
  readonly bytes: number
  /** End of its data (its preallocated zero tail left out). */
  readonly dataBytes: number
  /** Complete batches read. */
  readonly batches: number
}

/** A live log entry (one recovery would load, or one below the snapshot still on disk) and where its record is. */
export interface DumpEntry {
  readonly entry: Entry
  readonly file: string
  readonly offset: number
}

/** Everything {@link dumpStorage} read. */
export interface StorageDump {
  /** The storage directory (holding `wal/` and `snapshots/`). */
  readonly dir: string
  /** The hard state of the last complete batch ({term: 0, vote: null, commit: 0} when none). */
  readonly hardState: HardState
  /** Valid snapshot files, oldest first. */
  readonly snapshots: readonly DumpSnapshot[]
  readonly segments: readonly DumpSegment[]
  /** The live log in index order; around a gap (corruption), the entries before it, then those after. */
  readonly entries: readonly DumpEntry[]
  /** Every problem, in the order found: snapshot files, then each segment in log order (its scan, then its replay), then how the log fits the snapshot. */
  readonly problems: readonly DumpProblem[]
}

/** Options of {@link dumpStorage}. */
export interface DumpOptions {
  /** Largest record accepted. Default {@link DEFAULT_MAX_RECORD_BYTES} (what recovery reads). */
  readonly maxRecordBytes?: number
  /** Read calls (test seam). Default: node:fs's `readdirSync` and `readFileSync`. */
  readonly fs?: Pick<FsOps, 'readdirSync' | 'readFileSync'>
}

function refuseWrite(call: string): never {
  throw new Error(`storage dump is read-only: ${call} refused`)
}

/** {@link FsOps} that only read: every call that could write, create or delete throws. */
export function readOnlyFs(read: Pick<FsOps, 'readdirSync' | 'readFileSync'> = nodeFs): FsOps {
  return {
    readdirSync: (path) => read.readdirSync(path),
    readFileSync: (path) => read.readFileSync(path),
    openSync: (path, flags) => refuseWrite(`open ${path} with flags ${flags}`),
    closeSync: () => refuseWrite('close'),
    writeSync: () => refuseWrite('write'),
    fdatasyncSync: () => refuseWrite('fdatasync'),
    fdatasync: () => refuseWrite('fdatasync'),
    fsyncSync: () => refuseWrite('fsync'),
    ftruncateSync: () => refuseWrite('ftruncate'),
    renameSync: () => refuseWrite('rename'),
    unlinkSync: () => refuseWrite('unlink'),
    mkdirSync: () => refuseWrite('mkdir'),
  }
}

/** Files of `dir`, or none when it does not exist. */
function listOrNone<T>(list: () => T, none: T): T {
  try {
    return list()
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return none
    throw err
  }
}

class Reader {
  readonly problems: DumpProblem[] = []
  /** The newest snapshot file is unreadable or corrupt: recovery would refuse, and the log cannot be judged against it. */
  newestSnapshotBad = false
  /** Entries before a gap (corruption), in index order: the replay restarts after it. */
  readonly before: ReplayItem[] = []
  readonly replay = new Replay((file, offset, reason) => this.problem('corrupt', file, offset, reason), (items) => this.before.push(...items))
  readonly #paths = new Map<number, string>()
  readonly ops: FsOps
  readonly maxRecordBytes: number

  constructor(options: DumpOptions) {
    this.ops = readOnlyFs(options.fs)
    this.maxRecordBytes = Math.max(options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES, DEFAULT_MAX_RECORD_BYTES)
  }

  problem(kind: DumpProblemKind, file: string, offset: number | null, message: string): void {
    this.problems.push({kind, file, offset, message})
  }

  /** The file's bytes, or null (reported) when it cannot be read. */
  read(path: string): Buffer | null {
    try {
      return this.ops.readFileSync(path)
    } catch (err) {
      this.problem('corrupt', path, null, `cannot read the file: ${err instanceof Error ? err.message : String(err)}`)
      return null
    }
  }

  snapshots(snapDir: string): DumpSnapshot[] {
    const {snapshots, temps, strangers} = listOrNone(() => listSnapshotFiles(this.ops, snapDir), {snapshots: [], temps: [], strangers: []})
    for (const temp of temps) this.problem('torn', temp, 0, 'an unfinished snapshot file (a crash during a snapshot write); recovery deletes it')
    for (const name of strangers) this.problem('unknown', join(snapDir, name), null, 'not a snapshot file; recovery ignores it')
    const found: DumpSnapshot[] = []
    snapshots.forEach((ref, k) => {
      const buf = this.read(ref.path)
      if (buf === null) {
        if (k === snapshots.length - 1) this.newestSnapshotBad = true
        return
      }
      try {
        const snap = decodeSnapshotFile(buf, ref.path, ref.index)
        found.push({file: ref.path, meta: snap.meta, bytes: buf.length, dataBytes: snap.data.byteLength, newest: k === snapshots.length - 1})
      } catch (err) {
        if (!(err instanceof StorageError)) throw err
        const newest = k === snapshots.length - 1
        if (newest) this.newestSnapshotBad = true
        this.problem('corrupt', ref.path, err.offset ?? null, err.message + (newest ? '' : ' (an older snapshot: recovery does not read it)'))
      }
    })
    return found
  }

  /**
   * Scan and replay each segment in log order, keeping only the replayed log and a summary of
   * each segment (a segment's records are dropped once replayed, so the peak is the live log
   * plus one segment; recovery holds every segment's records until it replays them).
   */
  segments(walDir: string): DumpSegment[] {
    const {segments, strangers} = listOrNone(() => listSegmentFiles(this.ops, walDir), {segments: [], strangers: []})
    for (const name of strangers) this.problem('unknown', join(walDir, name), null, 'not a WAL segment; recovery ignores it')
    const summaries: DumpSegment[] = []
    segments.forEach((ref, k) => {
      const buf = this.read(ref.path)
      if (buf === null) return
      const isLast = k === segments.length - 1
      const seg = inspectSegment(buf, ref, isLast, this.maxRecordBytes)
      for (const d of seg.damage) this.problem('corrupt', ref.path, d.offset, d.reason)
      if (isLast) this.tornTail(seg)
      this.#paths.set(seg.name, seg.path)
      this.replay.segment(seg)
      summaries.push({file: seg.path, name: seg.name, bytes: seg.fileBytes, dataBytes: seg.dataBytes, batches: seg.batches.length})
    })
    return summaries
  }

  /** The last segment's torn tail, as recovery's repairTail sees it (a last segment without a complete batch is deleted). */
  tornTail(seg: InspectedSegment): void {
    if (seg.torn === undefined && seg.batches.length > 0) return
    const torn = seg.torn ?? {offset: seg.goodEnd, reason: 'no complete batch'}
    const repair = seg.batches.length === 0 ? 'recovery deletes the segment' : `recovery cuts the file at this offset, dropping ${Math.max(0, seg.dataBytes - seg.goodEnd)} bytes`
    this.problem('torn', seg.path, torn.offset, `torn tail: ${torn.reason} (what a crash leaves; ${repair})`)
  }

  pathOf(name: number): string {
    return this.#paths.get(name) ?? '(unknown segment)'
  }

  /** Report how the log fits the newest snapshot, as recovery would judge it. */
  fit(newest: DumpSnapshot | undefined): void {
    const log = this.replay.log
    const fit = snapshotFit(log, newest?.meta ?? null)
    if (fit === 'fits') return
    const first = log.at(log.firstIndex)!
    const snapIndex = newest?.meta.index ?? 0
    if (fit === 'missing') this.problem('corrupt', this.pathOf(first.seg), first.offset, `log starts at entry ${log.firstIndex} but the snapshot ends at ${snapIndex}: entries are missing`)
    else this.problem('torn', this.pathOf(first.seg), first.offset, `entries ${log.firstIndex}..${log.lastIndex} do not continue the snapshot at index ${snapIndex} (an interrupted snapshot install); recovery discards them`)
  }
}

/**
 * Read the FileStorage directory `dir` (holding `wal/` and `snapshots/`) without changing
 * anything, and report what is there and every problem by recovery's rules (docs/storage.md):
 * a problem recovery would refuse is `corrupt`, one it would repair is `torn`. Missing
 * sub-directories read as empty. Throws only for an unreadable directory listing.
 */
export function dumpStorage(dir: string, options: DumpOptions = {}): StorageDump {
  const reader = new Reader(options)
  const {walDir, snapDir} = storagePaths(dir)
  const snapshots = reader.snapshots(snapDir)
  const segments = reader.segments(walDir)
  const {replay, before} = reader
  // After a gap (already reported) the replayed log starts past it: judging it against the snapshot would only repeat that.
  if (!reader.newestSnapshotBad && before.length === 0) reader.fit(snapshots.find((s) => s.newest))
  const live = [...before, ...replay.log.itemsAfter(replay.log.firstIndex - 1)]
  return {
    dir,
    hardState: replay.hardState,
    snapshots,
    segments,
    entries: live.map((item) => ({entry: item.entry, file: reader.pathOf(item.seg), offset: item.offset})),
    problems: reader.problems,
  }
}
