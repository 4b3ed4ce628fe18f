/**
 * The statistics of `npm run bench:compare` (src/bench/compare-stats.ts): medians over repeats
 * that leave out the latency of a run that completed nothing, and the 1-client latency compared
 * repeat by repeat.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {median, medianOf, pairedRatios} from '../../src/bench/compare-stats.js'

interface S {
  readonly system: string
  readonly workload: string
  readonly repeat: number
  readonly ops: number
  readonly throughput: number
  readonly p50: number
  readonly serverCpuMsPerOp: number | null
}

const run = (system: string, repeat: number, p50: number, ops = 1000, workload = 'writes1'): S =>
  ({system, workload, repeat, ops, throughput: ops / 5, p50, serverCpuMsPerOp: ops > 0 ? 0.1 : null})

test('median: the middle value, the mean of the middle two, null for none', () => {
  assert.equal(median([3, 1, 2]), 2)
  assert.equal(median([4, 1, 3, 2]), 2.5)
  assert.equal(median([]), null)
})

test('medianOf: a run that completed no operation has no latency, but its throughput of 0 counts', () => {
  // A stalled run reports p50 0: counted, it would pull the median down to 0.725 instead of 0.75.
  const samples = [run('zookeeper', 1, 0.8), run('zookeeper', 2, 0, 0), run('zookeeper', 3, 0.7, 500), run('zookeeper', 4, 0.75)]
  assert.equal(medianOf(samples, 'zookeeper', 'writes1', 'p50'), 0.75)
  // Throughputs 200, 0, 100, 200: the stalled run's 0 is a real (bad) throughput.
  assert.equal(medianOf(samples, 'zookeeper', 'writes1', 'throughput'), 150)
  assert.equal(medianOf(samples, 'zookeeper', 'writes1', 'serverCpuMsPerOp'), 0.1)
})

test('medianOf: only the named system and workload; null when none ran', () => {
  const samples = [run('raftctl', 1, 0.6), run('raftctl', 1, 9, 1000, 'writes64'), run('etcd', 1, 1.2)]
  assert.equal(medianOf(samples, 'raftctl', 'writes1', 'p50'), 0.6)
  assert.equal(medianOf(samples, 'zookeeper', 'writes1', 'p50'), null)
})

test('pairedRatios: raftctl over the peer within each repeat, repeats where either stalled left out', () => {
  const samples = [
    run('raftctl', 1, 0.6), run('zookeeper', 1, 0.8),
    run('raftctl', 2, 0.9), run('zookeeper', 2, 0.75),
    run('raftctl', 3, 0.7), run('zookeeper', 3, 0, 0),
    run('raftctl', 4, 0.7), run('zookeeper', 4, 0.7),
  ]
  const p = pairedRatios(samples, 'raftctl', 'zookeeper', 'writes1', 'p50')
  assert.deepEqual(p.ratios.map((x) => Math.round(x * 1000) / 1000), [0.75, 1.2, 1])
  assert.equal(p.median, 1)
  assert.equal(p.raftctlNotWorse, 2)
})

test('pairedRatios: a repeat where raftctl stalled is left out too', () => {
  const samples = [run('raftctl', 1, 0, 0), run('zookeeper', 1, 0.8), run('raftctl', 2, 0.6), run('zookeeper', 2, 0.8)]
  assert.deepEqual(pairedRatios(samples, 'raftctl', 'zookeeper', 'writes1', 'p50').ratios.map((x) => x.toFixed(3)), ['0.750'])
})

test('medianOf: the stalled run is left out of every latency field, p99 and max included', () => {
  const withTails = (repeat: number, ms: number, ops: number) => ({...run('etcd', repeat, ms, ops), p99: ms * 2, max: ms * 10})
  const samples = [withTails(1, 1, 100), withTails(2, 0, 0), withTails(3, 2, 100)]
  assert.equal(medianOf(samples, 'etcd', 'writes1', 'p99'), 3)
  assert.equal(medianOf(samples, 'etcd', 'writes1', 'max'), 15)
})

test('pairedRatios: no pair, no median', () => {
  const p = pairedRatios([run('raftctl', 1, 0.6)], 'raftctl', 'zookeeper', 'writes1', 'p50')
  assert.deepEqual(p, {ratios: [], median: null, raftctlNotWorse: 0})
})
