/**
 * Tests of the UTF-8 helpers of src/kv/bytes.ts on both of their paths: short strings measured
 * and copied by a loop, long ones (a large value) by the engine's encoder. Both must agree with
 * what `TextEncoder` produces, for any well-formed text and at the switch-over length.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import fc from 'fast-check'
import {ByteReader, ByteWriter, NATIVE_UTF8_FROM, utf8Length} from '../../src/kv/bytes.js'
import {utf8Length as frameUtf8Length} from '../../src/admin/schema.js'

const encoder = new TextEncoder()

/** Well-formed text of any length 0..3 × the switch-over, mixing 1- to 4-byte characters. */
const anyText = fc.array(fc.constantFrom('a', 'é', '✓', '😀', '\n', '"', '\\', '\u0000'), {maxLength: 3 * NATIVE_UTF8_FROM}).map((parts) => parts.join(''))

describe('kv bytes: UTF-8 length and strings', () => {
  it('utf8Length equals the encoded length on both sides of the switch-over, and after a longer string grew the scratch', () => {
    for (const length of [NATIVE_UTF8_FROM - 1, NATIVE_UTF8_FROM, NATIVE_UTF8_FROM + 1, 16_384, 300_000]) {
      for (const unit of ['a', 'é', '✓', '😀']) {
        const text = unit.repeat(Math.ceil(length / unit.length)).slice(0, length - (length % unit.length))
        assert.equal(utf8Length(text), encoder.encode(text).length, `${length} units of ${unit}`)
        assert.equal(frameUtf8Length(text), encoder.encode(text).length, `admin: ${length} units of ${unit}`)
      }
    }
    assert.equal(utf8Length('é'.repeat(100)), 200, 'a shorter string after a long one is measured alone, not with the scratch\'s old bytes')
  })

  it('property: utf8Length and a written string match TextEncoder for any well-formed text', () => {
    fc.assert(fc.property(anyText, (text) => {
      const bytes = encoder.encode(text)
      assert.equal(utf8Length(text), bytes.length)
      assert.equal(frameUtf8Length(text), bytes.length)
      const writer = new ByteWriter(4 + bytes.length)
      writer.string(text, bytes.length)
      assert.deepEqual(writer.bytes.subarray(4), bytes)
      assert.equal(new ByteReader(writer.bytes, 'BAD_REQUEST').string('value'), text)
    }), {numRuns: 300})
  })

  it('the frame validator still finds a lone surrogate in a long string (-1)', () => {
    assert.equal(frameUtf8Length('a'.repeat(NATIVE_UTF8_FROM * 2) + '\uD800'), -1)
    assert.equal(frameUtf8Length('a'.repeat(NATIVE_UTF8_FROM * 2) + '\uDC00x'), -1)
    assert.equal(frameUtf8Length('\uD800'), -1)
  })
})
