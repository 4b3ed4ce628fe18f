/**
 * The membership commands' words (`node add|remove`, `member add|remove|promote`): the quorum
 * before and after a change as one line, and the steps `member *` share (print the plan, refuse
 * an unsafe change unless forced, apply it through the leader). The planning itself and the
 * `node add|remove` workflows are in src/cluster/membership.ts.
 */
import {checkPlan, describeChange, dryRunResult, leaderChange, memberIds, type ChangePlan, type CommittedChange, type DryRunResult, type MemberIds, type Membership, type QuorumReport} from '../cluster/membership.js'
import {plural} from './render.js'

/** `voters 3 → 4 · quorum 2 → 3 · tolerates 1 → 1 failure · up 3 → 4`. */
export function quorumLine(before: QuorumReport, after: QuorumReport): string {
  const arrow = (a: number, b: number): string => (a === b ? `${a}` : `${a} → ${b}`)
  return `voters ${arrow(before.voters, after.voters)} · quorum ${arrow(before.quorum, after.quorum)} · tolerates ${arrow(before.tolerates, after.tolerates)} ${after.tolerates === 1 ? 'failure' : 'failures'} · voters up ${arrow(before.live, after.live)}`
}

/** `3 voters (quorum 2, tolerates 1 failure)`. */
export function quorumText(q: QuorumReport): string {
  return `${plural(q.voters, 'voter')} (quorum ${q.quorum}, tolerates ${plural(q.tolerates, 'failure')})`
}

/** `raftctl member add|remove|promote --json` once committed: `extra` (e.g. `{id}`), the entry's index, the quorum before and after, the members. */
export type MemberChangeDone<E extends object> = E & {
  readonly index: number
  readonly before: QuorumReport
  readonly after: QuorumReport
  readonly members: MemberIds
}

/** `raftctl member add|remove|promote --json`: the dry run or the committed change. */
export type MemberChangeResult<E extends object> = DryRunResult<E> | MemberChangeDone<E>

/** Options of {@link runMemberChange}. */
export interface MemberChangeRun<E extends object> {
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
  /** Fields put first in the JSON document (dry run or not). */
  readonly extra: E
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
export async function runMemberChange<E extends object>(log: (line: string) => void, run: MemberChangeRun<E>): Promise<MemberChangeResult<E>> {
  const {plan, membership} = run
  log(`${run.dryRun ? 'Plan' : run.verb}: ${describeChange(plan)}${run.where ?? ''} (${run.note ?? ''}leader ${membership.leader}, term ${membership.term})`)
  log(`  before: ${quorumText(plan.before)}`)
  log(`  after:  ${quorumText(plan.after)}`)
  checkPlan(plan, run.force)
  if (run.dryRun) {
    log('Dry run: nothing changed.')
    return dryRunResult(run.extra, plan)
  }
  const result = await leaderChange(plan, run.apply)
  log(`${run.done(result.index)}: ${quorumLine(plan.before, plan.after)}`)
  return {...run.extra, index: result.index, before: plan.before, after: plan.after, members: memberIds(result.members)}
}
