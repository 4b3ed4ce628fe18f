/**
 * Local clusters on disk: RAFTCTL_HOME/<cluster>/ holds the manifest, the client secret and
 * the peer secret (files `secret` and `peer-secret`, 0600), one data folder, log file and pid
 * file per node. Folders are 0700. Node names n1, n2, … are never reused within a cluster. The
 * cluster's lock (src/cluster/lock.ts) lives outside its folder, in RAFTCTL_HOME/.locks/, so
 * that it exists before the cluster is created and after it is destroyed.
 */
import {chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {join} from 'node:path'
import {randomBytes} from 'node:crypto'
import {RaftctlError} from '../common/errors.js'
import {createWhole} from './files.js'
import {NODE_DEFAULTS} from '../common/defaults.js'

/** One node of a local cluster. */
export interface NodeEntry {
  readonly id: string
  readonly host: string
  readonly port: number
  /** `ws://host:port`. */
  readonly address: string
  /** True once removed from the membership (the name stays reserved). */
  removed?: boolean
  /**
   * True once the node's daemon has started (it holds, or held, data of the cluster). A later
   * start on a data folder without an identity file means its data was lost: the node is
   * started with `--rejoin` and rebuilds without voting. Absent in manifests written before it
   * (set at the node's next start when its folder has an identity file).
   */
  started?: boolean
}

/** Daemon options shared by every node of a local cluster. */
export interface ClusterOptions {
  readonly tick: string
  readonly electionTicks: number
  readonly heartbeatTicks: number
  readonly snapshotEvery: number
  readonly compactionLag: number
  /** `node run --snapshot-every-bytes`, in bytes; absent (manifests written before it): the daemon's default. */
  readonly snapshotEveryBytes?: number
  /** `node run --compaction-lag-bytes`, in bytes; absent (manifests written before it): the daemon's default. */
  readonly compactionLagBytes?: number
  readonly unsafeFollowerReads?: boolean
  readonly unsafeNoFsync?: boolean
  /** The leader's scheduled consistency check period (`node run --consistency-check-every`, e.g. `1m`); absent or `off`: off. */
  readonly consistencyCheckEvery?: string
  /** Changing entries each node keeps for watches (`node run --watch-history`); absent (manifests written before it): the daemon's default. */
  readonly watchHistory?: number
}

/** The manifest of a local cluster. */
export interface Manifest {
  readonly version: 1
  readonly name: string
  readonly createdAt: string
  /** Number of the next node name (n<next>). */
  nextNode: number
  nodes: NodeEntry[]
  /**
   * The nodes the cluster was created with: each starts with `--initial-cluster` set to all of
   * them (the daemon uses it only while its data is blank). Absent in manifests written before
   * it was recorded.
   */
  founders?: string[]
  /**
   * The cluster id, random, generated when the cluster is created: every daemon gets it with
   * `--cluster-id` (its data folder records it) and the CLI's clients expect it of every node.
   * Absent in manifests written before cluster identities: `cluster start` then creates it.
   */
  clusterId?: string
  options: ClusterOptions
}

/** Bytes of randomness in a cluster id (16 hex characters; the daemon's src/daemon/identity.ts generates the same). */
export const CLUSTER_ID_BYTES = 8

/** A new random cluster id: {@link CLUSTER_ID_BYTES} random bytes in hex. */
export function newClusterId(): string {
  return randomBytes(CLUSTER_ID_BYTES).toString('hex')
}

/** Defaults of {@link ClusterOptions}: the node defaults of src/common/defaults.ts. */
export const CLUSTER_DEFAULTS: ClusterOptions = {
  tick: `${NODE_DEFAULTS.tickMs}ms`,
  electionTicks: NODE_DEFAULTS.electionTicks,
  heartbeatTicks: NODE_DEFAULTS.heartbeatTicks,
  snapshotEvery: NODE_DEFAULTS.snapshotEvery,
  compactionLag: NODE_DEFAULTS.compactionLag,
  snapshotEveryBytes: NODE_DEFAULTS.snapshotEveryBytes,
  compactionLagBytes: NODE_DEFAULTS.compactionLagBytes,
  watchHistory: NODE_DEFAULTS.watchHistory,
}

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/

/** RAFTCTL_HOME, default ~/.raftctl. */
export function raftctlHome(): string {
  return process.env.RAFTCTL_HOME || join(homedir(), '.raftctl')
}

/** Paths of one cluster's files. */
export class ClusterPaths {
  constructor(readonly name: string, readonly home: string = raftctlHome()) {
    if (!NAME_PATTERN.test(name)) throw new RaftctlError('BAD_USAGE', `cluster name "${name}" must be 1-64 letters, digits, ".", "_" or "-"`)
  }

  get dir(): string {
    return join(this.home, this.name)
  }

  get manifest(): string {
    return join(this.dir, 'manifest.json')
  }

  /** The client secret: what the CLI and clients present. */
  get secret(): string {
    return join(this.dir, 'secret')
  }

  /** The peer secret: what daemons present to each other on `/raft` (clients never get it). */
  get peerSecret(): string {
    return join(this.dir, 'peer-secret')
  }

  dataDir(id: string): string {
    return join(this.dir, 'nodes', id)
  }

  logFile(id: string): string {
    return join(this.dir, 'logs', `${id}.log`)
  }

  pidFile(id: string): string {
    return join(this.dir, 'pids', `${id}.pid`)
  }

  /** The daemon's start-up status (src/common/startup-status.ts), next to its pid file. */
  statusFile(id: string): string {
    return join(this.dir, 'pids', `${id}.status`)
  }

  /** The cluster's lock: outside its folder (a cluster name never starts with "."). */
  get lockFile(): string {
    return join(this.home, '.locks', `${this.name}.lock`)
  }
}

/** True when the cluster's manifest exists. */
export function clusterExists(paths: ClusterPaths): boolean {
  return existsSync(paths.manifest)
}

/**
 * Create the folders, the client and peer secrets (0600) and the manifest with `founders` (named n1, n2, …, and
 * recorded as the founders), written once, atomically: the manifest never exists with only
 * some of the founders. Throws CLUSTER_EXISTS.
 */
export function createCluster(paths: ClusterPaths, options: ClusterOptions, founders: readonly {host: string; port: number}[] = []): Manifest {
  if (clusterExists(paths)) throw new RaftctlError('CLUSTER_EXISTS', `cluster ${paths.name} already exists in ${paths.home}`)
  mkdirSync(paths.home, {recursive: true, mode: 0o700})
  for (const dir of [paths.dir, join(paths.dir, 'nodes'), join(paths.dir, 'logs'), join(paths.dir, 'pids')]) {
    mkdirSync(dir, {recursive: true, mode: 0o700})
    chmodSync(dir, 0o700)
  }
  writeFileSync(paths.secret, `${randomBytes(32).toString('hex')}\n`, {mode: 0o600})
  chmodSync(paths.secret, 0o600)
  ensurePeerSecret(paths)
  const nodes = founders.map(({host, port}, i): NodeEntry => ({id: `n${i + 1}`, host, port, address: `ws://${host}:${port}`}))
  const manifest: Manifest = {
    version: 1, name: paths.name, createdAt: new Date().toISOString(), nextNode: nodes.length + 1, nodes,
    clusterId: newClusterId(), options,
  }
  if (nodes.length > 0) manifest.founders = nodes.map((n) => n.id)
  saveManifest(paths, manifest)
  return manifest
}

/** Read and validate the manifest. Throws CLUSTER_NOT_FOUND or CORRUPT. */
export function loadManifest(paths: ClusterPaths): Manifest {
  if (!clusterExists(paths)) {
    throw new RaftctlError('CLUSTER_NOT_FOUND', `no cluster ${paths.name} in ${paths.home} (start one with: raftctl cluster start --cluster ${paths.name})`)
  }
  let m: Manifest
  try {
    m = JSON.parse(readFileSync(paths.manifest, 'utf8')) as Manifest
  } catch (err) {
    throw new RaftctlError('CORRUPT', `manifest ${paths.manifest} is unreadable: ${(err as Error).message}`)
  }
  if (m.version !== 1 || !Array.isArray(m.nodes) || typeof m.nextNode !== 'number') {
    throw new RaftctlError('CORRUPT', `manifest ${paths.manifest} is not a raftctl v1 manifest`)
  }
  return m
}

/** Write the manifest atomically. */
export function saveManifest(paths: ClusterPaths, m: Manifest): void {
  const tmp = `${paths.manifest}.tmp`
  writeFileSync(tmp, `${JSON.stringify(m, null, 2)}\n`, {mode: 0o600})
  renameSync(tmp, paths.manifest)
}

/**
 * Create the cluster's peer secret (32 random bytes, hex, mode 0600) unless it exists; true
 * when this call created it. Atomic: written to a temporary file, then linked into place, so
 * a concurrent reader never sees a partial file and two concurrent callers keep one secret.
 * Clusters created before peer secrets existed get one this way (see LocalCluster).
 */
export function ensurePeerSecret(paths: ClusterPaths): boolean {
  if (existsSync(paths.peerSecret)) return false
  return createWhole(paths.peerSecret, `${randomBytes(32).toString('hex')}\n`)
}

/** Read the cluster secret. */
export function readClusterSecret(paths: ClusterPaths): string {
  return readFileSync(paths.secret, 'utf8').trim()
}

/** Reserve the next node name and record it. */
export function addNodeEntry(paths: ClusterPaths, m: Manifest, host: string, port: number): NodeEntry {
  const id = `n${m.nextNode}`
  m.nextNode++
  const entry: NodeEntry = {id, host, port, address: `ws://${host}:${port}`}
  m.nodes.push(entry)
  saveManifest(paths, m)
  return entry
}

/** The live (not removed) nodes. */
export function activeNodes(m: Manifest): NodeEntry[] {
  return m.nodes.filter((n) => !n.removed)
}

/** Find a node or throw NODE_NOT_FOUND listing the known ones. */
export function findNode(m: Manifest, id: string): NodeEntry {
  const n = m.nodes.find((x) => x.id === id)
  if (!n) throw new RaftctlError('NODE_NOT_FOUND', `no node ${id} in cluster ${m.name} (nodes: ${activeNodes(m).map((x) => x.id).join(', ') || 'none'})`)
  return n
}

/** Names of every local cluster in RAFTCTL_HOME. */
export function listClusters(home: string = raftctlHome()): string[] {
  return foldersHolding(home, 'manifest.json')
}

/** Names of the folders of `home` that hold `file` (a manifest, an attachment record), sorted. */
export function foldersHolding(home: string, file: string): string[] {
  if (!existsSync(home)) return []
  return readdirSync(home, {withFileTypes: true})
    .filter((d) => d.isDirectory() && existsSync(join(home, d.name, file)))
    .map((d) => d.name)
    .sort()
}

/** Delete the cluster folder entirely. */
export function removeClusterFiles(paths: ClusterPaths): void {
  rmSync(paths.dir, {recursive: true, force: true})
}
