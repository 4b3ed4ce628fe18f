/**
 * KvClient: the key-value client of a raftctl cluster. It finds the leader (trying endpoints in
 * turn and following `NOT_LEADER` hints), caches it, retries within a deadline, and gives
 * writes exactly-once semantics with a client session: each write takes the next `seq`, and
 * every retry of it (after a timeout, a closed connection, a leader change) resends the SAME
 * seq, so the state machine applies it at most once (docs/kv.md). Writes of one client are
 * therefore sent one at a time, in call order; reads run concurrently.
 *
 * When no node is even listening (in one round every endpoint refused the TCP connection), an
 * operation fails at once with `UNAVAILABLE` naming each endpoint instead of retrying until its
 * deadline; a node that answers (`NO_LEADER` during an election, a timeout) keeps it retrying.
 *
 * A thrown ClientError with `unknown: true` means the write may or may not have been applied.
 * A CAS whose comparison fails is not an error: it returns `{swapped: false, value}`.
 */
import {randomUUID} from 'node:crypto'
import {setTimeout as sleep} from 'node:timers/promises'
import type {ErrorCode} from '../common/errors.js'
import type {
  AppendResult, CasResult, DeletePrefixResult, DeleteResult, GetResult, KvRequestType, LeaderHint, NodeId, ProtocolLimits, PutResult,
  RangeParams, RangeResult, RequestParamsMap, ResultMap, Session, TxnParams, TxnResult,
} from '../admin/protocol.js'
import {ECHO_OMITTED_FROM} from '../admin/protocol.js'
import {Connection, DEFAULT_TIMEOUT_MS, isConnectionRefused, type ClientTlsOptions} from './connection.js'
import {routeUrl} from './endpoints.js'
import {ClientError, toClientError} from './errors.js'
import {KvWatch, type WatchOptions, type WatchSelector} from './watch.js'

/** A node to try: its id (to map leader hints) and its address (`ws://host:port`, `host:port`, …). */
export interface Endpoint {
  readonly id: NodeId
  readonly url: string
}

/** Options of {@link KvClient}. */
export interface KvClientOptions {
  /** The nodes to try, at least one. Leaders outside this list are reached through the hint's address. */
  readonly endpoints: readonly Endpoint[]
  /** The cluster secret. */
  readonly secret: string
  /** The cluster id expected of every node (see ConnectionOptions.clusterId); absent: any. */
  readonly clusterId?: string
  /** Time one attempt (one request to one node, or opening a connection) may take, ms. Default 5000. */
  readonly timeoutMs?: number
  /** Time one operation may take over all its attempts, ms. Default 3 × `timeoutMs`. */
  readonly deadlineMs?: number
  /** Most attempts per operation. Default 10. */
  readonly maxAttempts?: number
  /** First back-off between attempts, ms (doubling, with jitter). Default 25. */
  readonly minBackoffMs?: number
  /** Longest back-off between attempts, ms. Default 1000. */
  readonly maxBackoffMs?: number
  /** Session client id (at most 128 UTF-8 bytes). Default: `kv-` and a random UUID. */
  readonly clientId?: string
  readonly tls?: ClientTlsOptions
  /** Request limits, checked before sending (should match the daemons'). */
  readonly limits?: Partial<ProtocolLimits>
  /**
   * The endpoint (by id) believed to lead, e.g. as an earlier run learned it: the first attempt
   * goes to it instead of the first endpoint. Default: none. A wrong belief costs what a
   * follower or a dead first endpoint costs: the redirect, or the next endpoint.
   */
  readonly leader?: NodeId
  /**
   * Told each time the client learns that another node leads: one whose `NOT_LEADER` hint it
   * follows, or one that served a write or a linearizable read (the CLI keeps it for its next
   * run: src/cluster/leader-cache.ts). `address` is the node's endpoint as given, else the
   * hint's address. Must not throw.
   */
  readonly onLeader?: (leader: {readonly id: NodeId; readonly address: string}) => void
}

/** Options of {@link KvClient.get}. */
export interface GetOptions {
  /**
   * Answer from any node's local state, without confirming leadership: may be stale, but works
   * without a leader. Default false (linearizable, served by the leader).
   */
  readonly serializable?: boolean
  /**
   * Send the first attempt to this node (an endpoint id) instead of the cached leader; retries
   * and `NOT_LEADER` redirects then proceed as usual. A follower redirects a linearizable read
   * to its leader (or, in a daemon's unsafe follower-read mode, answers it locally). Used by
   * `raftctl verify` to spread reads over every node. Default: the cached leader.
   */
  readonly node?: NodeId
}

/**
 * Which keys {@link KvClient.range} reads: every key starting with `prefix` (`""`: every key),
 * or the half-open `[from, to)` in UTF-8 byte order (`to` absent: to the last key).
 */
export type RangeSelector = {readonly prefix: string} | {readonly from: string; readonly to?: string}

/** Options of {@link KvClient.range}. */
export interface RangeOptions {
  /** Most keys listed, 1..`MAX_RANGE_LIMIT` (the default). `count` still counts them all. */
  readonly limit?: number
  /** List keys without values. */
  readonly keysOnly?: boolean
  /** List nothing: only `count`. */
  readonly countOnly?: boolean
  /** As {@link GetOptions.serializable}. Default false (linearizable). */
  readonly serializable?: boolean
}

/** An endpoint as the client keeps it: the route URL it connects to and the address it was given. */
interface Target {
  readonly id: NodeId
  readonly url: string
  readonly address: string
}

/** What to do after a failed attempt. */
type NextStep = 'redirect' | 'retry' | 'fail'

/** Codes after which another attempt (the same seq for writes) may succeed. */
const RETRYABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'NOT_LEADER', 'NO_LEADER', 'NO_QUORUM', 'TIMEOUT', 'UNAVAILABLE', 'UNKNOWN_OUTCOME',
  'SHUTTING_DOWN', 'OVERLOADED', 'BAD_RESPONSE', 'TRANSFER_IN_PROGRESS',
])

const DEFAULTS = {maxAttempts: 10, minBackoffMs: 25, maxBackoffMs: 1000, deadlineFactor: 3}

/** The key-value client. Always {@link KvClient.close} it. */
export class KvClient {
  private readonly endpoints: readonly Target[]
  private readonly secret: string
  private readonly clusterId?: string
  private readonly timeoutMs: number
  private readonly deadlineMs: number
  private readonly maxAttempts: number
  private readonly minBackoffMs: number
  private readonly maxBackoffMs: number
  private readonly tls: ClientTlsOptions | undefined
  private readonly limits: Partial<ProtocolLimits>
  private readonly connections = new Map<string, Promise<Connection>>()
  private currentClientId: string
  private seq = 0
  private leaderHint: {readonly id: NodeId; readonly url: string} | undefined
  private readonly onLeader: KvClientOptions['onLeader']
  /** The leader last told to {@link onLeader}. */
  private toldLeader: NodeId | undefined
  private cursor = 0
  private writeQueue: Promise<unknown> = Promise.resolve()
  private closed = false

  /** Throws ClientError `BAD_INPUT` for an empty endpoint list or a bad address; RangeError for bad numbers. */
  constructor(options: KvClientOptions) {
    if (options.endpoints.length === 0) throw new ClientError('BAD_INPUT', 'KvClient needs at least one endpoint')
    this.endpoints = options.endpoints.map((e) => ({id: e.id, url: routeUrl(e.url, 'client'), address: e.url}))
    this.secret = options.secret
    this.clusterId = options.clusterId
    this.timeoutMs = positive(options.timeoutMs ?? DEFAULT_TIMEOUT_MS, 'timeoutMs')
    this.deadlineMs = positive(options.deadlineMs ?? DEFAULTS.deadlineFactor * this.timeoutMs, 'deadlineMs')
    this.maxAttempts = positive(options.maxAttempts ?? DEFAULTS.maxAttempts, 'maxAttempts')
    this.minBackoffMs = positive(options.minBackoffMs ?? DEFAULTS.minBackoffMs, 'minBackoffMs')
    this.maxBackoffMs = Math.max(this.minBackoffMs, options.maxBackoffMs ?? DEFAULTS.maxBackoffMs)
    this.tls = options.tls
    this.limits = options.limits ?? {}
    this.currentClientId = options.clientId ?? `kv-${randomUUID()}`
    this.onLeader = options.onLeader
    this.cursor = Math.max(0, this.endpoints.findIndex((e) => e.id === options.leader))
  }

  /** This client's session id (a new random one after `SESSION_EXPIRED`). */
  get clientId(): string {
    return this.currentClientId
  }

  /** The seq of the latest write started (0 before the first). */
  get lastSeq(): number {
    return this.seq
  }

  /** The leader this client currently believes in, if any. */
  get leader(): NodeId | undefined {
    return this.leaderHint?.id
  }

  /** Read `key`: `{value, index}`, value null when absent. Reads are retried freely. */
  get(key: string, options: GetOptions = {}): Promise<GetResult> {
    const params: RequestParamsMap['get'] = options.serializable === true ? {key, serializable: true} : {key}
    if (options.node === undefined) return this.run('get', params, false)
    const first = this.endpoints.find((e) => e.id === options.node)
    if (first === undefined) return Promise.reject(new ClientError('BAD_INPUT', `node ${JSON.stringify(options.node)} is not one of this client's endpoints`))
    return this.run('get', params, false, first.url)
  }

  /**
   * Read the keys of a range in UTF-8 byte order: `{kvs: [{key, value, modIndex}], count, more,
   * index}`. `more` is true when `limit` or the daemon's byte budget cut the list; read the rest
   * from just after the last key listed (`{from: last + '\u0000', to}`). Retried freely.
   */
  range(selector: RangeSelector, options: RangeOptions = {}): Promise<RangeResult> {
    const params: RangeParams = {
      ...('prefix' in selector ? {prefix: selector.prefix} : {from: selector.from, ...(selector.to === undefined ? {} : {to: selector.to})}),
      ...(options.limit === undefined ? {} : {limit: options.limit}),
      ...(options.keysOnly === true ? {keysOnly: true} : {}),
      ...(options.countOnly === true ? {countOnly: true} : {}),
      ...(options.serializable === true ? {serializable: true} : {}),
    }
    return this.run('range', params, false)
  }

  /**
   * Remove every key starting with `prefix` (`""`: every key) in one log entry, exactly once
   * like every write. Resolves to `{deleted}`: how many keys it removed.
   */
  deletePrefix(prefix: string): Promise<DeletePrefixResult> {
    return this.write('deletePrefix', (session) => ({prefix, session}))
  }

  /**
   * Set `key` to `value`. Resolves to `{value}`. A value of {@link ECHO_OMITTED_FROM} UTF-16
   * units or more is sent with `echo: false`: the daemon does not send it back, and `value` is
   * this argument.
   */
  async put(key: string, value: string): Promise<Required<PutResult>> {
    const echo = value.length < ECHO_OMITTED_FROM
    await this.write('put', (session) => (echo ? {key, value, session} : {key, value, session, echo: false}))
    return {value}
  }

  /** Remove `key`. Resolves to `{deleted}`: whether it existed. */
  delete(key: string): Promise<DeleteResult> {
    return this.write('delete', (session) => ({key, session}))
  }

  /**
   * Set `key` to `value` if its value is `expected` (null: only if absent). Resolves to
   * `{swapped, value}`: a failed comparison is `swapped: false` with the current value, not an error.
   */
  cas(key: string, expected: string | null, value: string): Promise<CasResult> {
    return this.write('cas', (session) => ({key, expected, value, session}))
  }

  /** Append `value` to `key`'s value (absent counts as `""`). Resolves to the new `{value}`. */
  append(key: string, value: string): Promise<AppendResult> {
    return this.write('append', (session) => ({key, value, session}))
  }

  /**
   * If every compare holds, apply the `success` writes, else the `failure` writes: atomically,
   * in one log entry, exactly once like every write. Resolves to `{succeeded}`. A key may be
   * written at most once per branch; each list holds at most `MAX_TXN_OPS` (128) items.
   */
  txn(txn: Omit<TxnParams, 'session'>): Promise<TxnResult> {
    return this.write('txn', (session) => ({compare: txn.compare, success: txn.success, failure: txn.failure, session}))
  }

  /**
   * Watch `key`, or every key starting with `prefix`: an async iterator of every change
   * (`{type: 'put' | 'delete', key, value?, index}`) in log order, from `options.fromIndex` (or
   * from now), across leader changes and node restarts, never skipping or repeating one. It
   * throws `SLOW_CONSUMER` when the node cut it off (see {@link WatchOptions} and docs/kv.md) and
   * `COMPACTED` when no node keeps `fromIndex` any more. Close it (or `break`) when done; it has
   * a connection of its own, which {@link close} does not close.
   */
  watch(selector: WatchSelector, options: WatchOptions = {}): KvWatch {
    const urls = this.endpoints.map((e) => e.url)
    return new KvWatch({urls, secret: this.secret, clusterId: this.clusterId, timeoutMs: this.timeoutMs, tls: this.tls, limits: this.limits}, selector, options)
  }

  /** Close every connection. Operations in flight fail; later calls fail with `UNAVAILABLE`. Idempotent. */
  async close(): Promise<void> {
    this.closed = true
    const connections = [...this.connections.values()]
    this.connections.clear()
    await Promise.all(connections.map((c) => c.then((conn) => conn.close(), () => undefined)))
  }

  // -------------------------------------------------------------------------------------------
  // Writes: one at a time, each with the next seq, retried with the same seq

  private write<T extends Exclude<KvRequestType, 'get' | 'range'>>(type: T, build: (session: Session) => RequestParamsMap[T]): Promise<ResultMap[T]> {
    const run = (): Promise<ResultMap[T]> => {
      const session = {clientId: this.currentClientId, seq: ++this.seq}
      return this.run(type, build(session), true).catch((error: unknown) => {
        this.returnUnusedSeq(session, error)
        throw error
      })
    }
    const result = this.writeQueue.then(run, run)
    this.writeQueue = result.catch(() => undefined)
    return result
  }

  /**
   * A write refused as malformed (`BAD_REQUEST`, `INVALID_UTF8`: by this client before sending,
   * or by the daemon's parser) never reached the log, so its seq was not used: give it back.
   * Otherwise a refused first write would make the next one start at seq 2, which the state
   * machine answers with `SESSION_EXPIRED` (an unknown session must start at 1).
   */
  private returnUnusedSeq(session: Session, error: unknown): void {
    const code = (error as {code?: unknown} | null)?.code
    if (code !== 'BAD_REQUEST' && code !== 'INVALID_UTF8') return
    if ((error as ClientError).unknown === true) return
    if (this.currentClientId === session.clientId && this.seq === session.seq) this.seq--
  }

  // -------------------------------------------------------------------------------------------
  // The retry loop

  /** `firstUrl`: where the first attempt goes (default: {@link pickTarget}). */
  private async run<T extends KvRequestType>(type: T, params: RequestParamsMap[T], write: boolean, firstUrl?: string): Promise<ResultMap[T]> {
    const deadline = Date.now() + this.deadlineMs
    let maybeApplied = false
    let last: ClientError | undefined
    const refused = new Set<string>()
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const remaining = deadline - Date.now()
      if (remaining <= 0 || this.closed) break
      const target = attempt === 1 && firstUrl !== undefined ? {url: firstUrl} : this.pickTarget()
      try {
        const result = await this.attempt(target.url, type, params, Math.min(this.timeoutMs, remaining))
        // Only the leader serves writes and linearizable reads.
        if (write || (params as {serializable?: boolean}).serializable !== true) this.servedByLeader(target.url)
        return result
      } catch (error) {
        last = toClientError(error)
        maybeApplied ||= write && last.unknown
        if (this.noteRefusal(refused, target.url, last)) throw this.nobodyListening(maybeApplied)
        const step = this.nextStep(last, target.url)
        if (step === 'fail') throw this.settle(last, maybeApplied)
        if (step === 'retry') await this.backoff(attempt, deadline)
      }
    }
    throw this.giveUp(type, last, maybeApplied)
  }

  private async attempt<T extends KvRequestType>(url: string, type: T, params: RequestParamsMap[T], timeoutMs: number): Promise<ResultMap[T]> {
    const connection = await this.connect(url, timeoutMs)
    return connection.request(type, params, {timeoutMs})
  }

  /** Decide what follows a failed attempt, updating the leader cache. */
  private nextStep(error: ClientError, triedUrl: string): NextStep {
    if (!RETRYABLE.has(error.code)) {
      if (error.code === 'SESSION_EXPIRED') this.newSession()
      return 'fail'
    }
    if (error.code === 'NOT_LEADER' && error.leader !== undefined) {
      const url = this.urlOf(error.leader)
      if (url !== undefined && url !== triedUrl) {
        this.believeLeader(error.leader.id, url, error.leader.address ?? url)
        return 'redirect'
      }
    }
    this.forgetLeader(triedUrl)
    return 'retry'
  }

  /**
   * Record whether the attempt at `url` was refused at the TCP level: a refusal joins `refused`,
   * any other failure (the node answered, timed out, closed) empties it. True once every
   * endpoint has refused since the last other failure: no node is listening.
   */
  private noteRefusal(refused: Set<string>, url: string, error: ClientError): boolean {
    if (!isConnectionRefused(error)) {
      refused.clear()
      return false
    }
    refused.add(url)
    return this.endpoints.every((e) => refused.has(e.url))
  }

  /** `UNAVAILABLE` naming every endpoint; `unknown` when an earlier attempt may have applied the write. */
  private nobodyListening(maybeApplied: boolean): ClientError {
    const where = this.endpoints.map((e) => `${e.id} at ${e.address}`).join(', ')
    return new ClientError('UNAVAILABLE', `no node is listening: ${where}`, {unknown: maybeApplied})
  }

  /** The final error: `unknown` when any attempt may have applied the write. */
  private settle(error: ClientError, maybeApplied: boolean): ClientError {
    return error.withUnknown(maybeApplied)
  }

  private giveUp(type: KvRequestType, last: ClientError | undefined, maybeApplied: boolean): ClientError {
    if (this.closed) return new ClientError('UNAVAILABLE', 'the client is closed', {unknown: maybeApplied})
    if (last === undefined) return new ClientError('TIMEOUT', `${type}: deadline of ${this.deadlineMs} ms passed before any attempt`)
    const message = `${type} failed after retrying for up to ${this.deadlineMs} ms / ${this.maxAttempts} attempts: ${last.message}`
    return new ClientError(last.code, message, {unknown: maybeApplied || last.unknown, leader: last.leader, cause: last, request: type})
  }

  /** After `SESSION_EXPIRED` the old id can no longer be deduplicated: continue with a new one. */
  private newSession(): void {
    this.currentClientId = `kv-${randomUUID()}`
    this.seq = 0
  }

  private async backoff(attempt: number, deadline: number): Promise<void> {
    const step = Math.min(this.maxBackoffMs, this.minBackoffMs * 2 ** Math.min(attempt - 1, 20))
    const ms = Math.min(Math.round(step * (0.5 + Math.random() / 2)), Math.max(0, deadline - Date.now()))
    if (ms > 0) await sleep(ms)
  }

  // -------------------------------------------------------------------------------------------
  // Leader discovery and connections

  /** The cached leader, or the next endpoint in turn. */
  private pickTarget(): {readonly url: string} {
    if (this.leaderHint !== undefined) return this.leaderHint
    return this.endpoints[this.cursor % this.endpoints.length]!
  }

  /** The node at `url` served a leader-only request: believe it leads (when it is a known node). */
  private servedByLeader(url: string): void {
    const endpoint = this.endpoints.find((e) => e.url === url)
    const id = endpoint?.id ?? (this.leaderHint?.url === url ? this.leaderHint.id : undefined)
    if (id !== undefined) this.believeLeader(id, url, endpoint?.address ?? url)
  }

  /** Send the next requests to `id` at `url`; tell {@link onLeader} when it is news. */
  private believeLeader(id: NodeId, url: string, address: string): void {
    this.leaderHint = {id, url}
    if (this.toldLeader === id) return
    this.toldLeader = id
    const listed = this.endpoints.find((e) => e.id === id)
    try {
      this.onLeader?.({id, address: listed?.address ?? address})
    } catch {
      // documented not to throw; a listener's bug must not fail the request
    }
  }

  /** Drop the cached leader (if it is `url`) and move the cursor past `url`. */
  private forgetLeader(url: string): void {
    if (this.leaderHint?.url === url) this.leaderHint = undefined
    const index = this.endpoints.findIndex((e) => e.url === url)
    if (index >= 0 && this.endpoints[this.cursor % this.endpoints.length]!.url === url) this.cursor = index + 1
  }

  /** Where to reach a hinted leader: its endpoint when listed, else the hint's address. */
  private urlOf(hint: LeaderHint): string | undefined {
    const listed = this.endpoints.find((e) => e.id === hint.id)
    if (listed !== undefined) return listed.url
    if (hint.address === null) return undefined
    try {
      return routeUrl(hint.address, 'client')
    } catch {
      return undefined
    }
  }

  /** The open connection to `url`, reusing a cached one; a closed one is replaced. Failures are definite (nothing sent). */
  private async connect(url: string, timeoutMs: number): Promise<Connection> {
    // Reuse (or wait for) the connection in the map. The check and the `set` below must not be
    // separated by an await: concurrent first requests would each open a socket and leak all but one.
    for (let current = this.connections.get(url); current !== undefined; current = this.connections.get(url)) {
      const cached = await this.cached(url, current)
      if (cached !== undefined) return cached
    }
    if (this.closed) throw new ClientError('UNAVAILABLE', 'the client is closed')
    const pending = this.open(url, timeoutMs)
    this.connections.set(url, pending)
    const connection = await this.cached(url, pending)
    if (connection === undefined) throw new ClientError('UNAVAILABLE', `connection to ${url} closed as soon as it opened; nothing was sent`)
    return connection
  }

  /**
   * The cached connection to `url` if it is open; otherwise it is forgotten and undefined is
   * returned. Rethrows the error of a connection that failed to open.
   */
  private async cached(url: string, pending = this.connections.get(url)): Promise<Connection | undefined> {
    if (pending === undefined) return undefined
    try {
      const connection = await pending
      if (connection.isOpen) return connection
    } catch (error) {
      if (this.connections.get(url) === pending) this.connections.delete(url)
      throw error
    }
    if (this.connections.get(url) === pending) this.connections.delete(url)
    return undefined
  }

  private async open(url: string, timeoutMs: number): Promise<Connection> {
    const connection = await Connection.open({
      url, secret: this.secret, clusterId: this.clusterId, timeoutMs: this.timeoutMs, connectTimeoutMs: timeoutMs, tls: this.tls, limits: this.limits,
    })
    if (this.closed) await connection.close() // closed while opening: do not leak the socket
    return connection
  }
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number, got ${value}`)
  return value
}
