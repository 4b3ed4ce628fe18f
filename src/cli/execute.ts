/**
 * The entry point of the raftctl program (bin/run.js, bin/dev.js): oclif's `execute` with one
 * change that DESIGN.md §4 needs, "a `--json` document arrives whole on stdout whatever the exit
 * code". oclif's own error path calls `process.exit` at once, and on Linux a pipe on stdout is
 * written asynchronously: whatever the reader had not taken yet (beyond the 64 KiB pipe buffer)
 * was lost. Here every exit waits until stdout and stderr have handed all their bytes to the
 * operating system (or the reader has gone: EPIPE ends the wait quietly, never with a stack).
 */
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {handle, run, settings, type Interfaces} from '@oclif/core'
import {ownCommandWords, readPackageJson, type PackageJson} from './own-command.js'

/** What bin/run.js and bin/dev.js pass. */
export interface ExecuteOptions {
  /** The URL of the bin script (bin/run.js): the package root is the folder above its own. */
  readonly dir: string
  /** bin/dev.js: run the TypeScript sources (oclif's development mode). */
  readonly development?: boolean
  /** The arguments (default: `process.argv.slice(2)`). */
  readonly argv?: readonly string[]
  /**
   * What runs the command line (default: oclif's `run`, given the package without its plugins
   * for raftctl's own commands): src/cli/fast.ts passes its own, which loads the command from
   * the same bundle.
   */
  readonly run?: (argv: string[]) => Promise<unknown>
}

/**
 * Run one raftctl command and end the process with its exit code, only once its output is out.
 * Success lets the event loop end by itself (as oclif does); an error is handed to oclif's
 * `handle` (message, help, exit code), which calls `process.exit`, only after stdout and stderr
 * have drained.
 */
export async function executeCli(options: ExecuteOptions): Promise<void> {
  if (options.development) {
    process.env.NODE_ENV = 'development'
    settings.debug = true
  }
  ignoreClosedReader(process.stdout)
  ignoreClosedReader(process.stderr)
  const argv = [...(options.argv ?? process.argv.slice(2))]
  try {
    if (options.run) await options.run(argv)
    else await run(argv, (options.development ? undefined : ownCommandLoadOptions(options.dir, argv)) ?? {root: packageRoot(options.dir)})
  } catch (error) {
    await outputDrained()
    await handle(error as Error)
    return
  }
  // Not oclif's flush: on a stdout whose reader is gone it waits for a 'drain' that never
  // comes, and the process ends with exit 13 (an unsettled top-level await).
  await outputDrained()
}

/**
 * Start-up fast path (docs/performance.md "CLI start-up"): when `argv` names one of raftctl's own
 * commands or is `--version`, and asks for no help ({@link ownCommandWords}), oclif is given the
 * package.json without its plugins (@oclif/plugin-help, @oclif/plugin-autocomplete): they add only
 * the `help` and `autocomplete` commands, which this command line does not run, and loading them
 * (their package.json and manifests) is a good part of oclif's start-up. Anything else (help, a
 * plugin's command, an unknown command, which lists every command in its suggestions) returns
 * undefined: oclif loads everything as usual. `dir` is the bin script's URL (bin/run.js).
 */
export function ownCommandLoadOptions(dir: string, argv: readonly string[]): Interfaces.Options | undefined {
  const root = packageRoot(dir)
  const pjson = readPackageJson(root)
  if (pjson === undefined || ownCommandWords(root, pjson, argv) === undefined) return undefined
  return withoutPlugins(root, pjson)
}

/**
 * The package root of the bin script whose URL is `dir` (bin/run.js → the folder holding bin/).
 * oclif is given this root rather than the script: from a path, oclif takes the nearest folder
 * holding a package.json, and bin/ has its own (`"type": "commonjs"`, for bin/run.js).
 */
export function packageRoot(dir: string): string {
  return dirname(dirname(fileURLToPath(dir)))
}

/** oclif's load options for the package at `root`: its package.json without the plugins. */
export function withoutPlugins(root: string, pjson: PackageJson): Interfaces.Options {
  return {root, pjson: {...pjson, oclif: {...pjson.oclif, plugins: []}} as unknown as Interfaces.PJSON}
}

/** Resolves once stdout and stderr have written every byte queued so far (or can write no more). */
export async function outputDrained(): Promise<void> {
  await Promise.all([streamDrained(process.stdout), streamDrained(process.stderr)])
}

/**
 * Resolves once `stream` has handed every queued byte to the operating system, or has failed
 * (EPIPE: the reader is gone) or been closed. No time limit: a slow reader is waited for, as
 * any Unix program blocked on a full pipe waits.
 */
export function streamDrained(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.writableLength === 0 || stream.destroyed || stream.writableEnded) return Promise.resolve()
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('error', done)
      stream.off('close', done)
      resolve()
    }
    stream.once('error', done)
    stream.once('close', done)
    // Writes complete in order: the callback of this empty write runs after every earlier one.
    stream.write('', () => done())
  })
}

/**
 * A reader that closes early (`raftctl check F --json | head -c 10`) makes the next write fail
 * with EPIPE: that is the reader's choice, not a crash, so it is swallowed; any other write
 * error is rethrown.
 */
function ignoreClosedReader(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err
  })
}
