/**
 * The daemon's services: one function per request type of the client and admin protocol
 * (docs/protocol.md), registered once in {@link SERVICES}, each turning a validated request into
 * replica calls and answering once, through a typed callback, with its protocol result or a
 * {@link ServiceError} with a stable code. Writes, reads and admin requests below.
 *
 * One-way doors: the server calls {@link Services.handle}; services call the replica, the KV
 * state machine, the replica loop, the address book, chaos and metrics, and never the server
 * or the node that composed them.
 */
import {encodeCommand, type KeyRange, type KvOkResult, type KvResult, type KvStateMachine, type KvWriteCommand} from '../kv/index.js'
import type {ErrorCode} from '../common/errors.js'
import {RaftctlError} from '../common/errors.js'
import {MAX_RANGE_LIMIT, MAX_RANGE_RESPONSE_BYTES, SNAPSHOT_CHUNK_BYTES, type LeaderHint, type NodeStatus, type RequestOf, type RequestType, type ResultMap} from '../admin/protocol.js'
import type {ProposalOutcome, Replica} from '../replica/replica.js'
import type {ConfChange, NodeId} from '../raft/types.js'
import {ChaosError, type FaultRegistry} from '../chaos/registry.js'
import {normalizeAddress, type DaemonConfig} from './config.js'
import type {DaemonMetrics} from './metrics.js'
import type {AddressBook} from './address-book.js'
import {AbortedWait, type ReplicaLoop} from './loop.js'
import {SnapshotStreams} from './snapshot-streams.js'
import type {Diagnostics} from './diagnostics.js'
import type {StateHasher} from './state-hash.js'
import {WatchRefused, type WatchHub, type WatchSink} from './watch-hub.js'
import {valueBytesOf} from '../admin/binary-put.js'

/** raftctl version reported by status. */
export const VERSION = '0.1.0'

/** A request failed with a stable code (and, for redirects, where the leader is). */
export class ServiceError extends Error {
  constructor(readonly code: ErrorCode, message: string, readonly leader?: LeaderHint) {
    super(message)
  }
}

/** How a request is answered: exactly once, with the error or with its protocol result. */
export type Answer<T extends RequestType> = (error: ServiceError | null, result?: ResultMap[T]) => void

/** The server's side of the node, as services report it in status. */
export interface ServedAt {
  /** The address peers and clients use (`ws://host:port`). */
  readonly address: string
  /** How /raft authenticates peers. */
  readonly peerAuth: 'peer-secret' | 'shared-secret'
}

/** What the services run on: the node's parts, given once by the node that composes them. */
export interface ServiceParts {
  readonly id: NodeId
  /** The cluster id of the node's data (null or absent: unknown); reported in status. */
  readonly clusterId?: string | null
  /** The incarnation of the node's data folder (identity.json; 0 for folders from before incarnations). */
  readonly incarnation?: number
  readonly config: Pick<DaemonConfig, 'requestTimeoutMs' | 'unsafeFollowerReads' | 'tickMs'>
  readonly replica: Replica<KvResult>
  readonly kv: KvStateMachine
  readonly loop: ReplicaLoop
  readonly addresses: AddressBook
  readonly metrics: DaemonMetrics
  readonly chaos: FaultRegistry
  readonly servedAt: ServedAt
  /** The event ring, save latencies, peer view and alarm (`events`, `diagnostics`). */
  readonly diagnostics: Diagnostics
  /** The consistency hash (`hash`). */
  readonly hasher: StateHasher
  /** The watches (`watch` requests stream from it). */
  readonly watches: WatchHub
}

/** The services of one node. */
export class Services {
  private readonly startedAt = Date.now()
  /** The snapshots held for `snapshot.chunk` readers. */
  readonly snapshotStreams = new SnapshotStreams()

  constructor(readonly parts: ServiceParts) {}

  /**
   * Serve `req`: its service (one per type, {@link SERVICES}) calls `answer` exactly once. A KV
   * write is answered from inside the replica's apply, before that Ready's peer messages; no
   * promise is made on its path.
   */
  handle<T extends RequestType>(req: RequestOf<T>, answer: Answer<T>, sink?: WatchSink): void {
    (SERVICES[req.type] as unknown as Service<T>)(this, req, answer, sink)
  }

  /** This node's status (the `status` request, `raftctl status`). */
  status(): NodeStatus {
    const {replica, config: {tickMs}, servedAt} = this.parts
    const st = replica.status()
    return {
      id: st.id,
      role: st.role === 'follower' && !st.voter && st.conf.learners.includes(st.id) ? 'learner' : st.role,
      term: st.term,
      vote: st.vote,
      leader: st.leader,
      commitIndex: st.commitIndex,
      appliedIndex: st.appliedIndex,
      lastIndex: st.lastIndex,
      lastTerm: st.lastTerm,
      firstIndex: st.firstIndex,
      snapshotIndex: st.snapshotIndex,
      voter: st.voter,
      members: this.parts.addresses.members(st.conf),
      progress: st.progress.map((p) => ({
        id: p.id, match: p.match, next: p.next, state: p.state, recentActive: p.recentlyHeard,
        lastContactMs: p.ticksSinceContact * tickMs, inflight: p.inflight,
      })),
      transferee: st.transferee,
      electionElapsedMs: st.electionElapsed * tickMs,
      electionTimeoutMs: st.electionTimeout * tickMs,
      uptimeMs: Date.now() - this.startedAt,
      pid: process.pid,
      address: servedAt.address,
      version: VERSION,
      faults: this.parts.chaos.list(),
      peerAuth: servedAt.peerAuth,
      clusterId: this.parts.clusterId ?? null,
      rebuilding: st.rebuilding,
      incarnation: this.parts.incarnation ?? 0,
      alarm: this.parts.diagnostics.alarm,
    }
  }

  /** The body of GET /health: healthy unless the node is stopping or stopped on a storage failure. */
  health(): {ok: boolean; id: NodeId; role: string; term: number; leader: NodeId | null; peerAuth: ServedAt['peerAuth']} {
    const {loop, replica, servedAt} = this.parts
    const st = replica.status()
    return {ok: !loop.stopped && loop.fatal === null, id: this.parts.id, role: st.role, term: st.term, leader: st.leader, peerAuth: servedAt.peerAuth}
  }

  /** The Prometheus text of GET /metrics, gauges refreshed now (building a status every tick would cost more than it tells). */
  metricsText(): Promise<string> {
    const {metrics, replica} = this.parts
    const st = replica.status()
    metrics.term.set(st.term)
    metrics.isLeader.set(st.role === 'leader' ? 1 : 0)
    metrics.commitIndex.set(st.commitIndex)
    metrics.appliedIndex.set(st.appliedIndex)
    metrics.lastIndex.set(st.lastIndex)
    metrics.consistencyAlarm.set(this.parts.diagnostics.alarm === null ? 0 : 1)
    metrics.watchers.set(this.parts.watches.size)
    metrics.watchHeldBytes.set(this.parts.watches.heldBytes)
    return metrics.text()
  }

  /** Where the leader is, if known. */
  leaderHint(): LeaderHint | undefined {
    return this.parts.addresses.leaderHint(this.parts.replica.status().leader)
  }

  /** Throw NOT_LEADER (with a hint) or NO_LEADER unless this node leads. */
  requireLeader(): void {
    if (this.parts.replica.status().role === 'leader') return
    const hint = this.leaderHint()
    if (hint) throw new ServiceError('NOT_LEADER', `${this.parts.id} is not the leader; ${hint.id} is`, hint)
    throw new ServiceError('NO_LEADER', 'no leader is known; an election may be in progress')
  }

  /** The members of the current configuration with their addresses. */
  members(): ResultMap['members'] {
    return this.parts.addresses.members(this.parts.replica.status().conf)
  }
}

/** One request type's service: answers `req` once through `answer` (`sink`: the client's socket, for `watch`). */
type Service<T extends RequestType> = (s: Services, req: RequestOf<T>, answer: Answer<T>, sink?: WatchSink) => void

/** The request types that are KV writes. */
export type WriteType = 'put' | 'delete' | 'cas' | 'append' | 'deletePrefix' | 'txn'

/** The KV state machine's result for a write of type `T`. */
type KvResultOf<T extends WriteType> = Extract<KvOkResult, {op: T}>

/** Every request type's service: the one table the server dispatches through. */
export const SERVICES: {readonly [T in RequestType]: Service<T>} = {
  // Writes: answered from the apply callback.
  put: write('put', (req) => ({op: 'put', key: req.key, value: req.value, session: req.session}), (r, req) => (req.echo === false ? {} : {value: r.value})),
  delete: write('delete', (req) => ({op: 'delete', key: req.key, session: req.session}), (r) => ({deleted: r.deleted})),
  cas: write('cas', (req) => ({op: 'cas', key: req.key, expected: req.expected, value: req.value, session: req.session}), (r) => ({swapped: r.swapped, value: r.value})),
  append: write('append', (req) => ({op: 'append', key: req.key, value: req.value, session: req.session}), (r) => ({value: r.value})),
  deletePrefix: write('deletePrefix', (req) => ({op: 'deletePrefix', prefix: req.prefix, session: req.session}), (r) => ({deleted: r.deleted})),
  txn: write('txn', (req) => ({op: 'txn', compare: req.compare, success: req.success, failure: req.failure, session: req.session}), (r) => ({succeeded: r.succeeded})),
  // Reads.
  watch,
  get: promised(read),
  range: promised(range),
  status: promised(async (s) => ({status: s.status()})),
  members: promised(async (s) => s.members()),
  ping: promised(async (s) => ({node: s.parts.id, time: Date.now()})),
  // Admin: membership, leadership, snapshots, chaos, events.
  'member.add': promised(async (s, req) => changeMembers(s, {type: req.learner ? 'addLearner' : 'addVoter', node: req.node, address: operatorAddress(req.address)}, req.force)),
  'member.remove': promised(async (s, req) => changeMembers(s, {type: 'remove', node: req.node}, req.force)),
  'member.promote': promised(async (s, req) => changeMembers(s, {type: 'promote', node: req.node}, req.force)),
  transfer: promised(transfer),
  campaign: promised(campaign),
  stepdown: promised(stepDown),
  snapshot: promised((s) => new Promise((resolve, reject) => s.parts.replica.snapshotWhenIdle((index) => {
    if (index === null) reject(new ServiceError('SHUTTING_DOWN', 'the node stopped before the snapshot was taken'))
    else resolve({index})
  }))),
  subscribe: promised(async () => ({})),
  unsubscribe: promised(async () => ({})),
  'chaos.add': promised(async (s, req) => ({fault: chaos(() => s.parts.chaos.add(req.fault, {forMs: req.forMs, id: req.faultId}))})),
  'chaos.heal': promised(async (s, req) => ({removed: s.parts.chaos.heal({id: req.faultId, kind: req.kind})})),
  'chaos.list': promised(async (s) => ({faults: s.parts.chaos.list()})),
  // Snapshot streams (raftctl snapshot save).
  'snapshot.begin': promised(beginSnapshotStream),
  'snapshot.chunk': promised(async (s, req) => ({data: await s.snapshotStreams.chunk(req.stream, req.offset)})),
  'snapshot.end': promised(async (s, req) => (s.snapshotStreams.close(req.stream), {})),
  // Diagnostics (raftctl doctor, check consistency).
  events: promised(async (s, req) => s.parts.diagnostics.events(req.since)),
  diagnostics: promised(async (s) => s.parts.diagnostics.report()),
  hash: promised(async (s, req) => ({node: s.parts.id, ...await s.parts.hasher.hash(req.index, s.parts.config.requestTimeoutMs)})),
}

/** A service written as a promise (reads and admin requests): its value or error, answered once. */
function promised<T extends RequestType>(run: (s: Services, req: RequestOf<T>) => Promise<ResultMap[T]>): Service<T> {
  return (s, req, answer) => {
    run(s, req).then((result) => answer(null, result), (err: unknown) => answer(asServiceError(err)))
  }
}

/** Any failure as a ServiceError: its own code when it has one, FAILED otherwise. */
function asServiceError(err: unknown): ServiceError {
  if (err instanceof ServiceError) return err
  if (err instanceof RaftctlError) return new ServiceError(err.code, err.message)
  if (err instanceof AbortedWait) return new ServiceError('FAILED', err.message)
  return new ServiceError('FAILED', (err as Error)?.message ?? String(err))
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

/** Normalize a member address given by an operator (BAD_REQUEST when malformed). */
function operatorAddress(address: string): string {
  try {
    return normalizeAddress(address)
  } catch (err) {
    throw new ServiceError('BAD_REQUEST', (err as Error).message)
  }
}

// ------------------------------------------------------------------ writes

/**
 * A write service: the request as a KV command, proposed; the state machine's result for it
 * (checked to be of the same op) as the protocol result. Callbacks, not promises: every KV write
 * takes this path, and its answer is queued from inside the apply, before that Ready's peer
 * messages (it leaves first unless the Ready also flushes appends before writing its own batch).
 */
function write<T extends WriteType>(op: T, command: (req: RequestOf<T>) => KvWriteCommand, result: (r: KvResultOf<T>, req: RequestOf<T>) => ResultMap[T]): Service<T> {
  return (s, req, answer) => proposeWrite(s, command(req), valueBytesOf(req), (err, r) => {
    if (err !== null) return answer(err)
    if (r!.op !== op) return answer(new ServiceError('FAILED', `a ${op} was answered with a ${r!.op} result`))
    answer(null, result(r as KvResultOf<T>, req))
  })
}

/** Propose a KV write and call `answer` exactly once, as {@link proposeOnce}, with the state machine's result. */
function proposeWrite(s: Services, command: KvWriteCommand, valueUtf8: Uint8Array | undefined, answer: (error: ServiceError | null, result?: KvOkResult) => void): void {
  const {kv, replica, metrics} = s.parts
  let data: Uint8Array
  try {
    data = encodeCommand(command, kv.limits, valueUtf8)
  } catch (err) {
    const e = err as {code?: string; message: string}
    return answer(new ServiceError(e.code === 'PAYLOAD_TOO_LARGE' ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST', e.message))
  }
  kv.prepare(data, command)
  const started = performance.now()
  proposeOnce(s, (cb) => replica.propose(data, cb), (err, outcome) => {
    if (err) return answer(err)
    metrics.writeSeconds.observe((performance.now() - started) / 1000)
    const result = outcome!.result
    if (result === null) return answer(new ServiceError('FAILED', 'the state machine gave no result for the write'))
    if (!result.ok) return answer(new ServiceError(result.code as ErrorCode, result.message))
    answer(null, result)
  })
}

/** An applied proposal. */
type Applied = Extract<ProposalOutcome<KvResult>, {ok: true}>

/**
 * Start a proposal and call `done` exactly once: with the applied outcome, or with a
 * ServiceError. After the request timeout that is `TIMEOUT` (the write may or may not be
 * applied) and the later outcome is dropped; a proposal that throws is `UNKNOWN_OUTCOME`.
 * Callbacks, not promises: every KV write takes this path.
 */
function proposeOnce(s: Services, start: (cb: (o: ProposalOutcome<KvResult>) => void) => void, done: (error: ServiceError | null, outcome?: Applied) => void): void {
  const ms = s.parts.config.requestTimeoutMs
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
      if (!outcome.ok) return settle(failedProposal(s, outcome))
      s.parts.metrics.proposals.inc({outcome: 'ok'})
      settle(null, outcome)
    })
  } catch (err) {
    // Proposing threw (a bug or a dead replica): answered once; whether it took effect is unknown.
    return settle(new ServiceError('UNKNOWN_OUTCOME', `proposing failed (${(err as Error).message})`))
  }
  s.parts.loop.schedule()
}

/** Count a failed proposal and map it to the error to answer. */
function failedProposal(s: Services, outcome: Extract<ProposalOutcome, {ok: false}>): ServiceError {
  s.parts.metrics.proposals.inc({outcome: outcome.unknown ? 'unknown' : 'failed'})
  if (outcome.unknown) return new ServiceError(outcome.code === 'SHUTTING_DOWN' ? 'SHUTTING_DOWN' : 'UNKNOWN_OUTCOME', outcome.message)
  return notOk(s, outcome.code, outcome.message)
}

/** {@link proposeOnce} as a promise (membership changes). */
function propose(s: Services, start: (cb: (o: ProposalOutcome<KvResult>) => void) => void): Promise<Applied> {
  return new Promise((resolve, reject) => proposeOnce(s, start, (err, outcome) => (err ? reject(err) : resolve(outcome!))))
}

/** Map a core rejection code to a service error, with the leader hint for NOT_LEADER. */
function notOk(s: Services, code: string, message: string): ServiceError {
  if (code === 'NOT_LEADER') {
    const leader = s.leaderHint()
    return leader ? new ServiceError('NOT_LEADER', message, leader) : new ServiceError('NO_LEADER', 'no leader is known; an election may be in progress')
  }
  return new ServiceError(CORE_CODES[code] ?? 'FAILED', message)
}

/** The core's rejection codes that are answered as they are. */
const CORE_CODES: Readonly<Record<string, ErrorCode>> = {
  TRANSFER_IN_PROGRESS: 'TRANSFER_IN_PROGRESS',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  NO_QUORUM: 'NO_QUORUM',
  CONF_CHANGE_PENDING: 'CONF_CHANGE_PENDING',
  BAD_REQUEST: 'BAD_REQUEST',
  NODE_NOT_FOUND: 'NODE_NOT_FOUND',
  NOT_VOTER: 'NOT_VOTER',
  UNSAFE_CHANGE: 'UNSAFE_CHANGE',
  REBUILDING: 'REBUILDING',
  SHUTTING_DOWN: 'SHUTTING_DOWN',
}

/** Race a read or an admin wait against the request timeout (writes: {@link proposeOnce}). */
function withTimeout<T>(s: Services, p: Promise<T>): Promise<T> {
  const ms = s.parts.config.requestTimeoutMs
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

// ------------------------------------------------------------------ reads

/** A get: from local state when serializable (or an unsafe follower read), else after a read barrier (ReadIndex). */
async function read(s: Services, req: RequestOf<'get'>): Promise<ResultMap['get']> {
  const index = await readPoint(s, req.serializable === true)
  return {value: s.parts.kv.read(req.key), index: index ?? s.parts.replica.applied}
}

/**
 * A range read, linearizable unless `serializable` (as `get`), answered from the state as
 * applied now, whose index it reports; the list is cut at `limit` (default and most
 * {@link MAX_RANGE_LIMIT}) and at {@link MAX_RANGE_RESPONSE_BYTES} of JSON.
 */
async function range(s: Services, req: RequestOf<'range'>): Promise<ResultMap['range']> {
  await readPoint(s, req.serializable === true)
  const keys: KeyRange = req.prefix !== undefined ? {prefix: req.prefix} : {from: req.from ?? '', to: req.to ?? null}
  const answer = s.parts.kv.range({
    range: keys,
    limit: req.limit ?? MAX_RANGE_LIMIT,
    keysOnly: req.keysOnly === true,
    countOnly: req.countOnly === true,
    maxBytes: MAX_RANGE_RESPONSE_BYTES,
  })
  return {...answer, index: s.parts.replica.applied}
}

/**
 * Wait until this node may serve a read: at once for a local read (`serializable`, or a
 * follower in unsafe follower-read mode: resolves null), else after a ReadIndex round
 * (resolves the confirmed read index; the state is then applied at least that far).
 */
async function readPoint(s: Services, serializable: boolean): Promise<number | null> {
  const {config, replica, metrics, loop} = s.parts
  if (serializable || (config.unsafeFollowerReads && replica.status().role !== 'leader')) {
    refuseIfRebuilding(s)
    metrics.reads.inc({kind: serializable ? 'serializable' : 'unsafe', outcome: 'ok'})
    return null
  }
  const index = await withTimeout(s, new Promise<number>((resolve, reject) => {
    replica.readBarrier((o) => (o.ok ? resolve(o.index) : reject(notOk(s, o.code, o.message))))
    loop.schedule()
  }))
  metrics.reads.inc({kind: 'linearizable', outcome: 'ok'})
  return index
}

/**
 * A node rebuilding after losing its data holds only part of the log: a local read there could
 * answer absent for a key that exists. Refused with `REBUILDING` (naming the leader, where a
 * linearizable read or a read from another node gives the data) instead of a silent stale answer.
 */
function refuseIfRebuilding(s: Services): void {
  const st = s.parts.replica.status()
  if (!st.rebuilding) return
  s.parts.metrics.reads.inc({kind: 'serializable', outcome: 'rebuilding'})
  const leader = s.leaderHint()
  throw new ServiceError('REBUILDING',
    `${st.id} lost its data and is rebuilding (applied ${st.appliedIndex}, commit ${st.commitIndex}): it serves no local read until it has caught up with the leader${leader ? ` (${leader.id})` : ''}; read without --serializable or from another node`,
    leader)
}

/** Start a watch on the client's socket: answered with its first index, then its changes stream (src/daemon/watch-hub.ts). */
function watch(s: Services, req: RequestOf<'watch'>, answer: Answer<'watch'>, sink?: WatchSink): void {
  const {watches, kv} = s.parts
  if (sink === undefined) return answer(new ServiceError('BAD_REQUEST', 'watch needs a client connection'))
  try {
    const fromIndex = watches.watch(req.id, req, kv.appliedIndex, sink)
    answer(null, {fromIndex, oldestIndex: watches.oldestIndex})
  } catch (err) {
    answer(err instanceof WatchRefused ? new ServiceError(err.code, err.message) : asServiceError(err))
  }
}

// ------------------------------------------------------------------ membership and leadership

/** Propose `change` (forced: without the core's strict reconfiguration check) and answer once committed. */
async function changeMembers(s: Services, change: ConfChange, force = false): Promise<ResultMap['member.add']> {
  s.requireLeader()
  const outcome = await propose(s, (cb) => s.parts.replica.proposeConfChange(change, cb, {force}))
  return {index: outcome.index, members: s.members()}
}

async function transfer(s: Services, req: RequestOf<'transfer'>): Promise<ResultMap['transfer']> {
  const {replica, loop, id} = s.parts
  s.requireLeader()
  const target = req.to ?? replica.mostCaughtUpFollower()
  if (target === null) throw new ServiceError('NO_QUORUM', 'there is no other voter to transfer leadership to')
  if (target === id) return {leader: id, term: replica.status().term}
  const r = replica.transferLeader(target)
  if (!r.ok) throw notOk(s, r.code, r.message)
  loop.schedule()
  return withTimeout(s, loop.waitFor((st) => st.leader === target ? {leader: target, term: st.term} : null, (e) => e.type === 'transferAborted'))
}

async function campaign(s: Services): Promise<ResultMap['campaign']> {
  const r = s.parts.replica.campaign()
  if (!r.ok) throw notOk(s, r.code, r.message)
  s.parts.loop.schedule()
  return {term: s.parts.replica.status().term}
}

async function stepDown(s: Services): Promise<ResultMap['stepdown']> {
  s.requireLeader()
  const r = s.parts.replica.stepDown()
  if (!r.ok) throw notOk(s, r.code, r.message)
  s.parts.loop.schedule()
  return {term: s.parts.replica.status().term}
}

// ------------------------------------------------------------------ snapshot streams

/**
 * Take a durable local snapshot at the applied index (as the `snapshot` request; in the
 * background, no answer timeout: a large state takes what the disk takes), and open a stream
 * over the snapshot the core then holds.
 */
async function beginSnapshotStream(s: Services): Promise<ResultMap['snapshot.begin']> {
  const {replica, addresses} = s.parts
  await new Promise<number>((resolve, reject) => replica.snapshotWhenIdle((index) => {
    if (index === null) reject(new ServiceError('SHUTTING_DOWN', 'the node stopped before the snapshot was taken'))
    else resolve(index)
  }))
  const {meta, data} = replica.latestSnapshot()
  if (meta.index === 0) throw new ServiceError('UNAVAILABLE', `${s.parts.id} has applied nothing yet: there is no state to save`)
  return {
    stream: await s.snapshotStreams.open(data), node: s.parts.id, clusterId: s.parts.clusterId ?? null, index: meta.index, term: meta.term,
    members: addresses.members(meta.conf), bytes: data.byteLength, chunkBytes: SNAPSHOT_CHUNK_BYTES, version: VERSION,
  }
}
