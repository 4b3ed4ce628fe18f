/**
 * The core's diagnostic events (src/raft/ready.ts): how a node answered each vote request and
 * why it refused, who carried the higher term that made a node step down, and snapshots sent and
 * installed. `raftctl doctor` builds its timeline from these, so each names its cause exactly.
 */
import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import type {RaftEvent} from '../../src/raft/index.js'
import {Harness} from './harness.js'

type Of<T extends RaftEvent['type']> = Extract<RaftEvent, {type: T}>

function eventsOf<T extends RaftEvent['type']>(h: Harness, id: string, type: T): Of<T>[] {
  return h.events(id).filter((e): e is Of<T> => e.type === type)
}

function elected(): Harness {
  const h = Harness.cluster(3)
  assert.deepEqual(h.campaign('n1'), {ok: true})
  h.stabilize()
  assert.equal(h.leader(), 'n1')
  return h
}

describe('vote events', () => {
  it('a granted vote is reported with no reason, once per request', () => {
    const h = Harness.cluster(3)
    h.campaign('n1')
    h.stabilize()
    const votes = eventsOf(h, 'n2', 'voteCast')
    assert.deepEqual(votes, [{type: 'voteCast', candidate: 'n1', term: 2, pre: false, granted: true, reason: null}])
  })

  it('a vote refused because the candidate\'s log is behind names logBehind', () => {
    const h = elected()
    h.isolate('n3')
    h.propose('n1', 'x=1')
    h.stabilize()
    h.heal()
    // n3 missed x=1; its forced campaign reaches voters whose logs are ahead.
    h.campaign('n3')
    h.stabilize()
    const refusals = eventsOf(h, 'n2', 'voteCast').filter((v) => v.candidate === 'n3')
    assert.ok(refusals.length > 0, 'n2 answered n3')
    assert.ok(refusals.every((v) => !v.granted && v.reason === 'logBehind'), JSON.stringify(refusals))
  })

  it('a pre-vote ignored under the leader lease names lease', () => {
    const h = elected()
    const before = h.events('n2').length
    // n3 cannot hear the leader, times out and asks for pre-votes; n2 still hears n1.
    h.cut('n1', 'n3')
    for (let i = 0; i < 200 && !eventsOf(h, 'n2', 'voteCast').some((v) => v.candidate === 'n3'); i++) {
      h.tick()
      h.deliverRound()
    }
    const lease = h.events('n2').slice(before).filter((e): e is Of<'voteCast'> => e.type === 'voteCast')
    assert.ok(lease.length > 0, 'n2 saw a pre-vote request')
    assert.deepEqual({...lease[0]!, term: 0}, {type: 'voteCast', candidate: 'n3', term: 0, pre: true, granted: false, reason: 'lease'})
  })

  it('a vote request of an older term is refused as staleTerm', () => {
    const h = elected()
    const n2 = h.node('n2')
    n2.step({type: 'vote', from: 'n3', to: 'n2', term: 1, lastIndex: 0, lastTerm: 0, pre: false, transfer: false})
    const votes = n2.ready().events.filter((e) => e.type === 'voteCast')
    n2.advance()
    assert.deepEqual(votes, [{type: 'voteCast', candidate: 'n3', term: 1, pre: false, granted: false, reason: 'staleTerm'}])
  })
})

describe('role changes name who carried a higher term', () => {
  it('a leader that hears a higher term steps down naming the sender', () => {
    const h = elected()
    h.transfer('n1', 'n2')
    h.stabilize()
    assert.equal(h.leader(), 'n2')
    const down = eventsOf(h, 'n1', 'roleChanged').filter((e) => e.from === 'leader')
    assert.deepEqual(down, [{type: 'roleChanged', from: 'leader', to: 'follower', term: 3, cause: 'higherTerm', peer: 'n2'}])
    const up = eventsOf(h, 'n2', 'roleChanged').find((e) => e.to === 'candidate')
    assert.equal(up?.cause, 'transfer')
  })

  it('a leader cut off from a majority steps down with checkQuorum and no peer', () => {
    const h = elected()
    h.isolate('n1')
    h.tickUntil(() => h.status('n1').role !== 'leader', 100, ['n1'])
    const down = eventsOf(h, 'n1', 'roleChanged').filter((e) => e.from === 'leader')
    assert.deepEqual(down, [{type: 'roleChanged', from: 'leader', to: 'follower', term: 2, cause: 'checkQuorum'}])
  })
})

describe('snapshot events', () => {
  it('the leader reports the snapshot it sends and the follower the one it installs', () => {
    const h = elected()
    h.isolate('n3')
    for (let i = 0; i < 5; i++) h.propose('n1', `k${i}=v`)
    h.stabilize()
    const snap = h.compact('n1', h.appliedIndex('n1'))
    h.heal()
    h.tick(3)
    h.stabilize()
    const index = snap.meta.index
    assert.deepEqual(eventsOf(h, 'n1', 'snapshotSent').map((e) => [e.to, e.index]), [['n3', index]])
    assert.deepEqual(eventsOf(h, 'n3', 'snapshotReceived').map((e) => [e.from, e.index]), [['n1', index]])
  })
})
