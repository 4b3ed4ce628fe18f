/**
 * `raftctl member remove ID`: remove a member from the configuration (membership only: no
 * process is stopped, the local manifest is not changed).
 */
import {Args, Flags} from '@oclif/core'
import {RaftctlError} from '../../admin/errors.js'
import {ClusterCommand, timeoutFlag} from '../../cli/cluster-command.js'
import {checkPlan, describeChange, membershipOf, planChange, quorumLine, quorumText} from '../../cli/membership.js'

export default class MemberRemove extends ClusterCommand {
  static override summary = 'Remove a member from the configuration (membership only)'
  static override description = `Asks the leader to remove ID (voter or learner) and waits until the change is committed. No process is stopped and the local manifest is not changed: for a node of this local cluster, "raftctl node remove" does all of it. Removing the leader makes it step down once the change commits. A change that would leave the cluster without a quorum of live voters is refused (UNSAFE_CHANGE, exit 1) unless --force.`

  static override examples = [
    {description: 'Remove n7, which ran on another host', command: '<%= config.bin %> <%= command.id %> n7'},
    {description: 'What would it do to the quorum?', command: '<%= config.bin %> <%= command.id %> n2 --dry-run'},
  ]

  static override args = {
    id: Args.string({description: 'the member to remove', required: true}),
  }

  static override flags = {
    'dry-run': Flags.boolean({description: 'print the plan and the quorum change; change nothing', default: false}),
    force: Flags.boolean({description: 'do it even without a quorum of live voters afterwards', default: false}),
    timeout: timeoutFlag('10s', 'how long to wait for the change to commit'),
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(MemberRemove)
    const timeoutMs = this.duration(flags.timeout)
    const cluster = await this.openCluster(flags.cluster)
    const membership = membershipOf(await cluster.waitForLeader(timeoutMs))
    if (!membership.voters.includes(args.id) && !membership.learners.includes(args.id)) {
      throw new RaftctlError('NOT_FOUND', `${args.id} is not a member (voters: ${membership.voters.join(', ')}; learners: ${membership.learners.join(', ') || 'none'})`)
    }
    const plan = planChange(membership, 'remove', args.id)
    this.log(`${flags['dry-run'] ? 'Plan' : 'Removing'}: ${describeChange(plan)} (leader ${membership.leader}, term ${membership.term})`)
    this.log(`  before: ${quorumText(plan.before)}`)
    this.log(`  after:  ${quorumText(plan.after)}`)
    checkPlan(plan, flags.force)
    const summary = {before: plan.before, after: plan.after}
    if (flags['dry-run']) {
      this.log('Dry run: nothing changed.')
      return {dryRun: true, id: args.id, ...summary, safe: plan.safe, ...(plan.reason ? {reason: plan.reason} : {})}
    }
    const result = await this.onLeader(cluster, (client) => client.removeMember(args.id, {timeoutMs}), timeoutMs)
    this.log(`Removed ${args.id} (configuration entry ${result.index}): ${quorumLine(plan.before, plan.after)}`)
    return {
      id: args.id, index: result.index, ...summary,
      members: {voters: result.members.voters.map((v) => v.id), learners: result.members.learners.map((l) => l.id)},
    }
  }
}
