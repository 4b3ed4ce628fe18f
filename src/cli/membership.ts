/**
 * Quorum arithmetic for membership commands (`node add|remove`, `member add|remove|promote`):
 * the voter set before and after a change, how many of those voters are live, and whether the
 * change would leave the cluster without a quorum of live voters (refused unless `--force`).
 * Pure functions over a status snapshot; the commands do the I/O.
 */
import type {ClusterStatus} from '../cluster/index.js'
import {RaftctlError} from '../admin/errors.js'
import {plural} from './render.js'

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
 * The membership as the leader sees it, with liveness: a node of this local cluster is live when
 * it answered the status request; a member elsewhere (not in the manifest) when the leader has
 * heard from it within an election timeout. Throws NO_LEADER without a leader.
 */
export function membershipOf(st: ClusterStatus): Membership {
  const leader = st.nodes.find((n) => n.id === st.leader)?.detail
  if (!leader) throw new RaftctlError('NO_LEADER', `cluster ${st.cluster} has no leader: membership changes need one`)
  const live = new Set<string>()
  const rows = new Map(st.nodes.map((n) => [n.id, n]))
  for (const m of [...leader.members.voters, ...leader.members.learners]) {
    const row = rows.get(m.id)
    const progress = leader.progress.find((p) => p.id === m.id)
    const up = m.id === leader.id || (row ? row.reachable : progress?.recentActive === true)
    if (up) live.add(m.id)
  }
  return {
    leader: leader.id,
    term: leader.term,
    voters: leader.members.voters.map((v) => v.id),
    learners: leader.members.learners.map((l) => l.id),
    live,
  }
}

/**
 * Plan a change of `node`. `nodeLive` says whether the node itself is up (for `add`; for
 * `promote` and `remove` it is read from `m.live`). Unsafe when the live voters after the change
 * are fewer than its quorum, or when the cluster has no live quorum now (the change could not
 * commit), or when no voter would remain.
 */
export function planChange(m: Membership, change: ChangeKind, node: string, nodeLive = true): ChangePlan {
  const live = new Set(m.live)
  let after = [...m.voters]
  if (change === 'add') {
    after.push(node)
    if (nodeLive) live.add(node)
    else live.delete(node)
  } else if (change === 'promote') {
    after.push(node)
  } else if (change === 'remove') {
    after = after.filter((v) => v !== node)
  }
  const before = report(m.voters, m.live)
  const afterReport = report(after, live)
  let reason: string | undefined
  if (after.length === 0) reason = `removing ${node} would leave no voter`
  else if (before.live < before.quorum) reason = `only ${before.live} of ${before.voters} voters are up, fewer than the quorum of ${before.quorum}: the change cannot commit`
  else if (afterReport.live < afterReport.quorum) {
    reason = `after the change ${afterReport.live} of ${afterReport.voters} voters would be up, fewer than the quorum of ${afterReport.quorum}: the cluster would stop accepting writes`
  }
  return {change, node, before, after: afterReport, votersAfter: after, safe: reason === undefined, ...(reason ? {reason} : {})}
}

/** Refuse an unsafe plan with UNSAFE_CHANGE (exit 1) unless forced. */
export function checkPlan(plan: ChangePlan, force: boolean): void {
  if (!plan.safe && !force) {
    throw new RaftctlError('UNSAFE_CHANGE', `refusing to ${describeChange(plan)}: ${plan.reason}. Pass --force to do it anyway`)
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
  /** Apply the change through the leader. */
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
  const result = await run.apply()
  log(`${run.done(result.index)}: ${quorumLine(plan.before, plan.after)}`)
  return {
    ...run.extra, index: result.index, ...summary,
    members: {voters: result.members.voters.map((v) => v.id), learners: result.members.learners.map((l) => l.id)},
  }
}
