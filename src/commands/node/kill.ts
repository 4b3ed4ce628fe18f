/**
 * `raftctl node kill NODE`: crash one node (SIGKILL): no graceful shutdown.
 */
import {ClusterCommand, nodeArg} from '../../cli/cluster-command.js'

/** `raftctl node kill --json`: the node, the pid it had, and whether a process was killed. */
export interface NodeKillResult {
  readonly id: string
  readonly pid: number | null
  readonly killed: boolean
}

export default class NodeKill extends ClusterCommand {
  static override summary = 'Crash one node with SIGKILL'
  static override description = `Sends SIGKILL: the daemon dies at once, as in a power cut of the process (writes it had acknowledged are on disk: they were fsynced first). Bring it back with "raftctl node start".`

  static override examples = [
    {description: 'Crash n1', command: '<%= config.bin %> <%= command.id %> n1'},
    {description: 'Crash the leader', command: '<%= config.bin %> <%= command.id %> $(<%= config.bin %> leader --json | jq -r .leader)'},
  ]

  static override args = {node: nodeArg()}

  async run(): Promise<NodeKillResult> {
    const {args, flags} = await this.parse(NodeKill)
    const cluster = await this.openCluster(flags.cluster)
    const {pid, killed} = await this.exclusive(cluster, async () => {
      const pid = cluster.pid(args.node)
      return {pid, killed: await cluster.killNode(args.node)}
    })
    this.log(killed ? `Killed ${args.node} (pid ${pid}).` : `${args.node} was not running.`)
    return {id: args.node, pid, killed}
  }
}
