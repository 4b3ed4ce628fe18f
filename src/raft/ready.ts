/**
 * What the core hands to its driver after processing inputs (see README.md "The Ready
 * contract"), and the results and events the core reports.
 */
import type {ConfChange, ConfState, Entry, HardState, Message, NodeId, Snapshot} from './types.js'

/** A node's role. `learner` is reported by status for non-voting members that follow. */
export type Role = 'follower' | 'precandidate' | 'candidate' | 'leader'

/** Why an election started or a role changed. */
export type Cause =
  | 'timeout' // election timeout: no leader heard from
  | 'transfer' // leader transfer (TimeoutNow)
  | 'manual' // operator campaign / step-down
  | 'checkQuorum' // leader lost contact with a majority
  | 'higherTerm' // saw a higher term
  | 'won' // won the election
  | 'lost' // lost the election (a majority refused)
  | 'removed' // removed from the configuration
  | 'restart' // started up

/**
 * Why a vote was refused: the candidate's log is behind ours (`logBehind`), we voted for another
 * candidate this term (`votedOther`), we follow a leader of this term (`leaderKnown`), we heard
 * from a leader within the election timeout and ignored the request (`lease`, CheckQuorum's
 * leader lease), or the request's term is older than ours (`staleTerm`).
 */
export type VoteRefusal = 'logBehind' | 'votedOther' | 'leaderKnown' | 'lease' | 'staleTerm'

/**
 * Something an operator or a dashboard wants to see. `roleChanged.peer`: with cause
 * `higherTerm`, the node whose message carried the higher term.
 */
export type RaftEvent =
  | {readonly type: 'roleChanged'; readonly from: Role; readonly to: Role; readonly term: number; readonly cause: Cause; readonly peer?: NodeId}
  | {readonly type: 'leaderChanged'; readonly leader: NodeId | null; readonly term: number}
  | {readonly type: 'electionStarted'; readonly term: number; readonly pre: boolean; readonly cause: Cause}
  | {readonly type: 'confChanged'; readonly conf: ConfState; readonly index: number; readonly change?: ConfChange}
  | {readonly type: 'transferStarted'; readonly to: NodeId; readonly term: number}
  | {readonly type: 'transferAborted'; readonly to: NodeId; readonly term: number}
  /**
   * This node started or stopped rebuilding (see README.md "A node that lost its data"). The
   * driver records `rebuilding` durably (the daemon in identity.json) so that a restart in the
   * middle of rebuilding keeps refusing votes. `index`: the node's last index.
   */
  | {readonly type: 'rebuildingChanged'; readonly rebuilding: boolean; readonly term: number; readonly index: number}
  /**
   * Leader: it forgot what it recorded of follower `node` (match `match`, now 0) because the
   * follower's data is newer (`incarnation`) or shorter than that match (`shortLog`); it probes
   * the follower again, which entries or a snapshot repair.
   */
  | {readonly type: 'progressReset'; readonly node: NodeId; readonly match: number; readonly reason: 'incarnation' | 'shortLog'; readonly term: number}
  /** This node answered a (pre-)vote request of `candidate` for `term`; `reason` is null when granted. */
  | {readonly type: 'voteCast'; readonly candidate: NodeId; readonly term: number; readonly pre: boolean; readonly granted: boolean; readonly reason: VoteRefusal | null}
  /** The leader sent its snapshot at `index` to a follower too far behind for its log. */
  | {readonly type: 'snapshotSent'; readonly to: NodeId; readonly index: number; readonly term: number}
  /** This node installed a snapshot at `index` from the leader `from`. */
  | {readonly type: 'snapshotReceived'; readonly from: NodeId; readonly index: number; readonly term: number}

/** A linearizable read whose index is confirmed: serve it once applied >= index. */
export interface ReadState {
  readonly id: number
  readonly index: number
}

/**
 * One batch of work for the driver. Handle in this order (README.md):
 * 1. persist `snapshot`, `entries`, `hardState` durably (and restore `snapshot` into the state machine);
 * 2. send `messages` (may go out before step 1 completes) and `messagesAfterPersist` (only after);
 * 3. apply `committedEntries`, then serve `readStates` whose index is applied;
 * 4. call `advance()`.
 */
export interface Ready {
  readonly hardState: HardState | null
  readonly snapshot: Snapshot | null
  readonly entries: readonly Entry[]
  readonly messages: readonly Message[]
  readonly messagesAfterPersist: readonly Message[]
  readonly committedEntries: readonly Entry[]
  readonly readStates: readonly ReadState[]
  readonly events: readonly RaftEvent[]
}

/** Stable error codes the core returns (never throws) for rejected requests. */
export type RaftErrorCode =
  | 'NOT_LEADER'
  | 'TRANSFER_IN_PROGRESS'
  | 'PAYLOAD_TOO_LARGE'
  | 'NO_QUORUM'
  | 'CONF_CHANGE_PENDING'
  | 'BAD_REQUEST'
  | 'NODE_NOT_FOUND'
  | 'NOT_VOTER'
  | 'UNSAFE_CHANGE'
  | 'REBUILDING'

/** A request the core refused, with the leader it knows of (for redirects). */
export interface RaftRejection {
  readonly ok: false
  readonly code: RaftErrorCode
  readonly message: string
  readonly leader: NodeId | null
}

/** Result of a proposal: the index and term it was appended at, or a rejection. */
export type ProposeResult = {readonly ok: true; readonly index: number; readonly term: number} | RaftRejection

/** Result of an operator request (campaign, transfer, step-down, read index). */
export type RequestResult = {readonly ok: true} | RaftRejection
