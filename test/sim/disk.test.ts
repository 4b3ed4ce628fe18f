/**
 * The simulator's disk: the real MemoryStorage behind crash hooks. Unsynced batches are lost
 * by a crash, a torn write keeps a prefix of its entries, and an invalid batch is a
 * storage-contract violation.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {SimCrash, SimDisk} from '../../src/sim/disk.js'
import {Violation} from '../../src/sim/invariants.js'
import type {Entry} from '../../src/raft/types.js'

function entries(from: number, to: number, term = 1): Entry[] {
  const out: Entry[] = []
  for (let i = from; i <= to; i++) out.push({index: i, term, type: 'normal', data: new Uint8Array([i])})
  return out
}

/** An async disk whose syncs complete only when the test runs them. */
function asyncDisk(): {disk: SimDisk; syncs: (() => void)[]} {
  const syncs: (() => void)[] = []
  return {disk: new SimDisk((complete) => syncs.push(complete)), syncs}
}

test('a sync disk has no saveAsync and keeps what save wrote', () => {
  const disk = new SimDisk()
  assert.equal(disk.saveAsync, undefined)
  disk.save({entries: entries(1, 3), hardState: {term: 1, vote: 'n1', commit: 2}})
  const s = disk.load()
  assert.deepEqual(s.entries.map((e) => e.index), [1, 2, 3])
  assert.deepEqual(s.hardState, {term: 1, vote: 'n1', commit: 2})
})

test('a batch becomes durable when its sync completes, and is lost by a crash before it', () => {
  const {disk, syncs} = asyncDisk()
  const done: (Error | null)[] = []
  disk.saveAsync!({entries: entries(1, 2), hardState: {term: 1, vote: null, commit: 0}}, (err) => done.push(err))
  assert.equal(disk.load().entries.length, 0, 'not durable before the sync completes')
  syncs.shift()!()
  assert.equal(done.length, 1)
  assert.equal(done[0], null)
  assert.deepEqual(disk.load().entries.map((e) => e.index), [1, 2])

  disk.saveAsync!({entries: entries(3, 4), hardState: {term: 1, vote: null, commit: 2}}, (err) => done.push(err))
  assert.equal(disk.crash(), 1, 'one unsynced batch lost')
  syncs.shift()!()
  assert.equal(done.length, 1, 'the lost batch never completes')
  assert.deepEqual(disk.load().entries.map((e) => e.index), [1, 2])
  assert.equal(disk.load().hardState.commit, 0)
})

test('a torn write keeps a prefix of its entries, no hard state, and crashes', () => {
  const disk = new SimDisk()
  disk.tearNextSave(2)
  assert.throws(() => disk.save({entries: entries(1, 4), hardState: {term: 1, vote: 'n2', commit: 3}}), SimCrash)
  assert.deepEqual(disk.load().entries.map((e) => e.index), [1, 2])
  assert.equal(disk.load().hardState.term, 0)
  disk.save({entries: entries(3, 3)})
  assert.deepEqual(disk.load().entries.map((e) => e.index), [1, 2, 3], 'the tear is used up')
})

test('a batch the real storage rejects is a storage-contract violation', () => {
  const disk = new SimDisk()
  disk.save({entries: entries(1, 2, 2)})
  const bad = [...entries(3, 3, 2), ...entries(4, 4, 1)]
  assert.throws(() => disk.save({entries: bad}), (err: unknown) => err instanceof Violation && err.property === 'storage-contract')
})

test('the WAL model rolls segments, deletes those wholly below a snapshot, and a restart recovers what is durable', () => {
  const disk = new SimDisk()
  for (let i = 1; i <= 200; i += 4) disk.save({entries: entries(i, i + 3), hardState: {term: 1, vote: 'n1', commit: i}})
  const before = disk.wal.segmentNames
  assert.ok(before.length > 5, `segments roll: ${before.join(',')}`)
  disk.saveSnapshot({meta: {index: 150, term: 1, conf: {voters: ['n1'], learners: []}}, data: new Uint8Array([1])}, 150)
  const holder = before.filter((n) => n <= 150).at(-1)!
  assert.deepEqual(disk.wal.segmentNames, before.filter((n) => n >= holder))
  const s = disk.load()
  assert.deepEqual(s.entries.map((e) => e.index), Array.from({length: 50}, (_, k) => k + 151))
  assert.deepEqual(s.hardState, {term: 1, vote: 'n1', commit: 197})
})

test('a crash in the middle of deleting old segments loses nothing: the restart recovers the durable state and deletes the rest', () => {
  const disk = new SimDisk()
  for (let i = 1; i <= 200; i += 4) disk.save({entries: entries(i, i + 3, 2), hardState: {term: 2, vote: null, commit: i}})
  const before = disk.wal.segmentNames
  disk.crashDuringNextDeletion(1)
  assert.throws(() => disk.saveSnapshot({meta: {index: 150, term: 2, conf: {voters: ['n1'], learners: []}}, data: new Uint8Array([1])}, 140), SimCrash)
  assert.deepEqual(disk.wal.segmentNames, before.slice(1), 'one segment deleted before the crash')
  disk.crash()
  const s = disk.load()
  assert.equal(s.snapshot?.meta.index, 150)
  assert.deepEqual(s.entries.map((e) => e.index), Array.from({length: 50}, (_, k) => k + 151))
  const holder = before.filter((n) => n <= 150).at(-1)!
  assert.deepEqual(disk.wal.segmentNames, before.filter((n) => n >= holder), 'the restart deleted the segments left below the snapshot')
})
