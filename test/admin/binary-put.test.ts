/**
 * Binary put frames (src/admin/binary-put.ts): what a client encodes the daemon parses back to
 * the same put, its value byte for byte (ASCII, multi-byte UTF-8, characters JSON would escape);
 * a bad frame is refused with the text frame's codes, with the request's id once it was read;
 * the value's bytes go into the Raft entry unchanged (the same entry as from the string).
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import fc from 'fast-check'
import {BINARY_PUT_KIND, acceptsBinaryPut, encodeBinaryPut, parseBinaryRequest, valueBytesOf} from '../../src/admin/binary-put.js'
import {parseRequest} from '../../src/admin/protocol.js'
import {decodeCommand, encodeCommand, type KvCommand} from '../../src/kv/index.js'

const MIXED = 'aé€"\\\n\t\u0001z😀'.repeat(30_000)
const PLAIN = 'abcdefghij'.repeat(26_215)

/** A frame of kind 1 with `header` (JSON text) and `value` bytes. */
function frameOf(header: string, value: Buffer): Buffer {
  const head = Buffer.from(header)
  const prefix = Buffer.alloc(5)
  prefix[0] = BINARY_PUT_KIND
  prefix.writeUInt32BE(head.length, 1)
  return Buffer.concat([prefix, head, value])
}

function encoded(id: number, params: {key: string; value: string; echo?: boolean; session?: {clientId: string; seq: number}}): Buffer {
  const result = encodeBinaryPut(id, params)
  assert.ok(result.ok, JSON.stringify(result))
  return result.bytes
}

describe('binary put frames', () => {
  it('round-trip a 256 KiB value byte for byte, plain or multi-byte, with the put\'s other fields', () => {
    for (const value of [PLAIN, MIXED]) {
      const frame = encoded(9, {key: 'big/k', value, echo: false, session: {clientId: 'c-1', seq: 4}})
      const parsed = parseBinaryRequest(frame, {route: 'client'})
      assert.ok(parsed.ok, JSON.stringify(parsed))
      assert.deepEqual(parsed.request, {v: 1, id: 9, type: 'put', key: 'big/k', value, echo: false, session: {clientId: 'c-1', seq: 4}})
      assert.equal(parsed.request.type === 'put' && parsed.request.value === value, true)
      assert.deepEqual(Buffer.from(valueBytesOf(parsed.request)!), Buffer.from(value, 'utf8'), 'the value\'s bytes are kept for the entry')
      // The text frame of the same put parses to the same request.
      const text = parseRequest(JSON.stringify({v: 1, id: 9, type: 'put', key: 'big/k', value, echo: false, session: {clientId: 'c-1', seq: 4}}))
      assert.ok(text.ok)
      assert.deepEqual(text.request, parsed.request)
      assert.equal(valueBytesOf(text.request), undefined, 'a text frame has no value bytes')
    }
  })

  it('round-trips any string (property)', () => {
    fc.assert(fc.property(fc.string({unit: 'grapheme', maxLength: 200}), fc.string({unit: 'grapheme', minLength: 1, maxLength: 20}), (value, key) => {
      const parsed = parseBinaryRequest(encoded(1, {key, value}))
      assert.ok(parsed.ok, JSON.stringify(parsed))
      assert.equal(parsed.request.type === 'put' ? parsed.request.value : undefined, value)
    }), {numRuns: 300})
  })

  it('puts the value\'s bytes into the same Raft entry as the string would give', () => {
    const parsed = parseBinaryRequest(encoded(3, {key: 'k', value: MIXED, session: {clientId: 'c', seq: 2}}))
    assert.ok(parsed.ok && parsed.request.type === 'put')
    const command: KvCommand = {op: 'put', key: 'k', value: parsed.request.value, session: {clientId: 'c', seq: 2}}
    const fromBytes = encodeCommand(command, undefined, valueBytesOf(parsed.request))
    assert.deepEqual(fromBytes, encodeCommand(command))
    assert.deepEqual(decodeCommand(fromBytes), command)
    assert.throws(() => encodeCommand(command, {maxKeyBytes: 100, maxValueBytes: 1000, maxClientIdBytes: 100, maxTxnOps: 10}, valueBytesOf(parsed.request)), {code: 'PAYLOAD_TOO_LARGE'})
  })

  it('refuses bad frames with the text frame\'s codes, naming the request once its id was read', () => {
    const header = '{"v":1,"id":5,"type":"put","key":"k"}'
    const cases: Array<[Buffer, string, number | undefined, RegExp]> = [
      [Buffer.from([2, 0, 0, 0, 0]), 'BAD_REQUEST', undefined, /binary put/],
      [Buffer.from([1, 0, 0]), 'BAD_REQUEST', undefined, /binary put/],
      [Buffer.concat([Buffer.from([1, 0, 0, 1, 0]), Buffer.from(header)]), 'BAD_REQUEST', undefined, /header length/],
      [frameOf('{"v":1,"id":5', Buffer.from('x')), 'BAD_REQUEST', undefined, /not valid JSON/],
      [frameOf('{"v":1,"id":5,"type":"put","key":"k","value":"x"}', Buffer.from('x')), 'BAD_REQUEST', 5, /must not hold one/],
      [frameOf('{"v":1,"id":5,"type":"delete","key":"k"}', Buffer.from('x')), 'BAD_REQUEST', 5, /must be "put"/],
      [frameOf('{"v":1,"id":5,"type":"put"}', Buffer.from('x')), 'BAD_REQUEST', 5, /key/],
      [frameOf('{"v":1,"id":5,"type":"put","key":"k","bogus":1}', Buffer.from('x')), 'BAD_REQUEST', 5, /bogus/],
      [frameOf(header, Buffer.from([0x61, 0xff, 0x62])), 'INVALID_UTF8', 5, /value/],
      [frameOf(header, Buffer.from([0xed, 0xa0, 0x80])), 'INVALID_UTF8', 5, /value/],
      [frameOf(header, Buffer.alloc(1024 * 1024 + 1, 0x61)), 'PAYLOAD_TOO_LARGE', 5, /maxValueBytes/],
      [frameOf('{"v":2,"id":5,"type":"put","key":"k"}', Buffer.from('x')), 'UNSUPPORTED_VERSION', 5, /version/],
    ]
    for (const [frame, code, id, message] of cases) {
      const parsed = parseBinaryRequest(frame, {route: 'client'})
      assert.equal(parsed.ok, false, `${frame.subarray(0, 60).toString('latin1')} was accepted`)
      if (parsed.ok) continue
      assert.equal(parsed.error.code, code, parsed.error.message)
      assert.equal(parsed.id, id, parsed.error.message)
      assert.match(parsed.error.message, message)
    }
  })

  it('the client refuses what the daemon would, before sending', () => {
    const tooLarge = encodeBinaryPut(1, {key: 'k', value: 'a'.repeat(2000)}, {maxValueBytes: 1000})
    assert.equal(tooLarge.ok ? 'ok' : tooLarge.error.code, 'PAYLOAD_TOO_LARGE')
    const lone = encodeBinaryPut(1, {key: 'k', value: 'a\uD800b'})
    assert.equal(lone.ok ? 'ok' : lone.error.code, 'INVALID_UTF8')
    const noKey = encodeBinaryPut(1, {key: '', value: 'v'})
    assert.equal(noKey.ok ? 'ok' : noKey.error.code, 'BAD_REQUEST')
  })

  it('reads the daemon\'s capability header', () => {
    assert.equal(acceptsBinaryPut('put'), true)
    assert.equal(acceptsBinaryPut('get, put'), true)
    assert.equal(acceptsBinaryPut(['x', 'put']), true)
    assert.equal(acceptsBinaryPut(undefined), false)
    assert.equal(acceptsBinaryPut('puts'), false)
  })
})
