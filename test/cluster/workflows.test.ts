/**
 * The workflows of src/cluster over a fake cluster (no process). Membership: the
 * steps `node add` and `node remove` report, in order and in the words the commands print, the
 * rollback of a node that never joined, the hand-off when the leader is removed, and the JSON
 * documents with their keys in the order the commands have always printed them. Leadership
 * (src/cluster/leadership.ts): who a transfer or a campaign goes to, and the targets refused.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import type {NodeStatus} from '../../src/admin/messages.js'
import type {ClusterStatus, LocalCluster, NodeRow} from '../../src/cluster/index.js'
import {alreadyLeadingElection, checkCampaigner, checkTransferTarget, pickCampaigner, transferCandidates} from '../../src/cluster/leadership.js'
import {addNode, listMembers, planNodeAdd, planNodeRemove, removeNode, type WorkflowProgress} from '../../src/cluster/membership.js'

interface Shape {
  voters: string[]
  learners?: string[]
  leader?: string
  lag?: Record<string, number>
  /** The leader's match index per member (default: its last index, 9). */
  match?: Record<string, number>
}

/** A status as `cluster.status()` returns it: every node answers, the leader has heard everyone. */
function statusOf(shape: Shape): ClusterStatus {
  const leader = shape.leader ?? shape.voters[0]!
  const learners = shape.learners ?? []
  const ids = [...shape.voters, ...learners]
  const address = (id: string): string => `ws://127.0.0.1:70${id.slice(1).padStart(2, '0')}`
  const members = {voters: shape.voters.map((id) => ({id, address: address(id)})), learners: learners.map((id) => ({id, address: address(id)}))}
  const detail = (id: string): NodeStatus => ({
    id, role: id === leader ? 'leader' : 'follower', term: 2, vote: leader, leader, commitIndex: 9, appliedIndex: 9, lastIndex: 9, lastTerm: 2,
    firstIndex: 1, snapshotIndex: 0, voter: shape.voters.includes(id), members, transferee: null, electionElapsedMs: 0, electionTimeoutMs: 150,
    uptimeMs: 1000, pid: 100, address: address(id), version: 'test', faults: [],
    progress: id !== leader ? [] : ids.map((p) => ({id: p, match: shape.match?.[p] ?? 9, next: 10, state: 'replicate' as const, recentActive: true, lastContactMs: 5, inflight: 0})),
  })
  const row = (id: string): NodeRow => ({
    id, role: id === leader ? 'leader' : 'follower', term: 2, leader, commitIndex: 9, appliedIndex: 9, lastIndex: 9, voter: shape.voters.includes(id),
    reachable: true, pid: 100, address: address(id), lag: shape.lag?.[id] ?? 0, lastContactMs: 5, health: 'ok', detail: detail(id),
  })
  return {cluster: 'c', leader, term: 2, nodes: ids.map(row)}
}

/** A fake LocalCluster: answers from `statuses` (the last one repeats), records every call. */
function fakeCluster(statuses: ClusterStatus[], client: Record<string, (...args: never[]) => Promise<unknown>>, removed: string[] = []) {
  const calls: string[] = []
  let next = 0
  const status = async (): Promise<ClusterStatus> => statuses[Math.min(next++, statuses.length - 1)]!
  const cluster = {
    name: 'c',
    manifest: () => ({nextNode: 4, nodes: ['n1', 'n2', 'n3', ...removed].map((id) => ({id, removed: removed.includes(id)}))}),
    waitForLeader: status,
    status,
    pid: (id: string) => (id === 'n4' ? 4242 : 100),
    spawnNewNode: async () => {
      calls.push('spawn n4')
      return {id: 'n4', address: 'ws://127.0.0.1:7004'}
    },
    onLeader: async (fn: (c: unknown, leader: string) => Promise<unknown>) => fn(client, 'n1'),
    stopNode: async (id: string) => {
      calls.push(`stop ${id}`)
      return 'stopped'
    },
    forgetNode: (id: string) => calls.push(`forget ${id}`),
    markRemoved: (id: string) => calls.push(`mark ${id}`),
  }
  return {cluster: cluster as unknown as LocalCluster, calls}
}

function recorder(): {progress: WorkflowProgress; events: string[]} {
  const events: string[] = []
  return {events, progress: {step: (t) => events.push(`step: ${t}`), doing: (t) => events.push(`doing: ${t}`)}}
}

const committed = (index: number, voters: string[], learners: string[] = []) => ({index, members: {voters: voters.map((id) => ({id})), learners: learners.map((id) => ({id}))}})

test('addNode: spawn → learner → catch-up → promote, each step in the words node add prints, then the JSON document', async () => {
  const three = statusOf({voters: ['n1', 'n2', 'n3']})
  const {cluster, calls} = fakeCluster([three, statusOf({voters: ['n1', 'n2', 'n3'], learners: ['n4'], match: {n4: 5}}), statusOf({voters: ['n1', 'n2', 'n3'], learners: ['n4']})], {
    addMember: async () => committed(10, ['n1', 'n2', 'n3'], ['n4']),
    promoteMember: async () => committed(11, ['n1', 'n2', 'n3', 'n4']),
  })
  const planned = await planNodeAdd(cluster, false)
  assert.equal(planned.id, 'n4')
  const {progress, events} = recorder()
  const result = await addNode(cluster, planned, {learner: false, force: false, catchUpTimeoutMs: 60_000}, progress)
  assert.deepEqual(events, [
    'step: spawned n4 (pid 4242, ws://127.0.0.1:7004)',
    'doing: adding n4 as a learner',
    'step: added n4 as a learner (configuration entry 10)',
    'doing: n4 catching up: match 5/9',
    'doing: n4 catching up: match 9/9',
    'step: n4 caught up: match 9/9',
    'doing: promoting n4 to voter',
    'step: promoted n4 to voter (configuration entry 11)',
  ])
  assert.deepEqual(calls, ['spawn n4'])
  assert.deepEqual(Object.keys(result), ['id', 'address', 'pid', 'learner', 'addedAt', 'promotedAt', 'caughtUp', 'before', 'after', 'members'])
  assert.deepEqual(result, {
    id: 'n4', address: 'ws://127.0.0.1:7004', pid: 4242, learner: false, addedAt: 10, promotedAt: 11, caughtUp: {match: 9, target: 9},
    before: {voters: 3, quorum: 2, tolerates: 1, live: 3}, after: {voters: 4, quorum: 3, tolerates: 1, live: 4},
    members: {voters: ['n1', 'n2', 'n3', 'n4'], learners: []},
  })
})

test('addNode: a node the leader refuses to add is stopped and its name retired (it never joined)', async () => {
  const refused = Object.assign(new Error('no'), {code: 'UNSAFE_CHANGE'})
  const {cluster, calls} = fakeCluster([statusOf({voters: ['n1', 'n2', 'n3']})], {addMember: async () => Promise.reject(refused)})
  const planned = await planNodeAdd(cluster, true)
  await assert.rejects(addNode(cluster, planned, {learner: true, force: false, catchUpTimeoutMs: 1000}), (e) => e === refused)
  assert.deepEqual(calls, ['spawn n4', 'stop n4', 'forget n4'])
})

test('removeNode: removing the leader hands leadership to the least-lagging voter that stays, then removes, stops and marks it', async () => {
  const transfers: string[] = []
  const {cluster, calls} = fakeCluster([statusOf({voters: ['n1', 'n2', 'n3'], lag: {n2: 5, n3: 0}})], {
    transfer: async (to: string) => {
      transfers.push(to)
      return {leader: to, term: 3}
    },
    removeMember: async () => committed(12, ['n2', 'n3']),
  })
  const planned = await planNodeRemove(cluster, 'n1', 1000)
  const {progress, events} = recorder()
  const result = await removeNode(cluster, planned, {force: false, timeoutMs: 1000}, progress)
  assert.deepEqual(transfers, ['n3'])
  assert.deepEqual(events, [
    'doing: n1 leads: handing leadership to n3 first',
    'step: leadership handed from n1 to n3 (term 3)',
    'doing: removing n1 from the configuration',
    'step: removed n1 from the configuration (entry 12)',
    'doing: stopping n1',
    'step: stopped n1; marked removed',
  ])
  assert.deepEqual(calls, ['stop n1', 'mark n1'])
  assert.deepEqual(Object.keys(result), ['id', 'member', 'removedAt', 'transferredTo', 'stopped', 'before', 'after', 'members'])
  assert.deepEqual(result.members, {voters: ['n2', 'n3'], learners: []})
  assert.equal(result.transferredTo, 'n3')
})

test('removeNode: a node that is not a member is only stopped and marked; a removed one is NODE_NOT_FOUND', async () => {
  const {cluster, calls} = fakeCluster([statusOf({voters: ['n1', 'n2']})], {removeMember: async () => assert.fail('not a member: no request')}, ['n9'])
  const planned = await planNodeRemove(cluster, 'n3', 1000)
  assert.equal(planned.isMember, false)
  const {progress, events} = recorder()
  const result = await removeNode(cluster, planned, {force: false, timeoutMs: 1000}, progress)
  assert.deepEqual(events, ['doing: stopping n3', 'step: stopped n3; marked removed'])
  assert.deepEqual(calls, ['stop n3', 'mark n3'])
  assert.equal(result.removedAt, null)
  assert.deepEqual(result.members, {voters: ['n1', 'n2'], learners: []})
  await assert.rejects(planNodeRemove(cluster, 'n9', 1000), (e: Error & {code?: string}) => e.code === 'NODE_NOT_FOUND' && /already removed/.test(e.message))
})

test('listMembers: the leader\'s view of each member, and UNAVAILABLE when nobody answers', () => {
  const list = listMembers(statusOf({voters: ['n1', 'n2'], learners: ['n3'], match: {n3: 4}}))
  assert.equal(list.reportedBy, 'n1')
  assert.deepEqual(list.voters.map((m) => [m.id, m.leader, m.live]), [['n1', true, true], ['n2', false, true]])
  assert.deepEqual(list.learners.map((m) => [m.id, m.voter, m.match]), [['n3', false, 4]])
  assert.throws(() => listMembers({cluster: 'c', leader: null, term: 0, nodes: []}), (e: Error & {code?: string}) => e.code === 'UNAVAILABLE')
})

test('transferCandidates / pickCampaigner: reachable voters but the leader, least lag (transfer) or longest log (campaign) first', () => {
  const st = statusOf({voters: ['n1', 'n2', 'n3'], learners: ['n4'], lag: {n2: 7, n3: 1}})
  assert.deepEqual(transferCandidates(st).map((n) => n.id), ['n3', 'n2'])
  assert.equal(pickCampaigner(st), 'n2') // equal last index: the lowest id
  const alone = statusOf({voters: ['n1']})
  assert.deepEqual(transferCandidates(alone), [])
  assert.throws(() => pickCampaigner(alone), (e: Error & {code?: string}) => e.code === 'UNAVAILABLE')
})

test('checkTransferTarget / checkCampaigner refuse a learner and an unknown node with their codes', () => {
  const st = statusOf({voters: ['n1', 'n2', 'n3'], learners: ['n4']})
  const code = (fn: () => void): string | undefined => {
    try {
      fn()
      return undefined
    } catch (error) {
      return (error as {code?: string}).code
    }
  }
  assert.equal(code(() => checkTransferTarget(st, 'n2')), undefined)
  assert.equal(code(() => checkTransferTarget(st, 'n4')), 'NOT_VOTER')
  assert.equal(code(() => checkTransferTarget(st, 'n9')), 'NODE_NOT_FOUND')
  assert.equal(code(() => checkCampaigner(st, 'n4')), 'NOT_VOTER')
  assert.equal(code(() => checkCampaigner(st, 'n9')), 'NODE_NOT_FOUND')
  assert.deepEqual(alreadyLeadingElection('n1', st), {node: 'n1', campaignTerm: null, campaigned: false, before: {leader: 'n1', term: 2}, after: {leader: 'n1', term: 2}, leader: 'n1', term: 2})
})
