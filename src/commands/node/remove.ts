/**
 * `raftctl node remove NODE`: remove a node from the membership through the leader, stop it, and
 * mark it removed in the manifest (its name is never reused).
 */
import {Flags} from '@oclif/core'
import {RaftctlError} from '../../common/errors.js'
import {ClusterCommand, nodeArg, timeoutFlag} from '../../cli/cluster-command.js'
import {checkPlan, describeChange, leaderChange, leaderHears, membershipOf, planChange, quorumLine, quorumText} from '../../cli/membership.js'
import {startSpinner} from '../../cli/render.js'

export default class NodeRemove extends ClusterCommand {
  static override summary = 'Remove a node from a local cluster (leave, then stop)'
  static override description = `Asks the leader to remove NODE from the configuration (member.remove) and waits until the change is committed, then stops NODE's daemon and marks it removed in the manifest; its data folder and log stay until "cluster destroy", and its name is never given to another node. Removing the leader hands leadership to the most caught-up other voter first.

Prints voters, quorum and failures tolerated before and after. A change that would leave the cluster without a quorum of live voters (e.g. removing a live voter while another is down, or cut off from the leader) is refused with UNSAFE_CHANGE (exit 1) unless --force; --dry-run prints the plan only. A voter is live when the leader has heard from it within an election timeout (and it answers): the leader applies the same check itself, and --force is passed on to it.`

  static override examples = [
    {description: 'Shrink the cluster by removing n4', command: '<%= config.bin %> <%= command.id %> n4'},
    {description: 'What would removing n2 do to the quorum?', command: '<%= config.bin %> <%= command.id %> n2 --dry-run'},
  ]

  static override args = {node: nodeArg('the node to remove, e.g. n4')}

  static override flags = {
    'dry-run': Flags.boolean({description: 'print the plan and the quorum change; change nothing', default: false}),
    force: Flags.boolean({description: 'do it even without a quorum of voters the leader hears afterwards (the leader\'s own check too)', default: false}),
    timeout: timeoutFlag('10s', 'how long to wait for the leader and the change'),
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(NodeRemove)
    const timeoutMs = this.duration(flags.timeout, '--timeout', 'timeout')
    const cluster = await this.openCluster(flags.cluster)
    const {findNode} = await import('../../cluster/index.js')
    const entry = findNode(cluster.manifest(), args.node)
    if (entry.removed) throw new RaftctlError('NODE_NOT_FOUND', `${args.node} was already removed from cluster ${flags.cluster}`)
    const st = await cluster.waitForLeader(timeoutMs)
    const membership = membershipOf(st)
    const isMember = membership.voters.includes(args.node) || membership.learners.includes(args.node)
    const plan = planChange(membership, 'remove', args.node)
    this.log(`${flags['dry-run'] ? 'Plan' : 'Removing'}: ${describeChange(plan)}${membership.learners.includes(args.node) ? ' (a learner)' : ''}${isMember ? '' : ' (not a member: only stop it and mark it removed)'} (leader ${membership.leader}, term ${membership.term})`)
    this.log(`  before: ${quorumText(plan.before)}`)
    this.log(`  after:  ${quorumText(plan.after)}`)
    if (isMember) checkPlan(plan, flags.force)
    if (!plan.safe && isMember) this.warn(`forced: ${plan.reason}`)
    const summary = {before: plan.before, after: plan.after}
    if (flags['dry-run']) {
      this.log('Dry run: nothing changed.')
      return {dryRun: true, id: args.node, member: isMember, ...summary, safe: plan.safe, ...(plan.reason ? {reason: plan.reason} : {})}
    }

    const lock = await this.lock(cluster)
    const spinner = await startSpinner(`removing ${args.node}`, !this.jsonEnabled())
    try {
      let transferredTo: string | null = null
      let removedAt: number | null = null
      let members: {voters: string[]; learners: string[]} = {voters: [...membership.voters], learners: [...membership.learners]}
      if (isMember) {
        if (membership.leader === args.node) {
          const next = plan.votersAfter.filter((v) => membership.live.has(v))
            .sort((a, b) => (rowLag(st, a) - rowLag(st, b)) || a.localeCompare(b, undefined, {numeric: true}))[0]
          if (next !== undefined) {
            spinner.text(`${args.node} leads: handing leadership to ${next} first`)
            const moved = await this.onLeader(cluster, (client) => client.transfer(next, {timeoutMs}), timeoutMs)
            transferredTo = moved.leader
            spinner.above(() => this.log(`  leadership handed from ${args.node} to ${moved.leader} (term ${moved.term})`))
            // Best effort: until the new leader hears the voters that stay, its own check would refuse.
            const staying = plan.votersAfter.filter((v) => membership.live.has(v))
            await cluster.waitForLeader(timeoutMs, (s) => s.leader === moved.leader && leaderHears(s, staying)).catch(() => undefined)
          }
        }
        spinner.text(`removing ${args.node} from the configuration`)
        const result = await leaderChange(plan, () => this.onLeader(cluster, (client) => client.removeMember(args.node, {timeoutMs, force: flags.force}), timeoutMs))
        removedAt = result.index
        members = {voters: result.members.voters.map((v) => v.id), learners: result.members.learners.map((l) => l.id)}
        spinner.above(() => this.log(`  removed ${args.node} from the configuration (entry ${result.index})`))
      }
      spinner.text(`stopping ${args.node}`)
      const stopped = await cluster.stopNode(args.node)
      cluster.markRemoved(args.node)
      spinner.stop()
      this.log(`  ${stopped === 'not running' ? `${args.node} was not running` : `${stopped} ${args.node}`}; marked removed`)
      this.log(`Done: ${quorumLine(plan.before, plan.after)}`)
      return {id: args.node, member: isMember, removedAt, transferredTo, stopped, ...summary, members}
    } catch (error) {
      spinner.fail()
      throw error
    } finally {
      lock.release()
    }
  }
}

function rowLag(st: {nodes: readonly {id: string; lag: number | null}[]}, id: string): number {
  return st.nodes.find((n) => n.id === id)?.lag ?? Number.MAX_SAFE_INTEGER
}
