/**
 * Low-level binary helpers shared by the command, result and snapshot codecs: a sized writer
 * and a bounds-checked reader over `DataView` (big-endian), UTF-8 strings as a uint32 byte
 * length followed by the bytes, and 53-bit safe integers as two uint32 halves.
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

/** UTF-8 bytes of a string. The caller must have checked {@link isWellFormed}. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text)
}

/** True when `text` has no lone surrogate, i.e. it survives a UTF-8 round trip unchanged. */
export function isWellFormed(text: string): boolean {
  return !LONE_SURROGATE.test(text)
}

/** Number of UTF-8 bytes of a well-formed string, without encoding it. */
export function utf8Length(text: string): number {
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

/** Bytes taken by a length-prefixed byte string of `length` bytes. */
export function prefixed(length: number): number {
  return 4 + length
}

/**
 * Writes into a buffer of a size computed up front (no growing). Writing past the end is a
 * programming error (RangeError from DataView).
 */
export class ByteWriter {
  /** The buffer being written. */
  readonly bytes: Uint8Array
  private readonly view: DataView
  private pos = 0

  constructor(size: number) {
    this.bytes = new Uint8Array(size)
    this.view = new DataView(this.bytes.buffer)
  }

  /** Bytes written so far. */
  get offset(): number {
    return this.pos
  }

  u8(value: number): void {
    this.view.setUint8(this.pos, value)
    this.pos += 1
  }

  u16(value: number): void {
    this.view.setUint16(this.pos, value)
    this.pos += 2
  }

  u32(value: number): void {
    this.view.setUint32(this.pos, value)
    this.pos += 4
  }

  /** A non-negative safe integer as high and low uint32 halves. */
  u53(value: number): void {
    this.u32(Math.floor(value / TWO_32))
    this.u32(value % TWO_32)
  }

  /** Raw bytes, no prefix. */
  raw(bytes: Uint8Array): void {
    this.bytes.set(bytes, this.pos)
    this.pos += bytes.length
  }

  /** A uint32 byte length then the UTF-8 bytes of `text`; `byteLength` is its {@link utf8Length}. */
  string(text: string, byteLength: number): void {
    this.u32(byteLength)
    const {written} = encoder.encodeInto(text, this.bytes.subarray(this.pos, this.pos + byteLength))
    if (written !== byteLength) throw new RangeError(`utf8Length mismatch: expected ${byteLength} bytes, wrote ${written}`)
    this.pos += byteLength
  }

  /** A uint32 length then the bytes. */
  lengthPrefixed(bytes: Uint8Array): void {
    this.u32(bytes.length)
    this.raw(bytes)
  }
}

/** Bounds-checked reader; every failure is a {@link KvError} with code `code`. */
export class ByteReader {
  private readonly view: DataView
  private pos = 0

  constructor(
    private readonly bytes: Uint8Array,
    private readonly code: KvErrorCode,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

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
    const value = this.view.getUint8(this.pos)
    this.pos += 1
    return value
  }

  u16(what: string): number {
    this.need(2, what)
    const value = this.view.getUint16(this.pos)
    this.pos += 2
    return value
  }

  u32(what: string): number {
    this.need(4, what)
    const value = this.view.getUint32(this.pos)
    this.pos += 4
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
    const length = this.u32(`${what} length`)
    return this.raw(length, what).slice()
  }

  /**
   * A uint32-length-prefixed UTF-8 string. Fails with this reader's code when truncated or
   * not valid UTF-8, and with `PAYLOAD_TOO_LARGE` when longer than `maxBytes`.
   */
  string(what: string, maxBytes = Infinity): string {
    const length = this.u32(`${what} length`)
    this.need(length, what)
    if (length > maxBytes) this.fail(`${what} is ${length} bytes, over the limit of ${maxBytes}`, 'PAYLOAD_TOO_LARGE')
    return this.decode(this.raw(length, what), what)
  }

  /** Fail unless every byte was consumed. */
  end(what: string): void {
    if (this.remaining !== 0) this.fail(`${this.remaining} unexpected trailing bytes after ${what}`)
  }

  private need(length: number, what: string): void {
    if (length > this.remaining) this.fail(`truncated: ${what} needs ${length} bytes, ${this.remaining} left`)
  }

  private decode(bytes: Uint8Array, what: string): string {
    try {
      return decoder.decode(bytes)
    } catch {
      return this.fail(`${what} is not valid UTF-8`)
    }
  }
}
