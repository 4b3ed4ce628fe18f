/**
 * The key-value data itself and the semantics of each operation (get, put, delete, cas,
 * append), with byte accounting for the `maxValueBytes` and `maxDataBytes` limits. Sessions
 * live elsewhere (sessions.ts); this module knows nothing of the log or of exactly-once.
 * Iteration order is Map insertion order, the same on every node that applied the same
 * commands, so snapshots are deterministic.
 */
import {utf8Length} from './bytes.js'
import {errorResult, type KvCommand, type KvResult} from './commands.js'
import type {KvLimits} from './limits.js'

/** The keys and values, and the operations on them. */
export class KvStore {
  private readonly data = new Map<string, string>()
  /** Invariant: the sum of UTF-8 bytes of every key and value in `data`. */
  private bytes = 0

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
    return this.data.get(key) ?? null
  }

  /** Every entry, in the deterministic iteration order. */
  entries(): IterableIterator<[string, string]> {
    return this.data.entries()
  }

  /**
   * Add an entry while loading a snapshot. Returns false (and changes nothing) when `key` is
   * already present. Limits are not checked: they apply to new writes only.
   */
  load(key: string, value: string): boolean {
    if (this.data.has(key)) return false
    this.data.set(key, value)
    this.bytes += utf8Length(key) + utf8Length(value)
    return true
  }

  /** Apply one decoded command; sizes of the command's own fields were checked on decode. */
  execute(command: KvCommand): KvResult {
    switch (command.op) {
      case 'get':
        return {ok: true, op: 'get', value: this.get(command.key)}
      case 'put':
        return this.put(command.key, command.value)
      case 'delete':
        return {ok: true, op: 'delete', deleted: this.delete(command.key)}
      case 'cas':
        return this.cas(command.key, command.expected, command.value)
      case 'append':
        return this.append(command.key, command.value)
    }
  }

  private put(key: string, value: string): KvResult {
    return this.write(key, value) ?? {ok: true, op: 'put', value}
  }

  private delete(key: string): boolean {
    const old = this.data.get(key)
    if (old === undefined) return false
    this.data.delete(key)
    this.bytes -= utf8Length(key) + utf8Length(old)
    return true
  }

  private cas(key: string, expected: string | null, value: string): KvResult {
    const current = this.get(key)
    if (current !== expected) return {ok: true, op: 'cas', swapped: false, value: current}
    return this.write(key, value) ?? {ok: true, op: 'cas', swapped: true, value}
  }

  private append(key: string, suffix: string): KvResult {
    const value = (this.data.get(key) ?? '') + suffix
    const valueBytes = utf8Length(value)
    if (valueBytes > this.limits.maxValueBytes) {
      return errorResult('PAYLOAD_TOO_LARGE', `append would make the value of the key ${valueBytes} bytes, over maxValueBytes ${this.limits.maxValueBytes}`)
    }
    return this.write(key, value) ?? {ok: true, op: 'append', value}
  }

  /** Set `key` to `value` unless that grows the store past `maxDataBytes`; returns the error if so. */
  private write(key: string, value: string): KvResult | null {
    const keyBytes = utf8Length(key)
    const old = this.data.get(key)
    const before = old === undefined ? 0 : keyBytes + utf8Length(old)
    const after = keyBytes + utf8Length(value)
    const total = this.bytes - before + after
    if (after > before && total > this.limits.maxDataBytes) {
      return errorResult('STORAGE_FULL', `the write would take the store to ${total} bytes, over maxDataBytes ${this.limits.maxDataBytes}`)
    }
    this.data.set(key, value)
    this.bytes = total
    return null
  }
}
