/**
 * Planning a disaster recovery (src/cluster/recover.ts planRecover, lossLines) over synthetic
 * surveys: refused while a quorum holds usable data, the most up-to-date survivor by Raft's rule,
 * --from, and the plain words on what is lost.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {lossLines, planRecover, type SurvivorRow} from '../../src/cluster/recover.js'
import {RaftctlError} from '../../src/common/errors.js'

const VOTERS = ['n1', 'n2', 'n3', 'n4', 'n5']
const CLUSTER = {name: 'c', clusterId: 'abc', nodes: VOTERS}

function row(id: string, lastIndex: number, lastTerm: number, commitIndex: number, state: 'running' | 'stopped' = 'stopped'): SurvivorRow {
  return {id, state, pid: state === 'running' ? 100 : null, position: {term: lastTerm, commitIndex, lastIndex, lastTerm, voters: VOTERS, learners: []}}
}
const lost = (id: string): SurvivorRow => ({id, state: 'lost', pid: null, position: null, reason: `no Raft data in /x/${id}`})

const code = (c: string) => (err: unknown): boolean => err instanceof RaftctlError && err.code === c

test('a quorum of voters with usable data (running or stopped) is refused: start them, or node remove', () => {
  const survey = [row('n1', 10, 2, 10, 'running'), row('n2', 10, 2, 10), row('n3', 9, 2, 9), lost('n4'), lost('n5')]
  assert.throws(() => planRecover(CLUSTER, survey), (err: unknown) => code('QUORUM_PRESENT')(err) && /node start n2 n3/.test((err as Error).message) && /node remove/.test((err as Error).message))
})

test('the most up-to-date survivor: the later last term wins over the longer log', () => {
  const survey = [row('n1', 20, 2, 18), row('n2', 15, 3, 14), lost('n3'), lost('n4'), lost('n5')]
  const plan = planRecover(CLUSTER, survey)
  assert.equal(plan.chosen, 'n2')
  assert.equal(plan.mostUpToDate, 'n2')
  assert.deepEqual(plan.present, ['n1', 'n2'])
  // n1 knew entries up to 18 committed: beyond n2's log (15), 16..18 are lost for sure.
  assert.deepEqual(plan.loss.committedLost, {from: 16, to: 18, knownBy: 'n1'})
  assert.deepEqual(plan.loss.committedNow, {from: 15, to: 15})
  assert.deepEqual(plan.loss.aheadOfChosen.map((a) => a.id), ['n1'])
  assert.deepEqual(plan.loss.lostMembers, ['n3', 'n4', 'n5'])
  const text = lossLines(plan).join('\n')
  assert.match(text, /n2 holds entries up to index 15 \(term 3\); they are all kept/)
  assert.match(text, /Entries 15\.\.15 were written on n2 but not known committed: they become committed/)
  assert.match(text, /LOST: entries 16\.\.18, which n1 knew committed/)
  assert.match(text, /LOST: any write that only n3, n4, n5 held \(no usable data\) past index 15/)
})

test('--from a less up-to-date survivor: the loss names the better one and how to keep more', () => {
  const survey = [row('n1', 20, 3, 20), row('n2', 12, 3, 12), lost('n3'), lost('n4'), lost('n5')]
  const plan = planRecover(CLUSTER, survey, 'n2')
  assert.equal(plan.chosen, 'n2')
  assert.equal(plan.mostUpToDate, 'n1')
  assert.match(lossLines(plan).join('\n'), /LOST: whatever n1 holds that n2 lacks \(n1's log reaches index 20, term 3, known committed up to 20; recover --from n1 keeps more\)/)
})

test('an unknown --from is NODE_NOT_FOUND, one without data NO_SURVIVOR, no data anywhere NO_SURVIVOR', () => {
  const survey = [row('n1', 20, 3, 20), lost('n2'), lost('n3'), lost('n4'), lost('n5')]
  assert.throws(() => planRecover(CLUSTER, survey, 'n9'), code('NODE_NOT_FOUND'))
  assert.throws(() => planRecover(CLUSTER, survey, 'n3'), (err: unknown) => code('NO_SURVIVOR')(err) && /no Raft data in \/x\/n3/.test((err as Error).message))
  assert.throws(() => planRecover(CLUSTER, VOTERS.map(lost)), code('NO_SURVIVOR'))
})

test('an unreachable process counts as lost: it holds no data the survey could read', () => {
  const hung: SurvivorRow = {id: 'n2', state: 'unreachable', pid: 7, position: null, reason: 'its process 7 does not answer (paused)'}
  const survey = [row('n1', 20, 3, 20, 'running'), hung, lost('n3')]
  const plan = planRecover({name: 'c', clusterId: null, nodes: ['n1', 'n2', 'n3']}, survey.map((s) => s.position ? {...s, position: {...s.position, voters: ['n1', 'n2', 'n3']}} : s))
  assert.equal(plan.chosen, 'n1')
  assert.deepEqual(plan.loss.lostMembers, ['n2', 'n3'])
})
