/**
 * The minimal logger the transport writes to. The daemon adapts its own logger to this shape;
 * tests use {@link silentLogger}. Fields are structured data (peer, code, …), never secrets.
 */

/** Structured fields attached to a log line. */
export type LogFields = Readonly<Record<string, unknown>>

/** A leveled, structured logger. Implementations must not throw. */
export interface TransportLogger {
  debug(message: string, fields?: LogFields): void
  info(message: string, fields?: LogFields): void
  warn(message: string, fields?: LogFields): void
  error(message: string, fields?: LogFields): void
}

const noop = (): void => {}

/** A logger that discards everything: the default when none is given. */
export const silentLogger: TransportLogger = Object.freeze({debug: noop, info: noop, warn: noop, error: noop})

/** Short text of any thrown value, for log fields and `lastError`. */
export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message
  return String(error)
}
