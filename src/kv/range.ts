/**
 * Range reads over the store: key order (by UTF-8 bytes), the bounds of a prefix or a
 * half-open `[from, to)` range, and the answer as `raftctl kv get --prefix` / `kv list` show it
 * (every matching key counted, the listed ones cut by a key limit and a byte budget). Pure: a
 * read of the state, nothing here changes it.
 */

/**
 * Order of two well-formed strings by their UTF-8 bytes (which is Unicode code point order).
 * JavaScript's `<` compares UTF-16 code units instead, which puts astral characters (surrogate
 * pairs, U+D800..U+DFFF units) before U+E000..U+FFFF; this corrects that at the first
 * differing unit. Negative when `a` sorts first, 0 when equal, positive otherwise.
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) return codePointRank(x) - codePointRank(y)
  }
  return a.length - b.length
}

/** A UTF-16 unit moved so that surrogates (astral code points) rank above U+E000..U+FFFF. */
function codePointRank(unit: number): number {
  if (unit >= 0xe000) return unit - 0x800
  if (unit >= 0xd800) return unit + 0x2000
  return unit
}

/**
 * Which keys a range read covers: every key starting with `prefix` (`""`: every key), or the
 * keys `k` with `from <= k < to` by {@link compareKeys} (`to` null: no upper bound). A `from`
 * at or after `to` covers nothing.
 */
export type KeyRange = {readonly prefix: string} | {readonly from: string; readonly to: string | null}

/** What a range read returns, and how much of it. */
export interface RangeQuery {
  readonly range: KeyRange
  /** Most keys listed (a positive integer); `count` still counts them all. */
  readonly limit: number
  /** List keys without their values. */
  readonly keysOnly: boolean
  /** List nothing: only `count`. */
  readonly countOnly: boolean
  /**
   * Byte budget of the listed keys, measured as their JSON text (see {@link rangeEntryBytes}),
   * so that an answer fits in one frame: the list stops before the key that would pass it
   * (`more: true`). The first key is always listed, so paging always makes progress.
   */
  readonly maxBytes: number
}

/** One listed key. `value` is absent with `keysOnly`. */
export interface RangeEntry {
  readonly key: string
  readonly value?: string
  /** Index of the log entry that last wrote the key (0: unknown, restored from a version-1 snapshot). */
  readonly modIndex: number
}

/** The answer to a {@link RangeQuery}. */
export interface RangeAnswer {
  /** The listed keys, in {@link compareKeys} order. Empty with `countOnly`. */
  readonly kvs: RangeEntry[]
  /** How many keys the range holds, whether or not they were all listed. */
  readonly count: number
  /** True when the limit or the byte budget cut the list (false with `countOnly`). */
  readonly more: boolean
}

/** JSON bytes of one listed key beyond its key and value strings: `{"key":,"value":,"modIndex":9007199254740991},`. */
export const RANGE_ENTRY_OVERHEAD_BYTES = 48

/** Bytes one entry takes in a JSON answer: its key and value as JSON strings plus {@link RANGE_ENTRY_OVERHEAD_BYTES}. */
export function rangeEntryBytes(key: string, value: string | undefined): number {
  const valueBytes = value === undefined ? 0 : jsonStringBytes(value)
  return jsonStringBytes(key) + valueBytes + RANGE_ENTRY_OVERHEAD_BYTES
}

/**
 * UTF-8 bytes of `JSON.stringify(text)`, counted without building it: the quotes, `\"` and
 * `\\`, the short escapes (`\n`…) and `\u00XX` for other control characters, `\uXXXX` for a
 * lone surrogate, and the UTF-8 length of everything else.
 */
export function jsonStringBytes(text: string): number {
  let bytes = 2
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i)
    if (unit < 0x20) bytes += SHORT_ESCAPES.has(unit) ? 2 : 6
    else if (unit === 0x22 || unit === 0x5c) bytes += 2
    else if (unit < 0x80) bytes += 1
    else if (unit < 0x800) bytes += 2
    else if (unit < 0xd800 || unit > 0xdfff) bytes += 3
    else if (unit <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 4
      i++
    } else bytes += 6
  }
  return bytes
}

/** Control characters JSON writes as two characters: `\b \t \n \f \r`. */
const SHORT_ESCAPES: ReadonlySet<number> = new Set([0x08, 0x09, 0x0a, 0x0c, 0x0d])

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff
}

/** The value and modIndex of a key, as the store keeps them. */
export interface StoredValue {
  readonly value: string
  readonly modIndex: number
}

/**
 * Answer `query` over `sortedKeys` (every key of the store, in {@link compareKeys} order) with
 * `lookup` giving each key's value. Costs O(log n) to find the range plus O(listed keys).
 */
export function answerRange(sortedKeys: readonly string[], lookup: (key: string) => StoredValue, query: RangeQuery): RangeAnswer {
  const [start, end] = bounds(sortedKeys, query.range)
  const count = end - start
  if (query.countOnly) return {kvs: [], count, more: false}
  const kvs: RangeEntry[] = []
  let bytes = 0
  for (let i = start; i < end && kvs.length < query.limit; i++) {
    const key = sortedKeys[i]!
    const stored = lookup(key)
    const value = query.keysOnly ? undefined : stored.value
    bytes += rangeEntryBytes(key, value)
    if (bytes > query.maxBytes && kvs.length > 0) break
    kvs.push(value === undefined ? {key, modIndex: stored.modIndex} : {key, value, modIndex: stored.modIndex})
  }
  return {kvs, count, more: kvs.length < count}
}

/** `[start, end)`: the positions in `sortedKeys` of the keys `range` covers. */
export function bounds(sortedKeys: readonly string[], range: KeyRange): [number, number] {
  if ('prefix' in range) {
    const start = firstFalse(sortedKeys, 0, (key) => compareKeys(key, range.prefix) < 0)
    return [start, firstFalse(sortedKeys, start, (key) => key.startsWith(range.prefix))]
  }
  const start = firstFalse(sortedKeys, 0, (key) => compareKeys(key, range.from) < 0)
  const to = range.to
  if (to === null) return [start, sortedKeys.length]
  return [start, Math.max(start, firstFalse(sortedKeys, start, (key) => compareKeys(key, to) < 0))]
}

/** The first position at or after `from` where `test` is false; `test` must be true then false along the array. */
function firstFalse(sorted: readonly string[], from: number, test: (key: string) => boolean): number {
  let lo = from
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (test(sorted[mid]!)) lo = mid + 1
    else hi = mid
  }
  return lo
}
