/**
 * `raftctl kv cas KEY EXPECTED NEW` / `kv cas KEY --expect-absent NEW`: compare-and-swap; NEW may
 * also come from `--file F` or stdin (`-`). Exit 0 when swapped; exit 1 with CAS_MISMATCH when
 * the comparison failed (nothing written).
 */
import {Args, Flags} from '@oclif/core'
import {RaftctlError} from '../../common/errors.js'
import {ReportedError} from '../../cli/base.js'
import {ClusterCommand, timeoutFlag} from '../../cli/cluster-command.js'
import {kvClient} from '../../cli/kv.js'
import {requireUtf8Args} from '../../cli/raw-args.js'
import {fileFlag, readValueSource, valueArg} from '../../cli/value-source.js'

/** `raftctl kv cas --json`: whether the value was swapped, and the value now (a mismatch adds an `error` field, printed by the command). */
export interface KvCasResult {
  readonly key: string
  readonly swapped: boolean
  readonly value: string | null
}

export default class KvCas extends ClusterCommand {
  static override summary = 'Compare-and-swap a key'
  static override description = `Sets KEY to NEW only if its current value is EXPECTED (with --expect-absent instead of EXPECTED: only if KEY is absent), atomically. Exit 0 when swapped. When the comparison fails, nothing is written and the command exits 1 with code CAS_MISMATCH; the current value is given.

NEW may instead come from --file F, or from stdin when NEW is - (byte for byte, UTF-8, at most 1 MiB), as for kv put; EXPECTED is always an argument.

JSON: {"key", "swapped": bool, "value": string|null} ("value" is the value after: NEW when swapped, the current one otherwise). On a mismatch the same document also carries "error": {"code": "CAS_MISMATCH", "message"} and the exit code is 1; it is the only document printed. Exit 3 when the outcome is unknown (no answer within --timeout).`

  static override examples = [
    {description: 'Set x from 1 to 2', command: '<%= config.bin %> <%= command.id %> x 1 2'},
    {description: 'Create x only if absent (a lock)', command: '<%= config.bin %> <%= command.id %> lock --expect-absent me'},
    {description: 'NEW from a file', command: '<%= config.bin %> <%= command.id %> config "$(cat old.json)" --file new.json'},
    {description: 'In a script', command: '<%= config.bin %> <%= command.id %> x 1 2 --json || echo "not swapped (exit $?)"'},
  ]

  static override args = {
    key: Args.string({description: 'the key', required: true}),
    expected: valueArg('the value KEY must have (with --expect-absent: the new value)'),
    new: valueArg('the value to write; - reads it from stdin (or give --file)'),
  }

  static override flags = {
    'expect-absent': Flags.boolean({description: 'swap only if KEY is absent; then give only KEY and NEW', default: false}),
    file: fileFlag('read NEW from this file instead of an argument'),
    timeout: timeoutFlag('5s', 'give up after (retries included)'),
  }

  async run(): Promise<KvCasResult> {
    const {args, flags} = await this.parse(KvCas)
    requireUtf8Args(args)
    const usage = 'kv cas KEY EXPECTED (NEW | --file F | -) or kv cas KEY --expect-absent (NEW | --file F | -)'
    let expected: string | null
    let newArgument: string | undefined
    if (flags['expect-absent']) {
      if (args.new !== undefined) throw new RaftctlError('BAD_USAGE', `with --expect-absent give KEY and NEW only: ${usage}`)
      expected = null
      newArgument = args.expected
    } else {
      if (args.expected === undefined) throw new RaftctlError('BAD_USAGE', `give KEY, EXPECTED and NEW (or KEY --expect-absent NEW): ${usage}`)
      expected = args.expected
      newArgument = args.new
    }
    const value = await readValueSource({argument: newArgument, file: flags.file, name: 'NEW', usage})
    const cluster = await this.openHandle(flags)
    const kv = await kvClient(cluster, this.duration(flags.timeout, '--timeout', 'timeout'))
    let r: {swapped: boolean; value: string | null}
    try {
      r = await kv.cas(args.key, expected, value)
    } finally {
      await kv.close()
    }
    const doc = {key: args.key, swapped: r.swapped, value: r.value}
    if (r.swapped) {
      this.log('OK')
      return doc
    }
    const message = `${JSON.stringify(args.key)} is ${r.value === null ? 'absent' : JSON.stringify(r.value)}, not ${expected === null ? 'absent' : JSON.stringify(expected)}: nothing was written`
    if (this.jsonEnabled()) this.logJson({...doc, error: {code: 'CAS_MISMATCH', message}})
    throw new ReportedError('CAS_MISMATCH', message)
  }
}
