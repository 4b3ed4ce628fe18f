/**
 * `raftctl chaos reorder --rate R --ms MS [--from NODE] [--to NODE]`: hold some messages back
 * so that later ones overtake them.
 */
import {Flags} from '@oclif/core'
import {ChaosCommand, faultFlags, linkFlags, parseMillis, parseNodeList, parseRate, type AddedFaultJson} from '../../cli/chaos.js'

export default class ChaosReorder extends ChaosCommand {
  static override summary = 'Reorder messages by holding some back'
  static override description = `With probability --rate, a message a node sends is held back for a random time of up to --ms milliseconds, so messages sent after it arrive first. --from / --to limit the fault to messages sent by / to those nodes.`

  static override examples = [
    {description: 'Hold back half the messages by up to 50 ms', command: '<%= config.bin %> <%= command.id %> --rate 0.5 --ms 50'},
  ]

  static override flags = {
    rate: Flags.string({description: 'probability of holding back each message: 0..1 or a percentage', required: true}),
    ms: Flags.string({description: 'longest hold, ms (e.g. 50 or 50ms)', default: '50'}),
    ...linkFlags,
    ...faultFlags('reorder'),
  }

  async run(): Promise<AddedFaultJson> {
    const {flags} = await this.parse(ChaosReorder)
    const peers = parseNodeList(flags.to, '--to list')
    const ms = parseMillis(flags.ms, '--ms', (t) => this.duration(t, '--ms', 'none'))
    return this.addFault(flags, {kind: 'reorder', rate: parseRate(flags.rate), ms, ...(peers ? {peers} : {})}, parseNodeList(flags.from, '--from list'))
  }
}
