/**
 * The daemon's UTF-8 decoder for long strings, installed into src/kv (which imports no node:*
 * module) with `useNativeUtf8Decoder`: node:buffer checks the bytes, and an ASCII value (the
 * common case for large values) becomes a string by a latin1 copy instead of a UTF-8 decode
 * (issue 23: about a sixth of a fatal TextDecoder's time for a 256 KiB value).
 */
import {isAscii, isUtf8} from 'node:buffer'

/**
 * The text of `bytes` when they are valid UTF-8 (the same string a fatal, BOM-keeping TextDecoder
 * gives), or null when they are not.
 */
export function decodeUtf8(bytes: Uint8Array): string | null {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (!isUtf8(buf)) return null
  return buf.toString(isAscii(buf) ? 'latin1' : 'utf8')
}
