/**
 * `raftctl member remove ID`: remove a member from the configuration (membership only: no
 * process is stopped, the local manifest is not changed).
 */
import {Args, Flags} from '@oclif/core'
import {RaftctlError} from '../../common/errors.js'
import {ClusterCommand, timeoutFlag} from '../../cli/cluster-command.js'
import {runMemberChange, type MemberChangeResult} from '../../cli/membership.js'
import {membershipOf, planChange} from '../../cluster/membership.js'

/** `raftctl member remove --json`: the dry run or the committed change, led by the member's id. */
export type MemberRemoveResult = MemberChangeResult<{id: string}>

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
    force: Flags.boolean({description: 'do it even without a quorum of voters the leader hears afterwards (the leader\'s own check too)', default: false}),
    timeout: timeoutFlag('10s', 'how long to wait for the change to commit'),
  }

  async run(): Promise<MemberRemoveResult> {
    const {args, flags} = await this.parse(MemberRemove)
    const timeoutMs = this.duration(flags.timeout, '--timeout', 'timeout')
    const cluster = await this.openHandle(flags)
    const membership = membershipOf(await cluster.waitForLeader(timeoutMs))
    if (!membership.voters.includes(args.id) && !membership.learners.includes(args.id)) {
      throw new RaftctlError('NOT_FOUND', `${args.id} is not a member (voters: ${membership.voters.join(', ')}; learners: ${membership.learners.join(', ') || 'none'})`)
    }
    return runMemberChange((line) => this.log(line), {
      plan: planChange(membership, 'remove', args.id),
      membership,
      verb: 'Removing',
      dryRun: flags['dry-run'],
      force: flags.force,
      extra: {id: args.id},
      apply: () => this.onLeader(cluster, (client) => client.removeMember(args.id, {timeoutMs, force: flags.force}), timeoutMs),
      done: (index) => `Removed ${args.id} (configuration entry ${index})`,
    })
  }
}
