/**
 * The shape `raftctl recover` compares survivors by: what a node's log holds. Read offline from
 * a stopped node's folder by src/daemon (readStoredPosition) and compared by src/cluster
 * (recover.ts), which may not import each other: the one definition lives in this shared leaf.
 */

/** What a node's log holds: its hard state's term and commit, its last entry, its membership. */
export interface LogPosition {
  readonly term: number
  readonly commitIndex: number
  readonly lastIndex: number
  readonly lastTerm: number
  readonly voters: readonly string[]
  readonly learners: readonly string[]
}
