/**
 * `raftctl kv txn [--file F]`: a transaction read as JSON from a file or stdin: compares, then
 * the writes of the branch they choose, atomically in one log entry (docs/kv.md, Transactions).
 */
import {Flags} from '@oclif/core'
import {RaftctlError} from '../../common/errors.js'
import {ClusterCommand, timeoutFlag} from '../../cli/cluster-command.js'
import {kvClient} from '../../cli/kv.js'
import {fileFlag, readValueSource, STDIN_VALUE} from '../../cli/value-source.js'
import {DEFAULT_PROTOCOL_LIMITS, type TxnParams} from '../../client/index.js'

/** `raftctl kv txn --json`: whether every compare held (the success writes were applied) or not (the failure writes were). */
export interface KvTxnResult {
  readonly succeeded: boolean
}

export default class KvTxn extends ClusterCommand {
  static override summary = 'Compare keys, then write several keys atomically'
  static override description = `Reads one JSON transaction from --file F, or else from stdin:

  {"compare": [{"key": "a", "value": "1"}, {"key": "b", "absent": true}, {"key": "c", "modIndex": 12}],
   "success": [{"op": "put", "key": "a", "value": "2"}, {"op": "delete", "key": "b"}],
   "failure": [{"op": "put", "key": "log", "value": "a was not 1"}]}

Each compare gives exactly one of "value" (the key's value equals it), "absent": true, or "modIndex" (the index of the entry that last wrote the key, as kv get --prefix --json shows). If every compare holds (no compare: always), the "success" writes are applied, else the "failure" writes: all of them in one log entry, or none; exactly once even when retried. Each list is optional and holds at most 128 items; a branch may write a key only once.

Prints SUCCESS or FAILURE (which branch ran; both exit 0, as etcdctl). JSON: {"succeeded": bool}. Exit 2 for a malformed transaction (nothing written), 3 when the outcome is unknown (no answer within --timeout).`

  static override examples = [
    {description: 'Move 10 from a to b if both still hold what was read', command: `echo '{"compare":[{"key":"a","value":"50"},{"key":"b","value":"0"}],"success":[{"op":"put","key":"a","value":"40"},{"op":"put","key":"b","value":"10"}]}' | <%= config.bin %> <%= command.id %>`},
    {description: 'From a file, for scripts', command: '<%= config.bin %> <%= command.id %> --file txn.json --json'},
  ]

  static override flags = {
    file: fileFlag('read the transaction from this file instead of stdin'),
    timeout: timeoutFlag('5s', 'give up after (retries included)'),
  }

  async run(): Promise<KvTxnResult> {
    const {flags} = await this.parse(KvTxn)
    const usage = 'kv txn --file F, or kv txn < F'
    const text = await readValueSource({argument: flags.file === undefined ? STDIN_VALUE : undefined, file: flags.file, name: 'the transaction', usage}, {maxBytes: DEFAULT_PROTOCOL_LIMITS.maxFrameBytes})
    const txn = parseTxn(text)
    const cluster = await this.openHandle(flags)
    const kv = await kvClient(cluster, this.duration(flags.timeout, '--timeout', 'timeout'))
    try {
      const {succeeded} = await kv.txn(txn)
      this.log(succeeded ? 'SUCCESS' : 'FAILURE')
      return {succeeded}
    } finally {
      await kv.close()
    }
  }
}

/** The transaction in `text`: a JSON object with only the lists compare, success, failure (each optional). Their items are checked by the protocol's schema on sending. */
export function parseTxn(text: string): Omit<TxnParams, 'session'> {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw new RaftctlError('BAD_INPUT', `the transaction is not valid JSON (${(err as Error).message}); nothing was sent`)
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new RaftctlError('BAD_INPUT', 'the transaction must be a JSON object {"compare": [...], "success": [...], "failure": [...]}')
  const fields = json as Record<string, unknown>
  for (const name of Object.keys(fields)) {
    if (!['compare', 'success', 'failure'].includes(name)) throw new RaftctlError('BAD_INPUT', `unknown field ${JSON.stringify(name)} in the transaction: it has compare, success and failure`)
  }
  const list = (name: string): never[] => {
    const value = fields[name] ?? []
    if (!Array.isArray(value)) throw new RaftctlError('BAD_INPUT', `${name} must be a list`)
    return value as never[]
  }
  return {compare: list('compare'), success: list('success'), failure: list('failure')}
}
