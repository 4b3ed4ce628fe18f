/**
 * Error codes and the typed error of the key-value state machine. The code strings match the
 * stable codes of `src/common/errors.ts` where one exists (BAD_REQUEST, PAYLOAD_TOO_LARGE,
 * STORAGE_FULL, CORRUPT); STALE_SEQUENCE and SESSION_EXPIRED are specific to client sessions.
 * This folder imports nothing outside itself, so the codes are plain string literals here.
 */

/**
 * Code of an error result returned by `apply` (`{ok: false, code, message}`).
 * - `BAD_REQUEST`: the command bytes are malformed (truncated, unknown op, invalid UTF-8, …).
 * - `PAYLOAD_TOO_LARGE`: a key, value or client id is over its limit, or an append would make
 *   the value exceed `maxValueBytes`. Nothing was written.
 * - `STORAGE_FULL`: the write would take the store over `maxDataBytes`. Nothing was written.
 * - `STALE_SEQUENCE`: the session has already applied a higher `seq`; this command was not
 *   applied now and its earlier result is no longer cached (outcome unknown to the caller).
 * - `SESSION_EXPIRED`: the session is unknown and `seq > 1`: it was evicted, so a retry can no
 *   longer be deduplicated (outcome unknown). The client must start a new client id.
 */
export type KvResultCode =
  | 'BAD_REQUEST'
  | 'PAYLOAD_TOO_LARGE'
  | 'STORAGE_FULL'
  | 'STALE_SEQUENCE'
  | 'SESSION_EXPIRED'

/** Every {@link KvResultCode}, in a fixed order. */
export const KV_RESULT_CODES: readonly KvResultCode[] = [
  'BAD_REQUEST',
  'PAYLOAD_TOO_LARGE',
  'STORAGE_FULL',
  'STALE_SEQUENCE',
  'SESSION_EXPIRED',
]

/** Code of a thrown {@link KvError}: a result code, or `CORRUPT` for a rejected snapshot. */
export type KvErrorCode = KvResultCode | 'CORRUPT'

/**
 * Thrown by the codecs (`encodeCommand`, `decodeCommand`, `decodeResult`: code `BAD_REQUEST`
 * or `PAYLOAD_TOO_LARGE`) and by `KvStateMachine.restore` (code `CORRUPT`).
 * `apply` never throws it: it turns it into an error result.
 */
export class KvError extends Error {
  /** Stable code string. */
  readonly code: KvErrorCode

  constructor(code: KvErrorCode, message: string) {
    super(message)
    this.name = 'KvError'
    this.code = code
  }
}

/** True when `value` is one of the {@link KV_RESULT_CODES}. */
export function isKvResultCode(value: string): value is KvResultCode {
  return (KV_RESULT_CODES as readonly string[]).includes(value)
}
