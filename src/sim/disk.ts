/**
 * The simulator's disk: a Storage whose durable contents survive a simulated crash. A crash can
 * strike in the middle of a save, keeping only a prefix of the batch (what a real torn write
 * leaves after recovery truncates the tail): entries before hard state, in that order.
 */
import type {Entry, HardState, Snapshot} from '../raft/types.js'
import type {RecoveredState, Storage, StorageWrite} from '../replica/ports.js'

/** Thrown out of `save` when the simulated machine crashes mid-write. */
export class SimCrash extends Error {
  constructor() {
    super('simulated crash')
  }
}

/** Durable state of one simulated node. */
export class SimDisk implements Storage {
  private hardState: HardState = {term: 0, vote: null, commit: 0}
  private snapshot: Snapshot | null = null
  private entries: Entry[] = []
  /** When set, the next save persists only this many of its entries (and no hard state), then crashes. */
  private tearNextSaveAfter: number | null = null

  load(): RecoveredState {
    return {hardState: this.hardState, snapshot: this.snapshot, entries: this.entries.slice()}
  }

  /** Make the next save crash after persisting `entries` of its entries. */
  tearNextSave(entries: number): void {
    this.tearNextSaveAfter = entries
  }

  /** Cancel a pending torn write (faults stop in the liveness phase). */
  cancelTear(): void {
    this.tearNextSaveAfter = null
  }

  save(write: StorageWrite): void {
    if (write.snapshot) this.installSnapshot(write.snapshot)
    const tear = this.tearNextSaveAfter
    this.tearNextSaveAfter = null
    const entries = tear === null ? write.entries : write.entries.slice(0, tear)
    if (entries.length > 0) this.appendEntries(entries)
    if (tear !== null) throw new SimCrash()
    if (write.hardState) this.hardState = write.hardState
  }

  saveSnapshot(snapshot: Snapshot, compactTo: number): void {
    if (!this.snapshot || snapshot.meta.index > this.snapshot.meta.index) this.snapshot = snapshot
    // Durable entries are kept after the snapshot index only (the recovered log starts there).
    void compactTo
    this.entries = this.entries.filter((e) => e.index > this.snapshot!.meta.index)
  }

  close(): void {}

  private installSnapshot(snapshot: Snapshot): void {
    this.snapshot = snapshot
    this.entries = []
  }

  private appendEntries(entries: readonly Entry[]): void {
    const first = entries[0]!.index
    const base = this.snapshot?.meta.index ?? 0
    const keep = Math.max(0, first - base - 1)
    if (keep < this.entries.length) this.entries.length = keep
    if (this.entries.length + base + 1 !== first) {
      throw new Error(`sim disk: gap: have up to ${base + this.entries.length}, got ${first}`)
    }
    for (const e of entries) this.entries.push(e)
  }
}
