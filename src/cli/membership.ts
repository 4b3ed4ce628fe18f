/**
 * Quorum arithmetic for membership commands (`node add|remove`, `member add|remove|promote`):
 * the voter set before and after a change, how many of those voters are live, and whether the
 * change would leave the cluster without a quorum of live voters (refused unless `--force`).
 * "Live" is the LEADER's view (heard from within an election timeout), the same view its own
 * strict reconfiguration check uses: a node the CLI reaches but the leader does not hear (a
 * partition) is down. Pure functions over a status snapshot; the commands do the I/O.
 */
import {sleep, type ClusterStatus, type LocalCluster} from '../cluster/index.js'
import {RaftctlError} from '../common/errors.js'
import {formatDuration, plural} from './render.js'

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

/** Majority of `voters`. */
export function quorumOf(voters: number): number {
  return Math.floor(voters / 2) + 1
}

function report(voters: readonly string[], live: ReadonlySet<string>): QuorumReport {
  const quorum = quorumOf(voters.length)
  return {voters: voters.length, quorum, tolerates: Math.max(0, voters.length - quorum), live: voters.filter((v) => live.has(v)).length}
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
export async function waitUntilLeaderHears(cluster: LocalCluster, id: string, timeoutMs = NODE_REJOIN_WAIT_MS): Promise<boolean> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const st = await cluster.status()
    if (st.leader === null) return false
    if (leaderHears(st, [id])) return true
    if (Date.now() >= end) return false
    await sleep(50)
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

/** `voters 3 → 4 · quorum 2 → 3 · tolerates 1 → 1 failure · up 3 → 4`. */
export function quorumLine(before: QuorumReport, after: QuorumReport): string {
  const arrow = (a: number, b: number): string => (a === b ? `${a}` : `${a} → ${b}`)
  return `voters ${arrow(before.voters, after.voters)} · quorum ${arrow(before.quorum, after.quorum)} · tolerates ${arrow(before.tolerates, after.tolerates)} ${after.tolerates === 1 ? 'failure' : 'failures'} · voters up ${arrow(before.live, after.live)}`
}

/** `3 voters (quorum 2, tolerates 1 failure)`. */
export function quorumText(q: QuorumReport): string {
  return `${plural(q.voters, 'voter')} (quorum ${q.quorum}, tolerates ${plural(q.tolerates, 'failure')})`
}

/** What a membership change returns once committed (the admin `member.*` result). */
export interface CommittedChange {
  readonly index: number
  readonly members: {readonly voters: readonly {readonly id: string}[]; readonly learners: readonly {readonly id: string}[]}
}

/** Options of {@link runMemberChange}. */
export interface MemberChangeRun {
  readonly plan: ChangePlan
  readonly membership: Membership
  /** Present participle for the first line, e.g. `Adding`. */
  readonly verb: string
  /** Printed after the change's description, e.g. ` at ws://10.0.0.4:7001`. */
  readonly where?: string
  /** Printed inside the parenthesis before the leader, e.g. `it answers; `. */
  readonly note?: string
  readonly dryRun: boolean
  readonly force: boolean
  /** Fields added to the JSON document (dry run or not). */
  readonly extra: Record<string, unknown>
  /** Apply the change through the leader (passing `force` on, for its strict reconfiguration check). */
  readonly apply: () => Promise<CommittedChange>
  /** The last line once committed, given the configuration entry's index. */
  readonly done: (index: number) => string
}

/**
 * The steps `member add|remove|promote` share: print the plan with the quorum before and after,
 * refuse an unsafe change unless forced (UNSAFE_CHANGE), stop at a dry run, else apply it
 * through the leader and report the committed configuration. Returns the JSON document.
 */
export async function runMemberChange(log: (line: string) => void, run: MemberChangeRun): Promise<Record<string, unknown>> {
  const {plan, membership} = run
  log(`${run.dryRun ? 'Plan' : run.verb}: ${describeChange(plan)}${run.where ?? ''} (${run.note ?? ''}leader ${membership.leader}, term ${membership.term})`)
  log(`  before: ${quorumText(plan.before)}`)
  log(`  after:  ${quorumText(plan.after)}`)
  checkPlan(plan, run.force)
  const summary = {before: plan.before, after: plan.after}
  if (run.dryRun) {
    log('Dry run: nothing changed.')
    return {dryRun: true, ...run.extra, ...summary, safe: plan.safe, ...(plan.reason ? {reason: plan.reason} : {})}
  }
  const result = await leaderChange(plan, run.apply)
  log(`${run.done(result.index)}: ${quorumLine(plan.before, plan.after)}`)
  return {
    ...run.extra, index: result.index, ...summary,
    members: {voters: result.members.voters.map((v) => v.id), learners: result.members.learners.map((l) => l.id)},
  }
}
