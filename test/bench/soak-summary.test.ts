/**
 * The pure half of `npm run bench:soak` (src/bench/soak-summary.ts): one value out of Prometheus
 * text, the election story out of a daemon's JSON log, and the summary that decides "no
 * election": counters measured from the first sample, term and leader changes across samples
 * with unanswered ones skipped, the longest stall per node without the baseline sample.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {metricValue, raftEventsFromLog, soakPlots, summarizeSoak, type SoakNodeSample, type SoakSample} from '../../src/bench/soak-summary.js'

const PROM = [
  '# HELP nodejs_eventloop_lag_max_seconds The maximum recorded event loop delay.',
  '# TYPE nodejs_eventloop_lag_max_seconds gauge',
  'nodejs_eventloop_lag_max_seconds 0.123',
  'nodejs_eventloop_lag_max_seconds_extra 9',
  'raft_elections_total{cause="timeout"} 2',
  'raft_elections_total{cause="transfer"} 1',
  'raft_leader_changes_total 4',
].join('\n')

test('metricValue reads a gauge, sums a labelled counter, and is null for an absent metric', () => {
  assert.equal(metricValue(PROM, 'nodejs_eventloop_lag_max_seconds'), 0.123)
  assert.equal(metricValue(PROM, 'raft_elections_total'), 3)
  assert.equal(metricValue(PROM, 'raft_leader_changes_total'), 4)
  assert.equal(metricValue(PROM, 'raft_term'), null)
})

test('raftEventsFromLog keeps the election lines at or after the start (epoch or ISO times), without the logger\'s own fields', () => {
  const lines = [
    JSON.stringify({level: 30, time: 900, pid: 1, hostname: 'h', msg: 'election started', term: 2}),
    JSON.stringify({level: 30, time: 1000, pid: 1, hostname: 'h', msg: 'election started', term: 5, pre: false, cause: 'timeout'}),
    JSON.stringify({level: 30, time: 1001, pid: 1, hostname: 'h', msg: 'storage opened'}),
    'not json "msg"',
    JSON.stringify({level: 30, time: 1002, pid: 1, hostname: 'h', msg: 'role changed', from: 'leader', to: 'follower', term: 5}),
    JSON.stringify({level: 30, time: new Date(1003).toISOString(), node: 'n2', pid: 1, msg: 'leader changed', leader: 'n3', term: 5}),
  ].join('\n')
  const events = raftEventsFromLog('n2', lines, 1000)
  assert.deepEqual(events, [
    {node: 'n2', time: 1000, msg: 'election started', fields: {term: 5, pre: false, cause: 'timeout'}},
    {node: 'n2', time: 1002, msg: 'role changed', fields: {from: 'leader', to: 'follower', term: 5}},
    {node: 'n2', time: 1003, msg: 'leader changed', fields: {leader: 'n3', term: 5}},
  ])
})

const node = (id: string, over: Partial<SoakNodeSample> = {}): SoakNodeSample => ({
  id, reachable: true, term: 3, leader: 'n1', snapshotIndex: 0, appliedIndex: 0, loopDelayMaxMs: 11, elections: 1, leaderChanges: 1, ...over,
})

test('a steady run: no election, no change, the baseline stall left out', () => {
  const samples: SoakSample[] = [
    {t: 0, writesPerSec: 0, nodes: [node('n1', {loopDelayMaxMs: 900}), node('n2')]},
    {t: 1, writesPerSec: 1000, nodes: [node('n1', {snapshotIndex: 10_000, loopDelayMaxMs: 40}), node('n2', {loopDelayMaxMs: 30})]},
    {t: 2, writesPerSec: 3000, nodes: [node('n1', {snapshotIndex: 20_000}), node('n2', {snapshotIndex: 20_000})]},
  ]
  const s = summarizeSoak(samples, 4000, 2)
  assert.equal(s.elections, 0)
  assert.equal(s.termChanges, 0)
  assert.equal(s.leaderChanges, 0)
  assert.equal(s.longestStallMs, 40)
  assert.equal(s.nodes.n1!.longestStallMs, 40)
  assert.equal(s.nodes.n2!.longestStallMs, 30)
  assert.equal(s.nodes.n1!.snapshotsSeen, 2)
  assert.equal(s.nodes.n2!.snapshotsSeen, 1)
  assert.deepEqual(s.nodes.n1!.snapshotIndex, {first: 0, last: 20_000})
  assert.deepEqual(s.writesPerSec, {mean: 2000, min: 1000, max: 3000})
})

test('an election: counted from the counters\' increase, the term rise and the new leader, across an unanswered sample', () => {
  const samples: SoakSample[] = [
    {t: 0, writesPerSec: 0, nodes: [node('n1'), node('n2'), node('n3')]},
    {t: 1, writesPerSec: 0, nodes: [node('n1', {reachable: false, term: null, leader: null, elections: null, leaderChanges: null, loopDelayMaxMs: null}), node('n2', {leader: null}), node('n3', {leader: null})]},
    {t: 2, writesPerSec: 500, nodes: [node('n1', {term: 4, leader: 'n2', leaderChanges: 2}), node('n2', {term: 4, leader: 'n2', elections: 2, leaderChanges: 2}), node('n3', {term: 4, leader: 'n2', leaderChanges: 2})]},
  ]
  const s = summarizeSoak(samples, 500, 2)
  assert.equal(s.elections, 1)
  assert.equal(s.termChanges, 1)
  assert.equal(s.leaderChanges, 1)
  assert.equal(s.termFirst, 3)
  assert.equal(s.termLast, 4)
  assert.equal(s.nodes.n1!.unreachableSamples, 1)
  assert.equal(s.nodes.n1!.leaderChanges, 1)
  assert.equal(s.nodes.n2!.elections, 1)
})

test('a daemon that restarted: its counter fell back, and its new count is added', () => {
  const samples: SoakSample[] = [
    {t: 0, writesPerSec: 0, nodes: [node('n1', {elections: 5})]},
    {t: 1, writesPerSec: 0, nodes: [node('n1', {elections: 1})]},
    {t: 2, writesPerSec: 0, nodes: [node('n1', {elections: 2})]},
  ]
  assert.equal(summarizeSoak(samples, 0, 2).nodes.n1!.elections, 2)
})

test('the plots: one writes/s marker per measured sample; one stall series per node with the 50 ms target', () => {
  const samples: SoakSample[] = [
    {t: 0, writesPerSec: 0, nodes: [node('n1'), node('n2')]},
    {t: 1, writesPerSec: 100, nodes: [node('n1'), node('n2', {reachable: false})]},
    {t: 2, writesPerSec: 200, nodes: [node('n1'), node('n2')]},
  ]
  const {writes, stall} = soakPlots(samples, 'run')
  assert.equal([...writes.matchAll(/<circle /g)].length, 2)
  assert.equal([...stall.matchAll(/<circle /g)].length, 3, 'n1 twice, n2 once: its unanswered sample is a gap')
  assert.ok(stall.includes('target 50 ms'))
})
