/**
 * The commands and results of the replicated key-value store and their compact binary codec.
 * This is the hot path of every write, so no JSON: a `DataView` over a `Uint8Array`,
 * big-endian integers, strings as a uint32 byte length followed by UTF-8 bytes.
 *
 * Command layout (format version 1):
 * `u8 version=1 · u8 op · u8 flags · str key · [op fields] · [str clientId · u53 seq]`
 * where op is 1 get, 2 put, 3 delete, 4 cas, 5 append, 6 deletePrefix (whose `key` field is
 * the prefix, and may be empty), 7 txn (empty `key`; fields: `u32 n · n × compare`, then the
 * success and the failure ops, each `u32 n · n × op`; a compare is `u8 kind · str key ·
 * (1 value: str value | 2 absent: nothing | 3 modIndex: u53)`, an op `u8 (1 put | 2 delete) ·
 * str key · [str value]`); flags bit 0 = a session follows,
 * bit 1 = (cas only) `expected` is present; put/append fields: `str value`; cas fields:
 * `[str expected] · str value`. A u53 is two uint32 halves (high, low) of a safe integer.
 *
 * Result layout: `u8 version=1 · u8 tag · fields`, tag 0 error (`str code · str message`),
 * 1 get (`opt value`), 2 put (`str value`), 3 delete (`bool deleted`), 4 cas
 * (`bool swapped · opt value`), 5 append (`str value`), 6 deletePrefix (`u53 deleted`), 7 txn
 * (`bool succeeded`);
 * `opt` = a 0/1 byte then, if 1, a str.
 */
import {ByteReader, ByteWriter, isWellFormed, prefixed, utf8Length} from './bytes.js'
import {KvError, isKvResultCode, type KvResultCode} from './errors.js'
import {DEFAULT_KV_LIMITS, type KvPayloadLimits} from './limits.js'
import {readTxnFields, txnFields, writeTxnFields, type TxnCommand, type TxnFields} from './txn.js'

export type {TxnCommand, TxnCompare, TxnOp} from './txn.js'

/** Version byte that starts every encoded command and result. */
export const KV_CODEC_VERSION = 1

/**
 * A client session for exactly-once writes (Raft dissertation §6.3). A client uses one
 * `clientId` with one outstanding request at a time; `seq` starts at 1 and grows by one per
 * new request; a retry reuses the same `seq` (and the same command).
 */
export interface KvSession {
  /** Non-empty, at most `maxClientIdBytes` UTF-8 bytes. */
  readonly clientId: string
  /** A positive safe integer. */
  readonly seq: number
}

/** Read a key through the log (linearizable without ReadIndex; rarely needed). */
export interface GetCommand {
  readonly op: 'get'
  readonly key: string
}

/** Set `key` to `value`. */
export interface PutCommand {
  readonly op: 'put'
  readonly key: string
  readonly value: string
  readonly session?: KvSession
}

/** Remove `key` (absent is not an error). */
export interface DeleteCommand {
  readonly op: 'delete'
  readonly key: string
  readonly session?: KvSession
}

/** Set `key` to `value` only if its current value equals `expected` (null: only if absent). */
export interface CasCommand {
  readonly op: 'cas'
  readonly key: string
  readonly expected: string | null
  readonly value: string
  readonly session?: KvSession
}

/** Concatenate `value` to the current value (absent counts as `""`). */
export interface AppendCommand {
  readonly op: 'append'
  readonly key: string
  readonly value: string
  readonly session?: KvSession
}

/**
 * Remove every key that starts with `prefix` (`""`: every key), as one entry: all of them or,
 * if the entry is never applied, none.
 */
export interface DeletePrefixCommand {
  readonly op: 'deletePrefix'
  /** Well-formed, at most `maxKeyBytes` UTF-8 bytes; may be empty. */
  readonly prefix: string
  readonly session?: KvSession
}

/** A command that changes state and may carry a session. */
export type KvWriteCommand = PutCommand | DeleteCommand | CasCommand | AppendCommand | DeletePrefixCommand | TxnCommand

/** Any command. Keys are non-empty well-formed strings (no lone surrogates). */
export type KvCommand = GetCommand | KvWriteCommand

/** Name of an operation. */
export type KvOp = KvCommand['op']

/** Result of a `get`: the value, or null when absent. */
export interface GetResult {
  readonly ok: true
  readonly op: 'get'
  readonly value: string | null
}

/** Result of a `put`: the value written. */
export interface PutResult {
  readonly ok: true
  readonly op: 'put'
  readonly value: string
}

/** Result of a `delete`: whether the key existed. */
export interface DeleteResult {
  readonly ok: true
  readonly op: 'delete'
  readonly deleted: boolean
}

/**
 * Result of a `cas`. A failed comparison is not an error: `swapped` is false and `value` is
 * the current value (null: absent). When swapped, `value` is the new value.
 */
export interface CasResult {
  readonly ok: true
  readonly op: 'cas'
  readonly swapped: boolean
  readonly value: string | null
}

/** Result of an `append`: the new value. */
export interface AppendResult {
  readonly ok: true
  readonly op: 'append'
  readonly value: string
}

/** Result of a `deletePrefix`: how many keys it removed. */
export interface DeletePrefixResult {
  readonly ok: true
  readonly op: 'deletePrefix'
  readonly deleted: number
}

/** Result of a `txn`: whether every compare held (then `success` was applied, else `failure`). */
export interface TxnResult {
  readonly ok: true
  readonly op: 'txn'
  readonly succeeded: boolean
}

/** A command that was not applied (or, for session errors, not applied now). */
export interface KvErrorResult {
  readonly ok: false
  readonly code: KvResultCode
  readonly message: string
}

/** A successful result. */
export type KvOkResult = GetResult | PutResult | DeleteResult | CasResult | AppendResult | DeletePrefixResult | TxnResult

/** What `apply` returns, encoded with {@link encodeResult}. */
export type KvResult = KvOkResult | KvErrorResult

const OP_CODES: Readonly<Record<KvOp, number>> = {get: 1, put: 2, delete: 3, cas: 4, append: 5, deletePrefix: 6, txn: 7}
const OPS: readonly (KvOp | undefined)[] = [undefined, 'get', 'put', 'delete', 'cas', 'append', 'deletePrefix', 'txn']
const FLAG_SESSION = 1
const FLAG_EXPECTED = 2
const ERROR_TAG = 0
const NO_LIMITS: KvPayloadLimits = {maxKeyBytes: Infinity, maxValueBytes: Infinity, maxClientIdBytes: Infinity, maxTxnOps: Infinity}

/** Build an error result. */
export function errorResult(code: KvResultCode, message: string): KvErrorResult {
  return {ok: false, code, message}
}

// ---------------------------------------------------------------------------------------------
// Commands: encode

/** A checked string field and its UTF-8 byte length, gathered once for sizing and writing. */
interface Field {
  readonly text: string
  readonly bytes: number
  /** The UTF-8 bytes of `text` when the caller had them (written as they are). */
  readonly utf8?: Uint8Array
}

/** The checked fields of a command. */
interface CommandParts {
  readonly op: number
  readonly flags: number
  readonly key: Field
  readonly expected: Field | null
  readonly value: Field | null
  readonly clientId: Field | null
  readonly seq: number
  /** A txn's lists (its `key` is empty). */
  readonly txn: TxnFields | null
}

/**
 * Encode a command. Throws {@link KvError} `BAD_REQUEST` for a structurally invalid command
 * (unknown op, empty key, non-string field, lone surrogate, bad session, session on `get`) and,
 * when `limits` is given, `PAYLOAD_TOO_LARGE` for a field over its limit. `valueUtf8`: a put's
 * value as UTF-8 bytes the caller checked (valid, decoding to `command.value`), copied as they are
 * instead of encoding the string again (the daemon's binary put frames; same output either way).
 */
export function encodeCommand(command: KvCommand, limits: KvPayloadLimits = NO_LIMITS, valueUtf8?: Uint8Array): Uint8Array {
  const parts = commandParts(command, limits, valueUtf8)
  const writer = new ByteWriter(commandSize(parts))
  writer.u8(KV_CODEC_VERSION)
  writer.u8(parts.op)
  writer.u8(parts.flags)
  writeField(writer, parts.key)
  if (parts.expected) writeField(writer, parts.expected)
  if (parts.value) writeField(writer, parts.value)
  if (parts.txn) writeTxnFields(writer, parts.txn)
  if (parts.clientId) {
    writeField(writer, parts.clientId)
    writer.u53(parts.seq)
  }
  return writer.bytes
}

function commandParts(command: KvCommand, limits: KvPayloadLimits, valueUtf8: Uint8Array | undefined): CommandParts {
  if (typeof command !== 'object' || command === null) throw badRequest('command must be an object')
  if (!Object.hasOwn(OP_CODES, command.op)) throw badRequest(`unknown op ${JSON.stringify(command.op)}`)
  const key = command.op === 'txn' ? EMPTY : command.op === 'deletePrefix' ? field(command.prefix, 'prefix', limits.maxKeyBytes) : field(command.key, 'key', limits.maxKeyBytes)
  if (key.bytes === 0 && command.op !== 'deletePrefix' && command.op !== 'txn') throw badRequest('key must not be empty')
  const expected = command.op === 'cas' && command.expected !== null ? field(command.expected, 'expected', limits.maxValueBytes) : null
  const value = command.op === 'get' || command.op === 'delete' || command.op === 'deletePrefix' || command.op === 'txn' ? null
    : valueUtf8 !== undefined && command.op === 'put' ? bytesField(command.value, valueUtf8, limits.maxValueBytes)
      : field(command.value, 'value', limits.maxValueBytes)
  const txn = command.op === 'txn' ? txnFields(command, limits) : null
  const session = command.op === 'get' ? sessionOfGet(command) : command.session
  const clientId = session === undefined ? null : sessionClientId(session, limits)
  const flags = (clientId ? FLAG_SESSION : 0) | (expected ? FLAG_EXPECTED : 0)
  return {op: OP_CODES[command.op], flags, key, expected, value, clientId, seq: session?.seq ?? 0, txn}
}

const EMPTY: Field = {text: '', bytes: 0}

function sessionOfGet(command: GetCommand): undefined {
  if ((command as {session?: unknown}).session !== undefined) throw badRequest('get takes no session')
  return undefined
}

function sessionClientId(session: KvSession, limits: KvPayloadLimits): Field {
  if (typeof session !== 'object' || session === null) throw badRequest('session must be an object')
  const clientId = field(session.clientId, 'clientId', limits.maxClientIdBytes)
  if (clientId.bytes === 0) throw badRequest('clientId must not be empty')
  if (!isSeq(session.seq)) throw badRequest(`seq must be a positive safe integer, got ${String(session.seq)}`)
  return clientId
}

function field(text: unknown, name: string, maxBytes: number): Field {
  if (typeof text !== 'string') throw badRequest(`${name} must be a string`)
  if (!isWellFormed(text)) throw badRequest(`${name} contains a lone surrogate (not valid Unicode)`)
  const bytes = utf8Length(text)
  if (bytes > maxBytes) throw tooLarge(`${name} is ${bytes} bytes, over the limit of ${maxBytes}`)
  return {text, bytes}
}

/**
 * A put's value given with its UTF-8 bytes (a binary put frame, src/admin/binary-put.ts): the
 * caller checked that `utf8` is valid UTF-8 and decodes to `text`; only the limit is checked here.
 */
function bytesField(text: unknown, utf8: Uint8Array, maxBytes: number): Field {
  if (typeof text !== 'string') throw badRequest('value must be a string')
  if (utf8.length > maxBytes) throw tooLarge(`value is ${utf8.length} bytes, over the limit of ${maxBytes}`)
  return {text, bytes: utf8.length, utf8}
}

function writeField(writer: ByteWriter, f: Field): void {
  if (f.utf8 === undefined) return writer.string(f.text, f.bytes)
  writer.u32(f.bytes)
  writer.raw(f.utf8)
}

function commandSize(parts: CommandParts): number {
  let size = 3 + prefixed(parts.key.bytes)
  if (parts.expected) size += prefixed(parts.expected.bytes)
  if (parts.value) size += prefixed(parts.value.bytes)
  if (parts.txn) size += parts.txn.bytes
  if (parts.clientId) size += prefixed(parts.clientId.bytes) + 8
  return size
}

/** True when `seq` is a valid session sequence number: a positive safe integer. */
export function isSeq(seq: unknown): seq is number {
  return typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 1
}

// ---------------------------------------------------------------------------------------------
// Commands: decode

/**
 * Decode and validate a command. Throws {@link KvError}: `BAD_REQUEST` when the bytes are
 * malformed (empty, truncated, wrong version, unknown op or flags, invalid UTF-8, empty key or
 * client id, seq out of range, trailing bytes), `PAYLOAD_TOO_LARGE` when a key, value,
 * `expected` or client id is over `limits` (default {@link DEFAULT_KV_LIMITS}).
 * Lengths are checked against the input before anything is allocated.
 */
export function decodeCommand(data: Uint8Array, limits: KvPayloadLimits = DEFAULT_KV_LIMITS): KvCommand {
  const reader = new ByteReader(data, 'BAD_REQUEST')
  const version = reader.u8('version')
  if (version !== KV_CODEC_VERSION) reader.fail(`unsupported command version ${version}`)
  const op = OPS[reader.u8('op')] ?? reader.fail('unknown op')
  const flags = reader.u8('flags')
  checkFlags(reader, op, flags)
  const key = reader.string('key', limits.maxKeyBytes)
  if (key.length === 0 && op !== 'deletePrefix' && op !== 'txn') reader.fail('key must not be empty')
  if (key.length !== 0 && op === 'txn') reader.fail('a txn has an empty key')
  const command = readOpFields(reader, op, key, flags, limits)
  reader.end('command')
  return command
}

function checkFlags(reader: ByteReader, op: KvOp, flags: number): void {
  const allowed = op === 'get' ? 0 : op === 'cas' ? FLAG_SESSION | FLAG_EXPECTED : FLAG_SESSION
  if ((flags & ~allowed) !== 0) reader.fail(`flags 0x${flags.toString(16)} not valid for ${op}`)
}

/** The op's fields, then the session when flagged (one object built, in wire order). */
function readOpFields(reader: ByteReader, op: KvOp, key: string, flags: number, limits: KvPayloadLimits): KvCommand {
  const hasSession = (flags & FLAG_SESSION) !== 0
  switch (op) {
    case 'get':
      return {op, key}
    case 'delete':
      return hasSession ? {op, key, session: readSession(reader, limits)} : {op, key}
    case 'deletePrefix':
      return hasSession ? {op, prefix: key, session: readSession(reader, limits)} : {op, prefix: key}
    case 'txn': {
      const fields = readTxnFields(reader, limits)
      return hasSession ? {op, ...fields, session: readSession(reader, limits)} : {op, ...fields}
    }
    case 'put':
    case 'append': {
      const value = reader.string('value', limits.maxValueBytes)
      return hasSession ? {op, key, value, session: readSession(reader, limits)} : {op, key, value}
    }
    case 'cas': {
      const expected = flags & FLAG_EXPECTED ? reader.string('expected', limits.maxValueBytes) : null
      const value = reader.string('value', limits.maxValueBytes)
      return hasSession ? {op, key, expected, value, session: readSession(reader, limits)} : {op, key, expected, value}
    }
  }
}

function readSession(reader: ByteReader, limits: KvPayloadLimits): KvSession {
  const clientId = reader.string('clientId', limits.maxClientIdBytes)
  if (clientId.length === 0) reader.fail('clientId must not be empty')
  const seq = reader.u53('seq')
  if (seq < 1) reader.fail('seq must be at least 1')
  return {clientId, seq}
}

// ---------------------------------------------------------------------------------------------
// Results

/**
 * Encode a result. Throws {@link KvError} `BAD_REQUEST` when the result is not well-formed
 * (unknown op or code, non-string fields, lone surrogates).
 */
export function encodeResult(result: KvResult): Uint8Array {
  const fields = resultFields(result)
  const size = 2 + fields.reduce((sum, part) => sum + partSize(part), 0)
  const writer = new ByteWriter(size)
  writer.u8(KV_CODEC_VERSION)
  writer.u8(result.ok ? OP_CODES[result.op] : ERROR_TAG)
  for (const part of fields) writePart(writer, part)
  return writer.bytes
}

/** One field of an encoded result: a string, a boolean byte, or an optional string. */
type Part =
  | {readonly kind: 'str'; readonly field: Field}
  | {readonly kind: 'bool'; readonly value: boolean}
  | {readonly kind: 'opt'; readonly field: Field | null}
  | {readonly kind: 'u53'; readonly value: number}

function resultFields(result: KvResult): Part[] {
  if (!result.ok) {
    if (!isKvResultCode(result.code)) throw badRequest(`unknown result code ${JSON.stringify(result.code)}`)
    return [str(result.code, 'code'), str(result.message, 'message')]
  }
  switch (result.op) {
    case 'get':
      return [opt(result.value)]
    case 'put':
    case 'append':
      return [str(result.value, 'value')]
    case 'delete':
      return [bool(result.deleted, 'deleted')]
    case 'cas':
      return [bool(result.swapped, 'swapped'), opt(result.value)]
    case 'deletePrefix':
      return [count(result.deleted, 'deleted')]
    case 'txn':
      return [bool(result.succeeded, 'succeeded')]
    default:
      throw badRequest(`unknown result op ${JSON.stringify((result as {op: unknown}).op)}`)
  }
}

function str(text: unknown, name: string): Part {
  return {kind: 'str', field: field(text, name, Infinity)}
}

function opt(text: string | null): Part {
  return {kind: 'opt', field: text === null ? null : field(text, 'value', Infinity)}
}

function bool(value: unknown, name: string): Part {
  if (typeof value !== 'boolean') throw badRequest(`${name} must be a boolean`)
  return {kind: 'bool', value}
}

function count(value: unknown, name: string): Part {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw badRequest(`${name} must be a safe integer >= 0`)
  return {kind: 'u53', value}
}

function partSize(part: Part): number {
  if (part.kind === 'u53') return 8
  if (part.kind === 'bool') return 1
  if (part.kind === 'str') return prefixed(part.field.bytes)
  return 1 + (part.field ? prefixed(part.field.bytes) : 0)
}

function writePart(writer: ByteWriter, part: Part): void {
  if (part.kind === 'u53') return writer.u53(part.value)
  if (part.kind === 'bool') return writer.u8(part.value ? 1 : 0)
  if (part.kind === 'opt') writer.u8(part.field ? 1 : 0)
  if (part.field) writeField(writer, part.field)
}

/**
 * Decode a result. Throws {@link KvError} `BAD_REQUEST` when malformed. An empty array is not
 * a result: it is what `apply` returns for the leader's no-op entry.
 */
export function decodeResult(data: Uint8Array): KvResult {
  const reader = new ByteReader(data, 'BAD_REQUEST')
  const version = reader.u8('version')
  if (version !== KV_CODEC_VERSION) reader.fail(`unsupported result version ${version}`)
  const tag = reader.u8('tag')
  const result = tag === ERROR_TAG ? readErrorResult(reader) : readOkResult(reader, OPS[tag] ?? reader.fail(`unknown result tag ${tag}`))
  reader.end('result')
  return result
}

function readErrorResult(reader: ByteReader): KvErrorResult {
  const code = reader.string('code')
  if (!isKvResultCode(code)) reader.fail(`unknown result code ${JSON.stringify(code)}`)
  return errorResult(code, reader.string('message'))
}

function readOkResult(reader: ByteReader, op: KvOp): KvOkResult {
  switch (op) {
    case 'get':
      return {ok: true, op, value: readOpt(reader)}
    case 'put':
    case 'append':
      return {ok: true, op, value: reader.string('value')}
    case 'delete':
      return {ok: true, op, deleted: reader.bool('deleted')}
    case 'cas': {
      const swapped = reader.bool('swapped')
      return {ok: true, op, swapped, value: readOpt(reader)}
    }
    case 'deletePrefix':
      return {ok: true, op, deleted: reader.u53('deleted')}
    case 'txn':
      return {ok: true, op, succeeded: reader.bool('succeeded')}
  }
}

function readOpt(reader: ByteReader): string | null {
  return reader.bool('value present') ? reader.string('value') : null
}

function badRequest(message: string): KvError {
  return new KvError('BAD_REQUEST', message)
}

function tooLarge(message: string): KvError {
  return new KvError('PAYLOAD_TOO_LARGE', message)
}
