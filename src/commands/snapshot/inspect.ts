/**
 * `raftctl snapshot inspect FILE`: verify a snapshot file of `snapshot save` and describe it
 * (src/backup/inspect.ts). Reads the file only; needs no cluster.
 */
import {Args} from '@oclif/core'
import {BaseCommand} from '../../cli/base.js'
import {snapshotLines} from '../../cli/snapshot-view.js'
import type {SnapshotInspectResult} from '../../backup/inspect.js'

export default class SnapshotInspect extends BaseCommand {
  static override summary = 'Verify a snapshot file and show what it holds'
  static override description = `Reads a file written by "raftctl snapshot save", verifies its SHA-256 checksum and decodes the key-value state as a node would restore it, then shows: the cluster id it was taken from, the index and term, the members, the number of keys and client sessions, the sizes, the checksum, and the content hash.

The content hash is SHA-256 (hex) of the key-value state machine's snapshot encoding of the state at that index: the live consistency hash of a node at the same index is the same value (docs/operations.md).

A file that is not a snapshot (NOT_A_SNAPSHOT, exit 2), of an unknown format version (UNSUPPORTED_SNAPSHOT_VERSION, exit 2), cut short (SNAPSHOT_TRUNCATED, exit 1) or changed by even one byte (SNAPSHOT_CORRUPT, exit 1) is refused, naming the file and the problem.`

  static override examples = [
    {description: 'Describe a backup', command: '<%= config.bin %> <%= command.id %> backup.snap'},
    {description: 'The index, for scripts', command: "<%= config.bin %> <%= command.id %> backup.snap --json | jq .index"},
  ]

  static override args = {file: Args.string({description: 'snapshot file written by "raftctl snapshot save"', required: true})}

  async run(): Promise<SnapshotInspectResult> {
    const {args} = await this.parse(SnapshotInspect)
    const {inspectSnapshotFile} = await import('../../backup/inspect.js')
    const result = inspectSnapshotFile(args.file)
    this.log(`Snapshot ${result.file}`)
    for (const line of snapshotLines(result)) this.log(line)
    return result
  }
}
