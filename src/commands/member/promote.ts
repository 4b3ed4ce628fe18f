/**
 * `raftctl member promote ID`: make a learner a voter.
 */
import {Args, Flags} from '@oclif/core'
import {RaftctlError} from '../../common/errors.js'
import {ClusterCommand, timeoutFlag} from '../../cli/cluster-command.js'
import {runMemberChange, type MemberChangeResult} from '../../cli/membership.js'
import {membershipOf, planChange} from '../../cluster/membership.js'

/** `raftctl member promote --json`: the dry run or the committed change, led by the member's id. */
export type MemberPromoteResult = MemberChangeResult<{id: string}>

export default class MemberPromote extends ClusterCommand {
  static override summary = 'Promote a learner to voter'
  static override description = `Asks the leader to make learner ID a voter (member.promote) and waits until the change is committed. Promote a learner once it has caught up ("raftctl member list" shows its lag): from then on it counts toward the quorum. A promotion that would leave the cluster without a quorum of live voters (promoting a learner that is down) is refused (UNSAFE_CHANGE, exit 1) unless --force.`

  static override examples = [
    {description: 'Promote n7', command: '<%= config.bin %> <%= command.id %> n7'},
  ]

  static override args = {
    id: Args.string({description: 'the learner to promote', required: true}),
  }

  static override flags = {
    'dry-run': Flags.boolean({description: 'print the plan and the quorum change; change nothing', default: false}),
    force: Flags.boolean({description: 'do it even without a quorum of voters the leader hears afterwards (the leader\'s own check too)', default: false}),
    timeout: timeoutFlag('10s', 'how long to wait for the change to commit'),
  }

  async run(): Promise<MemberPromoteResult> {
    const {args, flags} = await this.parse(MemberPromote)
    const timeoutMs = this.duration(flags.timeout, '--timeout', 'timeout')
    const cluster = await this.openHandle(flags)
    const membership = membershipOf(await cluster.waitForLeader(timeoutMs))
    if (!membership.learners.includes(args.id)) {
      throw new RaftctlError(membership.voters.includes(args.id) ? 'BAD_INPUT' : 'NOT_FOUND',
        membership.voters.includes(args.id) ? `${args.id} is already a voter` : `${args.id} is not a learner (learners: ${membership.learners.join(', ') || 'none'})`)
    }
    return runMemberChange((line) => this.log(line), {
      plan: planChange(membership, 'promote', args.id),
      membership,
      verb: 'Promoting',
      dryRun: flags['dry-run'],
      force: flags.force,
      extra: {id: args.id},
      apply: () => this.onLeader(cluster, (client) => client.promoteMember(args.id, {timeoutMs, force: flags.force}), timeoutMs),
      done: (index) => `Promoted ${args.id} to voter (configuration entry ${index})`,
    })
  }
}
