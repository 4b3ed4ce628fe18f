/**
 * `raftctl node add`: parse the flags, plan the change and print the quorum before and after
 * (refusing one that would leave the cluster without a quorum of live voters), then run the
 * spawn → learner → catch-up → promote workflow of src/cluster/membership.ts holding the
 * cluster's lock, showing its steps as lines and a spinner.
 */
import {Flags} from '@oclif/core'
import {ClusterCommand, timeoutFlag} from '../../cli/cluster-command.js'
import {quorumLine, quorumText} from '../../cli/membership.js'
import {spinnerProgress, startSpinner} from '../../cli/render.js'
import {addNode, checkPlan, describeChange, dryRunResult, planNodeAdd, type NodeAddDryRun, type NodeAddResult} from '../../cluster/membership.js'

export default class NodeAdd extends ClusterCommand {
  static override summary = 'Add a new node to a local cluster (spawn, join, catch up, promote)'
  static override description = `Reserves the next node name (n4, n5, …; names are never reused) and a free port, spawns the daemon, and asks the leader to add it as a learner (member.add). A learner receives the log but does not vote, so adding it cannot hurt availability. Once its match index reaches the leader's last index (a spinner shows the progress), it is promoted to voter (member.promote), unless --learner. Prints voters, quorum and failures tolerated before and after.

A change that would leave the cluster without a quorum of live voters (voters the leader has heard from within an election timeout; the new node counts once caught up) is refused with UNSAFE_CHANGE (exit 1) unless --force, here and by the leader itself; --dry-run prints the plan and changes nothing. If the new node does not catch up within --timeout, it stays a learner and the command fails with TIMEOUT (exit 3): promote it later with "raftctl member promote".`

  static override examples = [
    {description: 'Grow the cluster by one voter', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Add a non-voting learner', command: '<%= config.bin %> <%= command.id %> --learner'},
    {description: 'Show what would change', command: '<%= config.bin %> <%= command.id %> --dry-run'},
  ]

  static override flags = {
    learner: Flags.boolean({description: 'leave the node a non-voting learner', default: false}),
    'dry-run': Flags.boolean({description: 'print the plan and the quorum change; change nothing', default: false}),
    force: Flags.boolean({description: 'do it even without a quorum of voters the leader hears afterwards (the leader\'s own check too)', default: false}),
    timeout: timeoutFlag('60s', 'how long the new node may take to catch up'),
  }

  async run(): Promise<NodeAddResult | NodeAddDryRun> {
    const {flags} = await this.parse(NodeAdd)
    const timeoutMs = this.duration(flags.timeout, '--timeout', 'timeout')
    const cluster = await this.openCluster(flags.cluster)
    const planned = await planNodeAdd(cluster, flags.learner)
    const {id, membership, plan} = planned
    this.log(`${flags['dry-run'] ? 'Plan' : 'Adding'}: ${describeChange(plan)} (leader ${membership.leader}, term ${membership.term})`)
    this.log(`  before: ${quorumText(plan.before)}`)
    this.log(`  after:  ${quorumText(plan.after)}`)
    checkPlan(plan, flags.force)
    if (!plan.safe) this.warn(`forced: ${plan.reason}`)
    if (flags['dry-run']) {
      this.log('Dry run: nothing changed.')
      return dryRunResult({id, learner: flags.learner}, plan)
    }

    const lock = await this.lock(cluster)
    const spinner = await startSpinner(`spawning ${id}`, !this.jsonEnabled())
    try {
      const added = await addNode(cluster, planned, {learner: flags.learner, force: flags.force, catchUpTimeoutMs: timeoutMs}, spinnerProgress(spinner, (line) => this.log(line)))
      spinner.stop()
      this.log(`Done: ${quorumLine(plan.before, plan.after)}`)
      return added
    } catch (error) {
      spinner.fail()
      throw error
    } finally {
      lock.release()
    }
  }
}
