/**
 * Values held as UTF-8 bytes (src/kv/value.ts, issue 23): a node that applies entries as followers
 * do (large put values kept as views of the entry, never decoded) gives exactly what a twin that
 * holds every value as a string gives — every result, read, range, watch change, txn and cas
 * comparison, byte count, session byte count, snapshot (whole and in reused pieces) and restore —
 * with node:buffer's native UTF-8 checks and with src/kv's JavaScript fallbacks.
 */
import assert from 'node:assert/strict'
import {isAscii, isUtf8} from 'node:buffer'
import {after, describe, it} from 'node:test'
import fc from 'fast-check'
import {
  KvError, KvStateMachine, VALUE_BYTES_FROM, changesOf, decodeCommand, encodeCommand, encodeResult, useNativeUtf8, valueUnits,
  type KvChange, type KvCommand, type RangeQuery,
} from '../../src/kv/index.js'
import {textOf} from './arbitraries.js'

const ALL: RangeQuery = {range: {prefix: ''}, limit: Number.MAX_SAFE_INTEGER, keysOnly: false, countOnly: false, maxBytes: Number.MAX_SAFE_INTEGER}

/** `unit` repeated to at least `bytes` UTF-8 bytes, then `tail` (a fresh string each call). */
function big(unit: string, bytes: number, tail = ''): string {
  return unit.repeat(Math.ceil(bytes / Buffer.byteLength(unit))) + tail
}

/** Values on both sides of VALUE_BYTES_FROM, equal and nearly equal ones, every UTF-8 width, JSON escapes. */
const LARGE = [
  big('a', VALUE_BYTES_FROM), big('a', VALUE_BYTES_FROM), big('a', VALUE_BYTES_FROM, 'b'), big('é', 5000), big('€😀', 6000),
  big('"\\\n', VALUE_BYTES_FROM + 1), big('x', VALUE_BYTES_FROM - 1), big('😀', 4800, 'z'),
]
const SMALL = ['', 'x', 'é😀', 'a'.repeat(100)]

const keys = fc.constantFrom('a', 'b', 'ключ', '🔑')
const values = fc.oneof(fc.constantFrom(...LARGE), fc.constantFrom(...SMALL))
const sessions = fc.option(fc.tuple(fc.constantFrom('c1', 'c2', 'c3'), fc.integer({min: 1, max: 4})).map(([clientId, seq]) => ({clientId, seq})), {nil: undefined})

function withSession<C extends KvCommand>(command: C, session: {clientId: string; seq: number} | undefined): C {
  return session === undefined ? command : {...command, session}
}

const commands: fc.Arbitrary<KvCommand> = fc.oneof(
  {arbitrary: fc.tuple(keys, values, sessions).map(([key, value, s]) => withSession({op: 'put' as const, key, value}, s)), weight: 4},
  fc.tuple(keys, fc.option(values, {nil: null}), values, sessions).map(([key, expected, value, s]) => withSession({op: 'cas' as const, key, expected, value}, s)),
  fc.tuple(keys, fc.constantFrom('', 'y', '€'), sessions).map(([key, value, s]) => withSession({op: 'append' as const, key, value}, s)),
  fc.tuple(keys, sessions).map(([key, s]) => withSession({op: 'delete' as const, key}, s)),
  keys.map((key) => ({op: 'get' as const, key})),
  fc.tuple(fc.constantFrom('', 'a', 'к'), sessions).map(([prefix, s]) => withSession({op: 'deletePrefix' as const, prefix}, s)),
  fc.tuple(keys, values, keys, values, fc.boolean()).map(([k1, v1, k2, v2, absent]) => ({
    op: 'txn' as const,
    compare: absent ? [{key: k1, absent: true as const}] : [{key: k1, value: v1}],
    success: [{op: 'put' as const, key: k2, value: v2}],
    failure: k1 === k2 ? [{op: 'delete' as const, key: k1}] : [{op: 'put' as const, key: k1, value: v2}, {op: 'delete' as const, key: k2}],
  })),
)

/** Values of `sm`'s store held as bytes (the test must exercise them). */
function bytesHeld(sm: KvStateMachine): number {
  const store = (sm as unknown as {store: {entries(): Iterable<[string, {value: unknown}]>}}).store
  return [...store.entries()].filter(([, slot]) => slot.value instanceof Uint8Array).length
}

/** A machine whose listener records every entry's changes. */
function watched(): {sm: KvStateMachine; changes: [number, readonly KvChange[]][]} {
  const sm = new KvStateMachine({maxSessions: 2})
  const changes: [number, readonly KvChange[]][] = []
  sm.watchChanges({changed: (index, data, summary) => changes.push([index, changesOf(data, summary)]), restored: () => {}})
  return {sm, changes}
}

/** The snapshot read through a capture in reused pieces of `pieceBytes`, concatenated. */
function captured(sm: KvStateMachine, pieceBytes: number): Uint8Array {
  const pieces: Buffer[] = []
  const it = sm.capture(pieceBytes, undefined, true)
  for (let r = it.next(); r.done !== true; r = it.next()) pieces.push(Buffer.from(r.value))
  return new Uint8Array(Buffer.concat(pieces))
}

function sameState(subject: KvStateMachine, twin: KvStateMachine): void {
  assert.deepEqual(subject.snapshot(), twin.snapshot(), 'byte-identical snapshots (and so consistency hashes)')
  assert.equal(subject.dataBytes, twin.dataBytes)
  assert.equal(subject.approximateBytes, twin.approximateBytes, 'session byte accounting')
  assert.equal(subject.sessionCount, twin.sessionCount)
  assert.deepEqual(subject.range(ALL), twin.range(ALL))
  assert.deepEqual(subject.range({...ALL, maxBytes: 2 * VALUE_BYTES_FROM}), twin.range({...ALL, maxBytes: 2 * VALUE_BYTES_FROM}), 'the byte budget cuts at the same key')
  for (const key of ['a', 'b', 'ключ', '🔑']) {
    assert.equal(subject.read(key), twin.read(key))
    assert.equal(subject.modIndex(key), twin.modIndex(key))
  }
}

/**
 * Apply `stream` to a follower-like subject (each entry a copy, decoded: large values kept as
 * bytes) and to a twin that holds strings (each entry prepared with its string command, as the
 * leader does for a text request); compare everything after each entry and at the end.
 */
function compareStream(stream: readonly KvCommand[], pieceBytes: number): number {
  const subject = watched()
  const twin = watched()
  let held = 0
  stream.forEach((command, i) => {
    const data = encodeCommand(command, twin.sm.limits)
    twin.sm.prepare(data, command)
    const expected = twin.sm.apply(i + 1, data)
    const actual = subject.sm.apply(i + 1, data.slice())
    assert.deepEqual(textOf(actual), textOf(expected), `entry ${i + 1}: ${command.op}`)
    assert.deepEqual(encodeResult(actual!), encodeResult(expected!), `entry ${i + 1}: encoded result`)
    assert.equal(subject.sm.approximateBytes, twin.sm.approximateBytes, `entry ${i + 1}: session bytes`)
    held = Math.max(held, bytesHeld(subject.sm))
  })
  assert.equal(bytesHeld(twin.sm), 0, 'the twin holds strings only')
  sameState(subject.sm, twin.sm)
  assert.deepEqual(subject.changes, twin.changes, 'watch changes')
  assert.deepEqual(captured(subject.sm, pieceBytes), twin.sm.snapshot(), 'a capture in reused pieces equals the twin snapshot')
  const restored = new KvStateMachine({maxSessions: 2})
  restored.restore(subject.sm.snapshot())
  sameState(restored, twin.sm)
  return held
}

describe('values held as bytes', () => {
  after(() => useNativeUtf8(null))

  for (const mode of ['native node:buffer checks', 'JavaScript fallbacks'] as const) {
    it(`give exactly the results, reads, watch changes, byte counts and snapshots of a twin holding strings (${mode})`, () => {
      useNativeUtf8(mode === 'JavaScript fallbacks' ? null : {isUtf8, isAscii})
      let held = 0
      fc.assert(fc.property(fc.array(commands, {minLength: 1, maxLength: 40}), fc.integer({min: 16, max: 20_000}), (stream, pieceBytes) => {
        held = Math.max(held, compareStream(stream, pieceBytes))
      }), {numRuns: 150})
      assert.ok(held > 0, 'some runs held values as bytes')
    })
  }

  it('a large put value is applied as a view of the entry (no copy); a smaller one as text', () => {
    const sm = new KvStateMachine()
    const data = encodeCommand({op: 'put', key: 'k', value: big('€', VALUE_BYTES_FROM)})
    sm.apply(1, data)
    assert.equal(bytesHeld(sm), 1)
    const store = (sm as unknown as {store: {entries(): Iterable<[string, {value: Uint8Array}]>}}).store
    const [[, slot]] = [...store.entries()]
    assert.equal(slot!.value.buffer, data.buffer, 'a view of the entry bytes')
    sm.apply(2, encodeCommand({op: 'put', key: 'k', value: big('€', VALUE_BYTES_FROM - 3)}))
    assert.equal(bytesHeld(sm), 0)
  })

  it('refuses a large put whose bytes are not valid UTF-8, as BAD_REQUEST, with either check', () => {
    const data = encodeCommand({op: 'put', key: 'k', value: big('a', VALUE_BYTES_FROM)})
    data[data.length - 10] = 0xff
    for (const checks of [null, {isUtf8, isAscii}]) {
      useNativeUtf8(checks)
      const sm = new KvStateMachine()
      const result = sm.apply(1, data)
      assert.equal(result?.ok, false)
      assert.equal((result as {code: string}).code, 'BAD_REQUEST')
      assert.equal(sm.size, 0)
      assert.throws(() => encodeCommand({op: 'put', key: 'k', value: data.subarray(data.length - VALUE_BYTES_FROM)}), (e: unknown) => e instanceof KvError && e.code === 'BAD_REQUEST')
    }
  })

  it('counts the UTF-16 units of bytes as the string length, natively and not', () => {
    for (const checks of [null, {isUtf8, isAscii}]) {
      useNativeUtf8(checks)
      for (const text of [...LARGE, ...SMALL, '𝄞a€é']) assert.equal(valueUnits(new Uint8Array(Buffer.from(text, 'utf8'))), text.length)
    }
  })

  it('decodeCommand gives text by default, and bytes only when asked', () => {
    const value = big('é', VALUE_BYTES_FROM)
    const data = encodeCommand({op: 'put', key: 'k', value})
    assert.deepEqual(decodeCommand(data), {op: 'put', key: 'k', value})
    const asBytes = decodeCommand(data, undefined, {bytesFrom: VALUE_BYTES_FROM, check: true}) as {value: Uint8Array}
    assert.ok(asBytes.value instanceof Uint8Array)
    assert.equal(Buffer.from(asBytes.value).toString('utf8'), value)
    assert.deepEqual(encodeCommand({op: 'put', key: 'k', value: asBytes.value}), data, 'a bytes value encodes as its text')
  })
})
