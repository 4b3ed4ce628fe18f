/**
 * The WAL writes no zeros ahead of a large batch (src/storage/wal.ts LARGE_BATCH_BYTES): each
 * preallocated byte is written twice, zeros then data, and the zeros are synced with the batch,
 * so with large values (issue 23) preallocation doubled the bytes written and synced. Small
 * batches keep their zeros ahead (cheaper fdatasyncs), and a large value round-trips exactly.
 */
import assert from 'node:assert/strict'
import {readdirSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {FileStorage} from '../../src/storage/index.js'
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
})
