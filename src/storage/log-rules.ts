/**
 * The semantics of a storage write, shared by MemoryStorage and FileStorage so the two agree:
 * validation (contract violations are RangeErrors thrown before anything is written), the
 * snapshot-install rule, and which entries of a batch are kept.
 */
import {isSnapshotSource} from '../replica/snapshot-data.js'
import type {Entry, HardState, Snapshot, SnapshotMeta} from '../raft/types.js'
import type {StorageWrite} from '../replica/ports.js'

/** What the rules need to know about the current stored state. */
export interface LogView {
  /** Metadata of the stored snapshot, or null. */
  snapshotMeta(): SnapshotMeta | null
  /** Last stored index: the last entry's, or the snapshot's when there are no entries after it. */
  lastIndex(): number
  /** Term at `index`: the entry's, the snapshot's at its own index, 0 at index 0, else undefined. */
  termAt(index: number): number | undefined
}

/** How a snapshot changes the stored log. */
export interface SnapshotPlan {
  readonly snapshot: Snapshot
  /**
   * True when the log holds `snapshot.meta.index` with the same term: entries after it are kept.
   * False: the whole log is discarded.
   */
  readonly keep: boolean
  /** False when the stored snapshot already has this index and term (it is not rewritten). */
  readonly rewrite: boolean
}

/** A validated, normalised {@link StorageWrite}. */
export interface WritePlan {
  readonly snapshot?: SnapshotPlan
  /** Entries to store (those at or below the snapshot index removed); may be empty. */
  readonly entries: readonly Entry[]
  readonly hardState?: HardState
}

/** Largest vote (node id) accepted, in UTF-8 bytes. */
export const MAX_NODE_ID_BYTES = 1024

const ENTRY_TYPES = new Set(['normal', 'config'])

function isCount(n: unknown, min: number): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= min
}

/** Throw RangeError unless `hs` is a well-formed hard state. */
export function validateHardState(hs: HardState): void {
  if (!isCount(hs.term, 0) || !isCount(hs.commit, 0)) throw new RangeError('hard state: term and commit must be integers >= 0')
  if (hs.vote !== null && (typeof hs.vote !== 'string' || Buffer.byteLength(hs.vote) > MAX_NODE_ID_BYTES)) {
    throw new RangeError(`hard state: vote must be null or a node id of at most ${MAX_NODE_ID_BYTES} bytes`)
  }
}

/** Throw RangeError unless `snapshot` is well-formed. */
export function validateSnapshot(snapshot: Snapshot): void {
  const {meta} = snapshot
  if (!isCount(meta.index, 0) || !isCount(meta.term, 0)) throw new RangeError('snapshot: index and term must be integers >= 0')
  if (!(snapshot.data instanceof Uint8Array) && !isSnapshotSource(snapshot.data)) throw new RangeError('snapshot: data must be a Uint8Array or a snapshot file handle')
  for (const id of [...meta.conf.voters, ...meta.conf.learners]) {
    if (typeof id !== 'string' || Buffer.byteLength(id) > MAX_NODE_ID_BYTES) throw new RangeError('snapshot: bad node id in conf')
  }
}

/** Throw RangeError unless `entries` are well-formed, with consecutive indexes and non-decreasing terms. */
export function validateEntries(entries: readonly Entry[]): void {
  entries.forEach((e, k) => {
    if (!isCount(e.index, 1) || !isCount(e.term, 1)) throw new RangeError('entry: index and term must be integers >= 1')
    if (!ENTRY_TYPES.has(e.type)) throw new RangeError(`entry ${e.index}: unknown type ${String(e.type)}`)
    if (!(e.data instanceof Uint8Array)) throw new RangeError(`entry ${e.index}: data must be a Uint8Array`)
    const prev = entries[k - 1]
    if (prev !== undefined && (e.index !== prev.index + 1 || e.term < prev.term)) {
      throw new RangeError(`entries not consecutive: ${prev.index}@${prev.term} then ${e.index}@${e.term}`)
    }
  })
}

/** Decide how `snapshot` applies to the log of `view`. Throws RangeError for a stale snapshot. */
export function planSnapshotInstall(view: LogView, snapshot: Snapshot): SnapshotPlan {
  validateSnapshot(snapshot)
  const {index, term} = snapshot.meta
  const current = view.snapshotMeta()
  if (current !== null && index < current.index) {
    throw new RangeError(`stale snapshot at ${index}: the stored snapshot is at ${current.index}`)
  }
  const same = current !== null && current.index === index
  if (same && current.term !== term) throw new RangeError(`snapshot at ${index} has term ${term}, the stored one ${current.term}`)
  return {snapshot, keep: view.termAt(index) === term, rewrite: !same}
}

/**
 * Validate and normalise one batch: the snapshot rule first, then drop entries the snapshot
 * covers and check the rest continue the log (first index ≤ last index + 1).
 */
export function planWrite(view: LogView, write: StorageWrite): WritePlan {
  validateEntries(write.entries)
  if (write.hardState !== undefined) validateHardState(write.hardState)
  let snapIndex = view.snapshotMeta()?.index ?? 0
  let last = view.lastIndex()
  let snapshot: SnapshotPlan | undefined
  if (write.snapshot !== undefined) {
    snapshot = planSnapshotInstall(view, write.snapshot)
    snapIndex = write.snapshot.meta.index
    if (!snapshot.keep) last = snapIndex
  }
  const first = write.entries[0]?.index ?? 0
  const entries = first > snapIndex ? write.entries : write.entries.slice(snapIndex + 1 - first)
  if (entries.length > 0 && entries[0].index > last + 1) {
    throw new RangeError(`entries start at ${entries[0].index} but the log ends at ${last} (gap)`)
  }
  return {snapshot, entries, hardState: write.hardState}
}

/** Validate the arguments of `saveSnapshot`; returns how the snapshot applies. */
export function planLocalSnapshot(view: LogView, snapshot: Snapshot, compactTo: number): SnapshotPlan {
  const plan = planSnapshotInstall(view, snapshot)
  if (!isCount(compactTo, 0) || compactTo > snapshot.meta.index) {
    throw new RangeError(`compactTo ${compactTo} must be an integer in [0, snapshot index ${snapshot.meta.index}]`)
  }
  return plan
}

/** The hard state of a store that never saved one. */
export const EMPTY_HARD_STATE: HardState = Object.freeze({term: 0, vote: null, commit: 0})
