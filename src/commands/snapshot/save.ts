/**
 * `raftctl snapshot save FILE [--node ID]`: stream a consistent snapshot of the state machine
 * from the leader (or --node) into FILE (src/cluster/snapshot.ts), with a progress line on a TTY.
 */
import {Args, Flags} from '@oclif/core'
import {ClusterCommand, timeoutFlag} from '../../cli/cluster-command.js'
import {startSpinner} from '../../cli/render.js'
import {progressText, snapshotLines} from '../../cli/snapshot-view.js'
import type {SnapshotSaveResult} from '../../cluster/snapshot.js'

export default class SnapshotSave extends ClusterCommand {
  static override summary = 'Save a consistent snapshot of the cluster\'s state to a file (a backup)'
  static override description = `Asks the leader (or --node) for a snapshot of its state machine at its applied index: every key and value, the client sessions (exactly-once records), the membership, the index and its term, and the cluster id. The node takes a durable local snapshot in the background (its event loop keeps serving) and streams it over the admin channel in chunks of 256 KiB. The file is written under a temporary name beside FILE, checksummed (SHA-256) as it arrives, fsynced, renamed over FILE, and then read back and verified. On any failure FILE is left as it was and the temporary file is removed.

The state is that of one index: every write acknowledged before the save began is in it when saved from the leader (a follower's may lag a little behind). Restore it with "raftctl snapshot restore" (a new local cluster) or "raftctl node run --restore" (nodes on other hosts); see docs/operations.md.`

  static override examples = [
    {description: 'Back up the default cluster', command: '<%= config.bin %> <%= command.id %> backup.snap'},
    {description: 'From a given node of the cluster "big"', command: '<%= config.bin %> <%= command.id %> /backups/big.snap --cluster big --node n2'},
  ]

  static override args = {file: Args.string({description: 'file to write (replaced atomically if it exists)', required: true})}

  static override flags = {
    node: Flags.string({description: 'save from this node instead of the leader'}),
    timeout: timeoutFlag('60s', 'how long to wait for the node to take its snapshot, and for each chunk'),
  }

  async run(): Promise<SnapshotSaveResult> {
    const {args, flags} = await this.parse(SnapshotSave)
    const timeoutMs = this.duration(flags.timeout, '--timeout', 'timeout')
    const cluster = await this.openHandle(flags)
    const {saveSnapshot} = await import('../../cluster/snapshot.js')
    const spinner = await startSpinner(`asking ${flags.node ?? 'the leader'} for a snapshot`, !this.jsonEnabled())
    let result: SnapshotSaveResult
    try {
      result = await saveSnapshot(cluster, args.file, {node: flags.node, timeoutMs, onProgress: (received, total) => spinner.text(progressText(received, total))})
      spinner.stop()
    } catch (error) {
      spinner.fail()
      throw error
    }
    this.log(`Saved snapshot ${result.file} in ${result.seconds.toFixed(2)} s`)
    for (const line of snapshotLines(result)) this.log(line)
    return result
  }
}
