/**
 * The LAG of `raftctl status` (replicationLag, src/cluster/lag.ts) over synthetic status
 * snapshots, including the two cases of issue 22 item 7 where LAG contradicted LAST: right after
 * an election (`LAST 4 │ LAG 4`) and during a partition (`LAST 20 │ LAG 21`), both from a new
 * leader's match 0 ("not heard from yet") read as "holds nothing".
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {replicationLag, type LeaderView} from '../../src/cluster/index.js'

/** A leader of `term` with last index `lastIndex` and the given match per follower. */
function leader(term: number, lastIndex: number, match: Record<string, number>): LeaderView {
  return {id: 'n1', term, lastIndex, progress: [{id: 'n1', match: lastIndex}, ...Object.entries(match).map(([id, m]) => ({id, match: m}))]}
}

describe('replicationLag', () => {
  it('right after an election (match 0, not heard from yet): the gap to the node\'s own log, not its whole log', () => {
    // n1 won term 3 with log 1..4 and has not appended its no-op yet; n3 holds 1..4 of term 2.
    assert.equal(replicationLag(leader(3, 4, {n2: 0, n3: 0}), 'n3', {lastIndex: 4, lastTerm: 2}), 0)
    // With the no-op appended (index 5): one behind.
    assert.equal(replicationLag(leader(3, 5, {n2: 0, n3: 0}), 'n3', {lastIndex: 4, lastTerm: 2}), 1)
  })

  it('during a partition (a node cut off since the election, never heard): at most the gap between the last indexes', () => {
    // n3 isolated with 1..20 of term 4; the majority elected n1 in term 5, which appended its no-op at 21.
    const lag = replicationLag(leader(5, 21, {n2: 21, n3: 0}), 'n3', {lastIndex: 20, lastTerm: 4})
    assert.equal(lag, 1)
    // And as the majority goes on writing, the lag grows with it.
    assert.equal(replicationLag(leader(5, 60, {n2: 60, n3: 0}), 'n3', {lastIndex: 20, lastTerm: 4}), 40)
  })

  it('uses the leader\'s match when it knows one: entries past it on the node may conflict', () => {
    // n3 holds 1..12 but its 11..12 are from an old term the leader overwrote; the leader matched it at 10.
    assert.equal(replicationLag(leader(5, 15, {n3: 10}), 'n3', {lastIndex: 12, lastTerm: 3}), 5)
  })

  it('a node whose last entry is from the leader\'s term shares its whole log: a stale match does not inflate the lag', () => {
    // The leader's last ack from n2 said 8, but n2 already holds 1..14 of term 5 (the ack is on its way).
    assert.equal(replicationLag(leader(5, 15, {n2: 8}), 'n2', {lastIndex: 14, lastTerm: 5}), 1)
    // The node's snapshot taken before the leader's: the higher match wins.
    assert.equal(replicationLag(leader(5, 15, {n2: 15}), 'n2', {lastIndex: 14, lastTerm: 5}), 0)
  })

  it('is never negative: a node holding more entries (an old term\'s uncommitted tail) is 0 behind', () => {
    assert.equal(replicationLag(leader(6, 10, {n3: 0}), 'n3', {lastIndex: 13, lastTerm: 4}), 0)
  })

  it('the leader is 0 behind; without the node\'s status only a known match gives a lag', () => {
    assert.equal(replicationLag(leader(5, 15, {n2: 9}), 'n1', {lastIndex: 15, lastTerm: 5}), 0)
    assert.equal(replicationLag(leader(5, 15, {n2: 9}), 'n2', null), 6)
    assert.equal(replicationLag(leader(5, 15, {n2: 0}), 'n2', null), null)
    assert.equal(replicationLag(leader(5, 15, {}), 'n9', null), null)
  })
})
