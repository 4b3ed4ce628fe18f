/**
 * The body of raftctl's start-up fast path (docs/performance.md "CLI start-up"): bundled by
 * scripts/bundle.mjs, with every command module, into one CommonJS file (dist/cli/fast.cjs) that
 * src/cli/fast-start.ts loads with a V8 code cache. It does what oclif's `run` does for one of
 * raftctl's own commands or `--version` (same Config, hooks, parser, command class, errors and
 * exit codes), except that the command's class comes from this bundle instead of oclif's module
 * loader (which would import a second copy of oclif from dist/commands).
 */
import {Config, Performance, ux, type Command} from '@oclif/core'
import {dirname} from 'node:path'
import {fileURLToPath} from 'node:url'
import {executeCli, withoutPlugins} from './execute.js'
import {readPackageJson} from './own-command.js'

/** Command id (`kv:put`) → its module in this bundle. */
export type CommandModules = Readonly<Record<string, () => Promise<{default: Command.Class}>>>

/** What dist/cli/fast.cjs's `main` takes. */
export interface FastOptions {
  /** The URL of the bin script (bin/run.js). */
  readonly dir: string
  readonly argv: readonly string[]
  readonly commands: CommandModules
}

/**
 * Run `argv` (one of raftctl's own commands or `--version`, no help: src/cli/own-command.ts) and
 * resolve true once done, as executeCli does; resolve false, having printed nothing, when oclif
 * would not run one of this bundle's commands for it (`raftctl status extra` is an unknown
 * command to oclif, whose hook explains it): the caller then takes oclif's whole path.
 */
export async function main(options: FastOptions): Promise<boolean> {
  const root = dirname(dirname(fileURLToPath(options.dir)))
  const pjson = readPackageJson(root)
  if (pjson === undefined) return false
  let config: Config
  try {
    config = await Config.load(withoutPlugins(root, pjson))
  } catch {
    return false
  }
  const argv = [...options.argv]
  // Imported here: evaluating oclif's help module (and its colours) at load would cost every start.
  const {normalizeArgv} = await import('@oclif/core/help')
  const [id = '', ...rest] = normalizeArgv(config, argv)
  const version = argv[0] === '--version'
  const cached = version ? undefined : config.findCommand(id)
  const load = cached === undefined ? undefined : options.commands[cached.id]
  if (!version && (cached === undefined || load === undefined)) return false
  await executeCli({dir: options.dir, argv, run: () => runOwn(config, id, rest, cached, load)})
  return true
}

/**
 * oclif's `run` (@oclif/core lib/main.js) for a command line that is `--version` (`cached`
 * undefined) or command `id` of this bundle: the init hook, the version line or the command
 * (through `Config.runCommand`: prerun and postrun hooks, parsing, the command's run), then the
 * finally hook.
 */
async function runOwn(config: Config, id: string, argv: string[], cached: Command.Loadable | undefined, load: CommandModules[string] | undefined): Promise<unknown> {
  await config.runHook('init', {argv, id})
  const done = async (command?: Command.Loadable, error?: Error): Promise<void> => {
    await Performance.collect()
    Performance.debug()
    await config.runHook('finally', {argv, Command: command, error, id})
  }
  if (cached === undefined || load === undefined) {
    ux.stdout(config.userAgent)
    await done()
    return undefined
  }
  cached.load = async () => {
    const loaded = (await load()).default
    // What oclif's plugin loader sets on a command class it loads.
    Object.assign(loaded, {id: cached.id, plugin: config.plugins.get(cached.pluginName ?? ''), isESM: cached.isESM, relativePath: cached.relativePath})
    return loaded
  }
  let error: Error | undefined
  try {
    return await config.runCommand(id, argv, cached)
  } catch (error_) {
    error = error_ as Error
    throw error_
  } finally {
    await done(cached, error)
  }
}
