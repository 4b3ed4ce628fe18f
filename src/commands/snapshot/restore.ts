/**
 * `raftctl snapshot restore FILE --cluster NEW [--nodes 3]`: create a new local cluster from a
 * snapshot file and start it (src/cluster/snapshot.ts), then show its status.
 */
import {Args, Flags} from '@oclif/core'
import {ClusterCommand, timeoutFlag} from '../../cli/cluster-command.js'
import {renderStatus, statusJson, type StatusJson} from '../../cli/status-view.js'
import {startSpinner, useColor} from '../../cli/render.js'
import {snapshotLines} from '../../cli/snapshot-view.js'
import type {SnapshotInspectResult} from '../../backup/inspect.js'

/** `raftctl snapshot restore --json`: the new cluster's status, its id, and the snapshot it came from. */
export type SnapshotRestoreResult = StatusJson & {
  readonly clusterId: string
  /** The snapshot file, as `snapshot inspect` describes it. */
  readonly restoredFrom: SnapshotInspectResult
  /** True when a stopped cluster of that name was replaced (--force). */
  readonly replaced: boolean
  /** The cluster's folder. */
  readonly path: string
}

export default class SnapshotRestore extends ClusterCommand {
  static override summary = 'Create and start a new local cluster from a snapshot file'
  static override description = `Verifies FILE (as "snapshot inspect" does), then creates the local cluster --cluster with --nodes new nodes and a NEW random cluster id, so that nodes of the cluster the snapshot came from can never talk to it (they are refused with CLUSTER_MISMATCH). Each node lays out its data folder from the snapshot ("node run --restore"): the state at the snapshot's index and term, with the new nodes as the membership. Then the nodes start, elect a leader, and the status is shown. Every key, value and client session of the snapshot is there; nothing written after it.

Refused, changing nothing: a damaged file (its code, see "snapshot inspect"); a cluster of that name that is running (CLUSTER_RUNNING, even with --force); an existing stopped cluster of that name (CLUSTER_EXISTS) unless --force, which deletes it first. For nodes on other hosts use "raftctl node run --restore" (docs/operations.md).`

  static override examples = [
    {description: 'Restore a backup as the new 3-node cluster "restored"', command: '<%= config.bin %> <%= command.id %> backup.snap --cluster restored'},
    {description: 'As a one-node cluster, replacing a stopped one of that name', command: '<%= config.bin %> <%= command.id %> backup.snap --cluster lab --nodes 1 --force'},
  ]

  static override args = {file: Args.string({description: 'snapshot file written by "raftctl snapshot save"', required: true})}

  static override flags = {
    nodes: Flags.integer({char: 'n', description: 'number of nodes of the new cluster', default: 3, min: 1, max: 15}),
    force: Flags.boolean({description: 'replace an existing, stopped cluster of that name (its data is deleted)', default: false}),
    timeout: timeoutFlag('20s', 'how long to wait for a leader'),
  }

  async run(): Promise<SnapshotRestoreResult> {
    const {args, flags} = await this.parse(SnapshotRestore)
    const timeoutMs = this.duration(flags.timeout, '--timeout', 'timeout')
    const cluster = await this.openCluster(flags.cluster, false)
    const {restoreSnapshot} = await import('../../cluster/snapshot.js')
    const {waitForSettledLeader} = await import('../../cluster/leadership.js')
    const spinner = await startSpinner(`restoring ${args.file} into cluster ${flags.cluster}`, !this.jsonEnabled())
    try {
      const outcome = await this.exclusive(cluster, () => restoreSnapshot(cluster, args.file, {nodes: flags.nodes, force: flags.force}))
      spinner.text(`waiting for a leader (${outcome.nodes.join(', ')} started)`)
      const status = await waitForSettledLeader(cluster, timeoutMs)
      spinner.stop()
      this.log(`Restored ${outcome.from.file} into the new cluster ${flags.cluster} (cluster id ${outcome.clusterId}) with ${outcome.nodes.join(', ')}:`)
      for (const line of snapshotLines(outcome.from)) this.log(line)
      if (!this.jsonEnabled()) this.log(await renderStatus(status, {color: useColor()}))
      return {...statusJson(status), clusterId: outcome.clusterId, restoredFrom: outcome.from, replaced: outcome.replaced, path: cluster.paths.dir}
    } catch (error) {
      spinner.fail()
      throw error
    }
  }
}
