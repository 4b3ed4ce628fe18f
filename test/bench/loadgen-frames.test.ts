/**
 * The load generator's put frames (src/bench/loadgen.ts): a large value's frame is built as bytes
 * (no string of the whole frame per send, issue 23) and carries `"echo":false`; either way the
 * daemon's own parser reads exactly the put that was meant, from a text frame or, for a daemon
 * that accepts them, a binary put frame.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {ECHO_OMITTED_FROM, parseRequest} from '../../src/admin/protocol.js'
import {parseBinaryRequest, valueBytesOf} from '../../src/admin/binary-put.js'
import {benchValue, requestFrame, writeTail} from '../../src/bench/loadgen.js'

function parsedPut(size: number): {frame: string | Buffer; request: Record<string, unknown>; value: string} {
  const value = benchValue(size)
  const frame = requestFrame(41, writeTail('bench-7', value, Buffer.from(value, 'latin1'), 'bench-3-abc', 12))
  const parsed = parseRequest(typeof frame === 'string' ? frame : frame.toString('utf8'), {route: 'client'})
  assert.ok(parsed.ok, JSON.stringify(parsed))
  return {frame, request: parsed.request as unknown as Record<string, unknown>, value}
}

describe('load generator put frames', () => {
  it('a large value: a frame of bytes, with echo false, read by the daemon as that put', () => {
    const {frame, request, value} = parsedPut(256 * 1024)
    assert.ok(Buffer.isBuffer(frame), 'built as bytes')
    assert.deepEqual(request, {v: 1, id: 41, type: 'put', key: 'bench-7', value, session: {clientId: 'bench-3-abc', seq: 12}, echo: false})
  })

  it('a small value: text as before, echoed', () => {
    const {frame, request, value} = parsedPut(ECHO_OMITTED_FROM - 1)
    assert.equal(typeof frame, 'string')
    assert.deepEqual(request, {v: 1, id: 41, type: 'put', key: 'bench-7', value, session: {clientId: 'bench-3-abc', seq: 12}})
  })

  it('a large value to a daemon that accepts binary puts: a binary put frame, read by the daemon as that put', () => {
    const value = benchValue(256 * 1024)
    const frame = requestFrame(41, writeTail('bench-7', value, Buffer.from(value, 'latin1'), 'bench-3-abc', 12), true)
    assert.ok(Buffer.isBuffer(frame))
    const parsed = parseBinaryRequest(frame, {route: 'client'})
    assert.ok(parsed.ok, JSON.stringify(parsed))
    assert.deepEqual(parsed.request, {v: 1, id: 41, type: 'put', key: 'bench-7', value, session: {clientId: 'bench-3-abc', seq: 12}, echo: false})
    assert.equal(valueBytesOf(parsed.request)?.length, value.length)
  })
})
