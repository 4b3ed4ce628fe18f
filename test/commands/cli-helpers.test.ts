/**
 * The pure helpers behind the operator commands: quorum planning of membership changes,
 * duration formatting, table colours, log-line formatting.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {checkPlan, planChange, quorumLine, type Membership} from '../../src/cli/membership.js'
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
  assert.match(plan.reason!, /1 of 2 voters would be up, fewer than the quorum of 2/)
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
