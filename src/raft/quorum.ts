/**
 * Majority-quorum arithmetic: the committed index of a set of match indexes, and vote tallies.
 * Kept apart from the node so the math is tested on its own against a naive oracle.
 */
import type {NodeId} from './types.js'

/** Size of a majority of `n` voters (n >= 1). */
export function majority(n: number): number {
  return Math.floor(n / 2) + 1
}

/**
 * The highest index replicated on a majority of `voters`: the majority-th largest match index.
 * Voters missing from `match` count as 0. With no voters returns 0.
 */
export function committedIndex(voters: readonly NodeId[], match: (id: NodeId) => number): number {
  if (voters.length === 0) return 0
  const indexes = voters.map(match).sort((x, y) => y - x)
  return indexes[majority(voters.length) - 1]!
}

/** Outcome of a vote tally. */
export type VoteResult = 'won' | 'lost' | 'pending'

/**
 * Tally the votes of `voters`: won when a majority granted, lost when a majority cannot be
 * reached any more, otherwise pending. Votes from non-voters are ignored.
 */
export function tallyVotes(voters: readonly NodeId[], votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  let granted = 0
  let rejected = 0
  for (const id of voters) {
    const v = votes.get(id)
    if (v === true) granted++
    else if (v === false) rejected++
  }
  const need = majority(voters.length)
  if (granted >= need) return 'won'
  if (voters.length - rejected < need) return 'lost'
  return 'pending'
}

/** True when the nodes in `active` (plus `self`) form a majority of `voters`. */
export function hasQuorum(voters: readonly NodeId[], isActive: (id: NodeId) => boolean): boolean {
  let n = 0
  for (const id of voters) if (isActive(id)) n++
  return n >= majority(voters.length)
}
