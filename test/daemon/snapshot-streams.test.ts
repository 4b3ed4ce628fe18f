/**
 * The snapshot streams a node holds for `snapshot save`: bounded in number (OVERLOADED), dropped
 * after the idle time (NOT_FOUND, on the stream clock given), chunks of at most
 * SNAPSHOT_CHUNK_BYTES that reassemble the bytes exactly.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {SNAPSHOT_CHUNK_BYTES} from '../../src/admin/protocol.js'
import {RaftctlError} from '../../src/common/errors.js'
import {SnapshotStreams} from '../../src/daemon/snapshot-streams.js'

const refusal = (code: string) => (err: unknown): boolean => err instanceof RaftctlError && err.code === code

test('chunks of at most SNAPSHOT_CHUNK_BYTES reassemble the data, a view into a larger buffer included', () => {
  const whole = randomBytes(2 * SNAPSHOT_CHUNK_BYTES + 1234)
  const data = new Uint8Array(whole.buffer, whole.byteOffset + 7, whole.length - 7)
  const streams = new SnapshotStreams()
  const id = streams.open(data)
  const parts: Buffer[] = []
  for (let offset = 0; offset < data.length;) {
    const part = Buffer.from(streams.chunk(id, offset), 'base64')
    assert.ok(part.length <= SNAPSHOT_CHUNK_BYTES)
    parts.push(part)
    offset += part.length
  }
  assert.equal(parts.length, 3)
  assert.deepEqual(Buffer.concat(parts), Buffer.from(data))
})

test('at most maxStreams are open; an idle one is dropped when the next opens, and its reader gets NOT_FOUND', () => {
  let now = 0
  const streams = new SnapshotStreams({maxStreams: 2, idleMs: 1000}, () => now)
  const a = streams.open(Uint8Array.of(1, 2, 3))
  const b = streams.open(Uint8Array.of(4))
  assert.throws(() => streams.open(Uint8Array.of(5)), refusal('OVERLOADED'))
  now = 600
  streams.chunk(b, 0) // b is read: no longer idle
  now = 1500
  const c = streams.open(Uint8Array.of(6)) // a, idle since 0, is dropped
  assert.equal(streams.size, 2)
  assert.throws(() => streams.chunk(a, 0), refusal('NOT_FOUND'))
  assert.equal(Buffer.from(streams.chunk(b, 0), 'base64')[0], 4)
  streams.close(c)
  streams.close(c)
  assert.throws(() => streams.chunk(c, 0), refusal('NOT_FOUND'))
})
