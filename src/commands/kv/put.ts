/**
 * `raftctl kv put KEY VALUE` (or `--file F`, or `-` for stdin): write a key.
 */
import {Args} from '@oclif/core'
import {ClusterCommand, timeoutFlag} from '../../cli/cluster-command.js'
import {kvClient} from '../../cli/kv.js'
import {requireUtf8Args} from '../../cli/raw-args.js'
import {fileFlag, readValueSource, valueArg} from '../../cli/value-source.js'

/** `raftctl kv put --json`. */
export interface KvPutResult {
  readonly key: string
  readonly value: string
}

export default class KvPut extends ClusterCommand {
  static override summary = 'Write a key'
  static override description = `Sets KEY to VALUE through the leader and answers once the write is committed and applied. Retries (after a timeout, a lost connection, a leader change) reuse the same session sequence number, so the write is applied at most once. The value comes from exactly one of: the VALUE argument, --file F, or stdin when VALUE is - (for a value that is large or not shell-friendly). A file or stdin is taken byte for byte (a trailing newline is kept) and must be UTF-8 text (encode binary, e.g. base64); over the 1 MiB value limit is PAYLOAD_TOO_LARGE before anything is sent. JSON: {"key", "value"}. Exit 3 when the outcome is unknown (no answer within --timeout): the write may or may not have been applied.`

  static override examples = [
    {description: 'Set x to 1', command: '<%= config.bin %> <%= command.id %> x 1'},
    {description: 'A value with spaces, a short timeout', command: '<%= config.bin %> <%= command.id %> greeting "hello world" --timeout 1s'},
    {description: 'The value from a file (kept byte for byte, trailing newline included)', command: '<%= config.bin %> <%= command.id %> config --file ./config.json'},
    {description: 'The value from stdin', command: 'printf %s "$TOKEN" | <%= config.bin %> <%= command.id %> token -'},
    {description: 'Binary data: encode it first', command: 'base64 -w0 logo.png | <%= config.bin %> <%= command.id %> logo -'},
  ]

  static override args = {
    key: Args.string({description: 'the key', required: true}),
    value: valueArg('the value; - reads it from stdin (or give --file)'),
  }

  static override flags = {
    file: fileFlag('read the value from this file instead of VALUE'),
    timeout: timeoutFlag('5s', 'give up after (retries included)'),
  }

  async run(): Promise<KvPutResult> {
    const {args, flags} = await this.parse(KvPut)
    requireUtf8Args(args)
    const value = await readValueSource({argument: args.value, file: flags.file, name: 'VALUE', usage: 'kv put KEY VALUE, kv put KEY --file F or kv put KEY - (stdin)'})
    const cluster = await this.openHandle(flags)
    const kv = await kvClient(cluster, this.duration(flags.timeout, '--timeout', 'timeout'))
    try {
      const r = await kv.put(args.key, value)
      this.log('OK')
      return {key: args.key, value: r.value}
    } finally {
      await kv.close()
    }
  }
}
