/**
 * The `raftctl status` view over synthetic status snapshots (no daemons): rows built by
 * statusRow (src/cluster/cluster.ts) and shown by status-view.ts. Issue 22: LAG must agree with
 * LAST (item 7: `LAST 4 │ LAG 4` right after an election, `LAST 20 │ LAG 21` during a
 * partition), and the summary must say when the quorum is lost and how many more failures the
 * voters that are up tolerate (item 8).
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import type {NodeStatus} from '../../src/admin/protocol.js'
import {statusRow, type ClusterStatus} from '../../src/cluster/index.js'
import {STATUS_COLUMNS, quorumText, statusCells, statusJson, statusSummary} from '../../src/cli/status-view.js'

const IDS = ['n1', 'n2', 'n3']

/** A node's status report; `progress` only on a leader ({id: match}). */
function report(id: string, o: {role: NodeStatus['role']; term: number; lastIndex: number; lastTerm: number; leader?: string | null; progress?: Record<string, number>}): NodeStatus {
  return {
    id, role: o.role, term: o.term, vote: null, leader: o.leader ?? (o.role === 'leader' ? id : null),
    commitIndex: Math.min(o.lastIndex, 4), appliedIndex: Math.min(o.lastIndex, 4), lastIndex: o.lastIndex, lastTerm: o.lastTerm,
    firstIndex: 1, snapshotIndex: 0, voter: true,
    members: {voters: IDS.map((v) => ({id: v, address: `ws://127.0.0.1:700${v.slice(1)}`})), learners: []},
    progress: Object.entries(o.progress ?? {}).map(([pid, match]) => ({id: pid, match, next: match + 1, state: 'probe' as const, recentActive: false, lastContactMs: 0, inflight: 0})),
    transferee: null, electionElapsedMs: 0, electionTimeoutMs: 1000, uptimeMs: 1000, pid: 100 + Number(id.slice(1)),
    address: `ws://127.0.0.1:700${id.slice(1)}`, version: 'test', faults: [],
  }
}

/** A cluster status from the nodes' reports (null: the node did not answer and its process is gone). */
function cluster(reports: Record<string, NodeStatus | null>): ClusterStatus {
  const leader = Object.values(reports).find((r) => r?.role === 'leader') ?? null
  const nodes = IDS.map((id) => statusRow({id, address: `ws://127.0.0.1:700${id.slice(1)}`}, reports[id] ?? null, leader, {pid: reports[id] ? 100 : null, paused: false}))
  return {cluster: 'default', leader: leader?.id ?? null, term: leader?.term ?? 0, nodes}
}

/** The LAST and LAG cells of node `id`. */
function lastAndLag(st: ClusterStatus, id: string): {last: string; lag: string} {
  const cells = statusCells(st.nodes.find((n) => n.id === id)!)
  return {last: cells[STATUS_COLUMNS.indexOf('LAST')]!, lag: cells[STATUS_COLUMNS.indexOf('LAG')]!}
}

describe('status LAG', () => {
  it('right after an election, a follower the new leader has not heard from yet is not shown its whole log behind', () => {
    // n1 just won term 3 (log 1..4, no-op not yet appended); it starts every follower at match 0.
    const st = cluster({
      n1: report('n1', {role: 'leader', term: 3, lastIndex: 4, lastTerm: 2, progress: {n1: 4, n2: 0, n3: 0}}),
      n2: report('n2', {role: 'follower', term: 3, lastIndex: 4, lastTerm: 2, leader: 'n1'}),
      n3: report('n3', {role: 'follower', term: 3, lastIndex: 4, lastTerm: 2, leader: 'n1'}),
    })
    assert.deepEqual(lastAndLag(st, 'n3'), {last: '4', lag: '0'}) // was LAST 4 │ LAG 4
    assert.deepEqual(lastAndLag(st, 'n1'), {last: '4', lag: '0'})
  })

  it('during a partition, an isolated node is behind by the gap between the last indexes, not by more than its log', () => {
    // n3 cut off with 1..20 of term 4; n1 and n2 elected n1 in term 5, which appended its no-op at 21.
    const st = cluster({
      n1: report('n1', {role: 'leader', term: 5, lastIndex: 21, lastTerm: 5, progress: {n1: 21, n2: 21, n3: 0}}),
      n2: report('n2', {role: 'follower', term: 5, lastIndex: 21, lastTerm: 5, leader: 'n1'}),
      n3: report('n3', {role: 'candidate', term: 9, lastIndex: 20, lastTerm: 4}),
    })
    assert.deepEqual(lastAndLag(st, 'n3'), {last: '20', lag: '1'}) // was LAST 20 │ LAG 21
    assert.deepEqual(lastAndLag(st, 'n2'), {last: '21', lag: '0'})
    // --json carries the same number.
    assert.equal(statusJson(st).nodes.find((n) => n.id === 'n3')!.lag, 1)
  })

  it('a follower the leader has matched shows the leader\'s view; no leader, or a node down, shows no lag', () => {
    const st = cluster({
      n1: report('n1', {role: 'leader', term: 5, lastIndex: 30, lastTerm: 5, progress: {n1: 30, n2: 25}}),
      n2: report('n2', {role: 'follower', term: 5, lastIndex: 27, lastTerm: 4, leader: 'n1'}),
      n3: null,
    })
    assert.deepEqual(lastAndLag(st, 'n2'), {last: '27', lag: '5'})
    assert.deepEqual(lastAndLag(st, 'n3'), {last: '-', lag: '-'})
    const leaderless = cluster({n1: report('n1', {role: 'follower', term: 6, lastIndex: 30, lastTerm: 5}), n2: null, n3: null})
    assert.equal(lastAndLag(leaderless, 'n1').lag, '-')
  })
})

describe('status summary', () => {
  it('says the quorum is lost when fewer than a quorum of voters are up', () => {
    const st = cluster({n1: report('n1', {role: 'follower', term: 6, lastIndex: 9, lastTerm: 5}), n2: null, n3: null})
    assert.equal(statusSummary(st), 'cluster default: no leader, term 0 · 1/3 nodes up · quorum lost: 1 of 3 voters up, 2 needed')
  })

  it('with some voters down, says how many MORE failures the voters up tolerate', () => {
    const st = cluster({
      n1: report('n1', {role: 'leader', term: 5, lastIndex: 8, lastTerm: 5, progress: {n1: 8, n2: 8}}),
      n2: report('n2', {role: 'follower', term: 5, lastIndex: 8, lastTerm: 5, leader: 'n1'}),
      n3: null,
    })
    assert.equal(statusSummary(st), 'cluster default: leader n1, term 5 · 2/3 nodes up · 3 voters (2 up): quorum 2, tolerates 0 more failures')
  })

  it('with every voter up, the failures the configuration tolerates', () => {
    const up = report('n2', {role: 'follower', term: 2, lastIndex: 4, lastTerm: 2, leader: 'n1'})
    const st = cluster({n1: report('n1', {role: 'leader', term: 2, lastIndex: 4, lastTerm: 2, progress: {n1: 4, n2: 4, n3: 4}}), n2: up, n3: {...up, id: 'n3'}})
    assert.equal(statusSummary(st), 'cluster default: leader n1, term 2 · 3/3 nodes up · 3 voters (3 up): quorum 2, tolerates 1 failure')
  })

  it('ends with the cluster id when the manifest records one', () => {
    const st = cluster({n1: report('n1', {role: 'follower', term: 6, lastIndex: 9, lastTerm: 5}), n2: null, n3: null})
    assert.equal(statusSummary({...st, clusterId: '3f9a2b1c0d4e5f60'}), 'cluster default: no leader, term 0 · 1/3 nodes up · quorum lost: 1 of 3 voters up, 2 needed · id 3f9a2b1c0d4e5f60')
    assert.doesNotMatch(statusSummary({...st, clusterId: null}), /· id/)
  })

  it('ends with the consistency alarm when a node raised one', () => {
    const up = report('n2', {role: 'follower', term: 2, lastIndex: 4, lastTerm: 2, leader: 'n1'})
    const st = cluster({n1: report('n1', {role: 'leader', term: 2, lastIndex: 4, lastTerm: 2, progress: {n1: 4, n2: 4, n3: 4}}), n2: up, n3: {...up, id: 'n3'}})
    const alarm = {index: 40, nodes: ['n3'], hashes: {n1: 'a', n2: 'a', n3: 'b'}, time: 1}
    assert.equal(statusSummary({...st, alarm}), 'cluster default: leader n1, term 2 · 3/3 nodes up · 3 voters (3 up): quorum 2, tolerates 1 failure · ALARM: replicas differ at index 40 (n3): raftctl doctor')
  })

  it('quorumText over sizes', () => {
    assert.equal(quorumText(5, 3), '5 voters (3 up): quorum 3, tolerates 0 more failures')
    assert.equal(quorumText(5, 4), '5 voters (4 up): quorum 3, tolerates 1 more failure')
    assert.equal(quorumText(5, 5), '5 voters (5 up): quorum 3, tolerates 2 failures')
    assert.equal(quorumText(5, 2), 'quorum lost: 2 of 5 voters up, 3 needed')
    assert.equal(quorumText(1, 0), 'quorum lost: 0 of 1 voter up, 1 needed')
    assert.equal(quorumText(1, 1), '1 voter (1 up): quorum 1, tolerates 0 failures')
    assert.equal(quorumText(0, 0), 'voters unknown')
  })
})

describe('status HEALTH of a node that lost its data', () => {
  it('a node rebuilding after losing its data shows `rebuilding`, not `ok`, whatever its lag', () => {
    // n3's folder was emptied: it restarted and already follows n1, its short log of n1's term.
    const st = cluster({
      n1: report('n1', {role: 'leader', term: 5, lastIndex: 21, lastTerm: 5, progress: {n1: 21, n2: 21, n3: 0}}),
      n2: report('n2', {role: 'follower', term: 5, lastIndex: 21, lastTerm: 5, leader: 'n1'}),
      n3: {...report('n3', {role: 'follower', term: 5, lastIndex: 21, lastTerm: 5, leader: 'n1'}), rebuilding: true},
    })
    const health = (id: string): string => st.nodes.find((n) => n.id === id)!.health
    assert.equal(health('n3'), 'rebuilding')
    assert.equal(health('n2'), 'ok')
    assert.equal(statusCells(st.nodes.find((n) => n.id === 'n3')!)[STATUS_COLUMNS.indexOf('HEALTH')], 'rebuilding')
  })
})
