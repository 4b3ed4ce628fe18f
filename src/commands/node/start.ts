/**
 * `raftctl node start NODE`: start one node's daemon again (it recovers from its data folder).
 */
import {ClusterCommand, nodeArg} from '../../cli/cluster-command.js'
import {describeStartupStatus, type StartupStatus} from '../../common/startup-status.js'

/** `node start --json`: the node, its pid, whether this call started it, and whether a leader hears it. */
export interface NodeStartResult {
  readonly id: string
  readonly pid: number
  readonly started: boolean
  /** The leader heard the node within NODE_REJOIN_WAIT_MS (false also when there is no leader). */
  readonly heard: boolean
}

/**
 * How long a start may take before its steps are shown (1 s): a node that starts at once prints
 * only "Started", one that replays a large state shows where it is.
 */
export const NODE_START_QUIET_MS = 1000

export default class NodeStart extends ClusterCommand {
  static override summary = 'Start one stopped node of a local cluster'
  static override description = `Spawns the node's daemon detached, with the options of the cluster's manifest; it recovers its log and hard state from its data folder and rejoins; while the daemon starts, the command shows each step it reports on stderr once the start takes more than a second (opening storage 40%, restoring state, checking disk, …) and keeps waiting as long as these move (it gives up after 15 s without a new step); a daemon that exits before it is ready has its reason printed (CORRUPT …, STORAGE_FULL …); then the command waits (up to 5 s) until the leader hears it, so that membership checks right after count it as up, and says so when no leader has. A node that already runs is left alone. A removed node cannot be started again (names are never reused): add a new node instead.`

  static override examples = [
    {description: 'Bring n2 back', command: '<%= config.bin %> <%= command.id %> n2'},
  ]

  static override args = {node: nodeArg()}

  async run(): Promise<NodeStartResult> {
    const {args, flags} = await this.parse(NodeStart)
    const cluster = await this.openCluster(flags.cluster)
    const {pid, started} = await this.exclusive(cluster, async () => {
      const running = cluster.pid(args.node)
      const begun = Date.now()
      const progress = (status: StartupStatus): void => {
        if (Date.now() - begun < NODE_START_QUIET_MS || status.phase === 'ready' || status.phase === 'failed') return
        process.stderr.write(`${args.node}: ${describeStartupStatus(status)}\n`)
      }
      return {pid: await cluster.startNode(args.node, [], flags.json ? undefined : progress), started: running === null}
    })
    const {rejoinNote, waitUntilLeaderHears} = await import('../../cluster/membership.js')
    const heard = await waitUntilLeaderHears(cluster, args.node)
    this.log(started ? `Started ${args.node} (pid ${pid}).${rejoinNote(heard)}` : `${args.node} is already running (pid ${pid}).`)
    return {id: args.node, pid, started, heard}
  }
}
