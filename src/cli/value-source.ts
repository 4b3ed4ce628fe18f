/**
 * Where the value of a `kv` write comes from: the VALUE argument, a file (`--file F`) or standard
 * input (VALUE `-`). Files and stdin are read with a cap (never more than the limit plus one
 * chunk is held), checked against the value size limit and for UTF-8 before anything is sent,
 * and kept byte for byte (a trailing newline stays). The commands stay thin: they call
 * {@link readValueSource} and send the string it returns.
 */
import {isUtf8} from 'node:buffer'
import {open} from 'node:fs/promises'
import type {Readable} from 'node:stream'
import {Args, Flags} from '@oclif/core'
import {DEFAULT_PROTOCOL_LIMITS} from '../admin/limits.js'
import {RaftctlError} from '../common/errors.js'

/** The VALUE argument that means "read the value from standard input". */
export const STDIN_VALUE = '-'

/**
 * Longest value a `kv` write may carry, in UTF-8 bytes: the protocol's and the state machine's
 * `maxValueBytes` (default 1 MiB, docs/kv.md "Limits"), so an over-limit value is refused here,
 * before any connection, rather than by the client or the leader.
 */
export const MAX_VALUE_BYTES = DEFAULT_PROTOCOL_LIMITS.maxValueBytes

/** The `--file F` flag of the kv writes: the value is read from F (give no VALUE then). */
export function fileFlag(description: string) {
  return Flags.string({description, helpValue: 'F'})
}

/**
 * An optional value argument of the kv writes (VALUE, NEW, or `-` for stdin). `ignoreStdin`:
 * left alone, oclif fills a missing optional argument from piped stdin (trimmed, and only what
 * arrives within 10 ms), which would make `… | kv put K --file F` a two-source error and
 * `… | kv put K` a silent, trimmed write; stdin is read only when the argument is `-`.
 */
export function valueArg(description: string) {
  return Args.string({description, required: false, ignoreStdin: true})
}

/** Bytes read from a file per call. */
const READ_CHUNK_BYTES = 64 * 1024

/** The sources given for one value; exactly one must be set (`argument` may be `-`). */
export interface ValueSourceInput {
  /** The VALUE argument as given (`-`: stdin), or undefined when none was given. */
  readonly argument: string | undefined
  /** The `--file` flag, or undefined. */
  readonly file: string | undefined
  /** How the value is named in messages, e.g. `VALUE` or `NEW`. */
  readonly name: string
  /** The usage line shown when zero or two sources are given, e.g. `kv put KEY (VALUE | --file F | -)`. */
  readonly usage: string
}

/** Where to read from, injectable by tests. */
export interface ValueSourceOptions {
  /** Limit in bytes. Default {@link MAX_VALUE_BYTES}. */
  readonly maxBytes?: number
  /** Standard input. Default `process.stdin`. */
  readonly stdin?: Readable
}

/**
 * The value to write, from exactly one of the VALUE argument, `--file` or stdin (argument `-`).
 *
 * Contract: zero or two sources → `BAD_USAGE`; more than `maxBytes` UTF-8 bytes → `PAYLOAD_TOO_LARGE`
 * naming the limit and the size (for stdin, "more than" the limit: reading stops there, the rest
 * is never buffered); a file or stdin whose bytes are not UTF-8 → `INVALID_UTF8` naming the byte
 * offset of the first bad sequence (values are text; binary must be encoded by the caller); a
 * file that cannot be opened or read → `BAD_INPUT` naming the path and the reason. The bytes are
 * returned unchanged: no newline is stripped or added. A VALUE argument is returned as given
 * (its UTF-8 is checked by `requireUtf8Args`), after the same size check.
 */
export async function readValueSource(input: ValueSourceInput, options: ValueSourceOptions = {}): Promise<string> {
  const maxBytes = options.maxBytes ?? MAX_VALUE_BYTES
  const source = chooseSource(input)
  if (source.kind === 'argument') {
    const bytes = Buffer.byteLength(source.value, 'utf8')
    if (bytes > maxBytes) throw tooLarge(input.name, `is ${bytes} bytes`, maxBytes)
    return source.value
  }
  const bytes = source.kind === 'file' ? await readFileCapped(source.path, input.name, maxBytes) : await readStreamCapped(options.stdin ?? process.stdin, input.name, maxBytes)
  return decodeUtf8(bytes, source.kind === 'file' ? `${input.name} from file ${source.path}` : `${input.name} from stdin`)
}

type Source = {readonly kind: 'argument'; readonly value: string} | {readonly kind: 'file'; readonly path: string} | {readonly kind: 'stdin'}

function chooseSource(input: ValueSourceInput): Source {
  const hasArgument = input.argument !== undefined
  const hasFile = input.file !== undefined
  if (hasArgument && hasFile) {
    const given = input.argument === STDIN_VALUE ? `- (stdin)` : `a ${input.name} argument`
    throw new RaftctlError('BAD_USAGE', `give the value once: both ${given} and --file were given; use ${input.usage}`)
  }
  if (!hasArgument && !hasFile) throw new RaftctlError('BAD_USAGE', `no value given: use ${input.usage}`)
  if (hasFile) {
    if (input.file === '') throw new RaftctlError('BAD_USAGE', '--file needs a path')
    return {kind: 'file', path: input.file as string}
  }
  return input.argument === STDIN_VALUE ? {kind: 'stdin'} : {kind: 'argument', value: input.argument as string}
}

function tooLarge(name: string, size: string, maxBytes: number): RaftctlError {
  return new RaftctlError('PAYLOAD_TOO_LARGE', `${name} ${size}, over the limit of ${maxBytes} bytes (maxValueBytes); nothing was sent`)
}

/** At most `maxBytes` bytes of `path`; more is PAYLOAD_TOO_LARGE (the size from fstat when known), a failure BAD_INPUT. */
async function readFileCapped(path: string, name: string, maxBytes: number): Promise<Buffer> {
  let handle
  try {
    handle = await open(path, 'r')
  } catch (err) {
    throw unreadable(path, err)
  }
  try {
    const chunks: Buffer[] = []
    let total = 0
    for (;;) {
      let bytesRead: number
      let buffer: Buffer
      try {
        buffer = Buffer.alloc(Math.min(READ_CHUNK_BYTES, maxBytes + 1 - total))
        ;({bytesRead} = await handle.read(buffer, 0, buffer.length, null))
      } catch (err) {
        throw unreadable(path, err)
      }
      if (bytesRead === 0) return Buffer.concat(chunks, total)
      chunks.push(buffer.subarray(0, bytesRead))
      total += bytesRead
      if (total > maxBytes) throw tooLarge(`${name} from file ${path}`, await fileSize(handle, total, maxBytes), maxBytes)
    }
  } finally {
    await handle.close()
  }
}

/** How big the file is: its size when it is a regular file, else "more than" the limit (reading stopped there). */
async function fileSize(handle: {stat(): Promise<{isFile(): boolean; size: number}>}, read: number, maxBytes: number): Promise<string> {
  try {
    const st = await handle.stat()
    if (st.isFile() && st.size >= read) return `is ${st.size} bytes`
  } catch {
    // Not a size we can tell: say what was read.
  }
  return `is more than ${maxBytes} bytes (reading stopped there)`
}

function unreadable(path: string, err: unknown): RaftctlError {
  const e = err as NodeJS.ErrnoException
  const reason = e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.code === 'EISDIR' ? 'it is a directory' : e.message
  return new RaftctlError('BAD_INPUT', `cannot read --file ${path}: ${reason}${e.code && !reason.includes(e.code) ? ` (${e.code})` : ''}`)
}

/** The whole of `stream`, or PAYLOAD_TOO_LARGE as soon as more than `maxBytes` arrived (the rest is not read). */
async function readStreamCapped(stream: Readable, name: string, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  let total = 0
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : (chunk as Buffer)
    total += bytes.length
    if (total > maxBytes) {
      stream.destroy()
      throw tooLarge(`${name} from stdin`, `is more than ${maxBytes} bytes (reading stopped there)`, maxBytes)
    }
    chunks.push(bytes)
  }
  return Buffer.concat(chunks, total)
}

function decodeUtf8(bytes: Buffer, what: string): string {
  if (isUtf8(bytes)) return bytes.toString('utf8')
  const offset = firstInvalidUtf8Offset(bytes)
  throw new RaftctlError('INVALID_UTF8', `${what} is not valid UTF-8 at byte offset ${offset} (0x${bytes[offset].toString(16).padStart(2, '0')}): values are UTF-8 text; encode binary data first (e.g. base64); nothing was sent`)
}

/**
 * Offset of the first byte that does not start a well-formed UTF-8 sequence (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF; a sequence cut short, at the end or by
 * a non-continuation byte, counts at its first byte), or -1 when `bytes` is all valid.
 */
export function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0
  while (i < bytes.length) {
    const length = sequenceLength(bytes, i)
    if (length === 0) return i
    i += length
  }
  return -1
}

/** Length of the well-formed sequence at `i`, or 0 when it is not one. */
function sequenceLength(bytes: Uint8Array, i: number): number {
  const b0 = bytes[i]
  if (b0 < 0x80) return 1
  // [length, lowest and highest second byte] by lead byte (Unicode Table 3-7).
  let length: number
  let lo = 0x80
  let hi = 0xbf
  if (b0 >= 0xc2 && b0 <= 0xdf) length = 2
  else if (b0 >= 0xe0 && b0 <= 0xef) {
    length = 3
    if (b0 === 0xe0) lo = 0xa0
    if (b0 === 0xed) hi = 0x9f
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    length = 4
    if (b0 === 0xf0) lo = 0x90
    if (b0 === 0xf4) hi = 0x8f
  } else return 0
  if (i + length > bytes.length) return 0
  if (bytes[i + 1] < lo || bytes[i + 1] > hi) return 0
  for (let k = 2; k < length; k++) if (bytes[i + k] < 0x80 || bytes[i + k] > 0xbf) return 0
  return length
}
