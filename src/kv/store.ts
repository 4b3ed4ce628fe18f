/**
 * The key-value data itself and the semantics of each operation (get, put, delete, cas,
 * append, deletePrefix, and range reads), with byte accounting for the `maxValueBytes` and
 * `maxDataBytes` limits. Each key keeps its `modIndex`: the log index of the entry that last
 * wrote it. Sessions live elsewhere (sessions.ts); this module knows nothing of exactly-once.
 * Iteration order is Map insertion order, the same on every node that applied the same
 * commands, so snapshots are deterministic. Range reads and deletePrefix use a sorted list of
 * the keys, built on first use and then kept up to date (a cache: it changes no result).
 */
import {utf8Length} from './bytes.js'
import {errorResult, type KvCommand, type KvResult} from './commands.js'
import type {KvLimits} from './limits.js'
import {answerRange, bounds, compareKeys, type RangeAnswer, type RangeQuery, type StoredValue} from './range.js'

/** A key's value and the index of the entry that last wrote it. Mutated in place on overwrite. */
interface Slot {
  value: string
  modIndex: number
}

/** The keys and values, and the operations on them. */
export class KvStore {
  private readonly data = new Map<string, Slot>()
  /** Invariant: the sum of UTF-8 bytes of every key and value in `data`. */
  private bytes = 0
  /** Every key of `data` in {@link compareKeys} order, or null until a range read needs it. */
  private sorted: string[] | null = null

  constructor(private readonly limits: KvLimits) {}

  /** Number of keys. */
  get size(): number {
    return this.data.size
  }

  /** UTF-8 bytes of every key plus every value. */
  get dataBytes(): number {
    return this.bytes
  }

  /** The value of `key`, or null when absent. */
  get(key: string): string | null {
    return this.data.get(key)?.value ?? null
  }

  /** The index of the entry that last wrote `key`, or null when absent. */
  modIndexOf(key: string): number | null {
    return this.data.get(key)?.modIndex ?? null
  }

  /** Every entry as `[key, {value, modIndex}]`, in the deterministic iteration order. */
  entries(): IterableIterator<[string, StoredValue]> {
    return this.data.entries()
  }

  /** Answer a range read (see {@link answerRange}). */
  range(query: RangeQuery): RangeAnswer {
    return answerRange(this.sortedKeys(), (key) => this.data.get(key)!, query)
  }

  /**
   * Add an entry while loading a snapshot. Returns false (and changes nothing) when `key` is
   * already present. Limits are not checked: they apply to new writes only.
   */
  load(key: string, value: string, modIndex: number): boolean {
    if (this.data.has(key)) return false
    this.data.set(key, {value, modIndex})
    this.bytes += utf8Length(key) + utf8Length(value)
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
    }
  }

  private put(key: string, value: string, index: number): KvResult {
    return this.write(key, value, index) ?? {ok: true, op: 'put', value}
  }

  private delete(key: string): boolean {
    const old = this.data.get(key)
    if (old === undefined) return false
    this.data.delete(key)
    this.bytes -= utf8Length(key) + utf8Length(old.value)
    if (this.sorted !== null) this.sorted.splice(this.position(key), 1)
    return true
  }

  /** Remove every key starting with `prefix` (`""`: every key); returns how many there were. */
  private deletePrefix(prefix: string): number {
    const keys = this.sortedKeys()
    const [start, end] = bounds(keys, {prefix})
    for (let i = start; i < end; i++) {
      const key = keys[i]!
      this.bytes -= utf8Length(key) + utf8Length(this.data.get(key)!.value)
      this.data.delete(key)
    }
    keys.splice(start, end - start)
    return end - start
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
    const old = this.data.get(key)
    const before = old === undefined ? 0 : keyBytes + utf8Length(old.value)
    const after = keyBytes + utf8Length(value)
    const total = this.bytes - before + after
    if (after > before && total > this.limits.maxDataBytes) {
      return errorResult('STORAGE_FULL', `the write would take the store to ${total} bytes, over maxDataBytes ${this.limits.maxDataBytes}`)
    }
    if (old === undefined) this.insert(key, {value, modIndex: index})
    else {
      old.value = value
      old.modIndex = index
    }
    this.bytes = total
    return null
  }

  private insert(key: string, slot: Slot): void {
    this.data.set(key, slot)
    if (this.sorted !== null) this.sorted.splice(this.position(key), 0, key)
  }

  /** Every key in order, building the list on first use. */
  private sortedKeys(): string[] {
    this.sorted ??= [...this.data.keys()].sort(compareKeys)
    return this.sorted
  }

  /** Where `key` is (or would go) in the sorted list. */
  private position(key: string): number {
    return bounds(this.sorted!, {from: key, to: null})[0]
  }
}
