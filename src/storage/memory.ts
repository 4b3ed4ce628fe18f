/**
 * MemoryStorage: the Storage port held in memory, for tests and the simulator. Every `save`
 * is atomic and "durable" the moment it returns; `clone()` captures that durable state (tests
 * use it as an oracle) and `failNextSave` injects failures. The simulator's disk
 * (src/sim/disk.ts) keeps one as what survives a simulated crash and holds batches that are
 * still syncing outside it, so a crash loses them.
 */
import type {Entry, HardState, Snapshot, SnapshotData, SnapshotMeta} from '../raft/types.js'
import type {RecoveredState, Storage, StorageWrite} from '../replica/ports.js'
import {snapshotBytes} from '../replica/snapshot-data.js'
import {StorageError, type StorageErrorCode} from './errors.js'
import {IndexedLog} from './indexed-log.js'
import {EMPTY_HARD_STATE, planLocalSnapshot, planWrite, type LogView, type SnapshotPlan} from './log-rules.js'
import type {StorageStats} from './types.js'

/** Initial contents of a {@link MemoryStorage}. */
export interface MemoryStorageInit {
  readonly hardState?: HardState
  readonly snapshot?: Snapshot | null
  /** Consecutive entries following the snapshot (or starting at 1 without one). */
  readonly entries?: readonly Entry[]
}

function copyEntry(e: Entry): Entry {
  return {term: e.term, index: e.index, type: e.type, data: e.data.slice()}
}

function copySnapshot(s: Snapshot): Snapshot {
  const {index, term, conf} = s.meta
  return {meta: {index, term, conf: {voters: [...conf.voters], learners: [...conf.learners]}}, data: snapshotBytes(s.data).slice()}
}

/** The pieces copied into one array (the store keeps its own copy, as of every input). */
function concat(parts: readonly Uint8Array[]): Uint8Array {
  let size = 0
  for (const p of parts) size += p.length
  const out = new Uint8Array(size)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/**
 * In-memory {@link Storage} with the same semantics as FileStorage (same validation, same
 * snapshot-install and truncation rules). Inputs are copied on save; outputs of `load` share
 * buffers with the store and must not be mutated.
 */
export class MemoryStorage implements Storage, LogView {
  #hardState: HardState = EMPTY_HARD_STATE
  #snapshot: Snapshot | null = null
  #log = new IndexedLog<Entry>()
  #failures: StorageErrorCode[] = []
  #syncs = 0
  #closed = false

  constructor(init: MemoryStorageInit = {}) {
    if (init.snapshot) this.#installSnapshot({snapshot: copySnapshot(init.snapshot), keep: false, rewrite: true})
    if (init.entries && init.entries.length > 0) this.save({entries: init.entries})
    if (init.hardState) this.#hardState = {...init.hardState}
    this.#syncs = 0
  }

  /** {@inheritDoc Storage.load} Never throws CORRUPT. */
  load(): RecoveredState {
    this.#closed = false
    const snapIndex = this.#snapshot?.meta.index ?? 0
    return {hardState: this.#hardState, snapshot: this.#snapshot, entries: this.#log.itemsAfter(snapIndex)}
  }

  /** {@inheritDoc Storage.save} Throws an injected StorageError first if one is pending; RangeError on contract violations. */
  save(write: StorageWrite): void {
    this.#checkOpen()
    const plan = planWrite(this, write)
    this.#maybeFail()
    if (plan.snapshot) this.#installSnapshot(plan.snapshot)
    for (const e of plan.entries) this.#log.put(e.index, copyEntry(e))
    if (plan.hardState) this.#hardState = {...plan.hardState}
    this.#syncs++
  }

  /** {@inheritDoc Storage.saveSnapshot} */
  saveSnapshot(snapshot: Snapshot, compactTo: number): void {
    this.#checkOpen()
    const plan = planLocalSnapshot(this, snapshot, compactTo)
    this.#maybeFail()
    if (plan.rewrite) this.#snapshot = copySnapshot(snapshot)
    if (plan.keep) this.#log.dropThrough(compactTo)
    else this.#log.clear(snapshot.meta.index + 1)
    this.#syncs++
  }

  /**
   * {@inheritDoc Storage.writeSnapshot} Reads every piece at once (each copied: the iterator
   * may reuse its buffer) and calls `done` before returning (nothing to write: the snapshot is
   * kept when `saveSnapshot` adopts it). Injected failures are not consumed here.
   */
  writeSnapshot(_meta: SnapshotMeta, pieces: Iterator<Uint8Array>, done: (err: Error | null, data: SnapshotData | null) => void): void {
    let data: Uint8Array
    try {
      this.#checkOpen()
      const parts: Uint8Array[] = []
      for (let r = pieces.next(); !r.done; r = pieces.next()) parts.push(r.value.slice())
      data = concat(parts)
    } catch (err) {
      pieces.return?.()
      return done(err as Error, null)
    }
    done(null, data)
  }

  /** {@inheritDoc Storage.close} Later calls other than `load` throw STORAGE_IO until `load` reopens. */
  close(): void {
    this.#closed = true
  }

  /**
   * Make the next `times` calls to `save` or `saveSnapshot` throw `StorageError(code)` and
   * change nothing (as FileStorage does on ENOSPC). Contract violations still throw RangeError first.
   */
  failNextSave(code: StorageErrorCode = 'STORAGE_FULL', times = 1): void {
    for (let k = 0; k < times; k++) this.#failures.push(code)
  }

  /** An independent copy of the durable state (pending injected failures are not copied). */
  clone(): MemoryStorage {
    const copy = new MemoryStorage()
    if (this.#snapshot) copy.#snapshot = copySnapshot(this.#snapshot)
    copy.#hardState = {...this.#hardState}
    if (this.#log.length === 0) copy.#log.clear(this.#log.firstIndex)
    for (let i = this.#log.firstIndex; i <= this.#log.lastIndex; i++) copy.#log.put(i, copyEntry(this.#log.at(i)!))
    return copy
  }

  /** Figures for metrics; `segments` is 0 and `bytes` counts entry data. */
  stats(): StorageStats {
    let bytes = 0
    for (let i = this.#log.firstIndex; i <= this.#log.lastIndex; i++) bytes += this.#log.at(i)!.data.length
    return {
      segments: 0,
      bytes,
      firstIndex: this.#log.length > 0 ? this.#log.firstIndex : this.lastIndex() + 1,
      lastIndex: this.lastIndex(),
      snapshotIndex: this.#snapshot?.meta.index ?? 0,
      syncs: this.#syncs,
    }
  }

  /** {@inheritDoc LogView.snapshotMeta} */
  snapshotMeta(): SnapshotMeta | null {
    return this.#snapshot?.meta ?? null
  }

  /** {@inheritDoc LogView.lastIndex} */
  lastIndex(): number {
    return this.#log.length > 0 ? this.#log.lastIndex : (this.#snapshot?.meta.index ?? 0)
  }

  /** {@inheritDoc LogView.termAt} */
  termAt(index: number): number | undefined {
    const e = this.#log.at(index)
    if (e) return e.term
    if (this.#snapshot && index === this.#snapshot.meta.index) return this.#snapshot.meta.term
    return index === 0 ? 0 : undefined
  }

  #installSnapshot(plan: SnapshotPlan): void {
    const {index} = plan.snapshot.meta
    if (plan.rewrite) this.#snapshot = copySnapshot(plan.snapshot)
    if (plan.keep) this.#log.dropThrough(index)
    else this.#log.clear(index + 1)
  }

  #maybeFail(): void {
    const code = this.#failures.shift()
    if (code !== undefined) throw new StorageError(code, `injected failure (${code})`)
  }

  #checkOpen(): void {
    if (this.#closed) throw new StorageError('STORAGE_IO', 'storage is closed')
  }
}
