/**
 * `raftctl cluster start`: create a local cluster the first time (manifest, secret, data dirs),
 * start every node that is not running as a detached daemon, wait for a leader, show the status.
 */
import {Flags} from '@oclif/core'
import {ClusterCommand, timeoutFlag} from '../../cli/cluster-command.js'
import {renderStatus, statusJson, type StatusJson} from '../../cli/status-view.js'
import {startSpinner, useColor} from '../../cli/render.js'
import {waitForSettledLeader} from '../../cluster/leadership.js'
import {NODE_DEFAULTS} from '../../common/defaults.js'

/** `raftctl cluster start --json`: the status document, and what this start did. */
export type ClusterStartResult = StatusJson & {
  readonly created: boolean
  /** Nodes this start spawned (empty: every node already ran). */
  readonly started: string[]
  readonly alreadyRunning: boolean
  /** The cluster's folder. */
  readonly path: string
}

export default class ClusterStart extends ClusterCommand {
  static override summary = 'Create (the first time) and start a local cluster'
  static override description = `The first start creates the cluster in RAFTCTL_HOME/<name>: a manifest, a random secret (file mode 0600, folder 0700), a data folder, log file and pid file per node, and free ports on 127.0.0.1. Every node that is not running is started as a detached daemon (the options of "raftctl node run", through the lean entry dist/daemon/entry.js; see docs/cli.md); then the command waits for a leader and prints the status table. Starting a cluster whose nodes all run changes nothing. --nodes only counts when the cluster is created: grow it later with "raftctl node add".`

  static override examples = [
    {description: 'Start (or create) the default 3-node cluster', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'A 5-node cluster named "big"', command: '<%= config.bin %> <%= command.id %> --nodes 5 --cluster big'},
    {description: 'Machine-readable result', command: '<%= config.bin %> <%= command.id %> --json'},
  ]

  static override flags = {
    nodes: Flags.integer({char: 'n', description: 'number of founding nodes when the cluster is created [default: 3]', min: 1, max: 15}),
    timeout: timeoutFlag('20s', 'how long to wait for a leader'),
    'consistency-check-every': Flags.string({description: 'the leader compares every member\'s state hash this often and raises an alarm when they differ (e.g. 1m; off: never); recorded for the nodes started from now on [default: off]'}),
    'watch-history': Flags.integer({description: `changing entries each node keeps for watches to resume from (older: COMPACTED; "node run --watch-history"); recorded for the nodes started from now on [default: ${NODE_DEFAULTS.watchHistory}]`, min: 1}),
  }

  async run(): Promise<ClusterStartResult> {
    const {flags} = await this.parse(ClusterStart)
    const timeoutMs = this.duration(flags.timeout, '--timeout', 'timeout')
    const cluster = await this.openCluster(flags.cluster, false)
    const existed = cluster.exists()
    const spinner = await startSpinner(existed ? `starting cluster ${flags.cluster}` : `creating cluster ${flags.cluster} with ${flags.nodes ?? 3} nodes`, !this.jsonEnabled())
    let result: {created: boolean; started: string[]}
    try {
      const every = flags['consistency-check-every']
      if (every !== undefined && every !== 'off') this.duration(every, '--consistency-check-every', 'pollInterval')
      const options = {...(every === undefined ? {} : {consistencyCheckEvery: every}), ...(flags['watch-history'] === undefined ? {} : {watchHistory: flags['watch-history']})}
      result = await this.exclusive(cluster, () => cluster.start(flags.nodes ?? 3, options))
      spinner.text(`waiting for a leader (${result.started.length} started)`)
      // Show a settled table: the other nodes have had a moment to hear from the leader.
      const status = await waitForSettledLeader(cluster, timeoutMs)
      spinner.stop()
      const alreadyRunning = !result.created && result.started.length === 0
      if (!result.created && flags.nodes !== undefined && status.nodes.length !== flags.nodes) {
        this.warn(`--nodes ${flags.nodes} ignored: cluster ${flags.cluster} already exists with ${status.nodes.length} nodes (use "raftctl node add")`)
      }
      if (alreadyRunning) this.log(`Cluster ${flags.cluster} is already running (${status.nodes.length} nodes); nothing changed.`)
      else if (result.created) this.log(`Created cluster ${flags.cluster} in ${cluster.paths.dir} and started ${result.started.join(', ')}.`)
      else this.log(`Started ${result.started.join(', ')} of cluster ${flags.cluster}.`)
      if (!this.jsonEnabled()) {
        this.log(await renderStatus(status, {color: useColor()}))
      }
      return {...statusJson(status), created: result.created, started: result.started, alreadyRunning, path: cluster.paths.dir}
    } catch (error) {
      spinner.fail()
      throw error
    }
  }
}
