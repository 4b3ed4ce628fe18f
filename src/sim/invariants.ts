/**
 * Safety properties checked by the simulator at every step: election safety (one leader per
 * term), log matching, leader completeness, state-machine safety, no acknowledged write lost,
 * commit index monotonic, and exactly-once (a client write retried with the same session seq
 * takes effect once). A violation is thrown as `Violation` with the property's name.
 */
import {createHash} from 'node:crypto'
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

/**
 * The consistency hash of docs/doctor.md, as `raftctl check consistency` and the daemon's
 * scheduled check compute it: SHA-256 (hex) of the state machine's snapshot encoding.
 */
export function consistencyHash(sm: KvStateMachine): string {
  return createHash('sha256').update(sm.snapshot()).digest('hex')
}

/**
 * The end-of-seed consistency check: every node that applied the same index has the same
 * consistency hash (nodes at different indexes are not compared). Throws `consistency-hash`.
 */
export function checkConsistencyHashes(nodes: readonly {readonly id: NodeId; readonly applied: number; readonly sm: KvStateMachine}[]): void {
  const seen = new Map<number, {id: NodeId; hash: string}>()
  for (const n of nodes) {
    const hash = consistencyHash(n.sm)
    const first = seen.get(n.applied)
    if (first === undefined) seen.set(n.applied, {id: n.id, hash})
    else if (first.hash !== hash) throw new Violation('consistency-hash', `${n.id} and ${first.id} both applied ${n.applied} but their state hashes differ (${hash.slice(0, 12)} vs ${first.hash.slice(0, 12)})`)
  }
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

  /**
   * Disaster recovery from one survivor (docs/testing.md): the committed entries it does not
   * hold are lost, and only those are forgotten. `held(i)` is the survivor's entry at `i` (its
   * log after `snapshotIndex`; entries at or below it are covered by its snapshot). Returns the
   * first lost index (`maxCommitted + 1` when nothing is lost). A committed entry the survivor
   * holds after one it lacks breaks log matching: a Violation, never forgotten. From the first
   * lost index on, the committed entries and the states after them are forgotten (the recovered
   * cluster commits its own there); the log-matching records past the survivor's `lastIndex`
   * and the leaders of terms after its `term` belonged only to nodes that are gone for good.
   */
  rebase(survivor: {readonly id: NodeId; readonly snapshotIndex: number; readonly lastIndex: number; readonly term: number}, held: (index: number) => {term: number; fp: number} | undefined): number {
    let lost = this.maxCommitted + 1
    for (let i = survivor.snapshotIndex + 1; i <= this.maxCommitted; i++) {
      const c = this.committed.get(i)
      if (c === undefined) continue
      const e = held(i)
      const same = e !== undefined && e.term === c.term && e.fp === c.fp
      if (!same && lost > i) lost = i
      if (same && i > lost) throw new Violation('log-matching', `recovery survivor ${survivor.id} holds committed entry ${i} but not committed entry ${lost}`)
    }
    for (const i of [...this.committed.keys()]) if (i >= lost) this.committed.delete(i)
    for (const i of [...this.smHash.keys()]) if (i >= lost) this.smHash.delete(i)
    for (const [key, record] of [...this.entries]) if (record.index > survivor.lastIndex) this.entries.delete(key)
    for (const term of [...this.leaders.keys()]) if (term > survivor.term) this.leaders.delete(term)
    this.commitSeen.clear()
    this.maxCommitted = Math.min(this.maxCommitted, lost - 1)
    return lost
  }

  /**
   * A crash took `node` back to the durable term `durableTerm`: forget the log-matching records
   * it alone made of entries of later terms. Nobody else saw such an entry (the core sends
   * nothing of a term before the term is durable), so it never existed for the cluster, and the
   * node may win that term again and write other entries there. Only a single voter can lead a
   * term it has not persisted (it elects itself in one step: a recovered cluster before it grows
   * back), and the simulated torn write may keep some of that term's entries without the hard
   * state (FileStorage drops such a batch whole).
   */
  forgetUnpersistedTerms(node: NodeId, durableTerm: number): void {
    for (const [key, record] of [...this.entries]) if (record.node === node && record.term > durableTerm) this.entries.delete(key)
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
  private readonly entries = new Map<number, {fp: number; prevTerm: number; node: NodeId; index: number; term: number}>()

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
        this.entries.set(key, {fp: e.fp, prevTerm: prev.term, node: n.id, index: i, term: e.term})
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
  /** key → the appends acknowledged to it: token and the log index it was acknowledged at. */
  private readonly appended = new Map<string, {token: string; index: number}[]>()

  /** A client was answered for (clientId, seq) at log `index`: the write must have succeeded (and, for an append, once). */
  acknowledged(clientId: string, seq: number, command: KvWriteCommand, result: KvResult | null, index: number): void {
    const what = `${clientId} seq ${seq} (${command.op} ${commandTarget(command)})`
    if (result === null || !result.ok) {
      const why = result === null ? 'no result' : `${result.code}: ${result.message}`
      throw new Violation('exactly-once', `${what} was answered with an error although its session is current: ${why}`)
    }
    if (command.op !== 'append' || result.op !== 'append') return
    const times = countToken(result.value, command.value)
    if (times !== 1) throw new Violation('exactly-once', `${what}: its result holds the appended token ${times} times`)
    const list = this.appended.get(command.key) ?? []
    list.push({token: command.value, index})
    this.appended.set(command.key, list)
  }

  /** Disaster recovery lost the log from `index` on: appends acknowledged there are no longer required (at most once still is). */
  forgetFrom(index: number): number {
    let forgotten = 0
    for (const [key, list] of this.appended) {
      const kept = list.filter((a) => a.index < index)
      forgotten += list.length - kept.length
      this.appended.set(key, kept)
    }
    return forgotten
  }

  /** Check the final values of the append keys (`read` gives a key's value on a converged node). */
  checkFinal(keys: readonly string[], read: (key: string) => string | null): void {
    for (const key of keys) {
      const counts = new Map<string, number>()
      for (const token of tokensOf(read(key) ?? '')) counts.set(token, (counts.get(token) ?? 0) + 1)
      for (const [token, n] of counts) {
        if (n > 1) throw new Violation('exactly-once', `append ${token} applied ${n} times to ${key}`)
      }
      for (const {token} of this.appended.get(key) ?? []) {
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
