/**
 * Membership of a local cluster: the plan of a change (the voter set and quorum before and
 * after, and whether the change would leave the cluster without a quorum of live voters, refused
 * unless forced) and the workflows that carry one out, `node add` (spawn → learner → catch-up →
 * promote, rolling back a node that never joined) and `node remove` (hand leadership away →
 * remove → stop → mark removed). "Live" is the LEADER's view (heard from within an election
 * timeout), the same view its own strict reconfiguration check uses: a node the CLI reaches but
 * the leader does not hear (a partition) is down. The planning functions are pure over a status
 * snapshot; the workflows report progress through {@link WorkflowProgress} and return the JSON
 * document of their command (DESIGN.md §4), so the command only parses, confirms and renders.
 * Also here: the member list (`member list`) and whether a node elsewhere answers (`member add`).
 */
import {setTimeout as delay} from 'node:timers/promises'
import {RaftctlError} from '../common/errors.js'
import {quorumOf, tolerates} from '../common/quorum.js'
import {formatDuration} from '../common/units.js'
import type {ClusterStatus, LocalCluster, StopOutcome} from './cluster.js'
import type {ClusterHandle} from './handle.js'
import {replicationLag} from './lag.js'
import {findNode} from './manifest.js'

/** Voters, quorum, failures tolerated, and live voters. */
export interface QuorumReport {
  readonly voters: number
  readonly quorum: number
  readonly tolerates: number
  /** Voters that are up (reachable / recently heard from by the leader). */
  readonly live: number
}

/** A membership change. */
export type ChangeKind = 'add' | 'add-learner' | 'remove' | 'promote'

/** The outcome of {@link planChange}. */
export interface ChangePlan {
  readonly change: ChangeKind
  readonly node: string
  readonly before: QuorumReport
  readonly after: QuorumReport
  /** Voter ids after the change. */
  readonly votersAfter: readonly string[]
  /** False when the change would leave (or the cluster already is) without a quorum of live voters. */
  readonly safe: boolean
  /** Why the change is unsafe. */
  readonly reason?: string
}

/** Members as the leader reports them. */
export interface Membership {
  readonly leader: string | null
  readonly term: number
  readonly voters: readonly string[]
  readonly learners: readonly string[]
  /** Members (voters and learners) that are up. */
  readonly live: ReadonlySet<string>
  /** Why each member that is not up counts as down, e.g. `n2 has not been heard by the leader n1 for 2.3s`. */
  readonly down?: ReadonlyMap<string, string>
}

function report(voters: readonly string[], live: ReadonlySet<string>): QuorumReport {
  return {voters: voters.length, quorum: quorumOf(voters.length), tolerates: tolerates(voters.length), live: voters.filter((v) => live.has(v)).length}
}

/**
 * The membership as the leader sees it, with liveness from the leader's view: a member is live
 * when the leader has heard from it within an election timeout (its progress `recentActive`; the
 * leader itself always) and, for a node of this local cluster, it also answers the CLI (a process
 * that just died is down before the leader notices). Throws NO_LEADER without a leader.
 */
export function membershipOf(st: ClusterStatus): Membership {
  const leader = st.nodes.find((n) => n.id === st.leader)?.detail
  if (!leader) throw new RaftctlError('NO_LEADER', `cluster ${st.cluster} has no leader: membership changes need one`)
  const live = new Set<string>([leader.id])
  const down = new Map<string, string>()
  const rows = new Map(st.nodes.map((n) => [n.id, n]))
  for (const m of [...leader.members.voters, ...leader.members.learners]) {
    if (m.id === leader.id) continue
    const progress = leader.progress.find((p) => p.id === m.id)
    const row = rows.get(m.id)
    if (progress?.recentActive !== true) {
      down.set(m.id, `${m.id} has not been heard by the leader ${leader.id}${progress ? ` for ${formatDuration(progress.lastContactMs)}` : ''}`)
    } else if (row && !row.reachable) {
      down.set(m.id, `${m.id} does not answer (${row.health})`)
    } else {
      live.add(m.id)
    }
  }
  return {
    leader: leader.id,
    term: leader.term,
    voters: leader.members.voters.map((v) => v.id),
    learners: leader.members.learners.map((l) => l.id),
    live,
    down,
  }
}

/**
 * True when the leader of `st` reports having heard from every one of `ids` within an election
 * timeout (itself counts). A leader elected a moment ago has heard from nobody yet: wait for
 * this before asking it for a change its strict reconfiguration check would otherwise refuse.
 */
export function leaderHears(st: ClusterStatus, ids: readonly string[]): boolean {
  const leader = st.nodes.find((n) => n.id === st.leader)?.detail
  if (!leader) return false
  return ids.every((id) => id === leader.id || leader.progress.some((p) => p.id === id && p.recentActive))
}

/**
 * How long `node start` / `node restart` wait for the leader to hear the node they started
 * (default 5 s): a node counts as up in membership checks only once the leader hears it, so a
 * `node add` right after a restart would otherwise count it as down.
 */
export const NODE_REJOIN_WAIT_MS = 5000

/**
 * Wait until the leader of `cluster` hears `id` (true), or give up (false) when there is no
 * leader to hear it or after `timeoutMs`. Best effort: a node that recovers a long log may take
 * longer; the caller reports it and does not fail.
 */
export async function waitUntilLeaderHears(cluster: ClusterHandle, id: string, timeoutMs = NODE_REJOIN_WAIT_MS): Promise<boolean> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const st = await cluster.status()
    if (st.leader === null) return false
    if (leaderHears(st, [id])) return true
    if (Date.now() >= end) return false
    await delay(50)
  }
}

/** Said after "Started n1 (pid …)." when no leader heard the node yet (nothing when one did). */
export function rejoinNote(heard: boolean): string {
  return heard ? '' : ` No leader has heard from it yet (waited up to ${NODE_REJOIN_WAIT_MS / 1000} s): see raftctl status.`
}

/**
 * Plan a change of `node`. `nodeLive` says whether the node itself will be up in the leader's
 * view (for `add`: true when it is added as a learner and promoted once caught up, false for a
 * direct voter add, which the leader has never heard from; for `promote` and `remove` it is read
 * from `m.live`). Unsafe when the live voters after the change are fewer than its quorum, or when
 * the cluster has no live quorum now (the change could not commit), or when no voter would remain.
 * The reason names the voters that count as down and why.
 */
export function planChange(m: Membership, change: ChangeKind, node: string, nodeLive = true): ChangePlan {
  const live = new Set(m.live)
  const down = new Map(m.down ?? [])
  let after = [...m.voters]
  if (change === 'add') {
    after.push(node)
    if (nodeLive) live.add(node)
    else {
      live.delete(node)
      down.set(node, `${node} has not been heard by the leader${m.leader ? ` ${m.leader}` : ''} yet`)
    }
  } else if (change === 'promote') {
    after.push(node)
  } else if (change === 'remove') {
    after = after.filter((v) => v !== node)
  }
  const before = report(m.voters, m.live)
  const afterReport = report(after, live)
  const why = (voters: readonly string[]): string => voters.filter((v) => !live.has(v)).map((v) => down.get(v) ?? `${v} is down`).join('; ')
  let reason: string | undefined
  if (after.length === 0) reason = `removing ${node} would leave no voter`
  else if (before.live < before.quorum) {
    reason = `${why(m.voters)}; only ${before.live} of ${before.voters} voters are reachable, quorum ${before.quorum}: the change cannot commit`
  } else if (afterReport.live < afterReport.quorum) {
    reason = `${why(after)}; after ${changeVerb(change, node)} only ${afterReport.live} of ${afterReport.voters} voters would be reachable, quorum ${afterReport.quorum}`
  }
  return {change, node, before, after: afterReport, votersAfter: after, safe: reason === undefined, ...(reason ? {reason} : {})}
}

/** `removing n3`, `adding n4 as a voter`, … */
function changeVerb(change: ChangeKind, node: string): string {
  switch (change) {
    case 'add': return `adding ${node} as a voter`
    case 'add-learner': return `adding ${node} as a learner`
    case 'promote': return `promoting ${node}`
    case 'remove': return `removing ${node}`
  }
}

/** Refuse an unsafe plan with UNSAFE_CHANGE (exit 1) unless forced. */
export function checkPlan(plan: ChangePlan, force: boolean): void {
  if (!plan.safe && !force) {
    throw new RaftctlError('UNSAFE_CHANGE', `refusing to ${describeChange(plan)}: ${plan.reason}; pass --force to do it anyway`)
  }
}

/**
 * Run a membership request on the leader; when the LEADER refuses it with UNSAFE_CHANGE (its
 * strict reconfiguration check: its view changed since the plan, or another client's view),
 * say so and how to force it. Other errors pass through unchanged.
 */
export async function leaderChange<T>(plan: Pick<ChangePlan, 'change' | 'node'>, request: () => Promise<T>): Promise<T> {
  try {
    return await request()
  } catch (error) {
    if ((error as {code?: string}).code !== 'UNSAFE_CHANGE') throw error
    throw new RaftctlError('UNSAFE_CHANGE', `the leader refused to ${describeChange(plan)}: ${(error as Error).message}; pass --force to do it anyway`)
  }
}

/** `add n4 as a voter`, `remove n2`, … */
export function describeChange(plan: Pick<ChangePlan, 'change' | 'node'>): string {
  switch (plan.change) {
    case 'add':
      return `add ${plan.node} as a voter`
    case 'add-learner':
      return `add ${plan.node} as a learner`
    case 'promote':
      return `promote ${plan.node} to voter`
    case 'remove':
      return `remove ${plan.node}`
  }
}

/** What a workflow reports while it runs (a command shows it as lines and a spinner). */
export interface WorkflowProgress {
  /** A finished step: a line that stays, e.g. `spawned n4 (pid 4242, ws://127.0.0.1:7004)`. */
  step(text: string): void
  /** What is happening now, replaced by the next report, e.g. `n4 catching up: match 10/42`. */
  doing(text: string): void
}

/** Progress nobody watches. */
export const NO_PROGRESS: WorkflowProgress = {step() {}, doing() {}}

/** Members by id, as a change's JSON reports them. */
export interface MemberIds {
  readonly voters: string[]
  readonly learners: string[]
}

/** The `--dry-run` JSON of a membership command: `extra` (e.g. `{id}`), the quorum before and after, and the verdict. */
export type DryRunResult<E extends object> = {readonly dryRun: true} & E & {
  readonly before: QuorumReport
  readonly after: QuorumReport
  readonly safe: boolean
  /** Why the change is unsafe (absent when safe). */
  readonly reason?: string
}

/** The dry-run document of `plan`, with `extra` after `dryRun` (the key order printed). */
export function dryRunResult<E extends object>(extra: E, plan: ChangePlan): DryRunResult<E> {
  return {dryRun: true, ...extra, before: plan.before, after: plan.after, safe: plan.safe, ...(plan.reason ? {reason: plan.reason} : {})} as DryRunResult<E>
}

/** What a membership change returns once committed (the admin `member.*` result). */
export interface CommittedChange {
  readonly index: number
  readonly members: {readonly voters: readonly {readonly id: string}[]; readonly learners: readonly {readonly id: string}[]}
}

/** The ids of a committed change's members. */
export function memberIds(members: CommittedChange['members']): MemberIds {
  return {voters: members.voters.map((v) => v.id), learners: members.learners.map((l) => l.id)}
}

/** How long `node add` waits for a leader and for each membership request it sends (ms). */
export const NODE_ADD_REQUEST_MS = 10_000

/** How often the catch-up wait of `node add` asks the cluster for its status (ms). */
export const CATCH_UP_POLL_MS = 100

/** A `node add` planned: the name it will take, the membership now, and the plan. */
export interface NodeAddPlan {
  readonly id: string
  readonly membership: Membership
  readonly plan: ChangePlan
}

/**
 * Plan adding the next node of `cluster` (its name: the manifest's next number, never reused)
 * as a voter, or as a learner with `learner`. The new node counts as live (it is promoted only
 * once caught up). NO_LEADER when no leader answers within {@link NODE_ADD_REQUEST_MS}.
 */
export async function planNodeAdd(cluster: LocalCluster, learner: boolean): Promise<NodeAddPlan> {
  const membership = membershipOf(await cluster.waitForLeader(NODE_ADD_REQUEST_MS))
  const id = `n${cluster.manifest().nextNode}`
  return {id, membership, plan: planChange(membership, learner ? 'add-learner' : 'add', id, true)}
}

/** Options of {@link addNode}. */
export interface NodeAddOptions {
  /** Leave the node a learner (no promotion). */
  readonly learner: boolean
  /** Passed on to the leader's strict reconfiguration check. */
  readonly force: boolean
  /** How long the new node may take to catch up before the workflow fails with TIMEOUT (ms). */
  readonly catchUpTimeoutMs: number
}

/** Where the catch-up wait ended: the node's match index and the leader's last index when waiting began. */
export interface CatchUp {
  match: number
  target: number
}

/** `raftctl node add --json` (without --dry-run). */
export interface NodeAddResult {
  readonly id: string
  readonly address: string
  readonly pid: number | null
  readonly learner: boolean
  /** Index of the configuration entry that added the node as a learner. */
  readonly addedAt: number
  /** Index of the entry that promoted it (null: left a learner). */
  readonly promotedAt: number | null
  readonly caughtUp: CatchUp
  readonly before: QuorumReport
  readonly after: QuorumReport
  readonly members: MemberIds
}

/** `raftctl node add --dry-run --json`. */
export type NodeAddDryRun = DryRunResult<{readonly id: string; readonly learner: boolean}>

/**
 * Carry out a planned `node add`: reserve the name and a port and spawn the daemon; add it as a
 * learner through the leader (on failure, stop it and retire the name: it never joined); wait
 * until its match index reaches the leader's last index; then, unless `learner`, promote it.
 * Run it holding the cluster's lock. TIMEOUT (exit 3) when it does not catch up in time: it
 * stays a learner. UNSAFE_CHANGE when the leader refuses the promotion.
 */
export async function addNode(cluster: LocalCluster, planned: NodeAddPlan, options: NodeAddOptions, progress: WorkflowProgress = NO_PROGRESS): Promise<NodeAddResult> {
  const {plan} = planned
  const node = await cluster.spawnNewNode()
  const pid = cluster.pid(node.id)
  progress.step(`spawned ${node.id} (pid ${pid}, ${node.address})`)
  progress.doing(`adding ${node.id} as a learner`)
  let added: CommittedChange
  try {
    added = await cluster.onLeader((client) => client.addMember(node.id, node.address, {learner: true, timeoutMs: NODE_ADD_REQUEST_MS, force: options.force}), NODE_ADD_REQUEST_MS)
  } catch (error) {
    await cluster.stopNode(node.id).catch(() => undefined)
    cluster.forgetNode(node.id)
    throw error
  }
  progress.step(`added ${node.id} as a learner (configuration entry ${added.index})`)
  const caughtUp = await waitForCatchUp(cluster, node.id, options.catchUpTimeoutMs, (match, target) => progress.doing(`${node.id} catching up: match ${match}/${target}`))
  progress.step(`${node.id} caught up: match ${caughtUp.match}/${caughtUp.target}`)
  let members = added.members
  let promotedAt: number | null = null
  if (!options.learner) {
    progress.doing(`promoting ${node.id} to voter`)
    const promoted = await leaderChange({change: 'promote', node: node.id}, () => cluster.onLeader((client) => client.promoteMember(node.id, {timeoutMs: NODE_ADD_REQUEST_MS, force: options.force}), NODE_ADD_REQUEST_MS))
    members = promoted.members
    promotedAt = promoted.index
    progress.step(`promoted ${node.id} to voter (configuration entry ${promoted.index})`)
  }
  return {
    id: node.id, address: node.address, pid, learner: options.learner, addedAt: added.index, promotedAt, caughtUp,
    before: plan.before, after: plan.after, members: memberIds(members),
  }
}

/**
 * Wait until the leader reports `id`'s match index at or past the leader's last index as it was
 * when waiting began, reporting each reading. TIMEOUT (exit 3) when it does not within `timeoutMs`.
 */
export async function waitForCatchUp(cluster: LocalCluster, id: string, timeoutMs: number, progress: (match: number, target: number) => void): Promise<CatchUp> {
  const end = Date.now() + timeoutMs
  let target: number | null = null
  let match = 0
  while (Date.now() < end) {
    const st = await cluster.status()
    const leader = st.nodes.find((n) => n.id === st.leader)?.detail
    if (leader) {
      target ??= leader.lastIndex
      match = leader.progress.find((p) => p.id === id)?.match ?? 0
      progress(match, target)
      if (match >= target) return {match, target}
    }
    await delay(CATCH_UP_POLL_MS)
  }
  throw new RaftctlError('TIMEOUT', `${id} did not catch up within ${timeoutMs} ms (match ${match}/${target ?? '?'}); it stays a learner: promote it later with "raftctl member promote ${id}"`)
}

/** A `node remove` planned. */
export interface NodeRemovePlan {
  readonly id: string
  /** The status the plan was made from (the leader's view, each node's lag). */
  readonly status: ClusterStatus
  readonly membership: Membership
  /** False when the node is not in the configuration: it is only stopped and marked removed. */
  readonly isMember: boolean
  readonly plan: ChangePlan
}

/**
 * Plan removing `id` from `cluster`. NODE_NOT_FOUND when the manifest has no such node or it was
 * removed already; NO_LEADER when no leader answers within `timeoutMs`.
 */
export async function planNodeRemove(cluster: LocalCluster, id: string, timeoutMs: number): Promise<NodeRemovePlan> {
  const entry = findNode(cluster.manifest(), id)
  if (entry.removed) throw new RaftctlError('NODE_NOT_FOUND', `${id} was already removed from cluster ${cluster.name}`)
  const status = await cluster.waitForLeader(timeoutMs)
  const membership = membershipOf(status)
  const isMember = membership.voters.includes(id) || membership.learners.includes(id)
  return {id, status, membership, isMember, plan: planChange(membership, 'remove', id)}
}

/** Options of {@link removeNode}. */
export interface NodeRemoveOptions {
  /** Passed on to the leader's strict reconfiguration check. */
  readonly force: boolean
  /** How long to wait for the leader, a leadership transfer and the change (ms). */
  readonly timeoutMs: number
}

/** `raftctl node remove --json` (without --dry-run). */
export interface NodeRemoveResult {
  readonly id: string
  readonly member: boolean
  /** Index of the configuration entry that removed it (null: it was not a member). */
  readonly removedAt: number | null
  /** The node that leads now when the removed node led (null: no transfer). */
  readonly transferredTo: string | null
  readonly stopped: StopOutcome
  readonly before: QuorumReport
  readonly after: QuorumReport
  readonly members: MemberIds
}

/** `raftctl node remove --dry-run --json`. */
export type NodeRemoveDryRun = DryRunResult<{readonly id: string; readonly member: boolean}>

/**
 * Carry out a planned `node remove`: when the node leads, hand leadership to the most caught-up
 * live voter that stays (and wait, best effort, until the new leader hears the voters that stay:
 * its strict check would refuse before); remove it through the leader; stop its daemon and mark
 * it removed in the manifest (its name is never reused). A node that is not a member is only
 * stopped and marked. Run it holding the cluster's lock.
 */
export async function removeNode(cluster: LocalCluster, planned: NodeRemovePlan, options: NodeRemoveOptions, progress: WorkflowProgress = NO_PROGRESS): Promise<NodeRemoveResult> {
  const {id, membership, plan, isMember} = planned
  const {timeoutMs} = options
  let transferredTo: string | null = null
  let removedAt: number | null = null
  let members: MemberIds = {voters: [...membership.voters], learners: [...membership.learners]}
  if (isMember) {
    if (membership.leader === id) transferredTo = await handOffLeadership(cluster, planned, timeoutMs, progress)
    progress.doing(`removing ${id} from the configuration`)
    const result = await leaderChange(plan, () => cluster.onLeader((client) => client.removeMember(id, {timeoutMs, force: options.force}), timeoutMs))
    removedAt = result.index
    members = memberIds(result.members)
    progress.step(`removed ${id} from the configuration (entry ${result.index})`)
  }
  progress.doing(`stopping ${id}`)
  const stopped = await cluster.stopNode(id)
  cluster.markRemoved(id)
  progress.step(`${stopped === 'not running' ? `${id} was not running` : `${stopped} ${id}`}; marked removed`)
  return {id, member: isMember, removedAt, transferredTo, stopped, before: plan.before, after: plan.after, members}
}

/**
 * The leader `planned.id` is being removed: hand leadership to the most caught-up live voter
 * that stays (least lag, then lowest id). Returns the new leader, or null when no voter stays
 * live (the removal then makes the leader step down once committed).
 */
async function handOffLeadership(cluster: LocalCluster, planned: NodeRemovePlan, timeoutMs: number, progress: WorkflowProgress): Promise<string | null> {
  const {id, status, membership, plan} = planned
  const staying = plan.votersAfter.filter((v) => membership.live.has(v))
  const next = [...staying].sort((a, b) => (rowLag(status, a) - rowLag(status, b)) || a.localeCompare(b, undefined, {numeric: true}))[0]
  if (next === undefined) return null
  progress.doing(`${id} leads: handing leadership to ${next} first`)
  const moved = await cluster.onLeader((client) => client.transfer(next, {timeoutMs}), timeoutMs)
  progress.step(`leadership handed from ${id} to ${moved.leader} (term ${moved.term})`)
  // Best effort: until the new leader hears the voters that stay, its own check would refuse.
  await cluster.waitForLeader(timeoutMs, (s) => s.leader === moved.leader && leaderHears(s, staying)).catch(() => undefined)
  return moved.leader
}

function rowLag(st: {nodes: readonly {id: string; lag: number | null}[]}, id: string): number {
  return st.nodes.find((n) => n.id === id)?.lag ?? Number.MAX_SAFE_INTEGER
}

/** One member of `raftctl member list --json`. */
export interface MemberRow {
  readonly id: string
  readonly address: string | null
  readonly voter: boolean
  readonly leader: boolean
  /** Up in the leader's view (heard within an election timeout and, for a local node, it answers); null: unknown (no leader). */
  readonly live: boolean | null
  readonly match: number | null
  /** Entries behind the leader's last index ({@link replicationLag}). */
  readonly lag: number | null
  readonly lastContactMs: number | null
}

/** `raftctl member list --json`: the configuration as `reportedBy` (the leader, else the first node that answered) reports it. */
export interface MemberList {
  readonly leader: string | null
  readonly term: number
  readonly reportedBy: string
  readonly voters: MemberRow[]
  readonly learners: MemberRow[]
}

/**
 * The members as the leader reports them, with its replication progress for each; without a
 * leader, as the first node that answers reports them (progress unknown). Includes members on
 * other hosts that the manifest does not list. UNAVAILABLE when no node answered.
 */
export function listMembers(st: ClusterStatus): MemberList {
  const source = st.nodes.find((n) => n.id === st.leader)?.detail ?? st.nodes.find((n) => n.detail)?.detail
  if (!source) throw new RaftctlError('UNAVAILABLE', `no node of cluster ${st.cluster} answered`)
  const isLeader = source.role === 'leader'
  const rows = new Map(st.nodes.map((n) => [n.id, n]))
  const describe = (m: {id: string; address: string | null}, voter: boolean): MemberRow => {
    const p = isLeader ? source.progress.find((x) => x.id === m.id) : undefined
    const row = rows.get(m.id)
    // The leader's view (as the membership checks count it); a local node must answer the CLI too.
    const live = m.id === source.id ? true : p ? p.recentActive && (row?.reachable ?? true) : row ? row.reachable : null
    return {
      id: m.id, address: m.address, voter, leader: m.id === st.leader, live,
      match: p?.match ?? null, lag: p ? replicationLag(source, m.id, row?.detail ?? null) : null, lastContactMs: p?.lastContactMs ?? null,
    }
  }
  const voters = source.members.voters.map((m) => describe(m, true))
  const learners = source.members.learners.map((m) => describe(m, false))
  return {leader: st.leader, term: isLeader ? source.term : st.term, reportedBy: source.id, voters, learners}
}

/** How long {@link answersPing} waits for an answer (ms). */
export const PING_TIMEOUT_MS = 1000

/**
 * Does the node at `address` answer an authenticated ping (with `cluster`'s secret) within
 * {@link PING_TIMEOUT_MS}? `member add` says so before adding a node that runs elsewhere.
 */
export async function answersPing(cluster: ClusterHandle, address: string): Promise<boolean> {
  const {AdminClient} = await import('../client/index.js')
  const client = new AdminClient({url: address, ...cluster.access(), timeoutMs: PING_TIMEOUT_MS})
  try {
    await client.ping()
    return true
  } catch {
    return false
  } finally {
    await client.close()
  }
}
