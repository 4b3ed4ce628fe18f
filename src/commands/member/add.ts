/**
 * `raftctl member add ID ADDRESS`: add a node that runs elsewhere (membership only: nothing is
 * spawned and the local manifest is not changed).
 */
import {Args, Flags} from '@oclif/core'
import {RaftctlError} from '../../common/errors.js'
import {ClusterCommand, timeoutFlag} from '../../cli/cluster-command.js'
import {runMemberChange, type MemberChangeResult} from '../../cli/membership.js'
import {answersPing, membershipOf, planChange} from '../../cluster/membership.js'

/** `raftctl member add --json`: the dry run or the committed change, led by the new member, its address, whether it was added as a learner and whether it answered a ping. */
export type MemberAddResult = MemberChangeResult<{id: string; address: string; learner: boolean; reachable: boolean}>

export default class MemberAdd extends ClusterCommand {
  static override summary = 'Add a member that runs elsewhere (membership only)'
  static override description = `Asks the leader to add ID at ADDRESS to the configuration (member.add) and waits until the change is committed. Nothing is started: run the node yourself first ("raftctl node run --id ID ... --peers ..." without --initial-cluster), on this host or another. The local manifest is not changed, so on a local cluster "raftctl status" does not list the member ("raftctl member list" does); on an attached cluster (raftctl cluster attach), whose members are learned from its configuration, it does.

Prefer --learner, then "raftctl member promote ID" once it has caught up: a voter that is far behind or down counts against the quorum at once. The command pings ADDRESS first; a change that would leave the cluster without a quorum of live voters is refused (UNSAFE_CHANGE, exit 1) unless --force.`

  static override examples = [
    {description: 'Add n7 on another host as a learner', command: '<%= config.bin %> <%= command.id %> n7 ws://10.0.0.7:7001 --learner'},
    {description: 'Check the quorum change first', command: '<%= config.bin %> <%= command.id %> n7 ws://10.0.0.7:7001 --dry-run'},
  ]

  static override args = {
    id: Args.string({description: 'the new member\'s node id', required: true}),
    address: Args.string({description: 'where it listens: ws://HOST:PORT, wss://HOST:PORT or HOST:PORT', required: true}),
  }

  static override flags = {
    learner: Flags.boolean({description: 'add it as a non-voting learner', default: false}),
    'dry-run': Flags.boolean({description: 'print the plan and the quorum change; change nothing', default: false}),
    force: Flags.boolean({description: 'do it even without a quorum of voters the leader hears afterwards (the leader\'s own check too)', default: false}),
    timeout: timeoutFlag('10s', 'how long to wait for the change to commit'),
  }

  async run(): Promise<MemberAddResult> {
    const {args, flags} = await this.parse(MemberAdd)
    const timeoutMs = this.duration(flags.timeout, '--timeout', 'timeout')
    const cluster = await this.openHandle(flags)
    const st = await cluster.waitForLeader(timeoutMs)
    const membership = membershipOf(st)
    if (membership.voters.includes(args.id) || membership.learners.includes(args.id)) {
      throw new RaftctlError('BAD_INPUT', `${args.id} is already a ${membership.voters.includes(args.id) ? 'voter' : 'learner'}${membership.learners.includes(args.id) ? ` (promote it with: raftctl member promote ${args.id})` : ''}`)
    }
    const up = await answersPing(cluster, args.address)
    return runMemberChange((line) => this.log(line), {
      // A voter added directly counts as down until the leader hears it (its own check agrees).
      plan: planChange(membership, flags.learner ? 'add-learner' : 'add', args.id, false),
      membership,
      verb: 'Adding',
      where: ` at ${args.address}`,
      note: `${up ? 'it answers' : 'it does not answer yet'}; `,
      dryRun: flags['dry-run'],
      force: flags.force,
      extra: {id: args.id, address: args.address, learner: flags.learner, reachable: up},
      apply: () => this.onLeader(cluster, (client) => client.addMember(args.id, args.address, {learner: flags.learner, timeoutMs, force: flags.force}), timeoutMs),
      done: (index) => `Added ${args.id} as a ${flags.learner ? 'learner' : 'voter'} (configuration entry ${index})`,
    })
  }
}
