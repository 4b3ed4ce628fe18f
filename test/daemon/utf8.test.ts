/**
 * The daemon's native UTF-8 decoder (src/daemon/utf8.ts) and src/kv with it installed
 * (`useNativeUtf8Decoder`, issue 23): the same text as a fatal TextDecoder for every valid input,
 * null for every invalid one, and the KV codecs give the same commands, results, snapshots and
 * refusals (BAD_REQUEST, CORRUPT) with it as without.
 */
import assert from 'node:assert/strict'
import {after, describe, it} from 'node:test'
import fc from 'fast-check'
import {decodeUtf8} from '../../src/daemon/utf8.js'
import {KvError, KvStateMachine, NATIVE_DECODE_FROM, decodeCommand, encodeCommand, useNativeUtf8Decoder, type KvCommand} from '../../src/kv/index.js'
import {feed, text} from '../kv/arbitraries.js'

const fatal = new TextDecoder('utf-8', {fatal: true, ignoreBOM: true})

function reference(bytes: Uint8Array): string | null {
  try {
    return fatal.decode(bytes)
  } catch {
    return null
  }
}

/** Long text of every UTF-8 width, JSON escapes and a BOM among them. */
const longText = fc.tuple(text(40), fc.constantFrom('a', 'é', '€', '😀', '\uFEFF', '"\\\n'), fc.integer({min: NATIVE_DECODE_FROM, max: 3 * NATIVE_DECODE_FROM}))
  .map(([head, unit, n]) => head + unit.repeat(Math.ceil(n / unit.length)))

describe('decodeUtf8 (the daemon\'s decoder)', () => {
  it('gives exactly what a fatal TextDecoder gives, for valid text and for arbitrary bytes', () => {
    fc.assert(fc.property(fc.oneof(text(200), longText), (t) => decodeUtf8(new TextEncoder().encode(t)) === t), {numRuns: 1000})
    fc.assert(fc.property(fc.uint8Array({maxLength: 64}), fc.nat(10), (bytes, at) => {
      const view = bytes.subarray(Math.min(at, bytes.length))
      return decodeUtf8(view) === reference(view)
    }), {numRuns: 3000})
    assert.equal(decodeUtf8(Uint8Array.of(0xef, 0xbb, 0xbf, 0x61)), '\uFEFFa', 'a BOM is kept')
    assert.equal(decodeUtf8(Uint8Array.of(0x61, 0xc3, 0x28)), null)
    assert.equal(decodeUtf8(Uint8Array.of(0xed, 0xa0, 0x80)), null, 'an encoded surrogate is not UTF-8')
  })
})

describe('src/kv with the native decoder installed', () => {
  after(() => useNativeUtf8Decoder(null))

  it('decodes the same commands and builds byte-identical state, snapshots and restores', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.constantFrom('a', 'b', 'ключ'), longText), {minLength: 1, maxLength: 12}), (puts) => {
      const commands: KvCommand[] = puts.map(([key, value], i) => ({op: 'put', key, value, session: {clientId: `c${i % 2}`, seq: Math.floor(i / 2) + 1}}))
      useNativeUtf8Decoder(null)
      const plain = new KvStateMachine()
      feed(plain, commands)
      const decoded = commands.map((c) => decodeCommand(encodeCommand(c)))
      useNativeUtf8Decoder(decodeUtf8)
      const native = new KvStateMachine()
      feed(native, commands)
      assert.deepEqual(commands.map((c) => decodeCommand(encodeCommand(c))), decoded)
      assert.deepEqual(native.snapshot(), plain.snapshot())
      const restored = new KvStateMachine()
      restored.restore(plain.snapshot())
      assert.deepEqual(restored.snapshot(), plain.snapshot())
      for (const [key] of puts) assert.equal(restored.read(key), plain.read(key))
    }), {numRuns: 100})
  })

  it('refuses a long value that is not UTF-8 exactly as before: BAD_REQUEST, nothing applied', () => {
    const data = encodeCommand({op: 'put', key: 'k', value: 'a'.repeat(NATIVE_DECODE_FROM * 2)})
    data[data.length - 5] = 0xff
    for (const decode of [null, decodeUtf8]) {
      useNativeUtf8Decoder(decode)
      assert.throws(() => decodeCommand(data), (e: unknown) => e instanceof KvError && e.code === 'BAD_REQUEST' && /value is not valid UTF-8/.test(e.message))
      const sm = new KvStateMachine()
      const result = sm.apply(1, data)
      assert.deepEqual([result?.ok, (result as {code?: string}).code, sm.size], [false, 'BAD_REQUEST', 0])
    }
  })
})
