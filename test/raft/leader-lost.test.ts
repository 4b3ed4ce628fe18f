/**
 * A follower told that its leader is unreachable (RaftNode.reportUnreachable: the daemon's
 * transport lost or was refused the connection) forgets the leader and runs out its election
 * timeout early, so a dead leader is replaced within [1, electionTicks] ticks instead of
 * [electionTicks, 2·electionTicks); a follower told so about a live leader causes no election.
 * Bare cores through the deterministic harness.
 */
import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import {Harness} from './harness.js'

const ELECTION_TICKS = 20

/** A 3-node cluster where n1 leads and has committed a write; `hint`: the survivors are told when n1 crashes. */
function ticksToReplaceCrashedLeader(seed: number, hint: boolean): {ticks: number; termBefore: number; termAfter: number} {
  const h = Harness.cluster(3, {seed, node: {electionTicks: ELECTION_TICKS}})
  assert.deepEqual(h.campaign('n1'), {ok: true})
  h.stabilize()
  assert.equal(h.propose('n1', 'x').ok, true)
  h.tick(3)
  const termBefore = h.status('n2').term
  h.crash('n1')
  if (hint) for (const id of ['n2', 'n3']) h.node(id).reportUnreachable('n1')
  const ticks = h.tickUntil(() => h.leader() !== null && h.leader() !== 'n1', 10 * ELECTION_TICKS)
  return {ticks, termBefore, termAfter: h.status(h.leader()!).term}
}

describe('a follower told its leader is unreachable', () => {
  it('replaces a crashed leader within electionTicks where the ordinary timeout takes at least electionTicks, splitting votes as rarely', () => {
    const seeds = Array.from({length: 20}, (_, i) => i + 1)
    const told = seeds.map((s) => ticksToReplaceCrashedLeader(s, true))
    const untold = seeds.map((s) => ticksToReplaceCrashedLeader(s, false))
    for (const r of untold) assert.ok(r.ticks >= ELECTION_TICKS, `untold: ${r.ticks} ticks`)
    // Two followers drawing the same tick split the vote (1 in electionTicks, as with the ordinary
    // timeout); every other trial takes one election within electionTicks.
    const split = (r: {termBefore: number; termAfter: number}): boolean => r.termAfter > r.termBefore + 1
    for (const r of told.filter((t) => !split(t))) assert.ok(r.ticks <= ELECTION_TICKS, `told: ${r.ticks} ticks`)
    assert.ok(told.filter(split).length <= 2, `told: ${told.filter(split).length} split votes of ${told.length}`)
    const mean = (rs: {ticks: number}[]): number => rs.reduce((a, r) => a + r.ticks, 0) / rs.length
    assert.ok(mean(told) < 0.5 * mean(untold), `mean ticks: told ${mean(told)}, untold ${mean(untold)}`)
  })

  it('about a live leader: forgets it until the next heartbeat, and its PreVote is refused, so no election happens', () => {
    const h = Harness.cluster(3, {seed: 7, node: {electionTicks: ELECTION_TICKS}})
    assert.deepEqual(h.campaign('n1'), {ok: true})
    h.stabilize()
    const term = h.status('n1').term
    h.cut('n1', 'n2') // n2 hears nothing from n1 for a while (its connection dropped)
    h.node('n2').reportUnreachable('n1')
    assert.equal(h.status('n2').leader, null)
    h.tick(3 * ELECTION_TICKS)
    assert.ok(h.events('n2').some((e) => e.type === 'electionStarted' && e.pre), 'n2 ran a PreVote')
    assert.ok(!h.events('n2').some((e) => e.type === 'electionStarted' && !e.pre), 'but no real election')
    for (const id of ['n1', 'n2', 'n3']) assert.equal(h.status(id).term, term, `${id} stays in term ${term}`)
    h.heal()
    h.tick(2)
    assert.equal(h.leader(), 'n1')
    assert.equal(h.status('n2').leader, 'n1')
  })

  it('about a peer that is not its leader: changes nothing', () => {
    const h = Harness.cluster(3, {seed: 3, node: {electionTicks: ELECTION_TICKS}})
    assert.deepEqual(h.campaign('n1'), {ok: true})
    h.stabilize()
    const before = h.status('n2')
    h.node('n2').reportUnreachable('n3')
    const after = h.status('n2')
    assert.equal(after.leader, 'n1')
    assert.equal(after.electionTimeout, before.electionTimeout)
  })

  it('about a leader that is still there: its next heartbeat brings back a full election timeout (review finding; was kept short until the next role change)', () => {
    let shortened = 0
    for (let seed = 1; seed <= 40; seed++) {
      const h = Harness.cluster(3, {seed, node: {electionTicks: ELECTION_TICKS}})
      assert.deepEqual(h.campaign('n1'), {ok: true})
      h.stabilize()
      h.node('n2').reportUnreachable('n1') // a late notice: the link is already back
      if (h.status('n2').electionTimeout < ELECTION_TICKS) shortened++
      h.tick(7) // a heartbeat from n1 arrives
      assert.equal(h.status('n2').leader, 'n1', `seed ${seed}`)
      assert.ok(h.status('n2').electionTimeout >= ELECTION_TICKS, `seed ${seed}: timeout ${h.status('n2').electionTimeout} < ${ELECTION_TICKS} after the leader was heard again`)
    }
    assert.ok(shortened > 0, 'the notice did shorten the timeout in some seeds (else this test proves nothing)')
  })
})
