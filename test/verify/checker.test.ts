/**
 * The register model and the verdict semantics of the checker, one small hand-written history
 * per rule (DESIGN.md §4): closed intervals, "" versus absent, append, delete, cas success and
 * failure, unknown ops (any time after call, or never), failed ops, dropped gets, locality.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {checkHistory} from '../../src/verify/checker.js'
import type {HistoryOp, Outcome} from '../../src/verify/history.js'

let nextClient = 0
/** Shorthand: `op('put', 'x', 0, 2)`, `op('get', null, 3, 4)`, `op('cas', ['a', 'b'], 0, 1, false)`. */
function op(kind: HistoryOp['op'], arg: string | null | [string | null, string], call: number, ret: number | undefined, ok: Outcome = true, key = 'k'): HistoryOp {
  const h: HistoryOp = {client: nextClient++, op: kind, key, ok, call}
  if (ok !== 'unknown' && ret !== undefined) h.return = ret
  if (kind === 'get') h.output = arg as string | null
  if (kind === 'put' || kind === 'append') h.value = arg as string
  if (kind === 'cas') [h.expected, h.value] = arg as [string | null, string]
  return h
}

function verdict(...ops: HistoryOp[]): boolean | 'unknown' {
  return checkHistory(ops).valid
}

test('the empty history is linearizable', () => {
  const result = checkHistory([])
  assert.deepEqual({valid: result.valid, ops: result.ops, keys: result.keys}, {valid: true, ops: 0, keys: 0})
})

test('every key starts absent; "" is a value, not absence', () => {
  assert.equal(verdict(op('get', null, 0, 1)), true)
  assert.equal(verdict(op('get', '', 0, 1)), false)
  assert.equal(verdict(op('put', '', 0, 1), op('get', '', 2, 3)), true)
  assert.equal(verdict(op('put', '', 0, 1), op('get', null, 2, 3)), false)
})

test('a read after a completed write sees it; a concurrent one may not', () => {
  assert.equal(verdict(op('put', 'x', 0, 1), op('get', null, 2, 3)), false)
  assert.equal(verdict(op('put', 'x', 0, 5), op('get', null, 2, 3)), true)
  assert.equal(verdict(op('put', 'x', 0, 5), op('get', 'x', 2, 3)), true)
})

test('intervals are closed: touching ops overlap', () => {
  assert.equal(verdict(op('put', 'x', 0, 2), op('get', null, 2, 3)), true)
  assert.equal(verdict(op('put', 'x', 0, 1), op('get', null, 2, 3)), false)
})

test('append concatenates (absent counts as empty); delete makes absent', () => {
  assert.equal(verdict(op('append', 'a', 0, 1), op('append', 'b', 2, 3), op('get', 'ab', 4, 5)), true)
  assert.equal(verdict(op('append', 'a', 0, 1), op('append', 'b', 2, 3), op('get', 'ba', 4, 5)), false)
  assert.equal(verdict(op('append', 'a', 0, 9), op('append', 'b', 0, 9), op('get', 'ba', 10, 11)), true)
  assert.equal(verdict(op('put', 'x', 0, 1), op('delete', null, 2, 3), op('get', null, 4, 5)), true)
  assert.equal(verdict(op('put', 'x', 0, 1), op('delete', null, 2, 3), op('get', 'x', 4, 5)), false)
})

test('cas: ok true needs a match, ok false needs a mismatch, null expects absence', () => {
  assert.equal(verdict(op('cas', [null, 'a'], 0, 1), op('get', 'a', 2, 3)), true)
  assert.equal(verdict(op('put', 'x', 0, 1), op('cas', [null, 'a'], 2, 3)), false)
  assert.equal(verdict(op('cas', [null, 'a'], 0, 1, false)), false)
  assert.equal(verdict(op('cas', ['x', 'a'], 0, 1, false), op('get', null, 2, 3)), true)
  assert.equal(verdict(op('put', 'x', 0, 1), op('cas', ['x', 'a'], 2, 3, false)), false)
})

test('a failed write never takes effect', () => {
  assert.equal(verdict(op('put', 'x', 0, 1, false), op('get', 'x', 2, 3)), false)
  assert.equal(verdict(op('put', 'x', 0, 1, false), op('get', null, 2, 3)), true)
})

test('an unknown write may take effect at any time after its call, or never', () => {
  assert.equal(verdict(op('put', 'x', 0, undefined, 'unknown'), op('get', null, 1, 2), op('get', 'x', 100, 101), op('get', 'x', 200, 201)), true)
  assert.equal(verdict(op('put', 'x', 5, undefined, 'unknown'), op('get', null, 10, 11)), true)
  assert.equal(verdict(op('put', 'x', 5, undefined, 'unknown'), op('get', 'x', 0, 1)), false)
  // It happens once: a value cannot come back after being overwritten.
  assert.equal(verdict(op('put', 'x', 0, undefined, 'unknown'), op('get', 'x', 1, 2), op('put', 'y', 3, 4), op('get', 'x', 5, 6)), false)
  // Two identical unknown appends may both take effect.
  assert.equal(verdict(op('append', 'x', 0, undefined, 'unknown'), op('append', 'x', 0, undefined, 'unknown'), op('get', 'xx', 5, 6)), true)
})

test('an unknown cas takes effect only where it matches', () => {
  assert.equal(verdict(op('cas', [null, 'a'], 0, undefined, 'unknown'), op('get', 'a', 1, 2)), true)
  assert.equal(verdict(op('put', 'x', 0, 1), op('cas', ['y', 'a'], 2, undefined, 'unknown'), op('get', 'a', 3, 4)), false)
})

test('a get that failed or timed out carries no constraint', () => {
  assert.equal(verdict(op('get', 'nonsense', 0, 1, false)), true)
  assert.equal(verdict(op('get', 'nonsense', 0, undefined, 'unknown')), true)
})

test('keys are independent', () => {
  const result = checkHistory([op('put', 'x', 0, 1, true, 'a'), op('get', null, 2, 3, true, 'b'), op('get', 'x', 2, 3, true, 'a')])
  assert.equal(result.valid, true)
  assert.equal(result.keys, 2)
  assert.deepEqual(result.perKey.map((k) => [k.key, k.ops, k.valid]), [['a', 2, true], ['b', 1, true]])
})

test('counts and the counterexample of a stale read', () => {
  const history = [op('put', 'x', 0, 1), op('put', 'y', 2, 3), op('get', 'y', 4, 5), op('get', 'x', 6, 7), op('put', 'z', 8, undefined, 'unknown'), op('get', 'q', 9, 10, false)]
  const result = checkHistory(history, {lines: [10, 11, 12, 13, 14, 15]})
  assert.equal(result.valid, false)
  assert.deepEqual(result.counts, {ok: 4, failed: 1, unknown: 1})
  const cx = result.counterexample!
  assert.equal(cx.key, 'k')
  assert.equal(cx.at, 7)
  assert.equal(cx.minimal, true)
  assert.deepEqual([cx.culprit.index, cx.culprit.line], [3, 13])
  assert.deepEqual(cx.ops.map((o) => o.index), [0, 1, 2, 3])
  assert.deepEqual(cx.linearized.map((s) => [s.op.index, s.after]), [[0, 'x'], [1, 'y'], [2, 'y']])
})

test('the counterexample is the smallest failing prefix, not the whole history', () => {
  const history = [op('put', 'x', 0, 1), op('get', null, 2, 3)]
  for (let t = 10; t < 100; t += 10) history.push(op('put', `v${t}`, t, t + 1), op('get', `v${t}`, t + 2, t + 3))
  const cx = checkHistory(history).counterexample!
  assert.equal(cx.at, 3)
  assert.deepEqual(cx.ops.map((o) => o.index), [0, 1])
})

test('a completed op without a return is refused', () => {
  assert.throws(() => checkHistory([{client: 0, op: 'get', key: 'k', output: null, ok: true, call: 1}]), /BAD_INPUT|return/)
})

test('an unknown cas stays possible while the register holds what it expects', () => {
  // Putting v leaves "absent" for good, so the unknown cas absent -> v can never fire (and is
  // no longer a way to write v); the unknown cas v -> w still can, right now.
  const history = [op('put', 'v', 0, 1), op('cas', [null, 'v'], 2, undefined, 'unknown'), op('cas', ['v', 'w'], 3, undefined, 'unknown'), op('get', 'w', 5, 6)]
  assert.equal(verdict(...history), true)
  assert.equal(verdict(history[0]!, history[1]!, history[3]!), false)
})
