/**
 * Codec tests: round trips of every message type (fixed examples and property tests), frames,
 * and the hostile-input contract: random, truncated, mutated and oversized bytes always throw
 * CodecError with a stable code, never anything else, and whatever does decode re-encodes to
 * the same bytes (the encoding is canonical).
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import fc from 'fast-check'
import type {Message} from '../../src/raft/types.js'
import {
  CodecError, decodeFrame, decodeFrameItems, decodeMessage, encodeChunk, encodeFrame, encodeMessage, encodeMessages, isValidNodeId,
  MAX_CHUNK_HEADER_BYTES, TYPE_CODES, WIRE_VERSION,
} from '../../src/transport/codec.js'
import {MAX_MESSAGES_PER_FRAME} from '../../src/transport/limits.js'
import {messageArb, sampleMessages} from './helpers.js'

const CODES = new Set(['BAD_FRAME', 'PAYLOAD_TOO_LARGE', 'UNKNOWN_TYPE'])

/** Run `fn`; it must either return or throw a CodecError with a known code. */
function decodesOrCodecError<T>(fn: () => T): T | CodecError {
  try {
    return fn()
  } catch (error) {
    assert.ok(error instanceof CodecError, `expected CodecError, got ${String(error)}`)
    assert.ok(CODES.has(error.code), `unexpected code ${error.code}`)
    return error
  }
}

function throwsCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (error: unknown) => error instanceof CodecError && error.code === code)
}

describe('codec: round trip', () => {
  it('round-trips a fixed example of every message type', () => {
    const samples = sampleMessages('n1', 'n2')
    const types = new Set(samples.map((m) => m.type))
    assert.deepEqual([...types].sort(), Object.keys(TYPE_CODES).sort())
    for (const message of samples) {
      const bytes = encodeMessage(message)
      assert.equal(bytes[0], WIRE_VERSION)
      assert.equal(bytes[1], TYPE_CODES[message.type])
      assert.deepStrictEqual(decodeMessage(bytes), message)
    }
  })

  it('round-trips arbitrary messages (property)', () => {
    fc.assert(fc.property(messageArb, (message) => {
      const decoded = decodeMessage(encodeMessage(message))
      assert.deepStrictEqual(decoded, message)
    }), {numRuns: 3000})
  })

  it('round-trips arbitrary frames (property)', () => {
    fc.assert(fc.property(fc.array(messageArb, {minLength: 1, maxLength: 20}), (messages) => {
      assert.deepStrictEqual(decodeFrame(encodeMessages(messages)), messages)
    }), {numRuns: 500})
  })

  it('accepts Buffers and never aliases the input', () => {
    const message = sampleMessages('n1', 'n2')[2] as Extract<Message, {type: 'append'}>
    const bytes = Buffer.from(encodeMessage(message))
    const decoded = decodeMessage(bytes) as typeof message
    bytes.fill(0)
    assert.deepStrictEqual(decoded, message)
    assert.equal(Object.getPrototypeOf(decoded.entries[0]?.data), Uint8Array.prototype)
  })

  it('handles non-ASCII node ids and the 64-byte limit', () => {
    const id = 'é'.repeat(32) // 64 UTF-8 bytes
    assert.ok(isValidNodeId(id))
    assert.ok(!isValidNodeId('é'.repeat(33)))
    assert.ok(!isValidNodeId(''))
    assert.ok(!isValidNodeId('\uD800x'))
    const message: Message = {type: 'timeoutNow', from: id, to: '🦀', term: 1}
    assert.deepStrictEqual(decodeMessage(encodeMessage(message)), message)
  })
})

describe('codec: encoder validation', () => {
  const base: Message = {type: 'heartbeat', from: 'n1', to: 'n2', term: 1, commit: 0, round: 0}

  it('refuses numbers that are not non-negative safe integers', () => {
    for (const bad of [-1, 1.5, NaN, Infinity, 2 ** 53, '3']) {
      throwsCode(() => encodeMessage({...base, term: bad as number}), 'BAD_FRAME')
    }
  })

  it('refuses bad ids, types and booleans', () => {
    throwsCode(() => encodeMessage({...base, from: ''}), 'BAD_FRAME')
    throwsCode(() => encodeMessage({...base, to: 'x'.repeat(65)}), 'BAD_FRAME')
    throwsCode(() => encodeMessage({...base, type: 'gossip'} as unknown as Message), 'UNKNOWN_TYPE')
    throwsCode(() => encodeMessage({type: 'voteResp', from: 'a', to: 'b', term: 1, granted: 1, pre: false} as unknown as Message), 'BAD_FRAME')
  })

  it('refuses non-consecutive entries, entries not after prevIndex, decreasing terms', () => {
    const data = new Uint8Array()
    const append = (prevIndex: number, entries: [number, number][]): Message => ({
      type: 'append', from: 'a', to: 'b', term: 3, prevIndex, prevTerm: 1, commit: 0,
      entries: entries.map(([index, term]) => ({index, term, type: 'normal' as const, data})),
    })
    throwsCode(() => encodeMessage(append(0, [[1, 1], [3, 1]])), 'BAD_FRAME')
    throwsCode(() => encodeMessage(append(5, [[5, 1]])), 'BAD_FRAME')
    throwsCode(() => encodeMessage(append(0, [[1, 2], [2, 1]])), 'BAD_FRAME')
    throwsCode(() => encodeMessage(append(0, [[1, 0]])), 'BAD_FRAME')
    assert.doesNotThrow(() => encodeMessage(append(0, [[1, 1], [2, 1], [3, 2]])))
  })

  it('refuses a configuration listing a node twice', () => {
    const message: Message = {type: 'snapshot', from: 'a', to: 'b', term: 1, snapshot: {meta: {index: 1, term: 1, conf: {voters: ['a', 'b'], learners: ['a']}}, data: new Uint8Array()}}
    throwsCode(() => encodeMessage(message), 'BAD_FRAME')
  })

  it('refuses output over maxBytes', () => {
    const big: Message = {type: 'snapshot', from: 'a', to: 'b', term: 1, snapshot: {meta: {index: 1, term: 1, conf: {voters: [], learners: []}}, data: new Uint8Array(2000)}}
    throwsCode(() => encodeMessage(big, {maxBytes: 1000}), 'PAYLOAD_TOO_LARGE')
    throwsCode(() => encodeFrame([]), 'BAD_FRAME')
  })
})

describe('codec: a frame of one message without a copy', () => {
  const append: Message = {type: 'append', from: 'n1', to: 'n2', term: 2, prevIndex: 4, prevTerm: 2, commit: 4, entries: [{term: 2, index: 5, type: 'normal', data: new Uint8Array(70_000).fill(7)}]}

  it('the frame of one encoded message shares its bytes, equals the copied frame, and decodes; sending it twice gives the same bytes', () => {
    const message = encodeMessage(append)
    const frame = encodeFrame([message])
    assert.equal(frame.buffer, message.buffer, 'no copy of the entry data')
    assert.deepEqual(Buffer.from(frame), Buffer.from(encodeFrame([Uint8Array.from(message)])), 'the same bytes as a frame built by copying')
    assert.deepEqual(decodeFrame(frame), [append])
    assert.deepEqual(Buffer.from(encodeFrame([message])), Buffer.from(frame))
    assert.deepEqual(decodeMessage(message), append, 'the message itself is unchanged by framing it')
  })

  it('bytes that are not an encodeMessage output are copied: the bytes before a view are never written', () => {
    const message = encodeMessage(append)
    const host = new Uint8Array(16 + message.length).fill(0xee)
    host.set(message, 16)
    const view = host.subarray(16)
    const frame = encodeFrame([view])
    assert.notEqual(frame.buffer, host.buffer)
    assert.ok(host.subarray(0, 16).every((b) => b === 0xee), 'the host buffer before the view is untouched')
    assert.deepEqual(decodeFrame(frame), [append])
  })
})

describe('codec: hostile input', () => {
  it('decodes random bytes only to CodecError (messages and frames)', () => {
    fc.assert(fc.property(fc.uint8Array({maxLength: 300}), (bytes) => {
      decodesOrCodecError(() => decodeMessage(bytes))
      decodesOrCodecError(() => decodeFrame(bytes))
    }), {numRuns: 10_000})
  })

  it('random bytes behind a valid version/type header only give CodecError', () => {
    const header = fc.tuple(fc.constant(WIRE_VERSION), fc.integer({min: 0, max: 10}))
    fc.assert(fc.property(header, fc.uint8Array({maxLength: 200}), ([version, type], body) => {
      const bytes = Uint8Array.from([version, type, ...body])
      decodesOrCodecError(() => decodeMessage(bytes))
    }), {numRuns: 10_000})
  })

  /** An append or heartbeat response without its optional tail (incarnation, rebuilding, lastIndex); other messages as they are. */
  function withoutTail(message: Message): Message {
    if (message.type !== 'appendResp' && message.type !== 'heartbeatResp') return message
    const {incarnation: _i, rebuilding: _r, ...rest} = message
    if (rest.type === 'heartbeatResp') {
      const {lastIndex: _l, ...base} = rest
      return base
    }
    return rest
  }

  it('every strict prefix of a valid encoding is BAD_FRAME, but the response without its optional tail', () => {
    fc.assert(fc.property(messageArb, fc.nat(), (message, cut) => {
      const bytes = encodeMessage(message)
      const prefix = bytes.subarray(0, cut % bytes.length)
      const untailed = withoutTail(message)
      const base = encodeMessage(untailed)
      if (base.length < bytes.length && prefix.length === base.length) assert.deepEqual(decodeMessage(prefix), untailed)
      else throwsCode(() => decodeMessage(prefix), 'BAD_FRAME')
      const frame = encodeMessages([message])
      throwsCode(() => decodeFrame(frame.subarray(0, cut % frame.length)), 'BAD_FRAME')
    }), {numRuns: 3000})
  })

  it('trailing bytes are BAD_FRAME', () => {
    for (const message of sampleMessages('n1', 'n2')) {
      throwsCode(() => decodeMessage(Uint8Array.from([...encodeMessage(message), 0])), 'BAD_FRAME')
      throwsCode(() => decodeFrame(Uint8Array.from([...encodeMessages([message]), 0])), 'BAD_FRAME')
    }
  })

  it('mutated valid encodings give CodecError or a message that re-encodes to the same bytes', () => {
    const mutation = fc.array(fc.tuple(fc.nat(), fc.integer({min: 0, max: 255})), {minLength: 1, maxLength: 4})
    fc.assert(fc.property(fc.array(messageArb, {minLength: 1, maxLength: 3}), mutation, (messages, changes) => {
      const bytes = encodeMessages(messages).slice()
      for (const [at, value] of changes) bytes[at % bytes.length] = value
      const result = decodesOrCodecError(() => decodeFrame(bytes))
      if (!(result instanceof CodecError)) assert.deepStrictEqual(encodeMessages(result), bytes)
    }), {numRuns: 5000})
  })

  it('input over maxBytes is PAYLOAD_TOO_LARGE before any parsing', () => {
    fc.assert(fc.property(fc.uint8Array({minLength: 101, maxLength: 400}), (bytes) => {
      throwsCode(() => decodeMessage(bytes, {maxBytes: 100}), 'PAYLOAD_TOO_LARGE')
      throwsCode(() => decodeFrame(bytes, {maxBytes: 100}), 'PAYLOAD_TOO_LARGE')
    }), {numRuns: 500})
  })

  it('unknown type codes are UNKNOWN_TYPE, other versions BAD_FRAME', () => {
    const bytes = encodeMessage({type: 'timeoutNow', from: 'a', to: 'b', term: 1})
    for (const code of [0, 9, 200]) throwsCode(() => decodeMessage(Uint8Array.from([WIRE_VERSION, code, ...bytes.subarray(2)])), 'UNKNOWN_TYPE')
    throwsCode(() => decodeMessage(Uint8Array.from([WIRE_VERSION + 1, ...bytes.subarray(1)])), 'BAD_FRAME')
  })

  it('refuses numbers ≥ 2^53, unknown flag bits, bad ids and bad entry types', () => {
    const vote = encodeMessage({type: 'vote', from: 'a', to: 'b', term: 1, lastIndex: 0, lastTerm: 0, pre: false, transfer: false})
    const termAt = 2 + 2 + 2
    const tooBig = vote.slice()
    tooBig.set([0, 0x20, 0, 0], termAt) // high word 2^21 → 2^53
    throwsCode(() => decodeMessage(tooBig), 'BAD_FRAME')
    const flags = vote.slice()
    flags[flags.length - 1] = 0b100
    throwsCode(() => decodeMessage(flags), 'BAD_FRAME')
    const emptyId = Uint8Array.from([WIRE_VERSION, TYPE_CODES.timeoutNow, 0, 1, 98, 0, 0, 0, 0, 0, 0, 0, 1])
    throwsCode(() => decodeMessage(emptyId), 'BAD_FRAME')
    const badUtf8 = Uint8Array.from([WIRE_VERSION, TYPE_CODES.timeoutNow, 1, 0xff, 1, 98, 0, 0, 0, 0, 0, 0, 0, 1])
    throwsCode(() => decodeMessage(badUtf8), 'BAD_FRAME')
    const append = encodeMessage({type: 'append', from: 'a', to: 'b', term: 1, prevIndex: 0, prevTerm: 0, commit: 0, entries: [{index: 1, term: 1, type: 'normal', data: new Uint8Array()}]})
    const badType = append.slice()
    badType[append.length - 5] = 7 // entry type byte precedes the u32 data length
    throwsCode(() => decodeMessage(badType), 'BAD_FRAME')
  })

  it('refuses non-consecutive entries on decode', () => {
    const append = encodeMessage({type: 'append', from: 'a', to: 'b', term: 1, prevIndex: 0, prevTerm: 0, commit: 0, entries: [
      {index: 1, term: 1, type: 'normal', data: new Uint8Array()}, {index: 2, term: 1, type: 'normal', data: new Uint8Array()},
    ]})
    const patched = append.slice()
    // second entry: term u64 at (end - 21), index u64 at (end - 13); set index low byte 2 → 5
    patched[patched.length - 13 + 7] = 5
    throwsCode(() => decodeMessage(patched), 'BAD_FRAME')
  })

  it('refuses frame counts of 0, over the maximum, or larger than the bytes can hold', () => {
    const count = (n: number): Uint8Array => {
      const bytes = new Uint8Array(5 + 64)
      bytes[0] = WIRE_VERSION
      new DataView(bytes.buffer).setUint32(1, n)
      return bytes
    }
    throwsCode(() => decodeFrame(count(0)), 'BAD_FRAME')
    throwsCode(() => decodeFrame(count(MAX_MESSAGES_PER_FRAME + 1)), 'BAD_FRAME')
    throwsCode(() => decodeFrame(count(1000)), 'BAD_FRAME')
    throwsCode(() => decodeFrame(count(0xffffffff)), 'BAD_FRAME')
  })

  it('a huge declared data length does not allocate or read past the end', () => {
    const snap = encodeMessage({type: 'snapshot', from: 'a', to: 'b', term: 1, snapshot: {meta: {index: 1, term: 1, conf: {voters: [], learners: []}}, data: new Uint8Array(0)}})
    const patched = snap.slice()
    patched.set([0xff, 0xff, 0xff, 0xf0], patched.length - 4)
    throwsCode(() => decodeMessage(patched), 'BAD_FRAME')
  })

  it('non-Uint8Array input is BAD_FRAME', () => {
    throwsCode(() => decodeMessage('hello' as unknown as Uint8Array), 'BAD_FRAME')
    throwsCode(() => decodeFrame([1, 2, 3] as unknown as Uint8Array), 'BAD_FRAME')
  })
})

describe('codec: snapshot chunks', () => {
  it('round-trip beside messages; decodeFrame refuses them; a random chunk item decodes or throws CodecError', () => {
    const heartbeat: Message = {type: 'heartbeat', from: 'a', to: 'b', term: 1, commit: 0, round: 1}
    const chunk = {from: 'a', to: 'b', total: 10, offset: 4, data: Uint8Array.from([1, 2, 3])}
    const frame = encodeFrame([encodeMessage(heartbeat), encodeChunk(chunk)])
    assert.deepStrictEqual(decodeFrameItems(frame), [heartbeat, {type: 'snapshotChunk', ...chunk}])
    throwsCode(() => decodeFrame(frame), 'BAD_FRAME')
    const longest = encodeChunk({from: 'x'.repeat(64), to: 'y'.repeat(64), total: 1, offset: 0, data: new Uint8Array(1)})
    assert.equal(longest.length, MAX_CHUNK_HEADER_BYTES + 1)
    fc.assert(fc.property(fc.uint8Array({maxLength: 40}), (body) => {
      decodesOrCodecError(() => decodeFrameItems(encodeFrame([Uint8Array.from([WIRE_VERSION, 9, ...body])])))
    }))
  })

  it('the encoder refuses chunks that are empty or run past their total', () => {
    const base = {from: 'a', to: 'b', total: 10, offset: 0, data: new Uint8Array(3)}
    throwsCode(() => encodeChunk({...base, data: new Uint8Array(0)}), 'BAD_FRAME')
    throwsCode(() => encodeChunk({...base, offset: 8}), 'BAD_FRAME')
    throwsCode(() => encodeChunk({...base, total: 0}), 'BAD_FRAME')
    throwsCode(() => encodeChunk({...base, from: ''}), 'BAD_FRAME')
  })
})
