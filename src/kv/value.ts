/**
 * How the store holds a value: as text (a JavaScript string) or, for large values, as the UTF-8
 * bytes the log entry already carries (issue 23: a follower applying a put of a 256 KiB value
 * spent about a tenth of its CPU decoding it into a string nobody read, and the leader as much
 * decoding the binary put frame). Text is made from the bytes only when a reader needs it (a
 * get, a range, a cas or txn compare, an append, a watch event). Every result, snapshot and hash
 * is the same whichever form a value has: the forms are an implementation detail of one node.
 *
 * A value held as bytes is valid UTF-8 (checked when it was decoded or encoded) and is never
 * modified by anyone: it is a view of a log entry's own buffer (never of a buffer that is reused
 * or shared with other data; see {@link VALUE_BYTES_FROM}). Pure: the native UTF-8 checks come
 * from the host ({@link useNativeUtf8}); src/kv imports no node:* module.
 */

/** A value: text, or the UTF-8 bytes of well-formed text (valid UTF-8, never modified). */
export type KvValue = string | Uint8Array

/**
 * Values of at least this many UTF-8 bytes are applied as views of the log entry's bytes
 * instead of being decoded into strings: 4 KiB, where binary put frames start too (a smaller value
 * decodes in about a microsecond, and a view costs an object and keeps its entry's buffer alive).
 * A view keeps only its own entry's buffer alive: the transport copies each received entry out of
 * its message, the leader encodes each entry into a buffer of its own, and the WAL copies the
 * entries it reads at start-up.
 */
export const VALUE_BYTES_FROM = 4096

/** Native checks of UTF-8 bytes (the daemon passes node:buffer's `isUtf8` and `isAscii`). */
export interface NativeUtf8 {
  /** True when `bytes` are valid UTF-8. */
  isUtf8(bytes: Uint8Array): boolean
  /** True when every byte of `bytes` is below 0x80. */
  isAscii(bytes: Uint8Array): boolean
}

let native: NativeUtf8 | null = null

/**
 * Check UTF-8 with `checks` from now on (null: this module's JavaScript fallbacks, a decode to
 * check validity and a loop to count UTF-16 units). The daemon installs node:buffer's, which check
 * 256 KiB in microseconds; the results are the same either way.
 */
export function useNativeUtf8(checks: NativeUtf8 | null): void {
  native = checks
}

const decoder = new TextDecoder('utf-8', {fatal: true, ignoreBOM: true})

/** True when `bytes` are valid UTF-8 (so they decode to well-formed text and back unchanged). */
export function isValidUtf8(bytes: Uint8Array): boolean {
  if (native !== null) return native.isUtf8(bytes)
  try {
    decoder.decode(bytes)
    return true
  } catch {
    return false
  }
}

/** The text of `value` (decoded when it is bytes; they are valid UTF-8). */
export function valueText(value: KvValue): string {
  return typeof value === 'string' ? value : decoder.decode(value)
}

/**
 * Number of UTF-16 units of the text of `value` (its `length` as a string), counted from the bytes
 * without decoding them: one unit per character, two for one of 4 UTF-8 bytes.
 */
export function valueUnits(value: KvValue): number {
  if (typeof value === 'string') return value.length
  if (native !== null && native.isAscii(value)) return value.length
  let units = 0
  for (let i = 0; i < value.length; i++) {
    const byte = value[i]!
    if ((byte & 0xc0) !== 0x80) units += byte >= 0xf0 ? 2 : 1
  }
  return units
}

/** True when the texts of `a` and `b` are equal (bytes compared as bytes, text against bytes by decoding). */
export function valuesEqual(a: KvValue, b: KvValue): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a === b
  if (typeof a !== 'string' && typeof b !== 'string') return bytesEqual(a, b)
  return valueText(a) === valueText(b)
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
