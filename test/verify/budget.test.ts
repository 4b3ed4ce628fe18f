/**
 * Budgets: a history whose search space explodes must give the verdict `unknown` (never a pass,
 * never a hang) when the time, state or memory budget runs out, and say which one.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {checkHistory} from '../../src/verify/checker.js'
import type {HistoryOp} from '../../src/verify/history.js'

/**
 * `writers` overlapping puts of distinct values, then a read of a value nobody wrote: not
 * linearizable, but proving it visits every subset of the puts (2^writers configurations).
 */
function explosive(writers: number): HistoryOp[] {
  const ops: HistoryOp[] = []
  for (let i = 0; i < writers; i++) {
    ops.push({client: i, op: 'put', key: 'k', value: `v${i}`, ok: true, call: i, return: 1000 + i})
  }
  ops.push({client: writers, op: 'get', key: 'k', output: 'nobody wrote this', ok: true, call: 2000, return: 2001})
  return ops
}

test('state budget: unknown with reason state-limit', () => {
  const result = checkHistory(explosive(40), {maxStates: 10_000})
  assert.equal(result.valid, 'unknown')
  assert.equal(result.reason, 'state-limit')
  assert.equal(result.perKey[0]!.states, 10_000)
  assert.equal(result.counterexample, undefined)
})

// The other budgets are far out of reach, so without the time limit the check would not return
// for hours: returning at all, with reason time-limit, shows the limit works. How soon after the
// 50 ms it returns is not asserted (a busy machine stretches that).
test('time budget: unknown with reason time-limit', () => {
  const result = checkHistory(explosive(40), {timeLimitMs: 50, maxStates: 1e9, maxMemoryBytes: 2 ** 40})
  assert.equal(result.valid, 'unknown')
  assert.equal(result.reason, 'time-limit')
})

test('memory budget: unknown with reason memory-limit', () => {
  const result = checkHistory(explosive(40), {maxMemoryBytes: 64 * 1024})
  assert.equal(result.valid, 'unknown')
  assert.equal(result.reason, 'memory-limit')
})

test('the same shape, small enough, is decided within the default budget', () => {
  assert.equal(checkHistory(explosive(10)).valid, false)
  const linearizable = explosive(10)
  linearizable[linearizable.length - 1]!.output = 'v3'
  assert.equal(checkHistory(linearizable).valid, true)
})

test('a violation on one key beats an undecided other key', () => {
  const undecided = explosive(30)
  const stale: HistoryOp[] = [
    {client: 90, op: 'put', key: 'other', value: 'a', ok: true, call: 0, return: 1},
    {client: 91, op: 'get', key: 'other', output: null, ok: true, call: 2, return: 3},
  ]
  const result = checkHistory([...undecided, ...stale], {maxStates: 1000})
  assert.equal(result.valid, false)
  assert.equal(result.counterexample?.key, 'other')
  assert.deepEqual(result.perKey.map((k) => k.valid), ['unknown', false])
})
