/**
 * Tests of the KV command and result codec: round trips (examples and properties over random
 * Unicode commands), validation on encode, and malformed bytes rejected with a typed error.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import fc from 'fast-check'
import {
  DEFAULT_KV_LIMITS,
  KvError,
  crc32,
  useNativeCrc32,
  decodeCommand,
  decodeResult,
  encodeCommand,
  encodeResult,
  type KvCommand,
  type KvResult,
} from '../../src/kv/index.js'
import {anyCommand, text} from './arbitraries.js'

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

function assertKvError(fn: () => unknown, code: string): void {
  assert.throws(fn, (error: unknown) => error instanceof KvError && error.code === code)
}

describe('command codec', () => {
  const examples: KvCommand[] = [
    {op: 'get', key: 'k'},
    {op: 'put', key: 'k', value: ''},
    {op: 'put', key: 'ключ', value: 'значение 😀', session: {clientId: 'c1', seq: 1}},
    {op: 'delete', key: 'k'},
    {op: 'delete', key: 'k', session: {clientId: 'c', seq: Number.MAX_SAFE_INTEGER}},
    {op: 'cas', key: 'k', expected: null, value: 'v'},
    {op: 'cas', key: 'k', expected: '', value: 'v', session: {clientId: 'c', seq: 2 ** 32 + 5}},
    {op: 'append', key: 'k', value: '\u0000\uFEFF'},
  ]

  for (const command of examples) {
    it(`round-trips ${JSON.stringify(command)}`, () => {
      assert.deepEqual(decodeCommand(encodeCommand(command)), command)
    })
  }

  it('round-trips random commands over full Unicode (property)', () => {
    fc.assert(
      fc.property(anyCommand, (command) => {
        assert.deepEqual(decodeCommand(encodeCommand(command), noLimits), command)
      }),
      {numRuns: 500},
    )
  })

  it('is compact: a small put is a few bytes over its strings', () => {
    const bytes = encodeCommand({op: 'put', key: 'k', value: 'v'})
    assert.equal(bytes.length, 3 + 5 + 5)
  })

  it('distinguishes cas expected null from expected ""', () => {
    const absent = decodeCommand(encodeCommand({op: 'cas', key: 'k', expected: null, value: 'v'}))
    const empty = decodeCommand(encodeCommand({op: 'cas', key: 'k', expected: '', value: 'v'}))
    assert.equal((absent as {expected: unknown}).expected, null)
    assert.equal((empty as {expected: unknown}).expected, '')
  })

  describe('encode rejects invalid commands with BAD_REQUEST', () => {
    const bad: [string, unknown][] = [
      ['unknown op', {op: 'incr', key: 'k'}],
      ['empty key', {op: 'get', key: ''}],
      ['non-string key', {op: 'get', key: 1}],
      ['missing value', {op: 'put', key: 'k'}],
      ['lone surrogate', {op: 'put', key: 'k', value: 'a\uD800b'}],
      ['lone low surrogate in key', {op: 'get', key: '\uDC00'}],
      ['session on get', {op: 'get', key: 'k', session: {clientId: 'c', seq: 1}}],
      ['seq 0', {op: 'put', key: 'k', value: 'v', session: {clientId: 'c', seq: 0}}],
      ['fractional seq', {op: 'put', key: 'k', value: 'v', session: {clientId: 'c', seq: 1.5}}],
      ['unsafe seq', {op: 'put', key: 'k', value: 'v', session: {clientId: 'c', seq: 2 ** 53}}],
      ['empty clientId', {op: 'put', key: 'k', value: 'v', session: {clientId: '', seq: 1}}],
      ['cas without expected', {op: 'cas', key: 'k', value: 'v'}],
      ['null command', null],
    ]
    for (const [name, command] of bad) {
      it(name, () => assertKvError(() => encodeCommand(command as KvCommand), 'BAD_REQUEST'))
    }
  })

  it('encode checks limits only when given', () => {
    const command: KvCommand = {op: 'put', key: 'k'.repeat(1025), value: 'v'}
    assert.ok(encodeCommand(command).length > 1025)
    assertKvError(() => encodeCommand(command, DEFAULT_KV_LIMITS), 'PAYLOAD_TOO_LARGE')
  })
})

const noLimits = {maxKeyBytes: Infinity, maxValueBytes: Infinity, maxClientIdBytes: Infinity, maxTxnOps: Infinity}

describe('command decode of malformed bytes', () => {
  const good = encodeCommand({op: 'cas', key: 'key', expected: 'old', value: 'new', session: {clientId: 'c', seq: 7}})

  it('rejects every strict prefix (truncation) with BAD_REQUEST', () => {
    for (let n = 0; n < good.length; n++) assertKvError(() => decodeCommand(good.subarray(0, n)), 'BAD_REQUEST')
  })

  it('rejects trailing bytes', () => {
    assertKvError(() => decodeCommand(Uint8Array.of(...good, 0)), 'BAD_REQUEST')
  })

  it('rejects a wrong version, an unknown op and unknown flags', () => {
    const mutate = (i: number, v: number) => Uint8Array.from(good, (b, j) => (j === i ? v : b))
    assertKvError(() => decodeCommand(mutate(0, 2)), 'BAD_REQUEST')
    assertKvError(() => decodeCommand(mutate(1, 0)), 'BAD_REQUEST')
    assertKvError(() => decodeCommand(mutate(1, 6)), 'BAD_REQUEST')
    assertKvError(() => decodeCommand(mutate(2, 0x83)), 'BAD_REQUEST')
  })

  it('rejects a session flag on get, and an expected flag on put', () => {
    assertKvError(() => decodeCommand(Uint8Array.of(1, 1, 1, 0, 0, 0, 1, 0x6b)), 'BAD_REQUEST')
    assertKvError(() => decodeCommand(Uint8Array.of(1, 2, 2, 0, 0, 0, 1, 0x6b, 0, 0, 0, 0)), 'BAD_REQUEST')
  })

  it('rejects invalid UTF-8 and an empty key', () => {
    assertKvError(() => decodeCommand(Uint8Array.of(1, 1, 0, 0, 0, 0, 1, 0xff)), 'BAD_REQUEST')
    assertKvError(() => decodeCommand(Uint8Array.of(1, 1, 0, 0, 0, 0, 2, 0xed, 0xa0)), 'BAD_REQUEST')
    assertKvError(() => decodeCommand(Uint8Array.of(1, 1, 0, 0, 0, 0, 0)), 'BAD_REQUEST')
  })

  it('rejects seq 0 and seq beyond 2^53 - 1', () => {
    const prefix = [1, 3, 1, 0, 0, 0, 1, 0x6b, 0, 0, 0, 1, 0x63]
    assertKvError(() => decodeCommand(Uint8Array.of(...prefix, 0, 0, 0, 0, 0, 0, 0, 0)), 'BAD_REQUEST')
    assertKvError(() => decodeCommand(Uint8Array.of(...prefix, 0, 0x20, 0, 0, 0, 0, 0, 0)), 'BAD_REQUEST')
    assert.deepEqual(decodeCommand(Uint8Array.of(...prefix, 0, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)), {
      op: 'delete',
      key: 'k',
      session: {clientId: 'c', seq: Number.MAX_SAFE_INTEGER},
    })
  })

  it('reports a huge claimed length as truncation, not as an allocation', () => {
    assertKvError(() => decodeCommand(Uint8Array.of(1, 1, 0, 0xff, 0xff, 0xff, 0xff, 0x6b)), 'BAD_REQUEST')
  })

  it('never throws anything but a KvError on random bytes (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({maxLength: 64}), fc.uint8Array({maxLength: 32}).map((b) => Uint8Array.of(1, (b[0] ?? 0) % 7, ...b.subarray(1)))), (bytes) => {
        try {
          decodeCommand(bytes)
        } catch (error) {
          assert.ok(error instanceof KvError, String(error))
          assert.ok(error.code === 'BAD_REQUEST' || error.code === 'PAYLOAD_TOO_LARGE')
        }
      }),
      {numRuns: 2000},
    )
  })

  it('checks limits, with PAYLOAD_TOO_LARGE, for key, value, expected and clientId', () => {
    const limits = {maxKeyBytes: 3, maxValueBytes: 4, maxClientIdBytes: 2, maxTxnOps: 2}
    const ok: KvCommand = {op: 'cas', key: 'kkk', expected: 'eeee', value: 'vvvv', session: {clientId: 'cc', seq: 1}}
    assert.deepEqual(decodeCommand(encodeCommand(ok), limits), ok)
    const over: KvCommand[] = [
      {...ok, key: 'kkkk'},
      {...ok, expected: 'eeeee'},
      {...ok, value: 'vvvvv'},
      {...ok, session: {clientId: 'ccc', seq: 1}},
      {op: 'put', key: 'é', value: 'v'.repeat(2)},
    ]
    const limitsFor = (c: KvCommand) => (c.op === 'put' ? {...limits, maxKeyBytes: 1} : limits)
    for (const c of over) assertKvError(() => decodeCommand(encodeCommand(c), limitsFor(c)), 'PAYLOAD_TOO_LARGE')
  })

  it('applies the default limits when none are given', () => {
    const key = 'k'.repeat(DEFAULT_KV_LIMITS.maxKeyBytes)
    assert.deepEqual(decodeCommand(encodeCommand({op: 'get', key})), {op: 'get', key})
    assertKvError(() => decodeCommand(encodeCommand({op: 'get', key: key + 'k'})), 'PAYLOAD_TOO_LARGE')
  })
})

describe('result codec', () => {
  const examples: KvResult[] = [
    {ok: true, op: 'get', value: null},
    {ok: true, op: 'get', value: ''},
    {ok: true, op: 'put', value: 'v😀'},
    {ok: true, op: 'delete', deleted: true},
    {ok: true, op: 'delete', deleted: false},
    {ok: true, op: 'cas', swapped: false, value: null},
    {ok: true, op: 'cas', swapped: true, value: 'new'},
    {ok: true, op: 'append', value: 'ab'},
    {ok: false, code: 'BAD_REQUEST', message: 'truncated'},
    {ok: false, code: 'STALE_SEQUENCE', message: ''},
  ]
  for (const result of examples) {
    it(`round-trips ${JSON.stringify(result)}`, () => assert.deepEqual(decodeResult(encodeResult(result)), result))
  }

  it('round-trips random results (property)', () => {
    const results: fc.Arbitrary<KvResult> = fc.oneof(
      fc.option(text(), {nil: null}).map((value) => ({ok: true, op: 'get', value}) as const),
      text().map((value) => ({ok: true, op: 'put', value}) as const),
      fc.boolean().map((deleted) => ({ok: true, op: 'delete', deleted}) as const),
      fc.tuple(fc.boolean(), fc.option(text(), {nil: null})).map(([swapped, value]) => ({ok: true, op: 'cas', swapped, value}) as const),
      text().map((value) => ({ok: true, op: 'append', value}) as const),
      fc.tuple(fc.constantFrom('BAD_REQUEST', 'PAYLOAD_TOO_LARGE', 'STORAGE_FULL', 'STALE_SEQUENCE', 'SESSION_EXPIRED') , text(40)).map(([code, message]) => ({ok: false, code, message}) as const),
    )
    fc.assert(fc.property(results, (result) => assert.deepEqual(decodeResult(encodeResult(result)), result)), {numRuns: 500})
  })

  it('rejects malformed results: empty, truncated, unknown tag or code, bad booleans, trailing bytes', () => {
    const good = encodeResult({ok: true, op: 'cas', swapped: true, value: 'v'})
    for (let n = 0; n < good.length; n++) assertKvError(() => decodeResult(good.subarray(0, n)), 'BAD_REQUEST')
    assertKvError(() => decodeResult(Uint8Array.of(...good, 0)), 'BAD_REQUEST')
    assertKvError(() => decodeResult(Uint8Array.of(1, 9)), 'BAD_REQUEST')
    assertKvError(() => decodeResult(Uint8Array.of(1, 3, 2)), 'BAD_REQUEST')
    const unknownCode = Uint8Array.of(1, 0, 0, 0, 0, 4, ...utf8('NOPE'), 0, 0, 0, 0)
    assertKvError(() => decodeResult(unknownCode), 'BAD_REQUEST')
    assertKvError(() => encodeResult({ok: false, code: 'NOPE' as 'BAD_REQUEST', message: ''}), 'BAD_REQUEST')
  })
})

describe('crc32', () => {
  it('matches the standard check value and zlib', async () => {
    assert.equal(crc32(utf8('123456789')), 0xcbf43926)
    assert.equal(crc32(new Uint8Array(0)), 0)
    const zlib = await import('node:zlib')
    const bytes = utf8('the quick brown fox 😀'.repeat(10))
    if ('crc32' in zlib) assert.equal(crc32(bytes), (zlib as unknown as {crc32: (b: Uint8Array) => number}).crc32(bytes))
  })

  /** The one-table, byte-at-a-time CRC-32 the slicing-by-8 version must agree with. */
  function reference(bytes: Uint8Array, start: number, end: number, previous: number): number {
    let crc = (previous ^ 0xffffffff) >>> 0
    for (let i = start; i < end; i++) {
      crc ^= bytes[i]!
      for (let k = 0; k < 8; k++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1
    }
    return (crc ^ 0xffffffff) >>> 0
  }

  /** crc32 of random ranges, whole and continued from a cut, against {@link reference}. */
  function agreesWithReference(numRuns: number): void {
    fc.assert(
      fc.property(fc.uint8Array({maxLength: 80}), fc.nat(), fc.nat(), fc.nat(), (bytes, a, b, cut) => {
        const start = bytes.length === 0 ? 0 : a % (bytes.length + 1)
        const end = start + (b % (bytes.length - start + 1))
        const mid = start + (cut % (end - start + 1))
        const whole = reference(bytes, start, end, 0)
        assert.equal(crc32(bytes, start, end), whole)
        assert.equal(crc32(bytes, mid, end, crc32(bytes, start, mid)), whole)
      }),
      {numRuns},
    )
  }

  it('agrees with the bitwise definition on any range and continued checksum, whatever the alignment (property)', () => {
    agreesWithReference(500)
  })

  it('gives the same checksums with zlib\'s installed (as the daemon does), on any range and continued', async () => {
    const zlib = await import('node:zlib')
    useNativeCrc32(zlib.crc32)
    try {
      agreesWithReference(300)
    } finally {
      useNativeCrc32(null)
    }
  })
})
