/**
 * `raftctl election trigger [NODE]`: make a node campaign now, then wait for a leader of a
 * higher term; prints the leader and term before and after.
 */
import {Args, Flags} from '@oclif/core'
import {RaftctlError} from '../../admin/errors.js'
import {ClusterCommand, timeoutFlag} from '../../cli/cluster-command.js'
import {parseDuration} from '../../cli/parse.js'
import type {ClusterStatus, NodeRow} from '../../cluster/index.js'

export default class ElectionTrigger extends ClusterCommand {
  static override summary = 'Make a node start an election now'
  static override description = `Sends "campaign" to NODE (default: the most caught-up reachable follower), then waits for a leader elected in a higher term and prints the leader and term before and after.

With PreVote and CheckQuorum, followers that hear from a healthy leader ignore a campaign (the leader lease): the term does not move. When that happens within two election timeouts, raftctl asks the leader to send NODE TimeoutNow, which makes NODE campaign at once in a new term, past the lease ("forced": true in the JSON). --no-force keeps the plain campaign and fails (exit 1) if it changed nothing.`

  static override examples = [
    {description: 'A follower chosen for you campaigns', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'n3 campaigns', command: '<%= config.bin %> <%= command.id %> n3'},
    {description: 'For scripts', command: '<%= config.bin %> <%= command.id %> n2 --json'},
  ]

  static override args = {
    node: Args.string({description: 'the voter that campaigns (default: a follower chosen for you)', required: false}),
  }

  static override flags = {
    force: Flags.boolean({description: 'if a healthy leader\'s lease makes the campaign a no-op, force it with TimeoutNow', default: true, allowNo: true}),
    timeout: timeoutFlag('10s', 'how long to wait for a leader after the election'),
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(ElectionTrigger)
    const timeoutMs = this.duration(flags.timeout)
    const cluster = await this.openCluster(flags.cluster)
    const options = cluster.manifest().options
    const electionMs = parseDuration(options.tick) * options.electionTicks
    const before = await cluster.status()
    const beforeTerm = leaderTerm(before)
    const target = args.node ?? pickFollower(before)
    const row = before.nodes.find((n) => n.id === target)
    if (!row) throw new RaftctlError('NODE_NOT_FOUND', `no node "${target}" in cluster ${flags.cluster} (nodes: ${before.nodes.map((n) => n.id).join(', ')})`)
    if (!row.reachable) throw new RaftctlError('UNAVAILABLE', `${target} is ${row.health}: it cannot campaign`)
    if (row.voter === false) throw new RaftctlError('NOT_VOTER', `${target} is a learner: only voters campaign`)
    if (target === before.leader) {
      throw new RaftctlError('BAD_USAGE', `${target} is the leader already; pick a follower (or use "raftctl leader transfer")`)
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
    let forced = false
    let after = await cluster.waitForLeader(Math.min(timeoutMs, 4 * electionMs), higher).catch(() => null)
    if (after === null) {
      const now = await cluster.status()
      if (now.leader !== null && leaderTerm(now) === beforeTerm && flags.force) {
        this.log(`${target} campaigned, but the followers of ${now.leader} ignored it (leader lease); forcing it with TimeoutNow.`)
        forced = true
        await this.onLeader(cluster, (client) => client.transfer(target, {timeoutMs}), timeoutMs)
      } else if (now.leader !== null && leaderTerm(now) === beforeTerm) {
        throw new RaftctlError('FAILED', `${target} campaigned but the term did not change: the followers of ${now.leader} ignored it under the leader lease (retry without --no-force)`)
      }
      after = await cluster.waitForLeader(timeoutMs, higher)
    }
    this.log(`${target} campaigned${forced ? ' (forced with TimeoutNow)' : ''}.`)
    this.log(`After:  ${describe(after)}`)
    return {
      node: target,
      forced,
      campaignTerm,
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
