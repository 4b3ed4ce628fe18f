/**
 * `raftctl chaos disk --fsync-delay 200ms [--node NODE]`: a slow disk.
 */
import {Flags} from '@oclif/core'
import {ChaosCommand, faultFlags, parseNodeList, type AddedFaultJson} from '../../cli/chaos.js'

export default class ChaosDisk extends ChaosCommand {
  static override summary = 'Make durable writes slow, as with a slow fsync'
  static override description = `Every durable save of the node (new log entries, term and vote, snapshots) takes --fsync-delay longer. The daemon's writes are synchronous, so while it waits it does nothing else: no heartbeats, no answers. A slow leader disk raises write latency; a delay near the election timeout makes followers elect someone else. At most 10s. --node limits the fault to those nodes (default: every node).`

  static override examples = [
    {description: 'Slow every disk by 200 ms', command: '<%= config.bin %> <%= command.id %> --fsync-delay 200ms'},
    {description: 'Only n2, for 30 seconds', command: '<%= config.bin %> <%= command.id %> --fsync-delay 50ms --node n2 --for 30s'},
  ]

  static override flags = {
    'fsync-delay': Flags.string({description: 'extra time of each durable write (e.g. 200ms, 1s)', required: true}),
    node: Flags.string({description: 'only these nodes (comma-separated; default: every node)'}),
    ...faultFlags('disk'),
  }

  async run(): Promise<AddedFaultJson> {
    const {flags} = await this.parse(ChaosDisk)
    const fsyncDelayMs = this.duration(flags['fsync-delay'], '--fsync-delay', 'span')
    return this.addFault(flags, {kind: 'disk', fsyncDelayMs}, parseNodeList(flags.node, '--node list'))
  }
}
