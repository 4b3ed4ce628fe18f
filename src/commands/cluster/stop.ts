/**
 * `raftctl cluster stop`: SIGTERM every node of a local cluster, wait, and report per node.
 * Data stays: `cluster start` brings the same cluster back.
 */
import {ClusterCommand} from '../../cli/cluster-command.js'
import {renderTable, startSpinner} from '../../cli/render.js'
import type {StopOutcome} from '../../cluster/index.js'

/** `raftctl cluster stop --json`: each node (removed ones only if they still ran), the pid it had, how it ended. */
export interface ClusterStopResult {
  readonly cluster: string
  readonly nodes: {readonly id: string; readonly pid: number | null; readonly outcome: StopOutcome}[]
}

export default class ClusterStop extends ClusterCommand {
  static override summary = 'Stop every node of a local cluster (data is kept)'
  static override description = `Sends SIGTERM to every running node (SIGCONT first to a paused one), waits for each to exit gracefully and sends SIGKILL after 10 seconds. Reports, per node: stopped, killed or not running. The manifest, the secret and every data folder stay: "raftctl cluster start" restarts the cluster.`

  static override examples = [
    {description: 'Stop the default cluster', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Stop the cluster "big" and get a JSON report', command: '<%= config.bin %> <%= command.id %> --cluster big --json'},
  ]

  async run(): Promise<ClusterStopResult> {
    const {flags} = await this.parse(ClusterStop)
    const cluster = await this.openCluster(flags.cluster)
    const nodes = await this.exclusive(cluster, async (): Promise<ClusterStopResult['nodes']> => {
      const m = cluster.manifest()
      // Removed nodes count only if something still runs under their name.
      const ids = m.nodes.filter((n) => !n.removed || cluster.pid(n.id) !== null).map((n) => n.id)
      const pids = new Map(ids.map((id) => [id, cluster.pid(id)]))
      const spinner = await startSpinner(`stopping ${ids.length} nodes of ${flags.cluster}`, !this.jsonEnabled())
      const outcomes = await cluster.stop(ids)
      spinner.stop()
      return outcomes.map((o) => ({id: o.id, pid: pids.get(o.id) ?? null, outcome: o.outcome}))
    })
    const stopped = nodes.filter((n) => n.outcome !== 'not running').length
    this.log(`Cluster ${flags.cluster}: ${stopped === 0 ? 'nothing was running' : `stopped ${stopped} of ${nodes.length} nodes`}.`)
    if (!this.jsonEnabled() && nodes.length > 0) {
      this.log(await renderTable({head: ['NODE', 'PID', 'OUTCOME'], rows: nodes.map((n) => [n.id, n.pid, n.outcome])}))
    }
    return {cluster: flags.cluster, nodes}
  }
}
