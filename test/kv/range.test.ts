/**
 * Tests of range reads (src/kv/range.ts through KvStateMachine.range), the deletePrefix command
 * and the modIndex every key keeps: key order by UTF-8 bytes (not JavaScript string order), the
 * edges (empty prefix, a prefix with no keys, a limit that cuts, the byte budget, FROM >= TO, a
 * range across deleted keys), and a property against a naive oracle while keys come and go.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import fc from 'fast-check'
import {KvStateMachine, compareKeys, encodeCommand, jsonStringBytes, rangeEntryBytes, type KeyRange, type KvCommand, type RangeQuery} from '../../src/kv/index.js'
import {feed, run, streamCommand, text} from './arbitraries.js'

const ALL: RangeQuery = {range: {prefix: ''}, limit: Number.MAX_SAFE_INTEGER, keysOnly: false, countOnly: false, maxBytes: Number.MAX_SAFE_INTEGER}

function query(range: KeyRange, more: Partial<RangeQuery> = {}): RangeQuery {
  return {...ALL, range, ...more}
}

function keysOf(sm: KvStateMachine, range: KeyRange, more: Partial<RangeQuery> = {}): string[] {
  return sm.range(query(range, more)).kvs.map((e) => e.key)
}

function byBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
}

function machineWith(keys: readonly string[]): KvStateMachine {
  const sm = new KvStateMachine()
  feed(sm, keys.map((key) => ({op: 'put', key, value: `v-${key}`})))
  return sm
}

describe('key order', () => {
  it('orders keys by UTF-8 bytes: an astral character sorts after U+E000..U+FFFF, unlike JavaScript string order', () => {
    const astral = '😀' // U+1F600: UTF-16 D83D DE00, UTF-8 F0 9F 98 80
    const privateUse = '\uE000' // UTF-8 EE 80 80
    assert.ok(astral < privateUse, 'JavaScript string order puts the astral character first')
    assert.ok(compareKeys(privateUse, astral) < 0)
    const sm = machineWith([astral, 'z', '\uFFFD', privateUse, 'a', 'é'])
    assert.deepEqual(keysOf(sm, {prefix: ''}), ['a', 'z', 'é', privateUse, '\uFFFD', astral])
  })

  it('compareKeys agrees with comparing UTF-8 bytes (property)', () => {
    fc.assert(fc.property(text(), text(), (a, b) => Math.sign(compareKeys(a, b)) === Math.sign(byBytes(a, b))), {numRuns: 2000})
  })
})

describe('range reads', () => {
  const sm = machineWith(['b', 'a', 'ab', 'abc', 'b/1', 'b/2', 'c'])

  it('an empty prefix covers every key, in order, each with its value and modIndex', () => {
    const answer = sm.range(ALL)
    assert.deepEqual(answer.kvs.map((e) => e.key), ['a', 'ab', 'abc', 'b', 'b/1', 'b/2', 'c'])
    assert.deepEqual(answer.kvs[0], {key: 'a', value: 'v-a', modIndex: 2})
    assert.equal(answer.count, 7)
    assert.equal(answer.more, false)
  })

  it('a prefix covers exactly the keys that start with it (the prefix itself included)', () => {
    assert.deepEqual(keysOf(sm, {prefix: 'ab'}), ['ab', 'abc'])
    assert.deepEqual(keysOf(sm, {prefix: 'b/'}), ['b/1', 'b/2'])
  })

  it('a prefix with no keys is empty, count 0, not more', () => {
    assert.deepEqual(sm.range(query({prefix: 'nothing'})), {kvs: [], count: 0, more: false})
    assert.deepEqual(sm.range(query({prefix: 'abcd'})), {kvs: [], count: 0, more: false})
  })

  it('a limit cuts the list: count still counts every key of the range, and more is true', () => {
    const answer = sm.range(query({prefix: 'b'}, {limit: 2}))
    assert.deepEqual(answer.kvs.map((e) => e.key), ['b', 'b/1'])
    assert.equal(answer.count, 3)
    assert.equal(answer.more, true)
    assert.equal(sm.range(query({prefix: 'b'}, {limit: 3})).more, false)
  })

  it('FROM --to TO is half-open [FROM, TO); no TO runs to the end', () => {
    assert.deepEqual(keysOf(sm, {from: 'ab', to: 'b/1'}), ['ab', 'abc', 'b'])
    assert.deepEqual(keysOf(sm, {from: 'aa', to: 'b'}), ['ab', 'abc'])
    assert.deepEqual(keysOf(sm, {from: 'b/', to: null}), ['b/1', 'b/2', 'c'])
  })

  it('FROM at or after TO is empty', () => {
    assert.deepEqual(sm.range(query({from: 'b', to: 'b'})), {kvs: [], count: 0, more: false})
    assert.deepEqual(sm.range(query({from: 'c', to: 'a'})), {kvs: [], count: 0, more: false})
  })

  it('keysOnly drops the values; countOnly lists nothing but counts', () => {
    assert.deepEqual(sm.range(query({prefix: 'ab'}, {keysOnly: true})).kvs, [{key: 'ab', modIndex: 3}, {key: 'abc', modIndex: 4}])
    assert.deepEqual(sm.range(query({prefix: 'b'}, {countOnly: true, limit: 1})), {kvs: [], count: 3, more: false})
  })

  it('the byte budget cuts the list (more: true) but always lists the first key', () => {
    const big = machineWith(['k1', 'k2', 'k3'])
    const one = rangeEntryBytes('k1', 'v-k1')
    const answer = big.range(query({prefix: ''}, {maxBytes: 2 * one}))
    assert.deepEqual(answer.kvs.map((e) => e.key), ['k1', 'k2'])
    assert.equal(answer.count, 3)
    assert.equal(answer.more, true)
    assert.deepEqual(big.range(query({prefix: ''}, {maxBytes: 1})).kvs.map((e) => e.key), ['k1'])
    assert.equal(big.range(query({prefix: ''}, {maxBytes: 3 * one})).more, false)
  })

  it('jsonStringBytes is the UTF-8 length of JSON.stringify (property, lone surrogates included)', () => {
    const anyUnits = fc.string({unit: fc.integer({min: 0, max: 0xffff}).map((u) => String.fromCharCode(u)), maxLength: 30})
    fc.assert(fc.property(fc.oneof(text(), anyUnits), (s) => jsonStringBytes(s) === Buffer.byteLength(JSON.stringify(s), 'utf8')), {numRuns: 3000})
  })

  it('the byte budget counts the JSON text of keys and values (escapes included)', () => {
    assert.equal(rangeEntryBytes('k', '\u0001'), rangeEntryBytes('k', '') + 6)
    assert.equal(rangeEntryBytes('k', 'é'), rangeEntryBytes('k', '') + 2)
    assert.ok(rangeEntryBytes('k', undefined) < rangeEntryBytes('k', ''))
  })

  it('a range across deleted keys lists only the live ones, and a key written again has its new modIndex', () => {
    const m = new KvStateMachine()
    feed(m, ['a', 'b', 'c', 'd', 'e'].map((key) => ({op: 'put', key, value: key})))
    assert.deepEqual(keysOf(m, {from: 'a', to: 'e'}), ['a', 'b', 'c', 'd']) // builds the sorted list
    feed(m, [{op: 'delete', key: 'b'}, {op: 'delete', key: 'd'}, {op: 'delete', key: 'e'}])
    const answer = m.range(query({from: 'a', to: 'z'}))
    assert.deepEqual(answer.kvs.map((e) => e.key), ['a', 'c'])
    assert.equal(answer.count, 2)
    feed(m, [{op: 'put', key: 'b', value: 'again'}])
    assert.deepEqual(m.range(query({from: 'b', to: 'c'})).kvs, [{key: 'b', value: 'again', modIndex: 9}])
  })

  it('matches a naive oracle while keys are written, deleted and deleted by prefix (property)', () => {
    const ranges: fc.Arbitrary<KeyRange> = fc.oneof(
      fc.constantFrom('', 'a', 'к', '🔑', 'b').map((prefix) => ({prefix})),
      fc.tuple(fc.constantFrom('', 'a', 'b', 'ключ', '🔑', '\uE000'), fc.option(fc.constantFrom('a', 'b', 'ключ', '🔑', '\uFFFF'), {nil: null})).map(([from, to]) => ({from, to})),
    )
    const step = fc.oneof(streamCommand.map((c) => ({c})), fc.tuple(ranges, fc.integer({min: 1, max: 5})).map(([r, limit]) => ({r, limit})))
    fc.assert(
      fc.property(fc.array(step, {maxLength: 60}), (steps) => {
        const sm = new KvStateMachine()
        const model = new Map<string, {value: string; modIndex: number}>()
        for (const s of steps) {
          if ('c' in s) {
            const index = sm.appliedIndex + 1
            run(sm, index, s.c)
            updateModel(model, sm, s.c, index)
            continue
          }
          const expected = [...model.keys()].filter((k) => covers(s.r, k)).sort(byBytes)
          const answer = sm.range(query(s.r, {limit: s.limit}))
          assert.equal(answer.count, expected.length)
          assert.deepEqual(answer.kvs.map((e) => e.key), expected.slice(0, s.limit))
          for (const e of answer.kvs) assert.deepEqual({value: e.value, modIndex: e.modIndex}, model.get(e.key))
          assert.equal(answer.more, expected.length > s.limit)
        }
      }),
      {numRuns: 300},
    )
  })
})

/** Whether `range` covers `key`, by the definition (string prefix, byte comparison). */
function covers(range: KeyRange, key: string): boolean {
  if ('prefix' in range) return key.startsWith(range.prefix)
  return byBytes(key, range.from) >= 0 && (range.to === null || byBytes(key, range.to) < 0)
}

/** The model after `c`: each key the machine changed now has the machine's value and modIndex `index`. */
function updateModel(model: Map<string, {value: string; modIndex: number}>, sm: KvStateMachine, c: KvCommand, index: number): void {
  if (c.op === 'deletePrefix') {
    for (const k of [...model.keys()]) if (sm.read(k) === null) model.delete(k)
    return
  }
  if (c.op === 'get' || c.op === 'txn') return
  const value = sm.read(c.key)
  if (value === null) return void model.delete(c.key)
  const old = model.get(c.key)
  if (old === undefined || old.value !== value) return void model.set(c.key, {value, modIndex: index})
  // Same value: written again (modIndex index) or not written (a failed cas, a retry): the machine says which.
  const modIndex = sm.modIndex(c.key)!
  assert.ok(modIndex === index || modIndex === old.modIndex, `modIndex ${modIndex} is neither the new index ${index} nor the old ${old.modIndex}`)
  model.set(c.key, {value, modIndex})
}

describe('modIndex', () => {
  it('is the index of the entry that last wrote the key; failed writes and deletes of other keys leave it', () => {
    const sm = new KvStateMachine({maxValueBytes: 4})
    sm.apply(3, encodeCommand({op: 'put', key: 'k', value: 'a'}))
    assert.equal(sm.modIndex('k'), 3)
    sm.apply(4, encodeCommand({op: 'cas', key: 'k', expected: 'nope', value: 'b'}))
    assert.equal(sm.modIndex('k'), 3, 'a failed cas does not write')
    sm.apply(5, encodeCommand({op: 'append', key: 'k', value: 'toolong'}))
    assert.equal(sm.modIndex('k'), 3, 'an append refused for size does not write')
    sm.apply(6, encodeCommand({op: 'cas', key: 'k', expected: 'a', value: 'a'}))
    assert.equal(sm.modIndex('k'), 6, 'a cas that swapped writes, even the same value')
    sm.apply(7, encodeCommand({op: 'append', key: 'k', value: 'b'}))
    assert.equal(sm.modIndex('k'), 7)
    sm.apply(8, encodeCommand({op: 'put', key: 'k', value: 'x', session: {clientId: 'c', seq: 1}}))
    sm.apply(9, encodeCommand({op: 'put', key: 'k', value: 'x', session: {clientId: 'c', seq: 1}}))
    assert.equal(sm.modIndex('k'), 8, 'a deduplicated retry does not write again')
    sm.apply(10, encodeCommand({op: 'delete', key: 'k'}))
    assert.equal(sm.modIndex('k'), null)
  })
})

describe('deletePrefix', () => {
  it('removes exactly the keys with the prefix, in one entry, and answers how many', () => {
    const sm = machineWith(['a', 'app', 'apple', 'b', 'ap'])
    const bytesBefore = sm.dataBytes
    assert.deepEqual(run(sm, 10, {op: 'deletePrefix', prefix: 'ap'}), {ok: true, op: 'deletePrefix', deleted: 3})
    assert.deepEqual(keysOf(sm, {prefix: ''}), ['a', 'b'])
    assert.equal(sm.dataBytes, bytesBefore - ['app', 'apple', 'ap'].reduce((n, k) => n + k.length + `v-${k}`.length, 0))
    assert.deepEqual(run(sm, 11, {op: 'deletePrefix', prefix: 'zz'}), {ok: true, op: 'deletePrefix', deleted: 0})
  })

  it('an empty prefix removes every key', () => {
    const sm = machineWith(['x', 'y', '😀'])
    assert.deepEqual(run(sm, 10, {op: 'deletePrefix', prefix: ''}), {ok: true, op: 'deletePrefix', deleted: 3})
    assert.equal(sm.size, 0)
    assert.equal(sm.dataBytes, 0)
    assert.deepEqual(sm.range(ALL), {kvs: [], count: 0, more: false})
  })

  it('with a session it is applied once: a retry answers the first count and leaves keys written since', () => {
    const sm = machineWith(['p/1', 'p/2'])
    const command: KvCommand = {op: 'deletePrefix', prefix: 'p/', session: {clientId: 'c', seq: 1}}
    assert.deepEqual(run(sm, 10, command), {ok: true, op: 'deletePrefix', deleted: 2})
    run(sm, 11, {op: 'put', key: 'p/3', value: 'new'})
    assert.deepEqual(run(sm, 12, command), {ok: true, op: 'deletePrefix', deleted: 2})
    assert.equal(sm.read('p/3'), 'new')
  })
})
