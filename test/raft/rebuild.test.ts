/**
 * A node that lost its data (README.md "A node that lost its data"): Raft assumes a voter never
 * forgets what it acknowledged. A node whose disk was wiped comes back rebuilding: it refuses
 * votes and campaigns until its durable log holds a commit of the leader's term; the leader
 * notices its newer incarnation (or a heartbeat commit beyond its log) and forgets the match it
 * recorded, so entries or a snapshot repair it. Bare cores through the deterministic harness.
 */
import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import type {AppendResponse, Message, NodeId, RaftEvent} from '../../src/raft/index.js'
import {Harness} from './harness.js'

/** A 3-node cluster where n1 leads term 2 and committed `writes` entries x0..x(writes-1). */
function withWrites(writes: number, options: ConstructorParameters<typeof Harness>[0] = {}): Harness {
  const h = Harness.cluster(3, options)
  assert.deepEqual(h.campaign('n1'), {ok: true})
  h.stabilize()
  for (let i = 0; i < writes; i++) assert.equal(h.propose('n1', `x${i}`).ok, true)
  h.stabilize()
  h.tick(2)
  return h
}

function resets(h: Harness, id: NodeId): Extract<RaftEvent, {type: 'progressReset'}>[] {
  return h.events(id).flatMap((e) => (e.type === 'progressReset' ? [e] : []))
}

function rebuildingChanges(h: Harness, id: NodeId): boolean[] {
  return h.events(id).flatMap((e) => (e.type === 'rebuildingChanged' ? [e.rebuilding] : []))
}

describe('a node that lost its data', () => {
  it('a wiped follower with a new incarnation is reset by the leader, repaired, then votes again', () => {
    const h = withWrites(20)
    const last = h.status('n1').lastIndex
    assert.equal(h.status('n1').progress.find((p) => p.id === 'n3')!.match, last)
    h.wipe('n3')
    assert.equal(h.status('n3').rebuilding, true)
    assert.equal(h.status('n3').term, 1) // the bootstrap log only: it forgot its term and vote
    h.tick(3)
    assert.deepEqual(resets(h, 'n1').map((e) => [e.node, e.reason, e.match]), [['n3', 'incarnation', last]])
    const n3 = h.status('n3')
    assert.equal(n3.lastIndex, h.status('n1').lastIndex)
    assert.equal(n3.commitIndex, h.status('n1').commitIndex)
    assert.deepEqual(h.applied('n3'), h.applied('n1'))
    assert.equal(n3.rebuilding, false)
    assert.deepEqual(rebuildingChanges(h, 'n3'), [false])
    // Caught up, it votes again: it can even lead.
    assert.deepEqual(h.transfer('n1', 'n3'), {ok: true})
    h.stabilize()
    h.tick(2)
    assert.equal(h.leader(), 'n3')
  })

  it('a wiped node that does not know it was a member learns it from a heartbeat commit beyond its log: it rebuilds and reports it', () => {
    const h = withWrites(10)
    const last = h.status('n1').lastIndex
    h.wipe('n3', {announce: false})
    assert.equal(h.status('n3').rebuilding, false)
    const from = h.delivered.length
    h.tick(3)
    const reports = h.delivered.slice(from).filter((m: Message) => m.type === 'heartbeatResp' && m.from === 'n3' && m.lastIndex !== undefined)
    assert.ok(reports.length >= 1, 'n3 reported its short log')
    assert.ok(resets(h, 'n1').length >= 1)
    assert.deepEqual(rebuildingChanges(h, 'n3'), [true, false])
    assert.equal(h.status('n3').lastIndex, h.status('n1').lastIndex)
    assert.ok(h.status('n3').lastIndex >= last)
    assert.deepEqual(h.applied('n3'), h.applied('n1'))
  })

  it('the short-log report alone repairs the follower (incarnation unchanged)', () => {
    const h = withWrites(10)
    // Wipe without bumping the incarnation: only the heartbeat path can tell.
    h.crash('n3')
    const slot = h.persisted('n3')
    slot.hardState = undefined
    slot.snapshot = null
    slot.entries = []
    h.restart('n3')
    h.tick(3)
    const reasons = resets(h, 'n1').map((e) => e.reason)
    assert.deepEqual(reasons, ['shortLog'])
    assert.equal(h.status('n3').lastIndex, h.status('n1').lastIndex)
    assert.deepEqual(h.applied('n3'), h.applied('n1'))
    assert.equal(h.status('n3').rebuilding, false)
  })

  it('§5.4 a rebuilding node does not vote: a committed entry survives the loss of the only other copy', () => {
    // n2 misses x; x commits on n1 + n3. n3 loses its disk, n1 crashes: n2 alone lacks x.
    const h = withWrites(0)
    h.isolate('n2')
    assert.equal(h.propose('n1', 'x').ok, true)
    h.stabilize()
    h.tick(1, ['n1', 'n3'])
    const xIndex = h.status('n1').commitIndex
    assert.equal(h.node('n1').entryAt(xIndex)!.data.length, 1)
    h.crash('n1')
    h.heal()
    h.wipe('n3')
    const from = h.delivered.length
    // n2 campaigns again and again; n3 refuses every (pre-)vote: nobody leads.
    h.tick(200, ['n2', 'n3'])
    assert.equal(h.leader(), null)
    assert.equal(h.status('n3').rebuilding, true)
    const asked = h.delivered.slice(from).filter((m) => m.type === 'vote' && m.to === 'n3')
    assert.ok(asked.length > 0, 'n2 asked n3 for votes')
    const grants = h.delivered.slice(from).filter((m) => m.type === 'voteResp' && m.from === 'n3' && m.granted)
    assert.deepEqual(grants, [])
    assert.equal(h.campaign('n3').ok, false)
    assert.equal((h.campaign('n3') as {code: string}).code, 'REBUILDING')
    // n1 comes back: it leads, repairs n3, and x is on every node.
    h.restart('n1')
    h.tickUntil(() => h.leader() !== null && h.status('n3').rebuilding === false, 500)
    assert.equal(h.leader(), 'n1')
    for (const id of ['n1', 'n2', 'n3']) assert.deepEqual(h.applied(id).includes('x'), true, `${id} applied x`)
  })

  it('a rebuilding node ignores TimeoutNow', () => {
    const h = withWrites(3)
    h.wipe('n3')
    h.node('n3').step({type: 'timeoutNow', from: 'n1', to: 'n3', term: 2})
    h.stabilize()
    assert.equal(h.status('n3').role, 'follower')
    assert.equal(h.status('n3').term, 2)
  })

  it('an answer from a previous incarnation does not raise the match again', () => {
    const h = withWrites(5)
    const last = h.status('n1').lastIndex
    h.wipe('n3')
    // Keep the leader's appends from reaching n3: it stays behind, heartbeats still flow.
    h.dropIf = (m) => m.type === 'append' && m.to === 'n3'
    h.tick(2)
    assert.equal(h.status('n1').progress.find((p) => p.id === 'n3')!.match, 0)
    const stale: AppendResponse = {type: 'appendResp', from: 'n3', to: 'n1', term: 2, success: true, index: last, hintIndex: 0, hintTerm: 0}
    h.node('n1').step(stale)
    h.stabilize()
    assert.equal(h.status('n1').progress.find((p) => p.id === 'n3')!.match, 0)
    h.dropIf = null
    h.tick(2)
    assert.equal(h.status('n1').progress.find((p) => p.id === 'n3')!.match, h.status('n1').lastIndex)
  })

  it('a rebuilding follower confirms no read (ReadIndex) and keeps no leader in office (CheckQuorum)', () => {
    const h = withWrites(5)
    h.crash('n2')
    h.wipe('n3')
    h.dropIf = (m) => m.type === 'append' && m.to === 'n3'
    assert.deepEqual(h.readIndex('n1', 7), {ok: true})
    h.tick(3)
    assert.deepEqual(h.readStates('n1'), [])
    // n3 acknowledges every heartbeat, yet n1 steps down: only a rebuilding node hears it.
    h.tickUntil(() => h.status('n1').role !== 'leader', 100)
    assert.equal(h.status('n3').rebuilding, true)
  })

  it('the stale match was the bug: a follower that forgot is repaired although the leader recorded a match beyond its log', () => {
    const h = withWrites(30)
    h.wipe('n3')
    h.tick(5)
    // Every entry the leader holds is on n3 again (not only those after the old match).
    assert.deepEqual(h.log('n3').map((e) => e.index), h.log('n1').map((e) => e.index))
    assert.deepEqual(h.logTerms('n3'), h.logTerms('n1'))
  })
})
