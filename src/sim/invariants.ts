/**
 * Safety properties checked by the simulator at every step: election safety (one leader per
 * term), log matching, leader completeness, state-machine safety, no acknowledged write lost,
 * commit index monotonic. A violation is thrown as `Violation` with the property's name.
 */
import type {NodeId} from '../raft/types.js'

/** A broken safety or liveness property. `property` is a stable name. */
export class Violation extends Error {
  constructor(readonly property: string, detail: string) {
    super(`${property}: ${detail}`)
    this.name = 'Violation'
  }
}

/** What a node's log and state look like to the checker. */
export interface NodeView {
  readonly id: NodeId
  readonly role: string
  readonly term: number
  readonly commitIndex: number
  readonly firstIndex: number
  readonly lastIndex: number
  readonly snapshotIndex: number
  /** Term and data fingerprint of the entry at `index`, if held. */
  entry(index: number): {term: number; fp: number} | undefined
}

/** Fingerprint of entry data (FNV-1a). */
export function fingerprint(data: Uint8Array): number {
  let h = 0x811c9dc5
  for (let i = 0; i < data.length; i++) {
    h ^= data[i]!
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h ^ data.length
}

/** Accumulated knowledge of the run, and the checks against it. */
export class Invariants {
  /** term → the leader elected in it. */
  private readonly leaders = new Map<number, NodeId>()
  /** index → the (term, fingerprint) committed there (first applied anywhere). */
  readonly committed = new Map<number, {term: number; fp: number}>()
  /** index → state-machine hash after applying it (first observed). */
  private readonly smHash = new Map<number, number>()
  /** Highest index known committed anywhere. */
  maxCommitted = 0
  /** node → highest commit index it has durably reported (never goes back, even across restarts). */
  private readonly commitSeen = new Map<NodeId, number>()

  /** Election safety: at most one leader per term. */
  checkLeader(id: NodeId, term: number): void {
    const prev = this.leaders.get(term)
    if (prev !== undefined && prev !== id) {
      throw new Violation('election-safety', `two leaders in term ${term}: ${prev} and ${id}`)
    }
    this.leaders.set(term, id)
  }

  /** State-machine safety: every node applies the same entry, and reaches the same state, at each index. */
  checkApplied(node: NodeId, index: number, term: number, fp: number, hash: number): void {
    const c = this.committed.get(index)
    if (c === undefined) {
      this.committed.set(index, {term, fp})
      if (index > this.maxCommitted) this.maxCommitted = index
    } else if (c.term !== term || c.fp !== fp) {
      throw new Violation('state-machine-safety', `${node} applied (term ${term}) at index ${index} but (term ${c.term}) was applied there before`)
    }
    const h = this.smHash.get(index)
    if (h === undefined) this.smHash.set(index, hash)
    else if (h !== hash) throw new Violation('state-machine-safety', `${node}'s state after index ${index} differs from another node's`)
  }

  /** A node restored a snapshot at `index` with state hash `hash`: it must match what was applied there. */
  checkSnapshotState(node: NodeId, index: number, hash: number): void {
    const h = this.smHash.get(index)
    if (h !== undefined && h !== hash) throw new Violation('state-machine-safety', `${node} restored a snapshot at ${index} whose state differs`)
  }

  /** An acknowledged write at `index` must be the entry committed there. */
  checkAcknowledged(index: number, fp: number): void {
    const c = this.committed.get(index)
    if (c === undefined) throw new Violation('acknowledged-write-lost', `write acknowledged at index ${index} was never applied`)
    if (c.fp !== fp) throw new Violation('acknowledged-write-lost', `write acknowledged at index ${index} but another entry is committed there`)
  }

  /** The commit index a node reports never goes back. */
  checkCommitMonotonic(node: NodeId, commit: number): void {
    const prev = this.commitSeen.get(node) ?? 0
    if (commit < prev) throw new Violation('commit-monotonic', `${node}'s commit index went back from ${prev} to ${commit}`)
    this.commitSeen.set(node, commit)
  }

  /** Forget a node's commit floor (its disk was lost — never used for crashes, which keep the disk). */
  resetCommit(node: NodeId): void {
    this.commitSeen.delete(node)
  }

  /** Leader completeness: a leader's log holds every committed entry. */
  checkLeaderCompleteness(leader: NodeView): void {
    for (let i = Math.max(leader.snapshotIndex + 1, 1); i <= this.maxCommitted; i++) {
      const c = this.committed.get(i)
      if (c === undefined) continue
      const e = leader.entry(i)
      if (e === undefined || e.term !== c.term || e.fp !== c.fp) {
        throw new Violation('leader-completeness', `leader ${leader.id} of term ${leader.term} lacks committed entry ${i} (term ${c.term})`)
      }
    }
  }

  /** (index, term) → fingerprint and predecessor term, for every entry ever seen in any log. */
  private readonly entries = new Map<number, {fp: number; prevTerm: number; node: NodeId}>()

  /**
   * Log matching: if two logs hold an entry with the same index and term, they are identical
   * up to it. Checked incrementally: every (index, term) must always carry one fingerprint and
   * one predecessor term, across all logs and all time. Only the node's uncommitted tail (from
   * its commit index) is scanned: committed entries are covered by state-machine safety.
   */
  checkLogMatching(n: NodeView): void {
    for (let i = Math.max(n.firstIndex + 1, n.commitIndex); i <= n.lastIndex; i++) {
      const e = n.entry(i)
      const prev = n.entry(i - 1)
      if (e === undefined || prev === undefined) continue
      const key = i * 1_000_003 + e.term
      const s = this.entries.get(key)
      if (s === undefined) {
        this.entries.set(key, {fp: e.fp, prevTerm: prev.term, node: n.id})
      } else if (s.fp !== e.fp || s.prevTerm !== prev.term) {
        throw new Violation('log-matching', `${s.node} and ${n.id} both hold index ${i} term ${e.term} but their logs differ at or before it`)
      }
    }
  }
}
