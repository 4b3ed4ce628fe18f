/**
 * The simulator's disk: the real in-memory storage (src/storage MemoryStorage, the same write
 * rules as the daemon's FileStorage) holding what is durable, plus the crash hooks a simulated
 * machine needs: batches handed to `saveAsync` stay unsynced until their sync completes and are
 * lost by a crash; a crash can also strike inside a save, keeping only a prefix of the batch's
 * entries and no hard state (what a torn write leaves once recovery truncates the tail). Every
 * durable batch also goes to a model of the WAL's segments (./wal-model.ts): they rotate, the
 * ones wholly below a snapshot are deleted (a crash can strike in the middle of that), and a
 * restart recovers from them by recovery's rules; what it recovers must be what is durable.
 */
import type {Snapshot} from '../raft/types.js'
import type {RecoveredState, Storage, StorageWrite} from '../replica/ports.js'
import {planLocalSnapshot, planWrite} from '../storage/log-rules.js'
import {MemoryStorage} from '../storage/memory.js'
import {Violation} from './invariants.js'
import {WalModel} from './wal-model.js'

/** Thrown out of `save` when the simulated machine crashes mid-write. */
export class SimCrash extends Error {
  /** @param during what the machine was doing: the trace names it. */
  constructor(readonly during = 'torn write') {
    super(`simulated crash (${during})`)
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
  /** The durable batches as WAL segments on disk. */
  readonly wal = new WalModel()

  /**
   * @param scheduleSync how background syncs complete (async disks); absent: every save is
   * durable when it returns (`--disk sync`) and the port has no saveAsync.
   * @param inLoop which batches handed to saveAsync are saved at once instead, `done` called
   * before saveAsync returns (the daemon's port for a leader's one-entry batch,
   * src/storage/save-policy.ts); absent: none.
   */
  constructor(scheduleSync?: SyncScheduler, inLoop?: (write: StorageWrite) => boolean) {
    if (scheduleSync) {
      this.saveAsync = (write, done) => {
        if (inLoop?.(write) !== true) return this.startSync(scheduleSync, write, done)
        this.save(write)
        done(null)
      }
    }
  }

  /** {@inheritDoc Storage.saveAsync} Present only on async disks. */
  readonly saveAsync?: (write: StorageWrite, done: (err: Error | null) => void) => void

  /**
   * What a restart recovers from the WAL's segments and the newest snapshot (./wal-model.ts). It
   * must be what is durable: a difference (segments deleted that held something, say) is a
   * `storage-recovery` Violation, as is a WAL that recovery would refuse.
   */
  load(): RecoveredState {
    let recovered: RecoveredState
    try {
      recovered = this.wal.recover()
    } catch (err) {
      throw new Violation('storage-recovery', (err as Error).message)
    }
    const durable = this.durable.load()
    const diff = difference(recovered, durable)
    if (diff !== null) throw new Violation('storage-recovery', `a restart would recover ${diff} (segments ${this.wal.segmentNames.join(',') || 'none'})`)
    return recovered
  }

  /**
   * Durably write a batch; if a torn write is armed, keep a prefix of its entries and throw
   * {@link SimCrash}. A batch the storage rejects (a RangeError: the driver broke the Storage
   * contract, e.g. entries whose terms go down) is a `storage-contract` Violation. A batch with a
   * snapshot then deletes the old segments (a crash armed for that throws SimCrash).
   */
  save(write: StorageWrite): void {
    const tear = this.tearNextSaveAfter
    this.tearNextSaveAfter = null
    const durable = tear === null ? write : {snapshot: write.snapshot, entries: write.entries.slice(0, tear)}
    const plan = checkContract(() => planWrite(this.durable, durable))
    checkContract(() => this.durable.save(durable))
    this.wal.append(plan.snapshot, plan.entries, this.durable.load().hardState, this.durable.lastIndex() + 1)
    if (tear !== null) throw new SimCrash()
    if (plan.snapshot) this.deleteOld(!plan.snapshot.keep)
  }

  saveSnapshot(snapshot: Snapshot, compactTo: number): void {
    const plan = checkContract(() => planLocalSnapshot(this.durable, snapshot, compactTo))
    checkContract(() => this.durable.saveSnapshot(snapshot, compactTo))
    this.wal.snapshotTaken(plan, this.durable.load().hardState)
    this.deleteOld(!plan.keep)
  }

  /** Make the next deletion of old WAL segments crash after deleting `count` of them. */
  crashDuringNextDeletion(count: number): void {
    this.wal.crashDuringNextDeletion(count)
  }

  private deleteOld(discarded: boolean): void {
    if (this.wal.deleteOld(discarded).crashed) throw new SimCrash('while deleting old WAL segments')
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

  /** Cancel a pending torn write or deletion crash (faults stop in the liveness phase). */
  cancelTear(): void {
    this.tearNextSaveAfter = null
    this.wal.cancelCrash()
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
function checkContract<T>(call: () => T): T {
  try {
    return call()
  } catch (err) {
    if (err instanceof RangeError) throw new Violation('storage-contract', `the driver handed storage an invalid write: ${err.message}`)
    throw err
  }
}

/** How `got` differs from `want` (hard state, snapshot, entries by index, term, type and data), or null. */
function difference(got: RecoveredState, want: RecoveredState): string | null {
  const hs = (s: RecoveredState): string => `term ${s.hardState.term} vote ${s.hardState.vote} commit ${s.hardState.commit}`
  if (hs(got) !== hs(want)) return `hard state ${hs(got)}, durable ${hs(want)}`
  const snap = (s: RecoveredState): string => (s.snapshot ? `${s.snapshot.meta.index}@${s.snapshot.meta.term}` : 'none')
  if (snap(got) !== snap(want)) return `snapshot ${snap(got)}, durable ${snap(want)}`
  const entry = (e: RecoveredState['entries'][number]): string => `${e.index}@${e.term}:${e.type}:${Buffer.from(e.data).toString('hex')}`
  const a = got.entries.map(entry).join(' ')
  const b = want.entries.map(entry).join(' ')
  if (a !== b) return `entries ${got.entries[0]?.index ?? '-'}..${got.entries.at(-1)?.index ?? '-'}, durable ${want.entries[0]?.index ?? '-'}..${want.entries.at(-1)?.index ?? '-'}`
  return null
}
