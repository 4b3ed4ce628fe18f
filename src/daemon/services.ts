/**
 * The daemon's request handlers: one function per request type of the client and admin
 * protocol (docs/protocol.md), each turning a validated request into replica calls and a
 * result, or a ServiceError with a stable code.
 */
import {encodeCommand, type KeyRange, type KvCommand, type KvOkResult, type KvResult} from '../kv/index.js'
import type {ErrorCode} from '../common/errors.js'
import {MAX_RANGE_LIMIT, MAX_RANGE_RESPONSE_BYTES, type AdminEvent, type LeaderHint, type Members, type NodeStatus, type RequestOf, type RequestType, type ResultMap} from '../admin/protocol.js'
import type {ProposalOutcome, Replica} from '../replica/replica.js'
import type {RaftStatus} from '../raft/index.js'
import type {ConfChange} from '../raft/types.js'
import type {KvStateMachine} from '../kv/index.js'
import type {DaemonConfig} from './config.js'
import type {DaemonMetrics} from './metrics.js'
import {ChaosError, type FaultRegistry} from '../chaos/registry.js'

/** What the handlers need from the running node (implemented by src/daemon/node.ts). */
export interface Node {
  readonly id: string
  readonly config: DaemonConfig
  readonly replica: Replica
  readonly kv: KvStateMachine
  readonly metrics: DaemonMetrics
  /** The chaos faults this node applies to what it sends and to its disk. */
  readonly chaos: FaultRegistry
  /** Process pending work at the end of this event-loop turn. */
  schedule(): void
  role(): string
  leaderHint(): LeaderHint | undefined
  /** Throws NOT_LEADER / NO_LEADER unless this node leads. */
  requireLeader(): void
  members(): Members
  status(): NodeStatus
  normalizeAddress(address: string): string
  /** Resolve when `check` yields a value after a Ready; reject when `abort` matches an event first. */
  waitFor<T>(check: (st: RaftStatus) => T | null, abort: (e: AdminEvent) => boolean): Promise<T>
}

/** A request failed with a stable code (and, for redirects, where the leader is). */
export class ServiceError extends Error {
  constructor(readonly code: ErrorCode, message: string, readonly leader?: LeaderHint) {
    super(message)
  }
}

type Handler<T extends RequestType> = (node: Node, req: RequestOf<T>) => Promise<ResultMap[T]>

/** Every request type's handler. */
export const HANDLERS: {[T in RequestType]: Handler<T>} = {
  get: handleGet,
  put: (node, req) => promised(WRITE_HANDLERS.put, node, req),
  delete: (node, req) => promised(WRITE_HANDLERS.delete, node, req),
  cas: (node, req) => promised(WRITE_HANDLERS.cas, node, req),
  append: (node, req) => promised(WRITE_HANDLERS.append, node, req),
  deletePrefix: (node, req) => promised(WRITE_HANDLERS.deletePrefix, node, req),
  range: handleRange,
  status: async (node) => ({status: node.status()}),
  members: async (node) => node.members(),
  'member.add': (node, req) => changeMembers(node, {type: req.learner ? 'addLearner' : 'addVoter', node: req.node, address: node.normalizeAddress(req.address)}, req.force),
  'member.remove': (node, req) => changeMembers(node, {type: 'remove', node: req.node}, req.force),
  'member.promote': (node, req) => changeMembers(node, {type: 'promote', node: req.node}, req.force),
  transfer: handleTransfer,
  campaign: handleCampaign,
  stepdown: handleStepDown,
  snapshot: (node) => new Promise((resolve, reject) => node.replica.snapshotWhenIdle((index) => {
    if (index === null) reject(new ServiceError('SHUTTING_DOWN', 'the node stopped before the snapshot was taken'))
    else resolve({index})
  })),
  subscribe: async () => ({}),
  unsubscribe: async () => ({}),
  ping: async (node) => ({node: node.id, time: Date.now()}),
  'chaos.add': async (node, req) => ({fault: chaos(() => node.chaos.add(req.fault, {forMs: req.forMs, id: req.faultId}))}),
  'chaos.heal': async (node, req) => ({removed: node.chaos.heal({id: req.faultId, kind: req.kind})}),
  'chaos.list': async (node) => ({faults: node.chaos.list()}),
}

/** Run a chaos registry call; its refusals (bad values, limits) are BAD_REQUEST. */
function chaos<T>(fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    if (err instanceof ChaosError) throw new ServiceError('BAD_REQUEST', err.message)
    throw err
  }
}

// ------------------------------------------------------------------ key-value

async function handleGet(node: Node, req: RequestOf<'get'>): Promise<ResultMap['get']> {
  const index = await readPoint(node, req.serializable === true)
  return {value: node.kv.read(req.key), index: index ?? node.replica.applied}
}

/**
 * Wait until this node may serve a read: at once for a local read (`serializable`, or a
 * follower in unsafe follower-read mode: resolves null), else after a ReadIndex round
 * (resolves the confirmed read index; the state is then applied at least that far).
 */
async function readPoint(node: Node, serializable: boolean): Promise<number | null> {
  const local = serializable || (node.config.unsafeFollowerReads && node.role() !== 'leader')
  if (local) {
    node.metrics.reads.inc({kind: serializable ? 'serializable' : 'unsafe', outcome: 'ok'})
    return null
  }
  const index = await withTimeout(node, new Promise<number>((resolve, reject) => {
    node.replica.readBarrier((o) => (o.ok ? resolve(o.index) : reject(notOk(node, o.code, o.message))))
    node.schedule()
  }))
  node.metrics.reads.inc({kind: 'linearizable', outcome: 'ok'})
  return index
}

/**
 * A range read, linearizable unless `serializable` (as `get`), answered from the state as
 * applied now, whose index it reports; the list is cut at `limit` (default and most
 * {@link MAX_RANGE_LIMIT}) and at {@link MAX_RANGE_RESPONSE_BYTES} of JSON.
 */
async function handleRange(node: Node, req: RequestOf<'range'>): Promise<ResultMap['range']> {
  await readPoint(node, req.serializable === true)
  const range: KeyRange = req.prefix !== undefined ? {prefix: req.prefix} : {from: req.from ?? '', to: req.to ?? null}
  const answer = node.kv.range({
    range,
    limit: req.limit ?? MAX_RANGE_LIMIT,
    keysOnly: req.keysOnly === true,
    countOnly: req.countOnly === true,
    maxBytes: MAX_RANGE_RESPONSE_BYTES,
  })
  return {...answer, index: node.replica.applied}
}

/** The request types that are KV writes. */
export type WriteType = 'put' | 'delete' | 'cas' | 'append' | 'deletePrefix'

/** How a KV write is answered: exactly once, with the error or with the result. */
export type WriteAnswer<T extends WriteType> = (error: ServiceError | null, result?: ResultMap[T]) => void

type WriteHandler<T extends WriteType> = (node: Node, req: RequestOf<T>, answer: WriteAnswer<T>) => void

/**
 * The KV writes, answered through callbacks rather than promises: this is the path of every
 * write, and an answer is queued from inside the apply, before that Ready's peer messages (it
 * leaves first unless the Ready also flushes appends before writing its own batch).
 */
export const WRITE_HANDLERS: {[T in WriteType]: WriteHandler<T>} = {
  put: writeHandler((req) => ({op: 'put', key: req.key, value: req.value, session: req.session}), (r) => ({value: (r as {value: string}).value})),
  delete: writeHandler((req) => ({op: 'delete', key: req.key, session: req.session}), (r) => ({deleted: (r as {deleted: boolean}).deleted})),
  cas: writeHandler((req) => ({op: 'cas', key: req.key, expected: req.expected, value: req.value, session: req.session}),
    (r) => ({swapped: (r as {swapped: boolean}).swapped, value: (r as {value: string | null}).value})),
  append: writeHandler((req) => ({op: 'append', key: req.key, value: req.value, session: req.session}), (r) => ({value: (r as {value: string}).value})),
  deletePrefix: writeHandler((req) => ({op: 'deletePrefix', prefix: req.prefix, session: req.session}), (r) => ({deleted: (r as {deleted: number}).deleted})),
}

/** A write handler: the request as a KV command, and the state machine's result as the answer. */
function writeHandler<T extends WriteType>(command: (req: RequestOf<T>) => KvCommand, result: (r: KvOkResult) => ResultMap[T]): WriteHandler<T> {
  return (node, req, answer) => proposeWrite(node, command(req), (err, r) => answer(err, r && result(r)))
}

/** True when `type` is a KV write (answered by {@link WRITE_HANDLERS}). */
export function isWriteType(type: RequestType): type is WriteType {
  return Object.hasOwn(WRITE_HANDLERS, type)
}

/** A write handler as a promise (the generic request path). */
function promised<T extends WriteType>(handler: WriteHandler<T>, node: Node, req: RequestOf<T>): Promise<ResultMap[T]> {
  return new Promise((resolve, reject) => handler(node, req, (err, result) => (err ? reject(err) : resolve(result!))))
}

/** Propose a KV write and call `answer` exactly once, as {@link proposeOnce}, with the state machine's result. */
function proposeWrite(node: Node, command: KvCommand, answer: (error: ServiceError | null, result?: KvOkResult) => void): void {
  let data: Uint8Array
  try {
    data = encodeCommand(command, node.kv.limits)
  } catch (err) {
    const e = err as {code?: string; message: string}
    return answer(new ServiceError(e.code === 'PAYLOAD_TOO_LARGE' ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST', e.message))
  }
  const started = performance.now()
  proposeOnce(node, (cb) => node.replica.propose(data, cb), (err, outcome) => {
    if (err) return answer(err)
    node.metrics.writeSeconds.observe((performance.now() - started) / 1000)
    const result = outcome!.result as KvResult
    if (!result.ok) return answer(new ServiceError(result.code as ErrorCode, result.message))
    answer(null, result)
  })
}

/** An applied proposal. */
type Applied = Extract<ProposalOutcome, {ok: true}>

/**
 * Start a proposal and call `done` exactly once: with the applied outcome, or with a
 * ServiceError. After the request timeout that is `TIMEOUT` (the write may or may not be
 * applied) and the later outcome is dropped; a proposal that throws is `UNKNOWN_OUTCOME`.
 * Callbacks, not promises: every KV write takes this path.
 */
function proposeOnce(node: Node, start: (cb: (o: ProposalOutcome) => void) => void, done: (error: ServiceError | null, outcome?: Applied) => void): void {
  const ms = node.config.requestTimeoutMs
  let answered = false
  // The messages leave out what may or may not have happened: the client words it for the request (a write, a membership change).
  const timer = setTimeout(() => settle(new ServiceError('TIMEOUT', `no answer within ${ms} ms`)), ms)
  const settle = (error: ServiceError | null, outcome?: Applied): void => {
    if (answered) return
    answered = true
    clearTimeout(timer)
    done(error, outcome)
  }
  try {
    start((outcome) => {
      if (answered) return
      if (!outcome.ok) return settle(failedProposal(node, outcome))
      node.metrics.proposals.inc({outcome: 'ok'})
      settle(null, outcome)
    })
  } catch (err) {
    // Proposing threw (a bug or a dead replica): answered once; whether it took effect is unknown.
    return settle(new ServiceError('UNKNOWN_OUTCOME', `proposing failed (${(err as Error).message})`))
  }
  node.schedule()
}

/** Count a failed proposal and map it to the error to answer. */
function failedProposal(node: Node, outcome: Extract<ProposalOutcome, {ok: false}>): ServiceError {
  node.metrics.proposals.inc({outcome: outcome.unknown ? 'unknown' : 'failed'})
  if (outcome.unknown) return new ServiceError(outcome.code === 'SHUTTING_DOWN' ? 'SHUTTING_DOWN' : 'UNKNOWN_OUTCOME', outcome.message)
  return notOk(node, outcome.code, outcome.message)
}

/** {@link proposeOnce} as a promise (membership changes). */
function propose(node: Node, start: (cb: (o: ProposalOutcome) => void) => void): Promise<Applied> {
  return new Promise((resolve, reject) => proposeOnce(node, start, (err, outcome) => (err ? reject(err) : resolve(outcome!))))
}

/** Map a core rejection code to a service error, with the leader hint for NOT_LEADER. */
function notOk(node: Node, code: string, message: string): ServiceError {
  if (code === 'NOT_LEADER') {
    const leader = node.leaderHint()
    return leader ? new ServiceError('NOT_LEADER', message, leader) : new ServiceError('NO_LEADER', 'no leader is known; an election may be in progress')
  }
  const known: Record<string, ErrorCode> = {
    TRANSFER_IN_PROGRESS: 'TRANSFER_IN_PROGRESS',
    PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
    NO_QUORUM: 'NO_QUORUM',
    CONF_CHANGE_PENDING: 'CONF_CHANGE_PENDING',
    BAD_REQUEST: 'BAD_REQUEST',
    NODE_NOT_FOUND: 'NODE_NOT_FOUND',
    NOT_VOTER: 'NOT_VOTER',
    UNSAFE_CHANGE: 'UNSAFE_CHANGE',
    SHUTTING_DOWN: 'SHUTTING_DOWN',
  }
  return new ServiceError(known[code] ?? 'FAILED', message)
}

/** Race a read or an admin wait against the request timeout (writes: {@link proposeOnce}). */
function withTimeout<T>(node: Node, p: Promise<T>): Promise<T> {
  const ms = node.config.requestTimeoutMs
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new ServiceError('TIMEOUT', `no answer within ${ms} ms`)), ms)
    p.then((v) => {
      clearTimeout(timer)
      resolve(v)
    }, (e) => {
      clearTimeout(timer)
      reject(e)
    })
  })
}

// ------------------------------------------------------------------ membership and leadership

/** Propose `change` (forced: without the core's strict reconfiguration check) and answer once committed. */
async function changeMembers(node: Node, change: ConfChange, force = false): Promise<ResultMap['member.add']> {
  node.requireLeader()
  const outcome = await propose(node, (cb) => node.replica.proposeConfChange(change, cb, {force}))
  return {index: outcome.index, members: node.members()}
}

async function handleTransfer(node: Node, req: RequestOf<'transfer'>): Promise<ResultMap['transfer']> {
  node.requireLeader()
  const target = req.to ?? node.replica.core.mostCaughtUpFollower()
  if (target === null) throw new ServiceError('NO_QUORUM', 'there is no other voter to transfer leadership to')
  if (target === node.id) return {leader: node.id, term: node.replica.core.status().term}
  const r = node.replica.core.transferLeader(target)
  if (!r.ok) throw notOk(node, r.code, r.message)
  node.schedule()
  return withTimeout(node, node.waitFor((st) => st.leader === target ? {leader: target, term: st.term} : null, (e) => e.type === 'transferAborted'))
}

async function handleCampaign(node: Node): Promise<ResultMap['campaign']> {
  const r = node.replica.core.campaign()
  if (!r.ok) throw notOk(node, r.code, r.message)
  node.schedule()
  return {term: node.replica.core.status().term}
}

async function handleStepDown(node: Node): Promise<ResultMap['stepdown']> {
  node.requireLeader()
  const r = node.replica.core.stepDown()
  if (!r.ok) throw notOk(node, r.code, r.message)
  node.schedule()
  return {term: node.replica.core.status().term}
}

/** Re-exported for the node's status builder. */
export type {Members, NodeStatus}
