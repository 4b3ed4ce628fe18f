/** MemoryStorage: the semantics every Storage shares (truncation, snapshot rules, validation) plus the test seams. */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {MemoryStorage, StorageError} from '../../src/storage/index.js'
import {entries, entry, ids, snapshot} from './helpers.js'

describe('MemoryStorage', () => {
  it('starts empty', () => {
    const s = new MemoryStorage()
    assert.deepEqual(s.load(), {hardState: {term: 0, vote: null, commit: 0}, snapshot: null, entries: []})
    assert.deepEqual(s.stats(), {segments: 0, bytes: 0, firstIndex: 1, lastIndex: 0, snapshotIndex: 0, syncs: 0})
  })

  it('appends, then truncates a conflicting suffix', () => {
    const s = new MemoryStorage()
    s.save({entries: entries(1, 5, 1), hardState: {term: 1, vote: 'n1', commit: 2}})
    s.save({entries: entries(4, 6, 2), hardState: {term: 2, vote: null, commit: 3}})
    const r = s.load()
    assert.deepEqual(ids(r.entries), ['1@1', '2@1', '3@1', '4@2', '5@2', '6@2'])
    assert.deepEqual(r.hardState, {term: 2, vote: null, commit: 3})
  })

  it('refuses a gap or non-consecutive entries with RangeError and changes nothing', () => {
    const s = new MemoryStorage()
    s.save({entries: entries(1, 3, 1)})
    assert.throws(() => s.save({entries: [entry(5, 1)]}), RangeError)
    assert.throws(() => s.save({entries: [entry(4, 1), entry(6, 1)]}), RangeError)
    assert.throws(() => s.save({entries: [entry(4, 2), entry(5, 1)]}), RangeError)
    assert.throws(() => s.save({entries: [], hardState: {term: -1, vote: null, commit: 0}}), RangeError)
    assert.deepEqual(ids(s.load().entries), ['1@1', '2@1', '3@1'])
  })

  it('installs a snapshot that matches the log: keeps the entries after it', () => {
    const s = new MemoryStorage()
    s.save({entries: entries(1, 10, 1)})
    s.save({snapshot: snapshot(6, 1), entries: []})
    const r = s.load()
    assert.equal(r.snapshot?.meta.index, 6)
    assert.deepEqual(ids(r.entries), ['7@1', '8@1', '9@1', '10@1'])
  })

  it('installs a snapshot that does not match the log: discards the whole log', () => {
    const s = new MemoryStorage()
    s.save({entries: entries(1, 10, 1)})
    s.save({snapshot: snapshot(6, 2), entries: [entry(7, 2)], hardState: {term: 2, vote: null, commit: 6}})
    assert.deepEqual(ids(s.load().entries), ['7@2'])
    s.save({snapshot: snapshot(20, 3), entries: entries(21, 22, 3)})
    assert.deepEqual(ids(s.load().entries), ['21@3', '22@3'])
    assert.equal(s.lastIndex(), 22)
  })

  it('refuses a stale snapshot and one with the same index but another term', () => {
    const s = new MemoryStorage()
    s.save({snapshot: snapshot(10, 2), entries: []})
    assert.throws(() => s.save({snapshot: snapshot(9, 2), entries: []}), RangeError)
    assert.throws(() => s.saveSnapshot(snapshot(10, 3), 10), RangeError)
  })

  it('drops entries a snapshot already covers', () => {
    const s = new MemoryStorage()
    s.save({snapshot: snapshot(10, 2), entries: entries(8, 12, 2)})
    assert.deepEqual(ids(s.load().entries), ['11@2', '12@2'])
  })

  it('saveSnapshot compacts up to compactTo and load returns entries after the snapshot', () => {
    const s = new MemoryStorage()
    s.save({entries: entries(1, 10, 1)})
    s.saveSnapshot(snapshot(8, 1), 5)
    assert.deepEqual(ids(s.load().entries), ['9@1', '10@1'])
    assert.equal(s.stats().firstIndex, 6)
    assert.throws(() => s.saveSnapshot(snapshot(9, 1), 10), RangeError)
  })

  it('failNextSave throws the code and changes nothing, then saves work again', () => {
    const s = new MemoryStorage()
    s.save({entries: entries(1, 2, 1)})
    s.failNextSave('STORAGE_FULL')
    assert.throws(() => s.save({entries: [entry(3, 1)]}), (e: unknown) => e instanceof StorageError && e.code === 'STORAGE_FULL')
    assert.deepEqual(ids(s.load().entries), ['1@1', '2@1'])
    s.failNextSave('STORAGE_IO')
    assert.throws(() => s.saveSnapshot(snapshot(2, 1), 2), (e: unknown) => e instanceof StorageError && e.code === 'STORAGE_IO')
    s.save({entries: [entry(3, 1)]})
    assert.deepEqual(ids(s.load().entries), ['1@1', '2@1', '3@1'])
  })

  it('clone() is an independent copy of the durable state', () => {
    const s = new MemoryStorage()
    s.save({entries: entries(1, 3, 1), hardState: {term: 1, vote: 'n2', commit: 1}})
    const durable = s.clone()
    s.save({entries: entries(2, 4, 2), hardState: {term: 2, vote: null, commit: 1}})
    assert.deepEqual(ids(durable.load().entries), ['1@1', '2@1', '3@1'])
    assert.deepEqual(durable.load().hardState, {term: 1, vote: 'n2', commit: 1})
    assert.deepEqual(ids(s.load().entries), ['1@1', '2@2', '3@2', '4@2'])
  })

  it('copies saved data so later mutation by the caller does not leak in', () => {
    const s = new MemoryStorage()
    const e = entry(1, 1, 'abc')
    s.save({entries: [e]})
    ;(e.data as Uint8Array)[0] = 0
    assert.equal(new TextDecoder().decode(s.load().entries[0].data), 'abc')
  })

  it('throws STORAGE_IO after close until load reopens it', () => {
    const s = new MemoryStorage()
    s.close()
    assert.throws(() => s.save({entries: [entry(1, 1)]}), (e: unknown) => e instanceof StorageError && e.code === 'STORAGE_IO')
    s.load()
    s.save({entries: [entry(1, 1)]})
  })
})
