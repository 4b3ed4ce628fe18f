/**
 * `raftctl chaos drop --rate R [--from NODE] [--to NODE]`: lose a fraction of the messages.
 */
import {Flags} from '@oclif/core'
import {ChaosCommand, faultFlags, linkFlags, parseNodeList, parseRate, type AddedFaultJson} from '../../cli/chaos.js'

export default class ChaosDrop extends ChaosCommand {
  static override summary = 'Drop a fraction of the messages between nodes'
  static override description = `Each message a node sends is lost with probability --rate. --from limits the fault to messages sent by those nodes (only they get it), --to to messages sent to those nodes; by default every message between nodes is at risk. Raft retries: a moderate rate slows the cluster down without stopping it; --rate 1 --from NODE silences NODE completely.`

  static override examples = [
    {description: 'Lose 30% of all messages', command: '<%= config.bin %> <%= command.id %> --rate 0.3'},
    {description: 'Lose half of what n1 sends to n2, for 20 seconds', command: '<%= config.bin %> <%= command.id %> --rate 50% --from n1 --to n2 --for 20s'},
  ]

  static override flags = {
    rate: Flags.string({description: 'probability of losing each message: 0..1 or a percentage (e.g. 0.3, 30%)', required: true}),
    ...linkFlags,
    ...faultFlags('drop'),
  }

  async run(): Promise<AddedFaultJson> {
    const {flags} = await this.parse(ChaosDrop)
    const peers = parseNodeList(flags.to, '--to list')
    return this.addFault(flags, {kind: 'drop', rate: parseRate(flags.rate), ...(peers ? {peers} : {})}, parseNodeList(flags.from, '--from list'))
  }
}
