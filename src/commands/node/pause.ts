/**
 * `raftctl node pause NODE`: freeze one node (SIGSTOP): a process that hangs, not one that died.
 */
import {ClusterCommand, nodeArg} from '../../cli/cluster-command.js'

/** `raftctl node pause --json`. */
export interface NodePauseResult {
  readonly id: string
  readonly pid: number
  readonly paused: boolean
}

export default class NodePause extends ClusterCommand {
  static override summary = 'Freeze one node with SIGSTOP'
  static override description = `Sends SIGSTOP: the daemon keeps its sockets open but stops answering, like a process stuck in a long GC pause or a hung VM. Its peers time out on it; "raftctl status" shows it as paused. "raftctl node resume" continues it (it may then find itself a stale leader and step down).`

  static override examples = [
    {description: 'Freeze the leader for a while', command: '<%= config.bin %> <%= command.id %> n1 && sleep 5 && <%= config.bin %> node resume n1'},
  ]

  static override args = {node: nodeArg()}

  async run(): Promise<NodePauseResult> {
    const {args, flags} = await this.parse(NodePause)
    const cluster = await this.openCluster(flags.cluster)
    const pid = cluster.pauseNode(args.node, true)
    this.log(`Paused ${args.node} (pid ${pid}); resume it with: raftctl node resume ${args.node}${flags.cluster === 'default' ? '' : ` --cluster ${flags.cluster}`}`)
    return {id: args.node, pid, paused: true}
  }
}
