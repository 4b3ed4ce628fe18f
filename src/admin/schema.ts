/**
 * A tiny validation toolkit for untrusted JSON: a `Schema<T>` is a function that checks a
 * parsed JSON value and returns it typed, or throws a {@link SchemaError} whose message names
 * the offending field (`session.seq: must be an integer >= 1`). Schemas compose (objects,
 * lists, nullable, optional, defaults), so every message type of the protocol is one
 * declarative entry in the table of `specs.ts`.
 *
 * Two modes: `request` (the daemon validating what a client sent: unknown fields refused,
 * byte limits enforced) and `response` (a client validating what a daemon sent: unknown fields
 * ignored, so servers may add fields, and byte limits not applied).
 */
import type {ProtocolLimits} from './limits.js'

/** Code of a refused value: malformed, not well-formed Unicode, or over a byte limit. */
export type SchemaErrorCode = 'BAD_REQUEST' | 'INVALID_UTF8' | 'PAYLOAD_TOO_LARGE'

/** Thrown by a schema; caught by the parse functions, which never throw. */
export class SchemaError extends Error {
  readonly code: SchemaErrorCode

  constructor(code: SchemaErrorCode, message: string) {
    super(message)
    this.name = 'SchemaError'
    this.code = code
  }
}

/** How strictly to check. */
export interface SchemaContext {
  /** `request`: unknown fields refused and byte limits enforced; `response`: neither. */
  readonly mode: 'request' | 'response'
  /** The byte limits enforced in `request` mode. */
  readonly limits: ProtocolLimits
}

/**
 * Checks `value` (found at `field`, a dotted path; `''` for the root) and returns it typed.
 * Throws {@link SchemaError} when it does not conform.
 */
export type Schema<T> = (value: unknown, field: string, ctx: SchemaContext) => T

/** The type a schema produces. */
export type Infer<S> = S extends Schema<infer T> ? T : never

/** Names of the {@link ProtocolLimits} byte limits a string can be held to. */
export type ByteLimit = Exclude<keyof ProtocolLimits, 'maxFrameBytes'>

/** Throw a `BAD_REQUEST` naming `field`. */
export function fail(field: string, problem: string): never {
  throw new SchemaError('BAD_REQUEST', `${field || 'message'}: ${problem}`)
}

/** The path of a child field: `parent.name`, or `name` at the root. */
export function child(parent: string, name: string): string {
  return parent === '' ? name : `${parent}.${name}`
}

/**
 * UTF-8 length of `text` without encoding it, or -1 when it holds a lone surrogate (which
 * JSON can carry as `"\ud800"` but UTF-8 cannot represent).
 */
export function utf8Length(text: string): number {
  if (text.length >= NATIVE_FROM) return isWellFormed(text) ? nativeUtf8Length(text) : -1
  let bytes = 0
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i)
    if (unit < 0x80) bytes += 1
    else if (unit < 0x800) bytes += 2
    else if (unit < 0xd800 || unit > 0xdfff) bytes += 3
    else if (unit <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 4
      i++
    } else return -1
  }
  return bytes
}

/** Strings at least this long (a large value) are measured by the engine's native UTF-8 encoder. */
const NATIVE_FROM = 64
const encoder = new TextEncoder()
/** `String.prototype.isWellFormed` (Node 20 has it), or undefined on an older engine. */
const nativeIsWellFormed = (String.prototype as {isWellFormed?: (this: string) => boolean}).isWellFormed
/** Scratch room to encode into, grown to 3 bytes per UTF-16 unit of the longest string measured (at most {@link MAX_SCRATCH}). */
let scratch = new Uint8Array(0)
const MAX_SCRATCH = 4 * 1024 * 1024

/** True when `text` has no lone surrogate (it survives a UTF-8 round trip unchanged). */
export function isWellFormed(text: string): boolean {
  return nativeIsWellFormed !== undefined ? nativeIsWellFormed.call(text) : !/[\uD800-\uDFFF]/u.test(text)
}

/** UTF-8 bytes of a well-formed string, encoded natively into scratch room (3 bytes per unit always suffice). */
function nativeUtf8Length(text: string): number {
  const room = text.length * 3
  if (room > MAX_SCRATCH) return encoder.encode(text).length
  if (scratch.length < room) scratch = new Uint8Array(room)
  return encoder.encodeInto(text, scratch).written
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff
}

/** True for a plain JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Own property of an untrusted object (never the prototype's: `toString`, `__proto__`). */
export function own(record: Record<string, unknown>, name: string): unknown {
  return Object.prototype.hasOwnProperty.call(record, name) ? record[name] : undefined
}

// ---------------------------------------------------------------------------------------------
// Scalars

/** Options of {@link text}. */
export interface TextOptions {
  /** Refuse `""`. */
  readonly nonEmpty?: boolean
  /** Longest length in UTF-8 bytes: a fixed number, or the name of a configurable limit. */
  readonly maxBytes?: number | ByteLimit
}

/**
 * A well-formed string (no lone surrogates: `INVALID_UTF8`, since UTF-8 cannot encode one and it
 * would be stored as U+FFFD). Over `maxBytes` is `PAYLOAD_TOO_LARGE` for a configurable limit and
 * `BAD_REQUEST` for a fixed one; neither is checked in response mode.
 */
export function text(options: TextOptions = {}): Schema<string> {
  return (value, field, ctx) => {
    if (typeof value !== 'string') return fail(field, `must be a string, got ${describe(value)}`)
    if (options.nonEmpty === true && value.length === 0) return fail(field, 'must not be empty')
    const bytes = utf8Length(value)
    if (bytes < 0) throw new SchemaError('INVALID_UTF8', `${field}: must be well-formed Unicode (it holds a lone surrogate, which UTF-8 cannot encode)`)
    if (ctx.mode === 'request' && options.maxBytes !== undefined) checkBytes(field, bytes, options.maxBytes, ctx.limits)
    return value
  }
}

function checkBytes(field: string, bytes: number, max: number | ByteLimit, limits: ProtocolLimits): void {
  const limit = typeof max === 'number' ? max : limits[max]
  if (bytes <= limit) return
  const message = `${field}: is ${bytes} UTF-8 bytes, over the limit of ${limit}`
  if (typeof max === 'number') throw new SchemaError('BAD_REQUEST', message)
  throw new SchemaError('PAYLOAD_TOO_LARGE', `${message} (${max})`)
}

/** A safe integer in `[min, max]`. */
export function integer(min = 0, max = Number.MAX_SAFE_INTEGER): Schema<number> {
  return (value, field) => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) return fail(field, `must be an integer, got ${describe(value)}`)
    if (value < min) return fail(field, `must be an integer >= ${min}, got ${value}`)
    if (value > max) return fail(field, `must be an integer <= ${max}, got ${value}`)
    return value
  }
}

/** A finite number (fractions allowed) in `[min, max]`. */
export function number(min = -Infinity, max = Infinity): Schema<number> {
  return (value, field) => {
    if (typeof value !== 'number' || !Number.isFinite(value)) return fail(field, `must be a number, got ${describe(value)}`)
    if (value < min) return fail(field, `must be >= ${min}, got ${value}`)
    if (value > max) return fail(field, `must be <= ${max}, got ${value}`)
    return value
  }
}

/** `true` or `false`. */
export function boolean(): Schema<boolean> {
  return (value, field) => (typeof value === 'boolean' ? value : fail(field, `must be a boolean, got ${describe(value)}`))
}

/** One of the given string literals. */
export function oneOf<const T extends string>(values: readonly T[]): Schema<T> {
  return (value, field) => {
    if (typeof value === 'string' && (values as readonly string[]).includes(value)) return value as T
    return fail(field, `must be one of ${values.map((v) => JSON.stringify(v)).join(', ')}, got ${describe(value)}`)
  }
}

/** Exactly `literal`. */
export function constant<const T extends string | number | boolean>(literal: T): Schema<T> {
  return (value, field) => (value === literal ? literal : fail(field, `must be ${JSON.stringify(literal)}, got ${describe(value)}`))
}

// ---------------------------------------------------------------------------------------------
// Combinators

/** `null`, or a value of `inner`. */
export function nullable<T>(inner: Schema<T>): Schema<T | null> {
  return (value, field, ctx) => (value === null ? null : inner(value, field, ctx))
}

/** Absent (`undefined`), or a value of `inner`. Inside {@link object}, absent fields are omitted. */
export function optional<T>(inner: Schema<T>): Schema<T | undefined> {
  return (value, field, ctx) => (value === undefined ? undefined : inner(value, field, ctx))
}

/** Absent: `fallback`; otherwise a value of `inner`. */
export function withDefault<T>(inner: Schema<T>, fallback: T): Schema<T> {
  return (value, field, ctx) => (value === undefined ? fallback : inner(value, field, ctx))
}

/** An array of at most `maxItems` values of `item`. */
export function list<T>(item: Schema<T>, maxItems: number): Schema<T[]> {
  return (value, field, ctx) => {
    if (!Array.isArray(value)) return fail(field, `must be an array, got ${describe(value)}`)
    if (value.length > maxItems) return fail(field, `must have at most ${maxItems} items, got ${value.length}`)
    return value.map((element, i) => item(element, `${field}[${i}]`, ctx))
  }
}

/** The fields of an object schema. */
export type Shape = Readonly<Record<string, Schema<unknown>>>

/** The object an object schema of `S` produces. */
export type ShapeOf<S extends Shape> = {[K in keyof S]: Infer<S[K]>}

/**
 * An object with the fields of `shape`. Fields absent from the input (or yielding `undefined`)
 * are omitted from the output. In request mode a field not in `shape` is refused, except the
 * `ignore`d ones (the envelope fields); in response mode extra fields are dropped.
 */
export function object<S extends Shape>(shape: S, ignore: readonly string[] = []): Schema<ShapeOf<S>> {
  return (value, field, ctx) => {
    if (!isRecord(value)) return fail(field, `must be an object, got ${describe(value)}`)
    if (ctx.mode === 'request') refuseUnknown(value, shape, ignore, field)
    const out: Record<string, unknown> = {}
    for (const name of Object.keys(shape)) {
      const checked = shape[name]!(own(value, name), child(field, name), ctx)
      if (checked !== undefined) out[name] = checked
    }
    return out as ShapeOf<S>
  }
}

function refuseUnknown(value: Record<string, unknown>, shape: Shape, ignore: readonly string[], field: string): void {
  for (const name of Object.keys(value)) {
    if (!Object.prototype.hasOwnProperty.call(shape, name) && !ignore.includes(name)) {
      fail(child(field, name), 'unknown field')
    }
  }
}

/**
 * Like {@link object}, but fields not in `shape` are kept as they are (for open records such as
 * chaos faults, whose kinds are defined elsewhere). At most `maxFields` fields.
 */
export function openObject<S extends Shape>(shape: S, maxFields = 64): Schema<ShapeOf<S> & Readonly<Record<string, unknown>>> {
  const known = object(shape)
  return (value, field, ctx) => {
    if (!isRecord(value)) return fail(field, `must be an object, got ${describe(value)}`)
    if (Object.keys(value).length > maxFields) return fail(field, `must have at most ${maxFields} fields`)
    const checked = known(pick(value, shape), field, ctx)
    return {...value, ...checked}
  }
}

function pick(value: Record<string, unknown>, shape: Shape): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const name of Object.keys(shape)) if (Object.prototype.hasOwnProperty.call(value, name)) out[name] = value[name]
  return out
}

/**
 * A union of objects told apart by the string field `tag` (e.g. events by `type`). An unknown
 * tag is refused with the list of known ones.
 */
export function tagged<T>(tag: string, variants: Readonly<Record<string, Schema<T>>>): Schema<T> {
  return (value, field, ctx) => {
    if (!isRecord(value)) return fail(field, `must be an object, got ${describe(value)}`)
    const name = own(value, tag)
    const variant = typeof name === 'string' ? own(variants, name) : undefined
    if (variant === undefined) return fail(child(field, tag), `must be one of ${Object.keys(variants).join(', ')}, got ${describe(name)}`)
    return (variant as Schema<T>)(value, field, ctx)
  }
}

/** A short description of an untrusted value for error messages (never the whole value). */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'string') return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value)
  if (typeof value === 'object') return 'an object'
  return `${typeof value} ${String(value)}`
}
