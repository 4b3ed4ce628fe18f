/**
 * Binary codec of WAL records and segment headers (pure functions over Buffers).
 *
 * Record: `u32 length | u32 crc32 | u8 type | payload`, little-endian; `length` counts type +
 * payload and the CRC covers the same bytes. Integers that may exceed 2^32 are u64 on disk
 * (two u32 halves) and must be below 2^53 to be read back.
 */
import {crc32} from 'node:zlib'
import type {Entry, EntryType, HardState} from '../raft/types.js'

/** Bytes before a record's type byte: u32 length + u32 crc32. */
export const RECORD_HEADER_BYTES = 8

/** Magic at the start of every WAL segment (6 ASCII bytes), followed by a u16 format version. */
export const WAL_MAGIC = 'RCTWAL'

/** Format version written in segment headers. */
export const WAL_VERSION = 1

/** Bytes of a segment header (magic + version). */
export const SEGMENT_HEADER_BYTES = 8

/** Record types. */
export const RecordType = {
  /** One log entry: `u64 term | u64 index | u8 entry type | data`. */
  ENTRY: 1,
  /** Hard state, and the end of a batch: `u64 term | u64 commit | u8 hasVote | vote utf-8`. */
  STATE: 2,
  /** A snapshot was installed: `u64 index | u64 term | u8 keep` (keep: entries after index survive). */
  SNAPSHOT: 3,
} as const

/** A record type value. */
export type RecordTypeValue = (typeof RecordType)[keyof typeof RecordType]

/** The snapshot-installed marker carried by a SNAPSHOT record. */
export interface SnapshotMark {
  readonly index: number
  readonly term: number
  readonly keep: boolean
}

/** A decoded record. */
export type WalRecord =
  | {readonly type: typeof RecordType.ENTRY; readonly entry: Entry}
  | {readonly type: typeof RecordType.STATE; readonly hardState: HardState}
  | {readonly type: typeof RecordType.SNAPSHOT; readonly mark: SnapshotMark}

/** Thrown by decoders; `at` is the offset inside the payload where decoding failed. */
export class FormatError extends Error {
  constructor(message: string, readonly at: number) {
    super(message)
    this.name = 'FormatError'
  }
}

const TWO_32 = 2 ** 32
const ENTRY_TYPE_CODES: Record<EntryType, number> = {normal: 0, config: 1}
const ENTRY_TYPES_BY_CODE: readonly EntryType[] = ['normal', 'config']
const textEncoder = new TextEncoder()
const textDecoder = new TextDecoder('utf-8', {fatal: true})

/** Write a safe integer as u64 LE. */
export function writeU64(buf: Buffer, offset: number, n: number): void {
  buf.writeUInt32LE(n % TWO_32, offset)
  buf.writeUInt32LE(Math.floor(n / TWO_32), offset + 4)
}

/** Read a u64 LE; throws FormatError when it is not below 2^53. */
export function readU64(buf: Buffer, offset: number): number {
  const hi = buf.readUInt32LE(offset + 4)
  if (hi >= 2 ** 21) throw new FormatError('integer above 2^53', offset)
  return hi * TWO_32 + buf.readUInt32LE(offset)
}

/** The segment header bytes. */
export function segmentHeader(): Buffer {
  const buf = Buffer.alloc(SEGMENT_HEADER_BYTES)
  buf.write(WAL_MAGIC, 0, 'ascii')
  buf.writeUInt16LE(WAL_VERSION, 6)
  return buf
}

/** Null when `buf` starts with a valid segment header, else the reason. */
export function checkSegmentHeader(buf: Buffer): string | null {
  if (buf.length < SEGMENT_HEADER_BYTES) return 'short segment header'
  if (buf.toString('ascii', 0, 6) !== WAL_MAGIC) return 'not a WAL segment (bad magic)'
  const version = buf.readUInt16LE(6)
  return version === WAL_VERSION ? null : `unsupported WAL format version ${version}`
}

/** Bytes the record of `entry` takes on disk. */
export function entryRecordBytes(entry: Entry): number {
  return RECORD_HEADER_BYTES + 1 + 17 + entry.data.length
}

function voteBytes(hs: HardState): Uint8Array | null {
  return hs.vote === null ? null : textEncoder.encode(hs.vote)
}

/** Bytes the STATE record of `hs` takes on disk. */
export function stateRecordBytes(hs: HardState): number {
  return RECORD_HEADER_BYTES + 1 + 17 + (voteBytes(hs)?.length ?? 0)
}

/** Bytes of a SNAPSHOT record. */
export const SNAPSHOT_RECORD_BYTES = RECORD_HEADER_BYTES + 1 + 17

function sealRecord(buf: Buffer, start: number, end: number, type: RecordTypeValue): number {
  buf.writeUInt32LE(end - start - RECORD_HEADER_BYTES, start)
  buf.writeUInt8(type, start + RECORD_HEADER_BYTES)
  buf.writeUInt32LE(crc32(buf.subarray(start + RECORD_HEADER_BYTES, end)), start + 4)
  return end
}

/** Encode the ENTRY record of `entry` into `buf` at `at`; returns the end offset. */
export function putEntryRecord(buf: Buffer, at: number, entry: Entry): number {
  const p = at + RECORD_HEADER_BYTES + 1
  writeU64(buf, p, entry.term)
  writeU64(buf, p + 8, entry.index)
  buf.writeUInt8(ENTRY_TYPE_CODES[entry.type], p + 16)
  buf.set(entry.data, p + 17)
  return sealRecord(buf, at, p + 17 + entry.data.length, RecordType.ENTRY)
}

/** Encode the STATE record of `hs` into `buf` at `at`; returns the end offset. */
export function putStateRecord(buf: Buffer, at: number, hs: HardState): number {
  const p = at + RECORD_HEADER_BYTES + 1
  const vote = voteBytes(hs)
  writeU64(buf, p, hs.term)
  writeU64(buf, p + 8, hs.commit)
  buf.writeUInt8(vote === null ? 0 : 1, p + 16)
  if (vote !== null) buf.set(vote, p + 17)
  return sealRecord(buf, at, p + 17 + (vote?.length ?? 0), RecordType.STATE)
}

/** Encode a SNAPSHOT record into `buf` at `at`; returns the end offset. */
export function putSnapshotRecord(buf: Buffer, at: number, mark: SnapshotMark): number {
  const p = at + RECORD_HEADER_BYTES + 1
  writeU64(buf, p, mark.index)
  writeU64(buf, p + 8, mark.term)
  buf.writeUInt8(mark.keep ? 1 : 0, p + 16)
  return sealRecord(buf, at, p + 17, RecordType.SNAPSHOT)
}

/** Result of framing one record at an offset. */
export type Framed =
  | {readonly ok: true; readonly type: number; readonly payload: Buffer; readonly end: number}
  | {readonly ok: false; readonly reason: string}

/**
 * Check the frame (length and crc) of the record at `at`. Does not decode the payload.
 * `ok: false` means the bytes there are not a whole valid record (torn or corrupt).
 */
export function frameAt(buf: Buffer, at: number, maxRecordBytes: number): Framed {
  if (buf.length - at < RECORD_HEADER_BYTES + 1) return {ok: false, reason: 'short record header'}
  const length = buf.readUInt32LE(at)
  if (length === 0 || length > maxRecordBytes) return {ok: false, reason: `bad record length ${length}`}
  const end = at + RECORD_HEADER_BYTES + length
  if (end > buf.length) return {ok: false, reason: `record of ${length} bytes runs past the end of the file`}
  const body = buf.subarray(at + RECORD_HEADER_BYTES, end)
  if (crc32(body) !== buf.readUInt32LE(at + 4)) return {ok: false, reason: 'checksum mismatch'}
  return {ok: true, type: body[0], payload: body.subarray(1), end}
}

function need(payload: Buffer, bytes: number): void {
  if (payload.length < bytes) throw new FormatError(`payload of ${payload.length} bytes, need ${bytes}`, payload.length)
}

function decodeEntry(p: Buffer): Entry {
  need(p, 17)
  const term = readU64(p, 0)
  const index = readU64(p, 8)
  const type = ENTRY_TYPES_BY_CODE[p[16]]
  if (type === undefined) throw new FormatError(`unknown entry type ${p[16]}`, 16)
  if (term < 1 || index < 1) throw new FormatError('entry index and term must be >= 1', 0)
  return {term, index, type, data: new Uint8Array(p.subarray(17))}
}

function decodeState(p: Buffer): HardState {
  need(p, 17)
  const flag = p[16]
  if (flag > 1) throw new FormatError(`bad vote flag ${flag}`, 16)
  if (flag === 0 && p.length !== 17) throw new FormatError('trailing bytes after hard state', 17)
  let vote: string | null = null
  if (flag === 1) {
    try {
      vote = textDecoder.decode(p.subarray(17))
    } catch {
      throw new FormatError('vote is not valid UTF-8', 17)
    }
  }
  return {term: readU64(p, 0), commit: readU64(p, 8), vote}
}

function decodeMark(p: Buffer): SnapshotMark {
  if (p.length !== 17) throw new FormatError(`snapshot record of ${p.length} bytes, need 17`, 0)
  if (p[16] > 1) throw new FormatError(`bad keep flag ${p[16]}`, 16)
  return {index: readU64(p, 0), term: readU64(p, 8), keep: p[16] === 1}
}

/** Decode a framed record's payload. Throws FormatError for an unknown type or a malformed payload. */
export function decodeRecord(type: number, payload: Buffer): WalRecord {
  switch (type) {
    case RecordType.ENTRY:
      return {type, entry: decodeEntry(payload)}
    case RecordType.STATE:
      return {type, hardState: decodeState(payload)}
    case RecordType.SNAPSHOT:
      return {type, mark: decodeMark(payload)}
    default:
      throw new FormatError(`unknown record type ${type}`, -1)
  }
}

/** True when a valid, decodable record starts exactly at `at` (used to tell a torn tail from corruption). */
export function validRecordAt(buf: Buffer, at: number, maxRecordBytes: number): boolean {
  const length = buf.length - at >= 9 ? buf.readUInt32LE(at) : 0
  if (length === 0 || length > maxRecordBytes || at + RECORD_HEADER_BYTES + length > buf.length) return false
  const type = buf[at + RECORD_HEADER_BYTES]
  if (type < RecordType.ENTRY || type > RecordType.SNAPSHOT) return false
  const framed = frameAt(buf, at, maxRecordBytes)
  if (!framed.ok) return false
  try {
    decodeRecord(framed.type, framed.payload)
    return true
  } catch {
    return false
  }
}
