/**
 * Disaster recovery of a local cluster that lost its quorum for good (`raftctl recover`, etcd's
 * `--force-new-cluster`, Consul's peers.json): survey every node (running ones answer status;
 * stopped ones' storage is read offline by a reader the command injects, since this layer does
 * not read storage), refuse while a quorum of voters still holds usable data, pick the most
 * up-to-date survivor (Raft's rule: last term, then last index) unless one is named, and say
 * which writes may be lost. Then stop every node, give the cluster a NEW cluster id with the
 * survivor alone in the manifest (the others are marked removed: their names are never reused,
 * their folders keep the old id and can never rejoin), and start the survivor with
 * `--force-new-cluster`: it rewrites its membership to itself alone (src/daemon/force-new-cluster.ts)
 * and elects itself. `node add` grows it back. Planning is pure over the survey (tested without
 * processes); docs/operations.md explains the guarantees.
 */
import {RaftctlError} from '../common/errors.js'
import {quorumOf} from '../common/quorum.js'
import type {LocalCluster} from './cluster.js'
import {activeNodes, findNode, newClusterId, saveManifest} from './manifest.js'
import type {WorkflowProgress} from './membership.js'
import {NO_PROGRESS} from './membership.js'
import type {LogPosition} from '../common/log-position.js'

export type {LogPosition} from '../common/log-position.js'

/**
 * Reads a STOPPED node's storage offline (the command passes src/daemon's reader). Throws with
 * the reason when the folder holds no usable data (missing, empty, corrupt).
 */
export type OfflineReader = (dataDir: string) => LogPosition

/** One node of the survey. */
export interface SurvivorRow {
  readonly id: string
  /**
   * `running`: answered status; `stopped`: read offline; `unreachable`: a process that does not
   * answer (paused, hung); `lost`: no usable data (the reason says why).
   */
  readonly state: 'running' | 'stopped' | 'unreachable' | 'lost'
  readonly pid: number | null
  /** Null unless running or stopped. */
  readonly position: LogPosition | null
  readonly reason?: string
}

/** What may be lost by recovering from the chosen survivor (every index is a log index). */
export interface LossReport {
  /** Entries the survivor holds past the highest commit index it knew: kept, and committed now. */
  readonly committedNow: {readonly from: number; readonly to: number} | null
  /** Entries some survivor knew committed that the chosen one does not hold: lost for sure. */
  readonly committedLost: {readonly from: number; readonly to: number; readonly knownBy: string} | null
  /**
   * Survivors whose log may hold entries the chosen one lacks (a later last term or a longer log,
   * or a higher commit index known): those entries are lost.
   */
  readonly aheadOfChosen: readonly {readonly id: string; readonly lastIndex: number; readonly lastTerm: number; readonly commitIndex: number}[]
  /** Members without usable data: whatever only they held after the survivor's last index is lost, acknowledged writes included. */
  readonly lostMembers: readonly string[]
}

/** The plan of a recovery. */
export interface RecoverPlan {
  readonly cluster: string
  readonly clusterId: string | null
  readonly survivors: readonly SurvivorRow[]
  /** The most up-to-date survivor (last term, then last index, then lowest id). */
  readonly mostUpToDate: string
  readonly chosen: string
  /** The voters of the most up-to-date survivor's configuration, and which of them hold usable data. */
  readonly voters: readonly string[]
  readonly present: readonly string[]
  readonly quorum: number
  readonly loss: LossReport
}

/** `raftctl recover --json`. */
export interface RecoverResult {
  readonly cluster: string
  readonly node: string
  readonly previousClusterId: string | null
  readonly clusterId: string
  readonly pid: number
  /** Nodes marked removed in the manifest (names never reused; folders kept, fenced by the old id). */
  readonly removed: readonly string[]
  readonly term: number
  readonly lastIndex: number
  readonly commitIndex: number
  readonly survivors: readonly SurvivorRow[]
  readonly loss: LossReport
}

/** How long recovery waits for the survivor to lead its one-node cluster (ms). */
export const RECOVER_LEADER_TIMEOUT_MS = 20_000

/** Survey every active node of `cluster`: running ones through status, stopped ones offline. */
export async function surveySurvivors(cluster: LocalCluster, read: OfflineReader): Promise<SurvivorRow[]> {
  const st = await cluster.status()
  return st.nodes.map((row): SurvivorRow => {
    if (row.detail) {
      const d = row.detail
      const position = {term: d.term, commitIndex: d.commitIndex, lastIndex: d.lastIndex, lastTerm: d.lastTerm, voters: d.members.voters.map((v) => v.id), learners: d.members.learners.map((l) => l.id)}
      return {id: row.id, state: 'running', pid: row.pid, position}
    }
    if (row.pid !== null) return {id: row.id, state: 'unreachable', pid: row.pid, position: null, reason: `its process ${row.pid} does not answer (${row.health})`}
    try {
      return {id: row.id, state: 'stopped', pid: null, position: read(cluster.paths.dataDir(row.id))}
    } catch (error) {
      return {id: row.id, state: 'lost', pid: null, position: null, reason: (error as Error).message}
    }
  })
}

/** Raft's up-to-date order (§5.4.1): later last term first, then longer log, then lower id. */
function moreUpToDate(a: SurvivorRow, b: SurvivorRow): number {
  const pa = a.position!
  const pb = b.position!
  return (pb.lastTerm - pa.lastTerm) || (pb.lastIndex - pa.lastIndex) || a.id.localeCompare(b.id, undefined, {numeric: true})
}

/**
 * Plan a recovery from the survey (pure). NO_SURVIVOR when no node holds usable data, or `from`
 * does not; NODE_NOT_FOUND when `from` is not a node of the cluster; QUORUM_PRESENT when a
 * quorum of the voters (of the most up-to-date survivor's configuration) still holds usable data:
 * the cluster can get its quorum back without losing anything.
 */
export function planRecover(cluster: {name: string; clusterId: string | null; nodes: readonly string[]}, survivors: readonly SurvivorRow[], from?: string): RecoverPlan {
  if (from !== undefined && !cluster.nodes.includes(from)) {
    throw new RaftctlError('NODE_NOT_FOUND', `no node ${from} in cluster ${cluster.name} (nodes: ${cluster.nodes.join(', ') || 'none'})`)
  }
  const usable = survivors.filter((s) => s.position !== null).sort(moreUpToDate)
  const best = usable[0]
  if (!best) throw new RaftctlError('NO_SURVIVOR', `no node of cluster ${cluster.name} holds usable data: ${survivors.map(describeRow).join('; ')}`)
  const voters = best.position!.voters
  const present = voters.filter((v) => usable.some((s) => s.id === v))
  const quorum = quorumOf(voters.length)
  if (present.length >= quorum) {
    const stopped = survivors.filter((s) => s.position !== null && s.state === 'stopped').map((s) => s.id) // in the manifest's order
    throw new RaftctlError('QUORUM_PRESENT', `cluster ${cluster.name} still has a quorum: ${present.join(', ')} of the ${voters.length} voters (quorum ${quorum}) hold usable data${stopped.length ? ` (start the stopped ones: raftctl node start ${stopped.join(' ')})` : ''}. Recover only after losing a quorum for good; to take a dead node out, use raftctl node remove NODE`)
  }
  const chosen = from === undefined ? best : usable.find((s) => s.id === from)
  if (!chosen) {
    const row = survivors.find((s) => s.id === from)!
    throw new RaftctlError('NO_SURVIVOR', `${from} cannot be recovered from: ${describeRow(row)}; survivors: ${usable.map((s) => s.id).join(', ')}`)
  }
  return {
    cluster: cluster.name, clusterId: cluster.clusterId, survivors, mostUpToDate: best.id, chosen: chosen.id,
    voters, present, quorum, loss: lossReport(chosen, usable),
  }
}

function lossReport(chosen: SurvivorRow, usable: readonly SurvivorRow[]): LossReport {
  const c = chosen.position!
  const knower = [...usable].sort((a, b) => b.position!.commitIndex - a.position!.commitIndex)[0]!
  const knownCommit = knower.position!.commitIndex
  const members = new Set([...c.voters, ...c.learners])
  return {
    committedNow: c.lastIndex > c.commitIndex ? {from: c.commitIndex + 1, to: c.lastIndex} : null,
    committedLost: knownCommit > c.lastIndex ? {from: c.lastIndex + 1, to: knownCommit, knownBy: knower.id} : null,
    aheadOfChosen: usable.filter((s) => s.id !== chosen.id && (moreUpToDate(s, chosen) < 0 || s.position!.commitIndex > c.commitIndex))
      .map((s) => ({id: s.id, lastIndex: s.position!.lastIndex, lastTerm: s.position!.lastTerm, commitIndex: s.position!.commitIndex})),
    lostMembers: [...members].filter((id) => !usable.some((s) => s.id === id)),
  }
}

function describeRow(row: SurvivorRow): string {
  if (row.position) return `${row.id} ${row.state}, last index ${row.position.lastIndex} (term ${row.position.lastTerm})`
  return `${row.id}: ${row.reason ?? row.state}`
}

/** The plain-language lines of what recovering from `plan.chosen` keeps and loses. */
export function lossLines(plan: RecoverPlan): string[] {
  const c = plan.survivors.find((s) => s.id === plan.chosen)!.position!
  const {loss} = plan
  const lines = [`${plan.chosen} holds entries up to index ${c.lastIndex} (term ${c.lastTerm}); they are all kept.`]
  if (loss.committedNow) lines.push(`Entries ${loss.committedNow.from}..${loss.committedNow.to} were written on ${plan.chosen} but not known committed: they become committed.`)
  if (loss.committedLost) lines.push(`LOST: entries ${loss.committedLost.from}..${loss.committedLost.to}, which ${loss.committedLost.knownBy} knew committed (acknowledged writes among them).`)
  for (const a of loss.aheadOfChosen) {
    const hint = a.id === plan.mostUpToDate ? `; recover --from ${a.id} keeps more` : ''
    lines.push(`LOST: whatever ${a.id} holds that ${plan.chosen} lacks (${a.id}'s log reaches index ${a.lastIndex}, term ${a.lastTerm}, known committed up to ${a.commitIndex}${hint}).`)
  }
  if (loss.lostMembers.length > 0) lines.push(`LOST: any write that only ${loss.lostMembers.join(', ')} held (no usable data) past index ${c.lastIndex}, acknowledged ones included.`)
  return lines
}

/**
 * Carry out a planned recovery. Run it holding the cluster's lock: stop every node that runs;
 * record a new cluster id and mark every node but the survivor removed (their folders are
 * kept: they hold the old id and can never rejoin); start the survivor with
 * `--force-new-cluster`; wait until it leads its one-node cluster. When the start fails the
 * manifest already names the survivor alone under the new id: fix the cause and run recover
 * again (see docs/operations.md).
 */
export async function recoverCluster(cluster: LocalCluster, plan: RecoverPlan, progress: WorkflowProgress = NO_PROGRESS): Promise<RecoverResult> {
  const m = cluster.manifest()
  const survivor = findNode(m, plan.chosen)
  progress.doing('stopping every node')
  const stopped = await cluster.stop(activeNodes(m).map((n) => n.id))
  for (const s of stopped) if (s.outcome !== 'not running') progress.step(`${s.outcome} ${s.id}`)
  const previousClusterId = m.clusterId ?? null
  const clusterId = newClusterId()
  const removed = activeNodes(m).filter((n) => n.id !== survivor.id).map((n) => n.id)
  for (const n of m.nodes) if (n.id !== survivor.id) n.removed = true
  m.clusterId = clusterId
  delete m.founders
  saveManifest(cluster.paths, m)
  progress.step(`new cluster id ${clusterId} (was ${previousClusterId ?? 'unknown'}); ${removed.length ? `${removed.join(', ')} marked removed` : 'no other node'}`)
  progress.doing(`starting ${survivor.id} with --force-new-cluster`)
  const pid = await cluster.startNode(survivor.id, ['--force-new-cluster'])
  progress.step(`started ${survivor.id} (pid ${pid}): its membership is ${survivor.id} alone`)
  progress.doing(`waiting for ${survivor.id} to lead`)
  const st = await cluster.waitForLeader(RECOVER_LEADER_TIMEOUT_MS, (s) => s.leader === survivor.id)
  const row = st.nodes.find((n) => n.id === survivor.id)!
  progress.step(`${survivor.id} leads term ${row.term}`)
  return {
    cluster: cluster.name, node: survivor.id, previousClusterId, clusterId, pid, removed,
    term: row.term ?? 0, lastIndex: row.lastIndex ?? 0, commitIndex: row.commitIndex ?? 0, survivors: plan.survivors, loss: plan.loss,
  }
}
