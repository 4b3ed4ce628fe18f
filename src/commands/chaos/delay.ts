/**
 * `raftctl chaos delay --ms MS [--jitter MS] [--from NODE] [--to NODE]`: slow the network down.
 */
import {Flags} from '@oclif/core'
import {ChaosCommand, faultFlags, linkFlags, parseMillis, parseNodeList, type AddedFaultJson} from '../../cli/chaos.js'

export default class ChaosDelay extends ChaosCommand {
  static override summary = 'Delay the messages between nodes'
  static override description = `Each message a node sends waits --ms milliseconds, plus a random extra of up to --jitter, before it goes out. A round trip between two nodes gets both nodes' delays, so a write (leader → follower → leader) takes about 2 × --ms longer. Jitter reorders messages too. --from / --to limit the fault to messages sent by / to those nodes. Mind the election timeout (150–300 ms by default): when a round trip (2 × (--ms + --jitter)) takes longer, a new leader does not hear a majority in time and steps down (CheckQuorum), and elections go on while the fault lasts. With the default timing, --ms + --jitter under about 70 gives a slow but working cluster.

Messages held back are bounded (10000 per node); beyond that they are dropped.`

  static override examples = [
    {description: 'A slow network: 30 ms + up to 10 ms on every link', command: '<%= config.bin %> <%= command.id %> --ms 30 --jitter 10'},
    {description: 'An election storm for 10 seconds: 100 ms + up to 50 ms', command: '<%= config.bin %> <%= command.id %> --ms 100 --jitter 50 --for 10s'},
    {description: 'Only what n3 sends, for a minute', command: '<%= config.bin %> <%= command.id %> --ms 250 --from n3 --for 1m'},
  ]

  static override flags = {
    ms: Flags.string({description: 'delay of each message, ms (e.g. 100 or 100ms)', required: true}),
    jitter: Flags.string({description: 'random extra delay of up to this many ms', default: '0'}),
    ...linkFlags,
    ...faultFlags('delay'),
  }

  async run(): Promise<AddedFaultJson> {
    const {flags} = await this.parse(ChaosDelay)
    const ms = parseMillis(flags.ms, '--ms', (t) => this.duration(t, '--ms', 'none'))
    const jitter = parseMillis(flags.jitter, '--jitter', (t) => this.duration(t, '--jitter', 'none'))
    const peers = parseNodeList(flags.to, '--to list')
    return this.addFault(flags, {kind: 'delay', ms, ...(jitter > 0 ? {jitter} : {}), ...(peers ? {peers} : {})}, parseNodeList(flags.from, '--from list'))
  }
}
