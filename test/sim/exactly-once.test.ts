/**
 * The exactly-once check: an acknowledged append's token must appear once in its result and
 * once in the final value; a token applied twice (a retry not deduplicated) is a violation.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {ExactlyOnce, Violation} from '../../src/sim/invariants.js'

const append = (clientId: string, seq: number) => ({op: 'append' as const, key: 'a0', value: `${clientId}.${seq};`, session: {clientId, seq}})
const isExactlyOnce = (err: unknown): boolean => err instanceof Violation && err.property === 'exactly-once'

test('final values with every acknowledged token once pass', () => {
  const ledger = new ExactlyOnce()
  ledger.acknowledged('c1', 1, append('c1', 1), {ok: true, op: 'append', value: 'c1.1;'}, 4)
  ledger.acknowledged('c2', 1, append('c2', 1), {ok: true, op: 'append', value: 'c1.1;c2.1;'}, 5)
  // c3.1 was never acknowledged: it may appear (once) or not.
  ledger.checkFinal(['a0'], () => 'c1.1;c3.1;c2.1;')
})

test('a token applied twice is a violation, acknowledged or not', () => {
  const ledger = new ExactlyOnce()
  assert.throws(() => ledger.checkFinal(['a0'], () => 'c1.1;c1.2;c1.1;'), isExactlyOnce)
})

test('an acknowledged append missing from the final value is a violation', () => {
  const ledger = new ExactlyOnce()
  ledger.acknowledged('c1', 1, append('c1', 1), {ok: true, op: 'append', value: 'c1.1;'}, 4)
  assert.throws(() => ledger.checkFinal(['a0'], () => 'c2.1;'), isExactlyOnce)
})

test('after a disaster recovery lost the log from index 5, only the appends acknowledged there may be missing', () => {
  const ledger = new ExactlyOnce()
  ledger.acknowledged('c1', 1, append('c1', 1), {ok: true, op: 'append', value: 'c1.1;'}, 4)
  ledger.acknowledged('c2', 1, append('c2', 1), {ok: true, op: 'append', value: 'c1.1;c2.1;'}, 5)
  assert.equal(ledger.forgetFrom(5), 1)
  ledger.checkFinal(['a0'], () => 'c1.1;')
  assert.throws(() => ledger.checkFinal(['a0'], () => 'c2.1;'), isExactlyOnce, 'c1.1 (index 4) is still required')
  assert.throws(() => ledger.checkFinal(['a0'], () => 'c1.1;c2.1;c2.1;'), isExactlyOnce, 'at most once still holds')
})

test('an acknowledged result holding its token twice, or an error result, is a violation', () => {
  const ledger = new ExactlyOnce()
  assert.throws(() => ledger.acknowledged('c1', 1, append('c1', 1), {ok: true, op: 'append', value: 'c1.1;c1.1;'}, 4), isExactlyOnce)
  assert.throws(() => ledger.acknowledged('c1', 2, append('c1', 2), {ok: false, code: 'STALE_SEQUENCE', message: 'old'}, 5), isExactlyOnce)
})
