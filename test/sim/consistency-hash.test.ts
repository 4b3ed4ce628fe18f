/**
 * The simulator's end-of-seed consistency check (src/sim/invariants.ts): nodes that applied the
 * same index must have the same consistency hash (SHA-256 of the snapshot encoding, the hash of
 * docs/doctor.md); nodes at different indexes are not compared. A value changed outside the log
 * (the test-only seam) is caught.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {KvStateMachine, encodeCommand} from '../../src/kv/index.js'
import {Violation, checkConsistencyHashes, consistencyHash} from '../../src/sim/invariants.js'

function replica(writes: number): KvStateMachine {
  const sm = new KvStateMachine()
  for (let i = 1; i <= writes; i++) sm.apply(i, encodeCommand({op: 'put', key: `k${i % 3}`, value: `v${i}`}, sm.limits))
  return sm
}

test('the hash is the SHA-256 of the snapshot encoding', () => {
  const sm = replica(5)
  assert.equal(consistencyHash(sm), createHash('sha256').update(sm.snapshot()).digest('hex'))
})

test('equal states at one index pass; a node behind is not compared', () => {
  assert.doesNotThrow(() => checkConsistencyHashes([
    {id: 'n1', applied: 5, sm: replica(5)}, {id: 'n2', applied: 5, sm: replica(5)}, {id: 'n3', applied: 3, sm: replica(3)},
  ]))
})

test('a value changed outside the log at the same index is a consistency-hash violation naming both nodes', () => {
  const odd = replica(5)
  odd.tamperForTest('k1', 'tampered')
  assert.throws(() => checkConsistencyHashes([{id: 'n1', applied: 5, sm: replica(5)}, {id: 'n2', applied: 5, sm: odd}]), (err: Violation) => {
    assert.equal(err.property, 'consistency-hash')
    assert.match(err.message, /n2 and n1 both applied 5 but their state hashes differ/)
    return true
  })
})
