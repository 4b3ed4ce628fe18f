/**
 * The WAL writes no zeros ahead of a large batch (src/storage/wal.ts LARGE_BATCH_BYTES): each
 * preallocated byte is written twice, zeros then data, and the zeros are synced with the batch,
 * so with large values (issue 23) preallocation doubled the bytes written and synced. Small
 * batches keep their zeros ahead (cheaper fdatasyncs), and a large value round-trips exactly.
 * Batches are encoded into one reused buffer (REUSED_BATCH_BYTES): batches of varied sizes,
 * synced at once or in the background, across segments, still come back exactly.
 */
import assert from 'node:assert/strict'
import {readdirSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {FileStorage} from '../../src/storage/index.js'
import {REUSED_BATCH_BYTES} from '../../src/storage/file-storage.js'
import {LARGE_BATCH_BYTES} from '../../src/storage/wal.js'
import {entry, tempDir} from './helpers.js'

const PREALLOCATE = 1024 * 1024
const walFile = (dir: string): string => join(dir, 'wal', readdirSync(join(dir, 'wal')).sort().at(-1)!)

/** A value of `bytes` varied ASCII bytes. */
function value(bytes: number): string {
  return Array.from({length: bytes}, (_, i) => String.fromCharCode(33 + (i * 7) % 90)).join('')
}

describe('WAL preallocation and large batches', () => {
  it('a small batch leaves zeros ahead; a large one grows the file by itself, with no zeros after it', (t) => {
    const dir = tempDir(t)
    const s = new FileStorage({dir, preallocateBytes: PREALLOCATE})
    s.load()
    s.save({entries: [entry(1, 1)], hardState: {term: 1, vote: 'n1', commit: 0}})
    assert.ok(statSync(walFile(dir)).size > s.stats().bytes, 'zeros ahead of a small batch')
    const big = value(256 * 1024)
    // Past the zeros: this batch grows the file.
    s.save({entries: [entry(2, 1, big), entry(3, 1, big), entry(4, 1, big), entry(5, 1, big), entry(6, 1, big)], hardState: {term: 1, vote: 'n1', commit: 1}})
    assert.ok(5 * big.length >= LARGE_BATCH_BYTES)
    assert.equal(statSync(walFile(dir)).size, s.stats().bytes, 'no zeros written after a large batch')
    s.close()
    const reopened = new FileStorage({dir, preallocateBytes: PREALLOCATE})
    const recovered = reopened.load()
    reopened.close()
    assert.deepEqual(recovered.entries.map((e) => Buffer.from(e.data).toString('latin1')), [`e1t1`, big, big, big, big, big])
  })

  it('batches encoded into the reused buffer, larger then smaller, at once or in the background, come back exactly', async (t) => {
    const dir = tempDir(t)
    const s = new FileStorage({dir, segmentBytes: 2 * 1024 * 1024})
    s.load()
    const sizes = [600_000, 10, 300_000, 0, 1_000_000, 5, 70_000, 2_000_000, 1]
    const expected: string[] = []
    let index = 1
    for (const [k, size] of sizes.entries()) {
      const entries = Array.from({length: 1 + (k % 3)}, () => {
        const data = value(size).slice(k) + `#${index}`
        expected.push(data)
        return entry(index++, 1, data)
      })
      const write = {entries, hardState: {term: 1, vote: 'n1', commit: 0}}
      if (k % 2 === 0) s.save(write)
      else await new Promise<void>((resolve, reject) => s.saveAsync(write, (err) => (err ? reject(err) : resolve())))
    }
    assert.ok(Math.max(...sizes) * 3 < REUSED_BATCH_BYTES, 'every batch went through the reused buffer')
    s.close()
    const reopened = new FileStorage({dir})
    const recovered = reopened.load()
    reopened.close()
    assert.equal(recovered.entries.length, expected.length)
    assert.ok(recovered.entries.every((e, i) => Buffer.from(e.data).toString('latin1') === expected[i]), 'every entry exactly as written')
  })
})
