/**
 * Leadership of a cluster (local or remote: any {@link ClusterHandle}): who may take over (for `leader transfer` and `election
 * trigger`), the checks that refuse a target that cannot, and the workflows that hand leadership
 * over or start an election and wait for its outcome. Each returns the JSON document of its
 * command (DESIGN.md §4); the commands only parse, choose (a terminal prompt) and print.
 */
import type {AdminClient} from '../client/index.js'
import {RaftctlError} from '../common/errors.js'
import type {ClusterStatus, NodeRow} from './cluster.js'
import type {ClusterHandle} from './handle.js'

/** A leader and its term, as the commands report it (null: no leader). */
export interface LeaderTerm {
  readonly leader: string | null
  readonly term: number
}

/** The leader's own term (it may be ahead of what the other rows say); without a leader, the highest term any node reports. */
export function leaderTerm(st: ClusterStatus): number {
  return st.nodes.find((n) => n.id === st.leader)?.term ?? st.term
}

/** `leader n2, term 5`, or `no leader, term 5`. */
export function describeLeader(st: ClusterStatus): string {
  return st.leader === null ? `no leader, term ${st.term}` : `leader ${st.leader}, term ${leaderTerm(st)}`
}

/** Voter ids as the leader reports them (null: no leader, or it did not report). */
function leaderVoters(st: ClusterStatus): string[] | null {
  return st.nodes.find((n) => n.id === st.leader)?.detail?.members.voters.map((v) => v.id) ?? null
}

/** Reachable voters other than the leader, most caught-up (least lag) first, then by id: who a transfer may go to. */
export function transferCandidates(st: ClusterStatus): NodeRow[] {
  const voters = new Set(leaderVoters(st) ?? [])
  return st.nodes
    .filter((n) => n.id !== st.leader && n.reachable && voters.has(n.id))
    .sort((a, b) => (a.lag ?? Infinity) - (b.lag ?? Infinity) || a.id.localeCompare(b.id, undefined, {numeric: true}))
}

/**
 * Refuse a transfer to `target`: NOT_VOTER (a node of the cluster that is not a voter) or
 * NODE_NOT_FOUND (not a voter, and no node of this cluster) naming the voters; UNAVAILABLE when
 * the CLI cannot reach it. `target` is not the leader (the caller handles that: nothing to do).
 */
export function checkTransferTarget(st: ClusterStatus, target: string): void {
  const row = st.nodes.find((n) => n.id === target)
  const voters = leaderVoters(st) ?? []
  if (!voters.includes(target)) {
    throw new RaftctlError(row ? 'NOT_VOTER' : 'NODE_NOT_FOUND', `${target} is not a voter of cluster ${st.cluster} (voters: ${voters.join(', ')})`)
  }
  if (row && !row.reachable) throw new RaftctlError('UNAVAILABLE', `${target} is ${row.health}: it cannot take over`)
}

/** `raftctl leader transfer --json`. */
export interface LeaderTransferResult {
  readonly leader: string
  readonly term: number
  /** The leader and term before. */
  readonly previous: {readonly leader: string; readonly term: number}
  /** False when `target` already led (nothing changed). */
  readonly transferred: boolean
}

/** The result of a transfer to the node that already leads: nothing changed. */
export function alreadyLeadingTransfer(leader: string, term: number): LeaderTransferResult {
  return {leader, term, previous: {leader, term}, transferred: false}
}

/**
 * Hand leadership from the leader of `before` to `target` (the leader brings its log up to
 * date and sends TimeoutNow) and answer once `target` leads. TIMEOUT when the leader abandons it.
 */
export async function transferLeadership(cluster: ClusterHandle, before: ClusterStatus, target: string, timeoutMs: number): Promise<LeaderTransferResult> {
  const from = before.leader!
  const previousTerm = leaderTerm(before)
  const result = await cluster.onLeader((client: AdminClient) => client.transfer(target, {timeoutMs}), timeoutMs)
  return {leader: result.leader, term: result.term, previous: {leader: from, term: previousTerm}, transferred: true}
}

/** The most caught-up (highest last index, then lowest id) reachable voter that is not the leader: who campaigns when nobody is named. UNAVAILABLE when none. */
export function pickCampaigner(st: ClusterStatus): string {
  const voters = leaderVoters(st)
  const isVoter = (n: NodeRow): boolean => (voters ? voters.includes(n.id) : n.voter === true)
  const choices = st.nodes
    .filter((n) => n.reachable && n.id !== st.leader && isVoter(n))
    .sort((a, b) => (b.lastIndex ?? 0) - (a.lastIndex ?? 0) || a.id.localeCompare(b.id, undefined, {numeric: true}))
  if (choices.length === 0) throw new RaftctlError('UNAVAILABLE', `cluster ${st.cluster} has no reachable follower that could campaign`)
  return choices[0]!.id
}

/** Refuse a campaign by `target`: NODE_NOT_FOUND (no such node), UNAVAILABLE (not reachable), NOT_VOTER (a learner). */
export function checkCampaigner(st: ClusterStatus, target: string): void {
  const row = st.nodes.find((n) => n.id === target)
  if (!row) throw new RaftctlError('NODE_NOT_FOUND', `no node ${target} in cluster ${st.cluster} (nodes: ${st.nodes.map((n) => n.id).join(', ')})`)
  if (!row.reachable) throw new RaftctlError('UNAVAILABLE', `${target} is ${row.health}: it cannot campaign`)
  if (row.voter === false) throw new RaftctlError('NOT_VOTER', `${target} is a learner: only voters campaign`)
}

/** `raftctl election trigger --json`. */
export interface ElectionTriggerResult extends LeaderTerm {
  readonly node: string
  /** The term `node` campaigned in (null: it already led). */
  readonly campaignTerm: number | null
  readonly campaigned: boolean
  readonly before: LeaderTerm
  readonly after: LeaderTerm
}

/** The result of a campaign by the node that already leads: nothing changed. */
export function alreadyLeadingElection(node: string, before: ClusterStatus): ElectionTriggerResult {
  const unchanged = {leader: before.leader, term: leaderTerm(before)}
  return {node, campaignTerm: null, campaigned: false, before: unchanged, after: unchanged, ...unchanged}
}

/**
 * Make `target` campaign now (a forced campaign: no PreVote, past the leader lease), then wait
 * up to `timeoutMs` for a leader of a higher term than `before`'s. Returns the result and the
 * status after. NO_LEADER when none is elected in time.
 */
export async function triggerElection(cluster: ClusterHandle, before: ClusterStatus, target: string, timeoutMs: number): Promise<{result: ElectionTriggerResult; after: ClusterStatus}> {
  const beforeTerm = leaderTerm(before)
  const admin = cluster.admin(target, timeoutMs)
  let campaignTerm: number
  try {
    campaignTerm = (await admin.campaign()).term
  } finally {
    await admin.close()
  }
  const higher = (s: ClusterStatus): boolean => s.leader !== null && leaderTerm(s) > beforeTerm
  const after = await cluster.waitForLeader(timeoutMs, higher)
  const result: ElectionTriggerResult = {
    node: target,
    campaignTerm,
    campaigned: true,
    before: {leader: before.leader, term: beforeTerm},
    after: {leader: after.leader, term: leaderTerm(after)},
    leader: after.leader,
    term: leaderTerm(after),
  }
  return {result, after}
}

/** How long {@link waitForSettledLeader} gives the other nodes to hear from a new leader (ms). */
export const SETTLE_MS = 2000

/**
 * Wait up to `timeoutMs` for a leader, then up to {@link SETTLE_MS} more until every reachable
 * node names it (so a table shown right after a start is settled); the status with the leader
 * either way. NO_LEADER when none is elected in time.
 */
export async function waitForSettledLeader(cluster: ClusterHandle, timeoutMs: number): Promise<ClusterStatus> {
  const elected = await cluster.waitForLeader(timeoutMs)
  const agreed = (s: ClusterStatus): boolean => s.nodes.every((n) => !n.reachable || n.leader === s.leader)
  return agreed(elected) ? elected : cluster.waitForLeader(SETTLE_MS, agreed).catch(() => elected)
}
