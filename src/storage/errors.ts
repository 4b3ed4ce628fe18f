/**
 * Errors raised by durable storage. Kept local to src/storage (storage may not import
 * src/admin); the codes match the admin error codes of the same name so the daemon can map
 * them one to one.
 */

/** Stable codes of {@link StorageError}. */
export type StorageErrorCode = 'CORRUPT' | 'STORAGE_FULL' | 'STORAGE_IO'

/** Options of {@link StorageError}. */
export interface StorageErrorOptions {
  /** Path of the file concerned, when there is one. */
  readonly file?: string
  /** Byte offset in `file` where the problem was found. */
  readonly offset?: number
  /** The underlying error (e.g. the `ENOSPC` thrown by node:fs). */
  readonly cause?: unknown
}

/**
 * A storage failure with a stable code:
 * - `CORRUPT`: data read back failed validation; `file` and `offset` name where.
 * - `STORAGE_FULL`: the disk or quota is full (`ENOSPC`, `EDQUOT`); nothing was half-written.
 * - `STORAGE_IO`: any other I/O failure, or the store is unusable after an earlier one.
 */
export class StorageError extends Error {
  readonly code: StorageErrorCode
  readonly file?: string
  readonly offset?: number

  constructor(code: StorageErrorCode, message: string, options: StorageErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : {cause: options.cause})
    this.name = 'StorageError'
    this.code = code
    this.file = options.file
    this.offset = options.offset
  }
}

/** errno codes that mean "no space left" (disk full or quota exceeded). */
export const FULL_ERRNO_CODES: readonly string[] = ['ENOSPC', 'EDQUOT']

/** The errno code (`'ENOSPC'`, …) of a node:fs error, or undefined. */
export function errnoCode(err: unknown): string | undefined {
  const code = (err as {code?: unknown} | null)?.code
  return typeof code === 'string' ? code : undefined
}

/** True when `err` is a "no space left" error from node:fs. */
export function isFullError(err: unknown): boolean {
  const code = errnoCode(err)
  return code !== undefined && FULL_ERRNO_CODES.includes(code)
}

/**
 * Wrap a node:fs error thrown while doing `action` on `file`: `STORAGE_FULL` for ENOSPC /
 * EDQUOT, `STORAGE_IO` otherwise. A `StorageError` is returned unchanged.
 */
export function toStorageError(err: unknown, action: string, file: string, offset?: number): StorageError {
  if (err instanceof StorageError) return err
  const code = errnoCode(err) ?? 'EUNKNOWN'
  const where = offset === undefined ? file : `${file} at offset ${offset}`
  const detail = err instanceof Error ? err.message : String(err)
  if (isFullError(err)) {
    return new StorageError('STORAGE_FULL', `no space left on device while ${action} ${where} (${code}); free space and retry`, {file, offset, cause: err})
  }
  return new StorageError('STORAGE_IO', `I/O error while ${action} ${where}: ${detail}`, {file, offset, cause: err})
}

/** A `CORRUPT` error naming the file and the byte offset. */
export function corrupt(file: string, offset: number, reason: string): StorageError {
  return new StorageError('CORRUPT', `corrupt storage: ${file} at byte offset ${offset}: ${reason}`, {file, offset})
}
