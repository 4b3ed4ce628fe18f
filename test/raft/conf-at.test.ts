/**
 * RaftNode.confAt, the membership at an index (the replica puts it in each snapshot's meta):
 * at or after the last config entry it is the current membership without a walk of the log;
 * before it, and after a truncation replaced a config entry, it is what the log says.
 */
import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import {RaftNode, SeededRng, encodeConfChange, type Entry} from '../../src/raft/index.js'
import {drain, entriesWithTerms, stateWithLog} from './harness.js'

const voters = ['n1', 'n2', 'n3']
const withN4 = {voters, learners: ['n4']}
const alone = {voters, learners: []}

/** Entries 1..3 of term 1, a config entry adding learner n4 at 4, then 5..6. */
function logWithChange(): Entry[] {
  const entries = entriesWithTerms([1, 1, 1, 1, 1, 1])
  entries[3] = {term: 1, index: 4, type: 'config', data: encodeConfChange({type: 'addLearner', node: 'n4'})}
  return entries
}

describe('confAt', () => {
  it('is the snapshot membership before a config entry and the changed one from it on', () => {
    const state = stateWithLog(voters, [], {term: 1})
    const n = new RaftNode({id: 'n2', rng: new SeededRng(1)}, {...state, entries: logWithChange()})
    drain(n)
    for (let i = 0; i <= 3; i++) assert.deepEqual(n.confAt(i), alone, `at ${i}`)
    for (let i = 4; i <= 6; i++) assert.deepEqual(n.confAt(i), withN4, `at ${i}`)
  })

  it('after a leader replaced the config entry (truncation), no index has the removed change', () => {
    const state = stateWithLog(voters, [], {term: 1})
    const n = new RaftNode({id: 'n2', rng: new SeededRng(1)}, {...state, entries: logWithChange()})
    drain(n)
    n.step({type: 'append', from: 'n1', to: 'n2', term: 2, prevIndex: 3, prevTerm: 1, entries: entriesWithTerms([2, 2, 2, 2], 4), commit: 0})
    drain(n)
    assert.equal(n.status().lastIndex, 7)
    for (let i = 0; i <= 7; i++) assert.deepEqual(n.confAt(i), alone, `at ${i}`)
  })
})
