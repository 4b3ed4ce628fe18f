/**
 * `raftctl kv append KEY VALUE`: append to a key's value.
 */
import {Args} from '@oclif/core'
import {ClusterCommand, timeoutFlag} from '../../cli/cluster-command.js'
import {kvClient} from '../../cli/kv.js'
import {requireUtf8Args} from '../../cli/raw-args.js'

/** `raftctl kv append --json`: the key and its value after the append. */
export interface KvAppendResult {
  readonly key: string
  readonly value: string
}

export default class KvAppend extends ClusterCommand {
  static override summary = "Append to a key's value"
  static override description = `Appends VALUE to KEY's value (an absent key counts as the empty string) and prints the new value. JSON: {"key", "value"} (the new value). Exit 3 when the outcome is unknown.`

  static override examples = [
    {description: 'Append to a log-like key', command: '<%= config.bin %> <%= command.id %> events ",started"'},
  ]

  static override args = {
    key: Args.string({description: 'the key', required: true}),
    value: Args.string({description: 'what to append', required: true}),
  }

  static override flags = {
    timeout: timeoutFlag('5s', 'give up after (retries included)'),
  }

  async run(): Promise<KvAppendResult> {
    const {args, flags} = await this.parse(KvAppend)
    requireUtf8Args(args)
    const cluster = await this.openCluster(flags.cluster)
    const kv = await kvClient(cluster, this.duration(flags.timeout, '--timeout', 'timeout'))
    try {
      const r = await kv.append(args.key, args.value)
      this.log(r.value)
      return {key: args.key, value: r.value}
    } finally {
      await kv.close()
    }
  }
}
