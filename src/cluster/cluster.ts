/**
 * A local cluster as the CLI drives it: create, start, stop and destroy daemons, read every
 * node's status (unreachable nodes show as down), reserve and retire node names, and clients
 * pointed at the cluster's nodes. The workflows over it are in ./membership.ts and
 * ./leadership.ts. The methods that change the cluster do not lock it themselves: a command
 * runs them inside {@link LocalCluster.exclusive} (src/cluster/lock.ts).
 */
import {existsSync} from 'node:fs'
import {join} from 'node:path'
import {IDENTITY_FILE} from '../common/defaults.js'
import {AdminClient, type Endpoint} from '../client/index.js'
import type {NodeStatus} from '../admin/protocol.js'
import {RaftctlError} from '../common/errors.js'
import {
  ClusterPaths, activeNodes, addNodeEntry, clusterExists, createCluster, ensurePeerSecret, findNode, listClusters, loadManifest,
  newClusterId, readClusterSecret, removeClusterFiles, saveManifest, CLUSTER_DEFAULTS,
  type ClusterOptions, type Manifest, type NodeEntry,
} from './manifest.js'
import {replicationLag} from './lag.js'
import {freePort} from './ports.js'
import {acquireLock, withLock, type ClusterLockOptions, type HeldLock} from './lock.js'
import {isPaused, lastLineFailure, runningPid, signal, sleep, spawnDaemon, waitForExit, waitForPidFile} from './processes.js'
import type {StartupStatus} from '../common/startup-status.js'
import {ClusterHandle, notLocalError, type ClientAccess, type ClusterStatus, type NodeRow} from './handle.js'

export type {ClusterStatus, NodeRow, UnansweredEndpoint} from './handle.js'

/** Entries behind the leader above which a reachable node's health is `lagging`. */
export const LAGGING_ENTRIES = 1000

/**
 * One row of `raftctl status` from the node's own status (null: it did not answer), the
 * leader's (null: no leader known) and its process (pid null: not running; null: a remote node,
 * whose process is not visible: it shows as `unreachable`). Pure, so the table
 * can be tested over synthetic snapshots.
 */
export function statusRow(n: Pick<NodeEntry, 'id' | 'address'>, st: NodeStatus | null, leader: NodeStatus | null, process: {pid: number | null; paused: boolean} | null): NodeRow {
  const pid = process?.pid ?? null
  if (st === null) {
    // process null: a node on another host, whose process the CLI cannot see.
    const health = process === null ? 'unreachable' : pid === null ? 'down' : process.paused ? 'paused' : 'unreachable'
    return {
      id: n.id, role: 'down', term: null, leader: null, commitIndex: null, appliedIndex: null, lastIndex: null,
      voter: leader ? leader.members.voters.some((v) => v.id === n.id) : null, reachable: false, pid, address: n.address,
      lag: null, lastContactMs: null, health,
    }
  }
  const progress = leader?.progress.find((p) => p.id === n.id)
  const lag = leader ? replicationLag(leader, n.id, st) : null
  const health = st.rebuilding === true ? 'rebuilding' : lag !== null && lag > LAGGING_ENTRIES ? 'lagging' : 'ok'
  return {
    id: n.id, role: st.role, term: st.term, leader: st.leader, commitIndex: st.commitIndex, appliedIndex: st.appliedIndex,
    lastIndex: st.lastIndex, voter: st.voter, reachable: true, pid: st.pid, address: st.address,
    lag, lastContactMs: progress ? progress.lastContactMs : null, health, detail: st,
  }
}

/**
 * Time limits of cluster operations (ms). `spawn` is the longest a starting daemon may go
 * without a new start-up step (its status file): a daemon recovering a large store is waited
 * for as long as its progress moves.
 */
export const CLUSTER_TIMEOUTS = {
  status: 1500,
  spawn: 15_000,
  leader: 20_000,
  stop: 10_000,
} as const

/** How a node's daemon ended when asked to stop: SIGTERM obeyed, SIGKILL after the grace period, or no process. */
export type StopOutcome = 'stopped' | 'killed' | 'not running'

/** A local cluster in RAFTCTL_HOME. */
export class LocalCluster extends ClusterHandle {
  readonly paths: ClusterPaths
  readonly kind = 'local' as const

  constructor(readonly name: string, home?: string) {
    super()
    this.paths = new ClusterPaths(name, home)
  }

  access(): ClientAccess {
    return {secret: this.secret(), clusterId: this.clusterId()}
  }

  addressOf(id: string): string {
    return findNode(this.manifest(), id).address
  }

  async nodeIds(): Promise<string[]> {
    return activeNodes(this.manifest()).map((n) => n.id)
  }

  override processState(id: string): 'up' | 'down' | 'paused' {
    const pid = this.pid(id)
    return pid === null ? 'down' : isPaused(pid) ? 'paused' : 'up'
  }

  protected kvEndpoints(): Endpoint[] {
    return activeNodes(this.manifest()).map((n) => ({id: n.id, url: n.address}))
  }

  protected override cacheDir(): string {
    return this.paths.dir
  }

  exists(): boolean {
    return clusterExists(this.paths)
  }

  manifest(): Manifest {
    return loadManifest(this.paths)
  }

  secret(): string {
    return readClusterSecret(this.paths)
  }

  /** The cluster id the CLI's clients expect of every node (undefined: a manifest from before cluster ids). */
  override clusterId(): string | undefined {
    return this.manifest().clusterId
  }

  /** Running pid of a node, or null (stale pid files are cleaned up). */
  pid(id: string): number | null {
    return runningPid(this.paths, id)
  }

  /**
   * Run `fn` holding the cluster's lock (src/cluster/lock.ts): every command that changes the
   * cluster does, so two never interleave. Waits up to `options.waitMs` (default 10 s) for
   * another holder, then throws CLUSTER_BUSY naming it. Not re-entrant: do not nest.
   */
  exclusive<T>(fn: () => Promise<T>, options: ClusterLockOptions = {}): Promise<T> {
    return withLock(this.paths.lockFile, {resource: `cluster "${this.name}"`, ...options}, fn)
  }

  /** Take the cluster's lock as {@link exclusive} does; the caller releases it (in `finally`). */
  lock(options: ClusterLockOptions = {}): Promise<HeldLock> {
    return acquireLock(this.paths.lockFile, {resource: `cluster "${this.name}"`, ...options})
  }

  // ------------------------------------------------------------------ lifecycle

  /**
   * Create the cluster (first time) with `nodes` founders, then start every node that is not
   * running. Returns which nodes were started (empty: everything already ran). Founders always
   * start with `--initial-cluster` (recorded in the manifest), also when a start that created
   * the cluster stopped half-way: a founder started without it would never join. Run it inside
   * {@link exclusive}: two concurrent starts would both create, and spawn every node twice.
   * `restoreFrom`: a snapshot file every node started now lays out its data from first
   * (`node run --restore`, src/cluster/snapshot.ts).
   * `options.consistencyCheckEvery` and `options.watchHistory` are recorded also for an existing
   * cluster (nodes started from now on).
   */
  async start(nodes: number, options: Partial<ClusterOptions> = {}, restoreFrom?: string): Promise<{created: boolean; started: string[]}> {
    let created = false
    if (!this.exists()) {
      if (!Number.isInteger(nodes) || nodes < 1 || nodes > 15) throw new RaftctlError('BAD_USAGE', '--nodes must be between 1 and 15')
      const taken = recordedPorts(this.paths.home)
      const founders: {host: string; port: number}[] = []
      for (let i = 0; i < nodes; i++) {
        const port = await this.newPort(taken)
        taken.add(port)
        founders.push({host: '127.0.0.1', port})
      }
      createCluster(this.paths, {...CLUSTER_DEFAULTS, ...options}, founders)
      created = true
    }
    const m = this.manifest()
    this.maybeCreateClusterId(m)
    const changed = (['consistencyCheckEvery', 'watchHistory'] as const).filter((k) => options[k] !== undefined && m.options[k] !== options[k])
    if (changed.length > 0) {
      // Recorded for every node started from now on (running nodes keep theirs until restarted).
      m.options = {...m.options, ...Object.fromEntries(changed.map((k) => [k, options[k]]))}
      saveManifest(this.paths, m)
    }
    const started: string[] = []
    for (const node of activeNodes(m)) {
      if (this.pid(node.id) !== null) continue
      await this.spawn(m, node, restoreFrom === undefined ? [] : ['--restore', restoreFrom])
      started.push(node.id)
    }
    return {created, started}
  }

  /**
   * Spawn `node` and wait until it is ready, telling `onProgress` each start-up step; a founder
   * gets `--initial-cluster` (ignored once its data is not blank), a node that started before
   * gets `--rejoin` (on an emptied data folder it rebuilds without voting); `extraArgs` go last
   * (e.g. `--force-new-cluster`, `--restore FILE`). The first start is recorded in the manifest.
   */
  private async spawn(m: Manifest, node: NodeEntry, extraArgs: readonly string[] = [], onProgress?: (status: StartupStatus) => void): Promise<number> {
    const initialCluster = m.founders?.includes(node.id) ? m.founders : []
    this.maybeCreatePeerSecret(m)
    const hadIdentity = existsSync(join(this.paths.dataDir(node.id), IDENTITY_FILE))
    const child = spawnDaemon(this.paths, m, node, initialCluster, node.started === true || hadIdentity, extraArgs)
    const pid = await waitForPidFile(this.paths, node.id, child, CLUSTER_TIMEOUTS.spawn, onProgress)
    if (node.started !== true) {
      node.started = true
      saveManifest(this.paths, m)
    }
    return pid
  }

  /**
   * Give a cluster created before peer secrets its `peer-secret`, but only while none of its
   * nodes runs: a node started with it could not talk to running nodes still using the shared
   * secret (those keep it until the whole cluster is stopped and started again).
   */
  private maybeCreatePeerSecret(m: Manifest): void {
    if (existsSync(this.paths.peerSecret)) return
    if (activeNodes(m).some((n) => this.pid(n.id) !== null)) return
    ensurePeerSecret(this.paths)
  }

  /**
   * Give a cluster created before cluster ids its id (recorded in the manifest): the nodes
   * started from now on get it with `--cluster-id` and their folders adopt it. Safe while some
   * nodes run without one: a node whose cluster id is unknown neither sends nor checks one.
   */
  private maybeCreateClusterId(m: Manifest): void {
    if (m.clusterId !== undefined) return
    m.clusterId = newClusterId()
    saveManifest(this.paths, m)
  }

  /** SIGTERM every running node and wait; SIGKILL after the timeout. Returns per-node outcome. */
  async stop(ids?: string[]): Promise<{id: string; outcome: StopOutcome}[]> {
    const m = this.manifest()
    const targets = ids ?? m.nodes.map((n) => n.id)
    return Promise.all(targets.map(async (id) => ({id, outcome: await this.stopOne(id)})))
  }

  private async stopOne(id: string): Promise<StopOutcome> {
    const pid = this.pid(id)
    if (pid === null) return 'not running'
    if (isPaused(pid)) signal(pid, 'SIGCONT')
    signal(pid, 'SIGTERM')
    if (await waitForExit(pid, CLUSTER_TIMEOUTS.stop)) return 'stopped'
    signal(pid, 'SIGKILL')
    await waitForExit(pid, 2000)
    return 'killed'
  }

  /** Stop everything (SIGKILL) and delete the cluster folder. */
  async destroy(): Promise<void> {
    if (!this.exists()) throw new RaftctlError('CLUSTER_NOT_FOUND', `no cluster ${this.name} in ${this.paths.home}`)
    const m = this.manifest()
    for (const n of m.nodes) {
      const pid = this.pid(n.id)
      if (pid === null) continue
      signal(pid, 'SIGKILL')
      await waitForExit(pid, 5000)
    }
    removeClusterFiles(this.paths)
  }

  // ------------------------------------------------------------------ node processes

  /**
   * Start one node's daemon (it rejoins with its data dir). `extraArgs` are passed to this start
   * only (`raftctl recover` starts the survivor with `--force-new-cluster`); `onProgress` hears
   * each start-up step (opening storage 40%, …).
   */
  async startNode(id: string, extraArgs: readonly string[] = [], onProgress?: (status: StartupStatus) => void): Promise<number> {
    const m = this.manifest()
    const node = findNode(m, id)
    if (node.removed) throw new RaftctlError('NODE_NOT_FOUND', `${id} was removed from the cluster; add a new node instead`)
    const pid = this.pid(id)
    if (pid !== null) return pid
    return this.spawn(m, node, extraArgs, onProgress)
  }

  /** SIGTERM one node (graceful). */
  async stopNode(id: string): Promise<StopOutcome> {
    findNode(this.manifest(), id)
    return this.stopOne(id)
  }

  /** SIGKILL one node (a crash). */
  async killNode(id: string): Promise<boolean> {
    findNode(this.manifest(), id)
    const pid = this.pid(id)
    if (pid === null) return false
    signal(pid, 'SIGKILL')
    await waitForExit(pid, 5000)
    return true
  }

  /** SIGSTOP / SIGCONT one node. */
  pauseNode(id: string, pause: boolean): number {
    findNode(this.manifest(), id)
    const pid = this.pid(id)
    if (pid === null) throw new RaftctlError('UNAVAILABLE', `${id} is not running`)
    signal(pid, pause ? 'SIGSTOP' : 'SIGCONT')
    return pid
  }

  // ------------------------------------------------------------------ status

  /** Every node's status; unreachable nodes appear as down. */
  async status(timeoutMs: number = CLUSTER_TIMEOUTS.status): Promise<ClusterStatus> {
    const m = this.manifest()
    const secret = this.secret()
    const nodes = activeNodes(m)
    const details = await Promise.all(nodes.map((n) => this.nodeStatus(n, secret, m.clusterId, timeoutMs)))
    const leaderStatus = pickLeader(details)
    const leaderNode = nodes.find((n) => n.id === leaderStatus?.id)
    if (leaderNode !== undefined) this.rememberLeader(leaderNode.id, leaderNode.address)
    const rows = nodes.map((n, i) => this.row(n, details[i] ?? null, leaderStatus))
    const alarm = details.find((d) => d?.alarm)?.alarm ?? null
    return {cluster: this.name, clusterId: m.clusterId ?? null, leader: leaderStatus?.id ?? null, term: maxTerm(details), nodes: rows, alarm}
  }

  private async nodeStatus(n: NodeEntry, secret: string, clusterId: string | undefined, timeoutMs: number): Promise<NodeStatus | null> {
    const pid = this.pid(n.id)
    if (pid === null || isPaused(pid)) return null
    const client = new AdminClient({url: n.address, secret, clusterId, timeoutMs})
    try {
      return await client.status()
    } catch {
      return null
    } finally {
      await client.close()
    }
  }

  private row(n: NodeEntry, st: NodeStatus | null, leader: NodeStatus | null): NodeRow {
    const pid = this.pid(n.id)
    const row = statusRow(n, st, leader, {pid, paused: pid !== null && isPaused(pid)})
    if (row.health !== 'down') return row
    const why = lastLineFailure(this.paths.logFile(n.id))
    return why ? {...row, downReason: `${why.code}: ${why.message}`} : row
  }

  /**
   * Every node's status, like {@link status}, but `UNAVAILABLE` naming each node when no node is
   * listening: no daemon of the cluster is running, so nothing can answer however long one waits
   * (the local form of the KvClient's rule: every endpoint refused the connection). A paused or
   * starting node has a process and counts as listening.
   */
  async liveStatus(timeoutMs: number = CLUSTER_TIMEOUTS.status): Promise<ClusterStatus> {
    const st = await this.status(timeoutMs)
    if (st.nodes.length > 0 && st.nodes.every((n) => n.pid === null)) {
      const where = st.nodes.map((n) => `${n.id} at ${n.address}`).join(', ')
      throw new RaftctlError('UNAVAILABLE', `no node is listening: ${where} (no daemon of cluster ${this.name} is running; start them with "raftctl cluster start")`)
    }
    return st
  }

  // ------------------------------------------------------------------ membership

  /**
   * A free port for a new node, none of `taken` (default: the ports the clusters in RAFTCTL_HOME
   * have recorded): a stopped node's port is not bound, but it will be at the node's next start.
   */
  private newPort(taken: ReadonlySet<number> = recordedPorts(this.paths.home)): Promise<number> {
    return freePort('127.0.0.1', {exclude: taken})
  }

  /** Reserve a new node name and port and spawn its daemon (not yet a member). */
  async spawnNewNode(): Promise<NodeEntry> {
    const m = this.manifest()
    const node = addNodeEntry(this.paths, m, '127.0.0.1', await this.newPort())
    await this.spawn(m, node)
    return node
  }

  /** Mark a node removed in the manifest (its name is never reused). */
  markRemoved(id: string): void {
    const m = this.manifest()
    const node = findNode(m, id)
    node.removed = true
    saveManifest(this.paths, m)
  }

  /** Forget a reserved node that never joined (a failed add). */
  forgetNode(id: string): void {
    this.markRemoved(id)
  }

  /** Whether the data dir of a node exists (for tests and destroy checks). */
  hasData(id: string): boolean {
    return existsSync(this.paths.dataDir(id))
  }
}

function pickLeader(details: (NodeStatus | null)[]): NodeStatus | null {
  let best: NodeStatus | null = null
  for (const d of details) if (d && d.role === 'leader' && (!best || d.term > best.term)) best = d
  return best
}

function maxTerm(details: (NodeStatus | null)[]): number {
  return details.reduce((m, d) => Math.max(m, d?.term ?? 0), 0)
}

/** Every port recorded in the manifests of the clusters in `home` (unreadable manifests are skipped). */
export function recordedPorts(home: string): Set<number> {
  const ports = new Set<number>()
  for (const name of listClusters(home)) {
    try {
      for (const n of loadManifest(new ClusterPaths(name, home)).nodes) ports.add(n.port)
    } catch {
      // a damaged manifest: its cluster cannot start anyway
    }
  }
  return ports
}

/**
 * The local cluster behind `handle`, or `NOT_LOCAL` (exit 2) saying that `command` (e.g. `node
 * kill`) needs the node processes on this machine, and what to use instead.
 */
export function asLocal(handle: ClusterHandle, command: string): LocalCluster {
  if (handle instanceof LocalCluster) return handle
  throw notLocalError(handle.name, handle.kind, command)
}
