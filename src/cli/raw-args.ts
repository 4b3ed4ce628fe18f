/**
 * Command-line arguments checked against the bytes the shell passed. Node decodes argv as UTF-8
 * lossily: a byte sequence that is not UTF-8 (e.g. 0xff from `$(printf '\377')`) reaches the
 * program as U+FFFD, and a key written from it would silently differ from what was typed. On
 * Linux the raw bytes are in /proc/self/cmdline; here a U+FFFD that was typed is told apart from
 * one that replaced invalid bytes, and the latter is refused with `INVALID_UTF8` (docs/kv.md).
 */
import {isUtf8} from 'node:buffer'
import {readFileSync} from 'node:fs'
import {RaftctlError} from '../common/errors.js'

/** What a lossy UTF-8 decoding puts in place of each invalid sequence. */
const REPLACEMENT = '\uFFFD'

/** The raw arguments of a process: NUL-terminated strings (Linux procfs). */
const CMDLINE_PATH = '/proc/self/cmdline'

/** Reads the raw command line: the bytes of /proc/self/cmdline, or undefined when they cannot be read. */
export type RawCommandLine = () => Buffer | undefined

/** This process's raw command line from /proc/self/cmdline; undefined off Linux or when unreadable. */
export function procCommandLine(): Buffer | undefined {
  try {
    return readFileSync(CMDLINE_PATH)
  } catch {
    return undefined
  }
}

/** One raw argument: its lossy decoding (what Node shows) and whether its bytes were UTF-8. */
interface RawArg {
  readonly text: string
  readonly valid: boolean
}

/**
 * Throw `INVALID_UTF8` (exit 2) when one of `values` (named arguments, e.g. `{key, value}`) was
 * not valid UTF-8 on the command line, before anything is sent. Only a value holding U+FFFD
 * needs its raw bytes: it is refused when a raw argument that decodes to it is not UTF-8, and
 * also when no raw argument decodes to it (the raw bytes cannot be read, e.g. not on Linux, or
 * the value did not come from this process's command line): a typed U+FFFD is then refused too,
 * since nothing tells it apart from a replaced byte.
 *
 * @param readRaw where the raw command line comes from (tests inject one). Default: /proc/self/cmdline.
 */
export function requireUtf8Args(values: Readonly<Record<string, string | undefined>>, readRaw: RawCommandLine = procCommandLine): void {
  let raw: readonly RawArg[] | undefined
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined || !value.includes(REPLACEMENT)) continue
    raw ??= splitCommandLine(readRaw())
    const same = raw.filter((arg) => arg.text === value)
    if (same.length > 0 && same.every((arg) => arg.valid)) continue
    throw new RaftctlError('INVALID_UTF8', same.length > 0 ? invalidMessage(name, value) : unprovableMessage(name, value))
  }
}

function splitCommandLine(bytes: Buffer | undefined): RawArg[] {
  if (bytes === undefined) return []
  const args: RawArg[] = []
  let start = 0
  for (let end = bytes.indexOf(0, start); end >= 0; end = bytes.indexOf(0, start)) {
    const arg = bytes.subarray(start, end)
    args.push({text: arg.toString('utf8'), valid: isUtf8(arg)})
    start = end + 1
  }
  return args
}

function invalidMessage(name: string, value: string): string {
  return `${name} is not valid UTF-8: the command line holds bytes that are not UTF-8 (read as U+FFFD in ${JSON.stringify(value)}); keys and values are UTF-8 text, and raftctl refuses them rather than store U+FFFD in their place; nothing was sent`
}

function unprovableMessage(name: string, value: string): string {
  return `${name} holds U+FFFD (${JSON.stringify(value)}) and its raw bytes cannot be read to tell a typed U+FFFD from bytes that are not UTF-8, so it is refused; nothing was sent`
}
