/**
 * Transactions (`txn`): the binary codec of the command's fields and its semantics over the
 * store (compare every key, then apply one branch atomically). The command envelope (version,
 * op 7, flags, an empty key, the session) is commands.ts's; this file knows only what follows
 * the key:
 *
 * ```
 * u32 n · n × compare      compare = u8 kind · str key · (1 value: str value | 2 absent | 3 modIndex: u53)
 * u32 n · n × op           success branch; op = u8 (1 put | 2 delete) · str key · [str value]
 * u32 n · n × op           failure branch
 * ```
 */
import {ByteReader, ByteWriter, isWellFormed, prefixed, utf8Length} from './bytes.js'
import {KvError} from './errors.js'
import type {KvPayloadLimits} from './limits.js'

/**
 * One condition of a {@link TxnCommand}: the key's value equals `value`, or the key is absent,
 * or the key exists and was last written by the entry at `modIndex`.
 */
export type TxnCompare =
  | {readonly key: string; readonly value: string}
  | {readonly key: string; readonly absent: true}
  | {readonly key: string; readonly modIndex: number}

/** One write of a {@link TxnCommand} branch. */
export type TxnOp = {readonly op: 'put'; readonly key: string; readonly value: string} | {readonly op: 'delete'; readonly key: string}

/**
 * Compare any number of keys; if every compare holds apply `success`, else `failure`: all in this
 * one entry. A key appears at most once per branch; each list holds at most `maxTxnOps` items.
 */
export interface TxnCommand {
  readonly op: 'txn'
  readonly compare: readonly TxnCompare[]
  readonly success: readonly TxnOp[]
  readonly failure: readonly TxnOp[]
  readonly session?: {readonly clientId: string; readonly seq: number}
}

const COMPARE_VALUE = 1
const COMPARE_ABSENT = 2
const COMPARE_MOD_INDEX = 3
const OP_PUT = 1
const OP_DELETE = 2

/** The fields of a txn, checked and sized: `bytes` is what {@link writeTxnFields} will write. */
export interface TxnFields {
  readonly command: TxnCommand
  readonly bytes: number
}

/**
 * Check a txn's lists against `limits` and size them. Throws {@link KvError} `BAD_REQUEST` for
 * a malformed list (not an array, a compare with not exactly one of value / absent / modIndex,
 * an unknown op, an empty key, a lone surrogate, a key twice in one branch) and
 * `PAYLOAD_TOO_LARGE` for a key, value or list over its limit.
 */
export function txnFields(command: TxnCommand, limits: KvPayloadLimits): TxnFields {
  let bytes = 0
  bytes += listBytes(command.compare, 'compare', limits, (c) => compareBytes(c, limits))
  for (const branch of ['success', 'failure'] as const) {
    bytes += listBytes(command[branch], branch, limits, (o) => opBytes(o, limits))
    checkDistinctKeys(command[branch], branch)
  }
  return {command, bytes}
}

/** Write the fields sized by {@link txnFields}. */
export function writeTxnFields(writer: ByteWriter, {command}: TxnFields): void {
  writer.u32(command.compare.length)
  for (const c of command.compare) {
    const kind = 'value' in c ? COMPARE_VALUE : 'absent' in c ? COMPARE_ABSENT : COMPARE_MOD_INDEX
    writer.u8(kind)
    writer.string(c.key, utf8Length(c.key))
    if ('value' in c) writer.string(c.value, utf8Length(c.value))
    else if ('modIndex' in c) writer.u53(c.modIndex)
  }
  for (const branch of [command.success, command.failure]) {
    writer.u32(branch.length)
    for (const o of branch) {
      writer.u8(o.op === 'put' ? OP_PUT : OP_DELETE)
      writer.string(o.key, utf8Length(o.key))
      if (o.op === 'put') writer.string(o.value, utf8Length(o.value))
    }
  }
}

/** Read the fields of a txn (after its empty key); the session is the caller's. */
export function readTxnFields(reader: ByteReader, limits: KvPayloadLimits): Pick<TxnCommand, 'compare' | 'success' | 'failure'> {
  const compare = readList(reader, 'compare', limits, () => readCompare(reader, limits))
  const success = readList(reader, 'success', limits, () => readOp(reader, limits))
  const failure = readList(reader, 'failure', limits, () => readOp(reader, limits))
  for (const [branch, ops] of [['success', success], ['failure', failure]] as const) {
    const duplicate = firstDuplicate(ops)
    if (duplicate !== undefined) reader.fail(`${branch} writes the key ${JSON.stringify(duplicate)} twice`)
  }
  return {compare, success, failure}
}

/** Whether `compare` holds for the key's current value and modIndex (null: absent). */
export function compareHolds(compare: TxnCompare, value: string | null, modIndex: number | null): boolean {
  if ('value' in compare) return value === compare.value
  if ('absent' in compare) return value === null
  return modIndex === compare.modIndex
}

// ---------------------------------------------------------------------------------------------

function listBytes<T>(list: readonly T[], name: string, limits: KvPayloadLimits, size: (item: T) => number): number {
  if (!Array.isArray(list)) throw bad(`${name} must be an array`)
  if (list.length > limits.maxTxnOps) throw new KvError('PAYLOAD_TOO_LARGE', `${name} has ${list.length} items, over maxTxnOps ${limits.maxTxnOps}`)
  let bytes = 4
  for (const item of list) {
    if (typeof item !== 'object' || item === null) throw bad(`every item of ${name} must be an object`)
    bytes += size(item)
  }
  return bytes
}

function compareBytes(c: TxnCompare, limits: KvPayloadLimits): number {
  const kinds = ['value' in c, 'absent' in c, 'modIndex' in c].filter(Boolean).length
  if (kinds !== 1) throw bad(`a compare of ${JSON.stringify(c.key)} needs exactly one of value, absent, modIndex`)
  const key = 1 + keyBytes(c.key, limits)
  if ('value' in c) return key + prefixed(textBytes(c.value, 'value', limits.maxValueBytes))
  if ('absent' in c) {
    if (c.absent !== true) throw bad('absent must be true')
    return key
  }
  if (!Number.isSafeInteger(c.modIndex) || c.modIndex < 0) throw bad(`modIndex must be a safe integer >= 0, got ${String(c.modIndex)}`)
  return key + 8
}

function opBytes(o: TxnOp, limits: KvPayloadLimits): number {
  if (o.op !== 'put' && o.op !== 'delete') throw bad(`a txn op is put or delete, got ${JSON.stringify((o as {op: unknown}).op)}`)
  const key = 1 + keyBytes(o.key, limits)
  return o.op === 'put' ? key + prefixed(textBytes(o.value, 'value', limits.maxValueBytes)) : key
}

function keyBytes(key: string, limits: KvPayloadLimits): number {
  const bytes = textBytes(key, 'key', limits.maxKeyBytes)
  if (bytes === 0) throw bad('key must not be empty')
  return prefixed(bytes)
}

function textBytes(text: unknown, name: string, max: number): number {
  if (typeof text !== 'string') throw bad(`${name} must be a string`)
  if (!isWellFormed(text)) throw bad(`${name} contains a lone surrogate (not valid Unicode)`)
  const bytes = utf8Length(text)
  if (bytes > max) throw new KvError('PAYLOAD_TOO_LARGE', `${name} is ${bytes} bytes, over the limit of ${max}`)
  return bytes
}

function checkDistinctKeys(ops: readonly TxnOp[], branch: string): void {
  const duplicate = firstDuplicate(ops)
  if (duplicate !== undefined) throw bad(`${branch} writes the key ${JSON.stringify(duplicate)} twice`)
}

function firstDuplicate(ops: readonly TxnOp[]): string | undefined {
  const seen = new Set<string>()
  for (const o of ops) {
    if (seen.has(o.key)) return o.key
    seen.add(o.key)
  }
  return undefined
}

function readList<T>(reader: ByteReader, name: string, limits: KvPayloadLimits, read: () => T): T[] {
  const n = reader.u32(`${name} count`)
  if (n > limits.maxTxnOps) reader.fail(`${name} has ${n} items, over maxTxnOps ${limits.maxTxnOps}`, 'PAYLOAD_TOO_LARGE')
  const list: T[] = []
  for (let i = 0; i < n; i++) list.push(read())
  return list
}

function readCompare(reader: ByteReader, limits: KvPayloadLimits): TxnCompare {
  const kind = reader.u8('compare kind')
  const key = readKey(reader, limits)
  if (kind === COMPARE_VALUE) return {key, value: reader.string('value', limits.maxValueBytes)}
  if (kind === COMPARE_ABSENT) return {key, absent: true}
  if (kind === COMPARE_MOD_INDEX) return {key, modIndex: reader.u53('modIndex')}
  return reader.fail(`unknown compare kind ${kind}`)
}

function readOp(reader: ByteReader, limits: KvPayloadLimits): TxnOp {
  const kind = reader.u8('txn op')
  if (kind !== OP_PUT && kind !== OP_DELETE) reader.fail(`unknown txn op ${kind}`)
  const key = readKey(reader, limits)
  return kind === OP_PUT ? {op: 'put', key, value: reader.string('value', limits.maxValueBytes)} : {op: 'delete', key}
}

function readKey(reader: ByteReader, limits: KvPayloadLimits): string {
  const key = reader.string('key', limits.maxKeyBytes)
  if (key.length === 0) reader.fail('key must not be empty')
  return key
}

function bad(message: string): KvError {
  return new KvError('BAD_REQUEST', message)
}
