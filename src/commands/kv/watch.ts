/**
 * `raftctl kv watch KEY | --prefix P [--from-index N]`: print every change of a key or a prefix
 * as it is applied, until Ctrl-C, across leader changes and node restarts (src/client/watch.ts).
 */
import {Args, Flags} from '@oclif/core'
import {RaftctlError} from '../../common/errors.js'
import {ClusterCommand} from '../../cli/cluster-command.js'
import {kvClient} from '../../cli/kv.js'
import {requireUtf8Args} from '../../cli/raw-args.js'
import {untilInterrupted} from '../../cli/render.js'
import {StreamOutput} from '../../cli/stream-output.js'
import {DEFAULT_WATCH_LEADERLESS_MS, DEFAULT_WATCH_SILENCE_MS, MIN_WATCH_SILENCE_MS, type KvWatchEvent, type WatchOptions, type WatchSelector} from '../../client/index.js'

/** One line of `raftctl kv watch --json` (JSON lines): a change and the index of the entry that made it. */
export type KvWatchLine = KvWatchEvent

export default class KvWatch extends ClusterCommand {
  static override summary = 'Print every change of a key or a prefix as it happens'
  static override description = `Streams the changes of KEY (or, with --prefix P, of every key starting with P; "" is every key) in log order, one line each, until Ctrl-C (exit 0): "[index] PUT key = value" or "[index] DELETE key" (keys or values holding a control character are JSON-quoted). The index is that of the log entry that made the change; one transaction or delete --prefix makes several changes at one index.

It starts with the changes after the node's current state, or with --from-index N at the changes made by entry N and later (so: kv get --json's "index" + 1 for every change after that read, the last index printed + 1 to resume). It survives leader changes and node restarts: it reconnects to another node and resumes after the last index printed, never skipping or repeating a change.

It leaves a node, resuming on another one the same way, when the node reports it has heard no leader for longer than --leaderless-timeout (default ${seconds(DEFAULT_WATCH_LEADERLESS_MS)}: a node cut off from the others), or when nothing at all came from it for --silence-timeout (default ${seconds(DEFAULT_WATCH_SILENCE_MS)}, at least ${seconds(MIN_WATCH_SILENCE_MS)}; a caught-up node sends progress every second, so silence means it hangs, e.g. "raftctl node pause", or the network drops its packets).

Each node keeps the changes of its last --watch-history changing entries (node run; default 10000) since it last started or installed a snapshot: an older --from-index fails with COMPACTED (exit 1) naming the oldest index still available. A watcher that reads much slower than the writes come is cut off with SLOW_CONSUMER (exit 1) after the last change it received.

--json prints one JSON document per line (JSON lines): {"type": "put"|"delete", "key", "value" (put only), "index"}.`

  static override examples = [
    {description: 'Watch one key', command: '<%= config.bin %> <%= command.id %> config'},
    {description: 'Every change under jobs/, as JSON lines', command: '<%= config.bin %> <%= command.id %> --prefix jobs/ --json'},
    {description: 'Every change since a read, none missed', command: 'i=$(<%= config.bin %> kv get x --json | jq .index); <%= config.bin %> <%= command.id %> x --from-index $((i + 1))'},
  ]

  static override args = {
    key: Args.string({description: 'the key (or give --prefix)', required: false, ignoreStdin: true}),
  }

  static override flags = {
    prefix: Flags.string({description: 'watch every key starting with this ("" is every key)'}),
    'from-index': Flags.integer({description: 'start at the changes of this log index (older than kept: COMPACTED)', min: 1}),
    'leaderless-timeout': Flags.string({description: 'move to another node once the watched node has heard no leader for this long (e.g. 3s)', default: seconds(DEFAULT_WATCH_LEADERLESS_MS)}),
    'silence-timeout': Flags.string({description: `move to another node once nothing came from it for this long (at least ${seconds(MIN_WATCH_SILENCE_MS)})`, default: seconds(DEFAULT_WATCH_SILENCE_MS)}),
  }

  async run(): Promise<undefined> {
    const {args, flags} = await this.parse(KvWatch)
    requireUtf8Args({key: args.key, prefix: flags.prefix})
    if ((args.key === undefined) === (flags.prefix === undefined)) throw new RaftctlError('BAD_USAGE', 'give a KEY or --prefix P (not both): kv watch KEY | kv watch --prefix P')
    if (args.key === '') throw new RaftctlError('BAD_USAGE', 'KEY must not be empty (every key: --prefix "")')
    const selector: WatchSelector = args.key !== undefined ? {key: args.key} : {prefix: flags.prefix!}
    const options: WatchOptions = {
      leaderlessTimeoutMs: this.duration(flags['leaderless-timeout'], '--leaderless-timeout', 'timeout'),
      silenceTimeoutMs: this.duration(flags['silence-timeout'], '--silence-timeout', 'timeout'),
      ...(flags['from-index'] === undefined ? {} : {fromIndex: flags['from-index']}),
    }
    if (options.silenceTimeoutMs! < MIN_WATCH_SILENCE_MS) {
      throw new RaftctlError('BAD_USAGE', `--silence-timeout must be at least ${seconds(MIN_WATCH_SILENCE_MS)} (a caught-up node sends progress every second), got ${JSON.stringify(flags['silence-timeout'])}`)
    }
    const cluster = await this.openHandle(flags)
    const kv = await kvClient(cluster, 5000)
    const watch = kv.watch(selector, options)
    const out = new StreamOutput()
    const interrupted = untilInterrupted()
    const stop = interrupted.promise.then(() => watch.close())
    try {
      for await (const event of watch) {
        await out.write(`${this.jsonEnabled() ? JSON.stringify(event) : renderChange(event)}\n`)
        if (out.gone) break
      }
    } finally {
      interrupted.stop()
      await watch.close()
      await kv.close()
      out.close()
      void stop
    }
    return undefined
  }
}

/** A whole number of milliseconds as flag text: `3s`, `2500ms`. */
function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`
}

/** `[index] PUT key = value` or `[index] DELETE key`; a key or value holding a control character is JSON-quoted. */
export function renderChange(e: KvWatchEvent): string {
  const show = (s: string): string => (/[\u0000-\u001f\u007f]/.test(s) ? JSON.stringify(s) : s)
  return e.type === 'put' ? `[${e.index}] PUT ${show(e.key)} = ${show(e.value ?? '')}` : `[${e.index}] DELETE ${show(e.key)}`
}
