/**
 * The client and admin protocol, version 1: JSON text frames on the daemon's `/client` and
 * `/admin` WebSocket routes (docs/protocol.md). This module is the entry point of src/admin:
 * it parses and validates untrusted frames (requests on the daemon, responses and events on
 * the clients) and formats the frames each side sends. The parse functions never throw: every
 * failure is a structured error with a stable code and a message naming the field.
 *
 * Pure data and functions: no I/O, no imports outside src/admin.
 */
import {OUTCOME_UNKNOWN_CODES, isErrorCode, type ErrorCode} from '../common/errors.js'
import {DEFAULT_PROTOCOL_LIMITS, resolveProtocolLimits, type ProtocolLimits} from './limits.js'
import {
  PROTOCOL_VERSION,
  type AdminEvent, type ErrorResponse, type EventMessage, type LeaderHint, type ProtocolError, type Request,
  type RequestParamsMap, type RequestType, type ResultMap, type SuccessResponse,
} from './messages.js'
import {SchemaError, child, describe, isRecord, isWellFormed, object, optional, own, nullable, text, utf8Length, type SchemaContext} from './schema.js'
import {EVENT_SCHEMAS, eventSchema, specOf, ROUTE_PATHS, type RouteName} from './specs.js'

export * from './messages.js'
export * from './limits.js'
export {REQUEST_SPECS, ROUTE_PATHS, REQUEST_ENVELOPE_FIELDS, isRequestType, specOf, type Effect, type RequestSpec, type RouteName} from './specs.js'
export {SchemaError, type Schema, type SchemaContext} from './schema.js'

/** An error as the parse functions return it. */
export interface ParseError {
  readonly code: ErrorCode
  readonly message: string
}

/** Options of {@link parseRequest}: any byte limit (defaults in {@link DEFAULT_PROTOCOL_LIMITS}), and the route. */
export interface RequestParseOptions extends Partial<ProtocolLimits> {
  /** The route the frame arrived on: a type not served there is `UNKNOWN_TYPE`. Absent: any route. */
  readonly route?: RouteName
}

/** Outcome of {@link parseRequest}: the request, or an error to answer (with the request's id when it could be read). */
export type ParseRequestResult =
  | {readonly ok: true; readonly request: Request}
  | {readonly ok: false; readonly id?: number; readonly error: ParseError}

/** Longest excerpt of a JSON parser message quoted in an error. */
const MAX_QUOTED_CHARS = 200

// ---------------------------------------------------------------------------------------------
// Requests (daemon side)

/**
 * Parse and fully validate one request frame. Never throws. In order: frame over
 * `maxFrameBytes` → `PAYLOAD_TOO_LARGE`; not JSON or not an object → `BAD_REQUEST`; `id` not a
 * safe integer >= 0 → `BAD_REQUEST` (no id); `v` missing → `BAD_REQUEST`, not 1 →
 * `UNSUPPORTED_VERSION`; `type` unknown or not served on `route` → `UNKNOWN_TYPE`; a missing,
 * ill-typed or unknown field → `BAD_REQUEST` naming it; a key, value, expected or client id over
 * its limit → `PAYLOAD_TOO_LARGE` naming it. Every error after the id was read carries it.
 */
export function parseRequest(text: string, options: RequestParseOptions = NO_OPTIONS): ParseRequestResult {
  const limits = limitsOf(options)
  const raw = parseFrame(text, limits.maxFrameBytes, 'BAD_REQUEST')
  if (!raw.ok) return raw
  return parseRequestObject(raw.value, options)
}

/**
 * {@link parseRequest} of a frame already parsed as a JSON object (a binary put's header,
 * src/admin/binary-put.ts): the same checks from the id on. Never throws.
 */
export function parseRequestObject(raw: Record<string, unknown>, options: RequestParseOptions = NO_OPTIONS): ParseRequestResult {
  const id = readRequestId(raw)
  if (!id.ok) return id
  try {
    return {ok: true, request: readRequest(raw, id.id, limitsOf(options), options.route)}
  } catch (error) {
    return {ok: false, id: id.id, error: asParseError(error, 'BAD_REQUEST')}
  }
}

/** The parse options of a caller that gives none (the default limits, any route). */
export const NO_OPTIONS: RequestParseOptions = Object.freeze({})

/** Resolved limits per options object: a daemon passes the same options with every frame. */
const resolvedLimits = new WeakMap<RequestParseOptions, ProtocolLimits>()

/** The protocol limits of `options`, resolved once per options object (text and binary frames share the cache). */
export function limitsOf(options: RequestParseOptions): ProtocolLimits {
  let limits = resolvedLimits.get(options)
  if (limits === undefined) {
    limits = resolveProtocolLimits(options)
    resolvedLimits.set(options, limits)
  }
  return limits
}

type FrameResult = {readonly ok: true; readonly value: Record<string, unknown>} | {readonly ok: false; readonly error: ParseError}

/** Size check, JSON.parse, must be an object. */
function parseFrame(text: unknown, maxFrameBytes: number, code: ErrorCode): FrameResult {
  if (typeof text !== 'string') return failure(code, `frame must be text, got ${describe(text)}`)
  // A UTF-16 unit is at most 3 UTF-8 bytes: count the bytes only when that bound is over.
  const tooLarge = text.length > maxFrameBytes || (text.length * 3 > maxFrameBytes && utf8Length(text) > maxFrameBytes)
  if (tooLarge) return failure('PAYLOAD_TOO_LARGE', `frame is over the limit of ${maxFrameBytes} bytes (maxFrameBytes)`)
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    return failure(code, `frame is not valid JSON: ${quote(error)}`)
  }
  if (!isRecord(value)) return failure(code, `frame must be a JSON object, got ${describe(value)}`)
  return {ok: true, value}
}

function failure(code: ErrorCode, message: string): {readonly ok: false; readonly error: ParseError} {
  return {ok: false, error: {code, message}}
}

function quote(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  return message.length > MAX_QUOTED_CHARS ? `${message.slice(0, MAX_QUOTED_CHARS)}…` : message
}

type IdResult = {readonly ok: true; readonly id: number} | {readonly ok: false; readonly error: ParseError}

function readRequestId(raw: Record<string, unknown>): IdResult {
  const id = own(raw, 'id')
  if (isRequestId(id)) return {ok: true, id}
  return failure('BAD_REQUEST', `id: must be an integer >= 0, got ${describe(id)}`)
}

/** True when `id` is a valid request id: a safe integer >= 0. */
export function isRequestId(id: unknown): id is number {
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0
}

function readRequest(raw: Record<string, unknown>, id: number, limits: ProtocolLimits, route: RouteName | undefined): Request {
  checkVersion(own(raw, 'v'), 'BAD_REQUEST')
  const type = own(raw, 'type')
  if (typeof type !== 'string') throw new SchemaError('BAD_REQUEST', `type: must be a string, got ${describe(type)}`)
  const spec = specOf(type)
  if (spec === undefined) throw new UnknownType(`unknown request type ${describe(type)}`)
  if (route !== undefined && !spec.routes.includes(route)) {
    throw new UnknownType(`type ${JSON.stringify(type)} is not served on ${ROUTE_PATHS[route]} (use ${spec.routes.map((r) => ROUTE_PATHS[r]).join(' or ')})`)
  }
  const params = spec.params(raw, '', {mode: 'request', limits})
  return {v: PROTOCOL_VERSION, id, type, ...params} as Request
}

/** A frame's version: missing is malformed, another number is `UNSUPPORTED_VERSION`. */
function checkVersion(v: unknown, missingCode: ErrorCode): void {
  if (v === PROTOCOL_VERSION) return
  if (v === undefined) throw new ProtocolFailure(missingCode, `v: required (the protocol version, ${PROTOCOL_VERSION})`)
  throw new ProtocolFailure('UNSUPPORTED_VERSION', `protocol version ${describe(v)} is not supported; supported: ${PROTOCOL_VERSION}`)
}

/** A failure with any stable code, thrown inside the parse functions and caught at their top. */
class ProtocolFailure extends Error {
  constructor(readonly code: ErrorCode, message: string) {
    super(message)
  }
}

class UnknownType extends ProtocolFailure {
  constructor(message: string) {
    super('UNKNOWN_TYPE', message)
  }
}

function asParseError(error: unknown, fallback: ErrorCode): ParseError {
  if (error instanceof SchemaError || error instanceof ProtocolFailure) {
    return {code: fallback === 'BAD_RESPONSE' ? 'BAD_RESPONSE' : error.code, message: error.message}
  }
  return {code: fallback, message: `invalid frame: ${quote(error)}`}
}

/**
 * The answer to a text frame whose bytes are not valid UTF-8 (the daemon checks the bytes before
 * decoding them, because a lossy decoding would silently turn each bad sequence into U+FFFD and
 * store that): `INVALID_UTF8`, with the request's id when the lossily decoded frame still shows
 * one, so the client can tell which request was refused. Nothing of the frame is used otherwise.
 * Never throws.
 */
export function invalidUtf8Request(lossyText: string): {readonly ok: false; readonly id?: number; readonly error: ParseError} {
  const error = {code: 'INVALID_UTF8' as const, message: 'frame is not valid UTF-8: keys, values and every other string must be UTF-8 text; nothing was applied'}
  let raw: unknown
  try {
    raw = JSON.parse(lossyText)
  } catch {
    return {ok: false, error}
  }
  const id = isRecord(raw) ? own(raw, 'id') : undefined
  return isRequestId(id) ? {ok: false, id, error} : {ok: false, error}
}

// ---------------------------------------------------------------------------------------------
// Requests (client side)

/** Outcome of {@link encodeRequest}. */
export type EncodeResult = {readonly ok: true; readonly text: string} | {readonly ok: false; readonly error: ParseError}

/**
 * Validate a request exactly as a daemon with `limits` would, and encode it. Clients use this
 * so that a request the daemon would refuse fails locally, before anything is sent (a
 * definite failure). Never throws.
 */
export function encodeRequest<T extends RequestType>(id: number, type: T, params: RequestParamsMap[T], limits: Partial<ProtocolLimits> = {}): EncodeResult {
  const text = formatRequest(id, type, params)
  const parsed = parseRequest(text, limits)
  return parsed.ok ? {ok: true, text} : {ok: false, error: parsed.error}
}

/** Encode a request frame without validating it: `{"v":1,"id":…,"type":…,…params}`. */
export function formatRequest<T extends RequestType>(id: number, type: T, params: RequestParamsMap[T]): string {
  return frameText({v: PROTOCOL_VERSION, id, type, ...withoutEnvelope(params, ['v', 'id', 'type'])})
}

/**
 * Top-level strings at least this long (a large value) are written into a frame's JSON text as
 * they are when they need no escape, instead of through `JSON.stringify`, which in Node 20 costs
 * about 5 ns a character (0.1 ms for a 16 KiB value, 1.3 ms for 256 KiB).
 */
export const PLAIN_STRING_FROM = 1024

/**
 * Clients (KvClient, the bench's load generator) send a `put` whose value has at least this many
 * UTF-16 units with `echo: false`: its answer then leaves out the value, which the client has.
 * An echoed 256 KiB value cost the daemon a string scan, a UTF-8 encoding and a socket write,
 * and the client a frame of its size to decode and parse (issue 23). Smaller values are still
 * echoed (their frames are as before).
 */
export const ECHO_OMITTED_FROM = 1024

/**
 * The JSON text of a frame, as `JSON.stringify` would write it except that large plain strings
 * (see {@link PLAIN_STRING_FROM}, {@link isPlainJsonString}) come last, as they are.
 */
export function frameText(frame: Record<string, unknown>): string {
  let tail = ''
  let rest: Record<string, unknown> | null = null
  // for…in, not Object.keys: no array per frame (a frame is a plain object with own fields only).
  for (const name in frame) {
    const value = frame[name]
    if (typeof value !== 'string' || value.length < PLAIN_STRING_FROM || !isPlainJsonString(value)) continue
    rest ??= {...frame}
    delete rest[name]
    tail += `,${JSON.stringify(name)}:"${value}"`
  }
  if (rest === null) return JSON.stringify(frame)
  const head = JSON.stringify(rest)
  return head === '{}' ? `{${tail.slice(1)}}` : `${head.slice(0, -1)}${tail}}`
}

/** Bytes JSON must escape in a string: `"`, `\` and the control characters U+0000..U+001F. */
const ESCAPED_BYTES: readonly number[] = [0x22, 0x5c, ...Array.from({length: 0x20}, (_, i) => i)]
/** Scratch for {@link isPlainJsonString}: one byte per UTF-16 unit of the longest string checked. */
let latin1Scratch = Buffer.allocUnsafe(0)
/** Longest string {@link isPlainJsonString} checks (longer ones are left to `JSON.stringify`). */
const MAX_PLAIN_CHECK = 8 * 1024 * 1024

/**
 * True when `JSON.stringify(text)` is `"` + text + `"`: no lone surrogate and no unit whose low
 * byte is an escaped byte. Each unit's low byte is copied natively (latin1) and searched for
 * each escaped byte (memchr speed): 34 native passes cost a third of `JSON.stringify`. A
 * character above U+00FF whose low byte matches (U+0122) only sends `text` the slow way.
 */
export function isPlainJsonString(text: string): boolean {
  if (text.length > MAX_PLAIN_CHECK || !isWellFormed(text)) return false
  if (latin1Scratch.length < text.length) latin1Scratch = Buffer.allocUnsafe(text.length)
  const bytes = latin1Scratch.subarray(0, latin1Scratch.write(text, 0, 'latin1'))
  for (const byte of ESCAPED_BYTES) if (bytes.indexOf(byte) !== -1) return false
  return true
}

function withoutEnvelope(fields: object, names: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(fields)) if (!names.includes(name)) out[name] = value
  return out
}

// ---------------------------------------------------------------------------------------------
// Responses and events (daemon side)

/** Encode a success response: `{"v":1,"id":…,"ok":true,…result}`. */
export function formatResponse<T extends RequestType>(id: number, result: ResultMap[T]): string {
  const frame: SuccessResponse<T> = {v: PROTOCOL_VERSION, id, ok: true, ...withoutEnvelope(result, ['v', 'id', 'ok'])} as SuccessResponse<T>
  return frameText(frame as unknown as Record<string, unknown>)
}

/**
 * Encode an error response. `id` is the request's, or null/undefined when it could not be read
 * (written as `null`). Give `leader` with `NOT_LEADER` whenever the node knows one.
 */
export function formatError(id: number | null | undefined, error: ProtocolError): string {
  const body: ProtocolError = error.leader === undefined
    ? {code: error.code, message: error.message}
    : {code: error.code, message: error.message, leader: {id: error.leader.id, address: error.leader.address}}
  const frame: ErrorResponse = {v: PROTOCOL_VERSION, id: id ?? null, ok: false, error: body}
  return JSON.stringify(frame)
}

/** Encode an event frame: `{"v":1,"type":"event","event":{…},"time":ms}`. */
export function formatEvent(event: AdminEvent, time: number): string {
  const frame: EventMessage = {v: PROTOCOL_VERSION, type: 'event', event, time}
  return JSON.stringify(frame)
}

// ---------------------------------------------------------------------------------------------
// Responses and events (client side)

/** One validated frame from a daemon. */
export type ServerMessage =
  /** A success response. `type` is the request's (from `typeOf`); `result` was checked against it when known. */
  | {readonly kind: 'result'; readonly id: number; readonly type: RequestType | undefined; readonly result: ResultMap[RequestType] | Readonly<Record<string, unknown>>}
  /** An error response; `id` is null when the daemon could not read the request's id. */
  | {readonly kind: 'error'; readonly id: number | null; readonly error: ProtocolError}
  /** An event pushed to a subscriber. */
  | {readonly kind: 'event'; readonly event: AdminEvent; readonly time: number}
  /** An event of a type this client does not know (from a newer daemon): skip it. */
  | {readonly kind: 'ignored'; readonly reason: string}

/** Outcome of {@link parseResponse}: the message, or `BAD_RESPONSE` (with the id when it could be read). */
export type ParseResponseResult =
  | {readonly ok: true; readonly message: ServerMessage}
  | {readonly ok: false; readonly id?: number; readonly error: ParseError}

/** Largest response frame {@link parseResponse} accepts by default: 64 MiB. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024

const RESPONSE_CONTEXT: SchemaContext = Object.freeze({mode: 'response', limits: DEFAULT_PROTOCOL_LIMITS})

/**
 * Parse and validate one frame from a daemon. Never throws; every failure is `BAD_RESPONSE`.
 * `typeOf` maps a response id to the type of the request it answers (the pending request), so
 * that the result's fields are checked too; fields the client does not know are ignored.
 * An error code this client does not know becomes `FAILED`, the original code kept in the message.
 */
export function parseResponse(
  text: string,
  typeOf: (id: number) => RequestType | undefined = () => undefined,
  maxFrameBytes = DEFAULT_MAX_RESPONSE_BYTES,
): ParseResponseResult {
  const raw = parseFrame(text, maxFrameBytes, 'BAD_RESPONSE')
  if (!raw.ok) return {ok: false, error: {code: 'BAD_RESPONSE', message: raw.error.message}}
  const id = own(raw.value, 'id')
  try {
    return {ok: true, message: readServerMessage(raw.value, typeOf)}
  } catch (error) {
    const failed = asParseError(error, 'BAD_RESPONSE')
    return isRequestId(id) ? {ok: false, id, error: failed} : {ok: false, error: failed}
  }
}

function readServerMessage(raw: Record<string, unknown>, typeOf: (id: number) => RequestType | undefined): ServerMessage {
  checkVersion(own(raw, 'v'), 'BAD_RESPONSE')
  if (own(raw, 'type') === 'event' && own(raw, 'ok') === undefined) return readEvent(raw)
  const ok = own(raw, 'ok')
  if (ok === true) return readResult(raw, typeOf)
  if (ok === false) return readError(raw)
  throw new SchemaError('BAD_REQUEST', `ok: must be a boolean, got ${describe(ok)}`)
}

function readResult(raw: Record<string, unknown>, typeOf: (id: number) => RequestType | undefined): ServerMessage {
  const id = own(raw, 'id')
  if (!isRequestId(id)) throw new SchemaError('BAD_REQUEST', `id: must be an integer >= 0, got ${describe(id)}`)
  const type = typeOf(id)
  const spec = type === undefined ? undefined : specOf(type)
  const result = spec === undefined ? withoutEnvelope(raw, ['v', 'id', 'ok']) : spec.result(raw, '', RESPONSE_CONTEXT)
  return {kind: 'result', id, type, result}
}

const leaderHint = object({id: text({nonEmpty: true}), address: nullable(text())})
const errorBody = object({code: text({nonEmpty: true}), message: text(), leader: optional(leaderHint)})

function readError(raw: Record<string, unknown>): ServerMessage {
  const id = own(raw, 'id')
  if (id !== null && !isRequestId(id)) throw new SchemaError('BAD_REQUEST', `id: must be an integer >= 0 or null, got ${describe(id)}`)
  const body = errorBody(own(raw, 'error'), 'error', RESPONSE_CONTEXT)
  const known = isErrorCode(body.code)
  const error: ProtocolError = {
    code: known ? body.code as ErrorCode : 'FAILED',
    message: known ? body.message : `[${body.code}] ${body.message}`,
    ...(body.leader === undefined ? {} : {leader: body.leader as LeaderHint}),
  }
  return {kind: 'error', id, error}
}

function readEvent(raw: Record<string, unknown>): ServerMessage {
  const time = own(raw, 'time')
  if (typeof time !== 'number' || !Number.isFinite(time)) throw new SchemaError('BAD_REQUEST', `time: must be a number, got ${describe(time)}`)
  const event = own(raw, 'event')
  const type = isRecord(event) ? own(event, 'type') : undefined
  if (typeof type === 'string' && own(EVENT_SCHEMAS, type) === undefined) {
    return {kind: 'ignored', reason: `unknown event type ${JSON.stringify(type)}`}
  }
  return {kind: 'event', event: eventSchema(event, child('', 'event'), RESPONSE_CONTEXT), time}
}

/** True when `code`, as the answer to a write, leaves its outcome unknown (see docs/errors.md). */
export function isOutcomeUnknown(code: ErrorCode): boolean {
  return OUTCOME_UNKNOWN_CODES.has(code)
}
