/**
 * ClientError: what every client method throws. It carries a stable code (src/common/errors.ts),
 * the leader hint of a `NOT_LEADER` answer, and `unknown`: whether a write may or may not have
 * been applied. It extends RaftctlError, so the CLI maps it to an exit code like any other
 * error; an unknown outcome always maps to exit code 3.
 */
import {EXIT_CODES, RaftctlError, isErrorCode, type ErrorCode} from '../common/errors.js'
import type {LeaderHint} from '../admin/protocol.js'

/** Options of a {@link ClientError}. */
export interface ClientErrorOptions {
  /** True when a write may or may not have been applied. Default false. */
  readonly unknown?: boolean
  /** The leader the answering node knows of (with `NOT_LEADER`). */
  readonly leader?: LeaderHint
  /** The underlying error (a socket error, …). */
  readonly cause?: unknown
  /** The request type that failed (`put`, `transfer`, `member.add`, …): it words an unknown outcome. */
  readonly request?: string
}

/**
 * A failed client request. `unknown: false` means the request definitely did not take effect
 * (or was a read); `unknown: true` means a write may or may not have been applied, now or
 * later (history `ok: "unknown"`), and the message then says so in the request's own words
 * ({@link unknownOutcomeText}). A failed CAS comparison is not an error.
 */
export class ClientError extends RaftctlError {
  /** True when a write may or may not have been applied. */
  readonly unknown: boolean
  /** The leader hint of a `NOT_LEADER` answer, if any. */
  readonly leader?: LeaderHint
  /** The request type that failed, when known. */
  readonly request?: string

  constructor(code: ErrorCode, message: string, options: ClientErrorOptions = {}) {
    super(code, options.unknown === true ? withUnknownOutcome(message, options.request) : message, {unknown: options.unknown === true, ...(options.leader ? {leader: options.leader} : {}), ...(options.request ? {request: options.request} : {})})
    this.name = 'ClientError'
    this.unknown = options.unknown === true
    if (options.leader !== undefined) this.leader = options.leader
    if (options.request !== undefined) this.request = options.request
    if (options.cause !== undefined) (this as {cause?: unknown}).cause = options.cause
  }

  /** 3 when the outcome is unknown, else the code's exit code (DESIGN.md §4). */
  override get exitCode(): number {
    return this.unknown ? 3 : EXIT_CODES[this.code]
  }

  /** The same error, marked unknown when `unknown` (used when an earlier attempt may have applied the write). */
  withUnknown(unknown: boolean): ClientError {
    if (!unknown || this.unknown) return this
    return new ClientError(this.code, this.message, {unknown: true, leader: this.leader, cause: this.cause, request: this.request})
  }
}

/**
 * What an unknown outcome means for the request that was made, in words an operator reads
 * after the error: "the leader transfer may or may not have happened" rather than a generic
 * "write". Unknown or missing types (a KV write) read "the write may or may not have been applied".
 */
export function unknownOutcomeText(request?: string): string {
  if (request === undefined) return 'the write may or may not have been applied'
  if (request.startsWith('member.')) return 'the membership change may or may not have been applied'
  if (request.startsWith('chaos.')) return 'the fault change may or may not have been applied'
  const phrases: Record<string, string> = {
    transfer: 'the leader transfer may or may not have happened',
    campaign: 'the campaign may or may not have started',
    stepdown: 'the step-down may or may not have happened',
    snapshot: 'the snapshot may or may not have been taken',
  }
  return phrases[request] ?? 'the write may or may not have been applied'
}

/** `message` with the outcome clause of {@link unknownOutcomeText} appended, unless it already says one. */
export function withUnknownOutcome(message: string, request?: string): string {
  return /may or may not/.test(message) ? message : `${message}; ${unknownOutcomeText(request)}`
}

/** Any thrown value as a ClientError (a foreign error becomes `FAILED`, or its code when it has a known one). */
export function toClientError(error: unknown): ClientError {
  if (error instanceof ClientError) return error
  const code = (error as {code?: unknown} | null)?.code
  const message = error instanceof Error ? error.message : String(error)
  return new ClientError(isErrorCode(code) ? code : 'FAILED', message, {cause: error})
}
