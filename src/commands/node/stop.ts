/**
 * `raftctl node stop NODE`: stop one node gracefully (SIGTERM, SIGKILL after 10 s).
 */
import {ClusterCommand, nodeArg} from '../../cli/cluster-command.js'
import type {StopOutcome} from '../../cluster/index.js'

/** `raftctl node stop --json`: the node, the pid it had, and how it ended (`stopped`, `killed` after the grace period, `not running`). */
export interface NodeStopResult {
  readonly id: string
  readonly pid: number | null
  readonly outcome: StopOutcome
}

export default class NodeStop extends ClusterCommand {
  static override summary = 'Stop one node gracefully'
  static override description = `Sends SIGTERM (SIGCONT first if the node is paused) and waits for the daemon to exit; after 10 seconds it is killed with SIGKILL. The node stays a member: the cluster sees it as down, and "raftctl node start" brings it back with its data.`

  static override examples = [
    {description: 'Stop n3', command: '<%= config.bin %> <%= command.id %> n3'},
  ]

  static override args = {node: nodeArg()}

  async run(): Promise<NodeStopResult> {
    const {args, flags} = await this.parse(NodeStop)
    const cluster = await this.openCluster(flags.cluster)
    const {pid, outcome} = await this.exclusive(cluster, async () => {
      const pid = cluster.pid(args.node)
      return {pid, outcome: await cluster.stopNode(args.node)}
    })
    this.log(outcome === 'not running' ? `${args.node} was not running.` : `${outcome === 'stopped' ? 'Stopped' : 'Killed (did not stop in time)'} ${args.node} (pid ${pid}).`)
    return {id: args.node, pid, outcome}
  }
}
