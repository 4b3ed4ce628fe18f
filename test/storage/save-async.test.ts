/**
 * FileStorage.saveAsync (pipelined group commit): the batch is written at once and synced in
 * libuv's thread pool; `done` reports durability, or the failure that poisons the store.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {FileStorage, StorageError, type FileStorageOptions} from '../../src/storage/index.js'
import type {StorageWrite} from '../../src/replica/ports.js'
import {entries, FaultFs, ids, tempDir} from './helpers.js'

function open(dir: string, extra: Partial<FileStorageOptions> = {}): FileStorage {
  const s = new FileStorage({dir, ...extra})
  s.load()
  return s
}

/** saveAsync as a promise, noting whether `done` came before saveAsync returned. */
function saveAsync(s: FileStorage, write: StorageWrite): {returned: boolean; result: Promise<{err: Error | null; beforeReturn: boolean; lastIndex: number}>} {
  let returned = false
  const result = new Promise<{err: Error | null; beforeReturn: boolean; lastIndex: number}>((resolve) => {
    s.saveAsync(write, (err) => resolve({err, beforeReturn: !returned, lastIndex: s.lastIndex()}))
  })
  returned = true
  return {returned, result}
}

describe('FileStorage.saveAsync', () => {
  it('writes at once, syncs once in the background, and reports durability after returning', async (t) => {
    const dir = tempDir(t)
    const fs = new FaultFs()
    const s = open(dir, {fs, segmentBytes: 1 << 20})
    s.save({entries: entries(1, 1, 1)})
    const before = fs.counts.fdatasync ?? 0
    const {result} = saveAsync(s, {entries: entries(2, 50, 1), hardState: {term: 1, vote: 'n1', commit: 1}})
    assert.equal(s.lastIndex(), 50, 'later reads see the batch before it is durable')
    const r = await result
    assert.equal(r.err, null)
    assert.equal(r.beforeReturn, false, 'the sync ran in the background')
    assert.equal((fs.counts.fdatasync ?? 0) - before, 1, 'one fdatasync for the batch')
    s.close()
    const back = new FileStorage({dir}).load()
    assert.deepEqual(ids(back.entries), ids(entries(1, 50, 1)))
    assert.deepEqual(back.hardState, {term: 1, vote: 'n1', commit: 1})
  })

  it('a batch that opens a new segment is synced before returning, and done sees the store updated', async (t) => {
    const dir = tempDir(t)
    const s = open(dir, {segmentBytes: 64})
    s.save({entries: entries(1, 5, 1)})
    const r = await saveAsync(s, {entries: entries(6, 8, 1)}).result
    assert.equal(r.err, null)
    assert.equal(r.beforeReturn, true)
    assert.equal(r.lastIndex, 8, 'done is called after the bookkeeping')
    assert.ok(s.stats().segments > 1)
  })

  it('a failed background fdatasync is reported through done and poisons the store until load()', async (t) => {
    const dir = tempDir(t)
    const fs = new FaultFs()
    const s = open(dir, {fs, segmentBytes: 1 << 20})
    s.save({entries: entries(1, 3, 1)})
    fs.failOn('fdatasync', 'EIO')
    const r = await saveAsync(s, {entries: entries(4, 6, 1)}).result
    assert.ok(r.err instanceof StorageError)
    assert.equal((r.err as StorageError).code, 'STORAGE_IO')
    assert.throws(() => s.save({entries: entries(4, 4, 1)}), /reopen/)
    const back = s.load()
    assert.ok(back.entries.length === 3 || back.entries.length === 6, 'the log is either before or after the batch')
    s.save({entries: entries(back.entries.length + 1, back.entries.length + 1, 1)})
  })

  it('a write error is reported through done with nothing of the batch left behind', async (t) => {
    const dir = tempDir(t)
    const fs = new FaultFs()
    const s = open(dir, {fs, segmentBytes: 1 << 20})
    s.save({entries: entries(1, 3, 1)})
    fs.failOn('write', 'ENOSPC', {partial: true})
    const r = await saveAsync(s, {entries: entries(4, 6, 1)}).result
    assert.equal((r.err as StorageError).code, 'STORAGE_FULL')
    assert.equal(s.lastIndex(), 3)
    const again = await saveAsync(s, {entries: entries(4, 5, 1)}).result
    assert.equal(again.err, null, 'the store stays usable once space is back')
    s.close()
    assert.deepEqual(ids(new FileStorage({dir}).load().entries), ids(entries(1, 5, 1)))
  })

  it('close while a sync is in flight waits for it before closing the file', async (t) => {
    const dir = tempDir(t)
    const s = open(dir, {segmentBytes: 1 << 20})
    s.save({entries: entries(1, 1, 1)})
    const {result} = saveAsync(s, {entries: entries(2, 20, 1)})
    s.close()
    assert.equal((await result).err, null)
    assert.deepEqual(ids(new FileStorage({dir}).load().entries), ids(entries(1, 20, 1)))
  })
})

describe('FileStorage.saveAsync callbacks', () => {
  it("an exception thrown by the caller's callback reaches the caller, and done runs once", (t) => {
    const dir = tempDir(t)
    const s = open(dir, {syncMode: 'none'})
    let calls = 0
    assert.throws(() => s.saveAsync({entries: entries(1, 2, 1)}, () => {
      calls++
      throw new Error('callback bug')
    }), /callback bug/)
    assert.equal(calls, 1)
    assert.equal(s.lastIndex(), 2, 'the batch itself was stored')
  })
})
