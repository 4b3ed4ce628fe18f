/**
 * The storage rewrite of disaster recovery (src/storage/force-new-cluster.ts): a survivor's log
 * and snapshot are kept, its membership becomes itself alone, the whole log is committed, in
 * one batch that a crash leaves whole or absent; a second run changes nothing.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {readdirSync, readFileSync, statSync, truncateSync} from 'node:fs'
import {join} from 'node:path'
import {FileStorage} from '../../src/storage/file-storage.js'
import {MemoryStorage} from '../../src/storage/memory.js'
import {forceNewCluster, summarize} from '../../src/storage/force-new-cluster.js'
import {RaftNode, bootstrapEntries} from '../../src/raft/node.js'
import {SeededRng} from '../../src/raft/rng.js'
import {encodeConfChange, type Entry} from '../../src/raft/types.js'
import {copyDir, entries, ids, snapshot, tempDir} from './helpers.js'

/** A survivor of a 3-voter cluster: the bootstrap entries, 7 writes at term 2, commit 6 of 10. */
function survivorLog(): Entry[] {
  return [...bootstrapEntries({voters: ['n1', 'n2', 'n3'], learners: []}), ...entries(4, 10, 2)]
}

function openStore(dir: string): FileStorage {
  return new FileStorage({dir, preallocateBytes: 0})
}

function confOf(store: {load: FileStorage['load']}, id = 'n1'): {voters: readonly string[]; learners: readonly string[]} {
  return new RaftNode({id, rng: new SeededRng(1)}, store.load()).status().conf
}

test('the membership becomes the survivor alone; the log is kept and committed whole', (t) => {
  const dir = tempDir(t)
  const store = openStore(dir)
  store.load()
  store.save({entries: survivorLog(), hardState: {term: 3, vote: 'n2', commit: 6}})
  const result = forceNewCluster(store, 'n1')
  store.close()
  assert.deepEqual(result.appended, [{type: 'remove', node: 'n2'}, {type: 'remove', node: 'n3'}])
  assert.deepEqual(result.before.conf, {voters: ['n1', 'n2', 'n3'], learners: []})
  assert.deepEqual(result.after.conf, {voters: ['n1'], learners: []})

  const reopened = openStore(dir)
  const state = reopened.load()
  assert.deepEqual(ids(state.entries), [...ids(survivorLog()), '11@3', '12@3'])
  assert.deepEqual(state.hardState, {term: 3, vote: 'n2', commit: 12})
  assert.deepEqual(confOf(reopened), {voters: ['n1'], learners: []})
  reopened.close()
})

test('a second run appends nothing and changes no byte (idempotent)', (t) => {
  const dir = tempDir(t)
  const store = openStore(dir)
  store.load()
  store.save({entries: survivorLog(), hardState: {term: 2, vote: null, commit: 10}})
  forceNewCluster(store, 'n1')
  store.close()
  const wal = join(dir, 'wal')
  const bytes = readdirSync(wal).map((f) => readFileSync(join(wal, f)))
  const again = openStore(dir)
  const result = forceNewCluster(again, 'n1')
  again.close()
  assert.deepEqual(result.appended, [])
  assert.deepEqual(readdirSync(wal).map((f) => readFileSync(join(wal, f))), bytes)
})

test('a learner survivor, over a snapshot, removes the others and promotes itself', (t) => {
  const store = new MemoryStorage()
  // The snapshot's members: voters n1 n2 n3, learner n4; then n5 is added as a learner.
  const extra: Entry = {index: 21, term: 4, type: 'config', data: encodeConfChange({type: 'addLearner', node: 'n5'})}
  store.save({snapshot: snapshot(20, 4), entries: [extra], hardState: {term: 5, vote: null, commit: 20}})
  const result = forceNewCluster(store, 'n4')
  assert.deepEqual(result.appended.map((c) => `${c.type} ${c.node}`), ['remove n1', 'remove n2', 'remove n3', 'remove n5', 'promote n4'])
  const state = store.load()
  assert.equal(state.snapshot?.meta.index, 20, 'the snapshot is kept')
  assert.deepEqual(ids(state.entries), ['21@4', '22@5', '23@5', '24@5', '25@5', '26@5'])
  assert.equal(state.hardState.commit, 26)
  assert.deepEqual(summarize(state).conf, {voters: ['n4'], learners: []})
  assert.deepEqual(confOf(store, 'n4'), {voters: ['n4'], learners: []})
})

test('a store without a log or snapshot is refused, nothing written', () => {
  const store = new MemoryStorage()
  assert.throws(() => forceNewCluster(store, 'n1'), RangeError)
  assert.deepEqual(store.load().entries, [])
})

test('a crash at any byte of the rewrite leaves the old membership or the new one, never a mix', (t) => {
  const original = tempDir(t)
  const store = openStore(original)
  store.load()
  store.save({entries: survivorLog(), hardState: {term: 3, vote: 'n2', commit: 6}})
  store.close()
  const segment = readdirSync(join(original, 'wal'))[0]!
  const sizeBefore = statSync(join(original, 'wal', segment)).size
  const rewritten = tempDir(t)
  copyDir(original, rewritten)
  const s = openStore(rewritten)
  forceNewCluster(s, 'n1')
  s.close()
  const sizeAfter = statSync(join(rewritten, 'wal', segment)).size
  assert.ok(sizeAfter > sizeBefore)
  const seen = new Set<string>()
  for (let cut = sizeBefore; cut < sizeAfter; cut++) {
    const dir = tempDir(t)
    copyDir(rewritten, dir)
    truncateSync(join(dir, 'wal', segment), cut)
    const torn = openStore(dir)
    const conf = confOf(torn)
    const st = torn.load()
    torn.close()
    assert.deepEqual(conf, {voters: ['n1', 'n2', 'n3'], learners: []}, `cut at ${cut}: the old membership`)
    assert.equal(st.hardState.commit, 6)
    assert.equal(st.entries.at(-1)?.index, 10)
    seen.add(conf.voters.join(','))
  }
  assert.deepEqual([...seen], ['n1,n2,n3'])
  const whole = openStore(rewritten)
  assert.deepEqual(confOf(whole), {voters: ['n1'], learners: []})
  whole.close()
})
