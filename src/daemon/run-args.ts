/**
 * Parses a `node run` command line without oclif, for the lean daemon entry (src/daemon/entry.ts):
 * the options, kinds and defaults of src/daemon/run-options.ts, the same ones the oclif command has.
 */
import {parseArgs} from 'node:util'
import {RaftctlError} from '../common/errors.js'
import type {NodeRunFlags} from './flags.js'
import {NODE_RUN_OPTIONS, type RunOption, type RunOptionName} from './run-options.js'

/** The parsed flags: what `buildDaemonConfig` takes, plus the foreground-run options. */
export type RunArgs = NodeRunFlags & {readonly 'pid-file'?: string; readonly 'status-file'?: string; readonly announce: boolean}

/** Parse `[node run] --flag value …` into the flags `buildDaemonConfig` takes. Throws BAD_USAGE. */
export function parseRunArgs(argv: readonly string[]): RunArgs {
  const args = argv[0] === 'node' && argv[1] === 'run' ? argv.slice(2) : [...argv]
  const options = Object.fromEntries(Object.entries(NODE_RUN_OPTIONS).map(([name, o]) => [name, {type: o.kind === 'boolean' ? 'boolean' as const : 'string' as const}]))
  let values: Record<string, string | boolean | undefined>
  try {
    values = parseArgs({args, options, strict: true, allowPositionals: false}).values
  } catch (err) {
    throw new RaftctlError('BAD_USAGE', (err as Error).message)
  }
  const flags: Record<string, string | number | boolean | undefined> = {}
  for (const [name, o] of Object.entries(NODE_RUN_OPTIONS) as [RunOptionName, (typeof NODE_RUN_OPTIONS)[RunOptionName]][]) {
    const raw = values[name] ?? ('default' in o ? o.default : undefined)
    flags[name] = o.kind === 'integer' && typeof raw === 'string' ? integer(name, raw) : raw
    checkChoice(name, o, values[name])
    checkRequires(name, o, values)
  }
  return flags as unknown as RunArgs
}

function checkChoice(name: string, o: RunOption, value: unknown): void {
  if (o.choices === undefined || value === undefined || o.choices.includes(value as string)) return
  throw new RaftctlError('BAD_USAGE', `--${name} must be one of ${o.choices.join(', ')}, got "${String(value)}"`)
}

function checkRequires(name: string, o: RunOption, values: Record<string, unknown>): void {
  if (values[name] === undefined) return
  for (const other of o.requires ?? []) {
    if (values[other] === undefined) throw new RaftctlError('BAD_USAGE', `--${name} requires --${other}`)
  }
}

function integer(name: string, text: string): number {
  const n = Number(text)
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(n)) throw new RaftctlError('BAD_USAGE', `--${name} must be an integer, got "${text}"`)
  return n
}
