/**
 * Data types of the Raft core: log entries, hard state, membership, snapshots and the
 * messages nodes exchange. Pure data; every other layer speaks these types.
 */

/** A node's identity within a cluster, e.g. `"n1"`. Never reused within a cluster. */
export type NodeId = string

/**
 * Kind of a log entry.
 * - `normal`: opaque state-machine command in `data` (an empty `data` is the leader's no-op).
 * - `config`: a membership change; `data` holds {@link encodeConfChange} bytes.
 */
export type EntryType = 'normal' | 'config'

/** One log entry. Invariant: `index >= 1`, `term >= 1`; entries in a log have strictly increasing consecutive indexes and non-decreasing terms. */
export interface Entry {
  readonly term: number
  readonly index: number
  readonly type: EntryType
  readonly data: Uint8Array
}

/** What must be durable before any message that depends on it is sent. */
export interface HardState {
  /** Current term, never decreases. */
  readonly term: number
  /** The node voted for in `term`, or null. At most one vote per term. */
  readonly vote: NodeId | null
  /** Highest index known committed. Never decreases. */
  readonly commit: number
}

/** Cluster membership. A node is in at most one of the two lists. */
export interface ConfState {
  /** Voting members; the quorum is a majority of these. */
  readonly voters: readonly NodeId[]
  /** Non-voting members that receive the log. */
  readonly learners: readonly NodeId[]
}

/**
 * One membership change (one server at a time, dissertation §4.1). `address` (where the node
 * listens) rides along for the drivers' address books; the core ignores it.
 */
export type ConfChange =
  | {readonly type: 'addLearner'; readonly node: NodeId; readonly address?: string}
  | {readonly type: 'addVoter'; readonly node: NodeId; readonly address?: string}
  | {readonly type: 'promote'; readonly node: NodeId; readonly address?: string}
  | {readonly type: 'remove'; readonly node: NodeId; readonly address?: string}

/** Metadata of a state-machine snapshot: it reflects every entry up to and including `index`. */
export interface SnapshotMeta {
  readonly index: number
  readonly term: number
  /** Membership as of `index`. */
  readonly conf: ConfState
}

/**
 * The state machine's part of a snapshot, opaque to the core (which only hands it on): the
 * encoded bytes themselves (a Uint8Array: the simulator, tests), or a driver's handle on a
 * durable file that holds them (the daemon keeps no encoded snapshot in memory). `byteLength`
 * is the size of the encoded data either way.
 */
export interface SnapshotData {
  readonly byteLength: number
}

/** A snapshot: metadata plus the state machine's opaque data. */
export interface Snapshot {
  readonly meta: SnapshotMeta
  readonly data: SnapshotData
}

/** Request a vote (or a pre-vote, which changes no state on the receiver). */
export interface VoteRequest {
  readonly type: 'vote'
  readonly from: NodeId
  readonly to: NodeId
  /** For a pre-vote: the term the candidate would campaign in (its term + 1). */
  readonly term: number
  readonly lastIndex: number
  readonly lastTerm: number
  readonly pre: boolean
  /**
   * A forced election (leader transfer via TimeoutNow, or an operator's campaign): bypasses
   * the leader-lease check. Ordinary elections, even after a won pre-vote, send false.
   */
  readonly transfer: boolean
}

export interface VoteResponse {
  readonly type: 'voteResp'
  readonly from: NodeId
  readonly to: NodeId
  /** For a granted pre-vote: the term of the request; otherwise the voter's term. */
  readonly term: number
  readonly granted: boolean
  readonly pre: boolean
}

/** AppendEntries (§5.3). An empty `entries` still carries `commit`. */
export interface AppendRequest {
  readonly type: 'append'
  readonly from: NodeId
  readonly to: NodeId
  readonly term: number
  readonly prevIndex: number
  readonly prevTerm: number
  readonly entries: readonly Entry[]
  readonly commit: number
}

export interface AppendResponse {
  readonly type: 'appendResp'
  readonly from: NodeId
  readonly to: NodeId
  readonly term: number
  readonly success: boolean
  /** On success: the follower's match index. On rejection: the `prevIndex` that was rejected. */
  readonly index: number
  /** On rejection: where the leader should probe next (fast backtracking by conflicting term). */
  readonly hintIndex: number
  /** On rejection: the follower's term at `hintIndex` (0 if none). */
  readonly hintTerm: number
  /**
   * The incarnation of the sender's data ({@link RaftOptions.incarnation}); absent means 0. A
   * higher one than the leader recorded means the follower's data was created anew since: the
   * leader forgets the match it recorded. A lower one is a message from a previous life: dropped.
   */
  readonly incarnation?: number
  /** True while the sender is rebuilding (absent: false): its answers do not count toward CheckQuorum. */
  readonly rebuilding?: boolean
}

/** Leader heartbeat: keeps followers from campaigning, carries commit and the ReadIndex round. */
export interface Heartbeat {
  readonly type: 'heartbeat'
  readonly from: NodeId
  readonly to: NodeId
  readonly term: number
  /** min(leader commit, follower match) so a follower never commits past what it holds. */
  readonly commit: number
  /** The leader's heartbeat round; echoed back to confirm leadership for ReadIndex. */
  readonly round: number
}

export interface HeartbeatResponse {
  readonly type: 'heartbeatResp'
  readonly from: NodeId
  readonly to: NodeId
  readonly term: number
  readonly round: number
  /** As {@link AppendResponse.incarnation}. */
  readonly incarnation?: number
  /**
   * True while the sender is rebuilding (absent: false). Its acknowledgement does not confirm
   * leadership (ReadIndex, CheckQuorum): it forgot the terms it had seen.
   */
  readonly rebuilding?: boolean
  /**
   * Present only when the heartbeat carried a commit index beyond the follower's log: its last
   * index. The leader's recorded match is then more than the follower holds (it lost data), and
   * the leader resets its progress to probe from here.
   */
  readonly lastIndex?: number
}

/** InstallSnapshot (§7), sent whole. */
export interface SnapshotRequest {
  readonly type: 'snapshot'
  readonly from: NodeId
  readonly to: NodeId
  readonly term: number
  readonly snapshot: Snapshot
}

/** Leader transfer: the receiver campaigns at once, bypassing pre-vote and lease. */
export interface TimeoutNow {
  readonly type: 'timeoutNow'
  readonly from: NodeId
  readonly to: NodeId
  readonly term: number
}

/** Every message nodes exchange. One handler per `type` in the core. */
export type Message =
  | VoteRequest
  | VoteResponse
  | AppendRequest
  | AppendResponse
  | Heartbeat
  | HeartbeatResponse
  | SnapshotRequest
  | TimeoutNow

export type MessageType = Message['type']

/** Every message type, for codecs and validation. */
export const MESSAGE_TYPES: readonly MessageType[] = [
  'vote', 'voteResp', 'append', 'appendResp', 'heartbeat', 'heartbeatResp', 'snapshot', 'timeoutNow',
]

const textEncoder = new TextEncoder()
const textDecoder = new TextDecoder()

/** Encode a membership change as the `data` of a `config` entry. */
export function encodeConfChange(change: ConfChange): Uint8Array {
  return textEncoder.encode(JSON.stringify(change))
}

/** Decode a `config` entry's data. Throws `Error('BAD_CONF_CHANGE')` on anything malformed. */
export function decodeConfChange(data: Uint8Array): ConfChange {
  let value: unknown
  try {
    value = JSON.parse(textDecoder.decode(data))
  } catch {
    throw new Error('BAD_CONF_CHANGE')
  }
  const v = value as {type?: unknown; node?: unknown; address?: unknown}
  const types = ['addLearner', 'addVoter', 'promote', 'remove']
  if (typeof v !== 'object' || v === null || typeof v.node !== 'string' || !types.includes(v.type as string)) {
    throw new Error('BAD_CONF_CHANGE')
  }
  if (v.address !== undefined && typeof v.address !== 'string') throw new Error('BAD_CONF_CHANGE')
  return (v.address === undefined ? {type: v.type, node: v.node} : {type: v.type, node: v.node, address: v.address}) as ConfChange
}
