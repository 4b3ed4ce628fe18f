/**
 * `raftctl node resume NODE`: continue a paused node (SIGCONT).
 */
import {ClusterCommand, nodeArg} from '../../cli/cluster-command.js'

/** `raftctl node resume --json`. */
export interface NodeResumeResult {
  readonly id: string
  readonly pid: number
  readonly paused: boolean
}

export default class NodeResume extends ClusterCommand {
  static override summary = 'Continue a node paused with "node pause"'
  static override description = `Sends SIGCONT to a node frozen by "raftctl node pause". A node that is not paused is unaffected.`

  static override examples = [
    {description: 'Continue n1', command: '<%= config.bin %> <%= command.id %> n1'},
  ]

  static override args = {node: nodeArg()}

  async run(): Promise<NodeResumeResult> {
    const {args, flags} = await this.parse(NodeResume)
    const cluster = await this.openCluster(flags.cluster)
    const pid = cluster.pauseNode(args.node, false)
    this.log(`Resumed ${args.node} (pid ${pid}).`)
    return {id: args.node, pid, paused: false}
  }
}
