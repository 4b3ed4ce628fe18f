/**
 * `raftctl election trigger [NODE]`: make a node campaign now, then wait for a leader of a
 * higher term; prints the leader and term before and after.
 */
import {Args} from '@oclif/core'
import {RaftctlError} from '../../common/errors.js'
import {ClusterCommand, timeoutFlag} from '../../cli/cluster-command.js'
import {alreadyLeading} from '../../cli/render.js'
import type {ClusterStatus, NodeRow} from '../../cluster/index.js'

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
    node: Args.string({description: 'the voter that campaigns (default: a follower chosen for you)', required: false}),
  }

  static override flags = {
    timeout: timeoutFlag('10s', 'how long to wait for a leader after the election'),
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(ElectionTrigger)
    const timeoutMs = this.duration(flags.timeout, '--timeout', 'timeout')
    const cluster = await this.openCluster(flags.cluster)
    const before = await cluster.liveStatus()
    const beforeTerm = leaderTerm(before)
    const target = args.node ?? pickFollower(before)
    const row = before.nodes.find((n) => n.id === target)
    if (!row) throw new RaftctlError('NODE_NOT_FOUND', `no node ${target} in cluster ${flags.cluster} (nodes: ${before.nodes.map((n) => n.id).join(', ')})`)
    if (!row.reachable) throw new RaftctlError('UNAVAILABLE', `${target} is ${row.health}: it cannot campaign`)
    if (row.voter === false) throw new RaftctlError('NOT_VOTER', `${target} is a learner: only voters campaign`)
    if (target === before.leader) {
      // Agrees with `leader transfer` to the leader: nothing to do, exit 0.
      this.log(alreadyLeading(target, beforeTerm))
      const unchanged = {leader: before.leader, term: beforeTerm}
      return {node: target, campaignTerm: null, campaigned: false, before: unchanged, after: unchanged, ...unchanged}
    }
    this.log(`Before: ${describe(before)}`)
    const admin = cluster.admin(target, timeoutMs)
    let campaignTerm: number
    try {
      campaignTerm = (await admin.campaign()).term
    } finally {
      await admin.close()
    }
    const higher = (s: ClusterStatus): boolean => s.leader !== null && leaderTerm(s) > beforeTerm
    const after = await cluster.waitForLeader(timeoutMs, higher)
    this.log(`${target} campaigned.`)
    this.log(`After:  ${describe(after)}`)
    return {
      node: target,
      campaignTerm,
      campaigned: true,
      before: {leader: before.leader, term: beforeTerm},
      after: {leader: after.leader, term: leaderTerm(after)},
      leader: after.leader,
      term: leaderTerm(after),
    }
  }
}

function leaderTerm(st: ClusterStatus): number {
  return st.nodes.find((n) => n.id === st.leader)?.term ?? st.term
}

function describe(st: ClusterStatus): string {
  return st.leader === null ? `no leader, term ${st.term}` : `leader ${st.leader}, term ${leaderTerm(st)}`
}

/** The most caught-up reachable voter that is not the leader. */
function pickFollower(st: ClusterStatus): string {
  const voters = st.nodes.find((n) => n.id === st.leader)?.detail?.members.voters.map((v) => v.id)
  const isVoter = (n: NodeRow): boolean => (voters ? voters.includes(n.id) : n.voter === true)
  const choices = st.nodes
    .filter((n) => n.reachable && n.id !== st.leader && isVoter(n))
    .sort((a, b) => (b.lastIndex ?? 0) - (a.lastIndex ?? 0) || a.id.localeCompare(b.id, undefined, {numeric: true}))
  if (choices.length === 0) throw new RaftctlError('UNAVAILABLE', `cluster ${st.cluster} has no reachable follower that could campaign`)
  return choices[0]!.id
}
