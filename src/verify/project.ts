/**
 * The per-key meaning of range reads and txns, for the checker and the durability check, which
 * both work key by key (linearizability is local). Each op of several keys becomes single-key
 * ops with the same call, return and position in the history; every projection keeps or
 * weakens the constraints the op puts on each key, so a violation found on the projection is
 * a violation of the history (sound); what the projection leaves out is listed in
 * docs/checker.md ("Range reads and transactions").
 *
 * - A range read that succeeded reads, as of its call..return, every key of the history inside
 *   its bounds: a get of the value it listed, or of absent when it did not list the key. Each
 *   key is checked on its own: that all were read at ONE instant is not checked here.
 * - A txn that succeeded with `succeeded: true`: per key, a value/absent compare and a put of
 *   that key make a cas; a compare alone a get; a compare and a delete a get and a delete; a
 *   write alone a put or delete. `modIndex` compares are left out.
 * - A txn that succeeded with `succeeded: false`: the failure writes, and, when the txn had a
 *   single value/absent compare, a failed cas of it (the one that must have failed).
 * - A txn of unknown outcome: every write of either branch as an unknown op (a success put of a
 *   compared key as an unknown cas); compares otherwise left out.
 * - A range or txn that failed (`ok: false`): nothing.
 */
import type {TxnCompare, TxnOp} from '../admin/protocol.js'
import type {HistoryOp} from './history.js'

/** A single-key op and the position of the history op it comes from. */
export interface ProjectedOp {
  readonly op: HistoryOp
  readonly index: number
}

/** Every op of `history` as single-key ops (single-key ops unchanged), in history order. */
export function projectHistory(history: readonly HistoryOp[]): ProjectedOp[] {
  const keys = keysOf(history)
  const out: ProjectedOp[] = []
  history.forEach((op, index) => {
    if (op.op === 'range') for (const p of projectRange(op, keys)) out.push({op: p, index})
    else if (op.op === 'txn') for (const p of projectTxn(op)) out.push({op: p, index})
    else out.push({op, index})
  })
  return out
}

/** Every key the history names: single-key ops', txns' and the keys ranges listed. */
function keysOf(history: readonly HistoryOp[]): string[] {
  const keys = new Set<string>()
  for (const op of history) {
    if (op.op === 'range') for (const kv of op.kvs ?? []) keys.add(kv.key)
    else if (op.op === 'txn') for (const x of [...op.compare ?? [], ...op.success ?? [], ...op.failure ?? []]) keys.add(x.key)
    else keys.add(op.key)
  }
  return [...keys]
}

/** Whether `key` is inside the range's bounds (UTF-8 byte order, as the store's). */
export function inRange(op: Pick<HistoryOp, 'prefix' | 'from' | 'to'>, key: string): boolean {
  if (op.prefix !== undefined) return key.startsWith(op.prefix)
  const k = Buffer.from(key, 'utf8')
  if (Buffer.compare(k, Buffer.from(op.from ?? '', 'utf8')) < 0) return false
  return op.to === undefined || op.to === null || Buffer.compare(k, Buffer.from(op.to, 'utf8')) < 0
}

function projectRange(op: HistoryOp, keys: readonly string[]): HistoryOp[] {
  if (op.ok !== true) return []
  const listed = new Map((op.kvs ?? []).map((kv) => [kv.key, kv.value]))
  return keys.filter((key) => inRange(op, key)).map((key) => single(op, {op: 'get', key, output: listed.get(key) ?? null}))
}

/** What a value/absent compare expects (undefined: a modIndex compare, not modelled). */
function expectedOf(c: TxnCompare): string | null | undefined {
  return 'value' in c ? c.value : 'absent' in c ? null : undefined
}

function projectTxn(op: HistoryOp): HistoryOp[] {
  const compares = (op.compare ?? []).filter((c) => expectedOf(c) !== undefined)
  if (op.ok === false) return []
  if (op.ok === 'unknown') {
    const writes = [...op.success ?? [], ...op.failure ?? []]
    return writes.map((w) => {
      const c = compares.filter((x) => x.key === w.key)
      if (w.op === 'put' && c.length === 1 && (op.success ?? []).includes(w)) return single(op, {op: 'cas', key: w.key, expected: expectedOf(c[0]!)!, value: w.value})
      return write(op, w)
    })
  }
  if (op.succeeded === false) {
    const out = (op.failure ?? []).map((w) => write(op, w))
    if (compares.length === 1) out.push(single(op, {op: 'cas', key: compares[0]!.key, expected: expectedOf(compares[0]!)!, value: '\u0000failed compare', ok: false}))
    return out
  }
  const out: HistoryOp[] = []
  const written = new Set<string>()
  for (const w of op.success ?? []) {
    const c = compares.filter((x) => x.key === w.key)
    if (w.op === 'put' && c.length === 1) {
      out.push(single(op, {op: 'cas', key: w.key, expected: expectedOf(c[0]!)!, value: w.value}))
      written.add(w.key)
    } else out.push(write(op, w))
  }
  for (const c of compares) if (!written.has(c.key)) out.push(single(op, {op: 'get', key: c.key, output: expectedOf(c)!}))
  return out
}

function write(op: HistoryOp, w: TxnOp): HistoryOp {
  return w.op === 'put' ? single(op, {op: 'put', key: w.key, value: w.value}) : single(op, {op: 'delete', key: w.key})
}

/** A single-key op with `op`'s client, outcome and times. */
function single(op: HistoryOp, fields: Pick<HistoryOp, 'op' | 'key'> & Partial<HistoryOp>): HistoryOp {
  const out: HistoryOp = {client: op.client, ok: op.ok, call: op.call, ...fields}
  if (op.return !== undefined) out.return = op.return
  if (out.ok === 'unknown') delete out.return
  return out
}
