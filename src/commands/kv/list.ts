/**
 * `raftctl kv list`: every key (or those under --prefix), the short form of `kv get --prefix ""`.
 */
import {Flags} from '@oclif/core'
import {ClusterCommand, timeoutFlag} from '../../cli/cluster-command.js'
import {kvClient} from '../../cli/kv.js'
import {rangeFlags, readRange, renderRange, type KvRangeOutput} from '../../cli/kv-range.js'
import {requireUtf8Args} from '../../cli/raw-args.js'

export default class KvList extends ClusterCommand {
  static override summary = 'List every key (or those under a prefix)'
  static override description = `The short form of kv get --prefix "" (with --prefix P: of kv get --prefix P), with the same flags and output: one "key = value" line per key in the order of their UTF-8 bytes, --keys-only, --count-only, --limit N (a note on stderr says when more remain), linearizable unless --serializable. JSON: {"kvs": [{"key", "value", "modIndex"}], "count", "more", "index"}. Exit 3 when no answer came within --timeout.`

  static override examples = [
    {description: 'Every key and value', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'How many keys', command: '<%= config.bin %> <%= command.id %> --count-only'},
    {description: 'The first 100 keys under users/', command: '<%= config.bin %> <%= command.id %> --prefix users/ --keys-only --limit 100'},
  ]

  static override flags = {
    prefix: Flags.string({description: 'only the keys starting with this', default: ''}),
    ...rangeFlags,
    serializable: Flags.boolean({char: 's', description: 'allow a stale read from any node (no leader round-trip)', default: false}),
    timeout: timeoutFlag('5s', 'give up after (retries included)'),
  }

  async run(): Promise<KvRangeOutput> {
    const {flags} = await this.parse(KvList)
    requireUtf8Args({prefix: flags.prefix})
    const cluster = await this.openHandle(flags)
    const kv = await kvClient(cluster, this.duration(flags.timeout, '--timeout', 'timeout'))
    try {
      const out = await readRange(kv, {prefix: flags.prefix}, flags)
      const {lines, note} = renderRange(out, flags['count-only'])
      for (const line of lines) this.log(line)
      if (note !== null) this.logToStderr(note)
      return out
    } finally {
      await kv.close()
    }
  }
}
