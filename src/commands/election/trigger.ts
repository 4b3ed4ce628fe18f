/**
 * `raftctl election trigger [NODE]`: make a node campaign now, then wait for a leader of a
 * higher term; prints the leader and term before and after. The choice, the checks and the
 * campaign are in src/cluster/leadership.ts; this file parses and prints.
 */
import {Args} from '@oclif/core'
import {ClusterCommand, timeoutFlag} from '../../cli/cluster-command.js'
import {alreadyLeading} from '../../cli/render.js'
import {alreadyLeadingElection, checkCampaigner, describeLeader, leaderTerm, pickCampaigner, triggerElection, type ElectionTriggerResult} from '../../cluster/leadership.js'

export default class ElectionTrigger extends ClusterCommand {
  static override summary = 'Make a node start an election now'
  static override description = `Sends "campaign" to NODE (default: the most caught-up reachable follower), then waits for a leader elected in a higher term and prints the leader and term before and after.

An operator's campaign is forced, like a leader transfer: NODE skips PreVote and its vote requests bypass the leader lease, so the term rises even while the current leader is healthy. NODE wins if its log is at least as up to date as a majority's; otherwise another node wins the new term. NODE already leading: nothing changes, exit 0 ("campaigned": false), as for "raftctl leader transfer" to the leader.`

  static override examples = [
    {description: 'A follower chosen for you campaigns', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'n3 campaigns', command: '<%= config.bin %> <%= command.id %> n3'},
    {description: 'For scripts', command: '<%= config.bin %> <%= command.id %> n2 --json'},
  ]

  static override args = {
    node: Args.string({description: 'the voter that campaigns (default: a follower chosen for you)', required: false, ignoreStdin: true}),
  }

  static override flags = {
    timeout: timeoutFlag('10s', 'how long to wait for a leader after the election'),
  }

  async run(): Promise<ElectionTriggerResult> {
    const {args, flags} = await this.parse(ElectionTrigger)
    const timeoutMs = this.duration(flags.timeout, '--timeout', 'timeout')
    const cluster = await this.openHandle(flags)
    const before = await cluster.liveStatus()
    const target = args.node ?? pickCampaigner(before)
    checkCampaigner(before, target)
    if (target === before.leader) {
      // Agrees with `leader transfer` to the leader: nothing to do, exit 0.
      this.log(alreadyLeading(target, leaderTerm(before)))
      return alreadyLeadingElection(target, before)
    }
    this.log(`Before: ${describeLeader(before)}`)
    const {result, after} = await triggerElection(cluster, before, target, timeoutMs)
    this.log(`${target} campaigned.`)
    this.log(`After:  ${describeLeader(after)}`)
    return result
  }
}
