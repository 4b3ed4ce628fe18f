/**
 * `raftctl leader transfer [NODE]`: hand leadership to NODE (TimeoutNow); without NODE, pick a
 * follower interactively on a terminal, or the most caught-up one otherwise. The checks and the
 * transfer are in src/cluster/leadership.ts; this file parses, prompts and prints.
 */
import {Args} from '@oclif/core'
import {RaftctlError} from '../../common/errors.js'
import {ClusterCommand, timeoutFlag} from '../../cli/cluster-command.js'
import {alreadyLeading, canPrompt} from '../../cli/render.js'
import {alreadyLeadingTransfer, checkTransferTarget, leaderTerm, transferCandidates, transferLeadership, type LeaderTransferResult} from '../../cluster/leadership.js'
import type {NodeRow} from '../../cluster/index.js'

export default class LeaderTransfer extends ClusterCommand {
  static override summary = 'Hand leadership to another node'
  static override description = `The leader stops accepting writes, brings NODE's log up to date and sends it TimeoutNow: NODE starts an election at once (ignoring PreVote and the leader lease) and wins it. The command answers when NODE leads, and prints the leader and term before and after. Without NODE: on a terminal, choose from the followers (listed with their lag); otherwise the most caught-up follower is chosen. A transfer the leader abandons (NODE did not take over within an election timeout) fails with TIMEOUT. NODE already leading: nothing changes, exit 0 ("transferred": false).`

  static override examples = [
    {description: 'Make n2 the leader', command: '<%= config.bin %> <%= command.id %> n2'},
    {description: 'Choose a follower from a list (or, in a script, the most caught-up one)', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'For scripts', command: '<%= config.bin %> <%= command.id %> n3 --json'},
  ]

  static override args = {
    node: Args.string({description: 'the voter to become leader (default: choose)', required: false, ignoreStdin: true}),
  }

  static override flags = {
    timeout: timeoutFlag('10s', 'how long to wait for the new leader'),
  }

  async run(): Promise<LeaderTransferResult> {
    const {args, flags} = await this.parse(LeaderTransfer)
    const timeoutMs = this.duration(flags.timeout, '--timeout', 'timeout')
    const cluster = await this.openHandle(flags)
    const before = await cluster.waitForLeader(timeoutMs)
    const from = before.leader!
    const previousTerm = leaderTerm(before)
    let target = args.node
    if (target === undefined) {
      const followers = transferCandidates(before)
      if (followers.length === 0) throw new RaftctlError('NO_QUORUM', `there is no reachable follower that is a voter to hand leadership to (leader ${from})`)
      target = canPrompt() && !this.jsonEnabled() ? await choose(followers, from) : followers[0]!.id
    } else {
      if (target === from) {
        this.log(alreadyLeading(target, previousTerm))
        return alreadyLeadingTransfer(target, previousTerm)
      }
      checkTransferTarget(before, target)
    }
    const result = await transferLeadership(cluster, before, target, timeoutMs)
    this.log(`Leadership transferred: ${from} (term ${previousTerm}) → ${result.leader} (term ${result.term}).`)
    return result
  }
}

async function choose(followers: NodeRow[], leader: string): Promise<string> {
  const {select} = await import('@inquirer/prompts')
  try {
    return await select({
      message: `Transfer leadership from ${leader} to`,
      choices: followers.map((n) => ({
        name: `${n.id}  lag ${n.lag ?? '?'}  (last index ${n.lastIndex ?? "?"}, ${n.address})`,
        value: n.id,
        description: `${n.id}: ${n.lag === 0 ? 'fully caught up' : `${n.lag ?? 'unknown'} entries behind`}`,
      })),
    })
  } catch (error) {
    if ((error as Error).name === 'ExitPromptError') throw new RaftctlError('FAILED', 'cancelled: leadership was not transferred')
    throw error
  }
}
