/**
 * `raftctl kv delete KEY`: remove a key; `kv delete --prefix P`: every key starting with P, in
 * one log entry (asks first when P is empty, i.e. every key).
 */
import {Args, Flags} from '@oclif/core'
import {RaftctlError} from '../../common/errors.js'
import {ClusterCommand, timeoutFlag} from '../../cli/cluster-command.js'
import {kvClient} from '../../cli/kv.js'
import {confirmOrRefuse, type KvDeletePrefixOutput} from '../../cli/kv-range.js'
import {plural} from '../../cli/render.js'
import {requireUtf8Args} from '../../cli/raw-args.js'

/** `kv delete KEY --json`. */
export interface KvDeleteOutput {
  readonly key: string
  readonly deleted: boolean
}

export default class KvDelete extends ClusterCommand {
  static override summary = 'Delete a key, or every key under a prefix'
  static override description = `Removes KEY. Deleting an absent key is not an error: JSON {"key", "deleted": false}.

With --prefix P instead of KEY, removes every key starting with P, atomically (one log entry, applied exactly once even when retried): JSON {"prefix", "deleted": N}, the number of keys removed. An empty prefix (--prefix "") removes every key: on a terminal the command asks first; without one it fails with NEEDS_CONFIRMATION (exit 2) unless --yes. Exit 3 when the outcome is unknown (no answer within --timeout).`

  static override examples = [
    {description: 'Delete x', command: '<%= config.bin %> <%= command.id %> x'},
    {description: 'Did it exist?', command: '<%= config.bin %> <%= command.id %> x --json | jq .deleted'},
    {description: 'Delete every key under users/', command: '<%= config.bin %> <%= command.id %> --prefix users/'},
    {description: 'Delete every key, in a script', command: '<%= config.bin %> <%= command.id %> --prefix "" --yes'},
  ]

  static override args = {key: Args.string({description: 'the key', required: false, ignoreStdin: true})}

  static override flags = {
    prefix: Flags.string({description: 'delete every key starting with this ("" for every key: asks first)'}),
    yes: Flags.boolean({char: 'y', description: 'do not ask before deleting every key (--prefix "")', default: false}),
    timeout: timeoutFlag('5s', 'give up after (retries included)'),
  }

  async run(): Promise<KvDeleteOutput | KvDeletePrefixOutput> {
    const {args, flags} = await this.parse(KvDelete)
    requireUtf8Args({key: args.key, prefix: flags.prefix})
    if ((args.key === undefined) === (flags.prefix === undefined)) throw new RaftctlError('BAD_USAGE', 'give either KEY or --prefix P')
    const cluster = await this.openHandle(flags)
    if (flags.prefix === '') {
      await confirmOrRefuse(flags.yes, this.jsonEnabled(), `Delete EVERY key of cluster "${flags.cluster}"?`, `--prefix "" deletes every key of cluster "${flags.cluster}"`, 'cancelled: nothing was deleted')
    }
    const kv = await kvClient(cluster, this.duration(flags.timeout, '--timeout', 'timeout'))
    try {
      if (flags.prefix !== undefined) {
        const r = await kv.deletePrefix(flags.prefix)
        this.log(`deleted ${plural(r.deleted, 'key')}`)
        return {prefix: flags.prefix, deleted: r.deleted}
      }
      const key = args.key!
      const r = await kv.delete(key)
      this.log(r.deleted ? 'deleted' : `(key ${JSON.stringify(key)} was absent)`)
      return {key, deleted: r.deleted}
    } finally {
      await kv.close()
    }
  }
}
