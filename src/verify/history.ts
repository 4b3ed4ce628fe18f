/**
 * The history format of DESIGN.md §4: one operation per JSON line, written by `raftctl verify`
 * and read by `raftctl check`. This file holds the types, a validating parser (every problem is
 * a `BAD_INPUT` error naming the line) and the writer.
 */
import {readFile} from 'node:fs/promises'
import {RaftctlError} from '../common/errors.js'
import type {TxnCompare, TxnOp} from '../admin/protocol.js'

/** The operations a history records: single-key ones, and the range reads and txns of several keys. */
export type OpKind = 'get' | 'put' | 'delete' | 'cas' | 'append' | 'range' | 'txn'

/** Every {@link OpKind}, in a fixed order. */
export const OP_KINDS: readonly OpKind[] = ['get', 'put', 'delete', 'cas', 'append', 'range', 'txn']

/** A key and its value, as a range read listed it. */
export interface HistoryKv {
  key: string
  value: string
}

/**
 * How an operation ended: `true` completed and took effect; `false` definitely did not take
 * effect (for cas: completed with the comparison failing); `'unknown'` may or may not have taken
 * effect, at any time after `call`.
 */
export type Outcome = true | false | 'unknown'

/** One operation of a history (one JSON line). */
export interface HistoryOp {
  /** The client (process) that issued the operation. */
  client: number
  op: OpKind
  /** The key (`""` for range and txn, which name theirs in their own fields). */
  key: string
  /** What put / cas / append writes. Absent on get and delete. */
  value?: string
  /** What cas compares against; `null` means the key must be absent. Only on cas. */
  expected?: string | null
  /** What a get returned; `null` means absent (`""` is a real value). */
  output?: string | null
  ok: Outcome
  /** Integer nanoseconds (or any integer unit) from one clock shared by all clients. */
  call: number
  /** When the answer arrived; `>= call`. Absent when `ok` is `'unknown'`. */
  return?: number
  /** range: the keys read, `prefix` or `from` with `to` (null or absent: no upper bound), by UTF-8 bytes. */
  prefix?: string
  from?: string
  to?: string | null
  /** range, ok true: EVERY key of the range with its value, as read (one state of the store). */
  kvs?: HistoryKv[]
  /** txn: the compares and the writes of each branch, as the protocol's `txn` request. */
  compare?: TxnCompare[]
  success?: TxnOp[]
  failure?: TxnOp[]
  /** txn, ok true: whether every compare held (`success` applied) or not (`failure` applied). */
  succeeded?: boolean
}

/** A parsed history with the 1-based line number of each operation (blank lines are skipped). */
export interface ParsedHistory {
  ops: HistoryOp[]
  /** `lines[i]` is the line of `ops[i]` in the input text. */
  lines: number[]
}

/**
 * Parse JSON-lines history text. Blank lines are skipped; fields not in the format are ignored.
 *
 * @throws RaftctlError `BAD_INPUT` naming the first bad line and what is wrong with it.
 */
export function parseHistory(text: string): ParsedHistory {
  const ops: HistoryOp[] = []
  const lines: number[] = []
  const rows = text.split('\n')
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!.trim()
    if (row === '') continue
    ops.push(parseHistoryLine(row, i + 1))
    lines.push(i + 1)
  }
  return {ops, lines}
}

/**
 * Read and parse a history file.
 *
 * @throws RaftctlError `BAD_INPUT` when the file cannot be read or a line is invalid (the
 * message then names the file and the line).
 */
export async function loadHistoryFile(path: string): Promise<ParsedHistory> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    const {code, message} = err as NodeJS.ErrnoException
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : message
    throw new RaftctlError('BAD_INPUT', `cannot read history file ${path}: ${why}`, {file: path})
  }
  try {
    return parseHistory(text)
  } catch (err) {
    if (err instanceof RaftctlError) throw new RaftctlError(err.code, `${path}: ${err.message}`, {...err.details, file: path})
    throw err
  }
}

/**
 * Parse and validate one line of a history.
 *
 * @param line the 1-based line number, used in error messages.
 * @throws RaftctlError `BAD_INPUT` when the line is not a valid operation.
 */
export function parseHistoryLine(row: string, line: number): HistoryOp {
  let json: unknown
  try {
    json = JSON.parse(row)
  } catch (err) {
    throw badLine(line, `not valid JSON (${(err as Error).message})`)
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw badLine(line, 'expected a JSON object')
  }
  return validateOp(json as Record<string, unknown>, line)
}

/** Check every field of one decoded line and build the operation. */
function validateOp(raw: Record<string, unknown>, line: number): HistoryOp {
  const op = readKind(raw, line)
  const ok = readOutcome(raw, line)
  const multi = op === 'range' || op === 'txn'
  const result: HistoryOp = {
    client: readInteger(raw, 'client', line),
    op,
    key: multi ? '' : readString(raw, 'key', line),
    ok,
    call: readInteger(raw, 'call', line),
  }
  if (op === 'range') readRangeFields(raw, result, line)
  else if (op === 'txn') readTxnFields(raw, result, line)
  else readValueFields(raw, result, line)
  readReturn(raw, result, line)
  const out = inFieldOrder(result)
  out.key = result.key // '' for range and txn: in memory every op has a key
  return out
}

/** A range's bounds (prefix, or from with an optional to) and, when ok, its complete `kvs`. */
function readRangeFields(raw: Record<string, unknown>, result: HistoryOp, line: number): void {
  if (raw['prefix'] !== undefined) result.prefix = readString(raw, 'prefix', line)
  else if (raw['from'] !== undefined) {
    result.from = readString(raw, 'from', line)
    result.to = raw['to'] === undefined ? null : readNullableString(raw, 'to', line)
  } else throw badLine(line, 'a range needs "prefix", or "from" (with an optional "to")')
  if (result.ok !== true) return
  const kvs = raw['kvs']
  if (!Array.isArray(kvs)) throw badLine(line, 'a successful range needs "kvs": [{"key", "value"}, ...] (every key of the range)')
  result.kvs = kvs.map((kv, i) => {
    if (typeof kv !== 'object' || kv === null || typeof kv.key !== 'string' || typeof kv.value !== 'string') throw badLine(line, `kvs[${i}] must be {"key": string, "value": string}`)
    return {key: kv.key, value: kv.value}
  })
}

/** A txn's lists (each optional, default empty; checked item by item) and, when ok, `succeeded`. */
function readTxnFields(raw: Record<string, unknown>, result: HistoryOp, line: number): void {
  result.compare = readList(raw, 'compare', line, (c, where) => {
    const kinds = ['value', 'absent', 'modIndex'].filter((k) => c[k] !== undefined)
    if (typeof c.key !== 'string' || kinds.length !== 1) throw badLine(line, `${where} needs a "key" and exactly one of "value", "absent": true, "modIndex"`)
    if (kinds[0] === 'value' && typeof c.value === 'string') return {key: c.key, value: c.value}
    if (kinds[0] === 'absent' && c.absent === true) return {key: c.key, absent: true}
    if (kinds[0] === 'modIndex' && Number.isSafeInteger(c.modIndex)) return {key: c.key, modIndex: c.modIndex as number}
    throw badLine(line, `${where}: bad ${kinds[0]}`)
  })
  for (const branch of ['success', 'failure'] as const) {
    result[branch] = readList(raw, branch, line, (o, where) => {
      if (typeof o.key !== 'string') throw badLine(line, `${where} needs a "key"`)
      if (o.op === 'put' && typeof o.value === 'string') return {op: 'put', key: o.key, value: o.value}
      if (o.op === 'delete') return {op: 'delete', key: o.key}
      throw badLine(line, `${where} must be {"op": "put", "key", "value"} or {"op": "delete", "key"}`)
    })
  }
  if (result.ok !== true) return
  if (typeof raw['succeeded'] !== 'boolean') throw badLine(line, 'a successful txn needs "succeeded": true or false (which branch ran)')
  result.succeeded = raw['succeeded']
}

function readList<T>(raw: Record<string, unknown>, field: string, line: number, item: (x: Record<string, unknown>, where: string) => T): T[] {
  const list = raw[field] ?? []
  if (!Array.isArray(list)) throw badLine(line, `"${field}" must be a list`)
  return list.map((x, i) => {
    if (typeof x !== 'object' || x === null) throw badLine(line, `${field}[${i}] must be an object`)
    return item(x as Record<string, unknown>, `${field}[${i}]`)
  })
}

/** `value`, `expected` and `output`, required where the op needs them, type-checked everywhere. */
function readValueFields(raw: Record<string, unknown>, result: HistoryOp, line: number): void {
  const writes = result.op === 'put' || result.op === 'cas' || result.op === 'append'
  if (writes) result.value = readString(raw, 'value', line)
  else checkOptionalNullableString(raw, 'value', line)

  if (result.op === 'cas') {
    if (!('expected' in raw)) throw badLine(line, 'a cas needs "expected" (null: the key must be absent)')
    result.expected = readNullableString(raw, 'expected', line)
  } else {
    checkOptionalNullableString(raw, 'expected', line)
  }

  if (result.op === 'get' && result.ok === true) {
    if (!('output' in raw)) throw badLine(line, 'a successful get needs "output" (null: the key was absent)')
    result.output = readNullableString(raw, 'output', line)
  } else {
    checkOptionalNullableString(raw, 'output', line)
    if (typeof raw['output'] === 'string' || raw['output'] === null) result.output = raw['output'] as string | null
  }
}

/** `return`: required and `>= call` for completed ops; ignored (if well-typed) on unknown ones. */
function readReturn(raw: Record<string, unknown>, result: HistoryOp, line: number): void {
  const present = raw['return'] !== undefined && raw['return'] !== null
  if (result.ok === 'unknown') {
    if (present) {
      const ret = readInteger(raw, 'return', line)
      if (ret >= result.call) result.return = ret
    }
    return
  }
  if (!present) throw badLine(line, `"return" is required when "ok" is ${String(result.ok)}`)
  const ret = readInteger(raw, 'return', line)
  if (ret < result.call) throw badLine(line, `"return" (${ret}) is before "call" (${result.call})`)
  result.return = ret
}

function readKind(raw: Record<string, unknown>, line: number): OpKind {
  const op = raw['op']
  if (typeof op !== 'string' || !(OP_KINDS as readonly string[]).includes(op)) {
    throw badLine(line, `"op" must be one of ${OP_KINDS.join(', ')} (got ${describe(op)})`)
  }
  return op as OpKind
}

function readOutcome(raw: Record<string, unknown>, line: number): Outcome {
  const ok = raw['ok']
  if (ok === true || ok === false || ok === 'unknown') return ok
  throw badLine(line, `"ok" must be true, false or "unknown" (got ${describe(ok)})`)
}

function readInteger(raw: Record<string, unknown>, field: string, line: number): number {
  const v = raw[field]
  if (v === undefined) throw badLine(line, `"${field}" is missing`)
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
    throw badLine(line, `"${field}" must be an integer below 2^53 (got ${describe(v)})`)
  }
  return v
}

function readString(raw: Record<string, unknown>, field: string, line: number): string {
  const v = raw[field]
  if (v === undefined) throw badLine(line, `"${field}" is missing`)
  if (typeof v !== 'string') throw badLine(line, `"${field}" must be a string (got ${describe(v)})`)
  return v
}

function readNullableString(raw: Record<string, unknown>, field: string, line: number): string | null {
  const v = raw[field]
  if (v === null) return null
  if (typeof v !== 'string') throw badLine(line, `"${field}" must be a string or null (got ${describe(v)})`)
  return v
}

function checkOptionalNullableString(raw: Record<string, unknown>, field: string, line: number): void {
  if (raw[field] !== undefined) readNullableString(raw, field, line)
}

/** A short, bounded rendering of a bad value for an error message. */
function describe(v: unknown): string {
  if (v === undefined) return 'nothing'
  const text = JSON.stringify(v) ?? String(v)
  return text.length > 40 ? `${text.slice(0, 37)}...` : text
}

function badLine(line: number, problem: string): RaftctlError {
  return new RaftctlError('BAD_INPUT', `line ${line}: ${problem}`, {line})
}

/**
 * Render one operation as a JSON line (no trailing newline), fields in the order of DESIGN.md
 * §4; fields that are `undefined` are left out.
 */
export function formatHistoryLine(op: HistoryOp): string {
  return JSON.stringify(inFieldOrder(op))
}

/** A copy of `op` with the fields of the format only, in its order, `undefined` ones left out. */
function inFieldOrder(op: HistoryOp): HistoryOp {
  const out: HistoryOp = {client: op.client, op: op.op} as HistoryOp
  if (op.op !== 'range' && op.op !== 'txn') out.key = op.key
  for (const field of ['prefix', 'from', 'to', 'kvs', 'compare', 'success', 'failure', 'succeeded'] as const) {
    if (op[field] !== undefined) (out as unknown as Record<string, unknown>)[field] = op[field]
  }
  if (op.value !== undefined) out.value = op.value
  if (op.expected !== undefined) out.expected = op.expected
  if (op.output !== undefined) out.output = op.output
  out.ok = op.ok
  out.call = op.call
  if (op.return !== undefined) out.return = op.return
  return out
}

/** Render a whole history as JSON-lines text, one line per operation, newline-terminated. */
export function formatHistory(ops: readonly HistoryOp[]): string {
  return ops.map((op) => `${formatHistoryLine(op)}\n`).join('')
}
