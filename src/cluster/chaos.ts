/**
 * Chaos on a cluster: the same fault (same id) added to or healed on many nodes over their
 * admin channels (any {@link ClusterHandle}: local or remote), every node's faults listed, and
 * process faults (kill, pause, resume, restart) through {@link LocalCluster} (refused with
 * NOT_LOCAL on a remote cluster). {@link ClusterChaos} is also the executor that
 * `chaos run` and `verify` apply seeded schedules through (it has the methods of
 * `ChaosExecutor` in src/chaos/schedule.ts).
 *
 * A fault lives in a daemon's memory: a node that is down when a fault is added does not get
 * it, and a restarted node starts with none. Nodes that are down or paused are skipped (and
 * reported as such): a paused daemon would not answer before the timeout anyway.
 */
import {randomBytes} from 'node:crypto'
import type {FaultInfo, FaultKind, FaultSpec} from '../admin/protocol.js'
import {RaftctlError, isErrorCode, type ErrorCode} from '../common/errors.js'
import type {AdminClient} from '../client/index.js'
import {LocalCluster, asLocal} from './cluster.js'
import type {ClusterHandle} from './handle.js'
import {sleep} from './processes.js'

/** What happened on one node. */
export interface NodeOutcome {
  readonly id: string
  /** True when the node did it. */
  readonly ok: boolean
  /** Why not: the node was `down` or `paused` (not asked). */
  readonly skipped?: 'down' | 'paused'
  /** The node's (or the connection's) error. */
  readonly error?: {readonly code: string; readonly message: string}
}

/** Result of {@link ClusterChaos.add}. */
export interface AddResult {
  /** The fault's id, the same on every node. */
  readonly id: string
  readonly fault: FaultSpec
  /** Heals itself after this long (null: until healed). */
  readonly forMs: number | null
  readonly nodes: NodeOutcome[]
}

/** Result of {@link ClusterChaos.heal}. */
export interface HealResult {
  /** Faults removed, summed over the nodes. */
  readonly removed: number
  readonly nodes: (NodeOutcome & {readonly removed: number | null})[]
}

/** One node's faults, for `chaos inspect`. */
export interface NodeFaults {
  readonly id: string
  /** False when the node did not answer (down, paused, unreachable): `faults` is then empty. */
  readonly reachable: boolean
  /** `ok`, `down`, `paused`, `unreachable`. */
  readonly health: string
  readonly faults: readonly FaultInfo[]
}

/** Options of {@link ClusterChaos}. */
export interface ClusterChaosOptions {
  /** Time each node may take to answer a chaos request, ms. Default 3000. */
  readonly timeoutMs?: number
}

/** A fresh cluster-wide fault id: `<kind>-<6 hex digits>`. */
export function newFaultId(kind: string): string {
  return `${kind}-${randomBytes(3).toString('hex')}`
}

/** Chaos on one cluster. */
export class ClusterChaos {
  private readonly timeoutMs: number

  constructor(readonly cluster: ClusterHandle, options: ClusterChaosOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 3000
  }

  /** Ids of the cluster's nodes (a local cluster's not removed ones in manifest order; a remote cluster's members). */
  nodeIds(): Promise<string[]> {
    return this.cluster.nodeIds()
  }

  /** Throw NODE_NOT_FOUND unless every id is a node of the cluster (not removed). */
  async checkNodes(ids: readonly string[]): Promise<void> {
    const known = await this.nodeIds()
    for (const id of ids) {
      if (!known.includes(id)) throw new RaftctlError('NODE_NOT_FOUND', `no node ${id} in cluster ${this.cluster.name} (nodes: ${known.join(', ')})`)
    }
  }

  /**
   * Add `fault` with one id on each of `nodes` (default: every node). Throws when NO node took
   * it (with the nodes' error code when they agree, e.g. BAD_REQUEST for a bad value); a
   * partial success is returned with the failures in `nodes`.
   */
  async add(fault: FaultSpec, options: {readonly nodes?: readonly string[]; readonly forMs?: number; readonly id?: string} = {}): Promise<AddResult> {
    const targets = options.nodes && options.nodes.length > 0 ? [...options.nodes] : await this.nodeIds()
    await this.checkNodes(targets)
    const id = options.id ?? newFaultId(fault.kind)
    const nodes = await this.onEach(targets, async (client) => {
      await client.chaosAdd(fault, {id, ...(options.forMs === undefined ? {} : {forMs: options.forMs})})
    })
    const asked = nodes.filter((n) => !n.skipped)
    if (!nodes.some((n) => n.ok)) throw failure(`the fault was added on no node`, asked.length > 0 ? asked : nodes)
    return {id, fault, forMs: options.forMs ?? null, nodes}
  }

  /** Heal the faults matching `filter` (none: all) on `nodes` (default: every node). */
  async heal(filter: {readonly id?: string; readonly kind?: FaultKind} = {}, nodes?: readonly string[]): Promise<HealResult> {
    const targets = nodes && nodes.length > 0 ? [...nodes] : await this.nodeIds()
    await this.checkNodes(targets)
    const removed = new Map<string, number>()
    const outcomes = await this.onEach(targets, async (client, id) => {
      removed.set(id, (await client.chaosHeal(filter)).removed)
    })
    const rows = outcomes.map((o) => ({...o, removed: removed.get(o.id) ?? null}))
    return {removed: rows.reduce((sum, r) => sum + (r.removed ?? 0), 0), nodes: rows}
  }

  /** Every node's active faults (unreachable nodes with none). */
  async inspect(): Promise<{nodes: NodeFaults[]}> {
    const ids = await this.nodeIds()
    const faults = new Map<string, readonly FaultInfo[]>()
    const outcomes = await this.onEach(ids, async (client, id) => {
      faults.set(id, (await client.chaosList()).faults)
    })
    return {
      nodes: outcomes.map((o) => ({
        id: o.id,
        reachable: o.ok,
        health: o.ok ? 'ok' : o.skipped ?? 'unreachable',
        faults: faults.get(o.id) ?? [],
      })),
    }
  }

  // ------------------------------------------------------------------ the ChaosExecutor methods

  /** Add a fault with a given id (schedule runner). Throws when no node took it. */
  async addFault(id: string, fault: FaultSpec, options: {readonly nodes?: readonly string[]; readonly forMs?: number} = {}): Promise<void> {
    await this.add(fault, {...options, id})
  }

  /** Heal fault `id` on every node that answers. */
  async healFault(id: string): Promise<void> {
    await this.heal({id})
  }

  /** SIGKILL a node (no error when it was not running). */
  async kill(node: string): Promise<void> {
    await this.local('node kill').killNode(node)
  }

  /** Start a node that is down (no-op when it runs). */
  async start(node: string): Promise<void> {
    await this.local('node start').startNode(node)
  }

  /** SIGSTOP a node (UNAVAILABLE when it is not running). */
  async pause(node: string): Promise<void> {
    this.local('node pause').pauseNode(node, true)
  }

  /** SIGCONT a node (UNAVAILABLE when it is not running). */
  async resume(node: string): Promise<void> {
    this.local('node resume').pauseNode(node, false)
  }

  /** Graceful stop, then start. */
  async restart(node: string): Promise<void> {
    const local = this.local('node restart')
    await local.stopNode(node)
    await local.startNode(node)
  }

  /** The local cluster, for a process fault; NOT_LOCAL naming `command` on a remote one. */
  private local(command: string): LocalCluster {
    return asLocal(this.cluster, command)
  }

  /**
   * Undo everything: resume paused nodes, start nodes that are down (local clusters), then heal every fault on
   * every node (retrying a node that does not answer yet, for a few seconds). Throws when a
   * node still has faults or could not be started.
   */
  async healAll(): Promise<void> {
    const ids = await this.nodeIds()
    const problems: string[] = this.cluster instanceof LocalCluster ? await restoreProcesses(this.cluster, ids) : []
    let pending = ids
    for (let attempt = 0; attempt < 10 && pending.length > 0; attempt++) {
      if (attempt > 0) await sleep(300)
      const result = await this.heal({}, pending)
      pending = result.nodes.filter((n) => !n.ok && n.skipped !== 'down').map((n) => n.id)
    }
    if (pending.length > 0) problems.push(`could not heal the faults of ${pending.join(', ')} (not answering)`)
    if (problems.length > 0) throw new RaftctlError('FAILED', problems.join('; '))
  }

  // ------------------------------------------------------------------ helpers

  /** Run `fn` on each node's admin client in parallel; skip nodes that are down or paused. */
  private async onEach(ids: readonly string[], fn: (client: AdminClient, id: string) => Promise<void>): Promise<NodeOutcome[]> {
    return Promise.all(ids.map(async (id): Promise<NodeOutcome> => {
      const state = this.cluster.processState(id)
      if (state !== 'up') return {id, ok: false, skipped: state}
      const client = this.cluster.admin(id, this.timeoutMs)
      try {
        await fn(client, id)
        return {id, ok: true}
      } catch (error) {
        const e = error as {code?: string; message?: string}
        return {id, ok: false, error: {code: e.code ?? 'FAILED', message: e.message ?? String(error)}}
      } finally {
        await client.close()
      }
    }))
  }
}

/** Resume the paused nodes of a local cluster and start those that are down; the problems met. */
async function restoreProcesses(cluster: LocalCluster, ids: readonly string[]): Promise<string[]> {
  for (const id of ids) if (cluster.processState(id) === 'paused') cluster.pauseNode(id, false)
  const started = await Promise.allSettled(ids.filter((id) => cluster.pid(id) === null).map((id) => cluster.startNode(id)))
  return started.flatMap((s) => (s.status === 'rejected' ? [(s.reason as Error).message] : []))
}

/** The error of an operation that no node performed: the nodes' common code, else UNAVAILABLE / FAILED. */
function failure(what: string, nodes: readonly NodeOutcome[]): RaftctlError {
  const codes = new Set(nodes.map((n) => n.error?.code ?? (n.skipped ? 'UNAVAILABLE' : 'FAILED')))
  const only = codes.size === 1 ? [...codes][0]! : 'FAILED'
  const code: ErrorCode = isErrorCode(only) ? only : 'FAILED'
  const detail = nodes.map((n) => `${n.id}: ${n.error ? n.error.message : n.skipped ?? 'failed'}`).join('; ')
  return new RaftctlError(code, `${what} (${detail})`, {nodes})
}
