/**
 * Which command lines raftctl may start without oclif's plugins (docs/performance.md "CLI
 * start-up"): one of raftctl's own commands (its module exists under the package's
 * `oclif.commands` folder) or `--version`, with no word asking for help. Imports nothing but
 * node:fs and node:path, so bin/run.js can decide before it loads oclif or any bundle.
 */
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

/** What a word of a command id looks like (`kv`, `put`); anything else ends the id. */
const COMMAND_WORD = /^[a-z][a-z0-9-]*$/

/** Words that ask for help: they may list the plugins' commands too, so they take oclif's full path. */
const HELP_WORDS = new Set(['--help', '-h', 'help'])

/** The package description (package.json) at `root`, as oclif reads it. */
export interface PackageJson {
  readonly name: string
  readonly version: string
  readonly oclif?: {readonly commands?: unknown; readonly plugins?: readonly string[]; readonly [key: string]: unknown}
  readonly [key: string]: unknown
}

/** package.json of the package at `root`, or undefined when it cannot be read. */
export function readPackageJson(root: string): PackageJson | undefined {
  try {
    return JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PackageJson
  } catch {
    return undefined
  }
}

/**
 * The words of `argv` that name one of raftctl's own commands, the longest that does (`['kv',
 * 'put']` for `kv put k v`; `['--version']` for `--version`), when it asks for no help; undefined
 * otherwise (help, a plugin's command, an unknown command, no command): those take oclif's
 * whole path. `root` is the package root, `pjson` its package.json.
 */
export function ownCommandWords(root: string, pjson: PackageJson, argv: readonly string[]): string[] | undefined {
  if (argv.some((a) => HELP_WORDS.has(a))) return undefined
  const commands = pjson.oclif?.commands
  if (typeof commands !== 'string') return undefined
  if (argv[0] === '--version') return ['--version']
  const words: string[] = []
  for (const a of argv) {
    if (!COMMAND_WORD.test(a)) break
    words.push(a)
  }
  for (let i = words.length; i > 0; i--) {
    const base = join(root, commands, ...words.slice(0, i))
    if (existsSync(`${base}.js`) || existsSync(join(base, 'index.js'))) return words.slice(0, i)
  }
  return undefined
}
