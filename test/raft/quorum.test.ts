/**
 * Quorum arithmetic (src/raft/quorum.ts) against naive brute-force oracles, with fast-check.
 */
import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import {committedIndex, hasQuorum, majority, tallyVotes} from '../../src/raft/quorum.js'

/** Oracle: the largest i such that at least floor(n/2)+1 voters have match >= i (0 if none). */
function committedOracle(matches: readonly number[]): number {
  const n = matches.length
  if (n === 0) return 0
  const need = Math.floor(n / 2) + 1
  const top = Math.max(0, ...matches)
  for (let i = top; i > 0; i--) {
    if (matches.filter((m) => m >= i).length >= need) return i
  }
  return 0
}

/**
 * Oracle: enumerate every way the missing votes could still come in. Won if every completion
 * wins (i.e. the grants alone suffice), lost if none does, pending otherwise.
 */
function tallyOracle(voters: readonly string[], votes: ReadonlyMap<string, boolean>): 'won' | 'lost' | 'pending' {
  const n = voters.length
  const pending = voters.filter((v) => !votes.has(v))
  const granted = voters.filter((v) => votes.get(v) === true).length
  let wins = 0
  for (let mask = 0; mask < 1 << pending.length; mask++) {
    let extra = 0
    for (let b = 0; b < pending.length; b++) if (mask & (1 << b)) extra++
    if ((granted + extra) * 2 > n) wins++
  }
  if (wins === 1 << pending.length) return 'won'
  if (wins === 0) return 'lost'
  return 'pending'
}

const voterSet = fc.uniqueArray(fc.integer({min: 1, max: 12}), {minLength: 1, maxLength: 9}).map((xs) => xs.map((x) => `n${x}`))

describe('quorum: majority', () => {
  it('majority(n) is floor(n/2)+1 for small n', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map(majority), [1, 2, 2, 3, 3, 4, 4])
  })

  it('property: any two majorities of n intersect, and a majority minus one is not one', () => {
    fc.assert(fc.property(fc.integer({min: 1, max: 1000}), (n) => {
      const m = majority(n)
      return m <= n && 2 * m > n && 2 * (m - 1) <= n
    }))
  })
})

describe('quorum: committedIndex', () => {
  it('examples: the majority-th largest match; missing voters count as 0; no voters gives 0', () => {
    const match = (m: Record<string, number>) => (id: string) => m[id] ?? 0
    assert.equal(committedIndex(['a', 'b', 'c'], match({a: 5, b: 3, c: 9})), 5)
    assert.equal(committedIndex(['a', 'b', 'c', 'd'], match({a: 5, b: 3, c: 9, d: 4})), 4)
    assert.equal(committedIndex(['a', 'b', 'c'], match({a: 5})), 0)
    assert.equal(committedIndex(['a', 'b', 'c'], match({a: 5, z: 100, y: 100})), 0, 'non-voters do not count')
    assert.equal(committedIndex(['a'], match({a: 7})), 7)
    assert.equal(committedIndex([], match({a: 7})), 0)
  })

  it('property: equals the brute-force oracle max{i : |{v : match(v) >= i}| >= floor(n/2)+1}', () => {
    fc.assert(fc.property(fc.array(fc.nat({max: 20}), {minLength: 1, maxLength: 9}), (matches) => {
      const voters = matches.map((_, i) => `v${i}`)
      const got = committedIndex(voters, (id) => matches[Number(id.slice(1))]!)
      assert.equal(got, committedOracle(matches))
    }), {numRuns: 2000})
  })

  it('property: does not depend on the order of the voters, and never exceeds the median-ish bound', () => {
    fc.assert(fc.property(fc.array(fc.nat({max: 50}), {minLength: 1, maxLength: 9}), fc.nat(), (matches, rot) => {
      const voters = matches.map((_, i) => `v${i}`)
      const k = rot % voters.length
      const rotated = [...voters.slice(k), ...voters.slice(0, k)]
      const f = (id: string): number => matches[Number(id.slice(1))]!
      const c = committedIndex(voters, f)
      assert.equal(committedIndex(rotated, f), c)
      // At least a majority holds c, and fewer than a majority hold c + 1.
      assert.ok(matches.filter((m) => m >= c).length >= majority(matches.length))
      assert.ok(matches.filter((m) => m >= c + 1).length < majority(matches.length))
    }))
  })
})

describe('quorum: tallyVotes', () => {
  it('examples', () => {
    const v = ['a', 'b', 'c']
    assert.equal(tallyVotes(v, new Map([['a', true]])), 'pending')
    assert.equal(tallyVotes(v, new Map([['a', true], ['b', true]])), 'won')
    assert.equal(tallyVotes(v, new Map([['a', true], ['b', false]])), 'pending')
    assert.equal(tallyVotes(v, new Map([['a', true], ['b', false], ['c', false]])), 'lost')
    assert.equal(tallyVotes(v, new Map([['a', true], ['x', true], ['y', true]])), 'pending', 'non-voters are ignored')
    assert.equal(tallyVotes(['a', 'b', 'c', 'd'], new Map([['a', true], ['b', true], ['c', false], ['d', false]])), 'lost', 'a tie loses')
    assert.equal(tallyVotes(['a'], new Map([['a', true]])), 'won')
  })

  it('property: equals the oracle that enumerates every completion of the missing votes', () => {
    const arb = voterSet.chain((voters) =>
      fc.tuple(
        fc.constant(voters),
        fc.array(fc.tuple(fc.oneof(fc.constantFrom(...voters), fc.constantFrom('x1', 'x2', 'x3')), fc.boolean()), {maxLength: 14}),
      ),
    )
    fc.assert(fc.property(arb, ([voters, pairs]) => {
      const votes = new Map(pairs)
      assert.equal(tallyVotes(voters, votes), tallyOracle(voters, votes))
    }), {numRuns: 3000})
  })

  it('property: more grants never turn won into anything else; more refusals never turn lost into anything else', () => {
    fc.assert(fc.property(voterSet, fc.array(fc.boolean(), {maxLength: 9}), fc.nat(), (voters, bits, pick) => {
      const votes = new Map<string, boolean>()
      bits.forEach((b, i) => {
        if (i < voters.length) votes.set(voters[i]!, b)
      })
      const before = tallyVotes(voters, votes)
      const extra = voters[pick % voters.length]!
      if (votes.has(extra)) return
      const granted = new Map(votes).set(extra, true)
      const refused = new Map(votes).set(extra, false)
      if (before === 'won') assert.equal(tallyVotes(voters, granted), 'won')
      if (before === 'lost') assert.equal(tallyVotes(voters, refused), 'lost')
      if (before === 'won') assert.equal(tallyVotes(voters, refused), 'won')
    }))
  })
})

describe('quorum: hasQuorum', () => {
  it('property: true iff the active voters are a majority', () => {
    fc.assert(fc.property(voterSet, fc.array(fc.boolean(), {minLength: 9, maxLength: 9}), (voters, act) => {
      const active = (id: string): boolean => act[voters.indexOf(id)] === true
      const count = voters.filter(active).length
      assert.equal(hasQuorum(voters, active), count >= Math.floor(voters.length / 2) + 1)
    }))
  })
})
