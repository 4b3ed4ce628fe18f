/**
 * Types shared by the storage implementations: metrics and the logger callback.
 */

/** Figures for metrics. Indexes follow the etcd convention: an empty log has `firstIndex = lastIndex + 1`. */
export interface StorageStats {
  /** WAL segment files (0 for memory storage). */
  readonly segments: number
  /** Bytes in WAL segments (memory storage: bytes of entry data held). */
  readonly bytes: number
  /** First entry index held (may be at or below the snapshot index until compaction). */
  readonly firstIndex: number
  /** Last index: the last entry's, or the snapshot's when no entry follows it. */
  readonly lastIndex: number
  /** Index of the stored snapshot (0 when none). */
  readonly snapshotIndex: number
  /** Durable write calls completed (`save`/`saveSnapshot` that synced) since open. */
  readonly syncs: number
}

/** Severity of a storage log line. */
export type StorageLogLevel = 'debug' | 'info' | 'warn' | 'error'

/** Receives storage log lines (e.g. "torn tail truncated"). Must not throw. */
export type StorageLogger = (level: StorageLogLevel, msg: string, fields?: Record<string, unknown>) => void
