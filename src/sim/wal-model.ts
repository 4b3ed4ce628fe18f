/**
 * The simulator's model of the WAL on disk: the durable batches of a node, as the records
 * FileStorage writes (src/storage/record.ts), in segments that roll by FileStorage's rule
 * (`rollsOver`) and are deleted, oldest first, once wholly below a snapshot
 * (`segmentsBelowSnapshot`), a crash able to strike in the middle of a deletion. A restart
 * replays it with recovery's own replay and reconcile rules (src/storage/recovery.ts), reading
 * only the segments the snapshot does not cover, as FileStorage does. No bytes: record sizes only.
 */
import type {Entry, HardState, Snapshot} from '../raft/types.js'
import type {RecoveredState} from '../replica/ports.js'
import type {SnapshotPlan} from '../storage/log-rules.js'
import {entryRecordBytes, RecordType, SEGMENT_HEADER_BYTES, SNAPSHOT_RECORD_BYTES, stateRecordBytes, type WalRecord} from '../storage/record.js'
import {Replay, snapshotFit} from '../storage/recovery.js'
import {rollsOver, segmentsBelowSnapshot, type PlacedRecord, type ScannedSegment} from '../storage/wal.js'

/** Segment size of the simulated WAL, in record bytes: small, so that runs roll and delete segments often. */
export const SIM_SEGMENT_BYTES = 512

interface ModelSegment {
  readonly name: number
  bytes: number
  readonly records: PlacedRecord[][]
}

/** What a deletion did: how many segments went, and whether a crash cut it short. */
export interface Deletion {
  readonly deleted: number
  readonly crashed: boolean
}

/** The durable WAL of one simulated node, and its newest snapshot file. */
export class WalModel {
  readonly #segments: ModelSegment[] = []
  #snapshot: Snapshot | null = null
  /** When set, the next deletion removes this many segments, then the machine crashes. */
  #crashAfter: number | null = null
  /** Segments deleted since the model was made (figures for tests and logs). */
  deletedSegments = 0

  constructor(private readonly segmentBytes = SIM_SEGMENT_BYTES) {}

  /** Segment names, in order (the last is active). */
  get segmentNames(): number[] {
    return this.#segments.map((s) => s.name)
  }

  /** Make the next deletion of old segments crash after deleting `count` of them. */
  crashDuringNextDeletion(count: number): void {
    this.#crashAfter = count
  }

  /** Cancel an armed crash. */
  cancelCrash(): void {
    this.#crashAfter = null
  }

  /**
   * A durable batch: an optional snapshot record (when `snapshot` is installed with `keep` false,
   * or from the leader), the entries, and the STATE record of `hardState` (the store's hard state
   * after the batch), as FileStorage writes one. `next` names a new segment when the batch has no entry.
   */
  append(snapshot: SnapshotPlan | undefined, entries: readonly Entry[], hardState: HardState, next: number): void {
    const records: WalRecord[] = []
    if (snapshot) {
      records.push({type: RecordType.SNAPSHOT, mark: {index: snapshot.snapshot.meta.index, term: snapshot.snapshot.meta.term, keep: snapshot.keep}})
      if (snapshot.rewrite) this.#snapshot = snapshot.snapshot
    }
    for (const entry of entries) records.push({type: RecordType.ENTRY, entry})
    records.push({type: RecordType.STATE, hardState})
    this.#place(records, entries[0]?.index, next)
  }

  /** A local snapshot: its file; a record only when it discards the log (`keep` false), as FileStorage. */
  snapshotTaken(plan: SnapshotPlan, hardState: HardState): void {
    if (plan.rewrite) this.#snapshot = plan.snapshot
    if (!plan.keep) this.append({...plan, rewrite: false}, [], hardState, plan.snapshot.meta.index + 1)
  }

  /**
   * Delete the segments that hold nothing recovery needs, oldest first: all but the active one
   * after a snapshot that discarded the log, else those wholly below the snapshot. A crash armed
   * by {@link crashDuringNextDeletion} stops it after that many.
   */
  deleteOld(discarded: boolean): Deletion {
    const deletable = discarded ? this.#segments.length - 1 : segmentsBelowSnapshot(this.#segments, this.#snapshot?.meta.index ?? 0)
    if (deletable <= 0) return {deleted: 0, crashed: false}
    const crashAfter = this.#crashAfter
    this.#crashAfter = null
    const count = crashAfter === null ? deletable : Math.min(crashAfter, deletable)
    this.#segments.splice(0, count)
    this.deletedSegments += count
    return {deleted: count, crashed: crashAfter !== null && crashAfter < deletable}
  }

  /**
   * What a restart recovers: the newest snapshot, and the segments it does not wholly cover
   * replayed by recovery's rules (the others are deleted, as start-up does). Throws the reason
   * (a string) when recovery would refuse the files.
   */
  recover(): RecoveredState {
    const snapIndex = this.#snapshot?.meta.index ?? 0
    const last = this.#segments.at(-1)
    const skip = last && last.records.length > 0 ? segmentsBelowSnapshot(this.#segments, snapIndex) : 0
    this.#segments.splice(0, skip)
    const replay = new Replay((file, offset, reason) => {
      throw new Error(`recovery refuses the simulated WAL: ${file} at ${offset}: ${reason}`)
    })
    for (const seg of this.#segments) replay.segment(scanned(seg))
    const fit = snapshotFit(replay.log, this.#snapshot?.meta ?? null)
    if (fit !== 'fits') throw new Error(`recovery finds a log that ${fit === 'missing' ? 'misses entries after' : 'does not continue'} the snapshot at ${snapIndex}`)
    return {
      hardState: replay.hardState,
      snapshot: this.#snapshot,
      entries: replay.log.itemsAfter(snapIndex).map((item) => item.entry),
    }
  }

  #place(records: WalRecord[], firstEntry: number | undefined, next: number): void {
    const bytes = records.reduce((n, r) => n + recordBytes(r), 0)
    let active = this.#segments.at(-1)
    if (active === undefined || rollsOver(active, firstEntry, this.segmentBytes)) {
      active = {name: firstEntry ?? next, bytes: SEGMENT_HEADER_BYTES, records: []}
      this.#segments.push(active)
    }
    let offset = active.bytes
    active.records.push(records.map((record) => {
      const placed = {record, offset}
      offset += recordBytes(record)
      return placed
    }))
    active.bytes += bytes
  }
}

function recordBytes(r: WalRecord): number {
  if (r.type === RecordType.ENTRY) return entryRecordBytes(r.entry)
  if (r.type === RecordType.STATE) return stateRecordBytes(r.hardState)
  return SNAPSHOT_RECORD_BYTES
}

/** A model segment as recovery's replay takes it (every batch complete: torn writes are modelled by the disk). */
function scanned(seg: ModelSegment): ScannedSegment {
  return {name: seg.name, path: `sim-wal/${seg.name}`, batches: seg.records.map((records) => ({records})), goodEnd: seg.bytes, fileBytes: seg.bytes, dataBytes: seg.bytes}
}
