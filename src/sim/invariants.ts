/**
 * Safety properties checked by the simulator at every step: election safety (one leader per
 * term), log matching, leader completeness, state-machine safety, no acknowledged write lost,
 * commit index monotonic, and exactly-once (a client write retried with the same session seq
 * takes effect once). A violation is thrown as `Violation` with the property's name.
 */
import type {NodeId} from '../raft/types.js'
import type {KvResult, KvStateMachine, KvWriteCommand} from '../kv/index.js'

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

/**
 * Digest of a KV state machine's whole state, sessions included: the fingerprint of its
 * snapshot bytes (byte-identical on every node that applied the same entries).
 */
export function stateDigest(sm: KvStateMachine): number {
  return fingerprint(sm.snapshot())
}

/** Accumulated knowledge of the run, and the checks against it. */
export class Invariants {
  /** term → the leader elected in it. */
  private readonly leaders = new Map<number, NodeId>()
  /** index → the (term, fingerprint) committed there (first applied anywhere). */
  readonly committed = new Map<number, {term: number; fp: number}>()
  /** index → digest of the state machine's state after applying it (first observed). */
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

  /**
   * State-machine safety: every node applies the same entry at each index and reaches the same
   * state (`digest` of its whole state after applying it). Returns true when `index` is applied
   * here for the first time anywhere (the entry is then known committed).
   */
  checkApplied(node: NodeId, index: number, term: number, fp: number, digest: number): boolean {
    const c = this.committed.get(index)
    let first = false
    if (c === undefined) {
      this.committed.set(index, {term, fp})
      if (index > this.maxCommitted) this.maxCommitted = index
      first = true
    } else if (c.term !== term || c.fp !== fp) {
      throw new Violation('state-machine-safety', `${node} applied (term ${term}) at index ${index} but (term ${c.term}) was applied there before`)
    }
    this.checkState(node, index, digest, 'state after index')
    return first
  }

  /** A node took or restored a snapshot at `index` whose state has digest `digest`: it must match every other state seen there. */
  checkSnapshotState(node: NodeId, index: number, digest: number): void {
    this.checkState(node, index, digest, 'snapshot state at')
  }

  private checkState(node: NodeId, index: number, digest: number, what: string): void {
    const h = this.smHash.get(index)
    if (h === undefined) this.smHash.set(index, digest)
    else if (h !== digest) throw new Violation('state-machine-safety', `${node}'s ${what} ${index} differs from another node's`)
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

/** What a write names, for traces: its key, `prefix*` for a deletePrefix, `txn` for a txn. */
export function commandTarget(command: KvWriteCommand): string {
  return command.op === 'deletePrefix' ? `${command.prefix}*` : command.op === 'txn' ? 'txn' : command.key
}

/**
 * Exactly-once, from the clients' side: every acknowledged write succeeded, an acknowledged
 * append's result holds its token once, and in the final state every append token (one per
 * clientId and seq, however often the request was retried) appears at most once, and
 * exactly once when acknowledged.
 */
export class ExactlyOnce {
  /** key → tokens of the appends acknowledged to it. */
  private readonly appended = new Map<string, string[]>()

  /** A client was answered for (clientId, seq): the write must have succeeded (and, for an append, once). */
  acknowledged(clientId: string, seq: number, command: KvWriteCommand, result: KvResult | null): void {
    const what = `${clientId} seq ${seq} (${command.op} ${commandTarget(command)})`
    if (result === null || !result.ok) {
      const why = result === null ? 'no result' : `${result.code}: ${result.message}`
      throw new Violation('exactly-once', `${what} was answered with an error although its session is current: ${why}`)
    }
    if (command.op !== 'append' || result.op !== 'append') return
    const times = countToken(result.value, command.value)
    if (times !== 1) throw new Violation('exactly-once', `${what}: its result holds the appended token ${times} times`)
    const list = this.appended.get(command.key) ?? []
    list.push(command.value)
    this.appended.set(command.key, list)
  }

  /** Check the final values of the append keys (`read` gives a key's value on a converged node). */
  checkFinal(keys: readonly string[], read: (key: string) => string | null): void {
    for (const key of keys) {
      const counts = new Map<string, number>()
      for (const token of tokensOf(read(key) ?? '')) counts.set(token, (counts.get(token) ?? 0) + 1)
      for (const [token, n] of counts) {
        if (n > 1) throw new Violation('exactly-once', `append ${token} applied ${n} times to ${key}`)
      }
      for (const token of this.appended.get(key) ?? []) {
        if (!counts.has(token)) throw new Violation('exactly-once', `acknowledged append ${token} is missing from ${key}`)
      }
    }
  }
}

/** The `;`-terminated tokens of an append key's value, each with its terminator. */
function tokensOf(value: string): string[] {
  return value.split(';').filter((t) => t.length > 0).map((t) => `${t};`)
}

function countToken(value: string, token: string): number {
  return tokensOf(value).filter((t) => t === token).length
}
