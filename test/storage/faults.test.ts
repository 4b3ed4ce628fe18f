/** FileStorage under injected I/O failures: disk full is a clean STORAGE_FULL, other errors STORAGE_IO, the files always reload. */
import assert from 'node:assert/strict'
import {readdirSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import type {StorageWrite} from '../../src/replica/ports.js'
import {FileStorage, MemoryStorage, StorageError, type StorageErrorCode} from '../../src/storage/index.js'
import {entries, entry, FaultFs, ids, recordingLogger, snapshot, tempDir} from './helpers.js'

/**
 * A store with one batch saved, and an oracle. Preallocation is off unless asked for: these tests
 * check how a failed append is undone, and a file without a zero-filled tail ends where its data does.
 */
function setup(t: {after: (fn: () => void) => void}, segmentBytes = 1 << 20, preallocateBytes = 0): {dir: string; fs: FaultFs; s: FileStorage; oracle: MemoryStorage; both: (w: StorageWrite) => void; log: ReturnType<typeof recordingLogger>} {
  const dir = tempDir(t)
  const fs = new FaultFs()
  const log = recordingLogger()
  const s = new FileStorage({dir, fs, segmentBytes, preallocateBytes, logger: log.log})
  s.load()
  const oracle = new MemoryStorage()
  const both = (w: StorageWrite): void => {
    s.save(w)
    oracle.save(w)
  }
  both({entries: entries(1, 5, 1), hardState: {term: 1, vote: 'n1', commit: 2}})
  return {dir, fs, s, oracle, both, log}
}

function fails(fn: () => void, code: StorageErrorCode, pattern?: RegExp): StorageError {
  try {
    fn()
  } catch (err) {
    assert.ok(err instanceof StorageError, String(err))
    assert.equal(err.code, code, err.message)
    if (pattern) assert.match(err.message, pattern)
    return err
  }
  assert.fail(`expected ${code}`)
}

function assertReloads(dir: string, oracle: MemoryStorage): void {
  const r = new FileStorage({dir}).load()
  const want = oracle.load()
  assert.deepEqual(ids(r.entries), ids(want.entries))
  assert.deepEqual(r.hardState, want.hardState)
  assert.equal(r.snapshot?.meta.index, want.snapshot?.meta.index)
}

const walFile = (dir: string): string => join(dir, 'wal', readdirSync(join(dir, 'wal')).sort().at(-1)!)

describe('FileStorage faults', () => {
  it('ENOSPC on a partial write: STORAGE_FULL naming the file, the half record is truncated away', (t) => {
    const {dir, fs, s, oracle, both} = setup(t)
    const size = statSync(walFile(dir)).size
    fs.failOn('write', 'ENOSPC', {partial: true})
    const err = fails(() => s.save({entries: entries(6, 50, 1)}), 'STORAGE_FULL', /no space left/)
    assert.equal(err.file, walFile(dir))
    assert.equal(err.offset, size)
    assert.equal(statSync(walFile(dir)).size, size)
    assertReloads(dir, oracle)
    both({entries: entries(6, 8, 1), hardState: {term: 1, vote: 'n1', commit: 6}})
    assertReloads(dir, oracle)
  })

  it('keeps failing cleanly while the disk is full, then succeeds once space is back', (t) => {
    const {dir, fs, s, oracle, both} = setup(t)
    for (let k = 0; k < 5; k++) {
      fs.failOn('write', k % 2 ? 'EDQUOT' : 'ENOSPC', {partial: k % 2 === 0})
      fails(() => s.save({entries: [entry(6, 1)], hardState: {term: 1, vote: 'n1', commit: 5}}), 'STORAGE_FULL')
    }
    assertReloads(dir, oracle)
    both({entries: [entry(6, 1)]})
    assertReloads(dir, oracle)
  })

  it('ENOSPC from fdatasync: STORAGE_FULL, undone, and the store stays usable', (t) => {
    const {dir, fs, s, oracle, both} = setup(t)
    fs.failOn('fdatasync', 'ENOSPC')
    fails(() => s.save({entries: entries(6, 9, 1)}), 'STORAGE_FULL')
    both({entries: entries(6, 7, 2)})
    assertReloads(dir, oracle)
  })

  it('EIO from fdatasync poisons the store until load() reopens it', (t) => {
    const {dir, fs, s, oracle} = setup(t)
    fs.failOn('fdatasync', 'EIO')
    fails(() => s.save({entries: entries(6, 9, 1)}), 'STORAGE_IO', /I\/O error/)
    fails(() => s.save({entries: [entry(6, 1)]}), 'STORAGE_IO', /reopen/)
    fails(() => s.saveSnapshot(snapshot(5, 1), 5), 'STORAGE_IO', /reopen/)
    s.load()
    s.save({entries: [entry(6, 1)]})
    oracle.save({entries: [entry(6, 1)]})
    assertReloads(dir, oracle)
  })

  it('when the undo itself fails, the store is poisoned and a reload still sees a consistent log', (t) => {
    const {dir, fs, s, oracle} = setup(t)
    fs.failOn('write', 'ENOSPC', {partial: true})
    fs.failOn('ftruncate', 'EIO')
    fails(() => s.save({entries: entries(6, 40, 1)}), 'STORAGE_FULL')
    fails(() => s.save({entries: [entry(6, 1)]}), 'STORAGE_IO', /reopen/)
    assertReloads(dir, oracle)
  })

  it('ENOSPC while creating a new segment removes it; the next save rolls again', (t) => {
    const {dir, fs, s, oracle, both} = setup(t, 64)
    const before = readdirSync(join(dir, 'wal')).length
    fs.failOn('write', 'ENOSPC', {skip: 1, partial: true})
    fails(() => s.save({entries: entries(6, 7, 1)}), 'STORAGE_FULL')
    assert.equal(readdirSync(join(dir, 'wal')).length, before)
    fs.failOn('fdatasync', 'ENOSPC')
    fails(() => s.save({entries: entries(6, 7, 1)}), 'STORAGE_FULL')
    assert.equal(readdirSync(join(dir, 'wal')).length, before)
    both({entries: entries(6, 7, 1)})
    assert.equal(readdirSync(join(dir, 'wal')).length, before + 1)
    assertReloads(dir, oracle)
  })

  it('ENOSPC while writing a snapshot file leaves no snapshot and no temp file', (t) => {
    const {dir, fs, s, oracle} = setup(t)
    fs.failOn('write', 'ENOSPC', {partial: true})
    fails(() => s.saveSnapshot(snapshot(4, 1, 'x'.repeat(1000)), 4), 'STORAGE_FULL', /snapshot/)
    fs.failOn('write', 'ENOSPC', {skip: 1})
    fails(() => s.save({snapshot: snapshot(9, 2), entries: [entry(10, 2)]}), 'STORAGE_FULL')
    assert.deepEqual(readdirSync(join(dir, 'snapshots')), [])
    assertReloads(dir, oracle)
  })

  it('a failed WAL append after an installed snapshot file removes that file', (t) => {
    const {dir, fs, s, oracle, both} = setup(t)
    fs.failOn('write', 'ENOSPC', {skip: 3})
    fails(() => s.save({snapshot: snapshot(9, 2), entries: [entry(10, 2)], hardState: {term: 2, vote: null, commit: 9}}), 'STORAGE_FULL')
    assert.equal(fs.pending, 0, 'the fault hit the WAL write')
    assert.deepEqual(readdirSync(join(dir, 'snapshots')), [])
    assertReloads(dir, oracle)
    both({snapshot: snapshot(9, 2), entries: [entry(10, 2)], hardState: {term: 2, vote: null, commit: 9}})
    assertReloads(dir, oracle)
  })

  it('other errors are STORAGE_IO', (t) => {
    const {fs, s} = setup(t)
    fs.failOn('write', 'EIO')
    fails(() => s.save({entries: [entry(6, 1)]}), 'STORAGE_IO', /EIO/)
    s.save({entries: [entry(6, 1)]})
    fs.failOn('open', 'EACCES')
    fails(() => s.saveSnapshot(snapshot(6, 1), 6), 'STORAGE_IO', /EACCES/)
  })

  it('a failed zero-fill ahead of the WAL end is logged and the append goes on without it', (t) => {
    const {dir, fs, s, oracle, both, log} = setup(t, 1 << 20, 256)
    const allocated = statSync(walFile(dir)).size
    assert.ok(allocated > s.stats().bytes, 'the first batch left zeros ahead')
    both({entries: entries(6, 7, 1), hardState: {term: 1, vote: 'n1', commit: 6}})
    assert.equal(statSync(walFile(dir)).size, allocated, 'a batch inside the zeros does not grow the file')
    fs.failOn('write', 'ENOSPC', {partial: true, skip: 1})
    both({entries: entries(8, 16, 1), hardState: {term: 1, vote: 'n1', commit: 8}})
    assert.equal(fs.pending, 0, 'the fault hit the zero-fill')
    assert.equal(statSync(walFile(dir)).size, s.stats().bytes, 'the partial zeros were cut back')
    assert.ok(log.lines.some((l) => l.level === 'warn' && /preallocate/.test(l.msg)), 'warned')
    assertReloads(dir, oracle)
    both({entries: entries(17, 18, 1)})
    assertReloads(dir, oracle)
  })

  it('a disk too full for the zeros, but not for the batches: every append still succeeds, warned once', (t) => {
    const {dir, fs, s, oracle, both, log} = setup(t, 1 << 20, 4096)
    let next = 6
    for (let k = 0; k < 5; k++) {
      fs.failOn('write', 'ENOSPC', {partial: true, skip: 1})
      const big = Array.from({length: 3}, (_, i) => entry(next + i, 1, 'v'.repeat(2000)))
      next += 3
      both({entries: big, hardState: {term: 1, vote: 'n1', commit: next - 1}})
      assert.equal(fs.pending, 0, `append ${k}: the fault hit the zero-fill`)
      assert.equal(statSync(walFile(dir)).size, s.stats().bytes, `append ${k}: no zeros left behind`)
    }
    assert.equal(log.lines.filter((l) => /preallocate/.test(l.msg)).length, 1, 'warned once')
    assertReloads(dir, oracle)
  })

  it('ENOSPC on a batch written into preallocated space: undone, and later appends preallocate again', (t) => {
    const {dir, fs, s, oracle, both} = setup(t, 1 << 20, 4096)
    const end = s.stats().bytes
    fs.failOn('write', 'ENOSPC', {partial: true})
    const err = fails(() => s.save({entries: entries(6, 20, 1)}), 'STORAGE_FULL')
    assert.equal(err.offset, end)
    assert.equal(statSync(walFile(dir)).size, end, 'cut back to the last batch')
    assertReloads(dir, oracle)
    both({entries: entries(6, 8, 1), hardState: {term: 1, vote: 'n1', commit: 6}})
    assert.ok(statSync(walFile(dir)).size > s.stats().bytes, 'zeros ahead again')
    assertReloads(dir, oracle)
  })
})
