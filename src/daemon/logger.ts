/**
 * The daemon's logger: JSON lines (pino) to a file or stderr, one small interface the rest of
 * the daemon uses so log calls stay cheap and uniform.
 *
 * The log file is opened synchronously, before the first line: pino's asynchronous file
 * destination (SonicBoom) opens it in the background, and a daemon that failed at start-up
 * (a corrupt WAL is found in milliseconds) used to exit before the open completed; pino's exit
 * hook then threw "sonic boom is not ready yet" and the failure line never reached the file.
 */
import {mkdirSync, openSync} from 'node:fs'
import {dirname} from 'node:path'
import pino, {type Logger as Pino} from 'pino'

/** Structured log calls: a message plus fields. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  error(msg: string, fields?: Record<string, unknown>): void
  /**
   * A line at pino's `fatal` level (60), on disk when this returns (written and flushed
   * synchronously): for the reason the process is about to exit.
   */
  fatal(msg: string, fields?: Record<string, unknown>): void
  /** Flush buffered lines (called on shutdown). */
  flush(): void
}

/** A pino logger writing JSON lines to `file` (appended, created with its folder if missing) or to stderr. */
export function createLogger(options: {file?: string; level: string; node: string}): Logger {
  const destination = options.file
    ? pino.destination({fd: openLogFile(options.file), sync: false})
    : pino.destination({fd: 2, sync: true})
  const p: Pino = pino({level: options.level, base: {node: options.node, pid: process.pid}, timestamp: pino.stdTimeFunctions.isoTime}, destination)
  const call = (level: 'debug' | 'info' | 'warn' | 'error' | 'fatal') => (msg: string, fields?: Record<string, unknown>): void => {
    if (fields) p[level](fields, msg)
    else p[level](msg)
  }
  const flush = (): void => {
    try {
      destination.flushSync()
    } catch {
      // a destination already ended (after shutdown) has nothing buffered
    }
  }
  return {
    debug: call('debug'),
    info: call('info'),
    warn: call('warn'),
    error: call('error'),
    fatal: (msg, fields) => {
      call('fatal')(msg, fields)
      flush()
    },
    flush,
  }
}

/** Open `file` for appending (its folder created first): the descriptor pino writes to. */
function openLogFile(file: string): number {
  mkdirSync(dirname(file), {recursive: true})
  return openSync(file, 'a')
}

/** A logger that drops everything (tests). */
export const silentLogger: Logger = {debug() {}, info() {}, warn() {}, error() {}, fatal() {}, flush() {}}
