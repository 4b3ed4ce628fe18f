/**
 * `raftctl node add`: spawn a new daemon, add it as a learner through the leader, wait until it
 * has caught up, then promote it to voter (unless --learner). Prints the quorum before and after
 * and refuses a change that would leave the cluster without a quorum of live voters.
 */
import {setTimeout as delay} from 'node:timers/promises'
import {Flags} from '@oclif/core'
import {RaftctlError} from '../../common/errors.js'
import {ClusterCommand, timeoutFlag} from '../../cli/cluster-command.js'
import {checkPlan, describeChange, leaderChange, membershipOf, planChange, quorumLine, quorumText} from '../../cli/membership.js'
import {startSpinner, type Spinner} from '../../cli/render.js'
import type {LocalCluster} from '../../cluster/index.js'

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

  async run(): Promise<unknown> {
    const {flags} = await this.parse(NodeAdd)
    const timeoutMs = this.duration(flags.timeout, '--timeout', 'timeout')
    const cluster = await this.openCluster(flags.cluster)
    const st = await cluster.waitForLeader(10_000)
    const membership = membershipOf(st)
    const id = `n${cluster.manifest().nextNode}`
    const plan = planChange(membership, flags.learner ? 'add-learner' : 'add', id, true)
    this.log(`${flags['dry-run'] ? 'Plan' : 'Adding'}: ${describeChange(plan)} (leader ${membership.leader}, term ${membership.term})`)
    this.log(`  before: ${quorumText(plan.before)}`)
    this.log(`  after:  ${quorumText(plan.after)}`)
    checkPlan(plan, flags.force)
    if (!plan.safe) this.warn(`forced: ${plan.reason}`)
    const summary = {before: plan.before, after: plan.after}
    if (flags['dry-run']) {
      this.log('Dry run: nothing changed.')
      return {dryRun: true, id, learner: flags.learner, ...summary, safe: plan.safe, ...(plan.reason ? {reason: plan.reason} : {})}
    }

    const lock = await this.lock(cluster)
    const spinner = await startSpinner(`spawning ${id}`, !this.jsonEnabled())
    try {
      const node = await cluster.spawnNewNode()
      const pid = cluster.pid(node.id)
      this.logStep(spinner, `spawned ${node.id} (pid ${pid}, ${node.address})`)
      spinner.text(`adding ${node.id} as a learner`)
      let added
      try {
        added = await this.onLeader(cluster, (client) => client.addMember(node.id, node.address, {learner: true, timeoutMs: 10_000, force: flags.force}), 10_000)
      } catch (error) {
        await cluster.stopNode(node.id).catch(() => undefined)
        cluster.forgetNode(node.id)
        throw error
      }
      this.logStep(spinner, `added ${node.id} as a learner (configuration entry ${added.index})`)
      const caughtUp = await waitForCatchUp(cluster, node.id, timeoutMs, (match, target) => spinner.text(`${node.id} catching up: match ${match}/${target}`))
      this.logStep(spinner, `${node.id} caught up: match ${caughtUp.match}/${caughtUp.target}`)
      let members = added.members
      let promotedAt: number | null = null
      if (!flags.learner) {
        spinner.text(`promoting ${node.id} to voter`)
        const promoted = await leaderChange({change: 'promote', node: node.id}, () => this.onLeader(cluster, (client) => client.promoteMember(node.id, {timeoutMs: 10_000, force: flags.force}), 10_000))
        members = promoted.members
        promotedAt = promoted.index
        this.logStep(spinner, `promoted ${node.id} to voter (configuration entry ${promoted.index})`)
      }
      spinner.stop()
      this.log(`Done: ${quorumLine(plan.before, plan.after)}`)
      return {
        id: node.id, address: node.address, pid, learner: flags.learner, addedAt: added.index, promotedAt, caughtUp, ...summary,
        members: {voters: members.voters.map((v) => v.id), learners: members.learners.map((l) => l.id)},
      }
    } catch (error) {
      spinner.fail()
      throw error
    } finally {
      lock.release()
    }
  }

  /** A finished step: a line above the spinner (a plain line without a TTY). */
  private logStep(spinner: Spinner, text: string): void {
    spinner.above(() => this.log(`  ${text}`))
  }
}

/**
 * Wait until the leader reports `id`'s match index at or past the leader's last index as it was
 * when waiting began. TIMEOUT (exit 3) when it does not within `timeoutMs`.
 */
async function waitForCatchUp(cluster: LocalCluster, id: string, timeoutMs: number, progress: (match: number, target: number) => void): Promise<{match: number; target: number}> {
  const end = Date.now() + timeoutMs
  let target: number | null = null
  let match = 0
  while (Date.now() < end) {
    const st = await cluster.status()
    const leader = st.nodes.find((n) => n.id === st.leader)?.detail
    if (leader) {
      target ??= leader.lastIndex
      match = leader.progress.find((p) => p.id === id)?.match ?? 0
      progress(match, target)
      if (match >= target) return {match, target}
    }
    await delay(100)
  }
  throw new RaftctlError('TIMEOUT', `${id} did not catch up within ${timeoutMs} ms (match ${match}/${target ?? '?'}); it stays a learner: promote it later with "raftctl member promote ${id}"`)
}
