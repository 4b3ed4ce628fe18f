/**
 * Replication lag, the one rule behind the LAG column of `raftctl status` (and `lag` of its
 * `--json` rows), `member list` and the dashboard: how many of the leader's entries a node does
 * not hold yet, from the leader's progress where it knows, from the node's own log where it
 * does not. Pure arithmetic over status snapshots.
 */
import type {NodeStatus, ProgressInfo} from '../admin/protocol.js'

/** What {@link replicationLag} reads of the leader's status. */
export type LeaderView = Pick<NodeStatus, 'id' | 'term' | 'lastIndex'> & {readonly progress: readonly Pick<ProgressInfo, 'id' | 'match'>[]}

/** What {@link replicationLag} reads of the node's own status. */
export type NodeLog = Pick<NodeStatus, 'lastIndex' | 'lastTerm'>

/**
 * Entries node `id` is behind the leader: the leader's last index minus the highest index the
 * node is known to share with the leader's log, never negative. That index is:
 *
 * - the node's own last index when its last entry is from the leader's term (only this leader
 *   writes entries of its term, so by Log Matching the whole log up to there is the leader's),
 *   or the leader's match if higher (the two snapshots are not taken at the same instant);
 * - else the leader's match for it, when the leader knows one (`match > 0`);
 * - else the node's own last index: a new leader starts every follower at match 0 until it
 *   hears back, and a node cut off since the election is never heard, so match 0 says nothing
 *   (taking it as 0 showed `LAST 4 │ LAG 4` right after an election, `LAST 20 │ LAG 21`
 *   during a partition).
 *
 * Without the node's status (`node` null: down, or a member on another host) only a known
 * match gives a lag; otherwise null (unknown). The leader itself is 0 behind.
 */
export function replicationLag(leader: LeaderView, id: string, node: NodeLog | null): number | null {
  if (id === leader.id) return 0
  const match = leader.progress.find((p) => p.id === id)?.match ?? 0
  const known = match > 0
  let shared: number
  if (node === null) {
    if (!known) return null
    shared = match
  } else if (node.lastTerm === leader.term) {
    shared = Math.max(match, node.lastIndex)
  } else {
    shared = known ? match : node.lastIndex
  }
  return Math.max(0, leader.lastIndex - shared)
}
