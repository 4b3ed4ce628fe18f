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
