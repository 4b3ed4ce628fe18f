/**
 * Tests of KvStateMachine.apply: the semantics of every operation, the leader's no-op,
 * malformed and oversized commands as error results (never exceptions), the data quota,
 * apply-index rules, metrics, and structural compatibility with the replica's StateMachine port.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import fc from 'fast-check'
import type {StateMachine} from '../../src/replica/ports.js'
import {DEFAULT_KV_LIMITS, KvError, KvStateMachine, decodeCommand, encodeCommand, type KvResult} from '../../src/kv/index.js'
import {feed, run, wellFormed} from './arbitraries.js'

describe('KvStateMachine operations', () => {
  it('get of an absent key is null; put then get returns the value', () => {
    const sm = new KvStateMachine()
    assert.deepEqual(run(sm, 1, {op: 'get', key: 'k'}), {ok: true, op: 'get', value: null})
    assert.deepEqual(run(sm, 2, {op: 'put', key: 'k', value: 'v'}), {ok: true, op: 'put', value: 'v'})
    assert.deepEqual(run(sm, 3, {op: 'get', key: 'k'}), {ok: true, op: 'get', value: 'v'})
    assert.equal(sm.read('k'), 'v')
    assert.equal(sm.read('other'), null)
  })

  it('the empty string is a real value, distinct from absent', () => {
    const sm = new KvStateMachine()
    run(sm, 1, {op: 'put', key: 'k', value: ''})
    assert.equal(sm.read('k'), '')
    assert.deepEqual(run(sm, 2, {op: 'cas', key: 'k', expected: null, value: 'x'}), {ok: true, op: 'cas', swapped: false, value: ''})
  })

  it('put overwrites', () => {
    const sm = new KvStateMachine()
    feed(sm, [
      {op: 'put', key: 'k', value: 'a'},
      {op: 'put', key: 'k', value: 'b'},
    ])
    assert.equal(sm.read('k'), 'b')
    assert.equal(sm.size, 1)
  })

  it('delete reports whether the key existed; delete of absent is not an error', () => {
    const sm = new KvStateMachine()
    assert.deepEqual(run(sm, 1, {op: 'delete', key: 'k'}), {ok: true, op: 'delete', deleted: false})
    run(sm, 2, {op: 'put', key: 'k', value: 'v'})
    assert.deepEqual(run(sm, 3, {op: 'delete', key: 'k'}), {ok: true, op: 'delete', deleted: true})
    assert.equal(sm.read('k'), null)
    assert.equal(sm.size, 0)
  })

  it('cas with expected absent: swaps only when the key is absent', () => {
    const sm = new KvStateMachine()
    assert.deepEqual(run(sm, 1, {op: 'cas', key: 'k', expected: null, value: 'v1'}), {ok: true, op: 'cas', swapped: true, value: 'v1'})
    assert.deepEqual(run(sm, 2, {op: 'cas', key: 'k', expected: null, value: 'v2'}), {ok: true, op: 'cas', swapped: false, value: 'v1'})
    assert.equal(sm.read('k'), 'v1')
  })

  it('cas with an expected value: swaps on match, reports the current value on mismatch (not an error)', () => {
    const sm = new KvStateMachine()
    run(sm, 1, {op: 'put', key: 'k', value: 'a'})
    assert.deepEqual(run(sm, 2, {op: 'cas', key: 'k', expected: 'x', value: 'b'}), {ok: true, op: 'cas', swapped: false, value: 'a'})
    assert.deepEqual(run(sm, 3, {op: 'cas', key: 'k', expected: 'a', value: 'b'}), {ok: true, op: 'cas', swapped: true, value: 'b'})
    assert.deepEqual(run(sm, 4, {op: 'cas', key: 'gone', expected: 'a', value: 'b'}), {ok: true, op: 'cas', swapped: false, value: null})
    assert.equal(sm.read('gone'), null)
  })

  it('append on absent starts from ""; append concatenates and returns the new value', () => {
    const sm = new KvStateMachine()
    assert.deepEqual(run(sm, 1, {op: 'append', key: 'k', value: 'a'}), {ok: true, op: 'append', value: 'a'})
    assert.deepEqual(run(sm, 2, {op: 'append', key: 'k', value: 'é😀'}), {ok: true, op: 'append', value: 'aé😀'})
    assert.deepEqual(run(sm, 3, {op: 'append', key: 'e', value: ''}), {ok: true, op: 'append', value: ''})
    assert.equal(sm.read('e'), '')
  })

  it('get through the log changes nothing', () => {
    const sm = new KvStateMachine()
    run(sm, 1, {op: 'put', key: 'k', value: 'v'})
    const before = sm.snapshot().slice(14)
    run(sm, 2, {op: 'get', key: 'k'})
    // only the applied index (bytes 6..13) and the checksum differ
    assert.deepEqual(sm.snapshot().slice(14, -4), before.slice(0, -4))
  })

  it('matches a naive Map model on random streams (property)', () => {
    const ops = fc.array(
      fc.tuple(fc.constantFrom('get', 'put', 'delete', 'cas', 'append'), fc.constantFrom('a', 'b'), fc.constantFrom('', 'x', 'y'), fc.option(fc.constantFrom('', 'x'), {nil: null})),
      {maxLength: 60},
    )
    fc.assert(
      fc.property(ops, (list) => {
        const sm = new KvStateMachine()
        const model = new Map<string, string>()
        list.forEach(([op, key, value, expected], i) => {
          const result = run(sm, i + 1, commandOf(op, key, value, expected))
          assert.deepEqual(result, modelApply(model, op, key, value, expected))
        })
        for (const key of ['a', 'b']) assert.equal(sm.read(key), model.get(key) ?? null)
      }),
      {numRuns: 200},
    )
  })
})

function commandOf(op: string, key: string, value: string, expected: string | null) {
  switch (op) {
    case 'get':
      return {op: 'get', key} as const
    case 'delete':
      return {op: 'delete', key} as const
    case 'cas':
      return {op: 'cas', key, expected, value} as const
    default:
      return {op: op as 'put' | 'append', key, value}
  }
}

function modelApply(model: Map<string, string>, op: string, key: string, value: string, expected: string | null): KvResult {
  const current = model.get(key) ?? null
  switch (op) {
    case 'get':
      return {ok: true, op: 'get', value: current}
    case 'put':
      model.set(key, value)
      return {ok: true, op: 'put', value}
    case 'delete':
      return {ok: true, op: 'delete', deleted: model.delete(key)}
    case 'cas':
      if (current !== expected) return {ok: true, op: 'cas', swapped: false, value: current}
      model.set(key, value)
      return {ok: true, op: 'cas', swapped: true, value}
    default:
      model.set(key, (current ?? '') + value)
      return {ok: true, op: 'append', value: model.get(key)!}
  }
}

describe('KvStateMachine input handling', () => {
  it('an empty entry is the leader no-op: no result, state unchanged, index advanced', () => {
    const sm = new KvStateMachine()
    run(sm, 1, {op: 'put', key: 'k', value: 'v'})
    assert.equal(sm.apply(2, new Uint8Array(0)), null)
    assert.equal(sm.appliedIndex, 2)
    assert.equal(sm.read('k'), 'v')
    assert.equal(sm.size, 1)
  })

  it('malformed bytes give a BAD_REQUEST result, never an exception, and change no data', () => {
    const sm = new KvStateMachine()
    run(sm, 1, {op: 'put', key: 'k', value: 'v'})
    const good = encodeCommand({op: 'put', key: 'k', value: 'changed', session: {clientId: 'c', seq: 1}})
    for (let n = 1; n < good.length; n++) {
      const result = wellFormed(sm.apply(sm.appliedIndex + 1, good.subarray(0, n)))
      assert.equal(result.ok, false)
      assert.equal(!result.ok && result.code, 'BAD_REQUEST')
    }
    assert.equal(sm.read('k'), 'v')
    assert.equal(sm.sessionCount, 0)
  })

  it('random bytes never throw and always give a well-formed result (property)', () => {
    const sm = new KvStateMachine()
    fc.assert(
      fc.property(fc.uint8Array({minLength: 1, maxLength: 64}), (bytes) => {
        const result = wellFormed(sm.apply(sm.appliedIndex + 1, bytes))
        let valid = true
        try {
          decodeCommand(bytes)
        } catch {
          valid = false
        }
        if (!valid) assert.ok(!result.ok && (result.code === 'BAD_REQUEST' || result.code === 'PAYLOAD_TOO_LARGE'))
      }),
      {numRuns: 2000},
    )
  })

  it('accepts a Uint8Array view at an offset (e.g. a pooled Buffer)', () => {
    const sm = new KvStateMachine()
    const bytes = encodeCommand({op: 'put', key: 'k', value: 'v'})
    const padded = new Uint8Array(bytes.length + 10)
    padded.set(bytes, 5)
    assert.deepEqual(sm.apply(1, padded.subarray(5, 5 + bytes.length)), {ok: true, op: 'put', value: 'v'})
  })

  it('oversized key, value and client id give PAYLOAD_TOO_LARGE and write nothing', () => {
    const sm = new KvStateMachine({maxKeyBytes: 4, maxValueBytes: 8, maxClientIdBytes: 3})
    const cases = [
      {op: 'put', key: 'kkkkk', value: 'v'},
      {op: 'put', key: 'k', value: 'vvvvvvvvv'},
      {op: 'put', key: 'k', value: 'v', session: {clientId: 'cccc', seq: 1}},
      {op: 'put', key: 'k', value: '😀😀😀'}, // 12 bytes, 6 UTF-16 units
    ] as const
    for (const command of cases) {
      const result = run(sm, sm.appliedIndex + 1, command)
      assert.equal(!result.ok && result.code, 'PAYLOAD_TOO_LARGE', JSON.stringify(command))
    }
    assert.equal(sm.size, 0)
    assert.equal(sm.sessionCount, 0)
    assert.deepEqual(run(sm, sm.appliedIndex + 1, {op: 'put', key: 'kkkk', value: '😀😀'}), {ok: true, op: 'put', value: '😀😀'})
  })

  it('an append that would exceed maxValueBytes fails with PAYLOAD_TOO_LARGE and leaves the value', () => {
    const sm = new KvStateMachine({maxValueBytes: 4})
    run(sm, 1, {op: 'append', key: 'k', value: 'abc'})
    const result = run(sm, 2, {op: 'append', key: 'k', value: 'de'})
    assert.equal(!result.ok && result.code, 'PAYLOAD_TOO_LARGE')
    assert.equal(sm.read('k'), 'abc')
    assert.deepEqual(run(sm, 3, {op: 'append', key: 'k', value: 'd'}), {ok: true, op: 'append', value: 'abcd'})
  })

  it('maxDataBytes: growing writes past it fail with STORAGE_FULL; shrinking writes and deletes still work', () => {
    const sm = new KvStateMachine({maxDataBytes: 10})
    assert.equal(run(sm, 1, {op: 'put', key: 'a', value: '1234'}).ok, true) // 5 bytes
    assert.equal(run(sm, 2, {op: 'put', key: 'b', value: '1234'}).ok, true) // 10 bytes
    assert.equal(sm.dataBytes, 10)
    const full = run(sm, 3, {op: 'put', key: 'c', value: ''})
    assert.equal(!full.ok && full.code, 'STORAGE_FULL')
    const grow = run(sm, 4, {op: 'append', key: 'a', value: 'x'})
    assert.equal(!grow.ok && grow.code, 'STORAGE_FULL')
    const cas = run(sm, 5, {op: 'cas', key: 'a', expected: '1234', value: '12345'})
    assert.equal(!cas.ok && cas.code, 'STORAGE_FULL')
    assert.equal(run(sm, 6, {op: 'put', key: 'a', value: '1'}).ok, true)
    assert.equal(sm.dataBytes, 7)
    assert.equal(run(sm, 7, {op: 'delete', key: 'b'}).ok, true)
    assert.equal(sm.dataBytes, 2)
    assert.equal(sm.read('c'), null)
  })

  it('apply indexes must increase (gaps allowed); a bad index throws RangeError and changes nothing', () => {
    const sm = new KvStateMachine()
    run(sm, 5, {op: 'put', key: 'k', value: 'v'})
    assert.equal(sm.appliedIndex, 5)
    for (const index of [5, 4, 0, -1, 1.5, Number.NaN]) {
      assert.throws(() => sm.apply(index, encodeCommand({op: 'put', key: 'k', value: 'x'})), RangeError)
    }
    assert.equal(sm.read('k'), 'v')
    assert.equal(sm.appliedIndex, 5)
    run(sm, 9, {op: 'put', key: 'k', value: 'w'})
    assert.equal(sm.appliedIndex, 9)
  })

  it('tracks size, data bytes and approximate bytes', () => {
    const sm = new KvStateMachine()
    assert.equal(sm.approximateBytes, 0)
    run(sm, 1, {op: 'put', key: 'ключ', value: '😀'}) // 8 + 4 bytes
    run(sm, 2, {op: 'put', key: 'b', value: 'vv', session: {clientId: 'c', seq: 1}})
    assert.equal(sm.size, 2)
    assert.equal(sm.dataBytes, 12 + 3)
    assert.ok(sm.approximateBytes > sm.dataBytes)
  })

  it('validates options', () => {
    assert.deepEqual(new KvStateMachine().limits, DEFAULT_KV_LIMITS)
    assert.equal(new KvStateMachine({maxSessions: 3}).limits.maxSessions, 3)
    for (const bad of [0, -1, 1.5, Number.NaN, Infinity]) {
      assert.throws(() => new KvStateMachine({maxKeyBytes: bad}), RangeError)
    }
  })

  it('is structurally a StateMachine (the replica port)', () => {
    const port: StateMachine = new KvStateMachine()
    assert.equal(port.apply(1, new Uint8Array(0)), null)
    assert.throws(() => port.restore(new Uint8Array(3)), (e: unknown) => e instanceof KvError && e.code === 'CORRUPT')
  })
})
