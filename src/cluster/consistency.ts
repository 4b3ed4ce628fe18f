/**
 * `raftctl check consistency`: every node hashes its state machine at the same applied index
 * (SHA-256 of the KV snapshot encoding, docs/doctor.md) and the hashes are compared; the odd
 * ones out are named. The index is the highest commit index any node reports: nodes behind
 * answer once they applied it; when a node's state already moved past it (writes meanwhile:
 * `INDEX_PASSED`) the round is asked again at a newer index, a bounded number of times.
 */
import type {NodeStatus} from '../admin/protocol.js'
import {oddOnesOut} from '../common/odd-ones.js'
import type {DoctorTarget} from './doctor.js'

/** Rounds asked before giving up when nodes keep moving past the index. */
export const CONSISTENCY_ATTEMPTS = 5

/** One node's answer. */
export interface NodeHash {
  readonly id: string
  /** Hex SHA-256, or null when the node could not answer (see `error`). */
  readonly hash: string | null
  readonly error: {readonly code: string; readonly message: string} | null
}

/** `raftctl check consistency --json`. */
export interface ConsistencyReport {
  /** The applied index every hash is taken at. */
  readonly index: number
  /** True when every node that answered has the same hash. */
  readonly consistent: boolean
  /** Nodes whose hash differs from the most common one. */
  readonly odd: readonly string[]
  readonly nodes: readonly NodeHash[]
  /** Rounds asked (more than one when nodes moved past the index). */
  readonly attempts: number
}

/** Options of {@link checkConsistency}. */
export interface ConsistencyOptions {
  /** How long each node may take (to reach the index, then to hash), ms. */
  readonly timeoutMs: number
  readonly attempts?: number
}

/** Hash every target at one index and compare. Never throws for a node that fails: it is listed with its error. */
export async function checkConsistency(targets: readonly DoctorTarget[], options: ConsistencyOptions): Promise<ConsistencyReport> {
  const attempts = options.attempts ?? CONSISTENCY_ATTEMPTS
  let last: ConsistencyReport | null = null
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const statuses = await Promise.all(targets.map((t) => t.client.status({timeoutMs: options.timeoutMs}).catch(() => null)))
    const index = Math.max(0, ...statuses.filter((s): s is NodeStatus => s !== null).map((s) => s.commitIndex))
    const nodes = await Promise.all(targets.map(async ({id, client}): Promise<NodeHash> => {
      try {
        return {id, hash: (await client.hash(index, {timeoutMs: options.timeoutMs})).hash, error: null}
      } catch (error) {
        const e = error as {code?: string; message: string}
        return {id, hash: null, error: {code: e.code ?? 'FAILED', message: e.message}}
      }
    }))
    const hashes: Record<string, string> = {}
    for (const n of nodes) if (n.hash !== null) hashes[n.id] = n.hash
    const odd = oddOnesOut(hashes)
    last = {index, consistent: odd.length === 0, odd, nodes, attempts: attempt}
    if (!nodes.some((n) => n.error?.code === 'INDEX_PASSED')) return last
  }
  return last!
}
