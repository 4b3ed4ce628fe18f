/**
 * A shared leaf (src/common): the defaults of a node, written once. The daemon's config
 * (`DAEMON_DEFAULTS`), the options of `node run` (`NODE_RUN_OPTIONS`, as flag text), the
 * replica driver (`REPLICA_DEFAULTS`), the file storage and the options a local cluster passes
 * to its daemons (`CLUSTER_DEFAULTS`) all read them from here, so they cannot disagree. No
 * imports: every layer that may import `common` loads it for nothing.
 */

const MiB = 1024 * 1024

/** The defaults of one node (docs: `raftctl node run --help`, docs/cli.md). */
export const NODE_DEFAULTS = {
  /** Interface to listen on. */
  host: '127.0.0.1',
  /** Port to listen on; 0 picks a free one. */
  port: 0,
  /** Milliseconds per Raft tick. */
  tickMs: 5,
  /** Election timeout base in ticks (timeouts drawn from [T, 2T)): 150–300 ms at 5 ms ticks, 30 distinct timeouts make split votes rare. */
  electionTicks: 30,
  /** Heartbeat interval in ticks (30 ms at 5 ms ticks). */
  heartbeatTicks: 6,
  /** Snapshot the state machine every this many applied entries (0: never). */
  snapshotEvery: 10_000,
  /** Entries kept behind a snapshot so slightly lagging followers need no snapshot. */
  compactionLag: 5_000,
  /**
   * Also snapshot once the entries applied since the last snapshot hold this many bytes of data
   * (64 MiB; 0: no byte trigger). The count alone let 10,000 entries of 256 KiB values (2.5 GiB)
   * pile up in memory and in the WAL before a snapshot (docs/storage.md, What bounds memory).
   */
  snapshotEveryBytes: 64 * MiB,
  /**
   * Most bytes of entry data kept behind a snapshot (16 MiB): compaction keeps at most
   * `compactionLag` entries and at most this much data, whichever is fewer, so large values do
   * not hold 5,000 entries (1.2 GiB of 256 KiB values) in memory. 0 keeps none.
   */
  compactionLagBytes: 16 * MiB,
  /** Changing entries whose changes are kept for watches to resume from (docs/kv.md, Watch). */
  watchHistory: 10_000,
  /**
   * WAL segment size in bytes (8 MiB). A restart reads the segment holding the snapshot's entry
   * whole, so the segment size bounds what it replays beyond the entries since the snapshot;
   * 64 MiB (etcd's) made restarts replay up to 450k dead records (docs/storage.md, Compaction).
   */
  segmentBytes: 8 * MiB,
  /** Zero-filled space kept ahead of the WAL's end, in bytes (1 MiB; 0: off). */
  walPreallocateBytes: MiB,
  /** Per-request timeout of client requests, ms. */
  requestTimeoutMs: 5_000,
  /** Log level. */
  logLevel: 'info',
} as const

/**
 * Name of the identity file in a node's data folder (src/storage/identity.ts writes it). A local
 * cluster reads only whether it exists: a node that started before and has none lost its data.
 */
export const IDENTITY_FILE = 'identity.json'
