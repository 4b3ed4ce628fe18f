/**
 * `raftctl kv delete KEY`: remove a key.
 */
import {Args} from '@oclif/core'
import {ClusterCommand, timeoutFlag} from '../../cli/cluster-command.js'
import {kvClient} from '../../cli/kv.js'
import {requireUtf8Args} from '../../cli/raw-args.js'

/** `raftctl kv delete --json`: whether the key existed. */
export interface KvDeleteResult {
  readonly key: string
  readonly deleted: boolean
}

export default class KvDelete extends ClusterCommand {
  static override summary = 'Delete a key'
  static override description = `Removes KEY. Deleting an absent key is not an error: JSON {"key", "deleted": false}. Exit 3 when the outcome is unknown (no answer within --timeout).`

  static override examples = [
    {description: 'Delete x', command: '<%= config.bin %> <%= command.id %> x'},
    {description: 'Did it exist?', command: '<%= config.bin %> <%= command.id %> x --json | jq .deleted'},
  ]

  static override args = {key: Args.string({description: 'the key', required: true})}

  static override flags = {
    timeout: timeoutFlag('5s', 'give up after (retries included)'),
  }

  async run(): Promise<KvDeleteResult> {
    const {args, flags} = await this.parse(KvDelete)
    requireUtf8Args(args)
    const cluster = await this.openCluster(flags.cluster)
    const kv = await kvClient(cluster, this.duration(flags.timeout, '--timeout', 'timeout'))
    try {
      const r = await kv.delete(args.key)
      this.log(r.deleted ? 'deleted' : `(key ${JSON.stringify(args.key)} was absent)`)
      return {key: args.key, deleted: r.deleted}
    } finally {
      await kv.close()
    }
  }
}
