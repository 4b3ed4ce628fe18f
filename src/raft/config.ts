/**
 * Options of one Raft core, with their documented defaults. Time is counted in ticks: the
 * driver decides how long a tick is (the daemon's default is 5 ms: NODE_DEFAULTS in
 * src/common/defaults.ts).
 */
import type {NodeId} from './types.js'
import type {Rng} from './rng.js'
import type {LogBugs} from './log.js'

/** Test-only seams that plant classic Raft bugs (never set outside tests). */
export interface PlantedBugs extends LogBugs {
  /** Commit an entry of a previous term by counting replicas, and skip the leader's no-op (the Figure 8 bug). */
  commitPreviousTerm?: boolean
  /** Ignore the persisted vote when restarting (allows two votes in one term). */
  forgetVoteOnRestart?: boolean
  /** Grant votes without the §5.4.1 up-to-date check (a stale log can win). */
  skipUpToDateCheck?: boolean
}

/** Options of a Raft core. Only `id` and `rng` are required. */
export interface RaftOptions {
  /** This node's id. */
  id: NodeId
  /** Source of randomness for election timeouts. */
  rng: Rng
  /** Base election timeout T in ticks; each timeout is drawn from [T, 2T). Default 10. */
  electionTicks?: number
  /** Heartbeat interval in ticks (< electionTicks). Default 1. */
  heartbeatTicks?: number
  /** PreVote (dissertation §9.6): a node checks it could win before raising its term. Default true. */
  preVote?: boolean
  /** CheckQuorum: a leader steps down after an election timeout without hearing from a majority; followers with a live leader reject votes. Default true. */
  checkQuorum?: boolean
  /** Maximum appends in flight to one follower in replicate state. Default 256. */
  maxInflight?: number
  /** Maximum bytes of entry data in one append message (at least one entry is always sent). Default 1 MiB. */
  maxAppendBytes?: number
  /** Maximum bytes of committed entries handed out in one Ready. Default 4 MiB. */
  maxApplyBytes?: number
  /**
   * Maximum size of one proposal's data; larger ones fail with PAYLOAD_TOO_LARGE. Default 1 MiB +
   * 4 KiB: a key-value command holding a value of the store's largest (1 MiB) with its key and session.
   */
  maxProposalBytes?: number
  /** Maximum entries appended but not yet committed on the leader; more proposals fail with NO_QUORUM (back-pressure). Default 100000. */
  maxUncommittedEntries?: number
  /**
   * Batch proposals: new entries are sent to followers once per Ready (one append carrying all
   * proposals since the last Ready). When false, every proposal is sent at once. Default true.
   */
  batchAppends?: boolean
  /**
   * Commit notices: when the leader's commit index advances, it sends each follower it may send
   * to an append, empty if need be, to tell it (at the next Ready with `batchAppends`) (true).
   * When false, the new commit index rides on the next append or heartbeat: fewer messages (a
   * commit-only append and its answer per follower per commit), and when no new entry follows,
   * followers commit at the next heartbeat (at most two heartbeat intervals after the commit).
   * Safety does not depend on it. Default true.
   */
  commitNotices?: boolean
  /**
   * The incarnation of this node's data: a number that is higher each time the node's data
   * folder is created anew (the daemon records it in identity.json). Sent in append and
   * heartbeat responses so a leader notices a follower that lost its data. Default 0 (data from
   * before incarnations).
   */
  incarnation?: number
  /** Planted bugs, for tests of the simulator only. */
  bugs?: PlantedBugs
}

/** Options with every default filled in. */
export type ResolvedRaftOptions = Required<Omit<RaftOptions, 'bugs'>> & {bugs: PlantedBugs}

/** Default values of every optional option. */
export const RAFT_DEFAULTS = {
  electionTicks: 10,
  heartbeatTicks: 1,
  preVote: true,
  checkQuorum: true,
  maxInflight: 256,
  maxAppendBytes: 1024 * 1024,
  maxApplyBytes: 4 * 1024 * 1024,
  maxProposalBytes: 1024 * 1024 + 4 * 1024,
  maxUncommittedEntries: 100_000,
  batchAppends: true,
  commitNotices: true,
  incarnation: 0,
} as const

/** Fill defaults and validate; throws Error('BAD_CONFIG: …') on invalid values. */
export function resolveOptions(options: RaftOptions): ResolvedRaftOptions {
  const o = {...RAFT_DEFAULTS, bugs: {}, ...stripUndefined(options)} as ResolvedRaftOptions
  if (!Number.isInteger(o.electionTicks) || o.electionTicks < 2) throw new Error('BAD_CONFIG: electionTicks must be an integer >= 2')
  if (!Number.isInteger(o.heartbeatTicks) || o.heartbeatTicks < 1 || o.heartbeatTicks >= o.electionTicks) {
    throw new Error('BAD_CONFIG: heartbeatTicks must be an integer in [1, electionTicks)')
  }
  if (!Number.isInteger(o.maxInflight) || o.maxInflight < 1) throw new Error('BAD_CONFIG: maxInflight must be >= 1')
  if (!Number.isSafeInteger(o.incarnation) || o.incarnation < 0) throw new Error('BAD_CONFIG: incarnation must be a non-negative integer')
  if (o.maxAppendBytes < 1 || o.maxApplyBytes < 1 || o.maxProposalBytes < 1) throw new Error('BAD_CONFIG: byte limits must be >= 1')
  return o
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {}
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v
  return out
}
