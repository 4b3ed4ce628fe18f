/**
 * `raftctl kv put KEY VALUE`: write a key.
 */
import {Args} from '@oclif/core'
import {ClusterCommand, timeoutFlag} from '../../cli/cluster-command.js'
import {kvClient} from '../../cli/kv.js'
import {requireUtf8Args} from '../../cli/raw-args.js'

/** `raftctl kv put --json`. */
export interface KvPutResult {
  readonly key: string
  readonly value: string
}

export default class KvPut extends ClusterCommand {
  static override summary = 'Write a key'
  static override description = `Sets KEY to VALUE through the leader and answers once the write is committed and applied. Retries (after a timeout, a lost connection, a leader change) reuse the same session sequence number, so the write is applied at most once. JSON: {"key", "value"}. Exit 3 when the outcome is unknown (no answer within --timeout): the write may or may not have been applied.`

  static override examples = [
    {description: 'Set x to 1', command: '<%= config.bin %> <%= command.id %> x 1'},
    {description: 'A value with spaces, a short timeout', command: '<%= config.bin %> <%= command.id %> greeting "hello world" --timeout 1s'},
  ]

  static override args = {
    key: Args.string({description: 'the key', required: true}),
    value: Args.string({description: 'the value', required: true}),
  }

  static override flags = {
    timeout: timeoutFlag('5s', 'give up after (retries included)'),
  }

  async run(): Promise<KvPutResult> {
    const {args, flags} = await this.parse(KvPut)
    requireUtf8Args(args)
    const cluster = await this.openCluster(flags.cluster)
    const kv = await kvClient(cluster, this.duration(flags.timeout, '--timeout', 'timeout'))
    try {
      const r = await kv.put(args.key, args.value)
      this.log('OK')
      return {key: args.key, value: r.value}
    } finally {
      await kv.close()
    }
  }
}
