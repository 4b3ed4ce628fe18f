/**
 * `raftctl node restart NODE`: graceful stop, then start.
 */
import {ClusterCommand, nodeArg} from '../../cli/cluster-command.js'
import type {StopOutcome} from '../../cluster/index.js'

/** `raftctl node restart --json`: the pid before (null: it was not running), how it stopped, the new pid. */
export interface NodeRestartResult {
  readonly id: string
  readonly previousPid: number | null
  readonly stopped: StopOutcome
  readonly pid: number
  /** The leader heard the node within NODE_REJOIN_WAIT_MS (false also when there is no leader). */
  readonly heard: boolean
}

export default class NodeRestart extends ClusterCommand {
  static override summary = 'Restart one node (stop gracefully, then start)'
  static override description = `Stops the node like "raftctl node stop" (SIGTERM, SIGKILL after 10 s), then starts it like "raftctl node start" (waiting up to 5 s until the leader hears it). A node that was not running is just started.`

  static override examples = [
    {description: 'Restart n2', command: '<%= config.bin %> <%= command.id %> n2'},
  ]

  static override args = {node: nodeArg()}

  async run(): Promise<NodeRestartResult> {
    const {args, flags} = await this.parse(NodeRestart)
    const cluster = await this.openCluster(flags.cluster)
    const {previousPid, stopped, pid} = await this.exclusive(cluster, async () => {
      const previousPid = cluster.pid(args.node)
      const stopped = await cluster.stopNode(args.node)
      return {previousPid, stopped, pid: await cluster.startNode(args.node)}
    })
    const {rejoinNote, waitUntilLeaderHears} = await import('../../cluster/membership.js')
    const heard = await waitUntilLeaderHears(cluster, args.node)
    this.log(`Restarted ${args.node}: ${previousPid === null ? 'was not running' : `pid ${previousPid} ${stopped}`}, now pid ${pid}.${rejoinNote(heard)}`)
    return {id: args.node, previousPid, stopped, pid, heard}
  }
}
