/**
 * KvStateMachine.prepare: the leader's own command is applied as it is instead of being decoded
 * from its entry again (issue 23: decoding a 256 KiB value built a second string of its size on
 * the leader). The state is the same as a node that decoded the entry (byte-identical
 * snapshots), the store holds the request's own string, and only the very array prepared is
 * matched (a copy of the bytes, as a follower or a restarted leader has, is decoded).
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {KvStateMachine, encodeCommand, type KvCommand} from '../../src/kv/index.js'
import {PREPARED_FROM_BYTES} from '../../src/kv/state-machine.js'

/** A fresh string of `n` units (built at run time, so no two calls share one). */
function value(n: number, seed: string): string {
  return Array.from({length: n}, (_, i) => seed[i % seed.length]).join('')
}

describe('KvStateMachine.prepare', () => {
  it('gives the same state as decoding (byte-identical snapshots, same results)', () => {
    const leader = new KvStateMachine()
    const follower = new KvStateMachine()
    const commands: KvCommand[] = [
      {op: 'put', key: 'a', value: value(256 * 1024, 'aé€'), session: {clientId: 'c1', seq: 1}},
      {op: 'append', key: 'a', value: value(4096, 'xyz')},
      {op: 'cas', key: 'b', expected: null, value: value(2048, 'q"\\')},
      {op: 'put', key: 'small', value: 'tiny'},
    ]
    commands.forEach((command, i) => {
      const data = encodeCommand(command, leader.limits)
      leader.prepare(data, command)
      assert.deepEqual(leader.apply(i + 1, data), follower.apply(i + 1, data.slice()), `entry ${i + 1}`)
    })
    assert.deepEqual(leader.snapshot(), follower.snapshot())
  })

  // The command prepared here differs from its bytes (which a caller must never do) only to show
  // which one was applied: the prepared command, not a decoding of the entry.
  it('applies the prepared command itself, matched by the very array, once, for commands of PREPARED_FROM_BYTES or more', () => {
    const sm = new KvStateMachine()
    const encoded: KvCommand = {op: 'put', key: 'k', value: value(PREPARED_FROM_BYTES, 'e')}
    const prepared: KvCommand = {op: 'put', key: 'k', value: value(PREPARED_FROM_BYTES, 'p')}
    const data = encodeCommand(encoded, sm.limits)
    sm.prepare(data, prepared)
    sm.apply(1, data.slice())
    assert.equal(sm.read('k'), encoded.value, 'another array with the same bytes is decoded')
    sm.apply(2, data)
    assert.equal(sm.read('k'), prepared.value, 'the very array prepared: its command is applied')
    sm.apply(3, data)
    assert.equal(sm.read('k'), encoded.value, 'once: a second apply of that array decodes it')
    const small = encodeCommand({op: 'put', key: 's', value: 'w'}, sm.limits)
    sm.prepare(small, {op: 'put', key: 's', value: 'x'})
    sm.apply(4, small)
    assert.equal(sm.read('s'), 'w', 'a small command is decoded as before')
  })
})
