/** FileStorage on real temp directories: round trips, truncation across segments, restarts, snapshots, compaction, group commit. */
import assert from 'node:assert/strict'
import {existsSync, readdirSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {FileStorage, StorageError, type FileStorageOptions} from '../../src/storage/index.js'
import {entries, entry, FaultFs, ids, snapshot, tempDir} from './helpers.js'

function open(dir: string, extra: Partial<FileStorageOptions> = {}): FileStorage {
  const s = new FileStorage({dir, ...extra})
  s.load()
  return s
}

function reopen(s: FileStorage, dir: string, extra: Partial<FileStorageOptions> = {}): ReturnType<FileStorage['load']> {
  s.close()
  return new FileStorage({dir, ...extra}).load()
}

describe('FileStorage', () => {
  it('round-trips entries (both types, empty and binary data), hard state and a snapshot', (t) => {
    const dir = tempDir(t)
    const s = open(dir)
    const binary = new Uint8Array(256).map((_, k) => k)
    const written = [
      entry(1, 1, ''),
      {index: 2, term: 1, type: 'config' as const, data: new TextEncoder().encode('{"type":"addVoter","node":"n4"}')},
      {index: 3, term: 3, type: 'normal' as const, data: binary},
    ]
    s.save({entries: written, hardState: {term: 3, vote: 'nœud-1', commit: 2}})
    const r = reopen(s, dir)
    assert.deepEqual(r.entries, written)
    assert.deepEqual(r.hardState, {term: 3, vote: 'nœud-1', commit: 2})
    assert.equal(r.snapshot, null)

    const s2 = open(dir)
    s2.saveSnapshot(snapshot(2, 1, 'state'), 2)
    const r2 = reopen(s2, dir)
    assert.deepEqual({meta: r2.snapshot?.meta, data: r2.snapshotBytes}, snapshot(2, 1, 'state'))
    assert.deepEqual(r2.entries, [written[2]])
  })

  it('keeps large terms and indexes (beyond 2^32) exact', (t) => {
    const dir = tempDir(t)
    const s = open(dir)
    const big = 2 ** 40 + 7
    s.save({snapshot: snapshot(big, big), entries: [entry(big + 1, big + 3)], hardState: {term: big + 3, vote: null, commit: big}})
    const r = reopen(s, dir)
    assert.deepEqual(ids(r.entries), [`${big + 1}@${big + 3}`])
    assert.equal(r.snapshot?.meta.term, big)
    assert.equal(r.hardState.commit, big)
  })

  it('truncates a conflicting suffix across segment boundaries', (t) => {
    const dir = tempDir(t)
    const s = open(dir, {segmentBytes: 128})
    for (let i = 1; i <= 30; i++) s.save({entries: [entry(i, 1)], hardState: {term: 1, vote: 'n1', commit: i - 1}})
    assert.ok(s.stats().segments > 5, `expected many segments, got ${s.stats().segments}`)
    s.save({entries: entries(7, 9, 2), hardState: {term: 2, vote: 'n2', commit: 6}})
    assert.equal(s.lastIndex(), 9)
    s.save({entries: entries(10, 12, 2)})
    const r = reopen(s, dir, {segmentBytes: 128})
    assert.deepEqual(ids(r.entries), [...ids(entries(1, 6, 1)), ...ids(entries(7, 12, 2))])
    assert.deepEqual(r.hardState, {term: 2, vote: 'n2', commit: 6})
  })

  it('truncates back before the first entry of the active segment, and again after a restart', (t) => {
    const dir = tempDir(t)
    const s = open(dir, {segmentBytes: 64})
    s.save({entries: entries(1, 20, 1)})
    s.save({entries: entries(21, 40, 1)})
    s.save({entries: entries(3, 5, 2)})
    const r = reopen(s, dir, {segmentBytes: 64})
    assert.deepEqual(ids(r.entries), [...ids(entries(1, 2, 1)), ...ids(entries(3, 5, 2))])
    const s2 = open(dir, {segmentBytes: 64})
    s2.save({entries: entries(2, 3, 3)})
    assert.deepEqual(ids(reopen(s2, dir).entries), ['1@1', '2@3', '3@3'])
  })

  it('recovers exactly after many saves and several restarts', (t) => {
    const dir = tempDir(t)
    // This test is about replay across restarts, not durability: skip the syncs to keep it fast.
    let s = open(dir, {segmentBytes: 4096, syncMode: 'none'})
    let term = 1
    for (let round = 0; round < 5; round++) {
      for (let k = 0; k < 200; k++) {
        const i = s.lastIndex() + 1
        s.save({entries: entries(i, i + (k % 3), term), hardState: {term, vote: 'n1', commit: i - 1}})
      }
      term++
      s.close()
      s = open(dir, {segmentBytes: 4096, syncMode: 'none'})
    }
    const r = s.load()
    assert.equal(r.entries.length, s.lastIndex())
    r.entries.forEach((e, k) => assert.equal(e.index, k + 1))
    assert.equal(r.hardState.term, 5)
    assert.ok(s.stats().segments > 1)
  })

  it('makes one fdatasync per save (group commit), and a directory fsync only when a segment is created', (t) => {
    const dir = tempDir(t)
    const fs = new FaultFs()
    const s = open(dir, {fs, segmentBytes: 1 << 20})
    s.save({entries: entries(1, 1, 1)})
    const before = {...fs.counts}
    s.save({entries: entries(2, 257, 1), hardState: {term: 1, vote: 'n1', commit: 1}})
    assert.equal((fs.counts.fdatasync ?? 0) - (before.fdatasync ?? 0), 1)
    assert.equal((fs.counts.fsync ?? 0) - (before.fsync ?? 0), 0)
    s.save({entries: [], hardState: {term: 1, vote: 'n1', commit: 2}})
    assert.equal((fs.counts.fdatasync ?? 0) - (before.fdatasync ?? 0), 2)
    s.save({entries: []})
    assert.equal((fs.counts.fdatasync ?? 0) - (before.fdatasync ?? 0), 2, 'an empty write syncs nothing')
    assert.equal(s.stats().syncs, 3)
  })

  it("syncMode 'none' never syncs and warns that it is unsafe", (t) => {
    const dir = tempDir(t)
    const fs = new FaultFs()
    const warnings: string[] = []
    const s = new FileStorage({dir, fs, syncMode: 'none', segmentBytes: 64, logger: (level, msg) => level === 'warn' && warnings.push(msg)})
    s.load()
    for (let i = 1; i <= 20; i++) s.save({entries: [entry(i, 1)]})
    s.saveSnapshot(snapshot(15, 1), 15)
    assert.equal((fs.counts.fdatasync ?? 0) + (fs.counts.fsync ?? 0), 0)
    assert.ok(warnings.some((w) => w.includes('NOT durable')))
    assert.deepEqual(ids(reopen(s, dir).entries), ids(entries(16, 20, 1)))
  })

  it('compaction deletes whole old segments and load still works', (t) => {
    const dir = tempDir(t)
    const s = open(dir, {segmentBytes: 200})
    for (let i = 1; i <= 60; i++) s.save({entries: [entry(i, 1)], hardState: {term: 1, vote: null, commit: i}})
    const before = s.stats()
    s.saveSnapshot(snapshot(50, 1), 40)
    const after = s.stats()
    assert.ok(after.segments < before.segments, `${after.segments} < ${before.segments}`)
    assert.ok(after.firstIndex <= 41 && after.firstIndex > 1, `firstIndex ${after.firstIndex}`)
    const remaining = readdirSync(join(dir, 'wal')).map((f) => parseInt(f, 16)).sort((a, b) => a - b)
    assert.ok(remaining[0] <= 50, 'the segment holding the snapshot\'s entry stays')
    assert.ok(remaining.length < 2 || remaining[1] > 50, `segments wholly below the snapshot are deleted: ${remaining.join(',')}`)
    const r = reopen(s, dir, {segmentBytes: 200})
    assert.equal(r.snapshot?.meta.index, 50)
    assert.deepEqual(ids(r.entries), ids(entries(51, 60, 1)))
    assert.deepEqual(r.hardState, {term: 1, vote: null, commit: 60})
  })

  it('compacting everything keeps the hard state (it lives in the active segment)', (t) => {
    const dir = tempDir(t)
    const s = open(dir, {segmentBytes: 100})
    for (let i = 1; i <= 20; i++) s.save({entries: [entry(i, 2)], hardState: {term: 2, vote: 'n3', commit: i}})
    s.saveSnapshot(snapshot(20, 2), 20)
    assert.equal(s.stats().segments, 1)
    const r = reopen(s, dir, {segmentBytes: 100})
    assert.deepEqual(r.hardState, {term: 2, vote: 'n3', commit: 20})
    assert.deepEqual(r.entries, [])
    const s2 = open(dir, {segmentBytes: 100})
    s2.save({entries: [entry(21, 2)]})
    assert.deepEqual(ids(reopen(s2, dir).entries), ['21@2'])
  })

  it('keeps only the newest two snapshot files', (t) => {
    const dir = tempDir(t)
    const s = open(dir)
    s.save({entries: entries(1, 10, 1)})
    for (const i of [2, 4, 6, 8]) s.saveSnapshot(snapshot(i, 1), i - 1)
    const files = readdirSync(join(dir, 'snapshots')).sort()
    assert.deepEqual(files, ['0000000000000006.snap', '0000000000000008.snap'])
  })

  it('installs a snapshot from the leader: matching log keeps the tail, conflicting log is discarded', (t) => {
    const dir = tempDir(t)
    const s = open(dir, {segmentBytes: 150})
    s.save({entries: entries(1, 20, 1)})
    s.save({snapshot: snapshot(12, 1), entries: [], hardState: {term: 1, vote: null, commit: 12}})
    assert.deepEqual(ids(reopen(s, dir).entries), ids(entries(13, 20, 1)))

    const s2 = open(dir, {segmentBytes: 150})
    s2.save({snapshot: snapshot(30, 4), entries: entries(31, 33, 4), hardState: {term: 4, vote: null, commit: 30}})
    assert.equal(s2.stats().segments, 1, 'segments with no live entry are deleted')
    const r = reopen(s2, dir)
    assert.equal(r.snapshot?.meta.index, 30)
    assert.deepEqual(ids(r.entries), ids(entries(31, 33, 4)))
    assert.deepEqual(r.hardState, {term: 4, vote: null, commit: 30})
  })

  it('re-saving the stored snapshot (same index and term) does not rewrite it', (t) => {
    const dir = tempDir(t)
    const s = open(dir)
    s.save({entries: entries(1, 5, 1)})
    s.saveSnapshot(snapshot(5, 1, 'first'), 5)
    s.saveSnapshot(snapshot(5, 1, 'second'), 5)
    s.save({snapshot: snapshot(5, 1, 'third'), entries: [entry(6, 1)]})
    const r = reopen(s, dir)
    assert.equal(new TextDecoder().decode(r.snapshotBytes!), 'first')
    assert.deepEqual(ids(r.entries), ['6@1'])
  })

  it('refuses an entry larger than maxRecordBytes before writing anything', (t) => {
    const dir = tempDir(t)
    const s = open(dir, {maxRecordBytes: 100})
    s.save({entries: [entry(1, 1)]})
    assert.throws(() => s.save({entries: [entry(2, 1, 'x'.repeat(200))]}), /exceeds maxRecordBytes/)
    assert.deepEqual(ids(reopen(s, dir).entries), ['1@1'])
  })

  it('writes after load even without an explicit load, and reports stats', (t) => {
    const dir = tempDir(t)
    const s = new FileStorage({dir, segmentBytes: 100})
    s.save({entries: entries(1, 10, 1)})
    const st = s.stats()
    assert.equal(st.firstIndex, 1)
    assert.equal(st.lastIndex, 10)
    assert.equal(st.segments, 1)
    assert.ok(st.bytes > 10 * 26)
    assert.ok(existsSync(join(dir, 'wal', '0000000000000001.log')))
    s.close()
  })

  it('throws STORAGE_IO after close until load() reopens it', (t) => {
    const dir = tempDir(t)
    const s = open(dir)
    s.save({entries: [entry(1, 1)]})
    s.close()
    assert.throws(() => s.save({entries: [entry(2, 1)]}), (e: unknown) => e instanceof StorageError && e.code === 'STORAGE_IO' && /closed/.test(e.message))
    assert.deepEqual(ids(s.load().entries), ['1@1'])
    s.save({entries: [entry(2, 1)]})
    assert.deepEqual(ids(reopen(s, dir).entries), ['1@1', '2@1'])
  })

  it('still reads records written under a larger maxRecordBytes', (t) => {
    const dir = tempDir(t)
    const s = open(dir)
    s.save({entries: [entry(1, 1, 'y'.repeat(5000))]})
    assert.equal(reopen(s, dir, {maxRecordBytes: 100}).entries[0].data.length, 5000)
  })

  it('rejects bad options', (t) => {
    const dir = tempDir(t)
    assert.throws(() => new FileStorage({dir, segmentBytes: 0}), RangeError)
    assert.throws(() => new FileStorage({dir, syncMode: 'fsync' as never}), RangeError)
  })
})
