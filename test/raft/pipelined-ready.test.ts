/**
 * The Ready contract with a pipelined driver: inputs (appends, snapshots, proposals, ticks)
 * reach the core while a Ready is being persisted, i.e. between ready() and advance(). What
 * advance() then marks stable must be exactly what that Ready carried and what is still in
 * the log (docs: src/raft/README.md, "The Ready contract").
 */
import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import {RaftNode, SeededRng, type Message, type Ready, type Snapshot} from '../../src/raft/index.js'
import {Harness, bytes, drain, entriesWithTerms, stateWithLog} from './harness.js'

const voters = ['n1', 'n2', 'n3']

function follower(terms: number[], term: number): RaftNode {
  const n = new RaftNode({id: 'n2', rng: new SeededRng(1)}, stateWithLog(voters, terms, {term}))
  drain(n)
  return n
}

function snapshotAt(index: number, term: number): Snapshot {
  return {meta: {index, term, conf: {voters, learners: []}}, data: bytes(`snap-${index}`)}
}

/** A cluster (3 nodes by default) whose leader n1 has proposed 'a' and is persisting the Ready with it (index `last`). */
function leaderWritingA(size = 3): {h: Harness; n: RaftNode; inFlight: Ready; last: number} {
  const h = Harness.cluster(size)
  h.campaign('n1')
  h.stabilize()
  const n = h.node('n1')
  h.propose('n1', 'a')
  const inFlight = n.ready()
  return {h, n, inFlight, last: inFlight.entries.at(-1)!.index}
}

/** Deliver `messages`' appends to their followers, which persist at once; step their acks into `leader`. */
function acknowledge(h: Harness, leader: RaftNode, messages: readonly Message[]): void {
  for (const m of messages.filter((x) => x.type === 'append')) {
    const f = h.node(m.to)
    f.step(m)
    const frd = f.ready()
    f.advance()
    for (const ack of frd.messagesAfterPersist) leader.step(ack)
  }
}

describe('inputs between ready() and advance()', () => {
  it('entries that a later append replaced while they were being persisted are not marked stable', () => {
    const n = follower([1], 1)
    n.step({type: 'append', from: 'n1', to: 'n2', term: 1, prevIndex: 1, prevTerm: 1, entries: entriesWithTerms([1, 1], 2), commit: 1})
    const inFlight = n.ready()
    assert.deepEqual(inFlight.entries.map((e) => [e.index, e.term]), [[2, 1], [3, 1]])
    // While 2..3 (term 1) are being written, a new leader replaces them from index 2.
    n.step({type: 'append', from: 'n3', to: 'n2', term: 2, prevIndex: 1, prevTerm: 1, entries: entriesWithTerms([2, 2], 2), commit: 1})
    n.advance()
    const next = n.ready()
    assert.deepEqual(next.entries.map((e) => [e.index, e.term]), [[2, 2], [3, 2]], 'the replacing entries must still be persisted')
    n.advance()
    assert.equal(n.hasReady(), false)
  })

  it('a snapshot that arrives while another snapshot is being persisted stays pending', () => {
    const n = follower([1], 1)
    const first = snapshotAt(5, 1)
    n.step({type: 'snapshot', from: 'n1', to: 'n2', term: 1, snapshot: first})
    const inFlight = n.ready()
    assert.equal(inFlight.snapshot, first)
    const second = snapshotAt(9, 1)
    n.step({type: 'snapshot', from: 'n1', to: 'n2', term: 1, snapshot: second})
    n.advance()
    assert.equal(n.ready().snapshot, second, 'the newer snapshot must be handed out')
  })

  it('entries appended after a snapshot replaced the log while a Ready was in flight are persisted by the next Ready', () => {
    const n = follower([1], 1)
    n.step({type: 'append', from: 'n1', to: 'n2', term: 1, prevIndex: 1, prevTerm: 1, entries: entriesWithTerms([1, 1, 1, 1, 1, 1, 1, 1], 2), commit: 1})
    const inFlight = n.ready()
    assert.equal(inFlight.entries.at(-1)!.index, 9)
    // A leader of term 2 sends a snapshot at 5 whose term differs from our entry 5: it replaces the log.
    n.step({type: 'snapshot', from: 'n3', to: 'n2', term: 2, snapshot: snapshotAt(5, 2)})
    n.step({type: 'append', from: 'n3', to: 'n2', term: 2, prevIndex: 5, prevTerm: 2, entries: entriesWithTerms([2, 2, 2, 2, 2], 6), commit: 5})
    n.advance()
    const next = n.ready()
    assert.equal(next.snapshot?.meta.index, 5)
    assert.deepEqual(next.entries.map((e) => [e.index, e.term]), [[6, 2], [7, 2], [8, 2], [9, 2], [10, 2]])
  })

  it('a leader counts only what its persisted Ready carried, not proposals made while it was in flight', () => {
    const {h, n, inFlight: rd} = leaderWritingA(1)
    assert.deepEqual(rd.entries.map((e) => e.index), [3])
    h.propose('n1', 'b') // arrives while entry 3 is being persisted
    n.advance()
    assert.equal(n.status().commitIndex, 3, 'entry 4 is not durable yet')
    const next = n.ready()
    assert.deepEqual(next.entries.map((e) => e.index), [4])
    n.advance()
    assert.equal(n.status().commitIndex, 4)
  })

  it('takeMessages: while a Ready is in flight, the leader replicates new proposals and counts none of them', () => {
    const {h, n, inFlight, last} = leaderWritingA()
    h.propose('n1', 'b') // arrives while the Ready with 'a' is being persisted
    const out = n.takeMessages()
    const appends = out.filter((m) => m.type === 'append')
    assert.deepEqual(appends.map((m) => m.to).sort(), ['n2', 'n3'])
    for (const m of appends) assert.ok(m.type === 'append' && m.entries.some((e) => e.index === last + 1), 'the new entry goes out before any sync')
    assert.deepEqual(n.takeMessages(), [], 'nothing twice')
    assert.ok(n.status().commitIndex < last, 'nothing counted before advance()')
    n.advance()
    assert.deepEqual(n.ready().entries.map((e) => e.index), [last + 1], 'the next Ready persists the new entry')
  })

  it('takeCommittedEntries: entries its followers committed while the leader syncs are handed out once', () => {
    const {h, n, inFlight, last} = leaderWritingA()
    assert.deepEqual(n.takeCommittedEntries(), [], 'nothing committed yet')
    acknowledge(h, n, inFlight.messages)
    const early = n.takeCommittedEntries()
    assert.deepEqual(early.map((e) => e.index), [last], 'committed by the two followers, before the leader syncs')
    assert.deepEqual(n.takeCommittedEntries(), [], 'nothing twice')
    n.advance()
    assert.ok(!n.ready().committedEntries.some((e) => e.index <= last), 'the next Ready does not hand it out again')
  })

  it('takeCommittedEntries hands out only entries already being written (a later proposal waits for its Ready)', () => {
    const {h, n, inFlight, last: a} = leaderWritingA()
    h.propose('n1', 'b') // not in the Ready being persisted
    const appends = [...inFlight.messages, ...n.takeMessages()]
    acknowledge(h, n, appends)
    assert.ok(n.status().commitIndex >= a + 1, 'the followers committed b too')
    assert.deepEqual(n.takeCommittedEntries().map((e) => e.index), [a], 'b is not handed out before it is written')
    n.advance()
    assert.deepEqual(n.ready().committedEntries.map((e) => e.index), [a + 1], 'b comes with the Ready that writes it')
  })

  it('takeMessages hands out no vote or append response (those wait for persistence)', () => {
    const n = follower([1], 1)
    n.step({type: 'append', from: 'n1', to: 'n2', term: 1, prevIndex: 1, prevTerm: 1, entries: entriesWithTerms([1], 2), commit: 1})
    n.ready()
    n.step({type: 'append', from: 'n1', to: 'n2', term: 1, prevIndex: 2, prevTerm: 1, entries: entriesWithTerms([1], 3), commit: 1})
    n.step({type: 'vote', from: 'n3', to: 'n2', term: 2, lastIndex: 9, lastTerm: 1, pre: false, transfer: true})
    assert.deepEqual(n.takeMessages(), [])
    n.advance()
    const next = n.ready()
    assert.ok(next.messagesAfterPersist.some((m) => m.type === 'appendResp'))
    assert.ok(next.messagesAfterPersist.some((m) => m.type === 'voteResp'))
  })

  it('a single voter that elects itself sends nothing of its new term before that term is durable', () => {
    const n = new RaftNode({id: 'n1', rng: new SeededRng(3)}, {initialConf: {voters: ['n1'], learners: ['n2']}})
    drain(n)
    for (let i = 0; i < 100 && n.status().role !== 'leader'; i++) n.tick()
    assert.equal(n.status().role, 'leader')
    const rd = n.ready()
    const term = n.status().term
    assert.equal(rd.hardState?.term, term, 'the new term is in this Ready')
    assert.deepEqual(rd.messages.filter((m) => m.term === term), [], 'nothing of the new term leaves before it is persisted')
    assert.ok(rd.messagesAfterPersist.some((m) => m.type === 'append' && m.to === 'n2'), 'the learner gets its append after persistence')
    n.propose(bytes('x'))
    assert.deepEqual(n.takeMessages(), [], 'nor while that Ready is in flight')
    n.advance()
    for (let i = 0; i < 10; i++) n.tick()
    assert.ok(n.takeMessages().some((m) => m.type === 'heartbeat' && m.to === 'n2' && m.term === term), 'once the term is durable, heartbeats go out before persistence again')
  })
})
