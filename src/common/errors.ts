/**
 * Stable error codes shared by the daemon, the clients and the CLI, and the exit code each maps
 * to (DESIGN.md §4: 1 failed, 2 bad usage or input, 3 unavailable / unknown outcome).
 * Every code is listed in docs/errors.md.
 */

/** Exit code of a command that failed with a given error code. */
export const EXIT_CODES = {
  // 1: the command failed
  FAILED: 1,
  CAS_MISMATCH: 1,
  NOT_LEADER: 3,
  VIOLATION: 1,
  CLUSTER_EXISTS: 1,
  CLUSTER_NOT_FOUND: 1,
  NODE_NOT_FOUND: 1,
  CORRUPT: 1,
  STORAGE_FULL: 1,
  STORAGE_IO: 1,
  CONF_CHANGE_PENDING: 1,
  TRANSFER_IN_PROGRESS: 1,
  UNSAFE_CHANGE: 1,
  SPAWN_FAILED: 1,
  NOT_VOTER: 1,
  NOT_FOUND: 1,
  NODE_RUNNING: 1,
  IDENTITY_MISMATCH: 1,
  CLUSTER_MISMATCH: 1,
  SNAPSHOT_CORRUPT: 1,
  SNAPSHOT_TRUNCATED: 1,
  CLUSTER_RUNNING: 1,
  DATA_EXISTS: 1,
  UNAUTHORIZED: 1,
  TLS_FAILED: 1,
  QUORUM_PRESENT: 1,
  NO_SURVIVOR: 1,
  COMPACTED: 1,
  SLOW_CONSUMER: 1,
  // 2: bad usage or input
  BAD_USAGE: 2,
  BAD_INPUT: 2,
  BAD_REQUEST: 2,
  PAYLOAD_TOO_LARGE: 2,
  UNKNOWN_TYPE: 2,
  UNSUPPORTED_VERSION: 2,
  NEEDS_CONFIRMATION: 2,
  INVALID_UTF8: 2,
  NOT_A_SNAPSHOT: 2,
  UNSUPPORTED_SNAPSHOT_VERSION: 2,
  NOT_LOCAL: 2,
  INSECURE_FILE: 2,
  // 3: unavailable or timed out: the outcome is unknown
  NO_QUORUM: 3,
  NO_LEADER: 3,
  TIMEOUT: 3,
  UNAVAILABLE: 3,
  UNKNOWN_OUTCOME: 3,
  UNDECIDED: 3,
  SHUTTING_DOWN: 3,
  OVERLOADED: 3,
  CLUSTER_BUSY: 3,
  STALE_SEQUENCE: 3,
  SESSION_EXPIRED: 3,
  BAD_RESPONSE: 3,
  REBUILDING: 3,
  INDEX_PASSED: 3,
} as const

export type ErrorCode = keyof typeof EXIT_CODES

/** An error with a stable code. `exitCode` follows {@link EXIT_CODES}. */
export class RaftctlError extends Error {
  readonly code: ErrorCode
  readonly details?: Record<string, unknown>

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message)
    this.name = 'RaftctlError'
    this.code = code
    this.details = details
  }

  get exitCode(): number {
    return EXIT_CODES[this.code]
  }
}

/** True when `code` is a known error code. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(EXIT_CODES, code)
}

/**
 * Codes that, as the answer to a write, leave its outcome unknown: the write may or may not
 * have been applied, now or later (history `ok: "unknown"`, exit code 3). Every other code
 * returned for a write means it was not applied. `SHUTTING_DOWN` is here because a daemon
 * stopping may have appended the write already. See docs/errors.md.
 */
export const OUTCOME_UNKNOWN_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'TIMEOUT',
  'UNAVAILABLE',
  'UNKNOWN_OUTCOME',
  'SHUTTING_DOWN',
  'STALE_SEQUENCE',
  'SESSION_EXPIRED',
  'BAD_RESPONSE',
])
