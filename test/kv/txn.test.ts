/**
 * Tests of the `txn` command: compares (value, absent, modIndex), both branches, atomicity
 * under the data quota, exactly-once with a session, the codec's round trip and refusals,
 * the change listener that watches read (each entry's changes in order, a restore told), and
 * that snapshots carry a cached txn result.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {KvError, KvStateMachine, changesOf, decodeCommand, decodeResult, encodeCommand, encodeResult, type KvChange, type TxnCommand} from '../../src/kv/index.js'
import {run} from './arbitraries.js'

function txn(compare: TxnCommand['compare'], success: TxnCommand['success'], failure: TxnCommand['failure'] = []): TxnCommand {
  return {op: 'txn', compare, success, failure}
}

describe('txn', () => {
  it('applies the success branch when every compare holds, else the failure branch', () => {
    const sm = new KvStateMachine()
    run(sm, 1, {op: 'put', key: 'a', value: '10'})
    run(sm, 2, {op: 'put', key: 'b', value: '0'})
    const move = txn([{key: 'a', value: '10'}, {key: 'b', value: '0'}, {key: 'c', absent: true}], [
      {op: 'put', key: 'a', value: '7'}, {op: 'put', key: 'b', value: '3'},
    ], [{op: 'put', key: 'failed', value: 'yes'}])
    assert.deepEqual(run(sm, 3, move), {ok: true, op: 'txn', succeeded: true})
    assert.equal(sm.read('a'), '7')
    assert.equal(sm.read('b'), '3')
    assert.equal(sm.modIndex('a'), 3)
    assert.deepEqual(run(sm, 4, move), {ok: true, op: 'txn', succeeded: false})
    assert.equal(sm.read('a'), '7')
    assert.equal(sm.read('failed'), 'yes')
  })

  it('compares modIndex: the index of the entry that last wrote the key; an absent key has none', () => {
    const sm = new KvStateMachine()
    run(sm, 5, {op: 'put', key: 'k', value: 'v'})
    assert.deepEqual(run(sm, 6, txn([{key: 'k', modIndex: 4}], [{op: 'delete', key: 'k'}])), {ok: true, op: 'txn', succeeded: false})
    assert.deepEqual(run(sm, 7, txn([{key: 'k', modIndex: 5}], [{op: 'delete', key: 'k'}])), {ok: true, op: 'txn', succeeded: true})
    assert.equal(sm.read('k'), null)
    assert.deepEqual(run(sm, 8, txn([{key: 'k', modIndex: 0}], [{op: 'put', key: 'x', value: ''}])), {ok: true, op: 'txn', succeeded: false})
  })

  it('no compare always succeeds; empty branches change nothing', () => {
    const sm = new KvStateMachine()
    assert.deepEqual(run(sm, 1, txn([], [{op: 'put', key: 'k', value: 'v'}])), {ok: true, op: 'txn', succeeded: true})
    assert.deepEqual(run(sm, 2, txn([{key: 'k', absent: true}], [])), {ok: true, op: 'txn', succeeded: false})
    assert.equal(sm.read('k'), 'v')
  })

  it('is all or nothing under maxDataBytes, even when an earlier put alone would fit', () => {
    const sm = new KvStateMachine({maxDataBytes: 20})
    run(sm, 1, {op: 'put', key: 'a', value: '12345'})
    const result = run(sm, 2, txn([], [{op: 'put', key: 'b', value: '1234567'}, {op: 'put', key: 'c', value: '1234567'}]))
    assert.equal(result.ok, false)
    assert.equal(!result.ok && result.code, 'STORAGE_FULL')
    assert.equal(sm.read('b'), null)
    // Shrinking a key in the same branch makes room: judged as a whole, not op by op.
    const fits = run(sm, 3, txn([], [{op: 'put', key: 'b', value: '1234567'}, {op: 'delete', key: 'a'}]))
    assert.deepEqual(fits, {ok: true, op: 'txn', succeeded: true})
    assert.equal(sm.dataBytes, 8)
  })

  it('is applied once per session seq: a retry gets the cached result and changes nothing', () => {
    const sm = new KvStateMachine()
    run(sm, 1, {op: 'put', key: 'n', value: '0'})
    const inc: TxnCommand = {...txn([{key: 'n', value: '0'}], [{op: 'put', key: 'n', value: '1'}]), session: {clientId: 'c', seq: 1}}
    assert.deepEqual(run(sm, 2, inc), {ok: true, op: 'txn', succeeded: true})
    assert.deepEqual(run(sm, 3, inc), {ok: true, op: 'txn', succeeded: true})
    assert.equal(sm.modIndex('n'), 2)
    const copy = new KvStateMachine()
    copy.restore(sm.snapshot())
    assert.deepEqual(run(copy, 4, inc), {ok: true, op: 'txn', succeeded: true}, 'the cached txn result survives a snapshot')
  })

  it('round-trips through the codec and refuses malformed ones', () => {
    const command: TxnCommand = {
      op: 'txn', compare: [{key: 'é', value: ''}, {key: 'b', absent: true}, {key: 'c', modIndex: 2 ** 40}],
      success: [{op: 'put', key: 'x', value: '🙂'}, {op: 'delete', key: 'y'}], failure: [{op: 'delete', key: 'x'}],
      session: {clientId: 'c', seq: 3},
    }
    assert.deepEqual(decodeCommand(encodeCommand(command)), command)
    assert.deepEqual(decodeResult(encodeResult({ok: true, op: 'txn', succeeded: false})), {ok: true, op: 'txn', succeeded: false})
    const refused = (c: TxnCommand, code: string): void => assert.throws(() => encodeCommand(c, {maxKeyBytes: 8, maxValueBytes: 8, maxClientIdBytes: 8, maxTxnOps: 2}), (e: unknown) => e instanceof KvError && e.code === code)
    refused(txn([], [{op: 'put', key: 'k', value: '1'}, {op: 'delete', key: 'k'}]), 'BAD_REQUEST')
    refused(txn([{key: 'k', value: 'v', absent: true} as never], []), 'BAD_REQUEST')
    refused(txn([], [{op: 'put', key: '', value: ''}]), 'BAD_REQUEST')
    refused(txn([{key: 'a', absent: true}, {key: 'b', absent: true}, {key: 'c', absent: true}], []), 'PAYLOAD_TOO_LARGE')
    refused(txn([], [{op: 'put', key: 'k', value: '123456789'}]), 'PAYLOAD_TOO_LARGE')
    const tooMany = encodeCommand(txn([{key: 'a', absent: true}, {key: 'b', absent: true}, {key: 'c', absent: true}], []))
    assert.throws(() => decodeCommand(tooMany, {maxKeyBytes: 8, maxValueBytes: 8, maxClientIdBytes: 8, maxTxnOps: 2}), (e: unknown) => e instanceof KvError && e.code === 'PAYLOAD_TOO_LARGE')
  })
})

describe('change listener', () => {
  it('tells each entry its changes in order: puts, deletes of present keys, one per key of a deletePrefix, a txn branch', () => {
    const sm = new KvStateMachine({maxDataBytes: 64})
    const seen: Array<[number, readonly KvChange[]]> = []
    const restored: number[] = []
    // The listener keeps the entry's bytes and summary; the change list is rebuilt from them.
    sm.watchChanges({changed: (index, data, summary) => seen.push([index, changesOf(data, summary)]), restored: (index) => restored.push(index)})
    run(sm, 1, {op: 'put', key: 'p/a', value: '1'})
    run(sm, 2, {op: 'delete', key: 'absent'})
    run(sm, 3, {op: 'cas', key: 'p/a', expected: 'no', value: '2'})
    run(sm, 4, {op: 'append', key: 'p/b', value: 'x'})
    run(sm, 5, txn([{key: 'p/a', value: '1'}], [{op: 'put', key: 'q', value: 'v'}, {op: 'delete', key: 'p/a'}]))
    run(sm, 6, {op: 'deletePrefix', prefix: 'p/'})
    run(sm, 7, {op: 'append', key: 'q', value: 'w'})
    run(sm, 8, {op: 'cas', key: 'q', expected: 'vw', value: 'c'})
    run(sm, 9, {op: 'delete', key: 'q'})
    run(sm, 10, txn([{key: 'q', value: 'no'}], [{op: 'put', key: 'r', value: '1'}], [{op: 'delete', key: 'absent'}]))
    run(sm, 11, {op: 'put', key: 'd', value: '1', session: {clientId: 'c', seq: 1}})
    run(sm, 12, {op: 'put', key: 'd', value: '1', session: {clientId: 'c', seq: 1}})
    run(sm, 13, {op: 'put', key: 'big', value: 'x'.repeat(64)})
    assert.deepEqual(seen, [
      [1, [{key: 'p/a', value: '1'}]],
      [4, [{key: 'p/b', value: 'x'}]],
      [5, [{key: 'q', value: 'v'}, {key: 'p/a', value: null}]],
      [6, [{key: 'p/b', value: null}]],
      [7, [{key: 'q', value: 'vw'}]],
      [8, [{key: 'q', value: 'c'}]],
      [9, [{key: 'q', value: null}]],
      [11, [{key: 'd', value: '1'}]],
    ], 'a failed cas, an absent delete, a txn branch changing nothing, a session duplicate and a refused write change nothing')
    const other = new KvStateMachine()
    run(other, 9, {op: 'put', key: 'z', value: 'z'})
    sm.restore(other.snapshot())
    assert.deepEqual(restored, [9])
  })
})
