/**
 * The types of every message of the client and admin protocol (version 1): request
 * parameters, results, node status, and the events pushed to subscribers. Documented with
 * examples in docs/protocol.md. Shapes that mirror the Raft core (`RaftEvent`, `RaftStatus`
 * in src/raft) are re-declared here because src/admin imports nothing from other folders; a
 * test checks that the core's types stay assignable to them.
 */
import type {ErrorCode} from '../common/errors.js'

/** Version number carried in every frame (`"v": 1`). */
export const PROTOCOL_VERSION = 1

/** A node id: 1..64 UTF-8 bytes. */
export type NodeId = string

/** A write session for exactly-once semantics (docs/kv.md): `seq` starts at 1, a retry reuses it. */
export interface Session {
  /** Non-empty, at most `maxClientIdBytes` UTF-8 bytes. */
  readonly clientId: string
  /** A safe integer >= 1. */
  readonly seq: number
}

// ---------------------------------------------------------------------------------------------
// Client requests (route /client)

/** `get`: read a key. Linearizable (leader, ReadIndex) unless `serializable`: any node, maybe stale. */
export interface GetParams {
  readonly key: string
  readonly serializable?: boolean
}

/** `put`: set a key. */
export interface PutParams {
  readonly key: string
  readonly value: string
  readonly session?: Session
  /**
   * False: the answer leaves out the value written (the client has it), so a large value does
   * not travel back. Absent or true: the answer echoes it.
   */
  readonly echo?: boolean
}

/** `delete`: remove a key (absent is not an error). */
export interface DeleteParams {
  readonly key: string
  readonly session?: Session
}

/** `cas`: set `value` only if the current value equals `expected` (null: only if absent). */
export interface CasParams {
  readonly key: string
  readonly expected: string | null
  readonly value: string
  readonly session?: Session
}

/** `append`: concatenate `value` to the current value (absent counts as `""`). */
export interface AppendParams {
  readonly key: string
  readonly value: string
  readonly session?: Session
}

/**
 * `range`: read the keys of a range, in UTF-8 byte order (docs/kv.md). Give either `prefix`
 * (every key starting with it; `""`: every key) or `from` with an optional `to` (half-open
 * `[from, to)`; no `to`: to the last key), not both. Linearizable unless `serializable`, as `get`.
 */
export interface RangeParams {
  readonly prefix?: string
  readonly from?: string
  readonly to?: string
  /** Most keys listed, 1..`MAX_RANGE_LIMIT`. Default `MAX_RANGE_LIMIT`. */
  readonly limit?: number
  /** List keys without values. Default false. */
  readonly keysOnly?: boolean
  /** List nothing, only count. Default false. */
  readonly countOnly?: boolean
  readonly serializable?: boolean
}

/** One key of a `range` answer. `value` is absent with `keysOnly`. */
export interface RangeKv {
  readonly key: string
  readonly value?: string
  /** Index of the log entry that last wrote the key (0: unknown, restored from an old snapshot). */
  readonly modIndex: number
}

/** Result of `range`. */
export interface RangeResult {
  /** The listed keys, in UTF-8 byte order; empty with `countOnly`. */
  readonly kvs: readonly RangeKv[]
  /** Keys in the range in total, even when the list was cut. */
  readonly count: number
  /** True when `limit` or the byte budget (`MAX_RANGE_RESPONSE_BYTES`) cut the list. */
  readonly more: boolean
  /** The applied index of the state the read reflects: every key's modIndex is at most it. */
  readonly index: number
}

/** `deletePrefix`: remove every key starting with `prefix` (`""`: every key), in one log entry. */
export interface DeletePrefixParams {
  readonly prefix: string
  readonly session?: Session
}

/** Result of `deletePrefix`: how many keys were removed. */
export interface DeletePrefixResult {
  readonly deleted: number
}

/** Result of `get`: the value (null: absent) and the log index the read reflects. */
export interface GetResult {
  readonly value: string | null
  readonly index: number
}

/** Result of `put`: the value written (absent when the request had `echo: false`). */
export interface PutResult {
  readonly value?: string
}

/** Result of `delete`: whether the key existed. */
export interface DeleteResult {
  readonly deleted: boolean
}

/**
 * Result of `cas`. A failed comparison is not an error: `swapped: false` and `value` is the
 * current value (null: absent). When swapped, `value` is the new value.
 */
export interface CasResult {
  readonly swapped: boolean
  readonly value: string | null
}

/** Result of `append`: the new value. */
export interface AppendResult {
  readonly value: string
}

/** A `txn` condition: the key's value equals `value`, or it is absent, or it was last written at `modIndex`. */
export type TxnCompare =
  | {readonly key: string; readonly value: string}
  | {readonly key: string; readonly absent: true}
  | {readonly key: string; readonly modIndex: number}

/** A `txn` write. */
export type TxnOp = {readonly op: 'put'; readonly key: string; readonly value: string} | {readonly op: 'delete'; readonly key: string}

/** `txn`: if every compare holds apply `success`, else `failure`; one log entry (docs/kv.md). */
export interface TxnParams {
  readonly compare: readonly TxnCompare[]
  readonly success: readonly TxnOp[]
  readonly failure: readonly TxnOp[]
  readonly session?: Session
}

/** Result of `txn`: whether every compare held (`success` applied) or not (`failure` applied). */
export interface TxnResult {
  readonly succeeded: boolean
}

/**
 * `watch`: stream the changes of `key`, or of every key starting with `prefix`, applied at
 * index `fromIndex` or later (default: after the node's applied index). Changes arrive as
 * `watch` events tagged with this request's id; the stream ends with a `watchEnd` event or when
 * the connection closes (docs/kv.md, Watch).
 */
export interface WatchParams {
  readonly key?: string
  readonly prefix?: string
  readonly fromIndex?: number
}

/** Result of `watch`: the first index streamed, and the oldest index this node could have streamed from. */
export interface WatchResult {
  readonly fromIndex: number
  readonly oldestIndex: number
}

/** One change of a watched key: `value` is absent for a delete. */
export interface WatchChange {
  readonly type: 'put' | 'delete'
  readonly key: string
  readonly value?: string
}

// ---------------------------------------------------------------------------------------------
// Admin requests (route /admin)

/** No parameters. */
export type NoParams = Readonly<Record<never, never>>

/**
 * `member.add`: add a node as a voter, or as a learner (non-voting) when `learner` (default
 * false). The node's id is the field `node`, because `id` is the envelope's request id.
 */
export interface MemberAddParams {
  readonly node: NodeId
  /** Where the node listens: `ws://host:port`, `wss://host:port` or `host:port`. */
  readonly address: string
  readonly learner: boolean
  /** Skip the leader's strict reconfiguration check (see {@link MemberParams.force}). Default false. */
  readonly force?: boolean
}

/** `member.remove` / `member.promote`: the node concerned (`node`, since `id` is the request id). */
export interface MemberParams {
  readonly node: NodeId
  /**
   * Skip the leader's strict reconfiguration check (default false): without it, a change of the
   * voters that would leave fewer voters the leader heard from within an election timeout (itself
   * included) than a quorum of the new configuration is refused with `UNSAFE_CHANGE`.
   */
  readonly force?: boolean
}

/** `transfer`: hand leadership to `to`, or (absent or null) to the most caught-up voter. */
export interface TransferParams {
  readonly to?: NodeId | null
}

/** One member of the configuration. */
export interface MemberInfo {
  readonly id: NodeId
  /** Its address, or null when this node does not know it. */
  readonly address: string | null
}

/** The configuration: voters and learners. */
export interface Members {
  readonly voters: readonly MemberInfo[]
  readonly learners: readonly MemberInfo[]
}

/** Result of `member.add`, `member.remove`, `member.promote`: the committed change. */
export interface MemberChangeResult {
  /** Log index of the configuration entry, committed and applied when this answer is sent. */
  readonly index: number
  /** The configuration after the change. */
  readonly members: Members
}

/** Result of `transfer`: the new leader, once it has taken over, and its term. */
export interface TransferResult {
  readonly leader: NodeId
  readonly term: number
}

/** Result of `campaign` and `stepdown`: the node's term after the action. */
export interface TermResult {
  readonly term: number
}

/** Result of `snapshot`: the log index the new snapshot covers. */
export interface SnapshotResult {
  readonly index: number
}

/** Result of `ping`: the node's id and its wall clock (ms since the epoch). */
export interface PingResult {
  readonly node: NodeId
  readonly time: number
}

/** An empty result (`subscribe`, `unsubscribe`). */
export type EmptyResult = Readonly<Record<never, never>>

/** Result of `status`. Wrapped in `status` because the envelope already has an `id`. */
export interface StatusResult {
  readonly status: NodeStatus
}

/** A role of the Raft core. */
export type RaftRole = 'follower' | 'precandidate' | 'candidate' | 'leader'

/** A role as `status` reports it: `learner` for a non-voting member that follows. */
export type StatusRole = RaftRole | 'learner'

/** Replication state of one follower, as the leader sees it. */
export type ProgressState = 'probe' | 'replicate' | 'snapshot'

/** Per-member replication progress (reported by the leader, itself included). */
export interface ProgressInfo {
  readonly id: NodeId
  /** Highest index known to be replicated on the member. */
  readonly match: number
  /** Next index to send. */
  readonly next: number
  readonly state: ProgressState
  /**
   * Heard from within the last election timeout (the leader itself: true): the view the leader's
   * strict reconfiguration check uses (`member.*` without `force`).
   */
  readonly recentActive: boolean
  /** Milliseconds since the leader last heard from it (0 for the leader itself). */
  readonly lastContactMs: number
  /** Append messages in flight to it. */
  readonly inflight: number
}

/** A chaos fault as listed by status: at least an `id` and a `kind`; the other fields depend on the kind. */
export interface FaultInfo {
  readonly id: string
  readonly kind: string
  readonly [field: string]: unknown
}

// ---------------------------------------------------------------------------------------------
// Chaos (route /admin): faults a daemon applies to itself (docs/chaos.md). Re-declared from
// src/chaos/faults.ts; a compile-time test keeps the two equal.

/**
 * A fault. Link faults apply to the messages the daemon SENDS (each daemon applies its own, so
 * a partition given to every node blocks both directions); `peers` limits one to messages sent
 * to those peers (absent or empty: all). A partition blocks messages between nodes of different
 * groups (a node in no group is unaffected); with `oneWay`, only messages from a later group to
 * an earlier one are blocked: a later group hears the earlier ones but is not heard by them.
 * `disk` makes every durable save of the daemon take `fsyncDelayMs` longer.
 */
export type FaultSpec =
  | {readonly kind: 'partition'; readonly groups: readonly (readonly NodeId[])[]; readonly oneWay?: boolean}
  | {readonly kind: 'drop'; readonly rate: number; readonly peers?: readonly NodeId[]}
  | {readonly kind: 'delay'; readonly ms: number; readonly jitter?: number; readonly peers?: readonly NodeId[]}
  | {readonly kind: 'duplicate'; readonly rate: number; readonly peers?: readonly NodeId[]}
  | {readonly kind: 'reorder'; readonly rate: number; readonly ms: number; readonly peers?: readonly NodeId[]}
  | {readonly kind: 'disk'; readonly fsyncDelayMs: number}

/** A fault kind. */
export type FaultKind = FaultSpec['kind']

/**
 * `chaos.add`: add `fault` on this node. `forMs`: it heals itself after that long (the
 * daemon's clock). `faultId` (named so because `id` is the envelope's request id): the fault's
 * id, e.g. the same one on every node for a cluster-wide fault; an active fault with that id is
 * replaced. Default: generated (`f1`, `f2`, …).
 */
export interface ChaosAddParams {
  readonly fault: FaultSpec
  readonly forMs?: number
  readonly faultId?: string
}

/** `chaos.heal`: remove the faults with this id and / or kind; neither: every fault. */
export interface ChaosHealParams {
  readonly faultId?: string
  readonly kind?: FaultKind
}

/**
 * Result of `chaos.add`: the fault as listed (its `id` is the fault's id; the result has no
 * top-level `id` because that is the response envelope's).
 */
export interface ChaosAddResult {
  readonly fault: FaultInfo
}

/** Result of `chaos.heal`: how many faults were removed. */
export interface ChaosHealResult {
  readonly removed: number
}

/**
 * Result of `chaos.list` (the same list as `status.faults`): every active fault as
 * `{id, kind, ...the spec's fields, remainingMs: number|null, hits: number}` (`hits`: messages
 * or saves it has acted on so far).
 */
export interface ChaosListResult {
  readonly faults: readonly FaultInfo[]
}

// ---------------------------------------------------------------------------------------------
// Diagnostics (route /admin): what `raftctl doctor` and `raftctl check consistency` read.

/**
 * Events a daemon records beside the core's: a durable save slower than its threshold
 * (`slowSave`), a peer whose Raft messages stopped arriving for longer than the election timeout
 * (`peerSilent`) and back (`peerHeard`), the transport losing or regaining its connection to a
 * peer (`peerUnreachable`, `peerReachable`), a storage failure that stopped the node
 * (`storageFailed`), and a consistency alarm raised by the scheduled check (`consistencyAlarm`).
 */
export type NodeEvent =
  | {readonly type: 'slowSave'; readonly ms: number}
  | {readonly type: 'peerSilent'; readonly peer: NodeId; readonly ms: number}
  | {readonly type: 'peerHeard'; readonly peer: NodeId}
  | {readonly type: 'peerUnreachable'; readonly peer: NodeId}
  | {readonly type: 'peerReachable'; readonly peer: NodeId}
  | {readonly type: 'storageFailed'; readonly error: string}
  | {readonly type: 'consistencyAlarm'; readonly index: number; readonly nodes: readonly NodeId[]}

/** One event of a node's ring: its sequence number (from 1, per daemon run), wall time (ms since the epoch) and the event. */
export interface RecordedEvent {
  readonly seq: number
  readonly time: number
  readonly event: Exclude<AdminEvent, MessageEvent> | NodeEvent
}

/** `events`: the node's recent events, those at or after `since` (ms since the epoch; absent: all kept). */
export interface EventsParams {
  readonly since?: number
}

/** Result of `events`: oldest first; `dropped` counts events the bounded ring overwrote since start. */
export interface EventsResult {
  readonly node: NodeId
  readonly capacity: number
  readonly dropped: number
  readonly events: readonly RecordedEvent[]
}

/** Percentiles of recent durable saves (write + fsync), ms; null when none was measured. */
export interface SaveLatency {
  readonly count: number
  readonly p50: number
  readonly p99: number
  readonly max: number
}

/** A secret file the daemon read, with its permission bits (`mode & 0o777`, null: cannot stat it now). */
export interface SecretFileInfo {
  readonly role: 'secret' | 'peerSecret'
  readonly path: string
  readonly mode: number | null
}

/** One peer as this node sees it. */
export interface PeerView {
  readonly id: NodeId
  /** Milliseconds since a Raft message from it arrived (null: none since start). */
  readonly lastHeardMs: number | null
  /** The transport's outbound connection is open and nothing to it was dropped since. */
  readonly reachable: boolean
}

/** A consistency alarm: the replicas' hashes at `index` differed; `nodes` are the odd ones out. */
export interface ConsistencyAlarm {
  readonly index: number
  readonly nodes: readonly NodeId[]
  readonly hashes: Readonly<Record<NodeId, string>>
  /** When it was raised, ms since the epoch. */
  readonly time: number
}

/** Result of `diagnostics`: configuration, disk and peers of one node, for `raftctl doctor`. */
export interface DiagnosticsResult {
  readonly node: NodeId
  readonly version: string
  readonly tickMs: number
  readonly electionTicks: number
  readonly heartbeatTicks: number
  readonly secretFiles: readonly SecretFileInfo[]
  readonly saveLatency: SaveLatency | null
  /** Free and total bytes of the data folder's file system (null: unknown). */
  readonly disk: {readonly freeBytes: number; readonly totalBytes: number} | null
  /** The storage failure that stopped the node, if any. */
  readonly storageError: string | null
  readonly peers: readonly PeerView[]
  /** The alarm of the scheduled consistency check, if raised (null: none). */
  readonly alarm: ConsistencyAlarm | null
  /** The scheduled consistency check's period, ms (0: off). */
  readonly consistencyCheckEveryMs: number
}

/**
 * `hash`: the SHA-256 (hex) of the KV state machine's snapshot encoding of the state after
 * applying log index `index` (docs/doctor.md). A node behind answers once it applied it (within
 * the request timeout); a node whose state already moved past it answers `INDEX_PASSED`.
 * Absent `index`: the state as applied now.
 */
export interface HashParams {
  readonly index?: number
}

/** Result of `hash`. */
export interface HashResult {
  readonly node: NodeId
  readonly index: number
  readonly hash: string
}

/** Everything `status` reports about one node. */
export interface NodeStatus {
  readonly id: NodeId
  readonly role: StatusRole
  readonly term: number
  readonly vote: NodeId | null
  readonly leader: NodeId | null
  readonly commitIndex: number
  readonly appliedIndex: number
  readonly lastIndex: number
  readonly lastTerm: number
  readonly firstIndex: number
  readonly snapshotIndex: number
  /** True when this node is a voter in its current configuration. */
  readonly voter: boolean
  readonly members: Members
  /** Leader only: every member's replication progress; empty on other roles. */
  readonly progress: readonly ProgressInfo[]
  /** Leader only: the target of a leadership transfer in progress, else null. */
  readonly transferee: NodeId | null
  /**
   * Election timer: milliseconds since the timer was last reset (followers: since the leader
   * was last heard from; the leader: within its CheckQuorum period).
   */
  readonly electionElapsedMs: number
  /** The current randomized election timeout, ms (drawn from [T, 2T) ticks). */
  readonly electionTimeoutMs: number
  /** Milliseconds since the daemon started. */
  readonly uptimeMs: number
  /** Process id of the daemon. */
  readonly pid: number
  /** The address this node advertises (`ws://host:port`). */
  readonly address: string
  /** raftctl version of the daemon. */
  readonly version: string
  /** Chaos faults active on this node. */
  readonly faults: readonly FaultInfo[]
  /**
   * How `/raft` authenticates peers: `peer-secret` (a peer secret apart from the client
   * secret), or `shared-secret` (the daemon runs without `--peer-secret-file`: anyone holding
   * the client secret can speak as a peer). Absent from daemons older than the peer secret.
   */
  readonly peerAuth?: 'peer-secret' | 'shared-secret'
  /**
   * The cluster this node's data belongs to (its identity file); null when unknown (a node run
   * without `--cluster-id` that did not generate one). Absent from daemons older than it.
   */
  readonly clusterId?: string | null
  /**
   * True while the node rebuilds after losing its data (its data folder was created anew
   * although it was a member): it does not vote, and serves no serializable read, until it has
   * caught up with the leader. Absent from daemons older than it (read as false).
   */
  readonly rebuilding?: boolean
  /** The incarnation of the node's data (identity.json; 0 for data from before incarnations). Absent from older daemons. */
  readonly incarnation?: number
  /** The consistency alarm this node raised (its scheduled check found replicas that differ); null: none. Absent from older daemons. */
  readonly alarm?: ConsistencyAlarm | null
}

// ---------------------------------------------------------------------------------------------
// Snapshot streams (route /admin): `raftctl snapshot save` reads a node's state in chunks.

/**
 * Result of `snapshot.begin`: the node took (or reused) a durable local snapshot at its applied
 * index and holds it for reading with `snapshot.chunk` until `snapshot.end` or an idle timeout.
 */
export interface SnapshotBeginResult {
  /** The stream's id, for `snapshot.chunk` and `snapshot.end`. */
  readonly stream: string
  readonly node: NodeId
  /** The node's cluster id (null: unknown). */
  readonly clusterId: string | null
  /** The log index the state reflects, and the term of its entry. */
  readonly index: number
  readonly term: number
  /** The configuration as of `index`, with the addresses this node knows. */
  readonly members: Members
  /** Length of the KV snapshot (bytes), read in chunks of at most `chunkBytes`. */
  readonly bytes: number
  readonly chunkBytes: number
  /** raftctl version of the node. */
  readonly version: string
}

/** `snapshot.chunk`: the bytes of stream `stream` from `offset` (0 ≤ offset < bytes). */
export interface SnapshotChunkParams {
  readonly stream: string
  readonly offset: number
}

/** Result of `snapshot.chunk`: at most `chunkBytes` bytes from the offset, base64. */
export interface SnapshotChunkResult {
  readonly data: string
}

/** `snapshot.end`: release a stream (unknown or expired streams are not an error). */
export interface SnapshotEndParams {
  readonly stream: string
}

// ---------------------------------------------------------------------------------------------
// Events (pushed after `subscribe`)

/** Why an election started or a role changed (as `Cause` in src/raft/ready.ts). */
export type Cause = 'timeout' | 'transfer' | 'manual' | 'checkQuorum' | 'higherTerm' | 'won' | 'lost' | 'removed' | 'restart'

/** Membership as the core reports it: ids only. */
export interface ConfInfo {
  readonly voters: readonly NodeId[]
  readonly learners: readonly NodeId[]
}

/** Why a vote was refused (as `VoteRefusal` in src/raft/ready.ts). */
export type VoteRefusal = 'logBehind' | 'votedOther' | 'leaderKnown' | 'lease' | 'staleTerm'

/**
 * Something an operator or a dashboard wants to see (as `RaftEvent` in src/raft/ready.ts).
 * `roleChanged.peer`: with cause `higherTerm`, the node whose message carried the higher term.
 */
export type AdminEvent =
  | {readonly type: 'roleChanged'; readonly from: RaftRole; readonly to: RaftRole; readonly term: number; readonly cause: Cause; readonly peer?: NodeId}
  | {readonly type: 'leaderChanged'; readonly leader: NodeId | null; readonly term: number}
  | {readonly type: 'electionStarted'; readonly term: number; readonly pre: boolean; readonly cause: Cause}
  | {readonly type: 'confChanged'; readonly conf: ConfInfo; readonly index: number}
  | {readonly type: 'transferStarted'; readonly to: NodeId; readonly term: number}
  | {readonly type: 'transferAborted'; readonly to: NodeId; readonly term: number}
  | {readonly type: 'rebuildingChanged'; readonly rebuilding: boolean; readonly term: number; readonly index: number}
  | {readonly type: 'progressReset'; readonly node: NodeId; readonly match: number; readonly reason: 'incarnation' | 'shortLog'; readonly term: number}
  | {readonly type: 'voteCast'; readonly candidate: NodeId; readonly term: number; readonly pre: boolean; readonly granted: boolean; readonly reason: VoteRefusal | null}
  | {readonly type: 'snapshotSent'; readonly to: NodeId; readonly index: number; readonly term: number}
  | {readonly type: 'snapshotReceived'; readonly from: NodeId; readonly index: number; readonly term: number}
  | MessageEvent
  | WatchEvent
  | WatchEndEvent
  | WatchProgressEvent

/**
 * The changes the log entry at `index` made to a watch's keys (`watchId`: the `watch` request's
 * id). `more: true`: the entry's changes continue in the next frame (at most
 * `WATCH_FRAME_CHANGES` per frame).
 */
export interface WatchEvent {
  readonly type: 'watch'
  readonly watchId: number
  readonly index: number
  readonly changes: readonly WatchChange[]
  readonly more?: boolean
}

/**
 * A watch ended by the node: `COMPACTED` (its next index is no longer kept: `oldestIndex` is
 * the oldest still available), `SLOW_CONSUMER` (it fell behind by more than the node keeps), or
 * `SHUTTING_DOWN`.
 */
export interface WatchEndEvent {
  readonly type: 'watchEnd'
  readonly watchId: number
  readonly code: ErrorCode
  readonly message: string
  readonly oldestIndex?: number
}

/**
 * A watch's heartbeat (every `WATCH_PROGRESS_MS` while the watch has nothing unsent): every
 * change up to `index` (the node's applied index) that matches the watch was sent, so a client
 * may resume from `index + 1`; `leaderSilentMs` is how long the node has not heard a leader (0:
 * it leads or heard one now). A client leaves a node silent for longer than its leaderless
 * timeout (docs/kv.md, Watch).
 */
export interface WatchProgressEvent {
  readonly type: 'watchProgress'
  readonly watchId: number
  readonly index: number
  readonly leaderSilentMs: number
}

/** Kinds of Raft messages between nodes. */
export type RaftMessageKind = 'vote' | 'voteResp' | 'append' | 'appendResp' | 'heartbeat' | 'heartbeatResp' | 'snapshot' | 'timeoutNow'

/**
 * A Raft message this node sent, sampled (at most `messageEventsPerSecond` per subscriber
 * stream; votes, snapshots and TimeoutNow always): for pictures of traffic, not accounting.
 */
export interface MessageEvent {
  readonly type: 'message'
  readonly from: NodeId
  readonly to: NodeId
  readonly kind: RaftMessageKind
  readonly term: number
  /** Entries carried (appends), else 0. */
  readonly entries: number
  /** A pre-vote (vote, voteResp), else false. */
  readonly pre: boolean
  /** For responses: whether it granted / succeeded; else true. */
  readonly ok: boolean
}

/** Name of an event. */
export type AdminEventType = AdminEvent['type']

// ---------------------------------------------------------------------------------------------
// The maps every request type is keyed in

/**
 * Parameters of every request type. Adding a type (e.g. `chaos.partition`): add its
 * parameters here, its result to {@link ResultMap}, and one entry to `REQUEST_SPECS`
 * (src/admin/specs.ts); the compiler insists on all three.
 */
export interface RequestParamsMap {
  get: GetParams
  put: PutParams
  delete: DeleteParams
  cas: CasParams
  append: AppendParams
  range: RangeParams
  deletePrefix: DeletePrefixParams
  txn: TxnParams
  watch: WatchParams
  status: NoParams
  members: NoParams
  'member.add': MemberAddParams
  'member.remove': MemberParams
  'member.promote': MemberParams
  transfer: TransferParams
  campaign: NoParams
  stepdown: NoParams
  snapshot: NoParams
  subscribe: NoParams
  unsubscribe: NoParams
  ping: NoParams
  'chaos.add': ChaosAddParams
  'chaos.heal': ChaosHealParams
  'chaos.list': NoParams
  'snapshot.begin': NoParams
  'snapshot.chunk': SnapshotChunkParams
  'snapshot.end': SnapshotEndParams
  events: EventsParams
  diagnostics: NoParams
  hash: HashParams
}

/** Result of every request type. */
export interface ResultMap {
  get: GetResult
  put: PutResult
  delete: DeleteResult
  cas: CasResult
  append: AppendResult
  range: RangeResult
  deletePrefix: DeletePrefixResult
  txn: TxnResult
  watch: WatchResult
  status: StatusResult
  members: Members
  'member.add': MemberChangeResult
  'member.remove': MemberChangeResult
  'member.promote': MemberChangeResult
  transfer: TransferResult
  campaign: TermResult
  stepdown: TermResult
  snapshot: SnapshotResult
  subscribe: EmptyResult
  unsubscribe: EmptyResult
  ping: PingResult
  'chaos.add': ChaosAddResult
  'chaos.heal': ChaosHealResult
  'chaos.list': ChaosListResult
  'snapshot.begin': SnapshotBeginResult
  'snapshot.chunk': SnapshotChunkResult
  'snapshot.end': EmptyResult
  events: EventsResult
  diagnostics: DiagnosticsResult
  hash: HashResult
}

/** Name of a request type. */
export type RequestType = keyof RequestParamsMap

/** The key-value request types (route `/client`). */
export type KvRequestType = 'get' | 'put' | 'delete' | 'cas' | 'append' | 'range' | 'deletePrefix' | 'txn'

/** A parsed request of type `T`: the envelope fields and the parameters, flat. */
export type RequestOf<T extends RequestType> = {readonly v: typeof PROTOCOL_VERSION; readonly id: number; readonly type: T} & RequestParamsMap[T]

/** Any parsed request, discriminated by `type`. */
export type Request = {[T in RequestType]: RequestOf<T>}[RequestType]

// ---------------------------------------------------------------------------------------------
// Errors and envelopes

/** Where the leader is, for redirects. */
export interface LeaderHint {
  readonly id: NodeId
  /** Its address (`ws://host:port`), or null when unknown to the answering node. */
  readonly address: string | null
}

/** The `error` of a failed response. */
export interface ProtocolError {
  readonly code: ErrorCode
  readonly message: string
  /** With `NOT_LEADER` (and optionally other codes): the leader, when the node knows one. */
  readonly leader?: LeaderHint
}

/** A successful response frame: the envelope and the result's fields, flat. */
export type SuccessResponse<T extends RequestType> = {readonly v: typeof PROTOCOL_VERSION; readonly id: number; readonly ok: true} & ResultMap[T]

/** A failed response frame. `id` is null when the request's id could not be read. */
export interface ErrorResponse {
  readonly v: typeof PROTOCOL_VERSION
  readonly id: number | null
  readonly ok: false
  readonly error: ProtocolError
}

/** An event frame pushed to a subscriber. `time`: the node's wall clock, ms since the epoch. */
export interface EventMessage {
  readonly v: typeof PROTOCOL_VERSION
  readonly type: 'event'
  readonly event: AdminEvent
  readonly time: number
}
