/**
 * The public library API of raftctl for Node users: the key-value client (leader discovery,
 * redirects, retries, exactly-once sessions), the admin client of one node, the connection
 * they share, the error they throw, and the protocol's types (docs/protocol.md).
 *
 * ```ts
 * import {KvClient} from './client/index.js' // dist/client/index.js in the published package
 * const kv = new KvClient({endpoints: [{id: 'n1', url: 'ws://127.0.0.1:7001'}], secret})
 * await kv.put('x', '1')
 * await kv.close()
 * ```
 */
export {KvClient, type Endpoint, type GetOptions, type KvClientOptions, type RangeOptions, type RangeSelector} from './kv-client.js'
export {DEFAULT_WATCH_BUFFERED_BYTES, DEFAULT_WATCH_BUFFERED_CHANGES, DEFAULT_WATCH_LEADERLESS_MS, DEFAULT_WATCH_SILENCE_MS, MIN_WATCH_SILENCE_MS, KvWatch, type KvWatchEvent, type WatchOptions, type WatchSelector} from './watch.js'
export {AdminClient, type AddMemberOptions, type MemberChangeOptions, type ChaosAddOptions, type ChaosHealFilter, type AdminClientOptions, type Subscription, type SubscriptionEndListener} from './admin-client.js'
export {
  Connection, DEFAULT_MAX_IN_FLIGHT, DEFAULT_TIMEOUT_MS, isConnectionRefused,
  type ClientTlsOptions, type CloseListener, type ConnectionOptions, type EventListener, type RequestOptions,
} from './connection.js'
export {ClientError, toClientError, type ClientErrorOptions} from './errors.js'
export {routeUrl} from './endpoints.js'
export {EXIT_CODES, OUTCOME_UNKNOWN_CODES, RaftctlError, isErrorCode, type ErrorCode} from '../common/errors.js'
export {
  DEFAULT_PROTOCOL_LIMITS, PROTOCOL_VERSION, ROUTE_PATHS,
  type AdminEvent, type AdminEventType, type AppendResult, type CasResult, type Cause, type ConfInfo, type DeleteResult,
  type FaultInfo, type FaultKind, type FaultSpec, type GetResult, type LeaderHint, type MemberChangeResult, type MemberInfo, type Members, type NodeId,
  type NodeStatus, type PingResult, type ProgressInfo, type ProgressState, type ProtocolError, type ProtocolLimits,
  type PutResult, type RaftRole, type RequestParamsMap, type RequestType, type ResultMap, type RouteName, type Session,
  type SnapshotResult, type StatusRole, type TermResult, type TransferResult,
  type TxnCompare, type TxnOp, type TxnParams, type TxnResult,
} from '../admin/protocol.js'
