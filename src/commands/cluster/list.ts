/**
 * `raftctl cluster list`: every local cluster in RAFTCTL_HOME with its node count, how many
 * run, and its leader (asked with a short timeout).
 */
import {Flags} from '@oclif/core'
import {ClusterCommand} from '../../cli/cluster-command.js'
import {renderTable} from '../../cli/render.js'

/** How long to ask a cluster for its leader: the list must stay quick. */
const LEADER_TIMEOUT_MS = 500

/** One cluster of `raftctl cluster list --json`. */
export interface ClusterListRow {
  readonly name: string
  /** Nodes that were not removed. */
  readonly nodes: number
  readonly running: number
  /** Only with --leader (else null). */
  readonly leader: string | null
  readonly term: number | null
  /** The cluster --cluster names. */
  readonly current: boolean
  readonly path: string
}

/** `raftctl cluster list --json`. */
export interface ClusterListResult {
  readonly home: string
  readonly clusters: ClusterListRow[]
}

export default class ClusterList extends ClusterCommand {
  static override summary = 'List the local clusters'
  static override description = `Lists every cluster in RAFTCTL_HOME (default ~/.raftctl): its nodes, how many are running, and its leader and term (asked with a ${LEADER_TIMEOUT_MS} ms timeout; "-" when none answered). The cluster selected by --cluster (or RAFTCTL_CLUSTER) is marked with "*".`

  static override examples = [
    {description: 'All clusters', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'As JSON, without asking for leaders', command: '<%= config.bin %> <%= command.id %> --json --no-leader'},
  ]

  static override flags = {
    leader: Flags.boolean({description: 'ask running clusters for their leader', default: true, allowNo: true}),
  }

  async run(): Promise<ClusterListResult> {
    const {flags} = await this.parse(ClusterList)
    const {LocalCluster, listClusters, raftctlHome, activeNodes} = await import('../../cluster/index.js')
    const home = raftctlHome()
    const clusters: ClusterListRow[] = await Promise.all(listClusters(home).map(async (name) => {
      const cluster = new LocalCluster(name, home)
      const nodes = activeNodes(cluster.manifest())
      const running = nodes.filter((n) => cluster.pid(n.id) !== null).length
      let leader: string | null = null
      let term: number | null = null
      if (flags.leader && running > 0) {
        const st = await cluster.status(LEADER_TIMEOUT_MS).catch(() => null)
        leader = st?.leader ?? null
        term = st && st.term > 0 ? st.term : null
      }
      return {name, nodes: nodes.length, running, leader, term, current: name === flags.cluster, path: cluster.paths.dir}
    }))
    if (!this.jsonEnabled()) {
      if (clusters.length === 0) this.log(`No clusters in ${home} (create one with: raftctl cluster start)`)
      else {
        this.log(await renderTable({
          head: ['', 'NAME', 'NODES', 'RUNNING', 'LEADER', 'TERM', 'PATH'],
          rows: clusters.map((c) => [c.current ? '*' : '', c.name, c.nodes, c.running, c.leader, c.term, c.path]),
          align: ['left', 'left', 'right', 'right', 'left', 'right', 'left'],
        }))
      }
    }
    return {home, clusters}
  }
}
