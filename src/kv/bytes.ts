/**
 * Low-level binary helpers shared by the command, result and snapshot codecs: a sized writer
 * and a bounds-checked reader (big-endian integers written and read byte by byte), UTF-8
 * strings as a uint32 byte length followed by the bytes, and 53-bit safe integers as two
 * uint32 halves. They are on the path of every write on every node, so they allocate nothing
 * but the output: strings are encoded straight into the writer's buffer.
 * Every read failure throws a {@link KvError} with the code the caller chose (`BAD_REQUEST`
 * for commands and results, `CORRUPT` for snapshots), never a RangeError or TypeError.
 */
import {KvError, type KvErrorCode} from './errors.js'

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', {fatal: true, ignoreBOM: true})
const TWO_32 = 0x1_0000_0000
/** Largest high half of a safe integer: 2^53 - 1 = (2^21 - 1) * 2^32 + (2^32 - 1). */
const MAX_SAFE_HIGH = 0x1f_ffff
/** Matches a lone surrogate; a well-formed pair is one code point under the `u` flag. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u
/** `String.prototype.isWellFormed` (ES2024; Node 20 has it), or undefined on an older engine. */
const nativeIsWellFormed = (String.prototype as {isWellFormed?: (this: string) => boolean}).isWellFormed

/** True when every byte of `bytes` from `start` to `end` is ASCII (valid UTF-8 on its own). */
function isAscii(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (bytes[i]! >= 0x80) return false
  return true
}

/** UTF-8 bytes of a string. The caller must have checked {@link isWellFormed}. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text)
}

/** True when `text` has no lone surrogate, i.e. it survives a UTF-8 round trip unchanged. */
export function isWellFormed(text: string): boolean {
  return nativeIsWellFormed !== undefined ? nativeIsWellFormed.call(text) : !LONE_SURROGATE.test(text)
}

/**
 * Strings at least this long are measured and written by the engine's UTF-8 encoder (native
 * code, about 40× faster than a JavaScript loop over a 16 KiB value); shorter ones by a loop,
 * which costs less than the call for a key or a client id.
 */
export const NATIVE_UTF8_FROM = 64

/** Scratch room {@link utf8Length} encodes into: grown to 3 × the longest string measured, up to {@link MAX_SCRATCH}. */
let scratch = new Uint8Array(0)
/** Largest scratch kept (over 3 × a 1 MiB value); a longer string is encoded into a buffer of its own. */
const MAX_SCRATCH = 4 * 1024 * 1024

/** Number of UTF-8 bytes of a well-formed string (the caller checked {@link isWellFormed}). */
export function utf8Length(text: string): number {
  if (text.length >= NATIVE_UTF8_FROM) return nativeUtf8Length(text)
  let bytes = 0
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i)
    if (unit < 0x80) bytes += 1
    else if (unit < 0x800) bytes += 2
    else if (unit >= 0xd800 && unit <= 0xdbff) {
      bytes += 4 // a high surrogate starts a pair (well-formed input): 4 bytes for both units
      i++
    } else bytes += 3
  }
  return bytes
}

/** UTF-8 length by encoding into scratch room of 3 bytes per UTF-16 unit (always enough). */
function nativeUtf8Length(text: string): number {
  const room = text.length * 3
  if (room > MAX_SCRATCH) return encoder.encode(text).length
  if (scratch.length < room) scratch = new Uint8Array(room)
  return encoder.encodeInto(text, scratch).written
}

/** Bytes taken by a length-prefixed byte string of `length` bytes. */
export function prefixed(length: number): number {
  return 4 + length
}

/**
 * Writes into a buffer of a size computed up front (no growing). Writing past the end is a
 * programming error: a RangeError.
 */
export class ByteWriter {
  /** The buffer being written. */
  readonly bytes: Uint8Array
  private pos = 0

  /** A writer over a new buffer of `size` bytes, or over `buffer` (written from its start). */
  constructor(size: number | Uint8Array) {
    this.bytes = typeof size === 'number' ? new Uint8Array(size) : size
  }

  /** Bytes written so far. */
  get offset(): number {
    return this.pos
  }

  u8(value: number): void {
    this.room(1)
    this.bytes[this.pos++] = value
  }

  u16(value: number): void {
    this.room(2)
    this.bytes[this.pos++] = value >>> 8
    this.bytes[this.pos++] = value
  }

  u32(value: number): void {
    this.room(4)
    const b = this.bytes
    b[this.pos++] = value >>> 24
    b[this.pos++] = value >>> 16
    b[this.pos++] = value >>> 8
    b[this.pos++] = value
  }

  /** A non-negative safe integer as high and low uint32 halves. */
  u53(value: number): void {
    this.u32(Math.floor(value / TWO_32))
    this.u32(value % TWO_32)
  }

  /** Raw bytes, no prefix. */
  raw(bytes: Uint8Array): void {
    this.room(bytes.length)
    this.bytes.set(bytes, this.pos)
    this.pos += bytes.length
  }

  /**
   * A uint32 byte length then the UTF-8 bytes of `text`, a well-formed string whose
   * {@link utf8Length} is `byteLength`. Short ASCII (byte length = length) is copied unit by
   * unit; anything else goes through the native encoder.
   */
  string(text: string, byteLength: number): void {
    this.u32(byteLength)
    this.room(byteLength)
    if (byteLength === text.length && byteLength < NATIVE_UTF8_FROM) {
      const b = this.bytes
      for (let i = 0, p = this.pos; i < byteLength; i++, p++) b[p] = text.charCodeAt(i)
    } else {
      const {read, written} = encoder.encodeInto(text, this.bytes.subarray(this.pos, this.pos + byteLength))
      if (written !== byteLength || read !== text.length) throw new RangeError(`utf8Length mismatch: expected ${byteLength} bytes, wrote ${written}`)
    }
    this.pos += byteLength
  }

  private room(length: number): void {
    if (this.pos + length > this.bytes.length) throw new RangeError(`ByteWriter: ${length} bytes at offset ${this.pos} overflow a buffer of ${this.bytes.length}`)
  }

  /** A uint32 length then the bytes. */
  lengthPrefixed(bytes: Uint8Array): void {
    this.u32(bytes.length)
    this.raw(bytes)
  }
}

/** Bounds-checked reader; every failure is a {@link KvError} with code `code`. */
export class ByteReader {
  private pos = 0
  private asBuffer: Buffer | null = null

  constructor(
    private readonly bytes: Uint8Array,
    private readonly code: KvErrorCode,
  ) {}

  /** Bytes consumed so far. */
  get offset(): number {
    return this.pos
  }

  /** Bytes left to read. */
  get remaining(): number {
    return this.bytes.length - this.pos
  }

  /** Throw a {@link KvError} with this reader's code, naming the offset. */
  fail(message: string, code: KvErrorCode = this.code): never {
    throw new KvError(code, `${message} (at byte ${this.pos})`)
  }

  u8(what: string): number {
    this.need(1, what)
    return this.bytes[this.pos++]!
  }

  u16(what: string): number {
    this.need(2, what)
    const b = this.bytes
    const value = (b[this.pos]! << 8) | b[this.pos + 1]!
    this.pos += 2
    return value
  }

  u32(what: string, suffix = ''): number {
    this.need(4, what, suffix)
    const b = this.bytes
    const p = this.pos
    const value = ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0
    this.pos = p + 4
    return value
  }

  /** A safe integer written by {@link ByteWriter.u53}. */
  u53(what: string): number {
    const high = this.u32(what)
    const low = this.u32(what)
    if (high > MAX_SAFE_HIGH) this.fail(`${what} is beyond 2^53 - 1`)
    return high * TWO_32 + low
  }

  /** A 0/1 byte. */
  bool(what: string): boolean {
    const value = this.u8(what)
    if (value > 1) this.fail(`${what} must be 0 or 1, got ${value}`)
    return value === 1
  }

  /** `length` raw bytes (a view into the input, not a copy). */
  raw(length: number, what: string): Uint8Array {
    this.need(length, what)
    const out = this.bytes.subarray(this.pos, this.pos + length)
    this.pos += length
    return out
  }

  /** A uint32-length-prefixed byte string (a copy). */
  lengthPrefixed(what: string): Uint8Array {
    const length = this.u32(what, ' length')
    return this.raw(length, what).slice()
  }

  /**
   * A uint32-length-prefixed UTF-8 string. Fails with this reader's code when truncated or
   * not valid UTF-8, and with `PAYLOAD_TOO_LARGE` when longer than `maxBytes`.
   */
  string(what: string, maxBytes = Infinity): string {
    const length = this.u32(what, ' length')
    this.need(length, what)
    if (length > maxBytes) this.fail(`${what} is ${length} bytes, over the limit of ${maxBytes}`, 'PAYLOAD_TOO_LARGE')
    return this.decode(this.raw(length, what), what)
  }

  /**
   * A uint32-length-prefixed UTF-8 string left as bytes: fails as {@link string} does when
   * truncated or not valid UTF-8, else moves past it and returns its byte length (its bytes are
   * {@link input}'s, ending at {@link offset}). Makes no string for ASCII (checked in place);
   * anything else is checked by the same decoder {@link string} uses, its string dropped.
   */
  utf8(what: string): number {
    const length = this.u32(what, ' length')
    this.need(length, what)
    const start = this.pos
    if (!isAscii(this.bytes, start, start + length)) this.decode(this.bytes.subarray(start, start + length), what)
    this.pos += length
    return length
  }

  /** The bytes being read, as a Buffer over the same memory (made once). */
  get input(): Buffer {
    this.asBuffer ??= Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength)
    return this.asBuffer
  }

  /** Fail unless every byte was consumed. */
  end(what: string): void {
    if (this.remaining !== 0) this.fail(`${this.remaining} unexpected trailing bytes after ${what}`)
  }

  /** Fail unless `length` more bytes are there; the message names `what` + `suffix` (built only then). */
  private need(length: number, what: string, suffix = ''): void {
    if (length > this.bytes.length - this.pos) this.fail(`truncated: ${what}${suffix} needs ${length} bytes, ${this.remaining} left`)
  }

  private decode(bytes: Uint8Array, what: string): string {
    try {
      return decoder.decode(bytes)
    } catch {
      return this.fail(`${what} is not valid UTF-8`)
    }
  }
}
