/**
 * Paper tests: each test names the section of the Raft paper ("In Search of an Understandable
 * Consensus Algorithm", extended version) or of Ongaro's dissertation it checks. They drive bare
 * RaftNode cores through the deterministic harness and assert exact terms, indexes and roles.
 */
import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import {RaftNode, SeededRng, type Message, type ProposeResult, type NodeId, type RaftEvent, type Ready, type VoteResponse, type AppendResponse} from '../../src/raft/index.js'
import {Harness, bytes, drain, entriesWithTerms, ids, messagesOf, stateWithLog} from './harness.js'

const T = 10 // default electionTicks

/** A 3- (or n-) node cluster in which n1 won the election of term 2 and committed its no-op. */
function elected(n = 3, options: ConstructorParameters<typeof Harness>[0] = {}): Harness {
  const h = Harness.cluster(n, options)
  assert.deepEqual(h.campaign('n1'), {ok: true})
  h.stabilize()
  assert.equal(h.leader(), 'n1')
  assert.equal(h.status('n1').term, 2)
  assert.equal(h.status('n1').commitIndex, n + 1) // n bootstrap config entries + the no-op
  return h
}

/** Messages delivered (or dropped) since `from` (an index into h.delivered), filtered. */
function deliveredSince(h: Harness, from: number, pred: (m: Message) => boolean): Message[] {
  return h.delivered.slice(from).filter(pred)
}

/** Number of entries an append carries (0 for other messages). */
function entryCount(m: Message): number {
  return m.type === 'append' ? m.entries.length : 0
}

function roleChanges(h: Harness, id: NodeId): string[] {
  return h.events(id).flatMap((e: RaftEvent) => (e.type === 'roleChanged' ? [`${e.from}>${e.to}@${e.term}:${e.cause}`] : []))
}

/** The only message the harness queued for `to` since the last take, removing it from the queue. */
function takeQueued(h: Harness): Message[] {
  const q = h.queue
  h.queue = []
  return q
}

describe('§5.2 leader election', () => {
  it('§5.2 a leader is elected after an election timeout in [T, 2T) and every node follows it at term 2', () => {
    const h = Harness.cluster(3)
    const rounds = h.tickUntil(() => h.leader() !== null, 100)
    assert.ok(rounds >= T && rounds < 2 * T, `first election after ${rounds} ticks`)
    const leader = h.leader()!
    for (const id of h.nodeIds) {
      const s = h.status(id)
      assert.equal(s.term, 2)
      assert.equal(s.leader, leader)
      assert.equal(s.role, id === leader ? 'leader' : 'follower')
      assert.equal(s.commitIndex, 4)
      assert.equal(s.lastIndex, 4)
      assert.equal(s.lastTerm, 2)
    }
    assert.deepEqual([...h.leaders], [[2, leader]])
  })

  it('§5.2 a candidate that receives votes from a majority wins (5 nodes, 2 down)', () => {
    const h = Harness.cluster(5, {node: {preVote: false}})
    h.crash('n4')
    h.crash('n5')
    const mark = h.delivered.length
    h.campaign('n1')
    h.stabilize()
    assert.equal(h.status('n1').role, 'leader')
    assert.equal(h.status('n1').term, 2)
    const grants = deliveredSince(h, mark, (m) => m.type === 'voteResp' && m.to === 'n1' && m.granted).map((m) => m.from)
    assert.deepEqual(grants, ['n2', 'n3'])
    assert.deepEqual(roleChanges(h, 'n1'), ['follower>candidate@2:manual', 'candidate>leader@2:won'])
    // The entries replicated by this leader commit with 3 of 5.
    assert.equal(h.propose('n1', 'a').ok, true)
    h.stabilize()
    assert.equal(h.status('n1').commitIndex, 7)
  })

  it('§5.2 a candidate without a majority does not win (5 nodes, 3 down)', () => {
    const h = Harness.cluster(5, {node: {preVote: false}})
    for (const id of ['n3', 'n4', 'n5']) h.crash(id)
    h.campaign('n1')
    h.stabilize()
    const s = h.status('n1')
    assert.equal(s.role, 'candidate')
    assert.equal(s.term, 2)
    assert.equal(s.vote, 'n1')
    assert.equal(h.leader(), null)
  })

  it('§5.2 split vote: no candidate wins; both retry after new randomized timeouts in [T, 2T) until one wins', () => {
    const h = Harness.cluster(4, {node: {preVote: false}})
    h.cut('n1', 'n4')
    h.cut('n2', 'n3')
    h.campaign('n1')
    h.campaign('n2')
    h.stabilize()
    assert.equal(h.status('n1').role, 'candidate')
    assert.equal(h.status('n2').role, 'candidate')
    assert.equal(h.status('n3').vote, 'n1')
    assert.equal(h.status('n4').vote, 'n2')
    for (const id of h.nodeIds) assert.equal(h.status(id).term, 2)
    assert.equal(h.leader(), null)
    for (const id of ['n1', 'n2']) {
      const t = h.status(id).electionTimeout
      assert.ok(t >= T && t < 2 * T, `${id} timeout ${t}`)
    }
    h.heal()
    h.tickUntil(() => h.leader() !== null, 100)
    const leader = h.leader()!
    assert.ok(h.status(leader).term >= 3)
    assert.equal(h.leaders.has(2), false, 'nobody won the split term')
  })

  it('§5.2 election timeouts are drawn at random from [T, 2T) and redrawn at every election', () => {
    const seen = new Set<number>()
    for (let seed = 0; seed < 300; seed++) {
      const n = new RaftNode({id: 'n1', rng: new SeededRng(seed), electionTicks: T}, {initialConf: {voters: ['n1', 'n2', 'n3'], learners: []}})
      const t = n.status().electionTimeout
      assert.ok(t >= T && t < 2 * T)
      seen.add(t)
    }
    assert.deepEqual([...seen].sort((a, b) => a - b), [10, 11, 12, 13, 14, 15, 16, 17, 18, 19])
    // One node campaigning alone (nobody answers) redraws at each new election.
    const n = new RaftNode({id: 'n1', rng: new SeededRng(7), electionTicks: T}, {initialConf: {voters: ['n1', 'n2', 'n3'], learners: []}})
    const drawn = new Set<number>()
    for (let i = 0; i < 20; i++) {
      n.campaign()
      drain(n)
      drawn.add(n.status().electionTimeout)
    }
    assert.ok(drawn.size > 3, `only ${drawn.size} distinct timeouts`)
  })

  it('§5.2 followers reset their election timer on heartbeats: a healthy cluster keeps its leader', () => {
    const h = elected()
    h.tick(10 * T)
    assert.deepEqual([...h.leaders], [[2, 'n1']])
    for (const id of h.nodeIds) assert.equal(h.status(id).term, 2)
    assert.equal(h.status('n2').electionElapsed, 0)
    assert.equal(h.status('n3').electionElapsed, 0)
    // Without heartbeats a follower's timer runs out and it starts an election.
    h.crash('n1')
    const rounds = h.tickUntil(() => h.leader() !== null, 100)
    assert.ok(rounds >= T && rounds < 3 * T, `re-elected after ${rounds} ticks`)
    assert.equal(h.status(h.leader()!).term, 3)
  })

  it('§5.2 a node grants at most one vote per term, and remembers it across a restart', () => {
    const h = Harness.cluster(3, {node: {preVote: false}})
    const vote = (from: NodeId, term: number): Message => ({type: 'vote', from, to: 'n3', term, lastIndex: 3, lastTerm: 1, pre: false, transfer: false})
    const answer = (m: Message): VoteResponse => {
      h.node('n3').step(m)
      h.processReady('n3')
      const out = takeQueued(h)
      assert.equal(out.length, 1)
      return out[0] as VoteResponse
    }
    assert.equal(answer(vote('n1', 2)).granted, true)
    assert.deepEqual(h.persisted('n3').hardState, {term: 2, vote: 'n1', commit: 3})
    assert.equal(answer(vote('n2', 2)).granted, false, 'second candidate of term 2')
    assert.equal(answer(vote('n1', 2)).granted, true, 'a repeated request from the same candidate')
    h.crashAndRestart('n3')
    assert.equal(answer(vote('n2', 2)).granted, false, 'after a restart the vote of term 2 is still n1')
    assert.equal(answer(vote('n2', 3)).granted, true, 'a new term, a new vote')
  })

  it('§5.2 (planted bug) forgetting the vote on restart is caught by the same check', () => {
    const h = Harness.cluster(3, {node: {preVote: false, bugs: {forgetVoteOnRestart: true}}})
    const vote = (from: NodeId): Message => ({type: 'vote', from, to: 'n3', term: 2, lastIndex: 3, lastTerm: 1, pre: false, transfer: false})
    h.node('n3').step(vote('n1'))
    h.processReady('n3')
    takeQueued(h)
    h.crashAndRestart('n3')
    h.node('n3').step(vote('n2'))
    h.processReady('n3')
    assert.equal((takeQueued(h)[0] as VoteResponse).granted, true, 'two votes in term 2')
  })

  it('§5.4.1 a vote (and a pre-vote) is refused to a candidate whose log is less up-to-date', () => {
    const voters = ['n1', 'n2', 'n3']
    const n = new RaftNode({id: 'n1', rng: new SeededRng(1)}, {
      hardState: {term: 3, vote: null, commit: 0},
      snapshot: {meta: {index: 0, term: 0, conf: {voters, learners: []}}, data: new Uint8Array()},
      entries: entriesWithTerms([1, 1, 2, 2, 3]),
    })
    drain(n)
    const ask = (term: number, lastIndex: number, lastTerm: number, pre = false): boolean => {
      n.step({type: 'vote', from: 'n2', to: 'n1', term, lastIndex, lastTerm, pre, transfer: false})
      const out = messagesOf(drain(n))
      assert.equal(out.length, 1)
      return (out[0] as VoteResponse).granted
    }
    assert.equal(ask(4, 9, 2, true), false, 'pre-vote: longer log, older last term')
    assert.equal(ask(4, 9, 2), false, 'longer log, older last term')
    assert.equal(ask(5, 4, 3), false, 'same last term, shorter log')
    assert.equal(ask(6, 5, 3, true), true, 'pre-vote: same last entry')
    assert.equal(ask(6, 5, 3), true, 'same last entry')
    assert.equal(ask(7, 1, 4), true, 'newer last term, shorter log')
    assert.equal(n.status().term, 7)
  })
})

describe('§5.3 log replication', () => {
  it('§5.3 entries are replicated and committed once a majority stores them; every node applies them in order', () => {
    const h = elected()
    for (const t of ['a', 'b', 'c']) assert.equal(h.propose('n1', t).ok, true)
    h.stabilize()
    for (const id of h.nodeIds) {
      assert.equal(h.status(id).commitIndex, 7)
      assert.deepEqual(h.applied(id), ['a', 'b', 'c'])
    }
    // One follower down: a majority (2 of 3) still commits.
    h.crash('n3')
    assert.deepEqual(h.propose('n1', 'd'), {ok: true, index: 8, term: 2})
    h.stabilize()
    assert.equal(h.status('n1').commitIndex, 8)
    // Both followers down: the entry is appended but not committed.
    h.crash('n2')
    assert.deepEqual(h.propose('n1', 'e'), {ok: true, index: 9, term: 2})
    h.stabilize()
    assert.equal(h.status('n1').commitIndex, 8)
    assert.equal(h.status('n1').lastIndex, 9)
    h.restart('n2')
    h.tick(1)
    assert.equal(h.status('n1').commitIndex, 9)
    assert.deepEqual(h.applied('n2'), ['a', 'b', 'c', 'd', 'e'])
  })

  it('commit notices: followers learn a new commit index at once; with commitNotices off, from the next append or heartbeat', () => {
    const commitOnly = (m: Message): boolean => m.type === 'append' && m.from === 'n1' && m.entries.length === 0
    // Default: the commit travels in a commit-only append right after the acknowledgements.
    const eager = elected(3, {node: {heartbeatTicks: 3}})
    let from = eager.delivered.length
    assert.equal(eager.propose('n1', 'a').ok, true)
    eager.stabilize()
    assert.equal(deliveredSince(eager, from, commitOnly).length, 2)
    for (const id of eager.nodeIds) assert.deepEqual(eager.applied(id), ['a'])
    // Off: no commit-only append; the followers hold the entry but have not committed it yet.
    const lazy = elected(3, {node: {heartbeatTicks: 3, commitNotices: false}})
    from = lazy.delivered.length
    assert.equal(lazy.propose('n1', 'a').ok, true)
    lazy.stabilize()
    assert.equal(deliveredSince(lazy, from, commitOnly).length, 0)
    assert.equal(lazy.status('n1').commitIndex, 5)
    assert.deepEqual(lazy.applied('n1'), ['a'])
    for (const id of ['n2', 'n3']) {
      assert.equal(lazy.status(id).lastIndex, 5)
      assert.deepEqual(lazy.applied(id), [])
    }
    // The next append carries it...
    assert.equal(lazy.propose('n1', 'b').ok, true)
    lazy.stabilize()
    for (const id of ['n2', 'n3']) assert.deepEqual(lazy.applied(id), ['a'])
    // ...and so does the next heartbeat, when no write follows.
    lazy.tick(3)
    for (const id of lazy.nodeIds) assert.deepEqual(lazy.applied(id), ['a', 'b'])
  })

  it('§5.3 the consistency check rejects an append whose prevIndex/prevTerm does not match and hints where to probe', () => {
    const n = new RaftNode({id: 'n2', rng: new SeededRng(1)}, {...stateWithLog(['n1', 'n2', 'n3'], [1, 1, 2], {term: 2})})
    drain(n)
    const append = (prevIndex: number, prevTerm: number, entries = entriesWithTerms([2], prevIndex + 1)): AppendResponse => {
      n.step({type: 'append', from: 'n1', to: 'n2', term: 2, prevIndex, prevTerm, entries, commit: 0})
      const out = messagesOf(drain(n))
      assert.equal(out.length, 1)
      return out[0] as AppendResponse
    }
    let r = append(3, 1) // we hold 3/2
    assert.deepEqual([r.success, r.index, r.hintIndex, r.hintTerm], [false, 3, 2, 1])
    r = append(5, 2) // beyond our last index
    assert.deepEqual([r.success, r.index, r.hintIndex, r.hintTerm], [false, 5, 3, 2])
    assert.equal(n.status().lastIndex, 3, 'a rejected append changes nothing')
    r = append(3, 2)
    assert.deepEqual([r.success, r.index], [true, 4])
    assert.equal(n.status().lastIndex, 4)
  })

  it('§5.3 a conflicting suffix is truncated and replaced; entries already held are not rewritten', () => {
    const n = new RaftNode({id: 'n2', rng: new SeededRng(1)}, stateWithLog(['n1', 'n2', 'n3'], [1, 1, 2, 2], {term: 2, commit: 2}))
    drain(n)
    n.step({type: 'append', from: 'n1', to: 'n2', term: 3, prevIndex: 2, prevTerm: 1, entries: entriesWithTerms([3], 3), commit: 2})
    const rds = drain(n)
    assert.deepEqual(rds.flatMap((rd) => rd.entries.map((e) => [e.index, e.term])), [[3, 3]], 'Ready.entries overwrite from index 3')
    assert.deepEqual(
      [1, 2, 3].map((i) => n.termAt(i)),
      [1, 1, 3],
    )
    assert.equal(n.status().lastIndex, 3)
    assert.deepEqual(messagesOf(rds).map((m) => [(m as AppendResponse).success, (m as AppendResponse).index]), [[true, 3]])
    // A stale duplicate of entries we already hold truncates nothing.
    n.step({type: 'append', from: 'n1', to: 'n2', term: 3, prevIndex: 1, prevTerm: 1, entries: entriesWithTerms([1], 2), commit: 2})
    const again = drain(n)
    assert.deepEqual(again.flatMap((rd) => rd.entries), [])
    assert.equal(n.status().lastIndex, 3)
    assert.equal(n.termAt(3), 3)
  })

  for (const c of [
    {name: 'a long suffix of a newer term', follower: [1, 1, 1, ...Array(150).fill(3)], leader: [1, 1, 1, ...Array(100).fill(2)]},
    {name: 'a long suffix of an older term', follower: [1, 1, 1, ...Array(150).fill(2)], leader: [1, 1, 1, ...Array(50).fill(3)]},
    {name: 'a much shorter log', follower: [1, 1, 1], leader: [1, 1, 1, ...Array(100).fill(2)]},
  ]) {
    it(`§5.3 fast backtracking by conflicting term: a follower with ${c.name} converges in 2 round trips`, () => {
      const voters = ['n1', 'n2', 'n3']
      const h = new Harness()
      h.addNodeFromState('n1', stateWithLog(voters, c.leader, {term: 4, commit: 3}))
      h.addNodeFromState('n2', stateWithLog(voters, c.follower, {term: 4, commit: 3}))
      h.addNodeFromState('n3', stateWithLog(voters, c.leader, {term: 4, commit: 3}))
      h.stabilize()
      const mark = h.delivered.length
      h.campaign('n1')
      h.stabilize()
      assert.equal(h.leader(), 'n1')
      const appends = deliveredSince(h, mark, (m) => m.type === 'append' && m.to === 'n2' && m.entries.length > 0)
      const rejects = deliveredSince(h, mark, (m) => m.type === 'appendResp' && m.from === 'n2' && !m.success)
      assert.equal(rejects.length, 1, 'one rejection')
      assert.equal(appends.length, 2, 'two appends with entries: the probe and the fix')
      assert.deepEqual(h.logTerms('n2'), h.logTerms('n1'))
      assert.equal(h.status('n2').commitIndex, c.leader.length + 1)
    })
  }
})

/**
 * Figure 8 (c): drop n1's appends that carry a term-4 entry to a follower that would accept
 * them (one holding their prevIndex/prevTerm). Probes the follower rejects still get through, so
 * the term-2 entry before them spreads while the term-4 entry stays on n1.
 */
function holdBackTerm4(h: Harness): (m: Message) => boolean {
  return (m) => m.from === 'n1' && m.type === 'append' && m.entries.some((e) => e.term === 4) && h.node(m.to).termAt(m.prevIndex) === m.prevTerm
}

describe('§5.1 terms, §5.3 flow control and durability', () => {
  it('§5.1 a deposed leader that sees a higher term (answer to its stale heartbeat) steps down', () => {
    const h = elected()
    h.isolate('n1')
    h.tickUntil(() => h.status('n2').role === 'leader' || h.status('n3').role === 'leader', 200, ['n2', 'n3'])
    const leader = h.leader()!
    assert.notEqual(leader, 'n1')
    assert.equal(h.status(leader).term, 3)
    assert.equal(h.status('n1').role, 'leader', 'n1 (not ticked) still believes it leads term 2')
    h.heal()
    const mark = h.delivered.length
    h.tick(1, ['n1'])
    const answers = deliveredSince(h, mark, (m) => m.to === 'n1' && m.type === 'appendResp')
    assert.ok(answers.length >= 1)
    assert.ok(answers.every((m) => m.term === 3 && !(m as AppendResponse).success))
    assert.equal(h.status('n1').role, 'follower')
    assert.equal(h.status('n1').term, 3)
    assert.deepEqual(roleChanges(h, 'n1').at(-1), 'leader>follower@3:higherTerm')
    // Its uncommitted-at-most state is consistent: a new proposal on the real leader reaches it.
    h.propose(leader, 'z')
    h.tick(2)
    assert.deepEqual(h.applied('n1'), ['z'])
  })

  it('§5.3 a duplicated append is idempotent: same acknowledgement, nothing new to persist', () => {
    const h = elected()
    h.propose('n1', 'a')
    h.processReady('n1')
    const append = h.queue.find((m) => m.type === 'append' && m.to === 'n2')!
    h.stabilize()
    const before = h.readies.length
    h.node('n2').step(append)
    h.processReady('n2')
    const out = takeQueued(h) as AppendResponse[]
    assert.deepEqual(out.map((m) => [m.success, m.index]), [[true, 5]])
    const rds = h.readies.slice(before).map((r) => r.ready)
    assert.deepEqual(rds.flatMap((rd) => rd.entries), [])
    assert.ok(rds.every((rd) => rd.hardState === null))
  })

  it('§5.3 flow control: in replicate state at most maxInflight appends are in flight; the rest wait', () => {
    const h = elected(3, {node: {maxInflight: 2, batchAppends: false}})
    h.cut('n2', 'n1') // acknowledgements from n2 are lost
    const mark = h.delivered.length
    for (let i = 0; i < 5; i++) h.propose('n1', `p${i}`)
    h.stabilize()
    const toN2 = deliveredSince(h, mark, (m) => m.type === 'append' && m.to === 'n2' && m.entries.length > 0)
    assert.equal(toN2.length, 2, 'two appends, then the window is full')
    assert.equal(h.status('n1').progress.find((p) => p.id === 'n2')!.inflight, 2)
    const toN3 = deliveredSince(h, mark, (m) => m.type === 'append' && m.to === 'n3' && m.entries.length > 0)
    // n3's window fills too (p0, p1) until its acknowledgements come back; then p2-p4 go in one append.
    assert.deepEqual(toN3.map(entryCount), [1, 1, 3])
    assert.equal(h.status('n1').commitIndex, 9)
    h.heal()
    h.tick(2)
    assert.equal(h.status('n2').commitIndex, 9)
    assert.deepEqual(h.applied('n2'), ['p0', 'p1', 'p2', 'p3', 'p4'])
  })

  it('§5.3 maxAppendBytes splits a catch-up into several appends (at least one entry each)', () => {
    const h = elected(3, {node: {maxAppendBytes: 60}})
    h.isolate('n3')
    for (let i = 0; i < 6; i++) h.propose('n1', `value-${i}`) // 7 bytes + 24 overhead each
    h.stabilize()
    h.heal()
    const mark = h.delivered.length
    h.tick(1)
    const sizes = deliveredSince(h, mark, (m) => m.type === 'append' && m.to === 'n3' && m.entries.length > 0).map(entryCount)
    assert.ok(sizes.length >= 6)
    assert.ok(sizes.every((n) => n === 1), `two entries (2 x 31 bytes) would exceed 60: ${sizes}`)
    assert.equal(h.status('n3').commitIndex, 10)
  })

  it('§5.3 flow control: in replicate state a catch-up is pipelined up to maxInflight appends, not one per round trip', () => {
    const h = elected(3, {node: {maxAppendBytes: 40, maxInflight: 4}}) // one entry per append
    h.isolate('n3')
    for (let i = 0; i < 12; i++) h.propose('n1', `v${i}`)
    h.stabilize()
    h.heal()
    h.node('n1').tick() // heartbeat: n3 answers, is found behind and probed
    const perRound: number[] = []
    for (let round = 0; round < 100 && (h.queue.length > 0 || h.liveIds.some((id) => h.node(id).hasReady())); round++) {
      const mark = h.delivered.length
      h.deliverRound()
      perRound.push(deliveredSince(h, mark, (m) => m.type === 'append' && m.to === 'n3' && m.entries.length > 0).length)
    }
    assert.equal(h.status('n3').commitIndex, 16, 'n3 caught up')
    // Once the probe is acknowledged n3 is in replicate state: the leader may have 4 appends in
    // flight, so some round must carry 4 of them. The core sends one more append per
    // acknowledgement only, so the window never fills: 12 entries take 12 round trips.
    assert.equal(Math.max(...perRound), 4, `appends to n3 per round: ${perRound.join(' ')}`)
  })

  it('back-pressure: more than maxUncommittedEntries uncommitted entries are refused with NO_QUORUM', () => {
    const h = elected(3, {node: {maxUncommittedEntries: 3}})
    h.crash('n2')
    h.crash('n3')
    for (const t of ['a', 'b', 'c']) assert.equal(h.propose('n1', t).ok, true)
    const r = h.propose('n1', 'd')
    assert.equal(r.ok, false)
    assert.equal((r as {code: string}).code, 'NO_QUORUM')
    h.restart('n2')
    h.tick(1)
    assert.equal(h.propose('n1', 'd').ok, true)
  })

  it('durability: a follower that crashes before persisting never acknowledged; the leader re-sends', () => {
    const h = elected()
    h.isolate('n3')
    h.propose('n1', 'x')
    h.deliverRound() // n1 persists and sends; n2 steps the append but has not persisted it
    assert.equal(h.node('n2').status().lastIndex, 5)
    h.crash('n2')
    h.restart('n2')
    assert.equal(h.status('n2').lastIndex, 4, 'the unpersisted entry is gone')
    h.stabilize()
    assert.equal(h.status('n1').commitIndex, 4, 'never acknowledged, never counted')
    h.tick(1)
    assert.equal(h.status('n1').commitIndex, 5)
    assert.equal(h.status('n2').lastIndex, 5)
  })

  it('stepDown hands leadership to the most caught-up voter; alone it is refused', () => {
    const h = elected()
    h.isolate('n2')
    h.propose('n1', 'a')
    h.stabilize()
    h.heal()
    assert.equal(h.node('n1').mostCaughtUpFollower(), 'n3')
    assert.deepEqual(h.node('n1').stepDown(), {ok: true})
    h.stabilize()
    assert.equal(h.leader(), 'n3')
    const one = Harness.cluster(1)
    one.campaign('n1')
    one.stabilize()
    assert.equal((one.node('n1').stepDown() as {code?: string}).code, 'NO_QUORUM')
  })
})

describe('§5.4 safety', () => {
  it('§5.4.2 Figure 8: a leader never commits an entry of a previous term by counting replicas', () => {
    // Classic Raft as in the paper (no PreVote, no CheckQuorum); one entry per append so the
    // leader's term-4 entry can be held back while its term-2 entry spreads.
    const h = Harness.cluster(5, {node: {preVote: false, checkQuorum: false, maxAppendBytes: 1}})
    h.campaign('n1')
    h.stabilize()
    assert.equal(h.status('n1').commitIndex, 6) // 5 config entries + no-op of term 2
    // (a) S1 leads term 2 and appends index 7 (term 2); it reaches nobody else yet.
    h.isolate('n1')
    assert.deepEqual(h.propose('n1', 'x'), {ok: true, index: 7, term: 2})
    h.stabilize()
    // (b) S1 crashes; S5 wins term 3 with S3, S4 and appends its no-op at index 7 (term 3) locally.
    h.crash('n1')
    h.heal()
    h.isolate('n2')
    h.dropIf = (m) => m.from === 'n5' && m.type === 'append'
    h.campaign('n5')
    h.stabilize()
    assert.equal(h.status('n5').role, 'leader')
    assert.equal(h.status('n5').term, 3)
    assert.equal(h.node('n5').termAt(7), 3)
    // (c) S5 crashes; S1 restarts and wins term 4 with S2, S3; it spreads index 7 (term 2) to S2
    // and S3 (a majority), while its own term-4 no-op at index 8 stays on S1. (In the paper S2
    // already got index 2 in term 2; here S1 was isolated in (a), so S2 gets it now: the same
    // situation — the term-2 entry on a majority, the term-4 entry on S1 only.)
    h.crash('n5')
    h.heal()
    h.isolate('n4')
    h.dropIf = holdBackTerm4(h)
    h.restart('n1')
    h.campaign('n1') // term 3: refused by S3, which voted for S5 in term 3
    h.stabilize()
    h.campaign('n1')
    h.stabilize()
    assert.equal(h.status('n1').role, 'leader')
    assert.equal(h.status('n1').term, 4)
    for (const id of ['n1', 'n2', 'n3']) assert.equal(h.node(id).termAt(7), 2, `${id} holds 7/2`)
    const progress = new Map(h.status('n1').progress.map((p) => [p.id, p.match]))
    assert.equal(progress.get('n2'), 7)
    assert.equal(progress.get('n3'), 7)
    assert.equal(h.node('n1').termAt(8), 4)
    // The whole point: 7/2 is on a majority, yet it is not committed.
    assert.equal(h.status('n1').commitIndex, 6)
    assert.equal(h.status('n2').commitIndex, 6)
    assert.equal(h.status('n3').commitIndex, 6)
    // (d) S1 crashes; S5 wins term 5 with S2, S3, S4 and overwrites index 7 with its term-3 entry.
    h.crash('n1')
    h.heal()
    h.dropIf = null
    h.restart('n5')
    h.campaign('n5')
    h.stabilize()
    if (h.status('n5').role !== 'leader') {
      h.campaign('n5')
      h.stabilize()
    }
    assert.equal(h.status('n5').role, 'leader')
    assert.equal(h.status('n5').term, 5)
    for (const id of ['n2', 'n3', 'n4', 'n5']) {
      assert.equal(h.node(id).termAt(7), 3, `${id}: index 7 overwritten with term 3`)
      assert.equal(h.status(id).commitIndex, 8)
    }
    assert.equal(h.appliedAt.get(7)?.text, 'noop')
  })

  it('§5.4.2 Figure 8 (e): once the leader commits an entry of its own term, the earlier entries commit with it', () => {
    const h = Harness.cluster(5, {node: {preVote: false, checkQuorum: false}})
    h.campaign('n1')
    h.stabilize()
    h.isolate('n1')
    h.propose('n1', 'x')
    h.stabilize()
    h.crash('n1')
    h.heal()
    h.isolate('n2')
    h.dropIf = (m) => m.from === 'n5' && m.type === 'append'
    h.campaign('n5')
    h.stabilize()
    h.crash('n5')
    h.heal()
    h.dropIf = null
    h.isolate('n4')
    h.restart('n1')
    h.campaign('n1')
    h.stabilize()
    h.campaign('n1')
    h.stabilize()
    assert.equal(h.status('n1').term, 4)
    assert.equal(h.status('n1').commitIndex, 8, '7/2 commits together with 8/4')
    assert.deepEqual(h.applied('n1'), ['x'])
    // S5 can no longer win: a majority holds 8/4, which is more up-to-date than its 7/3.
    h.crash('n1')
    h.heal()
    h.restart('n5')
    for (let i = 0; i < 3; i++) {
      h.campaign('n5')
      h.stabilize()
    }
    assert.notEqual(h.status('n5').role, 'leader')
  })

  it('§5.4.2 Figure 8 (planted bug commitPreviousTerm): committing a term-2 entry by counting replicas loses it', () => {
    // The planted bug also skips the leader's no-op, so S5 appends a client entry in term 3.
    const h = Harness.cluster(5, {node: {preVote: false, checkQuorum: false, maxAppendBytes: 1, bugs: {commitPreviousTerm: true}}})
    h.campaign('n1')
    h.stabilize()
    h.isolate('n1')
    const x = h.propose('n1', 'x')
    assert.ok(x.ok)
    h.stabilize()
    h.crash('n1')
    h.heal()
    h.isolate('n2')
    h.dropIf = (m) => m.from === 'n5' && m.type === 'append'
    h.campaign('n5')
    h.stabilize()
    assert.equal(h.status('n5').role, 'leader')
    assert.deepEqual(h.propose('n5', 'y'), {ok: true, index: x.index, term: 3})
    h.stabilize()
    h.crash('n5')
    h.heal()
    h.isolate('n4')
    h.dropIf = null
    h.restart('n1')
    h.campaign('n1')
    h.stabilize()
    h.campaign('n1')
    h.stabilize()
    assert.equal(h.status('n1').term, 4)
    h.tick(1) // no no-op: a heartbeat round makes n1 probe its followers
    assert.equal(h.status('n1').commitIndex, x.index, 'the bug commits x (term 2) by counting n1, n2, n3')
    assert.deepEqual(h.applied('n1'), ['x'])
    h.crash('n1')
    h.heal()
    h.restart('n5')
    assert.throws(() => {
      for (let i = 0; i < 2; i++) {
        h.campaign('n5')
        h.stabilize()
        h.tick(1)
      }
    }, /state-machine safety|conflict at committed index/, 'S5 wins and overwrites the committed x with y')
  })

  it('Figure 7: followers with logs (a)-(f) all converge to the term-8 leader\'s log', () => {
    const voters = ids(7)
    const logs: Record<string, number[]> = {
      n1: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6], // the leader for term 8
      n2: [1, 1, 1, 4, 4, 5, 5, 6, 6], // (a)
      n3: [1, 1, 1, 4], // (b)
      n4: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6], // (c)
      n5: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7], // (d)
      n6: [1, 1, 1, 4, 4, 4, 4], // (e)
      n7: [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3], // (f)
    }
    const h = new Harness()
    for (const id of voters) {
      const t = logs[id]!
      h.addNodeFromState(id, stateWithLog(voters, t, {term: id === 'n1' ? 7 : Math.max(...t), commit: 3}))
    }
    h.stabilize()
    const mark = h.delivered.length
    h.campaign('n1')
    h.stabilize()
    assert.equal(h.leader(), 'n1')
    assert.equal(h.status('n1').term, 8)
    // (c) and (d) hold more up-to-date logs and refuse; (a), (b), (e), (f) vote for the leader.
    const granted = deliveredSince(h, mark, (m) => m.type === 'voteResp' && !m.pre && m.granted).map((m) => m.from)
    assert.deepEqual(granted, ['n2', 'n3', 'n6', 'n7'])
    const expected = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 8]
    for (const id of voters) {
      assert.deepEqual(h.logTerms(id), expected, `${id} log`)
      assert.deepEqual(h.persisted(id).entries.map((e) => e.term), expected, `${id} persisted log`)
      assert.equal(h.status(id).commitIndex, 11)
    }
    // Appends carrying entries that each follower needed before it matched (fast backtracking).
    const rounds = Object.fromEntries(voters.slice(1).map((id) => [id, deliveredSince(h, mark, (m) => m.type === 'append' && m.to === id && m.entries.length > 0).length]))
    assert.deepEqual(rounds, {n2: 2, n3: 2, n4: 1, n5: 1, n6: 2, n7: 2})
  })

  it('§5.4 leader completeness: a node missing a committed entry cannot be elected', () => {
    const h = elected()
    h.isolate('n3')
    h.propose('n1', 'x')
    h.stabilize()
    assert.equal(h.status('n1').commitIndex, 5)
    h.crash('n1')
    h.heal()
    // n3 lacks 5/2: n2 refuses its pre-vote and its vote; the only possible leader is n2.
    h.tick(T) // let the leases run out
    for (let i = 0; i < 3; i++) {
      h.campaign('n3')
      h.stabilize()
      assert.notEqual(h.status('n3').role, 'leader')
    }
    h.tickUntil(() => h.leader() !== null, 200)
    assert.equal(h.leader(), 'n2')
    assert.equal(h.node('n2').entryAt(5)?.term, 2)
    assert.deepEqual(h.applied('n3'), ['x'])
  })

  for (const seed of [1, 2, 3, 4]) {
    it(`§5.4 leader completeness and state-machine safety under crashes and partitions (seed ${seed})`, () => {
      const h = Harness.cluster(5, {seed})
      const rng = new SeededRng(seed * 31)
      let proposals = 0
      for (let step = 0; step < 150; step++) {
        const r = rng.int(10)
        const live = h.liveIds
        if (r < 4) {
          const leader = h.leader()
          if (leader) h.propose(leader, `v${++proposals}`)
        } else if (r === 4 && live.length > 3) {
          h.crash(live[rng.int(live.length)]!)
        } else if (r === 5) {
          for (const id of h.nodeIds) if (!h.isUp(id)) h.restart(id)
        } else if (r === 6) {
          const all = h.nodeIds
          const cut = 1 + rng.int(2)
          h.partition(all.slice(0, cut), all.slice(cut))
        } else if (r === 7) {
          h.heal()
        }
        h.tick(1 + rng.int(8))
        // Leader completeness: every live leader holds every entry ever applied anywhere.
        for (const id of h.liveIds) {
          const s = h.status(id)
          if (s.role !== 'leader') continue
          for (const [index, applied] of h.appliedAt) {
            if (index < s.firstIndex) continue
            assert.equal(h.node(id).termAt(index), applied.term, `leader ${id} (term ${s.term}) lacks committed ${index}/${applied.term}`)
          }
        }
      }
      // Liveness after healing: everything commits and every node applies the same sequence.
      h.heal()
      for (const id of h.nodeIds) if (!h.isUp(id)) h.restart(id)
      h.tickUntil(() => h.leader() !== null, 500)
      const leader = h.leader()!
      h.propose(leader, 'final')
      h.tick(3 * T)
      const expected = h.applied(h.leader()!)
      assert.equal(expected.at(-1), 'final')
      for (const id of h.nodeIds) assert.deepEqual(h.applied(id), expected, `${id} state machine`)
      assert.ok(h.leaders.size >= 1)
    })
  }
})

describe('§6 cluster membership changes', () => {
  it('§6 a learner receives the log, does not vote, does not campaign and does not count toward the quorum', () => {
    const h = elected()
    h.addNode('n4')
    assert.deepEqual(h.proposeConfChange('n1', {type: 'addLearner', node: 'n4'}), {ok: true, index: 5, term: 2})
    h.propose('n1', 'a')
    h.stabilize()
    const s4 = h.status('n4')
    assert.deepEqual(s4.conf, {voters: ['n1', 'n2', 'n3'], learners: ['n4']})
    assert.equal(s4.voter, false)
    assert.equal(s4.commitIndex, 6)
    assert.deepEqual(h.applied('n4'), ['a'])
    assert.equal(h.campaign('n4').ok, false)
    assert.equal((h.campaign('n4') as {code: string}).code, 'NOT_VOTER')
    // No vote request ever goes to the learner.
    h.crash('n1')
    h.tickUntil(() => h.leader() !== null, 200)
    assert.equal(h.delivered.some((m) => m.type === 'vote' && m.to === 'n4'), false)
    assert.notEqual(h.leader(), 'n4')
    assert.equal(h.status('n4').role, 'follower')
    h.restart('n1')
    h.tick(1)
    // Two voters down: the learner's acknowledgement does not make a quorum.
    const leader = h.leader()!
    for (const id of ['n1', 'n2', 'n3']) if (id !== leader) h.crash(id)
    const before = h.status(leader).commitIndex
    const p = h.propose(leader, 'b')
    assert.equal(p.ok, true)
    h.stabilize()
    assert.equal(h.status('n4').lastIndex, (p as {index: number}).index, 'the learner stored it')
    assert.equal(h.status(leader).commitIndex, before, 'but it is not committed')
  })

  it('§6 promoting a learner makes it a voter that counts toward the quorum', () => {
    const h = elected()
    h.addNode('n4')
    h.proposeConfChange('n1', {type: 'addLearner', node: 'n4'})
    h.stabilize()
    assert.deepEqual(h.proposeConfChange('n1', {type: 'promote', node: 'n4'}), {ok: true, index: 6, term: 2})
    h.stabilize()
    for (const id of h.nodeIds) {
      assert.deepEqual(h.status(id).conf, {voters: ['n1', 'n2', 'n3', 'n4'], learners: []})
      assert.equal(h.status(id).commitIndex, 6)
    }
    assert.equal(h.status('n4').voter, true)
    // Quorum is now 3 of 4: n1 + n4 alone cannot commit, n1 + n4 + n3 can.
    h.crash('n2')
    h.crash('n3')
    h.propose('n1', 'a')
    h.stabilize()
    assert.equal(h.status('n1').commitIndex, 6)
    h.restart('n3')
    h.tick(1)
    assert.equal(h.status('n1').commitIndex, 7)
  })

  it('§6 removing a voter: the rest commit without it and it is sent nothing once the removal commits', () => {
    const h = elected()
    assert.deepEqual(h.proposeConfChange('n1', {type: 'remove', node: 'n3'}), {ok: true, index: 5, term: 2})
    h.stabilize()
    assert.deepEqual(h.status('n1').conf, {voters: ['n1', 'n2'], learners: []})
    assert.deepEqual(h.status('n2').conf, {voters: ['n1', 'n2'], learners: []})
    assert.equal(h.status('n1').commitIndex, 5)
    assert.deepEqual(h.status('n1').progress.map((p) => p.id).sort(), ['n1', 'n2'])
    const markD = h.delivered.length
    const markX = h.dropped.length
    h.crash('n3')
    h.propose('n1', 'a')
    h.tick(3)
    assert.equal(h.status('n1').commitIndex, 6, 'n1 + n2 are a majority of the new configuration')
    assert.deepEqual([...h.delivered.slice(markD), ...h.dropped.slice(markX)].filter((m) => m.to === 'n3'), [])
  })

  it('§6 a node removed by an entry not yet committed still campaigns (dissertation §4.2.2), without counting itself, and steps down once the removal commits', () => {
    const h = elected(4)
    h.isolate('n1')
    assert.deepEqual(h.proposeConfChange('n1', {type: 'remove', node: 'n1'}), {ok: true, index: 6, term: 2})
    h.stabilize()
    h.crashAndRestart('n1')
    assert.equal(h.status('n1').lastIndex, 6, 'only n1 holds its removal, not committed')
    assert.deepEqual(h.status('n1').conf, {voters: ['n2', 'n3', 'n4'], learners: []})
    h.crash('n4')
    h.heal()
    // n2 and n3 need 3 votes of n1..n4; n1 refuses them (its log is longer) and n4 is down: only n1 can lead.
    h.tickUntil(() => h.status('n2').commitIndex >= 6 && h.leader() !== null && h.leader() !== 'n1', 800)
    const n1 = roleChanges(h, 'n1')
    const won = n1.indexOf('candidate>leader@3:won')
    assert.ok(won > 0, `n1, still needed, was elected by n2 and n3: ${n1.join(' ')}`)
    assert.deepEqual(n1.slice(won + 1), ['leader>follower@3:removed'], 'then stepped down once its removal committed')
    assert.deepEqual(h.status('n2').conf, {voters: ['n2', 'n3', 'n4'], learners: []})
    assert.ok(['n2', 'n3'].includes(h.leader()!), `leader ${h.leader()}`)
  })

  it('§6 removing the leader: it leads until the removal commits (without counting itself), then steps down', () => {
    const h = elected()
    h.crash('n3')
    assert.deepEqual(h.proposeConfChange('n1', {type: 'remove', node: 'n1'}), {ok: true, index: 5, term: 2})
    h.stabilize()
    // The new configuration {n2, n3} needs both: n1's own copy does not count.
    assert.equal(h.status('n1').role, 'leader')
    assert.equal(h.status('n1').commitIndex, 4)
    assert.deepEqual(h.status('n1').conf, {voters: ['n2', 'n3'], learners: []})
    h.restart('n3')
    h.tick(1)
    assert.equal(h.status('n1').commitIndex, 5)
    assert.equal(h.status('n1').role, 'follower')
    assert.deepEqual(roleChanges(h, 'n1').at(-1), 'leader>follower@2:removed')
    h.tickUntil(() => h.leader() !== null, 200)
    assert.ok(['n2', 'n3'].includes(h.leader()!))
    assert.equal(h.status(h.leader()!).term, 3)
  })

  it('§6 only one membership change may be pending: the next is refused with CONF_CHANGE_PENDING until it commits', () => {
    const h = elected()
    h.addNode('n4')
    assert.equal(h.proposeConfChange('n1', {type: 'addLearner', node: 'n4'}).ok, true)
    const second = h.proposeConfChange('n1', {type: 'promote', node: 'n4'})
    assert.equal(second.ok, false)
    assert.equal((second as {code: string}).code, 'CONF_CHANGE_PENDING')
    h.stabilize()
    assert.equal(h.proposeConfChange('n1', {type: 'promote', node: 'n4'}).ok, true)
  })

  it('§6 a new leader refuses a membership change until it has committed an entry of its own term', () => {
    const h = Harness.cluster(3)
    h.campaign('n1')
    while (h.status('n1').role !== 'leader') h.deliverRound()
    assert.equal(h.status('n1').commitIndex, 3)
    const r = h.proposeConfChange('n1', {type: 'remove', node: 'n3'})
    assert.equal(r.ok, false)
    assert.equal((r as {code: string}).code, 'CONF_CHANGE_PENDING')
    h.stabilize()
    assert.equal(h.status('n1').commitIndex, 4)
    assert.equal(h.proposeConfChange('n1', {type: 'remove', node: 'n3'}).ok, true)
  })

  it('§6 strict reconfiguration: removing a voter while another has not been heard for an election timeout is refused (UNSAFE_CHANGE); force appends it', () => {
    const h = elected()
    h.isolate('n2')
    h.tick(1)
    assert.equal(h.status('n1').progress.find((p) => p.id === 'n2')?.recentlyHeard, true, 'within the election timeout n2 still counts')
    h.tickUntil(() => h.status('n1').progress.find((p) => p.id === 'n2')?.recentlyHeard === false, 2 * T)
    assert.equal(h.leader(), 'n1', 'n1 and n3 are a quorum of {n1, n2, n3}')
    const lastIndex = h.status('n1').lastIndex
    const r = h.proposeConfChange('n1', {type: 'remove', node: 'n3'})
    assert.equal(r.ok, false)
    assert.equal((r as {code: string}).code, 'UNSAFE_CHANGE')
    assert.match((r as {message: string}).message, /^n2 has not been heard by the leader n1 for \d+ ticks \(election timeout 10\); after removing n3 only 1 of 2 voters would be reachable, quorum 2$/)
    assert.equal(h.status('n1').lastIndex, lastIndex, 'nothing was appended')
    assert.deepEqual(h.status('n1').conf, {voters: ['n1', 'n2', 'n3'], learners: []})
    // A change of learners only leaves the voters as they are: not checked.
    h.addNode('n4')
    assert.equal(h.proposeConfChange('n1', {type: 'addLearner', node: 'n4'}).ok, true)
    h.tick(1)
    // Forced, the removal goes in: {n1, n2} cannot commit it while n2 is cut off, and n1 loses its quorum.
    assert.deepEqual(h.proposeConfChange('n1', {type: 'remove', node: 'n3'}, {force: true}), {ok: true, index: lastIndex + 2, term: 2})
    assert.deepEqual(h.status('n1').conf, {voters: ['n1', 'n2'], learners: ['n4']})
    h.tick(2 * T)
    assert.equal(h.status('n1').commitIndex, lastIndex + 1)
    assert.notEqual(h.status('n1').role, 'leader')
  })

  it('§6 strict reconfiguration: removing the silent voter, or promoting a learner the leader hears, is allowed; a voter never heard does not count', () => {
    const h = elected()
    h.addNode('n4')
    assert.equal(h.proposeConfChange('n1', {type: 'addLearner', node: 'n4'}).ok, true)
    h.stabilize()
    h.isolate('n2')
    h.tickUntil(() => h.status('n1').progress.find((p) => p.id === 'n2')?.recentlyHeard === false, 2 * T)
    // {n1, n3, n4, n2}: 3 of 4 heard, quorum 3.
    assert.equal(h.proposeConfChange('n1', {type: 'promote', node: 'n4'}).ok, true)
    h.tick(1)
    // {n1, n2, n3}: 2 of 3 heard, quorum 2.
    assert.equal(h.proposeConfChange('n1', {type: 'remove', node: 'n4'}).ok, true)
    h.tick(1)
    // {n1, n2, n3, n5}: n5 has never answered (it is cut off), 2 of 4 heard, quorum 3.
    h.addNode('n5')
    h.isolate('n5')
    const add = h.proposeConfChange('n1', {type: 'addVoter', node: 'n5'})
    assert.equal((add as {code: string}).code, 'UNSAFE_CHANGE')
    assert.match((add as {message: string}).message, /n5 has not been heard by the leader n1 yet/)
    assert.match((add as {message: string}).message, /after adding n5 as a voter only 2 of 4 voters would be reachable, quorum 3/)
    assert.equal(h.proposeConfChange('n1', {type: 'remove', node: 'n2'}).ok, true, '{n1, n3}: both heard')
  })

  it('§6 membership requests are validated: NOT_LEADER, NODE_NOT_FOUND, BAD_REQUEST', () => {
    const h = elected()
    const code = (r: ProposeResult): string | undefined => (r.ok ? undefined : r.code)
    assert.equal(code(h.proposeConfChange('n2', {type: 'addLearner', node: 'n4'})), 'NOT_LEADER')
    assert.equal(code(h.proposeConfChange('n1', {type: 'remove', node: 'n9'})), 'NODE_NOT_FOUND')
    assert.equal(code(h.proposeConfChange('n1', {type: 'promote', node: 'n2'})), 'NODE_NOT_FOUND')
    assert.equal(code(h.proposeConfChange('n1', {type: 'addLearner', node: 'n2'})), 'BAD_REQUEST')
    assert.equal(code(h.proposeConfChange('n1', {type: 'addVoter', node: 'n3'})), 'BAD_REQUEST')
  })
})

describe('§7 log compaction and InstallSnapshot', () => {
  it('§7 a follower far behind receives the snapshot, installs it (Ready.snapshot) and catches up', () => {
    const h = elected()
    h.isolate('n3')
    for (let i = 1; i <= 6; i++) h.propose('n1', `k${i}`)
    h.stabilize()
    assert.equal(h.status('n1').commitIndex, 10)
    const snap = h.compact('n1', 8)
    assert.deepEqual(snap.meta, {index: 8, term: 2, conf: {voters: ['n1', 'n2', 'n3'], learners: []}})
    assert.equal(h.status('n1').firstIndex, 9)
    h.heal()
    const mark = h.delivered.length
    h.tick(1)
    const snaps = deliveredSince(h, mark, (m) => m.type === 'snapshot')
    assert.equal(snaps.length, 1)
    assert.equal(snaps[0]!.to, 'n3')
    const installed = h.readies.filter((r) => r.id === 'n3' && r.ready.snapshot !== null)
    assert.equal(installed.length, 1)
    assert.equal(installed[0]!.ready.snapshot!.meta.index, 8)
    assert.deepEqual(installed[0]!.ready.committedEntries, [], 'no entries are applied together with a snapshot')
    const s3 = h.status('n3')
    assert.equal(s3.snapshotIndex, 8)
    assert.equal(s3.commitIndex, 10)
    assert.equal(s3.lastIndex, 10)
    assert.deepEqual(h.applied('n3'), ['k1', 'k2', 'k3', 'k4', 'k5', 'k6'])
    assert.equal(h.status('n1').progress.find((p) => p.id === 'n3')?.state, 'replicate')
    // It restarts from the persisted snapshot plus the entries after it.
    h.crashAndRestart('n3')
    h.stabilize()
    assert.equal(h.status('n3').firstIndex, 9)
    assert.deepEqual(h.applied('n3'), ['k1', 'k2', 'k3', 'k4', 'k5', 'k6'])
  })

  it('§7 a blank node added after the leader compacted its log from index 1 is sent the snapshot', () => {
    const h = elected()
    for (let i = 1; i <= 3; i++) h.propose('n1', `k${i}`)
    h.stabilize()
    h.compact('n1', 7)
    assert.equal(h.status('n1').firstIndex, 8)
    h.addNode('n4')
    assert.deepEqual(h.proposeConfChange('n1', {type: 'addLearner', node: 'n4'}), {ok: true, index: 8, term: 2})
    h.stabilize()
    h.tick(3)
    const s4 = h.status('n4')
    assert.equal(s4.snapshotIndex, 7, 'n4 installed the snapshot')
    assert.equal(s4.commitIndex, 8)
    assert.deepEqual(s4.conf, {voters: ['n1', 'n2', 'n3'], learners: ['n4']})
    assert.deepEqual(h.applied('n4'), ['k1', 'k2', 'k3'])
    // An append that probes below the log start must never stand in for the snapshot.
    const belowStart = h.delivered.filter((m) => m.type === 'append' && m.from === 'n1' && m.to === 'n4' && m.prevIndex < 7)
    assert.deepEqual(belowStart, [])
  })

  it('§7 entries kept behind the snapshot let a slightly lagging follower catch up by appends alone', () => {
    const h = elected()
    h.isolate('n3')
    for (let i = 1; i <= 6; i++) h.propose('n1', `k${i}`)
    h.stabilize()
    h.compact('n1', 10, 4) // snapshot at 10, entries 5..10 kept
    assert.equal(h.status('n1').firstIndex, 5)
    assert.equal(h.status('n1').snapshotIndex, 10)
    h.heal()
    const mark = h.delivered.length
    h.tick(1)
    assert.equal(deliveredSince(h, mark, (m) => m.type === 'snapshot').length, 0)
    assert.equal(h.status('n3').commitIndex, 10)
    assert.equal(h.status('n3').snapshotIndex, 0)
  })

  it('§7 a snapshot older than the follower\'s commit index is acknowledged and ignored', () => {
    const h = elected()
    for (let i = 1; i <= 3; i++) h.propose('n1', `k${i}`)
    h.stabilize()
    const snap = h.compact('n1', 6)
    h.node('n2').step({type: 'snapshot', from: 'n1', to: 'n2', term: 2, snapshot: snap})
    h.processReady('n2')
    const out = takeQueued(h) as AppendResponse[]
    assert.deepEqual(out.map((m) => [m.type, m.success, m.index]), [['appendResp', true, 7]])
    assert.equal(h.status('n2').snapshotIndex, 0)
    assert.equal(h.readies.filter((r) => r.id === 'n2' && r.ready.snapshot !== null).length, 0)
  })
})

describe('dissertation §3.10 leadership transfer', () => {
  it('§3.10 transfer to an up-to-date voter: TimeoutNow, the target wins the next term, proposals refused meanwhile', () => {
    const h = elected()
    const mark = h.delivered.length
    assert.deepEqual(h.transfer('n1', 'n3'), {ok: true})
    const r = h.propose('n1', 'x')
    assert.equal(r.ok, false)
    assert.equal((r as {code: string}).code, 'TRANSFER_IN_PROGRESS')
    h.stabilize()
    assert.equal(h.leader(), 'n3')
    assert.equal(h.status('n3').term, 3)
    assert.equal(h.status('n1').role, 'follower')
    assert.equal(h.status('n1').leader, 'n3')
    const kinds = deliveredSince(h, mark, (m) => m.type === 'timeoutNow' || (m.type === 'vote' && m.from === 'n3'))
    assert.deepEqual(kinds.map((m) => `${m.type}:${m.from}>${m.to}:${m.term}:${m.type === 'vote' ? (m.pre ? 'pre' : '') + (m.transfer ? 'transfer' : '') : ''}`), [
      'timeoutNow:n1>n3:2:',
      'vote:n3>n1:3:transfer',
      'vote:n3>n2:3:transfer',
    ])
    assert.deepEqual(roleChanges(h, 'n3').slice(-2), ['follower>candidate@3:transfer', 'candidate>leader@3:won'])
    assert.equal(h.propose('n3', 'y').ok, true)
  })

  it('§3.10 transfer to a lagging voter: the leader first brings it up to date, then sends TimeoutNow', () => {
    const h = elected()
    h.isolate('n3')
    for (let i = 0; i < 4; i++) h.propose('n1', `k${i}`)
    h.stabilize()
    h.heal()
    assert.equal(h.status('n3').lastIndex, 4)
    const mark = h.delivered.length
    h.transfer('n1', 'n3')
    assert.equal((h.propose('n1', 'x') as {code?: string}).code, 'TRANSFER_IN_PROGRESS')
    h.stabilize()
    const seq = deliveredSince(h, mark, (m) => m.to === 'n3' && (m.type === 'append' || m.type === 'timeoutNow')).map((m) => m.type)
    assert.equal(seq.at(-1), 'timeoutNow')
    assert.ok(seq.indexOf('append') < seq.indexOf('timeoutNow'))
    assert.equal(h.leader(), 'n3')
    assert.equal(h.status('n3').term, 3)
    assert.deepEqual(h.applied('n3'), ['k0', 'k1', 'k2', 'k3'])
  })

  it('§3.10 a transfer to a target that is down is aborted after an election timeout; proposals resume', () => {
    const h = elected()
    h.crash('n3')
    h.transfer('n1', 'n3')
    h.tick(T - 1)
    assert.equal((h.propose('n1', 'x') as {code?: string}).code, 'TRANSFER_IN_PROGRESS')
    assert.equal(h.status('n1').transferee, 'n3')
    h.tick(1)
    assert.equal(h.status('n1').transferee, null)
    assert.deepEqual(h.events('n1').filter((e) => e.type.startsWith('transfer')), [
      {type: 'transferStarted', to: 'n3', term: 2},
      {type: 'transferAborted', to: 'n3', term: 2},
    ])
    assert.equal(h.status('n1').role, 'leader')
    assert.equal(h.status('n1').term, 2)
    assert.deepEqual(h.propose('n1', 'x'), {ok: true, index: 5, term: 2})
  })

  it('§3.10 transfer requests are validated: NOT_LEADER, NOT_VOTER', () => {
    const h = elected()
    assert.equal((h.transfer('n2', 'n3') as {code?: string}).code, 'NOT_LEADER')
    assert.equal((h.transfer('n1', 'n9') as {code?: string}).code, 'NOT_VOTER')
    assert.deepEqual(h.transfer('n1', 'n1'), {ok: true})
    assert.equal(h.status('n1').transferee, null)
  })
})

describe('dissertation §9.6 PreVote', () => {
  it('§9.6 a partitioned node that rejoins raises neither its own nor the cluster\'s term and does not disrupt the leader', () => {
    const h = elected()
    h.isolate('n3')
    h.tick(10 * T)
    assert.equal(h.status('n3').term, 2)
    assert.equal(h.status('n3').role, 'precandidate')
    h.heal()
    h.tick(2 * T)
    for (const id of h.nodeIds) {
      assert.equal(h.status(id).term, 2)
      assert.equal(h.status(id).leader, 'n1')
    }
    assert.deepEqual([...h.leaders], [[2, 'n1']])
    assert.equal(roleChanges(h, 'n1').filter((c) => c.startsWith('leader>')).length, 0)
  })

  it('§9.6 (contrast) without PreVote the rejoining node\'s higher term deposes the leader', () => {
    const h = elected(3, {node: {preVote: false}})
    h.isolate('n3')
    h.tick(10 * T)
    const t3 = h.status('n3').term
    assert.ok(t3 > 2)
    h.heal()
    h.tick(3 * T)
    assert.ok(h.status(h.leader()!).term > 2)
    assert.equal(roleChanges(h, 'n1').includes('leader>follower@' + t3 + ':higherTerm'), true)
  })
})

describe('CheckQuorum', () => {
  it('CheckQuorum: a leader cut off from the majority steps down within two election timeouts', () => {
    const h = elected()
    h.isolate('n1')
    const ticks = h.tickUntil(() => h.status('n1').role !== 'leader', 10 * T, ['n1'])
    // The check runs every T ticks; the first one after the isolation still sees the answers to
    // the election's appends (recentActive), the second finds nobody: step-down at tick 2T.
    assert.equal(ticks, 2 * T, `stepped down after ${ticks} ticks`)
    assert.equal(h.status('n1').role, 'follower')
    assert.equal(h.status('n1').term, 2, 'stepping down does not raise the term')
    assert.equal(h.status('n1').leader, null)
    assert.equal(roleChanges(h, 'n1').at(-1), 'leader>follower@2:checkQuorum')
    assert.equal(h.propose('n1', 'x').ok, false)
    // Meanwhile the majority side elects a leader of its own.
    h.tickUntil(() => ['n2', 'n3'].some((id) => h.status(id).role === 'leader'), 200, ['n2', 'n3'])
  })

  it('CheckQuorum: followers with a live leader ignore vote and pre-vote requests; transfer requests pass', () => {
    const h = elected()
    h.tick(1)
    const ask = (pre: boolean, transfer: boolean): Message[] => {
      h.node('n2').step({type: 'vote', from: 'n3', to: 'n2', term: 3, lastIndex: 10, lastTerm: 2, pre, transfer})
      h.processReady('n2')
      return takeQueued(h)
    }
    assert.deepEqual(ask(true, false), [])
    assert.deepEqual(ask(false, false), [])
    assert.equal(h.status('n2').term, 2)
    assert.equal(h.status('n2').leader, 'n1')
    const out = ask(false, true)
    assert.equal(out.length, 1)
    assert.equal((out[0] as VoteResponse).granted, true)
    assert.equal(h.status('n2').term, 3)
  })

  it('CheckQuorum: a leader that keeps hearing from a majority stays leader', () => {
    const h = elected(5)
    h.crash('n4')
    h.crash('n5')
    h.tick(10 * T)
    assert.equal(h.status('n1').role, 'leader')
    assert.equal(h.status('n1').term, 2)
  })
})

describe('ReadIndex (§6.4 of the dissertation)', () => {
  it('ReadIndex: a read is released only after a quorum acknowledges a heartbeat round, at the commit index', () => {
    const h = elected()
    h.propose('n1', 'a')
    h.stabilize()
    assert.deepEqual(h.readIndex('n1', 42), {ok: true})
    h.processReady('n1') // sends the heartbeat round
    const beats = h.queue.filter((m) => m.type === 'heartbeat')
    assert.equal(beats.length, 2)
    assert.deepEqual(h.readStates('n1'), [])
    h.deliverRound() // heartbeats delivered
    assert.deepEqual(h.readStates('n1'), [])
    h.cut('n3', 'n1') // one acknowledgement is enough with the leader's own
    h.deliverRound() // n2's and n3's answers (n3's dropped)
    h.processReady('n1')
    assert.deepEqual(h.readStates('n1'), [{id: 42, index: 5}])
  })

  it('ReadIndex: a leader cut off from the majority never releases a read', () => {
    const h = elected()
    h.isolate('n1')
    h.readIndex('n1', 1)
    h.tickUntil(() => h.status('n1').role !== 'leader', 3 * T, ['n1'])
    h.tick(2 * T, ['n1'])
    assert.deepEqual(h.readStates('n1'), [])
  })

  it('ReadIndex: reads before the leader\'s first commit of its term wait for it and get its index', () => {
    const h = Harness.cluster(3)
    h.campaign('n1')
    while (h.status('n1').role !== 'leader') h.deliverRound()
    assert.equal(h.status('n1').commitIndex, 3)
    assert.deepEqual(h.readIndex('n1', 1), {ok: true})
    h.deliverRound()
    assert.deepEqual(h.readStates('n1'), [])
    h.stabilize()
    assert.deepEqual(h.readStates('n1'), [{id: 1, index: 4}])
  })

  it('ReadIndex: a follower refuses with NOT_LEADER and names the leader; a single voter releases at once', () => {
    const h = elected()
    assert.deepEqual(h.readIndex('n2', 1), {ok: false, code: 'NOT_LEADER', message: 'not the leader', leader: 'n1'})
    const one = Harness.cluster(1)
    one.campaign('n1')
    one.stabilize()
    one.readIndex('n1', 9)
    one.processReady('n1')
    assert.deepEqual(one.readStates('n1'), [{id: 9, index: 2}])
  })
})

describe('manual campaign and single-node clusters', () => {
  it('manual campaign: a node campaigns at once, raising the term (term 1 -> 2), and wins', () => {
    const h = Harness.cluster(3)
    for (const id of h.nodeIds) assert.equal(h.status(id).term, 1)
    assert.deepEqual(h.campaign('n2'), {ok: true})
    h.stabilize()
    assert.equal(h.leader(), 'n2')
    for (const id of h.nodeIds) assert.equal(h.status(id).term, 2)
    // A manual campaign is forced: no pre-vote.
    assert.deepEqual(roleChanges(h, 'n2'), ['follower>candidate@2:manual', 'candidate>leader@2:won'])
    // Campaigning again on a node that already leads changes nothing.
    assert.deepEqual(h.campaign('n2'), {ok: true})
    h.stabilize()
    assert.equal(h.status('n2').term, 2)
  })

  it('manual campaign is forced: it bypasses the lease and raises the term while the leader is healthy', () => {
    const h = elected()
    const before = h.status('n1').term
    assert.equal(h.leader(), 'n1')
    h.campaign('n2')
    h.stabilize()
    assert.equal(h.leader(), 'n2', 'followers grant a forced vote despite hearing from n1')
    assert.equal(h.status('n2').term, before + 1)
    assert.equal(h.status('n1').role, 'follower')
  })

  it('an ordinary election by timeout respects the lease: a node cut off only from the leader cannot depose it', () => {
    const h = elected()
    // n3 stops hearing from n1 but still talks to n2, which hears from n1.
    h.dropIf = (m) => (m.from === 'n1' && m.to === 'n3') || (m.from === 'n3' && m.to === 'n1')
    h.tick(4 * T)
    h.stabilize()
    assert.equal(h.leader(), 'n1')
    assert.equal(h.status('n2').term, h.status('n1').term, 'n2 ignored the pre-votes of n3')
  })

  it('a single-voter cluster elects itself and commits on its own persistence', () => {
    const h = Harness.cluster(1)
    h.tickUntil(() => h.leader() === 'n1', 3 * T)
    assert.equal(h.status('n1').term, 2)
    assert.equal(h.status('n1').commitIndex, 2)
    h.propose('n1', 'a')
    h.stabilize()
    assert.equal(h.status('n1').commitIndex, 3)
    assert.deepEqual(h.applied('n1'), ['a'])
  })
})

describe('the Ready contract (src/raft/README.md)', () => {
  const all = (h: Harness, id: NodeId): Ready[] => h.readies.filter((r) => r.id === id).map((r) => r.ready)

  it('Ready: votes and vote responses wait for persistence; the leader\'s appends and heartbeats go out at once', () => {
    const h = Harness.cluster(3)
    const start = h.readies.length
    h.campaign('n1')
    h.stabilize()
    h.propose('n1', 'a')
    h.stabilize()
    h.tick(1)
    const readies = h.readies.slice(start)
    for (const {id, ready} of readies) {
      for (const m of ready.messages) {
        assert.equal(id, 'n1')
        assert.ok(['append', 'heartbeat', 'snapshot', 'timeoutNow'].includes(m.type), `immediate ${m.type}`)
      }
      for (const m of ready.messagesAfterPersist) {
        assert.ok(['vote', 'voteResp', 'appendResp', 'heartbeatResp'].includes(m.type), `after persist ${m.type}`)
      }
    }
    const after = readies.flatMap((r) => r.ready.messagesAfterPersist.map((m) => m.type))
    assert.ok(after.includes('vote') && after.includes('voteResp') && after.includes('appendResp'))
    const now = readies.flatMap((r) => r.ready.messages.map((m) => m.type))
    assert.ok(now.includes('append') && now.includes('heartbeat'))
  })

  it('Ready: the hard state appears when it changes and only then; entries appear once', () => {
    const h = Harness.cluster(3)
    const first = all(h, 'n2')
    assert.deepEqual(first[0]!.hardState, {term: 1, vote: null, commit: 3}, 'the bootstrap is persisted')
    assert.equal(first[0]!.entries.length, 3)
    const start = h.readies.length
    h.campaign('n1')
    h.stabilize()
    const n2 = h.readies.slice(start).filter((r) => r.id === 'n2').map((r) => r.ready)
    const states = n2.map((rd) => rd.hardState)
    // pre-vote: nothing; vote: term 2 + vote; append: nothing new; commit: commit 4.
    assert.deepEqual(states.filter((s) => s !== null), [
      {term: 2, vote: 'n1', commit: 3},
      {term: 2, vote: 'n1', commit: 4},
    ])
    assert.ok(states.some((s) => s === null), 'a Ready without a change carries no hard state')
    assert.deepEqual(n2.flatMap((rd) => rd.entries.map((e) => e.index)), [4])
    h.tick(1)
    const later = h.readies.slice(start).filter((r) => r.id === 'n2').map((r) => r.ready)
    assert.equal(later.at(-1)!.hardState, null)
  })

  it('Ready: the leader counts its own entry only once persisted (after advance)', () => {
    const h = Harness.cluster(1)
    h.campaign('n1')
    h.stabilize()
    h.propose('n1', 'a')
    const n = h.node('n1')
    const rd = n.ready()
    assert.deepEqual(rd.entries.map((e) => e.index), [3])
    assert.equal(n.status().commitIndex, 2, 'not committed before the entry is persisted')
    n.advance()
    assert.equal(n.status().commitIndex, 3)
    const next = n.ready()
    assert.deepEqual(next.committedEntries.map((e) => e.index), [3])
    assert.deepEqual(next.hardState, {term: 2, vote: 'n1', commit: 3})
    n.advance()
  })

  it('Ready: proposals are refused on followers with NOT_LEADER and too-large ones with PAYLOAD_TOO_LARGE', () => {
    const h = elected(3, {node: {maxProposalBytes: 4}})
    assert.deepEqual(h.propose('n2', 'x'), {ok: false, code: 'NOT_LEADER', message: 'not the leader', leader: 'n1'})
    assert.equal((h.node('n1').propose(bytes('12345')) as {code?: string}).code, 'PAYLOAD_TOO_LARGE')
    assert.equal(h.propose('n1', '1234').ok, true)
  })

  it('the VoteRequest sent after a won pre-vote is not flagged `transfer` (only forced elections bypass the lease)', () => {
    const h = Harness.cluster(3)
    const mark = h.delivered.length
    h.tickUntil(() => h.leader() !== null, 4 * T)
    const votes = deliveredSince(h, mark, (m) => m.type === 'vote' && !m.pre)
    assert.ok(votes.length >= 2)
    for (const v of votes) assert.equal((v as {transfer: boolean}).transfer, false, 'an ordinary election must not bypass the leader lease')
  })
})
