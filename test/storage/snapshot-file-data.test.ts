/**
 * SnapshotFileData's reader: reads in libuv's thread pool, and a close while reads are still
 * there waits for them (review3: `snapshot.end` arriving while a `snapshot.chunk` read was in the
 * pool closed the descriptor under it: EBADF, or another file's bytes once the number is reused).
 */
import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import type {SnapshotDataReader} from '../../src/replica/snapshot-data.js'
import {SnapshotFileData} from '../../src/storage/snapshot-file-data.js'
import {testTempDir} from '../helpers.js'

const open = (data: SnapshotFileData): Promise<SnapshotDataReader> =>
  new Promise((resolve, reject) => data.openReader((err, reader) => (err ? reject(err) : resolve(reader!))))

describe('SnapshotFileData', () => {
  it('reads the data at its offset and refuses reads outside it or after close', async (t) => {
    const path = join(testTempDir(t), 'snap')
    writeFileSync(path, Buffer.from('HEADERabcdefghij'))
    const reader = await open(new SnapshotFileData(path, 6, 10))
    const bytes = await new Promise<Uint8Array>((resolve, reject) => reader.read(2, 5, (err, b) => (err ? reject(err) : resolve(b!))))
    assert.equal(Buffer.from(bytes).toString(), 'cdefg')
    await new Promise<void>((resolve) => reader.read(8, 5, (err) => (assert.match(String(err), /outside/), resolve())))
    reader.close()
    await new Promise<void>((resolve) => reader.read(0, 1, (err) => (assert.match(String(err), /closed/), resolve())))
  })

  it('a close while reads are in the thread pool lets them finish with the right bytes (1,500 rounds)', async (t) => {
    const path = join(testTempDir(t), 'snap')
    const content = Buffer.alloc(64 * 1024, 0).map((_, i) => i % 251)
    writeFileSync(path, content)
    const data = new SnapshotFileData(path, 0, content.length)
    const failures: string[] = []
    for (let round = 0; round < 1500; round++) {
      const reader = await open(data)
      const reads = [0, 1, 2, 3].map((k) => new Promise<void>((resolve) => {
        const at = k * 16 * 1024
        reader.read(at, 16 * 1024, (err, bytes) => {
          if (err) failures.push(`round ${round}: ${err.message}`)
          else if (!Buffer.from(bytes!).equals(content.subarray(at, at + 16 * 1024))) failures.push(`round ${round}: wrong bytes`)
          resolve()
        })
      }))
      reader.close()
      await Promise.all(reads)
    }
    assert.deepEqual(failures.slice(0, 5), [], `${failures.length} of 6000 reads failed`)
  })
})
