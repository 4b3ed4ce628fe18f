/**
 * The key-value data itself and the semantics of each operation (get, put, delete, cas,
 * append, deletePrefix, and range reads), with byte accounting for the `maxValueBytes` and
 * `maxDataBytes` limits. Each key keeps its `modIndex`: the log index of the entry that last
 * wrote it. The map holds only a record number per key; values and modIndexes are in
 * {@link KeyRecords}, outside the JavaScript heap (so a full garbage collection marks the keys
 * alone: see key-records.ts). Sessions live elsewhere (sessions.ts); this module knows nothing of exactly-once.
 * Iteration order is Map insertion order, the same on every node that applied the same
 * commands, so snapshots are deterministic. While a capture is open, a deleted key stays in the
 * map as a tombstone (so the capture, which iterates the live map, still finds it in its place),
 * and once a deleted key is added again, it and every key added after it wait in an overflow map
 * that follows the main one; when the capture ends the tombstones go and the overflow is
 * appended, which restores the order a node without a capture has. Range reads use a sorted list of the keys, built on
 * the first range read after keys were added or removed (a cache: it changes no result), so that
 * applying a write never costs more than a map update.
 */
import {utf8Length} from './bytes.js'
import {errorResult, type KvCommand, type KvResult, type TxnCommand, type TxnOp} from './commands.js'
import type {KvLimits} from './limits.js'
import {KeyRecords} from './key-records.js'
import {answerRange, compareKeys, type RangeAnswer, type RangeQuery, type StoredValue} from './range.js'
import {compareHolds} from './txn.js'

/** One key changed by an applied entry: its new value, or null when it was deleted. */
export interface KvChange {
  readonly key: string
  readonly value: string | null
}

/**
 * What the store's map holds for a key: the number of its record in {@link KeyRecords} (value,
 * value length, modIndex; kept on overwrite), or {@link TOMBSTONE}.
 */
type Slot = number

/** A key's value as a capture saw it, kept once the live key changes (null: absent then). */
export type CapturedValue = {readonly value: string; readonly modIndex: number} | null

/**
 * A value handed out by {@link KvStoreCapture.read}: its text when the key changed since the
 * capture (the copy kept then), or else the number of the live record that holds it, to be read
 * with the capture's {@link KvStoreCapture.text}, {@link KvStoreCapture.bytesOf} or
 * {@link KvStoreCapture.copyValue} before the store changes again (a snapshot copies the bytes;
 * no string is made).
 */
export type CapturedText = string | number

/** The slot of a key deleted while a capture is open (no record has this number). */
const TOMBSTONE: Slot = -1

/**
 * A copy-on-write view of a {@link KvStore} frozen at the moment {@link KvStore.capture} was
 * called, read while the store goes on taking writes. Taking it is O(1): an iterator over the
 * live map. Each write to the store while it is open costs one map lookup, plus a copy of the
 * old value the first time a key changes; a deleted key stays in the map as a tombstone until
 * the capture ends. Read it once with {@link read} (in pieces, interleaved with writes), then
 * {@link release} it.
 *
 * How: the capture walks the live map in its order (Map iterators see later changes). A key
 * changed since the capture (written, deleted or added) is in `before`, with its value then
 * (null: absent then, skipped); any other key is unchanged and read live. A deleted key keeps
 * its place as a tombstone, and an overwritten key keeps its place in a Map, so the walk meets
 * the captured keys in the order they had at the capture. The one change that would move a key,
 * re-adding a tombstoned key (it must go to the end, as on a node without a capture), goes to the
 * store's overflow map instead, which the walk never visits (its keys were absent or tombstoned
 * at the walk's positions; `before` holds what they were at the capture). Re-adding used to turn
 * the rest of the walk into a list first: 0.3–0.7 s of one loop turn at 1M keys, once per snapshot
 * for a workload that deletes and re-creates keys (locks, leases). So the snapshot is byte-identical to the one
 * {@link KvStore.entries} would have given at the capture, and a node that restores it iterates
 * in the same order as the node that took it (the consistency hash depends on it).
 *
 * Keys added since the capture come after every captured key (a Map appends), so the walk ends
 * once it has handed out {@link size} keys: the keys added meanwhile, however many, cost the
 * capture nothing (walking them cost a 1M-key snapshot taken during a bulk load 90 ms of one
 * turn of the event loop, with no emit to end the piece).
 */
export class KvStoreCapture {
  /** Keys at the capture. */
  readonly size: number
  /** UTF-8 bytes of every key and value at the capture. */
  readonly dataBytes: number
  /** Values at the capture of the keys changed since (first change only; null: absent then). */
  readonly before = new Map<string, CapturedValue>()
  private released = false
  /** The walk over the live map (null once released). */
  private walk: Iterator<string> | null
  /** Captured keys handed out by {@link read} so far (at most {@link size}). */
  private handed = 0

  constructor(
    private readonly store: KvStore,
    private readonly data: Map<string, Slot>,
    private readonly records: KeyRecords,
    size: number,
    dataBytes: number,
  ) {
    this.walk = data.keys()
    this.size = size
    this.dataBytes = dataBytes
  }

  /** True while deleted keys must stay in the map as tombstones (the walk is live). */
  get tombstoning(): boolean {
    return this.walk !== null && !this.released
  }

  /** Called by the store before it changes `key` (whose slot is `slot`, undefined when absent). */
  preserve(key: string, slot: Slot | undefined): void {
    if (this.before.has(key)) return
    this.before.set(key, slot === undefined ? null : {value: this.records.value(slot), modIndex: this.records.modIndex(slot)})
  }

  /**
   * Hand the next keys of the store as it was at the capture to `emit` (a value as a
   * {@link CapturedText}: valid only until `read` returns), until `emit` returns
   * false (after that key) or every key was handed; returns true when every key was. Each key
   * exactly once, in the store's order at the capture. May be called again and again with
   * writes to the store in between. Visits no key added since the capture once the captured
   * ones are handed out.
   */
  read(emit: (key: string, value: CapturedText, modIndex: number) => boolean): boolean {
    while (this.handed < this.size) {
      const key = this.nextKey()
      if (key === undefined) return true
      const changed = this.before.get(key)
      if (changed === null) continue
      this.handed++
      if (changed !== undefined) {
        if (!emit(key, changed.value, changed.modIndex)) return this.handed === this.size
        continue
      }
      const slot = this.data.get(key)!
      if (!emit(key, slot, this.records.modIndex(slot))) return this.handed === this.size
    }
    return true
  }

  /** The text of a value {@link read} handed out. */
  text(value: CapturedText): string {
    return typeof value === 'string' ? value : this.records.value(value)
  }

  /** UTF-8 length of the value of live record `record` handed out by {@link read}. */
  bytesOf(record: number): number {
    return this.records.valueBytes(record)
  }

  /** Write the UTF-8 bytes of the value of live record `record` handed out by {@link read} into `target` at `at`. */
  copyValue(record: number, target: Buffer, at: number): void {
    this.records.copyValue(record, target, at)
  }

  private nextKey(): string | undefined {
    const r = this.walk?.next()
    return r === undefined || r.done === true ? undefined : r.value
  }

  /** Stop tracking writes (idempotent); the store removes its tombstones. */
  release(): void {
    if (this.released) return
    this.released = true
    this.walk = null
    this.store.endCapture(this)
  }
}

/** The keys and values, and the operations on them. */
export class KvStore {
  /** Number of live keys in `data` (its size less the tombstones). */
  private count = 0
  /** Each live key's value and modIndex, by the number `data` holds for it. */
  private readonly records = new KeyRecords()
  /** The keys made tombstones during the open capture, removed from `data` when it ends. */
  private tombstones: string[] = []
  /**
   * While a capture is open and a tombstoned key was added again: that key and every key added
   * after it, in order (they follow `data`'s keys); appended to `data` when the capture ends.
   */
  private overflow: Map<string, Slot> | null = null
  /** Invariant: the sum of UTF-8 bytes of every live key and value in `data`. */
  private bytes = 0
  /** Every key of `data` in {@link compareKeys} order, or null until a range read needs it (dropped when a key is added or removed). */
  private sorted: string[] | null = null
  /** The open copy-on-write capture, told of every change while open. */
  private capturing: KvStoreCapture | null = null
  /** When not null, every change is pushed here, in the order it is made (for watches). */
  changes: KvChange[] | null = null

  /**
   * @param data Every key, and while a capture is open the keys deleted since as
   *   {@link TOMBSTONE}s: a new empty map, given only by tests that count the capture's walk.
   */
  constructor(private readonly limits: KvLimits, private readonly data = new Map<string, Slot>()) {
    if (data.size !== 0) throw new Error('a KvStore starts empty')
  }

  /** Number of keys. */
  get size(): number {
    return this.count
  }

  /** UTF-8 bytes of every key plus every value. */
  get dataBytes(): number {
    return this.bytes
  }

  /** The value of `key`, or null when absent. */
  get(key: string): string | null {
    const slot = this.live(key)
    return slot === undefined ? null : this.records.value(slot)
  }

  /** The index of the entry that last wrote `key`, or null when absent. */
  modIndexOf(key: string): number | null {
    const slot = this.live(key)
    return slot === undefined ? null : this.records.modIndex(slot)
  }

  /** `slot`'s value and modIndex as an object (made for the caller). */
  private stored(slot: Slot): StoredValue {
    return {value: this.records.value(slot), modIndex: this.records.modIndex(slot)}
  }

  /** The slot of `key`, or undefined when absent (a tombstone is absent). */
  private live(key: string): Slot | undefined {
    const slot = this.data.get(key)
    if (slot !== undefined && slot !== TOMBSTONE) return slot
    return this.overflow === null ? undefined : this.overflow.get(key)
  }

  /** Every entry as `[key, {value, modIndex}]`, in the deterministic iteration order. */
  *entries(): IterableIterator<[string, StoredValue]> {
    for (const [key, slot] of this.data) if (slot !== TOMBSTONE) yield [key, this.stored(slot)]
    if (this.overflow !== null) for (const [key, slot] of this.overflow) yield [key, this.stored(slot)]
  }

  /** Every live key, in the deterministic iteration order (no value read). */
  private *liveKeys(): IterableIterator<string> {
    for (const [key, slot] of this.data) if (slot !== TOMBSTONE) yield key
    if (this.overflow !== null) yield* this.overflow.keys()
  }

  /**
   * Freeze the current contents as a copy-on-write view, in O(1) (see {@link KvStoreCapture});
   * one at a time: throws when one is open. Release it when done.
   */
  capture(): KvStoreCapture {
    if (this.capturing !== null) throw new Error('a capture of this store is already open')
    this.capturing = new KvStoreCapture(this, this.data, this.records, this.count, this.bytes)
    return this.capturing
  }

  /**
   * Called by {@link KvStoreCapture.release}: the tombstones go and the overflow is appended
   * (O(keys deleted during the capture + keys added after the first re-add)).
   */
  endCapture(capture: KvStoreCapture): void {
    if (this.capturing !== capture) return
    this.capturing = null
    for (const key of this.tombstones) if (this.data.get(key) === TOMBSTONE) this.data.delete(key)
    this.tombstones = []
    if (this.overflow === null) return
    for (const [key, slot] of this.overflow) this.data.set(key, slot)
    this.overflow = null
  }

  /** Answer a range read (see {@link answerRange}). */
  range(query: RangeQuery): RangeAnswer {
    return answerRange(this.sortedKeys(), (key) => this.stored(this.live(key)!), query)
  }

  /**
   * Add an entry while loading a snapshot, its value given as the `valueBytes` bytes of `source`
   * from `start`, which the caller checked are valid UTF-8 (a small value is copied as bytes, never
   * made a string). Returns false when `key` was already present: the snapshot is malformed and
   * this store must be discarded (its entry for `key` was replaced; one map operation per key
   * instead of a lookup then an insert, on a million keys at restart). Limits are not checked:
   * they apply to new writes only. The decoder passes the UTF-8 lengths it read (counting a
   * million 100-byte values again costs a restart ~100 ms).
   */
  loadBytes(key: string, keyBytes: number, source: Buffer, start: number, valueBytes: number, modIndex: number): boolean {
    if (this.capturing !== null) throw new Error('load while a capture is open')
    const slot = this.records.addBytes(source, start, valueBytes, modIndex)
    const size = this.data.size
    this.data.set(key, slot)
    if (this.data.size === size) return false
    this.count++
    this.bytes += keyBytes + valueBytes
    this.sorted = null
    return true
  }

  /**
   * Apply one decoded command, written by the log entry at `index` (its keys' new modIndex);
   * sizes of the command's own fields were checked on decode.
   */
  execute(command: KvCommand, index: number): KvResult {
    switch (command.op) {
      case 'get':
        return {ok: true, op: 'get', value: this.get(command.key)}
      case 'put':
        return this.put(command.key, command.value, index)
      case 'delete':
        return {ok: true, op: 'delete', deleted: this.delete(command.key)}
      case 'cas':
        return this.cas(command.key, command.expected, command.value, index)
      case 'append':
        return this.append(command.key, command.value, index)
      case 'deletePrefix':
        return {ok: true, op: 'deletePrefix', deleted: this.deletePrefix(command.prefix)}
      case 'txn':
        return this.txn(command, index)
    }
  }

  /**
   * Compare every key; apply the success branch if all hold, else the failure branch, all or
   * nothing: `STORAGE_FULL` (nothing written) when the branch as a whole would grow the store
   * past `maxDataBytes`. A branch writes each key at most once (checked on decode).
   */
  private txn(command: TxnCommand, index: number): KvResult {
    const succeeded = command.compare.every((c) => compareHolds(c, this.get(c.key), this.modIndexOf(c.key)))
    const ops = succeeded ? command.success : command.failure
    const total = this.bytes + this.growth(ops)
    if (total > this.bytes && total > this.limits.maxDataBytes) {
      return errorResult('STORAGE_FULL', `the txn would take the store to ${total} bytes, over maxDataBytes ${this.limits.maxDataBytes}`)
    }
    for (const o of ops) {
      if (o.op === 'put') this.setUnchecked(o.key, o.value, index)
      else this.delete(o.key)
    }
    return {ok: true, op: 'txn', succeeded}
  }

  /** Bytes the store would grow by (negative: shrink) if `ops`, each on a distinct key, were applied. */
  private growth(ops: readonly TxnOp[]): number {
    let growth = 0
    for (const o of ops) {
      const old = this.live(o.key)
      const keyBytes = utf8Length(o.key)
      if (old !== undefined) growth -= keyBytes + this.records.valueBytes(old)
      if (o.op === 'put') growth += keyBytes + utf8Length(o.value)
    }
    return growth
  }

  private put(key: string, value: string, index: number): KvResult {
    return this.write(key, value, index) ?? {ok: true, op: 'put', value}
  }

  private delete(key: string): boolean {
    const old = this.live(key)
    if (old === undefined) return false
    this.remove(key, old)
    return true
  }

  /** Remove every key starting with `prefix` (`""`: every key); returns how many there were. */
  private deletePrefix(prefix: string): number {
    let deleted = 0
    for (const [key, slot] of this.data) {
      if (slot === TOMBSTONE || !key.startsWith(prefix)) continue
      this.remove(key, slot)
      deleted++
    }
    if (this.overflow === null) return deleted
    for (const [key, slot] of this.overflow) {
      if (!key.startsWith(prefix)) continue
      this.remove(key, slot)
      deleted++
    }
    return deleted
  }

  /**
   * Remove the live `key` (slot `old`): a tombstone in its place while a capture walks the map;
   * a key in the overflow simply leaves it (the walk never visits the overflow).
   */
  private remove(key: string, old: Slot): void {
    const capture = this.capturing
    if (capture !== null) capture.preserve(key, old)
    if (this.overflow !== null && this.overflow.get(key) === old) {
      this.overflow.delete(key)
    } else if (capture !== null && capture.tombstoning) {
      this.data.set(key, TOMBSTONE)
      this.tombstones.push(key)
    } else {
      this.data.delete(key)
    }
    this.count--
    this.bytes -= utf8Length(key) + this.records.valueBytes(old)
    this.records.remove(old)
    this.sorted = null
    this.changes?.push({key, value: null})
  }

  private cas(key: string, expected: string | null, value: string, index: number): KvResult {
    const current = this.get(key)
    if (current !== expected) return {ok: true, op: 'cas', swapped: false, value: current}
    return this.write(key, value, index) ?? {ok: true, op: 'cas', swapped: true, value}
  }

  private append(key: string, suffix: string, index: number): KvResult {
    const value = (this.get(key) ?? '') + suffix
    const valueBytes = utf8Length(value)
    if (valueBytes > this.limits.maxValueBytes) {
      return errorResult('PAYLOAD_TOO_LARGE', `append would make the value of the key ${valueBytes} bytes, over maxValueBytes ${this.limits.maxValueBytes}`)
    }
    return this.write(key, value, index) ?? {ok: true, op: 'append', value}
  }

  /** Set `key` to `value` unless that grows the store past `maxDataBytes`; returns the error if so. */
  private write(key: string, value: string, index: number): KvResult | null {
    const keyBytes = utf8Length(key)
    const old = this.live(key)
    const before = old === undefined ? 0 : keyBytes + this.records.valueBytes(old)
    const valueBytes = utf8Length(value)
    const after = keyBytes + valueBytes
    const total = this.bytes - before + after
    if (after > before && total > this.limits.maxDataBytes) {
      return errorResult('STORAGE_FULL', `the write would take the store to ${total} bytes, over maxDataBytes ${this.limits.maxDataBytes}`)
    }
    this.set(key, value, valueBytes, index, old, total)
    return null
  }

  /**
   * Set `key` (whose slot is `old`) to `value` of `valueBytes` UTF-8 bytes, written by the entry
   * at `index`, the store then holding `total` bytes; limits already checked.
   */
  private set(key: string, value: string, valueBytes: number, index: number, old: Slot | undefined, total: number): void {
    this.capturing?.preserve(key, old)
    if (old === undefined) this.add(key, this.records.add(value, valueBytes, index))
    else this.records.replace(old, value, valueBytes, index)
    this.bytes = total
    this.changes?.push({key, value})
  }

  /** {@link set} for a txn's put, sizes computed here. */
  private setUnchecked(key: string, value: string, index: number): void {
    const old = this.live(key)
    const before = old === undefined ? 0 : utf8Length(key) + this.records.valueBytes(old)
    const valueBytes = utf8Length(value)
    this.set(key, value, valueBytes, index, old, this.bytes - before + utf8Length(key) + valueBytes)
  }

  /**
   * Add a new key at the end of the order. A key with a tombstone (deleted during the open
   * capture) cannot move to the end of `data` while the capture walks it, so it goes to the
   * overflow, and so does every key added after it (they must follow it).
   */
  private add(key: string, slot: Slot): void {
    if (this.overflow !== null) this.overflow.set(key, slot)
    else if (this.data.get(key) === TOMBSTONE) this.overflow = new Map([[key, slot]])
    else this.data.set(key, slot)
    this.count++
    this.sorted = null
  }

  /** Every live key in order, building the list on first use. */
  private sortedKeys(): string[] {
    this.sorted ??= [...this.liveKeys()].sort(compareKeys)
    return this.sorted
  }
}
