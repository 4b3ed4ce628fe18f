/**
 * The table of every request type: which routes serve it, whether it changes state (so that a
 * lost answer leaves its outcome unknown), and the schemas of its parameters and its result.
 * `parseRequest` and `parseResponse` (protocol.ts) are driven entirely by this table, so a new
 * type (e.g. `chaos.partition`) is one entry here plus its types in messages.ts.
 */
import {MAX_ADDRESS_BYTES, MAX_LIST_ITEMS, MAX_NODE_ID_BYTES, MAX_RANGE_LIMIT, MAX_TXN_OPS, SNAPSHOT_CHUNK_BYTES, WATCH_FRAME_CHANGES} from './limits.js'
import type {
  AdminEvent, Cause, ConsistencyAlarm, DiagnosticsResult, FaultKind, RecordedEvent, FaultSpec, MemberInfo, NodeStatus, ProgressInfo, RangeKv, RangeParams, RequestParamsMap, RequestType, ResultMap, Session,
  TxnCompare, TxnOp, WatchChange, WatchParams,
} from './messages.js'
import {
  boolean, constant, fail, integer, list, nullable, number, object, oneOf, openObject, optional, tagged, text, withDefault,
  type Schema, type Shape, type ShapeOf,
} from './schema.js'

/** A WebSocket route of the daemon that serves client or admin requests. */
export type RouteName = 'client' | 'admin'

/** URL path of each route. */
export const ROUTE_PATHS: Readonly<Record<RouteName, string>> = Object.freeze({client: '/client', admin: '/admin'})

/**
 * `read`: changes no replicated state, safe to retry anywhere. `write`: changes state; if the
 * answer is lost (timeout, closed connection) the outcome is unknown.
 */
export type Effect = 'read' | 'write'

/** Everything the protocol knows about one request type. */
export interface RequestSpec<T extends RequestType> {
  /** Routes that serve it; on another route it is `UNKNOWN_TYPE`. */
  readonly routes: readonly RouteName[]
  readonly effect: Effect
  /** Checks the parameters (the request's fields other than `v`, `id`, `type`). */
  readonly params: Schema<RequestParamsMap[T]>
  /** Checks the result (the success response's fields other than `v`, `id`, `ok`). */
  readonly result: Schema<ResultMap[T]>
}

/** The envelope fields of a request, allowed beside its parameters. */
export const REQUEST_ENVELOPE_FIELDS: readonly string[] = Object.freeze(['v', 'id', 'type'])

// ---------------------------------------------------------------------------------------------
// Field schemas shared by several types

const safeIndex = integer(0)
const term = integer(0)
const nodeId = text({nonEmpty: true, maxBytes: MAX_NODE_ID_BYTES})
const address = text({nonEmpty: true, maxBytes: MAX_ADDRESS_BYTES})
const key = text({nonEmpty: true, maxBytes: 'maxKeyBytes'})
const value = text({maxBytes: 'maxValueBytes'})

const session: Schema<Session> = object({
  clientId: text({nonEmpty: true, maxBytes: 'maxClientIdBytes'}),
  seq: integer(1),
})

/** A key bound of a range: like a key, but it may be empty (`""`: from the first key). */
const keyBound = text({maxBytes: 'maxKeyBytes'})

const rangeShape = params({
  prefix: optional(keyBound),
  from: optional(keyBound),
  to: optional(keyBound),
  limit: optional(integer(1, MAX_RANGE_LIMIT)),
  keysOnly: optional(boolean()),
  countOnly: optional(boolean()),
  serializable: optional(boolean()),
})

/** {@link RangeParams}: the fields, then either `prefix` or `from` (with an optional `to`). */
const rangeParams: Schema<RangeParams> = (value, field, ctx) => {
  const checked = rangeShape(value, field, ctx)
  if (checked.prefix !== undefined && (checked.from !== undefined || checked.to !== undefined)) {
    return fail(field, 'give either prefix, or from with an optional to, not both')
  }
  if (checked.prefix === undefined && checked.from === undefined) {
    return fail(field, checked.to === undefined ? 'give prefix, or from with an optional to' : 'to needs from')
  }
  return checked
}

const rangeKv: Schema<RangeKv> = object({key: text(), value: optional(value), modIndex: safeIndex})

const compareShape = object({key, value: optional(value), absent: optional(constant(true)), modIndex: optional(safeIndex)})

/** {@link TxnCompare}: a key and exactly one of value, absent, modIndex. */
const txnCompare: Schema<TxnCompare> = (raw, field, ctx) => {
  const c = compareShape(raw, field, ctx)
  const given = [c.value !== undefined, c.absent !== undefined, c.modIndex !== undefined].filter(Boolean).length
  if (given !== 1) return fail(field, 'give exactly one of value, absent: true, modIndex')
  return c.value !== undefined ? {key: c.key, value: c.value} : c.absent !== undefined ? {key: c.key, absent: true} : {key: c.key, modIndex: c.modIndex!}
}

const txnOp: Schema<TxnOp> = tagged<TxnOp>('op', {
  put: object({op: constant('put'), key, value}),
  delete: object({op: constant('delete'), key}),
})

const txnOps = withDefault(list(txnOp, MAX_TXN_OPS), [])

const watchShape = params({key: optional(key), prefix: optional(keyBound), fromIndex: optional(integer(1))})

/** {@link WatchParams}: exactly one of key and prefix. */
const watchParams: Schema<WatchParams> = (raw, field, ctx) => {
  const w = watchShape(raw, field, ctx)
  if ((w.key === undefined) === (w.prefix === undefined)) return fail(field, 'give exactly one of key and prefix')
  return w
}

const watchChange: Schema<WatchChange> = object({type: oneOf(['put', 'delete']), key: text(), value: optional(text())})

/** An object schema for parameters: the envelope fields are allowed beside `shape`. */
function params<S extends Shape>(shape: S): Schema<ShapeOf<S>> {
  return object(shape, REQUEST_ENVELOPE_FIELDS)
}

const noParams = params({})
const emptyResult = object({})

const memberInfo: Schema<MemberInfo> = object({id: nodeId, address: nullable(address)})
const members = object({voters: list(memberInfo, MAX_LIST_ITEMS), learners: list(memberInfo, MAX_LIST_ITEMS)})
const memberChange = object({index: safeIndex, members})
const termResult = object({term})

const raftRole = oneOf(['follower', 'precandidate', 'candidate', 'leader'])
const cause: Schema<Cause> = oneOf(['timeout', 'transfer', 'manual', 'checkQuorum', 'higherTerm', 'won', 'lost', 'removed', 'restart'])

const progress: Schema<ProgressInfo> = object({
  id: nodeId,
  match: safeIndex,
  next: safeIndex,
  state: oneOf(['probe', 'replicate', 'snapshot']),
  recentActive: boolean(),
  lastContactMs: number(0),
  inflight: integer(0),
})

/** Schema of {@link ConsistencyAlarm}. */
const consistencyAlarm = object({
  index: safeIndex, nodes: list(nodeId, MAX_LIST_ITEMS), hashes: openObject({}, MAX_LIST_ITEMS), time: number(0),
}) as Schema<ConsistencyAlarm>

/** Schema of {@link NodeStatus} (the `status` field of a `status` result). */
export const nodeStatusSchema: Schema<NodeStatus> = object({
  id: nodeId,
  role: oneOf(['follower', 'precandidate', 'candidate', 'leader', 'learner']),
  term,
  vote: nullable(nodeId),
  leader: nullable(nodeId),
  commitIndex: safeIndex,
  appliedIndex: safeIndex,
  lastIndex: safeIndex,
  lastTerm: term,
  firstIndex: safeIndex,
  snapshotIndex: safeIndex,
  voter: boolean(),
  members,
  progress: list(progress, MAX_LIST_ITEMS),
  transferee: nullable(nodeId),
  electionElapsedMs: integer(0),
  electionTimeoutMs: integer(0),
  uptimeMs: number(0),
  pid: integer(0),
  address: text(),
  version: text(),
  faults: list(openObject({id: text(), kind: text()}), MAX_LIST_ITEMS),
  peerAuth: optional(oneOf(['peer-secret', 'shared-secret'])),
  clusterId: optional(nullable(text())),
  rebuilding: optional(boolean()),
  incarnation: optional(safeIndex),
  alarm: optional(nullable(consistencyAlarm)),
})

// ---------------------------------------------------------------------------------------------
// Chaos faults (checked here for shape; the daemon checks the values: rates, bounds, groups)

const nodeIds = list(nodeId, MAX_LIST_ITEMS)
const peers = optional(nodeIds)
const rate = number(0, 1)
const millis = number(0)

/** Schema of {@link FaultSpec}, told apart by `kind`. */
export const faultSpecSchema: Schema<FaultSpec> = tagged<FaultSpec>('kind', {
  partition: object({kind: constant('partition'), groups: list(nodeIds, MAX_LIST_ITEMS), oneWay: optional(boolean())}),
  drop: object({kind: constant('drop'), rate, peers}),
  delay: object({kind: constant('delay'), ms: millis, jitter: optional(millis), peers}),
  duplicate: object({kind: constant('duplicate'), rate, peers}),
  reorder: object({kind: constant('reorder'), rate, ms: millis, peers}),
  disk: object({kind: constant('disk'), fsyncDelayMs: millis}),
})

/** The fault kinds, for `chaos.heal`'s `kind`. */
export const FAULT_KIND_NAMES: readonly FaultKind[] = Object.freeze(['partition', 'drop', 'delay', 'duplicate', 'reorder', 'disk'])

const faultId = text({nonEmpty: true, maxBytes: 64})
const streamId = text({nonEmpty: true, maxBytes: 64})
/** Base64 of at most SNAPSHOT_CHUNK_BYTES bytes. */
const base64Chunk = text({maxBytes: 4 * Math.ceil(SNAPSHOT_CHUNK_BYTES / 3)})
const faultInfo = openObject({id: text(), kind: text()})

// ---------------------------------------------------------------------------------------------
// Diagnostics (checked for shape: the fields doctor reads; an event is any object with a `type`)

const recordedEvent = object({seq: integer(1), time: number(0), event: openObject({type: text()})}) as unknown as Schema<RecordedEvent>
const ms = number(0)
const diagnostics: Schema<DiagnosticsResult> = object({
  node: nodeId,
  version: text(),
  tickMs: integer(1),
  electionTicks: integer(1),
  heartbeatTicks: integer(1),
  secretFiles: list(object({role: oneOf(['secret', 'peerSecret']), path: text(), mode: nullable(integer(0))}), 4),
  saveLatency: nullable(object({count: integer(0), p50: ms, p99: ms, max: ms})),
  disk: nullable(object({freeBytes: number(0), totalBytes: number(0)})),
  storageError: nullable(text()),
  peers: list(object({id: nodeId, lastHeardMs: nullable(ms), reachable: boolean()}), MAX_LIST_ITEMS),
  alarm: nullable(consistencyAlarm),
  consistencyCheckEveryMs: ms,
})

// ---------------------------------------------------------------------------------------------
// The table

const kv = ['client'] as const
const admin = ['admin'] as const

/**
 * Every request type. The mapped type makes the compiler demand an entry for each member of
 * {@link RequestParamsMap}, with schemas producing exactly its parameter and result types.
 */
export const REQUEST_SPECS: {readonly [T in RequestType]: RequestSpec<T>} = Object.freeze({
  get: {routes: kv, effect: 'read', params: params({key, serializable: optional(boolean())}), result: object({value: nullable(value), index: safeIndex})},
  put: {routes: kv, effect: 'write', params: params({key, value, session: optional(session), echo: optional(boolean())}), result: object({value: optional(value)})},
  delete: {routes: kv, effect: 'write', params: params({key, session: optional(session)}), result: object({deleted: boolean()})},
  cas: {
    routes: kv, effect: 'write',
    params: params({key, expected: nullable(value), value, session: optional(session)}),
    result: object({swapped: boolean(), value: nullable(value)}),
  },
  append: {routes: kv, effect: 'write', params: params({key, value, session: optional(session)}), result: object({value})},
  range: {
    routes: kv, effect: 'read', params: rangeParams,
    result: object({kvs: list(rangeKv, MAX_RANGE_LIMIT), count: safeIndex, more: boolean(), index: safeIndex}),
  },
  deletePrefix: {routes: kv, effect: 'write', params: params({prefix: keyBound, session: optional(session)}), result: object({deleted: safeIndex})},
  txn: {
    routes: kv, effect: 'write',
    params: params({compare: withDefault(list(txnCompare, MAX_TXN_OPS), []), success: txnOps, failure: txnOps, session: optional(session)}),
    result: object({succeeded: boolean()}),
  },
  watch: {routes: kv, effect: 'read', params: watchParams, result: object({fromIndex: safeIndex, oldestIndex: safeIndex})},
  status: {routes: admin, effect: 'read', params: noParams, result: object({status: nodeStatusSchema})},
  members: {routes: admin, effect: 'read', params: noParams, result: members},
  'member.add': {
    routes: admin, effect: 'write',
    params: params({node: nodeId, address, learner: withDefault(boolean(), false), force: optional(boolean())}),
    result: memberChange,
  },
  'member.remove': {routes: admin, effect: 'write', params: params({node: nodeId, force: optional(boolean())}), result: memberChange},
  'member.promote': {routes: admin, effect: 'write', params: params({node: nodeId, force: optional(boolean())}), result: memberChange},
  transfer: {routes: admin, effect: 'write', params: params({to: optional(nullable(nodeId))}), result: object({leader: nodeId, term})},
  campaign: {routes: admin, effect: 'write', params: noParams, result: termResult},
  stepdown: {routes: admin, effect: 'write', params: noParams, result: termResult},
  snapshot: {routes: admin, effect: 'write', params: noParams, result: object({index: safeIndex})},
  subscribe: {routes: admin, effect: 'read', params: noParams, result: emptyResult},
  unsubscribe: {routes: admin, effect: 'read', params: noParams, result: emptyResult},
  ping: {routes: ['client', 'admin'], effect: 'read', params: noParams, result: object({node: nodeId, time: number(0)})},
  'chaos.add': {
    routes: admin, effect: 'write',
    params: params({fault: faultSpecSchema, forMs: optional(number(0)), faultId: optional(faultId)}),
    result: object({fault: faultInfo}),
  },
  'chaos.heal': {routes: admin, effect: 'write', params: params({faultId: optional(faultId), kind: optional(oneOf(FAULT_KIND_NAMES))}), result: object({removed: integer(0)})},
  'chaos.list': {routes: admin, effect: 'read', params: noParams, result: object({faults: list(faultInfo, MAX_LIST_ITEMS)})},
  'snapshot.begin': {
    routes: admin, effect: 'read', params: noParams,
    result: object({
      stream: streamId, node: nodeId, clusterId: nullable(text()), index: safeIndex, term, members, bytes: safeIndex,
      chunkBytes: integer(1, SNAPSHOT_CHUNK_BYTES), version: text(),
    }),
  },
  'snapshot.chunk': {routes: admin, effect: 'read', params: params({stream: streamId, offset: safeIndex}), result: object({data: base64Chunk})},
  'snapshot.end': {routes: admin, effect: 'read', params: params({stream: streamId}), result: emptyResult},
  events: {
    routes: admin, effect: 'read', params: params({since: optional(number(0))}),
    result: object({node: nodeId, capacity: integer(0), dropped: integer(0), events: list(recordedEvent, MAX_LIST_ITEMS)}),
  },
  diagnostics: {routes: admin, effect: 'read', params: noParams, result: diagnostics},
  hash: {routes: admin, effect: 'read', params: params({index: optional(safeIndex)}), result: object({node: nodeId, index: safeIndex, hash: text()})},
})

/** The spec of `type`, or undefined for an unknown (untrusted) type name. */
export function specOf(type: string): RequestSpec<RequestType> | undefined {
  if (!Object.prototype.hasOwnProperty.call(REQUEST_SPECS, type)) return undefined
  return REQUEST_SPECS[type as RequestType] as RequestSpec<RequestType>
}

/** True when `type` is a request type of the protocol. */
export function isRequestType(type: unknown): type is RequestType {
  return typeof type === 'string' && specOf(type) !== undefined
}

// ---------------------------------------------------------------------------------------------
// Events

const conf = object({voters: list(nodeId, MAX_LIST_ITEMS), learners: list(nodeId, MAX_LIST_ITEMS)})

/** Schema of every {@link AdminEvent}, told apart by `type`. */
export const EVENT_SCHEMAS: Readonly<Record<AdminEvent['type'], Schema<AdminEvent>>> = Object.freeze({
  roleChanged: object({type: constant('roleChanged'), from: raftRole, to: raftRole, term, cause, peer: optional(nodeId)}),
  leaderChanged: object({type: constant('leaderChanged'), leader: nullable(nodeId), term}),
  electionStarted: object({type: constant('electionStarted'), term, pre: boolean(), cause}),
  confChanged: object({type: constant('confChanged'), conf, index: safeIndex}),
  transferStarted: object({type: constant('transferStarted'), to: nodeId, term}),
  transferAborted: object({type: constant('transferAborted'), to: nodeId, term}),
  rebuildingChanged: object({type: constant('rebuildingChanged'), rebuilding: boolean(), term, index: safeIndex}),
  progressReset: object({type: constant('progressReset'), node: nodeId, match: safeIndex, reason: oneOf(['incarnation', 'shortLog']), term}),
  voteCast: object({
    type: constant('voteCast'), candidate: nodeId, term, pre: boolean(), granted: boolean(),
    reason: nullable(oneOf(['logBehind', 'votedOther', 'leaderKnown', 'lease', 'staleTerm'])),
  }),
  snapshotSent: object({type: constant('snapshotSent'), to: nodeId, index: safeIndex, term}),
  snapshotReceived: object({type: constant('snapshotReceived'), from: nodeId, index: safeIndex, term}),
  message: object({
    type: constant('message'), from: nodeId, to: nodeId,
    kind: oneOf(['vote', 'voteResp', 'append', 'appendResp', 'heartbeat', 'heartbeatResp', 'snapshot', 'timeoutNow']),
    term, entries: safeIndex, pre: boolean(), ok: boolean(),
  }),
  watch: object({type: constant('watch'), watchId: safeIndex, index: safeIndex, changes: list(watchChange, WATCH_FRAME_CHANGES), more: optional(boolean())}),
  watchEnd: object({type: constant('watchEnd'), watchId: safeIndex, code: text({nonEmpty: true}) as Schema<never>, message: text(), oldestIndex: optional(safeIndex)}),
  watchProgress: object({type: constant('watchProgress'), watchId: safeIndex, index: safeIndex, leaderSilentMs: safeIndex}),
})

/** Schema of any event. */
export const eventSchema: Schema<AdminEvent> = tagged('type', EVENT_SCHEMAS)
