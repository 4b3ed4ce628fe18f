/**
 * A shared leaf (src/common): the majority-quorum arithmetic every layer outside the pure core
 * uses (membership planning, the status summary, chaos schedules). The core keeps its own
 * `majority` in src/raft/quorum.ts because it imports nothing; both are the same formula.
 */

/**
 * Votes (or acknowledgements) needed out of `voters`: a strict majority, `⌊voters / 2⌋ + 1`.
 * Two majorities of one voter set always share a voter, which is what makes an elected leader
 * and a committed entry unique.
 */
export function quorumOf(voters: number): number {
  return Math.floor(voters / 2) + 1
}

/**
 * How many more of `voters` voters may fail while a quorum stays up, given that `up` of them
 * are up now (default: all): `min(up, voters) − quorum`, never below 0. With every voter up this
 * is the cluster's fault tolerance (1 of 3, 2 of 5); with a quorum already lost it is 0.
 */
export function tolerates(voters: number, up: number = voters): number {
  return Math.max(0, Math.min(up, voters) - quorumOf(voters))
}

/** True when `up` voters out of `voters` are a quorum (can elect a leader and commit). */
export function hasQuorum(voters: number, up: number): boolean {
  return up >= quorumOf(voters)
}
