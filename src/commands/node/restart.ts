/**
 * `raftctl node restart NODE`: graceful stop, then start.
 */
import {ClusterCommand, nodeArg} from '../../cli/cluster-command.js'
import {rejoinNote, waitUntilLeaderHears} from '../../cli/membership.js'

export default class NodeRestart extends ClusterCommand {
  static override summary = 'Restart one node (stop gracefully, then start)'
  static override description = `Stops the node like "raftctl node stop" (SIGTERM, SIGKILL after 10 s), then starts it like "raftctl node start" (waiting up to 5 s until the leader hears it). A node that was not running is just started.`

  static override examples = [
    {description: 'Restart n2', command: '<%= config.bin %> <%= command.id %> n2'},
  ]

  static override args = {node: nodeArg()}

  async run(): Promise<{id: string; previousPid: number | null; stopped: string; pid: number; heard: boolean}> {
    const {args, flags} = await this.parse(NodeRestart)
    const cluster = await this.openCluster(flags.cluster)
    const {previousPid, stopped, pid} = await this.exclusive(cluster, async () => {
      const previousPid = cluster.pid(args.node)
      const stopped = await cluster.stopNode(args.node)
      return {previousPid, stopped, pid: await cluster.startNode(args.node)}
    })
    const heard = await waitUntilLeaderHears(cluster, args.node)
    this.log(`Restarted ${args.node}: ${previousPid === null ? 'was not running' : `pid ${previousPid} ${stopped}`}, now pid ${pid}.${rejoinNote(heard)}`)
    return {id: args.node, previousPid, stopped, pid, heard}
  }
}
