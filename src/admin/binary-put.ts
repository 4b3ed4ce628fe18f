/**
 * Binary put frames, an extension of protocol version 1 (docs/protocol.md "Binary put frames"):
 * a `put` whose value travels as its raw UTF-8 bytes in a binary WebSocket message, after a
 * small JSON header, instead of inside a JSON text frame. A daemon that accepts them says so in
 * its upgrade response ({@link BINARY_FRAMES_HEADER}); a client sends them only then, so old
 * daemons and old clients keep talking JSON text.
 *
 * Layout: `u8 kind (1: put) | u32 header length (big-endian) | header | value`, where header is
 * the put's JSON request text without `value` (`{"v":1,"id":7,"type":"put","key":"k",…}`) and
 * value is the rest of the message: the value's UTF-8 bytes. The daemon checks the header
 * exactly as a text frame (same codes, same messages) and the value's bytes natively (UTF-8,
 * byte limit); the bytes go into the Raft entry as they are (issue 23: a 256 KiB value no longer
 * costs the leader a JSON parse, a UTF-8 decode of the frame and a UTF-8 encode into the entry).
 */
import {isAscii, isUtf8} from 'node:buffer'
import {NO_OPTIONS, encodeRequest, invalidUtf8Request, isRequestId, limitsOf, parseRequestObject, type ParseError, type ParseRequestResult, type RequestParseOptions} from './protocol.js'
import {resolveProtocolLimits, type ProtocolLimits} from './limits.js'
import type {PutParams, Request} from './messages.js'
import {describe, isRecord, isWellFormed, own} from './schema.js'

/**
 * Upgrade response header by which a daemon says it accepts binary put frames on `/client` and
 * `/admin`; its value is {@link BINARY_FRAMES_VALUE}. Absent (a daemon older than these frames):
 * clients send JSON text only.
 */
export const BINARY_FRAMES_HEADER = 'x-raftctl-binary-frames'

/** Value of {@link BINARY_FRAMES_HEADER}: the kinds of binary frames accepted. */
export const BINARY_FRAMES_VALUE = 'put'

/** True when a daemon's {@link BINARY_FRAMES_HEADER} (as an upgrade response carries it) lists binary put frames. */
export function acceptsBinaryPut(header: string | readonly string[] | undefined): boolean {
  const value = typeof header === 'string' ? header : (header ?? []).join(',')
  return value.split(',').some((kind) => kind.trim() === BINARY_FRAMES_VALUE)
}

/** First byte of a binary put frame. */
export const BINARY_PUT_KIND = 1

/** Bytes before a binary frame's header: the kind and the header's length. */
const PREFIX_BYTES = 5

/**
 * Clients send a put as a binary frame when its value has at least this many UTF-16 units
 * (and the daemon accepts them); smaller puts stay JSON text. The daemon's CPU to parse a put
 * and encode its entry, binary against text (in one process, median of 7 alternated rounds):
 * 1 KiB 4.6 against 4.0 µs, 2 KiB 5.8 / 5.6, 4 KiB 6.2 / 7.1, 8 KiB 7.5 / 10.6, 16 KiB 12 / 19,
 * 256 KiB 338 / 699: binary pays from about 4 KiB.
 */
export const BINARY_PUT_FROM = 4096

/** The raw UTF-8 bytes of the value of each put that arrived as a binary frame. */
const valueBytes = new WeakMap<object, Uint8Array>()

/**
 * The value's UTF-8 bytes when `request` arrived as a binary put frame (checked: valid UTF-8,
 * equal to `request.value`, within the byte limit); undefined otherwise. The daemon puts them in
 * the Raft entry as they are.
 */
export function valueBytesOf(request: object): Uint8Array | undefined {
  return valueBytes.get(request)
}

/** Outcome of {@link encodeBinaryPut}. */
export type BinaryPutResult = {readonly ok: true; readonly bytes: Buffer} | {readonly ok: false; readonly error: ParseError}

/**
 * Validate a put exactly as a daemon with `limits` would and encode it as a binary frame. Never
 * throws. The header is checked as a text frame with an empty value; the value's lone surrogates
 * and byte limit are checked here with the daemon's codes and messages.
 */
export function encodeBinaryPut(id: number, params: PutParams, limits: Partial<ProtocolLimits> = {}): BinaryPutResult {
  const resolved = resolveProtocolLimits(limits)
  const header = encodeRequest(id, 'put', {...params, value: ''}, limits)
  if (!header.ok) return header
  const value = params.value
  if (!isWellFormed(value)) return failure('INVALID_UTF8', 'value: must be well-formed Unicode (it holds a lone surrogate, which UTF-8 cannot encode)')
  const bytes = Buffer.byteLength(value, 'utf8')
  const tooLarge = checkValueBytes(bytes, resolved)
  if (tooLarge !== undefined) return {ok: false, error: tooLarge}
  const text = withoutValue(header.text)
  const headerBytes = Buffer.byteLength(text, 'utf8')
  const frame = Buffer.allocUnsafe(PREFIX_BYTES + headerBytes + bytes)
  frame[0] = BINARY_PUT_KIND
  frame.writeUInt32BE(headerBytes, 1)
  frame.write(text, PREFIX_BYTES, 'utf8')
  frame.write(value, PREFIX_BYTES + headerBytes, 'utf8')
  return {ok: true, bytes: frame}
}

/** The header of a binary put: the checked text frame without its (empty) `"value":""` field. */
function withoutValue(text: string): string {
  const field = ',"value":""'
  const at = text.indexOf(field)
  if (at === -1) throw new Error('binary put: the encoded request has no empty value field')
  return text.slice(0, at) + text.slice(at + field.length)
}

/** `PAYLOAD_TOO_LARGE` as the text frame's schema words it, or undefined within the limit. */
function checkValueBytes(bytes: number, limits: ProtocolLimits): ParseError | undefined {
  if (bytes <= limits.maxValueBytes) return undefined
  return {code: 'PAYLOAD_TOO_LARGE', message: `value: is ${bytes} UTF-8 bytes, over the limit of ${limits.maxValueBytes} (maxValueBytes)`}
}

function failure(code: ParseError['code'], message: string): {readonly ok: false; readonly error: ParseError} {
  return {ok: false, error: {code, message}}
}

/**
 * Parse and validate one binary frame (daemon side). Never throws. Not a binary put (unknown
 * kind, truncated, header not a JSON object) → `BAD_REQUEST`; header not UTF-8 or value not
 * UTF-8 → `INVALID_UTF8`; header with a `value` or a `type` other than `put` → `BAD_REQUEST`;
 * over `maxFrameBytes` or a value over `maxValueBytes` → `PAYLOAD_TOO_LARGE`; the header's other
 * fields as {@link parseRequestObject}. The request's `value` is the decoded value, and
 * {@link valueBytesOf} gives its bytes.
 */
export function parseBinaryRequest(frame: Buffer, options: RequestParseOptions = NO_OPTIONS): ParseRequestResult {
  const limits = limitsOf(options)
  if (frame.length > limits.maxFrameBytes) return failure('PAYLOAD_TOO_LARGE', `frame is over the limit of ${limits.maxFrameBytes} bytes (maxFrameBytes)`)
  if (frame.length < PREFIX_BYTES || frame[0] !== BINARY_PUT_KIND) return failure('BAD_REQUEST', `binary frames must be binary puts (kind ${BINARY_PUT_KIND}); other requests are JSON text`)
  const headerEnd = PREFIX_BYTES + frame.readUInt32BE(1)
  if (headerEnd > frame.length) return failure('BAD_REQUEST', `binary put: header length ${headerEnd - PREFIX_BYTES} is over the frame's ${frame.length - PREFIX_BYTES} bytes`)
  const header = frame.subarray(PREFIX_BYTES, headerEnd)
  if (!isUtf8(header)) return invalidUtf8Request(header.toString('utf8'))
  const raw = parseHeader(header.toString('utf8'))
  if (!raw.ok) return raw
  return withValue(raw.value, frame.subarray(headerEnd), limits, options)
}

type HeaderResult = {readonly ok: true; readonly value: Record<string, unknown>} | {readonly ok: false; readonly error: ParseError}

function parseHeader(text: string): HeaderResult {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    return failure('BAD_REQUEST', `binary put: header is not valid JSON: ${(error as Error).message}`)
  }
  if (!isRecord(value)) return failure('BAD_REQUEST', `binary put: header must be a JSON object, got ${describe(value)}`)
  return {ok: true, value}
}

/** The header checked as a put with an empty value, then the value's bytes checked and decoded. */
function withValue(raw: Record<string, unknown>, bytes: Buffer, limits: ProtocolLimits, options: RequestParseOptions): ParseRequestResult {
  const id = own(raw, 'id')
  const idOf = isRequestId(id) ? {id} : {}
  if (own(raw, 'type') !== 'put') return {ok: false, ...idOf, error: {code: 'BAD_REQUEST', message: `binary put: type must be "put", got ${describe(own(raw, 'type'))}`}}
  if (Object.hasOwn(raw, 'value')) return {ok: false, ...idOf, error: {code: 'BAD_REQUEST', message: 'binary put: the value follows the header; the header must not hold one'}}
  raw.value = '' // the header is this function's own parse: checked as a put with an empty value
  const parsed = parseRequestObject(raw, options)
  if (!parsed.ok) return parsed
  const request = parsed.request as Request & {value: string}
  const tooLarge = checkValueBytes(bytes.length, limits)
  if (tooLarge !== undefined) return {ok: false, id: request.id, error: tooLarge}
  if (!isUtf8(bytes)) return {ok: false, id: request.id, error: {code: 'INVALID_UTF8', message: 'value: is not valid UTF-8; nothing was applied'}}
  // readRequest made `request` afresh. ASCII decodes as latin1 at copy speed; UTF-8 decoding checks and widens.
  request.value = bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8')
  valueBytes.set(request, bytes)
  return {ok: true, request}
}
