/**
 * A snapshot written in the background is fdatasync'd every `snapshotSyncBytes` bytes, before
 * the next piece is pulled, so its dirty pages never pile up ahead of the WAL's syncs (a WAL
 * fdatasync waited 143–209 ms behind three nodes' final snapshot flushes); a failing
 * intermediate sync fails the snapshot like the final one, leaving no file behind.
 */
import {readdirSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import {FileStorage, StorageError} from '../../src/storage/index.js'
import type {SnapshotMeta} from '../../src/raft/types.js'
import {FaultFs, tempDir} from './helpers.js'

const META: SnapshotMeta = {index: 7, term: 2, conf: {voters: ['n1'], learners: []}}

/** `count` pieces of `size` bytes; `seen` gets the fdatasync count at each pull. */
function pieces(count: number, size: number, fs: FaultFs, seen: number[]): Iterator<Uint8Array> {
  let k = 0
  return {
    next: () => {
      seen.push(fs.counts.fdatasync ?? 0)
      return k < count ? {done: false, value: new Uint8Array(size).fill(k++ % 251)} : {done: true, value: undefined}
    },
  }
}

function write(storage: FileStorage, it: Iterator<Uint8Array>): Promise<Error | null> {
  return new Promise((resolve) => storage.writeSnapshot(META, it, (err) => resolve(err)))
}

function open(t: {after: (fn: () => void) => void}, snapshotSyncBytes?: number): {storage: FileStorage; fs: FaultFs; dir: string} {
  const dir = tempDir(t, 'raftctl-snapsync-')
  const fs = new FaultFs()
  const storage = new FileStorage({dir, fs, snapshotSyncBytes})
  storage.load()
  t.after(() => storage.close())
  return {storage, fs, dir}
}

describe('snapshot files are synced as they are written', () => {
  it('syncs after every snapshotSyncBytes, before pulling the next piece, and the file reads back whole', async (t) => {
    const {storage, fs, dir} = open(t, 4096)
    const seen: number[] = []
    const before = fs.counts.fdatasync ?? 0
    assert.equal(await write(storage, pieces(10, 1024, fs, seen)), null)
    // 10 KiB of data (plus the prefix) crosses 4 KiB twice: two syncs on the way, one at the end.
    assert.equal((fs.counts.fdatasync ?? 0) - before, 3)
    const grew = seen.map((n) => n - before)
    assert.ok(grew.indexOf(1) > 0 && grew.indexOf(2) > grew.indexOf(1), `syncs interleaved with the pieces: ${grew.join(',')}`)
    assert.equal(grew.at(-1), 2, 'the last sync comes after the last piece')
    const reopened = new FileStorage({dir})
    const state = reopened.load()
    reopened.close()
    assert.equal(state.snapshot?.meta.index, 7)
    assert.equal(state.snapshotBytes?.length ?? 0, 10 * 1024)
  })

  it('0 syncs only at the end (one fdatasync for the file)', async (t) => {
    const {storage, fs} = open(t, 0)
    const before = fs.counts.fdatasync ?? 0
    assert.equal(await write(storage, pieces(10, 1024, fs, [])), null)
    assert.equal((fs.counts.fdatasync ?? 0) - before, 1)
  })

  it('a failing sync on the way fails the snapshot and leaves no file', async (t) => {
    const {storage, fs, dir} = open(t, 2048)
    fs.failOn('fdatasync', 'EIO')
    const seen: number[] = []
    const err = await write(storage, pieces(10, 1024, fs, seen))
    assert.ok(err instanceof StorageError, String(err))
    assert.equal(err.code, 'STORAGE_IO')
    assert.ok(seen.length < 10, 'no piece is pulled after the failed sync')
    assert.deepEqual(readdirSync(join(dir, 'snapshots')), [])
  })

  it('refuses a negative snapshotSyncBytes', (t) => {
    const dir = tempDir(t, 'raftctl-snapsync-')
    assert.throws(() => new FileStorage({dir, snapshotSyncBytes: -1}), /snapshotSyncBytes/)
  })
})
