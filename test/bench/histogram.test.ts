/**
 * The latency histogram (src/bench/histogram.ts) against a sorted-array oracle: bucket
 * boundaries, exactness below 2048, the relative error bound above, nearest-rank percentiles,
 * merge, and the failover percentile helper.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import {Histogram, HISTOGRAM_RELATIVE_ERROR, bucketHighest, bucketIndex, bucketLowest} from '../../src/bench/histogram.js'
import {countElections, percentileOf} from '../../src/bench/failover.js'

/** Nearest-rank percentile of a sorted array. */
function oracle(sorted: readonly number[], q: number): number {
  return sorted[Math.max(1, Math.ceil((q / 100) * sorted.length)) - 1]!
}

test('bucket boundaries: every value lies in [lowest, highest] of its bucket, buckets tile the line', () => {
  for (const v of [0, 1, 2047, 2048, 2049, 4095, 4096, 4097, 1_000_000, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 2]) {
    const i = bucketIndex(v)
    assert.ok(bucketLowest(i) <= v && v <= bucketHighest(i), `value ${v} in bucket ${i} [${bucketLowest(i)}, ${bucketHighest(i)}]`)
  }
  for (let i = 0; i < 2048 + 21 * 1024 - 1; i++) assert.equal(bucketHighest(i) + 1, bucketLowest(i + 1), `bucket ${i} is followed by ${i + 1}`)
})

test('values below 2048 are exact', () => {
  for (let v = 0; v < 2048; v++) assert.equal(bucketHighest(bucketIndex(v)), v)
  const h = new Histogram()
  for (const v of [5, 1, 3, 2, 4]) h.record(v)
  assert.equal(h.percentile(50), 3)
  assert.equal(h.percentile(100), 5)
  assert.equal(h.percentile(20), 1)
  assert.equal(h.percentile(21), 2)
})

test('a bucket is narrower than 1/1024 of its lowest value', () => {
  for (let i = 2048; i < 2048 + 21 * 1024; i += 97) {
    const width = bucketHighest(i) - bucketLowest(i) + 1
    assert.ok(width <= bucketLowest(i) * HISTOGRAM_RELATIVE_ERROR, `bucket ${i}`)
  }
})

test('percentiles: never below the nearest-rank truth, above it by less than 1/1024 (property)', () => {
  fc.assert(fc.property(
    fc.array(fc.oneof(fc.integer({min: 0, max: 3000}), fc.integer({min: 0, max: 50_000_000})), {minLength: 1, maxLength: 400}),
    fc.double({min: 0.01, max: 100, noNaN: true}),
    (values, q) => {
      const h = new Histogram()
      for (const v of values) h.record(v)
      const sorted = [...values].sort((a, b) => a - b)
      const truth = oracle(sorted, q)
      const got = h.percentile(q)
      assert.ok(got >= truth, `p${q}: ${got} < ${truth}`)
      assert.ok(got - truth <= truth * HISTOGRAM_RELATIVE_ERROR, `p${q}: ${got} too far above ${truth}`)
      assert.equal(h.max, sorted[sorted.length - 1])
      assert.equal(h.min, sorted[0])
      assert.equal(h.count, values.length)
      assert.ok(Math.abs(h.mean - values.reduce((a, b) => a + b, 0) / values.length) < 1e-6 * Math.max(1, h.mean))
    },
  ), {numRuns: 300})
})

test('merge equals recording everything in one histogram', () => {
  fc.assert(fc.property(fc.array(fc.integer({min: 0, max: 10_000_000})), fc.array(fc.integer({min: 0, max: 10_000_000})), (a, b) => {
    const ha = new Histogram()
    const hb = new Histogram()
    const all = new Histogram()
    for (const v of a) (ha.record(v), all.record(v))
    for (const v of b) (hb.record(v), all.record(v))
    ha.merge(hb)
    assert.deepEqual(ha.summary(), all.summary())
  }), {numRuns: 100})
})

test('empty histogram, rounding, negatives, huge values, bad percentiles', () => {
  const h = new Histogram()
  assert.deepEqual(h.summary(), {count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0})
  h.record(-5)
  h.record(1.6)
  assert.equal(h.min, 0)
  assert.equal(h.max, 2)
  h.record(2 ** 40)
  assert.equal(h.max, 2 ** 40, 'max stays exact beyond the tracked range')
  assert.equal(h.percentile(100), 2 ** 40)
  h.record(7, 3)
  assert.equal(h.count, 6)
  assert.throws(() => h.percentile(0), RangeError)
  assert.throws(() => h.percentile(101), RangeError)
  h.reset()
  assert.equal(h.count, 0)
})

test('percentileOf: nearest rank; null when empty', () => {
  assert.equal(percentileOf([], 50), null)
  assert.equal(percentileOf([3, 1, 2], 50), 2)
  assert.equal(percentileOf([3, 1, 2, 4], 50), 2)
  assert.equal(percentileOf(Array.from({length: 20}, (_, i) => i + 1), 99), 20)
})

test('countElections: real elections by term, PreVotes apart, split votes detected', () => {
  const e = (event: object) => ({event: event as never})
  const one = countElections([
    e({type: 'electionStarted', term: 5, pre: true, cause: 'timeout'}),
    e({type: 'electionStarted', term: 5, pre: false, cause: 'timeout'}),
    e({type: 'leaderChanged', leader: 'n2', term: 5}),
    e({type: 'leaderChanged', leader: 'n2', term: 5}),
  ])
  assert.deepEqual(one, {elections: 1, preVotes: 1, splitVote: false, terms: [5]})
  const split = countElections([
    e({type: 'electionStarted', term: 5, pre: false, cause: 'timeout'}),
    e({type: 'electionStarted', term: 5, pre: false, cause: 'timeout'}),
    e({type: 'electionStarted', term: 6, pre: false, cause: 'timeout'}),
    e({type: 'leaderChanged', leader: 'n3', term: 6}),
  ])
  assert.equal(split.elections, 2)
  assert.equal(split.splitVote, true)
  const noLeader = countElections([e({type: 'electionStarted', term: 9, pre: false, cause: 'timeout'}), e({type: 'leaderChanged', leader: null, term: 9})])
  assert.equal(noLeader.splitVote, true)
})
