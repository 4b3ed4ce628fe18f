/**
 * Range reads and txns in histories: parsing and writing their lines, and the checker's per-key
 * projection (src/verify/project.ts): a range read is a read of every key of the history inside
 * its bounds (absent when not listed), a txn's compares and writes become cas / get / put /
 * delete of each key, unknown txns optional writes. Each case would be accepted if the
 * projection dropped the constraint it tests.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {checkHistory} from '../../src/verify/checker.js'
import {formatHistory, parseHistory, type HistoryOp} from '../../src/verify/history.js'

const put = (key: string, value: string, call: number, ret: number): HistoryOp => ({client: 0, op: 'put', key, value, ok: true, call, return: ret})
const range = (prefix: string, kvs: Array<[string, string]>, call: number, ret: number): HistoryOp =>
  ({client: 1, op: 'range', key: '', prefix, kvs: kvs.map(([key, value]) => ({key, value})), ok: true, call, return: ret})
const txn = (fields: Partial<HistoryOp>, call: number, ret?: number): HistoryOp =>
  ({client: 2, op: 'txn', key: '', compare: [], success: [], failure: [], ok: true, call, ...(ret === undefined ? {} : {return: ret}), ...fields})

describe('range reads in the checker', () => {
  it('a range that lists current values is linearizable', () => {
    const h = [put('p/a', '1', 0, 1), put('p/b', '2', 2, 3), put('q', 'x', 2, 3), range('p/', [['p/a', '1'], ['p/b', '2']], 4, 5)]
    assert.equal(checkHistory(h).valid, true)
  })

  it('a stale value of one key is a violation of that key', () => {
    const h = [put('p/a', '1', 0, 1), put('p/a', '2', 2, 3), range('p/', [['p/a', '1']], 4, 5)]
    const r = checkHistory(h)
    assert.equal(r.valid, false)
    assert.equal(r.counterexample?.key, 'p/a')
    assert.equal(r.counterexample?.culprit.index, 2, 'the culprit is the range read')
  })

  it('a key of the range that is left out is read as absent: a violation once it was written', () => {
    assert.equal(checkHistory([put('p/a', '1', 0, 1), put('p/b', '2', 0, 1), range('p/', [['p/a', '1']], 4, 5)]).valid, false)
    assert.equal(checkHistory([put('p/a', '1', 0, 1), put('x', '2', 0, 1), range('p/', [['p/a', '1']], 4, 5)]).valid, true, 'x is outside the range')
  })

  it('from/to bounds compare UTF-8 bytes, half-open', () => {
    const h = [put('b', '1', 0, 1), put('\u{1F600}', '2', 0, 1), put('\uFF00', '3', 0, 1),
      {client: 1, op: 'range', key: '', from: 'b', to: '\u{1F600}', kvs: [{key: 'b', value: '1'}, {key: '\uFF00', value: '3'}], ok: true, call: 2, return: 3} as HistoryOp]
    assert.equal(checkHistory(h).valid, true)
  })
})

describe('txns in the checker', () => {
  const move = (a: string, b: string, a2: string, b2: string): Partial<HistoryOp> => ({
    compare: [{key: 'a', value: a}, {key: 'b', value: b}],
    success: [{op: 'put', key: 'a', value: a2}, {op: 'put', key: 'b', value: b2}],
  })

  it('a succeeded txn is a cas of each compared and written key', () => {
    const ok = [put('a', '10', 0, 1), put('b', '0', 0, 1), txn({...move('10', '0', '7', '3'), succeeded: true}, 2, 3), range('', [['a', '7'], ['b', '3']], 4, 5)]
    assert.equal(checkHistory(ok).valid, true)
    const stale = [put('a', '10', 0, 1), put('a', '11', 2, 3), put('b', '0', 0, 1), txn({...move('10', '0', '7', '3'), succeeded: true}, 4, 5)]
    assert.equal(checkHistory(stale).valid, false, 'a was 11, not 10, when the txn ran')
  })

  it('a failed single compare must have failed: a failed cas of that key', () => {
    const h = [put('a', '10', 0, 1), txn({compare: [{key: 'a', value: '10'}], success: [{op: 'put', key: 'a', value: 'x'}], succeeded: false}, 2, 3)]
    assert.equal(checkHistory(h).valid, false)
    const failureBranch = [put('a', '9', 0, 1), txn({compare: [{key: 'a', value: '10'}], failure: [{op: 'put', key: 'log', value: 'no'}], succeeded: false}, 2, 3), range('', [['a', '9'], ['log', 'no']], 4, 5)]
    assert.equal(checkHistory(failureBranch).valid, true)
  })

  it('an unknown txn may or may not have taken effect, but only if its compares held', () => {
    const base = [put('a', '10', 0, 1), put('b', '0', 0, 1), txn({...move('10', '0', '7', '3'), ok: 'unknown'}, 2)]
    assert.equal(checkHistory([...base, range('', [['a', '7'], ['b', '3']], 4, 5)]).valid, true)
    assert.equal(checkHistory([...base, range('', [['a', '10'], ['b', '0']], 4, 5)]).valid, true)
    const neverHeld = [put('a', '11', 0, 1), put('b', '0', 0, 1), txn({...move('10', '0', '7', '3'), ok: 'unknown'}, 2), range('', [['a', '7'], ['b', '0']], 4, 5)]
    assert.equal(checkHistory(neverHeld).valid, false, 'a never held 10, so a = 7 comes from nowhere')
  })
})

describe('history lines of range and txn', () => {
  it('round-trip through the writer and the parser', () => {
    const h = [
      range('p/', [['p/a', '1']], 1, 2),
      {client: 3, op: 'range', key: '', from: 'a', to: null, ok: false, call: 1, return: 2} as HistoryOp,
      txn({compare: [{key: 'a', absent: true}, {key: 'c', modIndex: 3}], success: [{op: 'delete', key: 'b'}], succeeded: true}, 3, 4),
      txn({ok: 'unknown'}, 5),
    ]
    const text = formatHistory(h)
    assert.ok(!text.split('\n')[0]!.includes('"key":""'), 'no key field on a range line')
    assert.deepEqual(parseHistory(text).ops, h)
  })

  it('refuses incomplete lines, naming the line', () => {
    const bad = (line: string, message: RegExp): void => assert.throws(() => parseHistory(line), (e: Error) => message.test(e.message))
    bad('{"client":0,"op":"range","prefix":"p","ok":true,"call":1,"return":2}', /line 1: a successful range needs "kvs"/)
    bad('{"client":0,"op":"range","ok":false,"call":1,"return":2}', /needs "prefix", or "from"/)
    bad('{"client":0,"op":"txn","compare":[{"key":"a","value":"1","absent":true}],"ok":"unknown","call":1}', /exactly one of/)
    bad('{"client":0,"op":"txn","ok":true,"call":1,"return":2}', /needs "succeeded"/)
  })
})
