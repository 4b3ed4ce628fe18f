/**
 * `raftctl recover [--from NODE]`: disaster recovery of a local cluster that lost its quorum for
 * good. Surveys the nodes (stopped ones read offline by src/daemon's reader), prints each
 * survivor's last index and term and what will be lost, asks for confirmation, then runs the
 * workflow of src/cluster/recover.ts holding the cluster's lock.
 */
import {Flags} from '@oclif/core'
import {ClusterCommand} from '../cli/cluster-command.js'
import {confirmOrRefuse} from '../cli/kv-range.js'
import {renderTable, spinnerProgress, startSpinner} from '../cli/render.js'
import type {LocalCluster, RecoverPlan, RecoverResult, SurvivorRow} from '../cluster/index.js'

/** `raftctl recover --dry-run --json`: the plan, nothing changed. */
export type RecoverDryRun = {readonly dryRun: true} & RecoverPlan

export default class Recover extends ClusterCommand {
  static override summary = 'Recover a cluster that lost its quorum for good, from one survivor'
  static override description = `For when a majority of the voters is gone for good (etcd's --force-new-cluster, Consul's peers.json). Shows every node's last index and term (running nodes answer; stopped ones are read offline), picks the most up-to-date survivor (last term, then last index) unless --from names one, and says plainly which writes may be lost: those the survivor does not hold. After confirmation (--yes in scripts; without a terminal and without --yes: NEEDS_CONFIRMATION, exit 2) it stops every node, gives the cluster a NEW cluster id with the survivor alone, and starts the survivor with --force-new-cluster: its log and state are kept, its membership becomes itself alone, the whole log is committed, and it elects itself. Grow it back with "raftctl node add".

The other nodes are marked removed (names never reused); their data folders are kept (for "wal dump") and record the old cluster id, so they can never rejoin. A cluster where a quorum of voters still holds usable data is refused with QUORUM_PRESENT (exit 1): start the stopped nodes, or take a dead node out with "raftctl node remove". See docs/operations.md.`

  static override examples = [
    {description: 'See the survivors and what would be lost', command: '<%= config.bin %> <%= command.id %> --dry-run'},
    {description: 'Recover from the most up-to-date survivor, then grow back to three voters', command: '<%= config.bin %> <%= command.id %> && <%= config.bin %> node add && <%= config.bin %> node add'},
    {description: 'In a script, from n1', command: '<%= config.bin %> <%= command.id %> --from n1 --yes'},
  ]

  static override flags = {
    from: Flags.string({description: 'the survivor to recover from (default: the most up-to-date one)'}),
    yes: Flags.boolean({char: 'y', description: 'do not ask for confirmation', default: false}),
    'dry-run': Flags.boolean({description: 'print the survivors and what would be lost; change nothing', default: false}),
  }

  async run(): Promise<RecoverResult | RecoverDryRun> {
    const {flags} = await this.parse(Recover)
    const cluster = await this.openCluster(flags.cluster)
    const plan = await this.plan(cluster, flags.from)
    await this.show(plan)
    if (flags['dry-run']) {
      this.log('Dry run: nothing changed.')
      return {dryRun: true, ...plan}
    }
    await confirmOrRefuse(flags.yes, this.jsonEnabled(), `Recover cluster "${plan.cluster}" from ${plan.chosen} alone, under a new cluster id?`,
      `recovering cluster ${plan.cluster} from ${plan.chosen} removes every other node and may lose writes`, 'cancelled: nothing was changed')
    const {recoverCluster} = await import('../cluster/index.js')
    const lock = await this.lock(cluster)
    const spinner = await startSpinner(`recovering from ${plan.chosen}`, !this.jsonEnabled())
    try {
      const checked = await this.plan(cluster, plan.chosen) // the cluster may have changed while we asked
      const result = await recoverCluster(cluster, checked, spinnerProgress(spinner, (line) => this.log(line)))
      spinner.stop()
      this.log(`Done: ${result.node} leads a one-node cluster (id ${result.clusterId}, term ${result.term}, last index ${result.lastIndex}).`)
      this.log(`Grow it back with "raftctl node add${flags.cluster === 'default' ? '' : ` --cluster ${flags.cluster}`}" (once per node).`)
      return result
    } catch (error) {
      spinner.fail()
      throw error
    } finally {
      lock.release()
    }
  }

  private async plan(cluster: LocalCluster, from: string | undefined): Promise<RecoverPlan> {
    const {planRecover, surveySurvivors, activeNodes} = await import('../cluster/index.js')
    const {readStoredPosition} = await import('../daemon/force-new-cluster.js')
    const m = cluster.manifest()
    const survivors = await surveySurvivors(cluster, readStoredPosition)
    return planRecover({name: cluster.name, clusterId: m.clusterId ?? null, nodes: activeNodes(m).map((n) => n.id)}, survivors, from)
  }

  private async show(plan: RecoverPlan): Promise<void> {
    const {lossLines} = await import('../cluster/index.js')
    const rows = plan.survivors.map((s: SurvivorRow) => [
      s.id, s.state, s.position?.term, s.position?.lastIndex, s.position?.lastTerm, s.position?.commitIndex,
      s.id === plan.chosen ? 'recover from it' : s.position ? 'removed' : s.reason ?? '',
    ])
    this.log(await renderTable({head: ['node', 'state', 'term', 'last index', 'last term', 'commit', ''], rows}))
    this.log(`Voters ${plan.voters.join(', ')} (quorum ${plan.quorum}); with usable data: ${plan.present.join(', ') || 'none'}.`)
    for (const line of lossLines(plan)) this.log(line)
  }
}
