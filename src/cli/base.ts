/**
 * The base of every raftctl command: shared flags (`--cluster`, `--json`), and one place that
 * turns errors into the stable `{"error": {code, message}}` shape and the exit codes of
 * DESIGN.md §4. Commands stay thin: parse, call a library folder, render or return JSON.
 */
import {Command, Flags, Errors} from '@oclif/core'
import {RaftctlError, isErrorCode, EXIT_CODES} from '../common/errors.js'
import {unexpectedArgumentsMessage} from './usage.js'

/** Flags every command that talks to a cluster takes: which cluster, local or attached, or one-off endpoints. */
export const clusterFlags = {
  cluster: Flags.string({
    char: 'c',
    description: 'name of the cluster: a local one or one recorded with "cluster attach" (in RAFTCTL_HOME)',
    default: 'default',
    env: 'RAFTCTL_CLUSTER',
    helpGroup: 'CLUSTER',
  }),
  endpoints: Flags.string({
    description: 'one-off: node URLs of a cluster running elsewhere, comma-separated (ws://HOST:PORT or wss://…); needs --secret-file',
    env: 'RAFTCTL_ENDPOINTS',
    helpGroup: 'CLUSTER',
  }),
  'secret-file': Flags.string({
    description: 'with --endpoints: file holding the cluster\'s client secret (mode 600)',
    env: 'RAFTCTL_SECRET_FILE',
    helpGroup: 'CLUSTER',
  }),
  'tls-ca': Flags.string({description: 'with --endpoints: CA certificate (PEM) that signs the nodes\' certificates', helpGroup: 'CLUSTER'}),
  'tls-cert': Flags.string({description: 'with --endpoints: client certificate (PEM), for nodes that require mutual TLS', dependsOn: ['tls-key'], helpGroup: 'CLUSTER'}),
  'tls-key': Flags.string({description: 'with --endpoints: client key (PEM)', dependsOn: ['tls-cert'], helpGroup: 'CLUSTER'}),
}

/** The parsed {@link clusterFlags}. */
export interface ClusterFlagValues {
  readonly cluster: string
  readonly endpoints?: string
  readonly 'secret-file'?: string
  readonly 'tls-ca'?: string
  readonly 'tls-cert'?: string
  readonly 'tls-key'?: string
}

/**
 * Base class: `--json` support (oclif's enableJsonFlag), errors mapped to exit codes.
 * A subclass's `run()` returns the JSON document; human output goes through `this.log`.
 */
export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true

  /** Print one JSON error document (under --json) or a one-line message, and exit with the mapped code. */
  protected override async catch(err: Error & {exitCode?: number; code?: string; oclif?: {exit?: number}}): Promise<unknown> {
    // this.exit(n) is not an error: let oclif exit with that code.
    if (err.code === 'EEXIT') throw err
    err = this.withClearUsageMessage(err)
    const {code, exit} = classify(err)
    if (err instanceof ReportedError && this.jsonEnabled()) {
      // The command already printed its JSON document (with an `error` field): only the exit code remains.
    } else if (this.jsonEnabled()) {
      this.logJson({error: {code, message: err.message, ...(isUnknownOutcome(err) ? {unknown: true} : {})}})
    } else {
      // A ClientError with an unknown outcome already says what may or may not have happened, in the words of the request.
      process.stderr.write(`Error [${code}]: ${err.message}\n`)
    }
    process.exitCode = exit
    // Tell oclif the error is handled: exit with the code without printing again.
    throw new Errors.ExitError(exit)
  }

  /**
   * oclif's parser says `Unexpected argument: n2` for extra positional arguments; say it as
   * the `command_not_found` hook does for commands without arguments (src/cli/usage.ts), so
   * `raftctl node start n1 n2` and `raftctl status n1` read alike.
   */
  private withClearUsageMessage<E extends Error>(err: E): E | RaftctlError {
    const extra = (err as {args?: unknown}).args
    if (!(err instanceof Errors.CLIError) || !err.message.startsWith('Unexpected argument') || !Array.isArray(extra)) return err
    return new RaftctlError('BAD_USAGE', unexpectedArgumentsMessage(this.config.bin, (this.id ?? '').replaceAll(':', ' '), extra.map(String)))
  }
}

/**
 * An error whose JSON document the command has already printed (e.g. `kv cas` on a mismatch
 * prints `{"key", "swapped": false, "value", "error": {code, message}}`). Under --json the base
 * class only sets the exit code; in human mode it prints the usual one-line message on stderr.
 */
export class ReportedError extends RaftctlError {}

/** True when the error says a write may or may not have been applied (a ClientError with `unknown`). */
export function isUnknownOutcome(err: unknown): boolean {
  return err instanceof RaftctlError && err.details?.unknown === true
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
