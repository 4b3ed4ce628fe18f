/**
 * The snapshot streams a node holds for `snapshot save`: bounded in number (OVERLOADED), dropped
 * after the idle time (NOT_FOUND, on the stream clock given), chunks of at most
 * SNAPSHOT_CHUNK_BYTES that reassemble the bytes exactly, read from the snapshot's file when the
 * node keeps the snapshot as a file.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {unlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {SNAPSHOT_CHUNK_BYTES} from '../../src/admin/protocol.js'
import {RaftctlError} from '../../src/common/errors.js'
import {SnapshotStreams} from '../../src/daemon/snapshot-streams.js'
import {SnapshotFileData} from '../../src/storage/snapshot-file-data.js'
import {testTempDir} from '../helpers.js'

const refusal = (code: string) => (err: unknown): boolean => err instanceof RaftctlError && err.code === code

test('chunks of at most SNAPSHOT_CHUNK_BYTES reassemble the data, a view into a larger buffer included', async () => {
  const whole = randomBytes(2 * SNAPSHOT_CHUNK_BYTES + 1234)
  const data = new Uint8Array(whole.buffer, whole.byteOffset + 7, whole.length - 7)
  const streams = new SnapshotStreams()
  const id = await streams.open(data)
  const parts = await readAll(streams, id, data.length)
  assert.equal(parts.length, 3)
  assert.deepEqual(Buffer.concat(parts), Buffer.from(data))
})

test('a snapshot kept as a file is streamed from the file, and stays readable once a newer snapshot deleted it', async (t) => {
  const dir = testTempDir(t)
  const path = join(dir, 'snap')
  const data = randomBytes(SNAPSHOT_CHUNK_BYTES + 99)
  writeFileSync(path, Buffer.concat([Buffer.from('head:'), data, Buffer.from('tail')]))
  const streams = new SnapshotStreams()
  const id = await streams.open(new SnapshotFileData(path, 5, data.length))
  unlinkSync(path)
  assert.deepEqual(Buffer.concat(await readAll(streams, id, data.length)), data)
  streams.close(id)
  await assert.rejects(streams.open(new SnapshotFileData(path, 5, data.length)), refusal('UNAVAILABLE'))
  assert.equal(streams.size, 0)
})

test('at most maxStreams are open; an idle one is dropped when the next opens, and its reader gets NOT_FOUND', async () => {
  let now = 0
  const streams = new SnapshotStreams({maxStreams: 2, idleMs: 1000}, () => now)
  const a = await streams.open(Uint8Array.of(1, 2, 3))
  const b = await streams.open(Uint8Array.of(4))
  await assert.rejects(streams.open(Uint8Array.of(5)), refusal('OVERLOADED'))
  now = 600
  await streams.chunk(b, 0) // b is read: no longer idle
  now = 1500
  const c = await streams.open(Uint8Array.of(6)) // a, idle since 0, is dropped
  assert.equal(streams.size, 2)
  await assert.rejects(streams.chunk(a, 0), refusal('NOT_FOUND'))
  assert.equal(Buffer.from(await streams.chunk(b, 0), 'base64')[0], 4)
  await assert.rejects(streams.chunk(b, 1), refusal('BAD_REQUEST'))
  streams.close(c)
  streams.close(c)
  await assert.rejects(streams.chunk(c, 0), refusal('NOT_FOUND'))
})

async function readAll(streams: SnapshotStreams, id: string, length: number): Promise<Buffer[]> {
  const parts: Buffer[] = []
  for (let offset = 0; offset < length;) {
    const part = Buffer.from(await streams.chunk(id, offset), 'base64')
    assert.ok(part.length > 0 && part.length <= SNAPSHOT_CHUNK_BYTES)
    parts.push(part)
    offset += part.length
  }
  return parts
}
