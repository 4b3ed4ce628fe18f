/**
 * `raftctl kv get KEY`: read a key (linearizable by default).
 */
import {Args, Flags} from '@oclif/core'
import {ClusterCommand, timeoutFlag} from '../../cli/cluster-command.js'
import {kvClient} from '../../cli/kv.js'
import {requireUtf8Args} from '../../cli/raw-args.js'

/** `raftctl kv get --json`: the value (null: absent) and the log index it was read at. */
export interface KvGetResult {
  readonly key: string
  readonly value: string | null
  readonly index: number
}

export default class KvGet extends ClusterCommand {
  static override summary = 'Read a key'
  static override description = `Prints the key's value (nothing on stdout, and a note on stderr, when the key is absent; both exit 0). By default the read is linearizable: the leader confirms it still leads (ReadIndex) before answering. --serializable answers from the first node reached, without that round: it may be stale, but works without a leader. JSON: {"key", "value": string|null, "index"}. Exit 3 when no answer came within --timeout.`

  static override examples = [
    {description: 'Read x', command: '<%= config.bin %> <%= command.id %> x'},
    {description: 'A possibly stale read from any node', command: '<%= config.bin %> <%= command.id %> x --serializable'},
    {description: 'For scripts', command: '<%= config.bin %> <%= command.id %> x --json'},
  ]

  static override args = {key: Args.string({description: 'the key', required: true})}

  static override flags = {
    serializable: Flags.boolean({char: 's', description: 'allow a stale read from any node (no leader round-trip)', default: false}),
    timeout: timeoutFlag('5s', 'give up after (retries included)'),
  }

  async run(): Promise<KvGetResult> {
    const {args, flags} = await this.parse(KvGet)
    requireUtf8Args(args)
    const cluster = await this.openCluster(flags.cluster)
    const kv = await kvClient(cluster, this.duration(flags.timeout, '--timeout', 'timeout'))
    try {
      const r = await kv.get(args.key, {serializable: flags.serializable})
      if (r.value === null) this.logToStderr(`(key ${JSON.stringify(args.key)} is absent)`)
      else this.log(r.value)
      return {key: args.key, value: r.value, index: r.index}
    } finally {
      await kv.close()
    }
  }
}
