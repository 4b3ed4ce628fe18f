/**
 * Durable storage for a Raft node: FileStorage (WAL segments, snapshot files) for the daemon,
 * MemoryStorage for tests and the simulator (whose disk, src/sim/disk.ts, adds crash hooks
 * around one). Both implement the replica's Storage port with the same write rules.
 * dumpStorage reads a FileStorage directory read-only and lists its problems (`raftctl wal dump`).
 */
export {StorageError, type StorageErrorCode, type StorageErrorOptions} from './errors.js'
export {
  FileStorage, DEFAULT_SEGMENT_BYTES, DEFAULT_PREALLOCATE_BYTES, DEFAULT_MAX_RECORD_BYTES, DEFAULT_KEEP_SNAPSHOTS, DEFAULT_SYNC_MODE,
  type FileStorageOptions, type SyncMode,
} from './file-storage.js'
export {MemoryStorage, type MemoryStorageInit} from './memory.js'
export {SnapshotFileData} from './snapshot-file-data.js'
export {IDENTITY_FILE, readIdentity, writeIdentity, hasStoredData, type DataIdentity} from './identity.js'
export {nodeFs, type FsOps} from './fs-ops.js'
export type {StorageStats, StorageLogger, StorageLogLevel} from './types.js'
export {
  dumpStorage, readOnlyFs,
  type StorageDump, type DumpEntry, type DumpOptions, type DumpProblem, type DumpProblemKind, type DumpSegment, type DumpSnapshot,
} from './dump.js'
export {forceNewCluster, summarize as summarizeSurvivor, changesToAlone, type ForceNewClusterResult, type SurvivorSummary} from './force-new-cluster.js'
