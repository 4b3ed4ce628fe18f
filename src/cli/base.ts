/**
 * The base of every raftctl command: shared flags (`--cluster`, `--json`), and one place that
 * turns errors into the stable `{"error": {code, message}}` shape and the exit codes of
 * DESIGN.md §4. Commands stay thin: parse, call a library folder, render or return JSON.
 */
import {Command, Flags, Errors} from '@oclif/core'
import {RaftctlError, isErrorCode, EXIT_CODES} from '../admin/errors.js'

/** Flags every command that talks to a cluster takes. */
export const clusterFlags = {
  cluster: Flags.string({
    char: 'c',
    description: 'name of the local cluster (a folder in RAFTCTL_HOME)',
    default: 'default',
    env: 'RAFTCTL_CLUSTER',
  }),
}

/**
 * Base class: `--json` support (oclif's enableJsonFlag), errors mapped to exit codes.
 * A subclass's `run()` returns the JSON document; human output goes through `this.log`.
 */
export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true

  /** Print one JSON error document (under --json) or a one-line message, and exit with the mapped code. */
  protected override async catch(err: Error & {exitCode?: number; code?: string; oclif?: {exit?: number}}): Promise<unknown> {
    const {code, exit} = classify(err)
    if (this.jsonEnabled()) {
      this.logJson({error: {code, message: err.message}})
    } else {
      process.stderr.write(`Error [${code}]: ${err.message}\n`)
    }
    process.exitCode = exit
    // Tell oclif the error is handled: exit with the code without printing again.
    throw new Errors.ExitError(exit)
  }
}

/** Map any thrown error to a stable code and exit code. */
export function classify(err: Error & {code?: string; oclif?: {exit?: number}}): {code: string; exit: number} {
  if (err instanceof RaftctlError) return {code: err.code, exit: err.exitCode}
  if (isErrorCode(err.code)) return {code: err.code, exit: EXIT_CODES[err.code]}
  // oclif parse errors (missing args, bad flags) carry exit 2.
  if (err.oclif?.exit === 2 || /Missing|Unexpected argument|Expected|Nonexistent flag|Parsing --/.test(err.message)) {
    return {code: 'BAD_USAGE', exit: 2}
  }
  return {code: 'FAILED', exit: 1}
}
