/**
 * The running byte sums behind the log's byte bounds: sums over ranges, the lowest compaction
 * point within a budget, dropping compacted sums, and a restart after a snapshot install.
 */
import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import {AppliedBytes} from '../../src/replica/applied-bytes.js'

describe('AppliedBytes', () => {
  it('sums the bytes of ranges and finds the lowest point within a budget', () => {
    const b = new AppliedBytes(10)
    for (const [i, bytes] of [[11, 100], [12, 200], [13, 300], [14, 400]] as const) b.record(i, bytes)
    assert.equal(b.last, 14)
    assert.equal(b.between(10, 14), 1000)
    assert.equal(b.between(12, 14), 700)
    assert.equal(b.between(0, 12), 300, 'indexes below the base count from the base')
    assert.equal(b.lowestWithin(10, 14, 700), 12, '(12, 14] holds 700 bytes')
    assert.equal(b.lowestWithin(10, 14, 699), 13)
    assert.equal(b.lowestWithin(10, 14, 0), 14, 'a zero budget keeps nothing')
    assert.equal(b.lowestWithin(11, 14, 10_000), 11, 'never below from')
  })

  it('drops the sums at or below a compaction point and restarts after a gap', () => {
    const b = new AppliedBytes(0)
    for (let i = 1; i <= 5; i++) b.record(i, 10)
    b.dropThrough(3)
    assert.equal(b.between(3, 5), 20)
    assert.equal(b.between(0, 5), 20, 'dropped entries are no longer counted')
    b.record(6, 10)
    assert.equal(b.between(3, 6), 30)
    b.record(20, 7)
    assert.deepEqual([b.last, b.between(0, 20)], [20, 7], 'an index after a gap (a snapshot install) starts the sums afresh')
  })
})
