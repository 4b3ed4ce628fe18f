/**
 * The cluster handle: what every command that speaks to nodes uses, whatever runs them. Two
 * implementations: {@link LocalCluster} (src/cluster/cluster.ts: daemons this machine spawned,
 * listed in a manifest) and RemoteCluster (src/cluster/remote.ts: an attached cluster, or
 * `--endpoints` given on the command line, whose members are learned from the cluster's own
 * configuration). The workflows (leadership, membership, chaos faults, kv) take a handle, so a
 * command written against it works on both; what needs local processes asks for the local
 * cluster with `asLocal` (src/cluster/cluster.ts), which refuses a remote one with `NOT_LOCAL` (exit 2)
 * naming what to use instead ({@link notLocalError}).
 */
import {AdminClient, KvClient, type ClientTlsOptions, type Endpoint} from '../client/index.js'
import {RaftctlError} from '../common/errors.js'
import type {ConsistencyAlarm, NodeStatus} from '../admin/protocol.js'
import {sleep} from './processes.js'
import {cachedLeaderEndpoint, readCachedLeader, writeCachedLeader} from './leader-cache.js'

/** One row of `raftctl status` (DESIGN.md §4 plus extras). */
export interface NodeRow {
  readonly id: string
  readonly role: string
  readonly term: number | null
  readonly leader: string | null
  readonly commitIndex: number | null
  readonly appliedIndex: number | null
  readonly lastIndex: number | null
  readonly voter: boolean | null
  readonly reachable: boolean
  readonly pid: number | null
  readonly address: string
  /** Entries behind the leader's last index, by replicationLag (src/cluster/lag.ts) (null when unknown: no leader, or the node is down). */
  readonly lag: number | null
  /** Milliseconds since the leader last heard from this node (null when unknown). */
  readonly lastContactMs: number | null
  /**
   * `ok`, `down`, `paused`, `lagging`, `unreachable`, or `rebuilding`: the node lost its data
   * and is catching up again; it does not vote and refuses serializable reads until then.
   */
  readonly health: string
  /** For a node that is down: why, when the last line of its log says so (`STORAGE_FULL: no space left …`). */
  readonly downReason?: string
  /** The full status the node reported, when reachable. */
  readonly detail?: NodeStatus
}

/** `raftctl status --json`. */
export interface ClusterStatus {
  readonly cluster: string
  /**
   * The cluster id (the manifest's; null for clusters created before cluster identities). The
   * CLI's clients expect it: a node of another cluster at a manifest address shows as down.
   */
  readonly clusterId?: string | null
  readonly leader: string | null
  readonly term: number
  readonly nodes: NodeRow[]
  /** The consistency alarm some node raised (its scheduled check found replicas that differ); null: none. */
  readonly alarm?: ConsistencyAlarm | null
  /**
   * Remote clusters only: endpoints that did not answer and are no member's address (a member
   * that does not answer is a row, down), each with the reason.
   */
  readonly unanswered?: readonly UnansweredEndpoint[]
}

/** An endpoint of a remote cluster that did not answer (see {@link ClusterStatus.unanswered}). */
export interface UnansweredEndpoint {
  readonly endpoint: string
  readonly code: string
  readonly message: string
}

/** Where a cluster's nodes run: `local` (spawned here), `attached` (recorded with `cluster attach`), `endpoints` (one-off `--endpoints`). */
export type ClusterKind = 'local' | 'attached' | 'endpoints'

/** What every client of the cluster presents: the secret, the cluster id it expects, TLS material. */
export interface ClientAccess {
  readonly secret: string
  /** The cluster id expected of every node (sent as `x-raftctl-cluster`); undefined: any. */
  readonly clusterId?: string
  readonly tls?: ClientTlsOptions
}

/** Time limits of the handle's operations (ms). */
export const HANDLE_TIMEOUTS = {
  /** Each node's answer to a status request. */
  status: 1500,
  /** Waiting for a leader. */
  leader: 20_000,
} as const

/** How many times {@link ClusterHandle.onLeader} asks a leader when each answers NOT_LEADER. */
export const LEADER_ATTEMPTS = 3

/** How often {@link ClusterHandle.waitForLeader} asks again (ms). */
const LEADER_POLL_MS = 100

/**
 * A cluster the CLI speaks to. Subclasses say how to reach the nodes and read their status; the
 * leader-finding loops, the admin and KV clients are shared here.
 */
export abstract class ClusterHandle {
  abstract readonly name: string
  abstract readonly kind: ClusterKind

  /** Secret, expected cluster id and TLS options of every client. */
  abstract access(): ClientAccess

  /** Every node's status; nodes that do not answer appear as down. */
  abstract status(timeoutMs?: number): Promise<ClusterStatus>

  /** Like {@link status}, but `UNAVAILABLE` naming each node when none can answer. */
  abstract liveStatus(timeoutMs?: number): Promise<ClusterStatus>

  /** The address of node `id` (for a remote cluster: as its configuration or status reported it). NODE_NOT_FOUND when unknown. */
  abstract addressOf(id: string): string

  /** The ids of the nodes (for a remote cluster: the members learned from its configuration; ask {@link status} first). */
  abstract nodeIds(): Promise<string[]>

  /** Where the KV client starts looking for the leader. */
  protected abstract kvEndpoints(): Endpoint[]

  /**
   * The folder where this cluster's leader is kept between commands (src/cluster/leader-cache.ts):
   * RAFTCTL_HOME/NAME for a local or attached cluster; undefined (nothing kept) for `--endpoints`.
   */
  protected cacheDir(): string | undefined {
    return undefined
  }

  /** Keep `id` at `address` as the leader the next command asks first (when it is news). */
  protected rememberLeader(id: string, address: string): void {
    const dir = this.cacheDir()
    if (dir !== undefined) writeCachedLeader(dir, {id, address})
  }

  /**
   * Whether node `id` can be asked at all: `down` (no process) or `paused` (SIGSTOP) on a local
   * cluster, where the CLI sees the processes; always `up` on a remote one (it is tried).
   */
  processState(_id: string): 'up' | 'down' | 'paused' {
    return 'up'
  }

  /** The cluster id the clients expect (undefined: not known). */
  clusterId(): string | undefined {
    return this.access().clusterId
  }

  /**
   * Poll until one leader is known and `accept` holds; returns the status. `UNAVAILABLE` at once
   * when no node can answer ({@link liveStatus}), `NO_LEADER` after `timeoutMs`.
   */
  async waitForLeader(timeoutMs: number = HANDLE_TIMEOUTS.leader, accept: (s: ClusterStatus) => boolean = () => true): Promise<ClusterStatus> {
    const end = Date.now() + timeoutMs
    let last: ClusterStatus | null = null
    while (Date.now() < end) {
      last = await this.liveStatus()
      if (last.leader !== null && accept(last)) return last
      await sleep(LEADER_POLL_MS)
    }
    throw new RaftctlError('NO_LEADER', `no leader elected within ${timeoutMs} ms${last ? ` (nodes: ${last.nodes.map((n) => `${n.id}=${n.role}`).join(', ')})` : ''}`)
  }

  /** An admin client for one node. Close it after use. */
  admin(id: string, timeoutMs = 5000): AdminClient {
    return new AdminClient({url: this.addressOf(id), ...this.access(), timeoutMs})
  }

  /** Run `fn` with the leader's admin client (NO_LEADER if none). */
  async withLeader<T>(fn: (client: AdminClient, leader: string) => Promise<T>, timeoutMs = 10_000): Promise<T> {
    const st = await this.waitForLeader(timeoutMs)
    const client = this.admin(st.leader!, timeoutMs)
    try {
      return await fn(client, st.leader!)
    } finally {
      await client.close()
    }
  }

  /**
   * Run `fn` with the leader's admin client; when the leader changed under us (`NOT_LEADER`,
   * which means the request was not applied, so trying again is safe) look for the new one and
   * try again, up to {@link LEADER_ATTEMPTS} times in all. Other errors pass through.
   */
  async onLeader<T>(fn: (client: AdminClient, leader: string) => Promise<T>, timeoutMs = 10_000): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.withLeader(fn, timeoutMs)
      } catch (error) {
        if ((error as {code?: string}).code !== 'NOT_LEADER' || attempt >= LEADER_ATTEMPTS) throw error
      }
    }
  }

  /**
   * A KV client over the cluster's nodes, the leader the last command learned first; the
   * leaders it learns are kept for the next command. Close it after use.
   */
  kv(options: {timeoutMs?: number; deadlineMs?: number; clientId?: string} = {}): KvClient {
    const dir = this.cacheDir()
    const endpoints = this.kvEndpoints()
    const leader = cachedLeaderEndpoint(endpoints, dir === undefined ? undefined : readCachedLeader(dir))
    return new KvClient({endpoints, leader, ...this.access(), ...options, onLeader: (found) => this.rememberLeader(found.id, found.address)})
  }
}

/** What to use instead of a command that needs local processes, by command id (`node:kill`). */
const INSTEAD: Readonly<Record<string, string>> = {
  'node:add': 'start the daemon on its host ("raftctl node run ...") and add it with "raftctl member add ID ADDRESS"',
  'node:remove': 'remove it with "raftctl member remove ID", then stop its daemon on its host',
  'node:start': 'start the daemon on its host ("raftctl node run ...")',
  'node:stop': 'stop the daemon on its host; for a live fault use "raftctl chaos isolate NODE"',
  'node:kill': 'kill the daemon on its host; for a live fault use "raftctl chaos isolate NODE"',
  'node:restart': 'restart the daemon on its host',
  'node:pause': 'use "raftctl chaos isolate NODE" for a live fault, or stop the daemon on its host',
  'node:resume': 'heal the fault with "raftctl chaos heal", or start the daemon on its host',
  'node:logs': 'read the log where its daemon runs',
  'cluster:stop': 'stop the daemons on their hosts',
  'cluster:destroy': 'forget the attached cluster with "raftctl cluster detach NAME" (its nodes and data stay)',
  'cluster:start': 'start the daemons on their hosts ("raftctl node run ...")',
  'wal:dump': 'run "raftctl wal dump DIR" on the node\'s host',
  'recover': 'it rewrites the survivor\'s data folder: run "raftctl node run --force-new-cluster --cluster-id NEW ..." on the survivor\'s host (docs/operations.md)',
  'bench:failover': 'it kills the leader\'s process: run it on a local cluster, or measure a failover with "raftctl chaos isolate NODE"',
}

/** The `NOT_LOCAL` error of `raftctl COMMAND` on a cluster of `kind` (attached or given by --endpoints). */
export function notLocalError(name: string, kind: ClusterKind, command: string): RaftctlError {
  const id = command.trim().replaceAll(' ', ':')
  const what = kind === 'attached' ? `cluster ${name} is attached (its nodes run elsewhere)` : 'the cluster given by --endpoints runs elsewhere'
  const instead = (INSTEAD[id] ?? 'run it on the node\'s host').replaceAll('NAME', name)
  return new RaftctlError('NOT_LOCAL', `${what}: "raftctl ${id.replaceAll(':', ' ')}" needs the node processes on this machine; instead, ${instead}`)
}
