/**
 * `raftctl node remove NODE`: parse the flags, plan the change and print the quorum before and
 * after (refusing one that would leave the cluster without a quorum of live voters), then run
 * the transfer → remove → stop workflow of src/cluster/membership.ts holding the cluster's lock
 * (the node is marked removed in the manifest; its name is never reused).
 */
import {Flags} from '@oclif/core'
import {ClusterCommand, nodeArg, timeoutFlag} from '../../cli/cluster-command.js'
import {quorumLine, quorumText} from '../../cli/membership.js'
import {spinnerProgress, startSpinner} from '../../cli/render.js'
import {checkPlan, describeChange, dryRunResult, planNodeRemove, removeNode, type NodeRemoveDryRun, type NodeRemoveResult} from '../../cluster/membership.js'

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

  async run(): Promise<NodeRemoveResult | NodeRemoveDryRun> {
    const {args, flags} = await this.parse(NodeRemove)
    const timeoutMs = this.duration(flags.timeout, '--timeout', 'timeout')
    const cluster = await this.openCluster(flags.cluster)
    const planned = await planNodeRemove(cluster, args.node, timeoutMs)
    const {membership, isMember, plan} = planned
    this.log(`${flags['dry-run'] ? 'Plan' : 'Removing'}: ${describeChange(plan)}${membership.learners.includes(args.node) ? ' (a learner)' : ''}${isMember ? '' : ' (not a member: only stop it and mark it removed)'} (leader ${membership.leader}, term ${membership.term})`)
    this.log(`  before: ${quorumText(plan.before)}`)
    this.log(`  after:  ${quorumText(plan.after)}`)
    if (isMember) checkPlan(plan, flags.force)
    if (!plan.safe && isMember) this.warn(`forced: ${plan.reason}`)
    if (flags['dry-run']) {
      this.log('Dry run: nothing changed.')
      return dryRunResult({id: args.node, member: isMember}, plan)
    }

    const lock = await this.lock(cluster)
    const spinner = await startSpinner(`removing ${args.node}`, !this.jsonEnabled())
    try {
      const removed = await removeNode(cluster, planned, {force: flags.force, timeoutMs}, spinnerProgress(spinner, (line) => this.log(line)))
      spinner.stop()
      this.log(`Done: ${quorumLine(plan.before, plan.after)}`)
      return removed
    } catch (error) {
      spinner.fail()
      throw error
    } finally {
      lock.release()
    }
  }
}
