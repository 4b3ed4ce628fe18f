/**
 * `raftctl kv append KEY VALUE` (or `--file F`, or `-` for stdin): append to a key's value.
 */
import {Args} from '@oclif/core'
import {ClusterCommand, timeoutFlag} from '../../cli/cluster-command.js'
import {kvClient} from '../../cli/kv.js'
import {requireUtf8Args} from '../../cli/raw-args.js'
import {fileFlag, readValueSource, valueArg} from '../../cli/value-source.js'

/** `raftctl kv append --json`: the key and its value after the append. */
export interface KvAppendResult {
  readonly key: string
  readonly value: string
}

export default class KvAppend extends ClusterCommand {
  static override summary = "Append to a key's value"
  static override description = `Appends VALUE to KEY's value (an absent key counts as the empty string) and prints the new value. VALUE may instead come from --file F or, when VALUE is -, from stdin (byte for byte, UTF-8, at most 1 MiB), as for kv put. JSON: {"key", "value"} (the new value). Exit 3 when the outcome is unknown.`

  static override examples = [
    {description: 'Append to a log-like key', command: '<%= config.bin %> <%= command.id %> events ",started"'},
    {description: 'Append a line read from stdin (its newline kept)', command: 'echo started | <%= config.bin %> <%= command.id %> events -'},
  ]

  static override args = {
    key: Args.string({description: 'the key', required: true}),
    value: valueArg('what to append; - reads it from stdin (or give --file)'),
  }

  static override flags = {
    file: fileFlag('read what to append from this file instead of VALUE'),
    timeout: timeoutFlag('5s', 'give up after (retries included)'),
  }

  async run(): Promise<KvAppendResult> {
    const {args, flags} = await this.parse(KvAppend)
    requireUtf8Args(args)
    const value = await readValueSource({argument: args.value, file: flags.file, name: 'VALUE', usage: 'kv append KEY VALUE, kv append KEY --file F or kv append KEY - (stdin)'})
    const cluster = await this.openHandle(flags)
    const kv = await kvClient(cluster, this.duration(flags.timeout, '--timeout', 'timeout'))
    try {
      const r = await kv.append(args.key, value)
      this.log(r.value)
      return {key: args.key, value: r.value}
    } finally {
      await kv.close()
    }
  }
}
