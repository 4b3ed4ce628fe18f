/**
 * `raftctl chaos duplicate --rate R [--from NODE] [--to NODE]`: deliver some messages twice.
 */
import {Flags} from '@oclif/core'
import {ChaosCommand, faultFlags, linkFlags, parseNodeList, parseRate, type AddedFaultJson} from '../../cli/chaos.js'

export default class ChaosDuplicate extends ChaosCommand {
  static override summary = 'Deliver a fraction of the messages twice'
  static override description = `Each message a node sends is also delivered a second time, a little later, with probability --rate. Raft must ignore the stale copy (and client sessions keep writes exactly-once). --from / --to limit the fault to messages sent by / to those nodes.`

  static override examples = [
    {description: 'Duplicate 20% of all messages', command: '<%= config.bin %> <%= command.id %> --rate 0.2'},
    {description: 'Every message n1 sends, for 30 seconds', command: '<%= config.bin %> <%= command.id %> --rate 1 --from n1 --for 30s'},
  ]

  static override flags = {
    rate: Flags.string({description: 'probability of duplicating each message: 0..1 or a percentage', required: true}),
    ...linkFlags,
    ...faultFlags('duplicate'),
  }

  async run(): Promise<AddedFaultJson> {
    const {flags} = await this.parse(ChaosDuplicate)
    const peers = parseNodeList(flags.to, '--to list')
    return this.addFault(flags, {kind: 'duplicate', rate: parseRate(flags.rate), ...(peers ? {peers} : {})}, parseNodeList(flags.from, '--from list'))
  }
}
