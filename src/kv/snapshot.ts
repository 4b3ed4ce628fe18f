/**
 * The KV snapshot format, versioned and checksummed. Everything is big-endian; `str` is a
 * uint32 byte length then UTF-8; `u53` is a safe integer as two uint32 halves (high, low).
 *
 * ```
 * magic "RKVS" (4 bytes) · u16 version = 2 · u53 appliedIndex
 * u32 keyCount    · keyCount × (str key · str value · u53 modIndex)  in store iteration order
 * u32 sessionCount · sessionCount × (str clientId · u53 seq · u53 lastIndex ·
 *                                     u32 length · result bytes)  least recently used first
 * u32 crc32 (IEEE) of every preceding byte
 * ```
 * Decoding validates everything and throws {@link KvError} `CORRUPT`: size, magic, version,
 * checksum, UTF-8, empty or duplicate keys and client ids, modIndex ≤ appliedIndex, seq ≥ 1,
 * session indexes strictly increasing and ≤ appliedIndex, each cached result decodable, no
 * trailing bytes.
 *
 * Version 1 (before keys had a modIndex: `keyCount × (str key · str value)`, the rest the same)
 * is still read: its keys get modIndex 0, "unknown", until written again. Any other version is
 * refused as `CORRUPT` naming the versions this build reads.
 */
import {ByteReader, ByteWriter, utf8Length} from './bytes.js'
import {decodeResult, encodeResult, type KvResult} from './commands.js'
import {crc32} from './crc32.js'
import {KvError} from './errors.js'
import type {KvLimits} from './limits.js'
import {SessionTable, type SessionRecord} from './sessions.js'
import {KvStore, type CapturedText, type KvStoreCapture} from './store.js'

/**
 * Size at which {@link encodeSnapshotPieces} ends a piece: 256 KiB. Each piece is encoded in one
 * go on the caller's thread (about a millisecond per piece of 100-byte keys), so this bounds the
 * stall one step of a background snapshot causes.
 */
export const SNAPSHOT_PIECE_BYTES = 256 * 1024

/** Current snapshot format version (what {@link encodeSnapshot} writes). */
export const KV_SNAPSHOT_VERSION = 2

/** The version before keys carried a modIndex; still read (modIndex 0). */
export const KV_SNAPSHOT_VERSION_WITHOUT_MOD_INDEX = 1

/** The four magic bytes "RKVS" that start every snapshot. */
export const KV_SNAPSHOT_MAGIC: Uint8Array = Uint8Array.of(0x52, 0x4b, 0x56, 0x53)

/** magic + version + appliedIndex + two counts + crc. */
const MIN_SNAPSHOT_BYTES = 4 + 2 + 8 + 4 + 4 + 4

/** The whole replicated state, as held by the state machine. */
export interface KvState {
  readonly appliedIndex: number
  readonly store: KvStore
  readonly sessions: SessionTable
}

/** Serialize `state`. Deterministic: equal states give byte-identical output. */
export function encodeSnapshot(state: KvState): Uint8Array {
  const entries = [...state.store.entries()].map(([key, value]) => ({key, value, keyBytes: utf8Length(key), valueBytes: utf8Length(value.value)}))
  const sessions = [...state.sessions.records()].map((record) => ({record, idBytes: utf8Length(record.clientId), result: encodeResult(record.result)}))
  let size = MIN_SNAPSHOT_BYTES
  for (const entry of entries) size += 16 + entry.keyBytes + entry.valueBytes
  for (const session of sessions) size += 4 + session.idBytes + 16 + 4 + session.result.length
  const writer = new ByteWriter(size)
  writer.raw(KV_SNAPSHOT_MAGIC)
  writer.u16(KV_SNAPSHOT_VERSION)
  writer.u53(state.appliedIndex)
  writer.u32(entries.length)
  for (const entry of entries) {
    writer.string(entry.key, entry.keyBytes)
    writer.string(entry.value.value, entry.valueBytes)
    writer.u53(entry.value.modIndex)
  }
  writer.u32(sessions.length)
  for (const {record, idBytes, result} of sessions) writeSession(writer, record, idBytes, result)
  writer.u32(crc32(writer.bytes, 0, writer.offset))
  return writer.bytes
}

/**
 * Longest a piece of {@link encodeSnapshotPieces} may take to encode, ms: 4. A piece ends at
 * {@link SNAPSHOT_PIECE_BYTES} or once this much time has passed (checked every
 * {@link SNAPSHOT_CLOCK_KEYS} keys), whichever comes first: on a busy machine, or while the
 * garbage collector marks a large heap, 256 KiB took 10–80 ms (measured at 1M keys), and each
 * piece runs in one turn of the event loop.
 */
export const SNAPSHOT_PIECE_MS = 4

/** Keys encoded between two reads of the clock in {@link encodeSnapshotPieces}. */
export const SNAPSHOT_CLOCK_KEYS = 64

/**
 * The snapshot of a state captured copy-on-write (`capture` taken at `appliedIndex`, `sessions`
 * encoded then by {@link encodeSessions}), as pieces of about `pieceBytes` (or `pieceMs` of
 * work, see {@link SNAPSHOT_PIECE_MS}) whose concatenation is a snapshot in the format above.
 * Lazy: each `next()` encodes one piece, so the caller can interleave them with writes to the
 * store. Where a piece ends depends on the clock; the bytes never do. The capture is released
 * when the generator ends or is abandoned (`return()`). Byte-identical to {@link encodeSnapshot}
 * of the state at the capture, whatever changed meanwhile. Per key it allocates nothing: a key
 * (and a value the store keeps as a string) is written straight into the buffer by the native
 * UTF-8 writer (which returns the byte count, so nothing is measured twice), its length prefix
 * filled in after; a value the store keeps as bytes is copied from them.
 *
 * Where the pieces live (`reuse`):
 * - false (default): consecutive views of one buffer of the whole snapshot, allocated at the
 *   first piece (whole: `new Uint8Array(pieces[0].buffer, pieces[0].byteOffset, total)`), for a
 *   consumer that keeps them. That buffer (122 MiB at 1M keys of 100 B) is external memory to
 *   V8, and growing it by more than 64 MiB starts a mark-compact of the whole heap: one per
 *   snapshot, 100–1,000 ms of pauses at 1M keys on a busy machine.
 * - true: every piece is written into one buffer of about `pieceBytes` (larger only for an entry
 *   that does not fit in it), reused: **a piece is valid only until the next `next()`**, for a
 *   consumer that writes or hashes each piece before asking for the next. Memory outside the
 *   heap stays at one piece whatever the state's size.
 */
export function* encodeSnapshotPieces(
  appliedIndex: number, capture: KvStoreCapture, sessions: Uint8Array, pieceBytes = SNAPSHOT_PIECE_BYTES, pieceMs = SNAPSHOT_PIECE_MS, reuse = false,
): Generator<Uint8Array, void, undefined> {
  try {
    const total = MIN_SNAPSHOT_BYTES + 16 * capture.size + capture.dataBytes + sessions.length - 4
    // Not zero-filled: every byte handed out is written (the total is checked at the end).
    const scratch = Buffer.allocUnsafeSlow(reuse ? Math.max(HEADER_BYTES, pieceBytes + ENTRY_SLACK_BYTES) : total)
    let buf = scratch
    const header = new ByteWriter(new Uint8Array(buf.buffer, buf.byteOffset, HEADER_BYTES))
    header.raw(KV_SNAPSHOT_MAGIC)
    header.u16(KV_SNAPSHOT_VERSION)
    header.u53(appliedIndex)
    header.u32(capture.size)
    let at = HEADER_BYTES
    let start = 0
    /** Bytes handed out in earlier buffers (reuse), for the size check. */
    let before = 0
    let crc = 0
    /** The piece so far, checksummed; the next one starts after it (in a reused buffer: at its start). */
    const cut = (): Uint8Array => {
      crc = crc32(buf, start, at, crc)
      const piece = new Uint8Array(buf.buffer, buf.byteOffset + start, at - start)
      if (reuse) {
        before += at
        buf = scratch
        at = 0
      }
      start = at
      return piece
    }
    yield cut()
    let keys = 0
    let began = performance.now()
    /**
     * An entry that did not fit in the reused buffer: written at the start of the next piece (its
     * value as text: the record may change before then).
     */
    const held: {entry: [string, string, number] | null} = {entry: null}
    /** Most bytes an entry can take: 3 bytes of UTF-8 per UTF-16 unit at most. */
    const room = (key: string, value: CapturedText): number => 16 + 3 * key.length + (typeof value === 'string' ? 3 * value.length : capture.bytesOf(value))
    const put = (key: string, value: CapturedText, modIndex: number): void => {
      // Only a reused buffer can be too small (the whole one is sized exactly), so a piece ends
      // at most `room` early.
      if (reuse && at === 0 && room(key, value) > buf.length) {
        buf = Buffer.allocUnsafeSlow(16 + Buffer.byteLength(key, 'utf8') + Buffer.byteLength(capture.text(value), 'utf8'))
      }
      at = putString(buf, at, key)
      at = typeof value === 'string' ? putString(buf, at, value) : putRecordValue(buf, at, capture, value)
      buf.writeUInt32BE(Math.floor(modIndex / TWO_32), at)
      buf.writeUInt32BE(modIndex % TWO_32, at + 4)
      at += 8
    }
    const emit = (key: string, value: CapturedText, modIndex: number): boolean => {
      if (reuse && at > 0 && at + room(key, value) > buf.length) {
        held.entry = [key, capture.text(value), modIndex]
        return false
      }
      put(key, value, modIndex)
      if (at - start >= pieceBytes) return false
      return ++keys % SNAPSHOT_CLOCK_KEYS !== 0 || performance.now() - began < pieceMs
    }
    for (let all = capture.read(emit); ; all = capture.read(emit)) {
      if (all && held.entry === null) break
      yield cut()
      if (held.entry !== null) put(...held.entry)
      held.entry = null
      began = performance.now()
      if (all) break
    }
    if (before + at + sessions.length + 4 !== total) throw new Error(`snapshot capture size mismatch: ${total - before - at - sessions.length - 4} bytes left`)
    if (at + sessions.length + 4 > buf.length) {
      // A reused buffer too small for the sessions: they go as pieces of their own.
      if (at > start) yield cut()
      crc = crc32(sessions, 0, sessions.length, crc)
      yield sessions
      const trailer = Buffer.allocUnsafe(4)
      trailer.writeUInt32BE(crc, 0)
      return yield new Uint8Array(trailer.buffer, trailer.byteOffset, 4)
    }
    buf.set(sessions, at)
    at += sessions.length
    crc = crc32(buf, start, at, crc)
    buf.writeUInt32BE(crc, at)
    at += 4
    yield new Uint8Array(buf.buffer, buf.byteOffset + start, at - start)
  } finally {
    capture.release()
  }
}

/** magic + version + appliedIndex + key count: the first piece. */
const HEADER_BYTES = 18

/** Room a reused piece buffer has beyond `pieceBytes`: the last entry of a piece of 100-byte values fits without ending the piece early. */
const ENTRY_SLACK_BYTES = 4096

const TWO_32 = 0x1_0000_0000

/**
 * A uint32 byte length then the UTF-8 bytes of the well-formed `text`, at `at` of `buf`; returns
 * the offset after. Throws when `buf` has no room for all of it (a capture whose size was wrong).
 */
function putString(buf: Buffer, at: number, text: string): number {
  const room = buf.length - at - 4
  const written = room <= 0 ? 0 : buf.write(text, at + 4, room, 'utf8')
  if (room < 0 || (written === room && written < Buffer.byteLength(text, 'utf8'))) throw new Error('snapshot capture size mismatch: the buffer is full')
  buf.writeUInt32BE(written, at)
  return at + 4 + written
}

/**
 * A uint32 byte length then the bytes of the value of the capture's live record `record`, at
 * `at` of `buf`; returns the offset after. Throws when `buf` has no room (a capture whose size
 * was wrong).
 */
function putRecordValue(buf: Buffer, at: number, capture: KvStoreCapture, record: number): number {
  const bytes = capture.bytesOf(record)
  if (buf.length - at - 4 < bytes) throw new Error('snapshot capture size mismatch: the buffer is full')
  buf.writeUInt32BE(bytes, at)
  capture.copyValue(record, buf, at + 4)
  return at + 4 + bytes
}

/** The sessions section of a snapshot (count, then each session), for {@link encodeSnapshotPieces}. */
export function encodeSessions(table: SessionTable): Uint8Array {
  const sessions = [...table.records()].map((record) => ({record, idBytes: utf8Length(record.clientId), result: encodeResult(record.result)}))
  let size = 4
  for (const session of sessions) size += 4 + session.idBytes + 16 + 4 + session.result.length
  const writer = new ByteWriter(size)
  writer.u32(sessions.length)
  for (const {record, idBytes, result} of sessions) writeSession(writer, record, idBytes, result)
  return writer.bytes
}

function writeSession(writer: ByteWriter, record: SessionRecord, idBytes: number, result: Uint8Array): void {
  writer.string(record.clientId, idBytes)
  writer.u53(record.seq)
  writer.u53(record.lastIndex)
  writer.lengthPrefixed(result)
}

/**
 * Parse and validate a snapshot into a fresh state with `limits`. Sessions beyond
 * `limits.maxSessions` (a snapshot taken with a larger limit) are evicted oldest first.
 * Throws {@link KvError} `CORRUPT` on any malformed input. All at once: see
 * {@link SnapshotDecoder} for the same work in bounded steps.
 */
export function decodeSnapshot(data: Uint8Array, limits: KvLimits): KvState {
  const decoder = new SnapshotDecoder(data, limits, {crcBytes: Infinity, keys: Infinity})
  while (!decoder.step());
  return decoder.result()
}

/** Work per {@link SnapshotDecoder.step}: bytes checksummed, then keys decoded. */
export interface DecodeStepSize {
  readonly crcBytes: number
  readonly keys: number
}

/**
 * Default work per step of a {@link SnapshotDecoder}: 2 MiB of checksum or 2,000 keys, each about
 * 1–3 ms on this machine's cores (100-byte values), so a caller that yields between steps keeps
 * its event loop answering while a snapshot of a million keys is installed.
 */
export const DECODE_STEP: DecodeStepSize = {crcBytes: 2 * 1024 * 1024, keys: 2000}

/**
 * {@link decodeSnapshot} in bounded steps, for a snapshot installed while the node goes on
 * answering: the frame is checked at construction (size, magic, version), then each
 * {@link step} checksums `step.crcBytes` or decodes `step.keys` keys into a fresh store that
 * nothing else sees; the last step reads the sessions (bounded by `maxSessions`) and checks
 * that nothing trails. Throws {@link KvError} `CORRUPT` from the step that finds the fault.
 * Pure: the caller decides when the next step runs. The state is built apart from the live
 * one, so switching to it ({@link result}) is O(1) and a decode abandoned half-way leaves
 * nothing behind.
 */
export class SnapshotDecoder {
  private readonly version: number
  private readonly reader: ByteReader
  private readonly appliedIndex: number
  private readonly store: KvStore
  private crc = 0
  private checked = 0
  private keyCount = -1
  private nextKey = 0
  private state: KvState | null = null

  constructor(private readonly data: Uint8Array, private readonly limits: KvLimits, private readonly size: DecodeStepSize = DECODE_STEP) {
    this.version = checkHeader(data)
    this.reader = new ByteReader(data.subarray(0, data.length - 4), 'CORRUPT')
    this.reader.raw(4 + 2, 'header')
    this.appliedIndex = this.reader.u53('appliedIndex')
    this.store = new KvStore(limits)
  }

  /** Do the next bounded piece of work; true once the whole snapshot is decoded ({@link result}). */
  step(): boolean {
    if (this.state !== null) return true
    if (this.checked < this.data.length - 4) return this.checksum()
    if (this.keyCount < 0) this.keyCount = this.reader.u32('key count')
    if (this.nextKey < this.keyCount) return this.readKeys()
    const sessions = readSessions(this.reader, this.limits, this.appliedIndex)
    this.reader.end('snapshot')
    this.state = {appliedIndex: this.appliedIndex, store: this.store, sessions}
    return true
  }

  /** The decoded state; throws until {@link step} returned true. */
  result(): KvState {
    if (this.state === null) throw new Error('snapshot decode not finished')
    return this.state
  }

  private checksum(): false {
    const end = this.data.length - 4
    const to = Math.min(end, this.checked + this.size.crcBytes)
    this.crc = crc32(this.data, this.checked, to, this.crc)
    this.checked = to
    if (to === end) {
      const stored = new DataView(this.data.buffer, this.data.byteOffset, this.data.byteLength).getUint32(end)
      if (stored !== this.crc) throw corrupt(`checksum mismatch: stored 0x${hex(stored)}, computed 0x${hex(this.crc)}`)
    }
    return false
  }

  private readKeys(): false {
    const to = Math.min(this.keyCount, this.nextKey + this.size.keys)
    this.nextKey = readStore(this.reader, this.store, this.nextKey, to, this.version === KV_SNAPSHOT_VERSION ? this.appliedIndex : null)
    return false
  }
}

/** Size, magic and version, checked before anything is parsed (the checksum comes after); returns the version. */
function checkHeader(data: Uint8Array): number {
  if (!(data instanceof Uint8Array)) throw corrupt('snapshot must be a Uint8Array')
  if (data.length < MIN_SNAPSHOT_BYTES) throw corrupt(`snapshot is ${data.length} bytes, shorter than the minimum ${MIN_SNAPSHOT_BYTES}`)
  return checkMagicAndVersion(data)
}

/** The magic and the version at the start of `head` (the version, or KvError CORRUPT): shared by the whole-buffer and the streaming decoders. */
function checkMagicAndVersion(head: Uint8Array): number {
  if (!KV_SNAPSHOT_MAGIC.every((byte, i) => head[i] === byte)) throw corrupt('not a KV snapshot (bad magic)')
  const version = new DataView(head.buffer, head.byteOffset, head.byteLength).getUint16(4)
  if (version !== KV_SNAPSHOT_VERSION && version !== KV_SNAPSHOT_VERSION_WITHOUT_MOD_INDEX) {
    throw corrupt(`unsupported KV snapshot version ${version} (this raftctl reads versions ${KV_SNAPSHOT_VERSION_WITHOUT_MOD_INDEX} and ${KV_SNAPSHOT_VERSION}; a newer raftctl wrote it?)`)
  }
  return version
}

/**
 * Keys `from` up to `to` into `store`; returns `to`. `appliedIndex` null: a version-1 snapshot,
 * whose keys have no modIndex (0). The hot loop of a restore (a million keys at 1M): the field
 * names it passes the reader are constants (no string built per key), the key's number is added
 * to the message only on failure, and the UTF-8 byte counts the reader consumed are handed to
 * the store (not counted again).
 */
function readStore(reader: ByteReader, store: KvStore, from: number, to: number, appliedIndex: number | null): number {
  let i = from
  try {
    for (; i < to; i++) {
      const keyStart = reader.offset
      const key = reader.string('key')
      if (key.length === 0) reader.fail('empty key')
      const keyBytes = reader.offset - keyStart - 4
      const valueBytes = reader.utf8('value')
      const valueStart = reader.offset - valueBytes
      const modIndex = appliedIndex === null ? 0 : reader.u53('modIndex')
      if (appliedIndex !== null && modIndex > appliedIndex) reader.fail(`modIndex ${modIndex} is after the applied index ${appliedIndex}`)
      if (!store.loadBytes(key, keyBytes, reader.input, valueStart, valueBytes, modIndex)) reader.fail('duplicate key')
    }
  } catch (error) {
    if (error instanceof KvError) throw new KvError(error.code, `key #${i}: ${error.message}`)
    throw error
  }
  return to
}

function readSessions(reader: ByteReader, limits: KvLimits, appliedIndex: number): SessionTable {
  const sessions = new SessionTable(limits.maxSessions)
  const count = reader.u32('session count')
  for (let i = 0; i < count; i++) {
    const record = readSession(reader, i, appliedIndex)
    if (!sessions.load(record)) reader.fail(`session #${i} is a duplicate or out of last-use order`)
  }
  sessions.evictOverflow()
  return sessions
}

function readSession(reader: ByteReader, i: number, appliedIndex: number): SessionRecord {
  const clientId = reader.string(`session #${i} clientId`)
  if (clientId.length === 0) reader.fail(`session #${i} has an empty clientId`)
  const seq = reader.u53(`session #${i} seq`)
  if (seq < 1) reader.fail(`session #${i} seq must be at least 1`)
  const lastIndex = reader.u53(`session #${i} lastIndex`)
  if (lastIndex < 1 || lastIndex > appliedIndex) reader.fail(`session #${i} lastIndex ${lastIndex} is outside 1..${appliedIndex}`)
  const result = readResult(reader, reader.lengthPrefixed(`session #${i} result`), i)
  return {clientId, seq, lastIndex, result}
}

function readResult(reader: ByteReader, bytes: Uint8Array, i: number): KvResult {
  try {
    return decodeResult(bytes)
  } catch (error) {
    return reader.fail(`session #${i} result is malformed: ${(error as Error).message}`)
  }
}

function corrupt(message: string): KvError {
  return new KvError('CORRUPT', message)
}

function hex(value: number): string {
  return value.toString(16).padStart(8, '0')
}

/**
 * The check of a snapshot's bytes as they stream in, piece by piece in order (a snapshot received
 * from the leader, before anyone decodes it): the CRC-32 of every byte but the last four must be
 * the last four (big-endian), as {@link decodeSnapshot} checks. `verify` gives null when the
 * `byteLength` bytes all came and match, else why not.
 */
export class SnapshotChecksum {
  private crc = 0
  private seen = 0
  private readonly trailer = new Uint8Array(4)

  constructor(private readonly byteLength: number) {}

  /** The next piece of the snapshot's bytes. */
  update(piece: Uint8Array): void {
    const bodyEnd = Math.max(0, this.byteLength - 4)
    const from = this.seen
    const to = from + piece.length
    if (from < bodyEnd) this.crc = crc32(piece, 0, Math.min(to, bodyEnd) - from, this.crc)
    for (let at = Math.max(from, bodyEnd); at < Math.min(to, this.byteLength); at++) this.trailer[at - bodyEnd] = piece[at - from]!
    this.seen = to
  }

  /** Null when whole and sound, else the reason. */
  verify(): string | null {
    if (this.byteLength < MIN_SNAPSHOT_BYTES) return `snapshot is ${this.byteLength} bytes, shorter than the minimum ${MIN_SNAPSHOT_BYTES}`
    if (this.seen !== this.byteLength) return `snapshot has ${this.seen} of its ${this.byteLength} bytes`
    const stored = new DataView(this.trailer.buffer).getUint32(0)
    return stored === this.crc ? null : `checksum mismatch: stored 0x${hex(stored)}, computed 0x${hex(this.crc)}`
  }
}

/**
 * Bytes a {@link SnapshotStreamDecoder} asks for at a time: 1 MiB (one read in the thread pool;
 * about 10,000 keys of 100 B, decoded over several slices).
 */
export const STREAM_DECODE_READ_BYTES = 1024 * 1024

/**
 * {@link SnapshotDecoder} for a snapshot that is not in memory (a file received from the leader):
 * the caller reads its bytes in order into {@link space} (one reused buffer of about
 * {@link STREAM_DECODE_READ_BYTES}, grown only for an entry larger than it) and reports them with
 * {@link received}; each {@link step} decodes at most `step.keys` complete keys of what came, into
 * a fresh store nothing else sees. The checksum is computed as the bytes come and checked at the
 * end, before {@link result} gives anything (a corrupt snapshot throws {@link KvError} `CORRUPT`,
 * as does a malformed one, from the step that finds it). The sessions and the checksum, at the
 * end, are decoded once all bytes are in. Never holds more than a read's worth of the encoded
 * snapshot (plus the sessions section).
 */
export class SnapshotStreamDecoder {
  private buf: Uint8Array
  /** Unconsumed bytes are buf[start, end). */
  private start = 0
  private end = 0
  private got = 0
  /** The checksum of the bytes as they come, checked once all came. */
  private readonly checksum: SnapshotChecksum
  private version = 0
  private appliedIndex = 0
  private keyCount = -1
  private nextKey = 0
  private readonly store: KvStore
  private state: KvState | null = null

  constructor(readonly byteLength: number, private readonly limits: KvLimits, private readonly readBytes = STREAM_DECODE_READ_BYTES, private readonly size: DecodeStepSize = DECODE_STEP) {
    if (!Number.isSafeInteger(byteLength) || byteLength < MIN_SNAPSHOT_BYTES) throw corrupt(`snapshot is ${byteLength} bytes, shorter than the minimum ${MIN_SNAPSHOT_BYTES}`)
    this.buf = new Uint8Array(Math.min(byteLength, readBytes + ENTRY_SLACK_BYTES))
    this.store = new KvStore(limits)
    this.checksum = new SnapshotChecksum(byteLength)
  }

  /** Where the next bytes of the snapshot go (as many as its length, or fewer), or null once all of them came. */
  space(): Uint8Array | null {
    if (this.got === this.byteLength) return null
    if (this.start > 0) {
      this.buf.copyWithin(0, this.start, this.end)
      this.end -= this.start
      this.start = 0
    }
    if (this.buf.length - this.end < this.readBytes / 2) {
      const grown = new Uint8Array(Math.min(this.byteLength, this.end + this.readBytes))
      grown.set(this.buf.subarray(0, this.end))
      this.buf = grown
    }
    return this.buf.subarray(this.end, this.end + Math.min(this.buf.length - this.end, this.byteLength - this.got))
  }

  /** The next `n` bytes were written at the start of the last {@link space}. */
  received(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0 || this.end + n > this.buf.length || this.got + n > this.byteLength) throw new RangeError(`received ${n} bytes: more than the space given`)
    this.checksum.update(this.buf.subarray(this.end, this.end + n))
    this.end += n
    this.got += n
  }

  /** True once every byte came. */
  get complete(): boolean {
    return this.got === this.byteLength
  }

  /** True once the whole snapshot is decoded ({@link result}). */
  get done(): boolean {
    return this.state !== null
  }

  /**
   * Decode a bounded piece of what came; true when nothing more can be done until more bytes
   * come ({@link space}) or the decode is {@link done}. Throws KvError `CORRUPT`.
   */
  step(): boolean {
    if (this.state !== null) return true
    if (this.keyCount < 0) return this.header()
    if (this.nextKey < this.keyCount) return this.keys()
    if (!this.complete) return true
    return this.finish()
  }

  /** The decoded state; throws until {@link done}. */
  result(): KvState {
    if (this.state === null) throw new Error('snapshot decode not finished')
    return this.state
  }

  private header(): boolean {
    if (this.end - this.start < HEADER_BYTES) return true
    const head = this.buf.subarray(this.start, this.start + HEADER_BYTES)
    this.version = checkMagicAndVersion(head)
    const reader = new ByteReader(head, 'CORRUPT')
    reader.raw(6, 'header')
    this.appliedIndex = reader.u53('appliedIndex')
    this.keyCount = reader.u32('key count')
    this.start += HEADER_BYTES
    return false
  }

  /** Decode the complete keys that came, at most `size.keys`; true when none is complete. */
  private keys(): boolean {
    const withMod = this.version === KV_SNAPSHOT_VERSION
    const view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength)
    const max = Math.min(this.keyCount - this.nextKey, this.size.keys)
    let at = this.start
    let count = 0
    while (count < max) {
      if (this.end - at < 4) break
      const keyEnd = at + 4 + view.getUint32(at)
      if (this.end - keyEnd < 4) break
      const entryEnd = keyEnd + 4 + view.getUint32(keyEnd) + (withMod ? 8 : 0)
      if (entryEnd > this.end) break
      at = entryEnd
      count++
    }
    if (count === 0) {
      if (this.complete) throw corrupt(`key #${this.nextKey}: truncated`)
      return true
    }
    const reader = new ByteReader(this.buf.subarray(this.start, at), 'CORRUPT')
    this.nextKey = readStore(reader, this.store, this.nextKey, this.nextKey + count, withMod ? this.appliedIndex : null)
    this.start = at
    return false
  }

  private finish(): true {
    const bodyEnd = this.end - 4
    if (bodyEnd < this.start) throw corrupt('snapshot ends before its sessions')
    const mismatch = this.checksum.verify()
    if (mismatch !== null) throw corrupt(mismatch)
    const reader = new ByteReader(this.buf.subarray(this.start, bodyEnd), 'CORRUPT')
    const sessions = readSessions(reader, this.limits, this.appliedIndex)
    reader.end('snapshot')
    this.state = {appliedIndex: this.appliedIndex, store: this.store, sessions}
    this.start = this.end
    return true
  }
}
