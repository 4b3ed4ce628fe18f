/**
 * What `kv get --prefix|--to`, `kv list` and `kv delete --prefix` share: the range flags, the
 * check of their combinations, the named JSON documents these commands print, and the human
 * rendering (`key = value` lines, like `kv get` prints a bare value, and a note on stderr when
 * the list was cut). Commands parse, call {@link readRange} or the client, and print what this
 * module formats.
 */
import {Flags} from '@oclif/core'
import {RaftctlError} from '../common/errors.js'
import {MAX_RANGE_LIMIT} from '../admin/limits.js'
import type {RangeResult} from '../admin/messages.js'
import type {KvClient, RangeOptions, RangeSelector} from '../client/index.js'
import {canPrompt, plural} from './render.js'

/** `kv get --prefix P`, `kv get FROM --to TO`, `kv list --json`: the keys read, as `KvClient.range` answers. */
export interface KvRangeOutput {
  /** The listed keys in UTF-8 byte order: `{key, value, modIndex}` (no `value` with --keys-only). */
  readonly kvs: RangeResult['kvs']
  /** Keys in the range in total, even when --limit (or the daemon's byte budget) cut the list. */
  readonly count: number
  /** True when the list was cut. */
  readonly more: boolean
  /** The applied index the read reflects. */
  readonly index: number
}

/** `kv delete --prefix P --json`. */
export interface KvDeletePrefixOutput {
  readonly prefix: string
  /** How many keys were removed. */
  readonly deleted: number
}

/** The flags that shape a range read, shared by `kv get` and `kv list`. */
export const rangeFlags = {
  limit: Flags.integer({description: `list at most N keys (1..${MAX_RANGE_LIMIT}); "count" still counts them all`, min: 1, max: MAX_RANGE_LIMIT}),
  'keys-only': Flags.boolean({description: 'list keys without values', default: false, exclusive: ['count-only']}),
  'count-only': Flags.boolean({description: 'print only how many keys the range holds', default: false}),
}

/** The parsed {@link rangeFlags}. */
export interface RangeFlagValues {
  readonly limit?: number
  readonly 'keys-only': boolean
  readonly 'count-only': boolean
}

/** True when one of {@link rangeFlags} was given (they need a range: --prefix or --to). */
export function anyRangeFlag(flags: RangeFlagValues): boolean {
  return flags.limit !== undefined || flags['keys-only'] || flags['count-only']
}

/** Read a range; the answer is the command's JSON document. */
export async function readRange(kv: KvClient, selector: RangeSelector, flags: RangeFlagValues & {readonly serializable: boolean}): Promise<KvRangeOutput> {
  const options: RangeOptions = {limit: flags.limit, keysOnly: flags['keys-only'], countOnly: flags['count-only'], serializable: flags.serializable}
  const r = await kv.range(selector, options)
  return {kvs: r.kvs, count: r.count, more: r.more, index: r.index}
}

/** Human output of a range: the lines for stdout and, when there are any, a note for stderr. */
export interface RenderedRange {
  readonly lines: readonly string[]
  readonly note: string | null
}

/**
 * One `key = value` line per key (`key` alone with --keys-only; the count alone with
 * --count-only). A key or value holding a control character (a newline…), or a key holding
 * ` = ` or starting or ending with a space, is shown JSON-quoted so each key stays one line.
 * The note says when the list was empty or cut, and after which key the rest starts.
 */
export function renderRange(out: KvRangeOutput, countOnly: boolean): RenderedRange {
  if (countOnly) return {lines: [String(out.count)], note: null}
  const lines = out.kvs.map((e) => (e.value === undefined ? showKey(e.key) : `${showKey(e.key)} = ${showValue(e.value)}`))
  if (out.kvs.length === 0) return {lines, note: '(no keys)'}
  if (!out.more) return {lines, note: null}
  const last = out.kvs.at(-1)!.key
  return {lines, note: `(${out.kvs.length} of ${plural(out.count, 'key')} shown; more after ${JSON.stringify(last)}: raise --limit to see them)`}
}

function showKey(key: string): string {
  return needsQuotes(key) || key.includes(' = ') || key !== key.trim() ? JSON.stringify(key) : key
}

function showValue(value: string): string {
  return needsQuotes(value) ? JSON.stringify(value) : value
}

function needsQuotes(text: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f]/.test(text)
}

/**
 * Ask before a destructive action, as `cluster destroy` does: on a terminal, a yes/no question
 * (default no; no is `FAILED`, "cancelled"); without one (or under --json) `NEEDS_CONFIRMATION`
 * (exit 2) saying to pass --yes. `yes`: skip the question.
 */
export async function confirmOrRefuse(yes: boolean, json: boolean, question: string, refusal: string, cancelled: string): Promise<void> {
  if (yes) return
  if (json || !canPrompt()) throw new RaftctlError('NEEDS_CONFIRMATION', `${refusal}: pass --yes to confirm (no terminal to ask on)`)
  const {confirm} = await import('@inquirer/prompts')
  let ok = false
  try {
    ok = await confirm({message: question, default: false})
  } catch (error) {
    if ((error as Error).name !== 'ExitPromptError') throw error
  }
  if (!ok) throw new RaftctlError('FAILED', cancelled)
}
