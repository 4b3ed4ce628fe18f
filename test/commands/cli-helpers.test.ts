/**
 * The pure helpers behind the operator commands: quorum planning of membership changes,
 * duration formatting, table colours, log-line formatting.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {quorumLine} from '../../src/cli/membership.js'
import {checkPlan, leaderChange, leaderHears, membershipOf, planChange, type Membership} from '../../src/cluster/membership.js'
import {ClientError} from '../../src/client/index.js'
import type {ClusterStatus, NodeRow} from '../../src/cluster/index.js'
import type {NodeStatus} from '../../src/admin/messages.js'
import {formatDuration, renderTable} from '../../src/cli/render.js'
import {formatLogLine} from '../../src/cli/logs.js'

const members = (voters: string[], live: string[], learners: string[] = []): Membership => ({leader: voters[0]!, term: 3, voters, learners, live: new Set(live)})

test('adding a voter to 3 healthy voters: quorum 2 → 3, still tolerates 1', () => {
  const plan = planChange(members(['n1', 'n2', 'n3'], ['n1', 'n2', 'n3']), 'add', 'n4')
  assert.equal(plan.safe, true)
  assert.deepEqual(plan.before, {voters: 3, quorum: 2, tolerates: 1, live: 3})
  assert.deepEqual(plan.after, {voters: 4, quorum: 3, tolerates: 1, live: 4})
  assert.equal(quorumLine(plan.before, plan.after), 'voters 3 → 4 · quorum 2 → 3 · tolerates 1 failure · voters up 3 → 4')
})

test('adding a second voter that is down to a single node would stall the cluster', () => {
  const plan = planChange(members(['n1'], ['n1']), 'add', 'n2', false)
  assert.equal(plan.safe, false)
  assert.match(plan.reason!, /^n2 has not been heard by the leader n1 yet; after adding n2 as a voter only 1 of 2 voters would be reachable, quorum 2$/)
  assert.throws(() => checkPlan(plan, false), (e: Error & {code?: string}) => e.code === 'UNSAFE_CHANGE' && /--force/.test(e.message))
  assert.doesNotThrow(() => checkPlan(plan, true))
})

test('removing a live voter while another is down is unsafe; removing the down one is safe', () => {
  const m = members(['n1', 'n2', 'n3'], ['n1', 'n2'])
  assert.equal(planChange(m, 'remove', 'n2').safe, false)
  const ok = planChange(m, 'remove', 'n3')
  assert.equal(ok.safe, true)
  assert.deepEqual(ok.after, {voters: 2, quorum: 2, tolerates: 0, live: 2})
})

test('a learner changes no quorum; promoting a down learner may; no quorum now means unsafe', () => {
  const m = members(['n1', 'n2', 'n3'], ['n1', 'n2', 'n3'], ['n4'])
  const learner = planChange(m, 'add-learner', 'n5')
  assert.deepEqual(learner.after, learner.before)
  assert.equal(planChange(m, 'remove', 'n4').after.voters, 3)
  assert.deepEqual(planChange(m, 'promote', 'n4').after, {voters: 4, quorum: 3, tolerates: 1, live: 3})
  assert.equal(planChange(members(['n1', 'n2'], ['n1'], ['n3']), 'promote', 'n3').safe, false)
  assert.match(planChange(members(['n1', 'n2', 'n3'], ['n1']), 'add-learner', 'n4').reason!, /cannot commit/)
  assert.match(planChange(members(['n1'], ['n1']), 'remove', 'n1').reason!, /no voter/)
})

/**
 * A 3-node status as `cluster.status()` returns it: n1 leads, every node answers the CLI, and the
 * leader's progress says whom it has heard from within an election timeout (`heard`).
 */
function statusWhere(heard: Record<string, boolean>, reachable: Record<string, boolean> = {}): ClusterStatus {
  const ids = ['n1', 'n2', 'n3']
  const members = {voters: ids.map((id) => ({id, address: `ws://127.0.0.1:700${id[1]}`})), learners: []}
  const detail = (id: string): NodeStatus => ({
    id, role: id === 'n1' ? 'leader' : 'follower', term: 2, vote: 'n1', leader: 'n1', commitIndex: 9, appliedIndex: 9, lastIndex: 9, lastTerm: 2,
    firstIndex: 1, snapshotIndex: 0, voter: true, members, transferee: null, electionElapsedMs: 0, electionTimeoutMs: 150, uptimeMs: 1000,
    pid: 100, address: `ws://127.0.0.1:700${id[1]}`, version: 'test', faults: [],
    progress: id !== 'n1' ? [] : ids.map((p) => ({
      id: p, match: 9, next: 10, state: 'replicate' as const, recentActive: p === 'n1' || heard[p] === true,
      lastContactMs: p === 'n1' || heard[p] ? 5 : 2300, inflight: 0,
    })),
  })
  const row = (id: string): NodeRow => {
    const up = reachable[id] ?? true
    return {
      id, role: up ? (id === 'n1' ? 'leader' : 'follower') : 'down', term: 2, leader: 'n1', commitIndex: 9, appliedIndex: 9, lastIndex: 9,
      voter: true, reachable: up, pid: 100, address: `ws://127.0.0.1:700${id[1]}`, lag: 0, lastContactMs: 5, health: up ? 'ok' : 'down',
      ...(up ? {detail: detail(id)} : {}),
    }
  }
  return {cluster: 'c', leader: 'n1', term: 2, nodes: ids.map(row)}
}

test('membershipOf: a node the CLI reaches but the leader has not heard is down; removing the other follower is refused', () => {
  const m = membershipOf(statusWhere({n2: false, n3: true}))
  assert.deepEqual([...m.live].sort(), ['n1', 'n3'])
  const plan = planChange(m, 'remove', 'n3')
  assert.equal(plan.safe, false)
  assert.equal(plan.reason, 'n2 has not been heard by the leader n1 for 2.3s; after removing n3 only 1 of 2 voters would be reachable, quorum 2')
  assert.throws(() => checkPlan(plan, false), (e: Error & {code?: string}) => e.code === 'UNSAFE_CHANGE' &&
    e.message === `refusing to remove n3: ${plan.reason}; pass --force to do it anyway`)
  assert.equal(planChange(m, 'remove', 'n2').safe, true, 'removing the silent node leaves {n1, n3}')
  // node add (learner, then promoted once caught up): voters up 2 → 3, not 3 → 4.
  const add = planChange(m, 'add', 'n4', true)
  assert.equal(quorumLine(add.before, add.after), 'voters 3 → 4 · quorum 2 → 3 · tolerates 1 failure · voters up 2 → 3')
})

test('leaderHears: every id heard by the leader (itself included)', () => {
  assert.equal(leaderHears(statusWhere({n2: true, n3: true}), ['n1', 'n2', 'n3']), true)
  assert.equal(leaderHears(statusWhere({n2: false, n3: true}), ['n1', 'n3']), true)
  assert.equal(leaderHears(statusWhere({n2: false, n3: true}), ['n2', 'n3']), false)
})

test('membershipOf: the leader hears it but the CLI cannot reach it (a process that just died): down too', () => {
  const m = membershipOf(statusWhere({n2: true, n3: true}, {n3: false}))
  assert.deepEqual([...m.live].sort(), ['n1', 'n2'])
  assert.match(planChange(m, 'remove', 'n2').reason!, /^n3 does not answer \(down\); after removing n2 only 1 of 2 voters/)
})

test('leaderChange: the leader\'s own UNSAFE_CHANGE says who refused and how to force it; other errors pass through', async () => {
  const leaderSays = 'n2 has not been heard by the leader n1 for 80 ticks (election timeout 30); after removing n3 only 1 of 2 voters would be reachable, quorum 2'
  await assert.rejects(leaderChange({change: 'remove', node: 'n3'}, () => Promise.reject(new ClientError('UNSAFE_CHANGE', leaderSays))),
    (e: Error & {code?: string}) => e.code === 'UNSAFE_CHANGE' && e.message === `the leader refused to remove n3: ${leaderSays}; pass --force to do it anyway`)
  const timeout = new ClientError('TIMEOUT', 'no answer')
  await assert.rejects(leaderChange({change: 'remove', node: 'n3'}, () => Promise.reject(timeout)), (e) => e === timeout)
  assert.equal(await leaderChange({change: 'promote', node: 'n4'}, async () => 7), 7)
})

test('formatDuration', () => {
  assert.equal(formatDuration(null), '-')
  assert.equal(formatDuration(0), '0ms')
  assert.equal(formatDuration(850), '850ms')
  assert.equal(formatDuration(1234), '1.2s')
  assert.equal(formatDuration(42_000), '42s')
  assert.equal(formatDuration(184_000), '3m04s')
  assert.equal(formatDuration(7_500_000), '2h05m')
  assert.equal(formatDuration(3 * 86_400_000 + 4 * 3_600_000), '3d04h')
})

test('renderTable: no ANSI codes without colour, colours with it', async () => {
  const plain = await renderTable({head: ['A', 'B'], rows: [['x', null]], color: false})
  assert.doesNotMatch(plain, /\u001B\[/)
  assert.match(plain, /│ x │ - │/)
  const colored = await renderTable({head: ['A', 'B'], rows: [['x', 1]], color: true})
  assert.match(colored, /\u001B\[/)
})

test('formatLogLine: a JSON record as "time level msg fields", other lines unchanged', () => {
  const line = JSON.stringify({level: 40, time: '2026-01-02T03:04:05.678Z', node: 'n1', pid: 7, peer: 'n2', reason: '', msg: 'peer connection lost'})
  assert.equal(formatLogLine(line), '03:04:05.678 WARN  peer connection lost peer=n2 reason=""')
  assert.equal(formatLogLine('plain text'), 'plain text')
  assert.equal(formatLogLine('{not json'), '{not json')
})
