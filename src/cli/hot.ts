/**
 * The hot path of start-up (docs/performance.md "CLI start-up"): the body of the small bundles
 * scripts/bundle.mjs makes for the commands a shell loop runs (its HOT_COMMANDS: `status`,
 * `leader`, `kv put`, `kv get`, …; dist/cli/hot/*.cjs, one command each, loaded by
 * src/cli/fast-start.ts with a code cache of their own). It runs that one command with oclif's own Command class and parser
 * (so flags, arguments, their errors and the JSON are oclif's) but without oclif's `Config`:
 * loading it (reading the package, the 270 KB manifest, building every command and topic) was a
 * third of what raftctl added to Node's start. The command gets a {@link liteConfig} instead,
 * holding what the command class reads of a Config; oclif's hooks are not run, since raftctl
 * registers none but `command_not_found` and the fast path runs no plugin.
 *
 * Whenever oclif's whole Config could make a difference, {@link main} resolves false having
 * printed nothing, and the caller takes the general fast path (src/cli/fast.ts): a command line
 * oclif would not read as this command (`status extra`), oclif's debug output asked for
 * (`DEBUG`, `RAFTCTL_DEBUG`), a colour theme for JSON (`theme.json`), a package that declares
 * more of oclif than this knows (a theme, aliases, a deprecated command).
 */
import type {Command, Config} from '@oclif/core'
import {existsSync} from 'node:fs'
import {homedir, tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {executeCli} from './execute.js'
import {readPackageJson, type PackageJson} from './own-command.js'

/** What a hot bundle's `main` takes (its generated entry adds `id`, `command` and `subcommands`). */
export interface HotOptions {
  /** The URL of the bin script (bin/run.js). */
  readonly dir: string
  readonly argv: readonly string[]
  /** oclif's id of the bundle's command (`kv:put`). */
  readonly id: string
  readonly command: Command.Class
  /** Every command id that starts with `id:` (`leader:transfer` for `leader`): such a word is a command, not an argument. */
  readonly subcommands: readonly string[]
}

/**
 * Run `options.command` for `argv` and resolve true once done (exit code set as executeCli sets
 * it), or resolve false, having printed nothing, when the general path must take it.
 */
export async function main(options: HotOptions): Promise<boolean> {
  const root = dirname(dirname(fileURLToPath(options.dir)))
  const pjson = readPackageJson(root)
  if (pjson === undefined || !liteConfigServes(pjson, options.command)) return false
  const rest = commandArgv(options.argv, options.id, options.command, options.subcommands)
  if (rest === undefined) return false
  const config = liteConfig(root, pjson, options.id, options.command)
  await executeCli({dir: options.dir, argv: [...options.argv], run: () => runCommand(config, options.id, rest, options.command)})
  return true
}

/** What oclif's `Config.runCommand` and `Command.run` do once the command class is found (no hooks: see the file's header). */
async function runCommand(config: Config, id: string, argv: string[], command: Command.Class): Promise<unknown> {
  // What oclif's plugin loader sets on a command class it loads (the fast bundle does the same).
  Object.assign(command, {id})
  const instance = new (command as unknown as new (argv: string[], config: Config) => {_run(): Promise<unknown>})(argv, config)
  return instance._run()
}

/**
 * The arguments of the command when oclif would read `argv` as command `id` (its
 * `normalizeArgv`, @oclif/core help/util.js, with a space as topic separator), else undefined.
 * oclif takes the words of a command id as long as they name a command or topic, then stops at
 * a flag, a `name=value` word, or any word once the command takes arguments; a plain word after
 * a command without arguments would still be taken as part of an id (`status extra`: an
 * unknown command).
 */
export function commandArgv(argv: readonly string[], id: string, command: Pick<Command.Class, 'args' | 'strict'>, subcommands: readonly string[]): string[] | undefined {
  const words = id.split(':')
  if (argv.length < words.length || words.some((w, i) => argv[i] !== w)) return undefined
  const rest = argv.slice(words.length)
  const next = rest[0]
  if (next === undefined) return rest
  if (subcommands.some((s) => s === `${id}:${next}` || s.startsWith(`${id}:${next}:`))) return undefined
  const takesArguments = command.strict === false || Object.keys(command.args ?? {}).length > 0
  return next.startsWith('-') || next.includes('=') || takesArguments ? rest : undefined
}

/**
 * Whether the {@link liteConfig} gives `command` what oclif's Config would: false when the
 * package or the environment asks for something only oclif's Config does (a theme, debug
 * output, a deprecated command or aliases, which oclif warns about).
 */
function liteConfigServes(pjson: PackageJson, command: Command.Class): boolean {
  const bin = binOf(pjson)
  // Where oclif's Config finds its folders differs on Windows: not worth a second copy here.
  if (process.platform === 'win32') return false
  if (pjson.oclif?.theme !== undefined || pjson.oclif?.binAliases !== undefined) return false
  if (process.env.DEBUG || process.env[scopedKey(bin, 'DEBUG')]) return false
  if (command.state === 'deprecated' || (command.aliases?.length ?? 0) > 0 || (command.hiddenAliases?.length ?? 0) > 0) return false
  // oclif's Config reads a user's JSON colours from CONFIG_DIR/theme.json unless DISABLE_THEME.
  if (!isTrue(process.env[scopedKey(bin, 'DISABLE_THEME')]) && existsSync(join(configDir(pjson), 'theme.json'))) return false
  return true
}

/** The parts of oclif's Config that oclif's Command class and parser, and raftctl's commands, read. */
function liteConfig(root: string, pjson: PackageJson, id: string, command: Command.Class): Config {
  const bin = binOf(pjson)
  const config = {
    root,
    pjson,
    name: pjson.name,
    version: pjson.version,
    bin,
    dirname: dirnameOf(pjson),
    topicSeparator: ' ',
    platform: process.platform,
    arch: process.arch,
    userAgent: `${pjson.name}/${pjson.version} ${process.platform}-${process.arch} node-${process.version}`,
    theme: undefined,
    plugins: new Map(),
    commandIDs: [id],
    findCommand: (other: string) => (other === id ? command : undefined),
    runHook: async () => ({successes: [], failures: []}),
    scopedEnvVarKey: (k: string) => scopedKey(bin, k),
    scopedEnvVarKeys: (k: string) => [scopedKey(bin, k)],
    scopedEnvVar: (k: string) => process.env[scopedKey(bin, k)] || undefined,
    scopedEnvVarTrue: (k: string) => isTrue(process.env[scopedKey(bin, k)]),
  }
  return config as unknown as Config
}

function binOf(pjson: PackageJson): string {
  return typeof pjson.oclif?.bin === 'string' ? pjson.oclif.bin : pjson.name
}

function dirnameOf(pjson: PackageJson): string {
  return typeof pjson.oclif?.dirname === 'string' ? pjson.oclif.dirname : pjson.name
}

/** oclif's `scopedEnvVarKey`: `RAFTCTL_DEBUG` for `debug`. */
function scopedKey(bin: string, k: string): string {
  return [bin, k].map((p) => p.replaceAll('@', '').replaceAll(/[/-]/g, '_')).join('_').toUpperCase()
}

function isTrue(v: string | undefined): boolean {
  return v === '1' || v === 'true'
}

/** oclif's Config `configDir` on Linux and macOS: BIN_CONFIG_DIR, else XDG_CONFIG_HOME/DIRNAME, else ~/.config/DIRNAME. */
function configDir(pjson: PackageJson): string {
  const scoped = process.env[scopedKey(binOf(pjson), 'CONFIG_DIR')]
  if (scoped) return scoped
  const home = process.env.HOME || homedir() || tmpdir()
  return join(process.env.XDG_CONFIG_HOME || join(home, '.config'), dirnameOf(pjson))
}
