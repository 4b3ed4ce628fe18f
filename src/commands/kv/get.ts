/**
 * `raftctl kv get KEY`: read a key (linearizable by default); with `--prefix P` or `FROM --to
 * TO`, read a range of keys (src/cli/kv-range.ts).
 */
import {Args, Flags} from '@oclif/core'
import {RaftctlError} from '../../common/errors.js'
import {ClusterCommand, timeoutFlag} from '../../cli/cluster-command.js'
import {kvClient} from '../../cli/kv.js'
import {anyRangeFlag, rangeFlags, readRange, renderRange, type KvRangeOutput} from '../../cli/kv-range.js'
import {requireUtf8Args} from '../../cli/raw-args.js'
import type {RangeSelector} from '../../client/index.js'

/** `kv get KEY --json`. */
export interface KvGetOutput {
  readonly key: string
  readonly value: string | null
  readonly index: number
}

/** `raftctl kv get --json`: the value (null: absent) and the log index it was read at. */
export interface KvGetResult {
  readonly key: string
  readonly value: string | null
  readonly index: number
}

export default class KvGet extends ClusterCommand {
  static override summary = 'Read a key, or the keys of a prefix or range'
  static override description = `Prints the key's value (nothing on stdout, and a note on stderr, when the key is absent; both exit 0). By default the read is linearizable: the leader confirms it still leads (ReadIndex) before answering. --serializable answers from the first node reached, without that round: it may be stale, but works without a leader. JSON: {"key", "value": string|null, "index"}.

With --prefix P (every key starting with P; "" is every key, as kv list) or FROM --to TO (the keys k with FROM <= k < TO), prints one "key = value" line per key, in the order of their UTF-8 bytes (keys or values holding a control character are shown JSON-quoted); --keys-only prints keys, --count-only only the count; --limit N lists at most N keys, and a note on stderr says when more remain. JSON: {"kvs": [{"key", "value", "modIndex"}], "count", "more", "index"}: count is every key in the range even when --limit cut the list, more is true when it was cut, index is the applied index the read reflects, modIndex the index of the entry that last wrote the key; --keys-only drops "value", --count-only gives "kvs": []. Exit 3 when no answer came within --timeout.`

  static override examples = [
    {description: 'Read x', command: '<%= config.bin %> <%= command.id %> x'},
    {description: 'A possibly stale read from any node', command: '<%= config.bin %> <%= command.id %> x --serializable'},
    {description: 'For scripts', command: '<%= config.bin %> <%= command.id %> x --json'},
    {description: 'Every key under users/', command: '<%= config.bin %> <%= command.id %> --prefix users/'},
    {description: 'Keys from a (included) to m (excluded), at most 10', command: '<%= config.bin %> <%= command.id %> a --to m --limit 10 --keys-only'},
  ]

  static override args = {key: Args.string({description: 'the key (with --to: the first key of the range)', required: false, ignoreStdin: true})}

  static override flags = {
    prefix: Flags.string({description: 'read every key starting with this ("" for every key)'}),
    to: Flags.string({description: 'read the keys from KEY (included) to this one (excluded)'}),
    ...rangeFlags,
    serializable: Flags.boolean({char: 's', description: 'allow a stale read from any node (no leader round-trip)', default: false}),
    timeout: timeoutFlag('5s', 'give up after (retries included)'),
  }

  async run(): Promise<KvGetOutput | KvRangeOutput> {
    const {args, flags} = await this.parse(KvGet)
    requireUtf8Args({key: args.key, prefix: flags.prefix, to: flags.to})
    const selector = selectorOf(args.key, flags.prefix, flags.to)
    if (selector === null && anyRangeFlag(flags)) throw new RaftctlError('BAD_USAGE', '--limit, --keys-only and --count-only read a range: give --prefix P or FROM --to TO')
    const cluster = await this.openHandle(flags)
    const kv = await kvClient(cluster, this.duration(flags.timeout, '--timeout', 'timeout'))
    try {
      if (selector !== null) {
        const out = await readRange(kv, selector, flags)
        const {lines, note} = renderRange(out, flags['count-only'])
        for (const line of lines) this.log(line)
        if (note !== null) this.logToStderr(note)
        return out
      }
      const key = args.key!
      const r = await kv.get(key, {serializable: flags.serializable})
      if (r.value === null) this.logToStderr(`(key ${JSON.stringify(key)} is absent)`)
      else this.log(r.value)
      return {key, value: r.value, index: r.index}
    } finally {
      await kv.close()
    }
  }
}

/** The range the arguments ask for, null for a single key; BAD_USAGE for a bad combination. */
function selectorOf(key: string | undefined, prefix: string | undefined, to: string | undefined): RangeSelector | null {
  if (prefix !== undefined) {
    if (key !== undefined || to !== undefined) throw new RaftctlError('BAD_USAGE', 'give either --prefix P, or FROM --to TO, or one KEY')
    return {prefix}
  }
  if (key === undefined) throw new RaftctlError('BAD_USAGE', to === undefined ? 'give a KEY (or --prefix P, or FROM --to TO)' : '--to needs FROM: kv get FROM --to TO')
  return to === undefined ? null : {from: key, to}
}
