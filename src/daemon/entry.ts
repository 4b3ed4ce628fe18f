/**
 * The lean daemon entry: `node dist/daemon/entry.js node run --id n1 …` runs one daemon exactly
 * like `raftctl node run …` (same options: src/daemon/run-options.ts) without loading oclif,
 * about 6 MiB less resident memory per daemon. Local clusters spawn their daemons through it.
 * `npm run build` bundles it in place into one ES module (scripts/bundle.mjs; tsc's output stays
 * as dist/daemon/entry-modules.js): about 5 MiB less again than linking its ~120 modules.
 * Errors print `Error [CODE]: message` on stderr and exit with the code's exit status.
 */
import {RaftctlError} from '../common/errors.js'
import {buildDaemonConfig} from './flags.js'
import {runDaemon} from './main.js'
import {parseRunArgs} from './run-args.js'

try {
  const flags = parseRunArgs(process.argv.slice(2))
  const code = await runDaemon(buildDaemonConfig(flags), {pidFile: flags['pid-file'], statusFile: flags['status-file'], announce: flags.announce})
  process.exit(code)
} catch (err) {
  const e = err as Error & {code?: string}
  process.stderr.write(`Error [${err instanceof RaftctlError ? err.code : e.code ?? 'FAILED'}]: ${e.message}\n`)
  process.exit(err instanceof RaftctlError ? err.exitCode : 1)
}
