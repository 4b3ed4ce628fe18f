/**
 * The daemon's logger: JSON lines (pino) to a file or stderr, one small interface the rest of
 * the daemon uses so log calls stay cheap and uniform.
 */
import pino, {type Logger as Pino} from 'pino'

/** Structured log calls: a message plus fields. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  error(msg: string, fields?: Record<string, unknown>): void
  /** Flush buffered lines (called on shutdown). */
  flush(): void
}

/** A pino logger writing JSON lines to `file` (appended, created if missing) or to stderr. */
export function createLogger(options: {file?: string; level: string; node: string}): Logger {
  const destination = options.file
    ? pino.destination({dest: options.file, sync: false, mkdir: true, append: true})
    : pino.destination({fd: 2, sync: true})
  const p: Pino = pino({level: options.level, base: {node: options.node, pid: process.pid}, timestamp: pino.stdTimeFunctions.isoTime}, destination)
  const call = (level: 'debug' | 'info' | 'warn' | 'error') => (msg: string, fields?: Record<string, unknown>): void => {
    if (fields) p[level](fields, msg)
    else p[level](msg)
  }
  return {
    debug: call('debug'),
    info: call('info'),
    warn: call('warn'),
    error: call('error'),
    flush: () => {
      try {
        destination.flushSync()
      } catch {
        // sonic-boom throws if not yet ready; nothing buffered then.
      }
    },
  }
}

/** A logger that drops everything (tests). */
export const silentLogger: Logger = {debug() {}, info() {}, warn() {}, error() {}, flush() {}}
