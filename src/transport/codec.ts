/**
 * Compact binary codec for every Raft {@link Message}, and the coalesced frame that carries
 * several of them in one WebSocket message. No JSON on the hot path.
 *
 * Message layout (all integers big-endian):
 * ```
 * u8  version (= WIRE_VERSION)      u8  type code (1..8, see TYPE_CODES)
 * str from                          str to          (str = u8 length 1..64 + UTF-8 bytes)
 * body per type                     (u64 = u32 high + u32 low, value < 2^53)
 * ```
 * Frame layout: `u8 version, u32 count (1..MAX_MESSAGES_PER_FRAME), count × (u32 length, item)`,
 * where an item is a message or a {@link SnapshotChunk} (type code {@link CHUNK_TYPE_CODE}: a
 * piece of an encoded snapshot message too large for one frame; the transport reassembles it).
 *
 * Decoding treats its input as hostile: every length is checked against what remains, nothing
 * is read past the end, trailing bytes are refused, numbers are non-negative integers < 2^53,
 * node ids are 1..64 bytes of well-formed UTF-8, flags have no unknown bits, entries are
 * consecutive. Anything else throws {@link CodecError}. Encoding applies the same rules, so a
 * frame we send is never one the receiver would refuse.
 */
import type {
  AppendRequest, AppendResponse, ConfState, Entry, EntryType, Heartbeat, HeartbeatResponse, Message,
  MessageType, NodeId, SnapshotMeta, SnapshotRequest, TimeoutNow, VoteRequest, VoteResponse,
} from '../raft/types.js'
import {DEFAULT_MAX_PAYLOAD_BYTES, MAX_CONF_MEMBERS, MAX_MESSAGES_PER_FRAME, MAX_NODE_ID_BYTES} from './limits.js'

/** Version byte that starts every message and every frame. Bumped on incompatible changes. */
export const WIRE_VERSION = 1

/** Bytes of a frame before its first message: version u8 + count u32. */
export const FRAME_HEADER_BYTES = 5

/** Bytes a frame adds per message: its u32 length prefix. */
export const FRAME_MESSAGE_OVERHEAD = 4

/**
 * Type code of a {@link SnapshotChunk} item. Not a Raft message type: chunks exist only on the
 * wire, between the sending and the receiving transport.
 */
export const CHUNK_TYPE_CODE = 9

/**
 * Bytes of a chunk item before its data, at most: version, type, two ids of up to 64 bytes
 * with their length bytes, total u32, offset u32, data length u32.
 */
export const MAX_CHUNK_HEADER_BYTES = 2 + 2 * (1 + MAX_NODE_ID_BYTES) + 12

/**
 * A piece of one encoded snapshot message (an output of {@link encodeMessage}) too large for one
 * frame. The chunks of one message travel in order on one connection: offsets 0, then each the
 * previous offset plus its data length, all with the same `total`, until `total` bytes arrived.
 */
export interface SnapshotChunk {
  readonly type: 'snapshotChunk'
  readonly from: NodeId
  readonly to: NodeId
  /** Bytes of the whole encoded message (1..2^32 − 1). */
  readonly total: number
  /** Where `data` starts in the whole message. */
  readonly offset: number
  /** 1 or more bytes; `offset + data.length ≤ total`. */
  readonly data: Uint8Array
}

/** One item of a frame: a Raft message or a snapshot chunk. */
export type FrameItem = Message | SnapshotChunk

/** Stable codes of {@link CodecError}. */
export type CodecErrorCode = 'BAD_FRAME' | 'PAYLOAD_TOO_LARGE' | 'UNKNOWN_TYPE'

/**
 * Raised for anything the codec refuses: malformed or truncated bytes (`BAD_FRAME`), input or
 * output over the size limit (`PAYLOAD_TOO_LARGE`), an unknown message type code or type name
 * (`UNKNOWN_TYPE`). Also raised by the encoders for a message that breaks the rules
 * (`BAD_FRAME`: it would be a bad frame on the wire).
 */
export class CodecError extends Error {
  /** Stable machine-readable reason. */
  readonly code: CodecErrorCode

  constructor(code: CodecErrorCode, message: string) {
    super(message)
    this.name = 'CodecError'
    this.code = code
  }
}

/** Options of the decoders and encoders. */
export interface CodecOptions {
  /** Refuse input (decode) or output (encode) longer than this many bytes. Default 64 MiB. */
  readonly maxBytes?: number
}

/** Wire code of each message type. Never reuse or renumber a code. */
export const TYPE_CODES: Readonly<Record<MessageType, number>> = Object.freeze({
  vote: 1, voteResp: 2, append: 3, appendResp: 4, heartbeat: 5, heartbeatResp: 6, snapshot: 7, timeoutNow: 8,
})

const TYPE_BY_CODE: ReadonlyMap<number, MessageType> = new Map(
  Object.entries(TYPE_CODES).map(([type, code]) => [code, type as MessageType]),
)

const ENTRY_TYPE_CODES: Readonly<Record<EntryType, number>> = {normal: 0, config: 1}
const ENTRY_TYPE_BY_CODE: readonly EntryType[] = ['normal', 'config']

const TWO_32 = 2 ** 32
/** Largest high word of a u64 below 2^53. */
const MAX_HIGH_WORD = 2 ** 21 - 1
const U32_MAX = TWO_32 - 1
/** Fixed bytes of one entry: term u64, index u64, type u8, data length u32. */
const ENTRY_FIXED_BYTES = 21
/** Smallest possible encoded message: version, type, two 1-byte ids (1+1 each), an 8-byte term. */
const MIN_MESSAGE_BYTES = 2 + 2 + 2 + 8

const utf8Encoder = new TextEncoder()
const utf8Decoder = new TextDecoder('utf-8', {fatal: true, ignoreBOM: true})
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

function bad(message: string): CodecError {
  return new CodecError('BAD_FRAME', message)
}

// ---------------------------------------------------------------------------------------------
// Node ids
// ---------------------------------------------------------------------------------------------

/** True when `id` is a valid node id: a string of 1..64 UTF-8 bytes with no lone surrogates. */
export function isValidNodeId(id: unknown): id is NodeId {
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_NODE_ID_BYTES) return false
  if (LONE_SURROGATE.test(id)) return false
  return utf8Encoder.encode(id).length <= MAX_NODE_ID_BYTES
}

/** Most validated ids remembered across encode calls (a cluster has few; the cache resets when full). */
const ID_CACHE_SIZE = 1024
const idCache = new Map<string, Uint8Array>()

/** UTF-8 bytes of a valid node id (validated once, then cached). Throws BAD_FRAME naming `field`. */
function idBytes(id: unknown, field: string): Uint8Array {
  const cached = typeof id === 'string' ? idCache.get(id) : undefined
  if (cached !== undefined) return cached
  if (!isValidNodeId(id)) throw bad(`${field}: node id must be 1..${MAX_NODE_ID_BYTES} bytes of UTF-8`)
  const bytes = utf8Encoder.encode(id)
  if (idCache.size >= ID_CACHE_SIZE) idCache.clear()
  idCache.set(id, bytes)
  return bytes
}

/** Encoded size of a node id as a `str` field (u8 length + bytes). */
function idSize(id: unknown, field: string): number {
  return 1 + idBytes(id, field).length
}

// ---------------------------------------------------------------------------------------------
// Writer / Reader
// ---------------------------------------------------------------------------------------------

/** Writes into a buffer of exactly the precomputed size. */
class Writer {
  readonly bytes: Uint8Array
  private readonly view: DataView
  private pos: number

  /** `headroom` bytes are left free before the `size` bytes written (see {@link encodeMessage}). */
  constructor(size: number, private readonly headroom = 0) {
    this.bytes = allocate(headroom + size)
    this.view = new DataView(this.bytes.buffer)
    this.pos = headroom
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

  /** A non-negative integer < 2^53 as high and low u32 words. */
  u64(value: number): void {
    this.u32(Math.floor(value / TWO_32))
    this.u32(value % TWO_32)
  }

  raw(bytes: Uint8Array): void {
    this.bytes.set(bytes, this.pos)
    this.pos += bytes.length
  }

  /** u8 length + bytes (node ids). */
  str(bytes: Uint8Array): void {
    this.u8(bytes.length)
    this.raw(bytes)
  }

  /** u32 length + bytes (entry and snapshot data). */
  blob(bytes: Uint8Array): void {
    this.u32(bytes.length)
    this.raw(bytes)
  }

  finish(): Uint8Array {
    if (this.pos !== this.bytes.length) throw new Error(`codec bug: wrote ${this.pos} of ${this.bytes.length} bytes`)
    return this.headroom === 0 ? this.bytes : this.bytes.subarray(this.headroom)
  }
}

/**
 * Messages at least this long get memory that is not zeroed first: {@link Writer.finish} checks
 * that every byte was written, and an append of a 256 KiB value is encoded once per peer, where
 * zeroing cost about as much as the copy (issue 23). Smaller ones are zeroed (no difference).
 */
export const UNZEROED_FROM_BYTES = 4096

/** A plain Uint8Array of `size` bytes, zeroed only when small ({@link UNZEROED_FROM_BYTES}). */
function allocate(size: number): Uint8Array {
  return size < UNZEROED_FROM_BYTES ? new Uint8Array(size) : new Uint8Array(Buffer.allocUnsafeSlow(size).buffer, 0, size)
}

/** Reads a bounded window [pos, end) of untrusted bytes; every read is bounds-checked. */
class Reader {
  private readonly view: DataView
  private pos: number

  /** @param alias `blob` returns views of `bytes` instead of copies (see {@link decodeMessageInPlace}). */
  constructor(private readonly bytes: Uint8Array, start: number, private readonly end: number, private readonly alias = false) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.pos = start
  }

  get offset(): number {
    return this.pos
  }

  remaining(): number {
    return this.end - this.pos
  }

  need(count: number, what: string): void {
    if (count > this.remaining()) throw bad(`truncated: ${what} needs ${count} bytes at offset ${this.pos}, ${this.remaining()} left`)
  }

  skip(count: number): void {
    this.need(count, 'skip')
    this.pos += count
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

  u64(what: string): number {
    const high = this.u32(what)
    const low = this.u32(what)
    if (high > MAX_HIGH_WORD) throw bad(`${what}: number exceeds 2^53 - 1`)
    return high * TWO_32 + low
  }

  /** Flag byte: bit i is `names[i]`; unknown bits are refused. */
  flags<K extends string>(what: string, names: readonly K[]): Record<K, boolean> {
    const value = this.u8(what)
    if (value >> names.length !== 0) throw bad(`${what}: unknown flag bits 0x${value.toString(16)}`)
    const out = {} as Record<K, boolean>
    names.forEach((name, bit) => {
      out[name] = (value & (1 << bit)) !== 0
    })
    return out
  }

  nodeId(what: string): NodeId {
    const length = this.u8(what)
    if (length < 1 || length > MAX_NODE_ID_BYTES) throw bad(`${what}: node id length ${length} outside 1..${MAX_NODE_ID_BYTES}`)
    this.need(length, what)
    const start = this.pos
    this.pos += length
    try {
      return utf8Decoder.decode(this.bytes.subarray(start, start + length))
    } catch {
      throw bad(`${what}: node id is not valid UTF-8`)
    }
  }

  /** u32 length + bytes, copied out (the result never aliases the input buffer, unless the reader was made to). */
  blob(what: string): Uint8Array {
    const length = this.u32(what)
    this.need(length, what)
    const start = this.pos
    this.pos += length
    return this.alias ? this.bytes.subarray(start, start + length) : this.bytes.slice(start, start + length)
  }

  /** The window must be consumed exactly. */
  finish(what: string): void {
    if (this.pos !== this.end) throw bad(`${what}: ${this.end - this.pos} trailing bytes`)
  }
}

// ---------------------------------------------------------------------------------------------
// Field checks shared by encode (on our own objects) and decode (semantic rules)
// ---------------------------------------------------------------------------------------------

/** A u64 field: a non-negative safe integer. Returns its encoded size. */
function u64Size(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw bad(`${field} must be a non-negative integer below 2^53, got ${String(value)}`)
  }
  return 8
}

function requireBool(value: unknown, field: string): void {
  if (typeof value !== 'boolean') throw bad(`${field} must be a boolean`)
}

function blobSize(value: unknown, field: string): number {
  if (!(value instanceof Uint8Array)) throw bad(`${field} must be a Uint8Array`)
  if (value.length > U32_MAX) throw new CodecError('PAYLOAD_TOO_LARGE', `${field} is ${value.length} bytes, over the u32 limit`)
  return 4 + value.length
}

function flagByte(...bits: boolean[]): number {
  return bits.reduce((acc, bit, i) => acc | (bit ? 1 << i : 0), 0)
}

/**
 * Entries of an AppendRequest: index ≥ 1, term ≥ 1, indexes consecutive starting at
 * `prevIndex + 1`, terms non-decreasing (types.ts `Entry` invariant).
 */
function checkEntries(prevIndex: number, entries: readonly Entry[]): void {
  let expectedIndex = prevIndex + 1
  let lastTerm = 1
  for (const [i, entry] of entries.entries()) {
    if (entry.index !== expectedIndex) throw bad(`entries[${i}].index is ${entry.index}, expected ${expectedIndex} (consecutive after prevIndex)`)
    if (entry.term < lastTerm) throw bad(`entries[${i}].term ${entry.term} is below the previous entry's term ${lastTerm} or below 1`)
    lastTerm = entry.term
    expectedIndex += 1
  }
}

/** Membership: at most MAX_CONF_MEMBERS ids in all, no id twice (in one list or across both). */
function checkConf(conf: ConfState): void {
  const total = conf.voters.length + conf.learners.length
  if (total > MAX_CONF_MEMBERS) throw bad(`configuration has ${total} members, over ${MAX_CONF_MEMBERS}`)
  const seen = new Set<NodeId>()
  for (const id of [...conf.voters, ...conf.learners]) {
    if (seen.has(id)) throw bad(`configuration lists node ${JSON.stringify(id)} twice`)
    seen.add(id)
  }
}

// ---------------------------------------------------------------------------------------------
// Per-type body codecs
// ---------------------------------------------------------------------------------------------

/** How one message type's body is sized (validating), written and read. */
interface BodyCodec<M extends Message> {
  /** Validate `m`'s body fields and return the body's encoded size. Throws CodecError. */
  size(m: M): number
  write(w: Writer, m: M): void
  read(r: Reader, from: NodeId, to: NodeId): M
}

type BodyCodecs = {readonly [K in MessageType]: BodyCodec<Extract<Message, {type: K}>>}

const voteCodec: BodyCodec<VoteRequest> = {
  size(m) {
    requireBool(m.pre, 'pre')
    requireBool(m.transfer, 'transfer')
    return u64Size(m.term, 'term') + u64Size(m.lastIndex, 'lastIndex') + u64Size(m.lastTerm, 'lastTerm') + 1
  },
  write(w, m) {
    w.u64(m.term)
    w.u64(m.lastIndex)
    w.u64(m.lastTerm)
    w.u8(flagByte(m.pre, m.transfer))
  },
  read(r, from, to) {
    const term = r.u64('term')
    const lastIndex = r.u64('lastIndex')
    const lastTerm = r.u64('lastTerm')
    const {pre, transfer} = r.flags('vote flags', ['pre', 'transfer'])
    return {type: 'vote', from, to, term, lastIndex, lastTerm, pre, transfer}
  },
}

const voteRespCodec: BodyCodec<VoteResponse> = {
  size(m) {
    requireBool(m.granted, 'granted')
    requireBool(m.pre, 'pre')
    return u64Size(m.term, 'term') + 1
  },
  write(w, m) {
    w.u64(m.term)
    w.u8(flagByte(m.granted, m.pre))
  },
  read(r, from, to) {
    const term = r.u64('term')
    const {granted, pre} = r.flags('voteResp flags', ['granted', 'pre'])
    return {type: 'voteResp', from, to, term, granted, pre}
  },
}

function entrySize(entry: Entry): number {
  if (typeof entry !== 'object' || entry === null) throw bad('entry must be an object')
  if (!Object.hasOwn(ENTRY_TYPE_CODES, entry.type)) throw bad(`entry.type must be 'normal' or 'config'`)
  u64Size(entry.term, 'entry.term')
  u64Size(entry.index, 'entry.index')
  return ENTRY_FIXED_BYTES - 4 + blobSize(entry.data, 'entry.data')
}

function readEntries(r: Reader): Entry[] {
  const count = r.u32('entry count')
  if (count * ENTRY_FIXED_BYTES > r.remaining()) throw bad(`entry count ${count} does not fit in ${r.remaining()} bytes`)
  const entries: Entry[] = []
  for (let i = 0; i < count; i++) {
    const term = r.u64('entry.term')
    const index = r.u64('entry.index')
    const typeCode = r.u8('entry.type')
    const type = ENTRY_TYPE_BY_CODE[typeCode]
    if (type === undefined) throw bad(`entries[${i}].type: unknown entry type ${typeCode}`)
    const data = r.blob('entry.data')
    entries.push({term, index, type, data})
  }
  return entries
}

const appendCodec: BodyCodec<AppendRequest> = {
  size(m) {
    let size = u64Size(m.term, 'term') + u64Size(m.prevIndex, 'prevIndex') + u64Size(m.prevTerm, 'prevTerm') + u64Size(m.commit, 'commit') + 4
    if (!Array.isArray(m.entries)) throw bad('entries must be an array')
    if (m.entries.length > U32_MAX) throw new CodecError('PAYLOAD_TOO_LARGE', 'too many entries')
    for (const entry of m.entries) size += entrySize(entry)
    checkEntries(m.prevIndex, m.entries)
    return size
  },
  write(w, m) {
    w.u64(m.term)
    w.u64(m.prevIndex)
    w.u64(m.prevTerm)
    w.u64(m.commit)
    w.u32(m.entries.length)
    for (const entry of m.entries) {
      w.u64(entry.term)
      w.u64(entry.index)
      w.u8(ENTRY_TYPE_CODES[entry.type])
      w.blob(entry.data)
    }
  },
  read(r, from, to) {
    const term = r.u64('term')
    const prevIndex = r.u64('prevIndex')
    const prevTerm = r.u64('prevTerm')
    const commit = r.u64('commit')
    const entries = readEntries(r)
    checkEntries(prevIndex, entries)
    return {type: 'append', from, to, term, prevIndex, prevTerm, entries, commit}
  },
}

const appendRespCodec: BodyCodec<AppendResponse> = {
  size(m) {
    requireBool(m.success, 'success')
    return u64Size(m.term, 'term') + u64Size(m.index, 'index') + u64Size(m.hintIndex, 'hintIndex') + u64Size(m.hintTerm, 'hintTerm') + 1 + lifeSize(m)
  },
  write(w, m) {
    w.u64(m.term)
    w.u64(m.index)
    w.u64(m.hintIndex)
    w.u64(m.hintTerm)
    w.u8(flagByte(m.success))
    writeLife(w, m)
  },
  read(r, from, to) {
    const term = r.u64('term')
    const index = r.u64('index')
    const hintIndex = r.u64('hintIndex')
    const hintTerm = r.u64('hintTerm')
    const {success} = r.flags('appendResp flags', ['success'])
    return {type: 'appendResp', from, to, term, success, index, hintIndex, hintTerm, ...readLife(r, 'appendResp')}
  },
}

const heartbeatCodec: BodyCodec<Heartbeat> = {
  size: (m) => u64Size(m.term, 'term') + u64Size(m.commit, 'commit') + u64Size(m.round, 'round'),
  write(w, m) {
    w.u64(m.term)
    w.u64(m.commit)
    w.u64(m.round)
  },
  read(r, from, to) {
    const term = r.u64('term')
    const commit = r.u64('commit')
    const round = r.u64('round')
    return {type: 'heartbeat', from, to, term, commit, round}
  },
}

const heartbeatRespCodec: BodyCodec<HeartbeatResponse> = {
  size: (m) => u64Size(m.term, 'term') + u64Size(m.round, 'round') + lifeSize(m),
  write(w, m) {
    w.u64(m.term)
    w.u64(m.round)
    writeLife(w, m)
  },
  read(r, from, to) {
    const term = r.u64('term')
    const round = r.u64('round')
    return {type: 'heartbeatResp', from, to, term, round, ...readLife(r, 'heartbeatResp')}
  },
}

/**
 * The optional tail of append and heartbeat responses, about the sender's data: a flag byte
 * (bit 0 incarnation, bit 1 rebuilding, bit 2 lastIndex) then a u64 per number present. Absent
 * when there is nothing to say (incarnation 0, not rebuilding, no lastIndex), so such messages
 * encode as before incarnations existed.
 */
interface LifeFields {
  readonly incarnation?: number
  readonly rebuilding?: boolean
  readonly lastIndex?: number
}

function hasLife(m: LifeFields): boolean {
  return (m.incarnation !== undefined && m.incarnation !== 0) || m.rebuilding === true || m.lastIndex !== undefined
}

function lifeSize(m: LifeFields): number {
  if (!hasLife(m)) return 0
  if (m.rebuilding !== undefined) requireBool(m.rebuilding, 'rebuilding')
  const inc = m.incarnation !== undefined && m.incarnation !== 0 ? u64Size(m.incarnation, 'incarnation') : 0
  return 1 + inc + (m.lastIndex !== undefined ? u64Size(m.lastIndex, 'lastIndex') : 0)
}

function writeLife(w: Writer, m: LifeFields): void {
  if (!hasLife(m)) return
  const inc = m.incarnation !== undefined && m.incarnation !== 0
  w.u8(flagByte(inc, m.rebuilding === true, m.lastIndex !== undefined))
  if (inc) w.u64(m.incarnation!)
  if (m.lastIndex !== undefined) w.u64(m.lastIndex)
}

function readLife(r: Reader, what: string): LifeFields {
  if (r.remaining() === 0) return {}
  const f = r.flags(`${what} tail flags`, ['incarnation', 'rebuilding', 'lastIndex'])
  if (!f.incarnation && !f.rebuilding && !f.lastIndex) throw bad(`${what}: empty tail flags`)
  const out: {incarnation?: number; rebuilding?: boolean; lastIndex?: number} = {}
  if (f.incarnation) out.incarnation = r.u64('incarnation')
  if (out.incarnation === 0) throw bad(`${what}: incarnation 0 is sent as no tail`)
  if (f.rebuilding) out.rebuilding = true
  if (f.lastIndex) out.lastIndex = r.u64('lastIndex')
  return out
}

function idListSize(list: unknown, field: string): number {
  if (!Array.isArray(list)) throw bad(`${field} must be an array`)
  return 2 + list.reduce((sum: number, id: unknown, i) => sum + idSize(id, `${field}[${i}]`), 0)
}

function readIdList(r: Reader, field: string): NodeId[] {
  const count = r.u16(`${field} count`)
  if (count > MAX_CONF_MEMBERS || count * 2 > r.remaining()) throw bad(`${field} count ${count} out of range`)
  const list: NodeId[] = []
  for (let i = 0; i < count; i++) list.push(r.nodeId(`${field}[${i}]`))
  return list
}

const snapshotCodec: BodyCodec<SnapshotRequest> = {
  size(m) {
    const snapshot = m.snapshot
    if (typeof snapshot !== 'object' || snapshot === null || typeof snapshot.meta !== 'object' || snapshot.meta === null) {
      throw bad('snapshot must be {meta, data}')
    }
    const {meta} = snapshot
    if (typeof meta.conf !== 'object' || meta.conf === null) throw bad('snapshot.meta.conf must be an object')
    const size = u64Size(m.term, 'term') + u64Size(meta.index, 'snapshot.meta.index') + u64Size(meta.term, 'snapshot.meta.term') +
      idListSize(meta.conf.voters, 'voters') + idListSize(meta.conf.learners, 'learners') +
      blobSize(snapshot.data, 'snapshot.data')
    checkConf(meta.conf)
    return size
  },
  write(w, m) {
    const {meta, data} = m.snapshot
    w.u64(m.term)
    w.u64(meta.index)
    w.u64(meta.term)
    for (const list of [meta.conf.voters, meta.conf.learners]) {
      w.u16(list.length)
      for (const id of list) w.str(idBytes(id, 'conf'))
    }
    w.blob(data as Uint8Array) // size() checked it is bytes
  },
  read(r, from, to) {
    const {term, meta} = readSnapshotFields(r)
    const data = r.blob('snapshot.data')
    return {type: 'snapshot', from, to, term, snapshot: {meta, data}}
  },
}

/** A snapshot message's fields before its data: the message term and the snapshot's meta. */
function readSnapshotFields(r: Reader): {term: number; meta: SnapshotMeta} {
  const term = r.u64('term')
  const index = r.u64('snapshot.meta.index')
  const snapTerm = r.u64('snapshot.meta.term')
  const voters = readIdList(r, 'voters')
  const learners = readIdList(r, 'learners')
  const conf = {voters, learners}
  checkConf(conf)
  return {term, meta: {index, term: snapTerm, conf}}
}

/** Most bytes {@link encodeSnapshotHead} can give: version, type, two ids, three u64, two full id lists, the data length. */
export const MAX_SNAPSHOT_HEAD_BYTES = 2 + 2 * (1 + MAX_NODE_ID_BYTES) + 24 + 4 + MAX_CONF_MEMBERS * (1 + MAX_NODE_ID_BYTES) + 4

/** A snapshot message without its data, as read from the start of its encoding ({@link decodeSnapshotHead}). */
export interface SnapshotHead {
  readonly from: NodeId
  readonly to: NodeId
  /** The message's term. */
  readonly term: number
  readonly meta: SnapshotMeta
  /** Bytes of the head ({@link encodeSnapshotHead}'s output): the data start there. */
  readonly headBytes: number
  /** Bytes of the data, after the head, to the message's end. */
  readonly dataBytes: number
}

/**
 * The head of a snapshot message of `total` bytes from its first bytes `prefix` (untrusted; a
 * chunked snapshot's first chunks), for a receiver that streams the data elsewhere instead of
 * reassembling the message: null while `prefix` is too short to hold the whole head (give it more
 * bytes). The message must be a snapshot whose data run exactly to `total`.
 * @throws CodecError `BAD_FRAME` (not a snapshot, malformed, or a data length that does not end at `total`), `UNKNOWN_TYPE`.
 */
export function decodeSnapshotHead(prefix: Uint8Array, total: number): SnapshotHead | null {
  const view = plainView(prefix, Math.max(prefix.length, 1))
  const r = new Reader(view, 0, view.length)
  try {
    const version = r.u8('version')
    if (version !== WIRE_VERSION) throw bad(`unsupported wire version ${version} (this node speaks ${WIRE_VERSION})`)
    const code = r.u8('type')
    if (code !== TYPE_CODES.snapshot) throw bad(`chunks carried a ${TYPE_BY_CODE.get(code) ?? `type ${code}`} message, not a snapshot`)
    const from = r.nodeId('from')
    const to = r.nodeId('to')
    const {term, meta} = readSnapshotFields(r)
    const dataBytes = r.u32('snapshot.data')
    const headBytes = r.offset
    if (headBytes + dataBytes !== total) throw bad(`snapshot data of ${dataBytes} bytes after a ${headBytes}-byte head do not end at the message's ${total} bytes`)
    return {from, to, term, meta, headBytes, dataBytes}
  } catch (error) {
    // A short prefix may simply stop inside the head: wait for more, up to the largest head.
    if (error instanceof CodecError && view.length < Math.min(total, MAX_SNAPSHOT_HEAD_BYTES) && /truncated|out of range/.test(error.message)) return null
    throw error
  }
}

const timeoutNowCodec: BodyCodec<TimeoutNow> = {
  size: (m) => u64Size(m.term, 'term'),
  write(w, m) {
    w.u64(m.term)
  },
  read(r, from, to) {
    return {type: 'timeoutNow', from, to, term: r.u64('term')}
  },
}

const BODY_CODECS: BodyCodecs = {
  vote: voteCodec,
  voteResp: voteRespCodec,
  append: appendCodec,
  appendResp: appendRespCodec,
  heartbeat: heartbeatCodec,
  heartbeatResp: heartbeatRespCodec,
  snapshot: snapshotCodec,
  timeoutNow: timeoutNowCodec,
}

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

function bodyCodecOf(type: unknown): BodyCodec<Message> {
  if (typeof type !== 'string' || !Object.hasOwn(TYPE_CODES, type)) throw new CodecError('UNKNOWN_TYPE', `unknown message type ${String(type)}`)
  return BODY_CODECS[type as MessageType] as BodyCodec<Message>
}

function maxBytesOf(options: CodecOptions): number {
  return options.maxBytes ?? DEFAULT_MAX_PAYLOAD_BYTES
}

/**
 * Encode one message. Validates it with the decoder's rules first (ids, integer ranges,
 * booleans, consecutive entries, configuration without duplicates).
 * @throws CodecError `UNKNOWN_TYPE` (unknown `type`), `BAD_FRAME` (a field breaks the rules),
 *   `PAYLOAD_TOO_LARGE` (encoded size over `options.maxBytes`, default 64 MiB).
 */
export function encodeMessage(message: Message, options: CodecOptions = {}): Uint8Array {
  if (typeof message !== 'object' || message === null) throw bad('message must be an object')
  const codec = bodyCodecOf(message.type)
  const from = idBytes(message.from, 'from')
  const to = idBytes(message.to, 'to')
  const size = 4 + from.length + to.length + codec.size(message)
  const maxBytes = maxBytesOf(options)
  if (size > maxBytes) throw new CodecError('PAYLOAD_TOO_LARGE', `message is ${size} bytes, over the ${maxBytes}-byte limit`)
  const w = new Writer(size, SOLO_FRAME_HEADROOM)
  w.u8(WIRE_VERSION)
  w.u8(TYPE_CODES[message.type])
  w.str(from)
  w.str(to)
  codec.write(w, message)
  const bytes = w.finish()
  withHeadroom.add(bytes)
  return bytes
}

/** Bytes a frame of one message puts before it: the frame header and the message's length. */
const SOLO_FRAME_HEADROOM = FRAME_HEADER_BYTES + FRAME_MESSAGE_OVERHEAD

/**
 * Outputs of {@link encodeMessage}: each is a view that starts {@link SOLO_FRAME_HEADROOM} bytes
 * into a buffer of its own, so {@link encodeFrame} can make a frame of it alone by writing the
 * header there, without copying the message (a large entry is then copied once per peer, not twice).
 */
const withHeadroom = new WeakSet<Uint8Array>()

/** Read one whole message occupying exactly the reader's window. */
function readMessage(r: Reader): Message {
  const version = r.u8('version')
  if (version !== WIRE_VERSION) throw bad(`unsupported wire version ${version} (this node speaks ${WIRE_VERSION})`)
  const code = r.u8('type')
  const type = TYPE_BY_CODE.get(code)
  if (type === undefined) throw new CodecError('UNKNOWN_TYPE', `unknown message type code ${code}`)
  const from = r.nodeId('from')
  const to = r.nodeId('to')
  const message = BODY_CODECS[type].read(r, from, to) as Message
  r.finish(type)
  return message
}

/** A plain Uint8Array view of the input (so copies are plain Uint8Arrays, never Buffers). */
function plainView(bytes: Uint8Array, maxBytes: number): Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw bad('input must be a Uint8Array')
  if (bytes.length > maxBytes) throw new CodecError('PAYLOAD_TOO_LARGE', `input is ${bytes.length} bytes, over the ${maxBytes}-byte limit`)
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/**
 * Decode one message from untrusted bytes. The result never aliases `bytes`.
 * @throws CodecError `PAYLOAD_TOO_LARGE` (longer than `options.maxBytes`, default 64 MiB),
 *   `UNKNOWN_TYPE` (unknown type code), `BAD_FRAME` (anything else malformed). Never any other error.
 */
export function decodeMessage(bytes: Uint8Array, options: CodecOptions = {}): Message {
  const view = plainView(bytes, maxBytesOf(options))
  return readMessage(new Reader(view, 0, view.length))
}

/**
 * {@link decodeMessage} whose byte fields (a snapshot's data, entries' data) are views of
 * `bytes`, not copies: for a buffer the caller hands over and never changes again, such as a
 * snapshot reassembled from its chunks (a copy of 121 MiB at 1M keys saved, on the event loop).
 * @throws CodecError as {@link decodeMessage}.
 */
export function decodeMessageInPlace(bytes: Uint8Array, options: CodecOptions = {}): Message {
  const view = plainView(bytes, maxBytesOf(options))
  return readMessage(new Reader(view, 0, view.length, true))
}

/**
 * Build one frame from already encoded messages (outputs of {@link encodeMessage}).
 * @throws CodecError `BAD_FRAME` (no messages or more than MAX_MESSAGES_PER_FRAME),
 *   `PAYLOAD_TOO_LARGE` (frame over `options.maxBytes`).
 */
export function encodeFrame(messages: readonly Uint8Array[], options: CodecOptions = {}): Uint8Array {
  if (messages.length < 1 || messages.length > MAX_MESSAGES_PER_FRAME) {
    throw bad(`a frame holds 1..${MAX_MESSAGES_PER_FRAME} messages, got ${messages.length}`)
  }
  const size = frameSize(messages.reduce((sum, m) => sum + m.length, 0), messages.length)
  const maxBytes = maxBytesOf(options)
  if (size > maxBytes) throw new CodecError('PAYLOAD_TOO_LARGE', `frame is ${size} bytes, over the ${maxBytes}-byte limit`)
  if (messages.length === 1 && withHeadroom.has(messages[0]!)) return soloFrame(messages[0]!)
  const w = new Writer(size)
  w.u8(WIRE_VERSION)
  w.u32(messages.length)
  for (const message of messages) w.blob(message)
  return w.finish()
}

/** The frame of one {@link encodeMessage} output, its header written into the headroom before it (the same bytes every time). */
function soloFrame(message: Uint8Array): Uint8Array {
  const frame = new Uint8Array(message.buffer, message.byteOffset - SOLO_FRAME_HEADROOM, SOLO_FRAME_HEADROOM + message.length)
  const view = new DataView(frame.buffer, frame.byteOffset, SOLO_FRAME_HEADROOM)
  view.setUint8(0, WIRE_VERSION)
  view.setUint32(1, 1)
  view.setUint32(FRAME_HEADER_BYTES, message.length)
  return frame
}

/** Size of a frame holding `count` messages of `messageBytes` encoded bytes in total. */
export function frameSize(messageBytes: number, count: number): number {
  return FRAME_HEADER_BYTES + count * FRAME_MESSAGE_OVERHEAD + messageBytes
}

/** Encode messages straight into one frame (convenience for tests and tools). Throws like {@link encodeMessage} / {@link encodeFrame}. */
export function encodeMessages(messages: readonly Message[], options: CodecOptions = {}): Uint8Array {
  return encodeFrame(messages.map((m) => encodeMessage(m, options)), options)
}

/**
 * Encode one snapshot chunk item (for {@link encodeFrame}; a frame of this item alone is made
 * without copying it, as for {@link encodeMessage}'s outputs).
 * @throws CodecError `BAD_FRAME` when ids are invalid, `data` is empty, or `offset`/`total`
 *   do not describe a piece inside a message of at most 2^32 − 1 bytes.
 */
export function encodeChunk(chunk: Omit<SnapshotChunk, 'type'>): Uint8Array {
  const from = idBytes(chunk.from, 'from')
  const to = idBytes(chunk.to, 'to')
  checkChunkRange(chunk.total, chunk.offset, chunk.data instanceof Uint8Array ? chunk.data.length : -1)
  // With headroom, as encodeMessage's outputs: a chunk alone in a frame is not copied again.
  const w = new Writer(2 + 1 + from.length + 1 + to.length + 12 + chunk.data.length, SOLO_FRAME_HEADROOM)
  w.u8(WIRE_VERSION)
  w.u8(CHUNK_TYPE_CODE)
  w.str(from)
  w.str(to)
  w.u32(chunk.total)
  w.u32(chunk.offset)
  w.blob(chunk.data)
  const bytes = w.finish()
  withHeadroom.add(bytes)
  return bytes
}

/**
 * The bytes {@link encodeMessage} gives for a snapshot message, up to its data (the data is the
 * message's last field, after its u32 length): `encodeMessage(m)` is `encodeSnapshotHead(m)`
 * followed by `m.snapshot.data`. Lets a sender cut a large snapshot into chunks straight from
 * the snapshot's own bytes, or its file, without an encoded copy of the whole message: only the
 * data's `byteLength` is read here (the data may be a handle on a file). Validates as
 * encodeMessage; `options.maxBytes` (and 2^32 − 1, a chunk's `total`) bound the whole message.
 * @throws CodecError as {@link encodeMessage}.
 */
export function encodeSnapshotHead(message: SnapshotRequest, options: CodecOptions = {}): Uint8Array {
  const snapshot = message.snapshot
  const data: unknown = typeof snapshot === 'object' && snapshot !== null ? snapshot.data : undefined
  const dataBytes = typeof data === 'object' && data !== null ? (data as {byteLength?: unknown}).byteLength : undefined
  if (typeof dataBytes !== 'number' || !Number.isSafeInteger(dataBytes) || dataBytes < 0) throw bad('snapshot.data must be a Uint8Array or have a byteLength')
  const maxBytes = Math.min(maxBytesOf(options), U32_MAX)
  const head = encodeMessage({...message, snapshot: {...snapshot, data: new Uint8Array(0)}}, {maxBytes})
  const size = head.length + dataBytes
  if (size > maxBytes) throw new CodecError('PAYLOAD_TOO_LARGE', `message is ${size} bytes, over the ${maxBytes}-byte limit`)
  new DataView(head.buffer, head.byteOffset + head.length - 4, 4).setUint32(0, dataBytes)
  return head
}

/** A chunk's numbers must describe 1+ bytes inside a message of 1..2^32 − 1 bytes. */
function checkChunkRange(total: unknown, offset: unknown, length: number): void {
  const isU32 = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= U32_MAX
  if (!isU32(total) || total < 1) throw bad(`chunk total must be 1..${U32_MAX}, got ${String(total)}`)
  if (!isU32(offset)) throw bad(`chunk offset must be 0..${U32_MAX}, got ${String(offset)}`)
  if (length < 1) throw bad('chunk data must be a non-empty Uint8Array')
  if (offset + length > total) throw bad(`chunk [${offset}, ${offset + length}) runs past the message's ${total} bytes`)
}

/** Read one chunk item occupying exactly the reader's window (version and type already read). */
function readChunk(r: Reader): SnapshotChunk {
  const from = r.nodeId('from')
  const to = r.nodeId('to')
  const total = r.u32('chunk total')
  const offset = r.u32('chunk offset')
  const data = r.blob('chunk data')
  checkChunkRange(total, offset, data.length)
  r.finish('snapshotChunk')
  return {type: 'snapshotChunk', from, to, total, offset, data}
}

/** Read one item (message or chunk) occupying exactly the reader's window. */
function readItem(view: Uint8Array, start: number, end: number): FrameItem {
  if (end - start >= 2 && view[start] === WIRE_VERSION && view[start + 1] === CHUNK_TYPE_CODE) {
    const r = new Reader(view, start + 2, end)
    return readChunk(r)
  }
  return readMessage(new Reader(view, start, end))
}

/**
 * Decode a frame of untrusted bytes into its messages (all or nothing), refusing snapshot
 * chunks (`BAD_FRAME`): for callers that do not reassemble. Results never alias `bytes`.
 * @throws CodecError as {@link decodeMessage}; also `BAD_FRAME` for a count of 0 or over
 *   MAX_MESSAGES_PER_FRAME, a length prefix past the end, or trailing bytes.
 */
export function decodeFrame(bytes: Uint8Array, options: CodecOptions = {}): Message[] {
  const items = decodeFrameItems(bytes, options)
  if (items.some((item) => item.type === 'snapshotChunk')) throw bad('snapshot chunks are not accepted here')
  return items as Message[]
}

/**
 * Decode a frame of untrusted bytes into its items, messages and snapshot chunks (all or
 * nothing). Results never alias `bytes`. Throws like {@link decodeFrame}, without refusing chunks.
 */
export function decodeFrameItems(bytes: Uint8Array, options: CodecOptions = {}): FrameItem[] {
  const view = plainView(bytes, maxBytesOf(options))
  const r = new Reader(view, 0, view.length)
  const version = r.u8('frame version')
  if (version !== WIRE_VERSION) throw bad(`unsupported frame version ${version} (this node speaks ${WIRE_VERSION})`)
  const count = r.u32('message count')
  if (count < 1 || count > MAX_MESSAGES_PER_FRAME) throw bad(`frame message count ${count} outside 1..${MAX_MESSAGES_PER_FRAME}`)
  if (count * (FRAME_MESSAGE_OVERHEAD + MIN_MESSAGE_BYTES) > r.remaining()) throw bad(`frame message count ${count} does not fit in ${r.remaining()} bytes`)
  const messages: FrameItem[] = []
  for (let i = 0; i < count; i++) {
    const length = r.u32(`message ${i} length`)
    r.need(length, `message ${i}`)
    const start = r.offset
    messages.push(readItem(view, start, start + length))
    r.skip(length)
  }
  r.finish('frame')
  return messages
}
