/**
 * What the store knows of each key besides its name: its value, the UTF-8 length of that value,
 * and its modIndex, in typed arrays indexed by a record number (the number the store's map
 * holds for the key). Why not an object per key: at a million keys the objects and their value
 * strings were two of the three heap objects per key that V8's full collections mark and move
 * (see value-arena.ts); a number in a map is no object at all. Values up to
 * {@link ARENA_MAX_VALUE_BYTES} live in a {@link ValueArena}; larger ones stay strings in a map
 * by record number. Record numbers of removed keys are reused.
 */
import {ARENA_MAX_VALUE_BYTES, NumberStack, ValueArena} from './value-arena.js'

/** Records the tables start with room for; they double as needed. */
const INITIAL_RECORDS = 1024

/** The records of every live key (see the file's header). */
export class KeyRecords {
  private modIndexes = new Float64Array(INITIAL_RECORDS)
  /** Arena handle of a small value (a safe integer); -1 for a large one (in {@link large}). */
  private handles = new Float64Array(INITIAL_RECORDS)
  private byteLengths = new Int32Array(INITIAL_RECORDS)
  private readonly large = new Map<number, string>()
  private readonly arena = new ValueArena()
  private readonly freeRecords = new NumberStack()
  /** Record numbers ever handed out. */
  private used = 0

  /** A new record holding `value` (UTF-8 length `bytes`) written at `modIndex`; returns its number. */
  add(value: string, bytes: number, modIndex: number): number {
    const record = this.newRecord()
    this.store(record, value, bytes)
    this.modIndexes[record] = modIndex
    return record
  }

  /**
   * A new record whose value is the `bytes` bytes of `source` from `start`, which the caller
   * checked are valid UTF-8 (a restore: values up to {@link ARENA_MAX_VALUE_BYTES} are copied as
   * bytes, never made a string); returns its number.
   */
  addBytes(source: Buffer, start: number, bytes: number, modIndex: number): number {
    if (bytes > ARENA_MAX_VALUE_BYTES) return this.add(source.toString('utf8', start, start + bytes), bytes, modIndex)
    const record = this.newRecord()
    this.byteLengths[record] = bytes
    this.handles[record] = this.arena.putBytes(source, start, bytes)
    this.modIndexes[record] = modIndex
    return record
  }

  /** Replace the value of `record` by `value` (UTF-8 length `bytes`), written at `modIndex`. */
  replace(record: number, value: string, bytes: number, modIndex: number): void {
    this.dropValue(record)
    this.store(record, value, bytes)
    this.modIndexes[record] = modIndex
  }

  /** Free `record` and its value; its number may be handed out again. */
  remove(record: number): void {
    this.dropValue(record)
    this.freeRecords.push(record)
  }

  value(record: number): string {
    const handle = this.handles[record]!
    return handle === -1 ? this.large.get(record)! : this.arena.get(handle, this.byteLengths[record]!)
  }

  /**
   * Write the UTF-8 bytes of the value of `record` into `target` at `at` (room checked by the
   * caller: {@link valueBytes}). A snapshot's path: a small value is copied, never made a string.
   */
  copyValue(record: number, target: Buffer, at: number): void {
    const handle = this.handles[record]!
    if (handle === -1) target.write(this.large.get(record)!, at, 'utf8')
    else this.arena.copy(handle, this.byteLengths[record]!, target, at)
  }

  /** UTF-8 length of the value of `record`. */
  valueBytes(record: number): number {
    return this.byteLengths[record]!
  }

  modIndex(record: number): number {
    return this.modIndexes[record]!
  }

  /** Bytes the tables and the arena hold outside the JavaScript heap. */
  get externalBytes(): number {
    return this.modIndexes.byteLength + this.handles.byteLength + this.byteLengths.byteLength + this.arena.allocatedBytes
  }

  private newRecord(): number {
    const record = this.freeRecords.pop()
    if (record !== -1) return record
    if (this.used === this.modIndexes.length) this.grow()
    return this.used++
  }

  private store(record: number, value: string, bytes: number): void {
    this.byteLengths[record] = bytes
    if (bytes <= ARENA_MAX_VALUE_BYTES) {
      this.handles[record] = this.arena.put(value, bytes)
    } else {
      this.handles[record] = -1
      this.large.set(record, value)
    }
  }

  private dropValue(record: number): void {
    const handle = this.handles[record]!
    if (handle === -1) this.large.delete(record)
    else this.arena.release(handle)
  }

  private grow(): void {
    const size = this.modIndexes.length * 2
    this.modIndexes = copyInto(new Float64Array(size), this.modIndexes)
    this.handles = copyInto(new Float64Array(size), this.handles)
    this.byteLengths = copyInto(new Int32Array(size), this.byteLengths)
  }
}

function copyInto<T extends Float64Array | Int32Array>(target: T, source: T): T {
  target.set(source as ArrayLike<number>)
  return target
}
