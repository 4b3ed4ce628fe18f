/**
 * The Raft log as the core holds it in memory: a snapshot boundary, the entries after it, and
 * the indexes that track how far they have been persisted, committed and applied.
 *
 * Invariants: offset <= snapshotIndex <= applied <= committed <= lastIndex();
 * entries[i].index === offset + 1 + i; stableIndex <= lastIndex(). Entries between `offset`
 * and the snapshot are kept so slightly lagging followers catch up without a snapshot.
 */
import type {Entry, Snapshot, SnapshotMeta} from './types.js'

/** Test-only seams that plant classic bugs so tests can prove the simulator sees them. */
export interface LogBugs {
  /** Append conflicting entries in place without discarding the conflicting suffix. */
  noTruncate?: boolean
}

/** In-memory Raft log. Owned by one RaftNode. */
export class RaftLog {
  /** Latest snapshot (the leader sends it to followers that are too far behind). */
  snapshot: Snapshot
  /** Index just before the first entry held (the log start). */
  private offset: number
  /** Term of the entry at `offset`. */
  private offsetTerm: number
  /** Entries after `offset`. */
  private entries: Entry[]
  /** Highest index known committed. Never decreases. */
  committed: number
  /** Highest index handed out for applying. */
  applied: number
  /** Highest index known durable (persisted by the driver). */
  stableIndex: number
  /** A snapshot received from the leader that the driver has not yet persisted and restored. */
  pendingSnapshot: Snapshot | null = null
  /**
   * The lowest index below which the log is unchanged since the last Ready was handed out
   * (minus one): a truncation or an installed snapshot while that Ready is being persisted
   * lowers it, so `advance()` never marks replaced entries stable. Reset by each Ready.
   */
  unchangedThrough = Number.MAX_SAFE_INTEGER

  constructor(snapshot: Snapshot, entries: readonly Entry[], committed: number, private readonly bugs: LogBugs = {}) {
    this.snapshot = snapshot
    this.offset = snapshot.meta.index
    this.offsetTerm = snapshot.meta.term
    this.entries = entries.slice()
    this.stableIndex = this.lastIndex()
    this.committed = Math.max(snapshot.meta.index, Math.min(committed, this.lastIndex()))
    this.applied = snapshot.meta.index
  }

  get snapshotIndex(): number {
    return this.snapshot.meta.index
  }

  get snapshotTerm(): number {
    return this.snapshot.meta.term
  }

  /** First index held in memory (entries before it are only in the snapshot). */
  firstIndex(): number {
    return this.offset + 1
  }

  lastIndex(): number {
    return this.offset + this.entries.length
  }

  lastTerm(): number {
    return this.term(this.lastIndex())!
  }

  /** Term of the entry at `index`; 0 for index 0; undefined when compacted away or beyond the end. */
  term(index: number): number | undefined {
    if (index === this.offset) return this.offsetTerm
    if (index === this.snapshotIndex) return this.snapshotTerm
    if (index < this.offset || index > this.lastIndex()) return index === 0 ? 0 : undefined
    return this.entries[index - this.offset - 1]!.term
  }

  /** The entry at `index`, if held. */
  entry(index: number): Entry | undefined {
    if (index <= this.offset || index > this.lastIndex()) return undefined
    return this.entries[index - this.offset - 1]
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term
  }

  /** §5.4.1: is a log ending at (lastIndex, lastTerm) at least as up-to-date as ours? */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const myTerm = this.lastTerm()
    return lastTerm > myTerm || (lastTerm === myTerm && lastIndex >= this.lastIndex())
  }

  /**
   * The largest index <= `index` whose term is <= `term` (fast backtracking by conflicting term).
   * Returns the log start if nothing later qualifies.
   */
  findConflictByTerm(index: number, term: number): number {
    let i = Math.min(index, this.lastIndex())
    while (i > this.offset) {
      const t = this.term(i)!
      if (t <= term) return i
      i--
    }
    return this.offset
  }

  /** Leader-side append of new entries at the end. */
  appendNew(entries: readonly Entry[]): void {
    for (const e of entries) this.entries.push(e)
  }

  /**
   * Follower-side append after a successful consistency check at `prevIndex` (§5.3): skip
   * entries we already hold with the same term, discard our suffix from the first conflict,
   * append the rest. Returns the index from which the log changed (0 if unchanged) and whether
   * a suffix was discarded.
   */
  appendFollower(prevIndex: number, entries: readonly Entry[]): {changedFrom: number; truncated: boolean} {
    let i = 0
    // Entries at or below the log start are already committed and compacted: skip them.
    while (i < entries.length && entries[i]!.index <= this.offset) i++
    while (i < entries.length && this.matchTerm(entries[i]!.index, entries[i]!.term)) i++
    if (i === entries.length) return {changedFrom: 0, truncated: false}
    const from = entries[i]!.index
    if (from <= this.committed) {
      throw new Error(`raft: conflict at committed index ${from} (committed ${this.committed})`)
    }
    const truncated = from <= this.lastIndex()
    if (this.bugs.noTruncate && truncated) {
      // Planted bug: overwrite in place, keeping whatever follows.
      for (; i < entries.length; i++) {
        const e = entries[i]!
        const pos = e.index - this.offset - 1
        if (pos < this.entries.length) this.entries[pos] = e
        else this.entries.push(e)
      }
      this.stableIndex = Math.min(this.stableIndex, from - 1)
      this.unchangedThrough = Math.min(this.unchangedThrough, from - 1)
      return {changedFrom: from, truncated: false}
    }
    this.entries.length = from - this.offset - 1
    for (; i < entries.length; i++) this.entries.push(entries[i]!)
    this.stableIndex = Math.min(this.stableIndex, from - 1)
    this.unchangedThrough = Math.min(this.unchangedThrough, from - 1)
    return {changedFrom: from, truncated}
  }

  /** Entries in [lo, hi] (inclusive), at most `maxBytes` of data but always at least one. */
  slice(lo: number, hi: number, maxBytes: number): Entry[] {
    const out: Entry[] = []
    let bytes = 0
    for (let i = lo; i <= hi; i++) {
      const e = this.entry(i)
      if (e === undefined) break
      bytes += e.data.length + 24
      if (out.length > 0 && bytes > maxBytes) break
      out.push(e)
    }
    return out
  }

  /** Entries not yet persisted. */
  unstableEntries(): Entry[] {
    return this.entries.slice(this.stableIndex - this.offset)
  }

  /** Committed entries not yet handed out for applying, at most `maxBytes` (at least one). */
  nextCommittedEntries(maxBytes: number): Entry[] {
    if (this.pendingSnapshot !== null) return []
    if (this.applied >= this.committed) return []
    return this.slice(this.applied + 1, this.committed, maxBytes)
  }

  /** Raise the commit index (never lowers it). */
  commitTo(index: number): boolean {
    if (index <= this.committed) return false
    if (index > this.lastIndex()) {
      throw new Error(`raft: commit ${index} beyond last index ${this.lastIndex()}`)
    }
    this.committed = index
    return true
  }

  /** Replace the log with a snapshot received from the leader (§7). */
  restore(snapshot: Snapshot): void {
    this.snapshot = snapshot
    this.offset = snapshot.meta.index
    this.offsetTerm = snapshot.meta.term
    this.entries = []
    this.committed = snapshot.meta.index
    this.applied = snapshot.meta.index
    this.stableIndex = snapshot.meta.index
    this.unchangedThrough = Math.min(this.unchangedThrough, snapshot.meta.index)
    this.pendingSnapshot = snapshot
  }

  /**
   * Adopt a snapshot taken locally at `snapshot.meta.index` (<= applied) and drop entries up to
   * `compactTo` (<= snapshot index) from memory. Entries between `compactTo` and the snapshot
   * stay, so followers lagging by less than that catch up by appends.
   */
  compact(snapshot: Snapshot, compactTo: number): void {
    const index = snapshot.meta.index
    if (index > this.applied) throw new Error(`raft: snapshot ${index} beyond applied ${this.applied}`)
    if (index > this.snapshotIndex) this.snapshot = snapshot
    const to = Math.min(compactTo, index)
    if (to <= this.offset) return
    const term = this.term(to)!
    this.entries = this.entries.slice(to - this.offset)
    this.offset = to
    this.offsetTerm = term
  }
}
