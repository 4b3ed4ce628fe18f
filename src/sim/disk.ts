/**
 * The simulator's disk: the real in-memory storage (src/storage MemoryStorage, the same write
 * rules as the daemon's FileStorage) holding what is durable, plus the crash hooks a simulated
 * machine needs: batches handed to `saveAsync` stay unsynced until their sync completes and are
 * lost by a crash; a crash can also strike inside a save, keeping only a prefix of the batch's
 * entries and no hard state (what a torn write leaves once recovery truncates the tail).
 */
import type {Snapshot} from '../raft/types.js'
import type {RecoveredState, Storage, StorageWrite} from '../replica/ports.js'
import {MemoryStorage} from '../storage/memory.js'
import {Violation} from './invariants.js'

/** Thrown out of `save` when the simulated machine crashes mid-write. */
export class SimCrash extends Error {
  constructor() {
    super('simulated crash')
  }
}

/**
 * Schedules the completion of one background sync: the host calls `complete` later (on its own
 * clock); `complete` makes the batch durable, or does nothing if the disk crashed meanwhile.
 */
export type SyncScheduler = (complete: () => void) => void

/** Durable state of one simulated node, and the Storage port its replica sees. */
export class SimDisk implements Storage {
  /** What survives a crash. */
  private readonly durable = new MemoryStorage()
  /** When set, the next save persists only this many of its entries (and no hard state), then crashes. */
  private tearNextSaveAfter: number | null = null
  /** Bumped by every crash: a sync scheduled before it never completes. */
  private generation = 0
  /** Batches handed to saveAsync and not yet durable. */
  private unsynced = 0
  /**
   * Durable mark: the node is rebuilding after losing its disk (what the daemon keeps in
   * identity.json). Set on a new disk that replaces a lost one; cleared when the core says it
   * caught up (its entries are durable by then). Survives crashes.
   */
  rebuilding = false

  /**
   * @param scheduleSync how background syncs complete (async disks); absent: every save is
   * durable when it returns (`--disk sync`) and the port has no saveAsync.
   */
  constructor(scheduleSync?: SyncScheduler) {
    if (scheduleSync) this.saveAsync = (write, done) => this.startSync(scheduleSync, write, done)
  }

  /** {@inheritDoc Storage.saveAsync} Present only on async disks. */
  readonly saveAsync?: (write: StorageWrite, done: (err: Error | null) => void) => void

  load(): RecoveredState {
    return this.durable.load()
  }

  /**
   * Durably write a batch; if a torn write is armed, keep a prefix of its entries and throw
   * {@link SimCrash}. A batch the storage rejects (a RangeError: the driver broke the Storage
   * contract, e.g. entries whose terms go down) is a `storage-contract` Violation.
   */
  save(write: StorageWrite): void {
    const tear = this.tearNextSaveAfter
    this.tearNextSaveAfter = null
    if (tear === null) return checkContract(() => this.durable.save(write))
    checkContract(() => this.durable.save({snapshot: write.snapshot, entries: write.entries.slice(0, tear)}))
    throw new SimCrash()
  }

  saveSnapshot(snapshot: Snapshot, compactTo: number): void {
    checkContract(() => this.durable.saveSnapshot(snapshot, compactTo))
  }

  close(): void {
    this.durable.close()
  }

  /** The machine crashes: every unsynced batch is lost. Returns how many were. */
  crash(): number {
    this.generation++
    const lost = this.unsynced
    this.unsynced = 0
    return lost
  }

  /** Make the next save crash after persisting `entries` of its entries. */
  tearNextSave(entries: number): void {
    this.tearNextSaveAfter = entries
  }

  /** Cancel a pending torn write (faults stop in the liveness phase). */
  cancelTear(): void {
    this.tearNextSaveAfter = null
  }

  /** The batch becomes durable when the scheduler fires, unless a crash came first. */
  private startSync(scheduleSync: SyncScheduler, write: StorageWrite, done: (err: Error | null) => void): void {
    const generation = this.generation
    this.unsynced++
    scheduleSync(() => {
      if (generation !== this.generation) return
      this.unsynced--
      this.save(write)
      done(null)
    })
  }
}

/** Run a storage call; its RangeError (a contract violation by the driver) becomes a Violation. */
function checkContract(call: () => void): void {
  try {
    call()
  } catch (err) {
    if (err instanceof RangeError) throw new Violation('storage-contract', `the driver handed storage an invalid write: ${err.message}`)
    throw err
  }
}
