/**
 * A daemon's configuration: every option with its documented default, parsed from flags or a
 * JSON config file, validated before anything starts.
 */
import {readFileSync} from 'node:fs'
import {RaftctlError} from '../common/errors.js'
import {NODE_DEFAULTS} from '../common/defaults.js'

/** Everything one node needs to run. */
export interface DaemonConfig {
  /** Node id, e.g. `n1` (letters, digits, `-`, `_`; at most 64 characters). */
  readonly id: string
  /** Interface to listen on. Default `127.0.0.1`. */
  readonly host: string
  /** Port to listen on; 0 picks a free one. */
  readonly port: number
  /** Address peers and clients use to reach this node (`ws://host:port`). Default: from host and port. */
  readonly advertise?: string
  /** Known peers: id → address. */
  readonly peers: Readonly<Record<string, string>>
  /**
   * The cluster id (`--cluster-id`): checked against the data folder's identity file, sent in
   * the peer hello, and required of peers and clients that present one. Absent: the one the
   * folder recorded (or, for a new one-node founder, a generated one; otherwise unknown).
   */
  readonly clusterId?: string
  /**
   * Disaster recovery (`--force-new-cluster`, needs a new `clusterId`): before starting, rewrite
   * the data folder's membership to this node alone and record the new cluster id
   * (src/daemon/force-new-cluster.ts). Default false.
   */
  readonly forceNewCluster?: boolean
  /** Founding voters of a new cluster; empty for a node that joins an existing one. */
  readonly initialCluster: readonly string[]
  /**
   * `--rejoin`: this node was a member before. If its data folder turns out to be new (empty:
   * the data was lost), it starts rebuilding: it refuses to vote until it has caught up with a
   * leader. Ignored when the folder holds data. Default false.
   */
  readonly rejoin?: boolean
  /** Data directory (WAL, snapshots, hard state). */
  readonly dataDir: string
  /** The client secret (read from the secret file): opens `/client`, `/admin` and `/metrics`. */
  readonly secret: string
  /**
   * The peer secret (read from the peer secret file): what this node sends when dialling a
   * peer, and the only credential `/raft` accepts. Absent: shared-secret mode, where the client
   * secret is the peer credential too (any client can open `/raft`); the daemon warns at start
   * and reports `peerAuth: "shared-secret"` in status and /health.
   */
  readonly peerSecret?: string
  /** The secret files read (for `raftctl doctor`'s permission check); absent when the config was built in code. */
  readonly secretFile?: string
  readonly peerSecretFile?: string
  /** The leader's scheduled consistency check period, ms (`--consistency-check-every`). Default 0: off. */
  readonly consistencyCheckEveryMs: number
  /** Milliseconds per Raft tick. Default 5. */
  readonly tickMs: number
  /** Election timeout base in ticks (timeouts drawn from [T, 2T)). Default 30 (150–300 ms at 5 ms ticks: 30 distinct timeouts make split votes rare). */
  readonly electionTicks: number
  /** Heartbeat interval in ticks. Default 6 (30 ms). */
  readonly heartbeatTicks: number
  /** Snapshot the state machine every this many applied entries. Default 10000. */
  readonly snapshotEvery: number
  /** Entries kept behind a snapshot for slow followers. Default 5000. */
  readonly compactionLag: number
  /** Also snapshot once the entries applied since the last snapshot hold this many data bytes (0: no byte trigger). Default 64 MiB. */
  readonly snapshotEveryBytes: number
  /** Most entry data bytes kept behind a snapshot (with `compactionLag`: whichever keeps fewer). Default 16 MiB. */
  readonly compactionLagBytes: number
  /** Changing entries whose changes are kept for watches (`--watch-history`). Default 10000. */
  readonly watchHistory: number
  /** WAL segment size in bytes. Default 8 MiB (NODE_DEFAULTS.segmentBytes). */
  readonly segmentBytes: number
  /** Zero-filled space kept ahead of the WAL's end (cheaper fdatasyncs; 0: off). Default 1 MiB. */
  readonly walPreallocateBytes: number
  /** Per-request timeout for client requests (ms). Default 5000. */
  readonly requestTimeoutMs: number
  /**
   * TLS: PEM file paths. `cert`/`key` serve wss:// and are presented as this node's client
   * certificate when it dials peers; `ca` verifies peers' certificates; `clientCa`
   * (`--tls-client-ca`) makes every connection present a client certificate signed by it.
   */
  readonly tls?: {readonly cert: string; readonly key: string; readonly ca?: string; readonly clientCa?: string}
  /** JSON-lines log file; default `<dataDir>/../<id>.log` is chosen by the caller. Absent: stderr. */
  readonly logFile?: string
  /** Log level. Default `info`. */
  readonly logLevel: string
  /** UNSAFE: skip fsync (like etcd's --unsafe-no-fsync): acknowledged writes can be lost on power failure. */
  readonly unsafeNoFsync: boolean
  /** UNSAFE: followers answer linearizable reads from local state without ReadIndex (stale reads). */
  readonly unsafeFollowerReads: boolean
  /** Serve /metrics without the secret. Default false. */
  readonly publicMetrics: boolean
  /** `--restore`: lay out the data folder from this snapshot file before starting (src/daemon/restore.ts). */
  readonly restore?: string
  /** `--force-restore`: with `restore`, replace data the folder already holds. */
  readonly forceRestore?: boolean
}

/**
 * Defaults of every optional option: the node defaults of src/common/defaults.ts (the one
 * source, which `node run`'s options, the replica, the file storage and local clusters read
 * too), and the switches, off.
 */
export const DAEMON_DEFAULTS = {
  ...NODE_DEFAULTS,
  unsafeNoFsync: false,
  unsafeFollowerReads: false,
  publicMetrics: false,
  consistencyCheckEveryMs: 0,
} as const

const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/

/** Is `id` a valid node id? */
export function isValidNodeId(id: string): boolean {
  return ID_PATTERN.test(id)
}

/** Parse `n1=ws://127.0.0.1:7001,n2=…` into a map. Throws BAD_USAGE naming the bad part. */
export function parsePeers(text: string): Record<string, string> {
  const peers: Record<string, string> = {}
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=')
    if (eq <= 0) throw new RaftctlError('BAD_USAGE', `peer "${part}" must look like ID=ws://HOST:PORT`)
    const id = part.slice(0, eq)
    const url = normalizeAddress(part.slice(eq + 1))
    if (!isValidNodeId(id)) throw new RaftctlError('BAD_USAGE', `peer id "${id}" is not a valid node id`)
    peers[id] = url
  }
  return peers
}

/** Accept `host:port`, `ws://host:port` or `wss://host:port`; return a ws(s) URL without a path. */
export function normalizeAddress(address: string): string {
  const withScheme = /^[a-z]+:\/\//i.test(address) ? address : `ws://${address}`
  let url: URL
  try {
    url = new URL(withScheme)
  } catch {
    throw new RaftctlError('BAD_USAGE', `address "${address}" is not host:port or ws://host:port`)
  }
  if (url.protocol === 'http:') url.protocol = 'ws:'
  if (url.protocol === 'https:') url.protocol = 'wss:'
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new RaftctlError('BAD_USAGE', `address "${address}" must use ws:// or wss://`)
  if (!url.port) throw new RaftctlError('BAD_USAGE', `address "${address}" needs a port`)
  return `${url.protocol}//${url.host}`
}

/** Read a secret file: non-empty, first line, at least 16 characters. Throws BAD_USAGE naming the file. */
export function readSecret(file: string): string {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new RaftctlError('BAD_USAGE', `cannot read secret file ${file}: ${(err as Error).message}`)
  }
  const secret = text.split('\n')[0]!.trim()
  if (secret.length < 16) throw new RaftctlError('BAD_USAGE', `secret in ${file} must be at least 16 characters`)
  return secret
}

/** The contents of the TLS files of a node (PEM). */
export interface TlsMaterial {
  readonly cert: Buffer
  readonly key: Buffer
  readonly ca?: Buffer
  readonly clientCa?: Buffer
}

/** Read the TLS files of `files` now; a file that cannot be read throws its fs error (ENOENT names the path). */
export function readTlsMaterial(files: NonNullable<DaemonConfig['tls']>): TlsMaterial {
  const read = (file: string | undefined): Buffer | undefined => (file === undefined ? undefined : readFileSync(file))
  return {cert: readFileSync(files.cert), key: readFileSync(files.key), ca: read(files.ca), clientCa: read(files.clientCa)}
}

/**
 * The TLS options this node dials others with (peers, and the admin requests of the scheduled
 * consistency check): `ca` to verify them, and its own certificate as a client certificate,
 * which nodes started with `--tls-client-ca` demand. Undefined without TLS.
 */
export function dialTls(material: TlsMaterial | undefined): {readonly ca?: Buffer; readonly cert: Buffer; readonly key: Buffer} | undefined {
  if (material === undefined) return undefined
  return {cert: material.cert, key: material.key, ca: material.ca}
}

/** Validate a complete config; throws BAD_USAGE naming the first bad option. */
export function validateConfig(c: DaemonConfig): DaemonConfig {
  const bad = (msg: string): never => {
    throw new RaftctlError('BAD_USAGE', msg)
  }
  if (!isValidNodeId(c.id)) bad(`--id "${c.id}" must be 1-64 letters, digits, - or _`)
  if (!Number.isInteger(c.port) || c.port < 0 || c.port > 65535) bad(`--port ${c.port} is not a port`)
  if (!c.dataDir) bad('--data-dir is required')
  if (!Number.isInteger(c.tickMs) || c.tickMs < 1) bad('--tick must be at least 1ms')
  if (!Number.isInteger(c.electionTicks) || c.electionTicks < 2) bad('--election-ticks must be >= 2')
  if (!Number.isInteger(c.heartbeatTicks) || c.heartbeatTicks < 1 || c.heartbeatTicks >= c.electionTicks) bad('--heartbeat-ticks must be in [1, election-ticks)')
  if (!Number.isInteger(c.snapshotEvery) || c.snapshotEvery < 0) bad('--snapshot-every must be >= 0')
  if (!Number.isInteger(c.compactionLag) || c.compactionLag < 0) bad('--compaction-lag must be >= 0')
  if (!Number.isSafeInteger(c.snapshotEveryBytes) || c.snapshotEveryBytes < 0) bad('--snapshot-every-bytes must be a size >= 0')
  if (!Number.isSafeInteger(c.compactionLagBytes) || c.compactionLagBytes < 0) bad('--compaction-lag-bytes must be a size >= 0')
  if (!Number.isInteger(c.watchHistory) || c.watchHistory < 1) bad('--watch-history must be >= 1')
  if (!Number.isSafeInteger(c.walPreallocateBytes) || c.walPreallocateBytes < 0) bad('--wal-preallocate must be a size >= 0')
  for (const id of c.initialCluster) if (!isValidNodeId(id)) bad(`--initial-cluster member "${id}" is not a valid node id`)
  if (c.clusterId !== undefined && !isValidNodeId(c.clusterId)) bad(`--cluster-id "${c.clusterId}" must be 1-64 letters, digits, - or _`)
  if (c.forceNewCluster && c.clusterId === undefined) bad('--force-new-cluster requires --cluster-id: a new id for the recovered cluster')
  if (c.forceNewCluster && c.restore !== undefined) bad('--restore and --force-new-cluster do not go together: restore a backup into empty folders, or recover a survivor\'s own data')
  if (c.initialCluster.length > 0 && !c.initialCluster.includes(c.id)) bad(`--initial-cluster must include this node (${c.id})`)
  if (c.tls && (!c.tls.cert || !c.tls.key)) bad('--tls-cert and --tls-key go together')
  if (c.peerSecret !== undefined && c.peerSecret === c.secret) bad('--peer-secret-file must hold a different secret than --secret-file (leave it out for the shared-secret mode)')
  return c
}
