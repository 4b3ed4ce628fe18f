/** The quorum helper shared outside the core (src/common/quorum.ts): the core's majority, fault tolerance given who is up. */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {hasQuorum, quorumOf, tolerates} from '../../src/common/quorum.js'
import {majority} from '../../src/raft/quorum.js'

test('quorumOf agrees with the core\'s majority for every cluster size', () => {
  for (let n = 1; n <= 15; n++) assert.equal(quorumOf(n), majority(n), `voters ${n}`)
  assert.deepEqual([1, 2, 3, 4, 5].map(quorumOf), [1, 2, 2, 3, 3])
})

test('tolerates: with every voter up, the fault tolerance (1 of 3, 1 of 4, 2 of 5)', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 7].map((n) => tolerates(n)), [0, 0, 0, 1, 1, 2, 3])
})

test('tolerates: how many MORE may fail given who is up, never below 0', () => {
  assert.equal(tolerates(5, 4), 1)
  assert.equal(tolerates(5, 3), 0)
  assert.equal(tolerates(3, 1), 0) // quorum already lost
  assert.equal(tolerates(3, 9), 1) // more up than voters counts as all up
})

test('hasQuorum: a majority of the voters up', () => {
  assert.equal(hasQuorum(3, 2), true)
  assert.equal(hasQuorum(3, 1), false)
  assert.equal(hasQuorum(4, 2), false)
  assert.equal(hasQuorum(1, 1), true)
})
