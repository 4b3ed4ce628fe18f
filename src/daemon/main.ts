/**
 * Runs one daemon in the foreground until SIGTERM/SIGINT: start the node, write the pid file,
 * shut down gracefully (stop accepting, flush, exit 0), exit non-zero on a fatal storage error.
 * A non-zero exit always ends the log with one `fatal` line carrying the error's `code` and
 * message (`error`), written synchronously: `raftctl node start` reports it (src/cluster).
 */
import {readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {Node} from './node.js'
import {createLogger} from './logger.js'
import type {DaemonConfig} from './config.js'
import {StartupReporter} from './startup-status.js'

/** Options of the foreground run beyond the node's config. */
export interface RunOptions {
  /** Write the pid here once listening; removed on a clean exit. */
  readonly pidFile?: string
  /** Print one JSON line `{"ready": true, "id", "address", "port", "pid"}` to stdout once listening. */
  readonly announce?: boolean
  /** Keep the start-up status here (src/common/startup-status.ts): each step of the start, then ready or failed. */
  readonly statusFile?: string
}

/** Start the node and keep the process alive until a signal; returns the exit code. */
export async function runDaemon(config: DaemonConfig, options: RunOptions): Promise<number> {
  const logger = createLogger({file: config.logFile, level: config.logLevel, node: config.id})
  const startup = new StartupReporter(options.statusFile)
  let node: Node
  try {
    node = await Node.start(config, logger, startup)
  } catch (err) {
    const fields = failureFields(err)
    logger.fatal('failed to start', fields)
    startup.fail(fields.code, fields.error)
    throw err
  }
  if (options.pidFile) {
    // Atomically (temp file + rename): a reader never sees an empty or partial pid file.
    const tmp = `${options.pidFile}.${process.pid}.tmp`
    writeFileSync(tmp, `${process.pid}\n`)
    renameSync(tmp, options.pidFile)
  }
  startup.report('ready')
  if (options.announce) process.stdout.write(`${JSON.stringify({ready: true, id: node.id, address: node.advertise, port: node.port, pid: process.pid})}\n`)
  return new Promise<number>((resolve) => {
    const finish = (code: number): void => {
      if (options.pidFile && code === 0) rmSync(options.pidFile, {force: true})
      if (code === 0) startup.remove()
      resolve(code)
    }
    const onSignal = (signal: string): void => {
      logger.info('signal received: shutting down', {signal})
      void node.stop().then(() => finish(0))
    }
    const tamperFile = process.env.RAFTCTL_TEST_TAMPER_FILE
    if (tamperFile) process.on('SIGUSR2', () => tamper(node, tamperFile))
    process.once('SIGTERM', () => onSignal('SIGTERM'))
    process.once('SIGINT', () => onSignal('SIGINT'))
    node.onFatal = (err) => {
      logger.fatal('stopped by a fatal error', failureFields(err))
      finish(1)
    }
  })
}

/**
 * TEST SEAM: on SIGUSR2, set the `key` of the JSON file `{"key", "value"}` in this replica alone,
 * outside the log (the consistency check's tests plant a divergence this way). Off unless the
 * daemon was started with RAFTCTL_TEST_TAMPER_FILE.
 */
function tamper(node: Node, file: string): void {
  const {key, value} = JSON.parse(readFileSync(file, 'utf8')) as {key: string; value: string}
  node.tamperForTest(key, value)
}

/** The fields of a fatal line: the error's stable code (`FAILED` when it has none) and message. */
function failureFields(err: unknown): {code: string; error: string} {
  const e = err as Error & {code?: unknown}
  return {code: typeof e.code === 'string' ? e.code : 'FAILED', error: e.message ?? String(err)}
}
