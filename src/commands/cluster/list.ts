/**
 * `raftctl cluster list`: every cluster in RAFTCTL_HOME, local and attached, with its kind, its
 * node count, how many run (local) or answer (attached), and its leader (asked with a short timeout).
 */
import {Flags} from '@oclif/core'
import {ClusterCommand} from '../../cli/cluster-command.js'
import {renderTable} from '../../cli/render.js'

/** How long to ask a cluster for its leader: the list must stay quick. */
const LEADER_TIMEOUT_MS = 500

/** One cluster of `raftctl cluster list --json`. */
export interface ClusterListRow {
  readonly name: string
  /** `local` (spawned on this machine) or `attached` (runs elsewhere; `cluster attach`). */
  readonly kind: 'local' | 'attached'
  /** Nodes that were not removed (attached: the members learned, else the endpoints recorded). */
  readonly nodes: number
  /** Local: nodes whose process runs. Attached: members that answered (null when not asked). */
  readonly running: number | null
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
  static override summary = 'List the clusters: local and attached'
  static override description = `Lists every cluster in RAFTCTL_HOME (default ~/.raftctl): its kind ("local": spawned on this machine by "cluster start"; "attached": runs elsewhere, recorded by "cluster attach"), its nodes, how many are up (local: processes running; attached: members answering), and its leader and term (asked with a ${LEADER_TIMEOUT_MS} ms timeout; "-" when none answered). The cluster selected by --cluster (or RAFTCTL_CLUSTER) is marked with "*".`

  static override examples = [
    {description: 'All clusters', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'As JSON, without asking for leaders', command: '<%= config.bin %> <%= command.id %> --json --no-leader'},
  ]

  static override flags = {
    leader: Flags.boolean({description: 'ask running clusters for their leader', default: true, allowNo: true}),
  }

  async run(): Promise<ClusterListResult> {
    const {flags} = await this.parse(ClusterList)
    const {LocalCluster, listClusters, listAttached, loadAttachment, openAttached, raftctlHome, activeNodes, attachmentFile} = await import('../../cluster/index.js')
    const home = raftctlHome()
    const local = listClusters(home).map(async (name): Promise<ClusterListRow> => {
      const cluster = new LocalCluster(name, home)
      const nodes = activeNodes(cluster.manifest())
      const running = nodes.filter((n) => cluster.pid(n.id) !== null).length
      const st = flags.leader && running > 0 ? await cluster.status(LEADER_TIMEOUT_MS).catch(() => null) : null
      return {name, kind: 'local', nodes: nodes.length, running, leader: st?.leader ?? null, term: st && st.term > 0 ? st.term : null, current: name === flags.cluster, path: cluster.paths.dir}
    })
    const attached = listAttached(home).map(async (name): Promise<ClusterListRow> => {
      const endpoints = loadAttachment(name, home).endpoints.length
      const st = flags.leader ? await Promise.resolve().then(() => openAttached(name, home).status(LEADER_TIMEOUT_MS)).catch(() => null) : null
      return {
        name, kind: 'attached', nodes: st?.nodes.length ?? endpoints, running: st ? st.nodes.filter((n) => n.reachable).length : null,
        leader: st?.leader ?? null, term: st && st.term > 0 ? st.term : null, current: name === flags.cluster, path: attachmentFile(name, home),
      }
    })
    const clusters = (await Promise.all([...local, ...attached])).sort((a, b) => a.name.localeCompare(b.name))
    if (!this.jsonEnabled()) {
      if (clusters.length === 0) this.log(`No clusters in ${home} (create one with: raftctl cluster start, or attach one with: raftctl cluster attach)`)
      else {
        this.log(await renderTable({
          head: ['', 'NAME', 'KIND', 'NODES', 'UP', 'LEADER', 'TERM', 'PATH'],
          rows: clusters.map((c) => [c.current ? '*' : '', c.name, c.kind, c.nodes, c.running, c.leader, c.term, c.path]),
          align: ['left', 'left', 'left', 'right', 'right', 'left', 'right', 'left'],
        }))
      }
    }
    return {home, clusters}
  }
}
