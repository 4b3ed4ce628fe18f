/**
 * Connection: one authenticated WebSocket to a daemon's `/client` or `/admin` route, speaking
 * the JSON protocol of src/admin/protocol.ts. Requests are correlated with responses by id
 * (several may be in flight), each has its own timeout, events are handed to listeners, and a
 * closed socket fails every request in flight. A request that fails after it was sent is
 * marked `unknown` when it is a write (it may or may not have been applied).
 *
 * ws traps handled (TOOLCHAIN.md): an `error` listener is always attached; compression is off;
 * a refused upgrade is read from `unexpected-response` (401 → `UNAUTHORIZED`, 409 with the
 * code header → `CLUSTER_MISMATCH`, the code header `TLS_FAILED` → a refused client certificate).
 */
import {WebSocket, type ClientOptions, type RawData} from 'ws'
import {
  DEFAULT_MAX_RESPONSE_BYTES, encodeRequest, isOutcomeUnknown, parseResponse, specOf,
  type AdminEvent, type ProtocolError, type ProtocolLimits, type RequestParamsMap, type RequestType, type ResultMap, type ServerMessage,
} from '../admin/protocol.js'
import {BINARY_FRAMES_HEADER, BINARY_PUT_FROM, acceptsBinaryPut, encodeBinaryPut} from '../admin/binary-put.js'
import type {ErrorCode} from '../common/errors.js'
import {ClientError} from './errors.js'

/** Default time a request (and the connection's opening handshake) may take: 5 s. */
export const DEFAULT_TIMEOUT_MS = 5000

/** Default most requests in flight on one connection: 1024 (more fail at once with `OVERLOADED`). */
export const DEFAULT_MAX_IN_FLIGHT = 1024

/** TLS options for `wss://` URLs. */
export interface ClientTlsOptions {
  /** Trust anchors (PEM) to verify the daemon's certificate. Default: the system store. */
  readonly ca?: string | Buffer | ReadonlyArray<string | Buffer>
  /** Client certificate (PEM), for daemons that require mutual TLS. */
  readonly cert?: string | Buffer
  /** Client key (PEM). */
  readonly key?: string | Buffer
  /** Verify the daemon's certificate. Default true; turn off only for experiments. */
  readonly rejectUnauthorized?: boolean
  /** Name to verify instead of the URL's host. */
  readonly servername?: string
}

/** Options of {@link Connection.open}. */
export interface ConnectionOptions {
  /** Full WebSocket URL including the route, e.g. `ws://127.0.0.1:7001/client`. */
  readonly url: string
  /** The cluster secret, sent as `Authorization: Bearer <secret>`. */
  readonly secret: string
  /**
   * The cluster id the client expects (sent as `x-raftctl-cluster`): a node of another cluster
   * refuses the connection with `CLUSTER_MISMATCH`. Absent: any cluster.
   */
  readonly clusterId?: string
  /** Default per-request timeout, ms. Default {@link DEFAULT_TIMEOUT_MS}. */
  readonly timeoutMs?: number
  /** Time allowed for the opening handshake, ms. Default `timeoutMs`. */
  readonly connectTimeoutMs?: number
  readonly tls?: ClientTlsOptions
  /** Limits requests are validated against before sending (should match the daemon's). Defaults as the protocol's. */
  readonly limits?: Partial<ProtocolLimits>
  /** Largest frame accepted from the daemon (ws `maxPayload`). Default 64 MiB. */
  readonly maxResponseBytes?: number
  /** Most requests in flight. Default {@link DEFAULT_MAX_IN_FLIGHT}. */
  readonly maxInFlight?: number
}

/** Options of one request. */
export interface RequestOptions {
  /** This request's timeout, ms. Default: the connection's `timeoutMs`. */
  readonly timeoutMs?: number
}

/** Receives an event pushed by the daemon. Must not throw (a throw is caught and ignored). */
export type EventListener = (event: AdminEvent, time: number) => void

/** Told once when the connection closes, with the reason as a ClientError (`UNAVAILABLE`, …). */
export type CloseListener = (reason: ClientError) => void

interface Pending {
  readonly type: RequestType
  readonly write: boolean
  readonly resolve: (result: unknown) => void
  readonly reject: (error: ClientError) => void
  readonly timer: NodeJS.Timeout
}

/** Close codes this client sends. */
const CLOSE_NORMAL = 1000
const CLOSE_PROTOCOL_ERROR = 1002
/** How long {@link Connection.close} waits for the closing handshake before dropping the socket. */
const CLOSE_GRACE_MS = 1000

/** One authenticated WebSocket connection. Create with {@link Connection.open}; always {@link Connection.close} it. */
export class Connection {
  /** The URL this connection was opened to. */
  readonly url: string
  private readonly ws: WebSocket
  private readonly timeoutMs: number
  private readonly limits: Partial<ProtocolLimits>
  private readonly maxInFlight: number
  private readonly pending = new Map<number, Pending>()
  private readonly eventListeners = new Set<EventListener>()
  private readonly closeListeners = new Set<CloseListener>()
  private nextId = 1
  private closeReason: ClientError | undefined
  /** The TCP (or TLS) socket under the WebSocket, known once the upgrade is answered. */
  private socket: {readonly bytesRead: number} | undefined
  private readonly closed: Promise<void>
  /** The daemon accepts binary put frames (its upgrade response said so: src/admin/binary-put.ts). */
  private binaryPut = false

  private constructor(ws: WebSocket, options: ConnectionOptions) {
    this.url = options.url
    this.ws = ws
    this.timeoutMs = positive(options.timeoutMs ?? DEFAULT_TIMEOUT_MS, 'timeoutMs')
    this.limits = options.limits ?? {}
    this.maxInFlight = positive(options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT, 'maxInFlight')
    this.closed = new Promise((resolve) => ws.once('close', () => resolve()))
    ws.once('upgrade', (res) => {
      this.socket = res.socket
      this.binaryPut = acceptsBinaryPut(res.headers[BINARY_FRAMES_HEADER])
    })
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary))
    ws.on('close', (code, reason) => this.onSocketClose(code, reason.toString('utf8')))
  }

  /**
   * Open and authenticate a connection. Rejects with ClientError `UNAUTHORIZED` (HTTP 401:
   * wrong or missing secret), `CLUSTER_MISMATCH` (409: the node is in another cluster than
   * `clusterId`), `SHUTTING_DOWN` (503), `UNAVAILABLE` (refused, unreachable,
   * handshake timeout, any other status) or `BAD_INPUT` (bad URL); never `unknown`.
   * Throws a RangeError at once for a timeout that is not a positive number.
   */
  static async open(options: ConnectionOptions): Promise<Connection> {
    let ws: WebSocket
    try {
      ws = new WebSocket(options.url, wsOptions(options))
    } catch (error) {
      if (error instanceof RangeError) throw error
      throw new ClientError('BAD_INPUT', `cannot connect to ${options.url}: ${messageOf(error)}`, {cause: error})
    }
    // Every listener is attached before the first event can fire: nothing is missed.
    const opened = awaitOpen(ws, options.url, options.clusterId)
    const connection = new Connection(ws, options)
    await opened
    return connection
  }

  /** True while requests can be sent. */
  get isOpen(): boolean {
    return this.closeReason === undefined && this.ws.readyState === WebSocket.OPEN
  }

  /**
   * True when the daemon accepts binary put frames (its upgrade response said so), so puts of
   * {@link BINARY_PUT_FROM}+ UTF-16 units go as bytes; false for a daemon older than them.
   */
  get binaryPuts(): boolean {
    return this.binaryPut
  }

  /** Requests waiting for their response. */
  get inFlight(): number {
    return this.pending.size
  }

  /**
   * Send one request and wait for its response. Rejects with ClientError: the daemon's error
   * (with its leader hint); `BAD_REQUEST`/`PAYLOAD_TOO_LARGE` before sending when the request
   * is invalid; `TIMEOUT` or `UNAVAILABLE` (closed) after sending, `unknown` for writes;
   * `UNAVAILABLE` (not unknown) when the connection was already closed; `OVERLOADED` when
   * `maxInFlight` requests are waiting.
   */
  request<T extends RequestType>(type: T, params: RequestParamsMap[T], options: RequestOptions = {}): Promise<ResultMap[T]> {
    const refusal = this.refusal()
    if (refusal !== undefined) return Promise.reject(refusal)
    const id = this.nextId++
    const encoded = this.encode(id, type, params)
    if (!encoded.ok) return Promise.reject(new ClientError(encoded.error.code, encoded.error.message))
    const write = specOf(type)?.effect === 'write'
    const timeoutMs = options.timeoutMs ?? this.timeoutMs
    if (!(timeoutMs > 0)) return Promise.reject(new RangeError(`timeoutMs must be a positive number, got ${timeoutMs}`))
    return new Promise<ResultMap[T]>((resolve, reject) => {
      const timer = setTimeout(() => this.expire(id, timeoutMs), timeoutMs)
      this.pending.set(id, {type, write, resolve: resolve as (result: unknown) => void, reject, timer})
      this.ws.send(encoded.frame, (error) => {
        if (error) this.settleError(id, 'UNAVAILABLE', `sending to ${this.url} failed: ${error.message}`)
      })
    })
  }

  /**
   * The frame of a request: a binary put frame for a put of {@link BINARY_PUT_FROM}+ UTF-16 units
   * when the daemon accepts them (its value's bytes are not JSON-escaped, parsed or re-encoded),
   * else JSON text. Both are checked as the daemon would check them.
   */
  private encode<T extends RequestType>(id: number, type: T, params: RequestParamsMap[T]): {ok: true; frame: string | Buffer} | {ok: false; error: {code: ErrorCode; message: string}} {
    if (type === 'put' && this.binaryPut && (params as RequestParamsMap['put']).value?.length >= BINARY_PUT_FROM) {
      const binary = encodeBinaryPut(id, params as RequestParamsMap['put'], this.limits)
      return binary.ok ? {ok: true, frame: binary.bytes} : binary
    }
    const text = encodeRequest(id, type, params, this.limits)
    return text.ok ? {ok: true, frame: text.text} : text
  }

  private refusal(): ClientError | undefined {
    if (!this.isOpen) {
      const why = this.closeReason?.message ?? 'the connection is closing'
      return new ClientError('UNAVAILABLE', `connection to ${this.url} is closed (${why}); nothing was sent`)
    }
    if (this.pending.size >= this.maxInFlight) {
      return new ClientError('OVERLOADED', `${this.pending.size} requests are already in flight on ${this.url} (maxInFlight); nothing was sent`)
    }
    return undefined
  }

  /** Listen to events pushed by the daemon (after a `subscribe` request). Returns a function that stops listening. */
  onEvent(listener: EventListener): () => void {
    this.eventListeners.add(listener)
    return () => this.eventListeners.delete(listener)
  }

  /**
   * Stop reading frames from the socket (backpressure: the daemon's send buffer fills instead of
   * this process's memory) until {@link resume}. Idempotent.
   */
  pause(): void {
    if (this.ws.readyState === WebSocket.OPEN && !this.ws.isPaused) this.ws.pause()
  }

  /** Read frames again after {@link pause}. Idempotent. */
  resume(): void {
    if (this.ws.isPaused) this.ws.resume()
  }

  /** True between {@link pause} and {@link resume}. */
  get isPaused(): boolean {
    return this.ws.isPaused
  }

  /**
   * Bytes read from the socket so far (frames not yet complete included): a watch's watchdog
   * tells a node that hangs from one sending a large frame slowly.
   */
  get bytesReceived(): number {
    return this.socket?.bytesRead ?? 0
  }

  /** Be told when the connection closes (at once if it already has). Returns a function that stops listening. */
  onClose(listener: CloseListener): () => void {
    if (this.closeReason !== undefined) {
      listener(this.closeReason)
      return () => undefined
    }
    this.closeListeners.add(listener)
    return () => this.closeListeners.delete(listener)
  }

  /**
   * Close the connection: requests in flight fail with `UNAVAILABLE` (`unknown` for writes).
   * Resolves once the socket is closed (after a closing handshake of at most 1 s). Idempotent.
   */
  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return
    this.shutdown(new ClientError('UNAVAILABLE', `connection to ${this.url} closed by the client`))
    const grace = setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS)
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(CLOSE_NORMAL, 'client closing')
    await this.closed
    clearTimeout(grace)
  }

  // -------------------------------------------------------------------------------------------
  // Incoming frames

  private onMessage(data: RawData, isBinary: boolean): void {
    if (isBinary) return this.protocolError('the daemon sent a binary frame; frames are JSON text')
    const parsed = parseResponse(rawText(data), (id) => this.pending.get(id)?.type)
    if (!parsed.ok) {
      if (parsed.id !== undefined && this.pending.has(parsed.id)) return this.settleError(parsed.id, 'BAD_RESPONSE', parsed.error.message)
      return this.protocolError(parsed.error.message)
    }
    this.dispatch(parsed.message)
  }

  private dispatch(message: ServerMessage): void {
    switch (message.kind) {
      case 'result':
        return this.settleResult(message.id, message.result)
      case 'error':
        if (message.id === null) return this.failAll(message.error)
        return this.settleServerError(message.id, message.error)
      case 'event':
        return this.emitEvent(message.event, message.time)
      case 'ignored':
        return
    }
  }

  private settleResult(id: number, result: unknown): void {
    const pending = this.take(id)
    pending?.resolve(result)
  }

  private settleServerError(id: number, error: ProtocolError): void {
    const pending = this.take(id)
    if (pending === undefined) return
    const unknown = pending.write && isOutcomeUnknown(error.code)
    pending.reject(new ClientError(error.code, error.message, {unknown, leader: error.leader, request: pending.type}))
  }

  /** Fail one request with a client-side code; `unknown` for writes (it was sent), worded for the request. */
  private settleError(id: number, code: ErrorCode, message: string): void {
    const pending = this.take(id)
    if (pending === undefined) return
    pending.reject(new ClientError(code, message, {unknown: pending.write, request: pending.type}))
  }

  private expire(id: number, timeoutMs: number): void {
    const pending = this.pending.get(id)
    if (pending === undefined) return
    this.settleError(id, 'TIMEOUT', `no answer to ${pending.type} from ${this.url} within ${timeoutMs} ms`)
  }

  private take(id: number): Pending | undefined {
    const pending = this.pending.get(id)
    if (pending === undefined) return undefined // answered after its timeout: ignored
    this.pending.delete(id)
    clearTimeout(pending.timer)
    return pending
  }

  /**
   * An error the daemon could not tie to a request (id null; a correct client never causes
   * one). Any request in flight may be the refused one, and the others may still be applied:
   * fail them all, `unknown` for writes.
   */
  private failAll(error: ProtocolError): void {
    for (const id of [...this.pending.keys()]) this.settleError(id, error.code, `${error.message} (answer without a request id)`)
  }

  private emitEvent(event: AdminEvent, time: number): void {
    for (const listener of [...this.eventListeners]) {
      try {
        listener(event, time)
      } catch {
        // A listener's bug must not break the connection; listeners are documented not to throw.
      }
    }
  }

  /** The daemon broke the protocol: fail everything and close. */
  private protocolError(message: string): void {
    this.shutdown(new ClientError('BAD_RESPONSE', `bad frame from ${this.url}: ${message}`))
    this.ws.close(CLOSE_PROTOCOL_ERROR, 'bad frame')
  }

  // -------------------------------------------------------------------------------------------
  // Closing

  private onSocketClose(code: number, reason: string): void {
    const detail = reason === '' ? `code ${code}` : `code ${code}: ${reason}`
    this.shutdown(new ClientError('UNAVAILABLE', `connection to ${this.url} closed (${detail})`))
  }

  /** Record why the connection ends (first reason wins), fail every request in flight, tell the listeners. */
  private shutdown(reason: ClientError): void {
    if (this.closeReason !== undefined) return
    this.closeReason = reason
    for (const id of [...this.pending.keys()]) this.settleError(id, reason.code, `${reason.message} before the answer arrived`)
    const listeners = [...this.closeListeners]
    this.closeListeners.clear()
    this.eventListeners.clear()
    for (const listener of listeners) {
      try {
        listener(reason)
      } catch {
        // as for event listeners
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Opening

function wsOptions(options: ConnectionOptions): ClientOptions {
  const tls = options.tls ?? {}
  const timeout = positive(options.connectTimeoutMs ?? options.timeoutMs ?? DEFAULT_TIMEOUT_MS, 'connectTimeoutMs')
  return {
    headers: {
      Authorization: `Bearer ${options.secret}`,
      ...(options.clusterId === undefined ? {} : {[CLUSTER_HEADER]: encodeURIComponent(options.clusterId)}),
    },
    perMessageDeflate: false,
    // An all-zero mask: ws then sends each frame's payload as it is (no copy, no per-byte XOR
    // loop in JavaScript, about 4 ns a byte: 1 ms for a 256 KiB value) and the daemon skips
    // unmasking it. Masking guards browsers' intermediaries against forged requests; this
    // client is not a browser, and its connection is authenticated by the secret.
    generateMask: keepZeroMask,
    handshakeTimeout: timeout,
    maxPayload: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    followRedirects: false,
    ...(tls.ca === undefined ? {} : {ca: tls.ca as string | Buffer | Array<string | Buffer>}),
    ...(tls.cert === undefined ? {} : {cert: tls.cert}),
    ...(tls.key === undefined ? {} : {key: tls.key}),
    ...(tls.rejectUnauthorized === undefined ? {} : {rejectUnauthorized: tls.rejectUnauthorized}),
    ...(tls.servername === undefined ? {} : {servername: tls.servername}),
  }
}

/** ws `generateMask` leaving the mask all zero (see {@link wsOptions}). */
function keepZeroMask(): void {}

/** Resolve when `ws` opens; reject with a definite ClientError otherwise. Leaves an `error` listener attached for good. */
function awaitOpen(ws: WebSocket, url: string, expectedCluster?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let refused: ClientError | undefined
    ws.on('error', () => undefined) // always attached: a late socket error must never crash the process
    ws.once('unexpected-response', (_req, res) => {
      refused = refusedUpgrade(url, res.statusCode ?? 0, res.headers, expectedCluster)
      ws.terminate()
    })
    ws.once('open', () => resolve())
    ws.once('error', (error) => {
      reject(refused ?? tlsFailure(url, error) ?? new ClientError('UNAVAILABLE', `cannot connect to ${url}: ${messageOf(error)}`, {cause: error}))
    })
    ws.once('close', () => reject(refused ?? new ClientError('UNAVAILABLE', `connection to ${url} closed while opening`)))
  })
}

/** OpenSSL / Node error codes of a TLS handshake that failed on a certificate or protocol question (not on reachability). */
const TLS_ERROR_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|SELF_SIGNED_|DEPTH_ZERO_|HOSTNAME_MISMATCH|ERR_OSSL_)/

/**
 * A ClientError `TLS_FAILED` when `error` is a TLS handshake failure (an untrusted or expired
 * certificate, a name mismatch, a protocol error), naming the reason and the OpenSSL code; undefined
 * otherwise. Not retryable: trying again meets the same certificate.
 */
function tlsFailure(url: string, error: unknown): ClientError | undefined {
  const code = (error as {code?: unknown} | null)?.code
  if (typeof code !== 'string' || !TLS_ERROR_CODE.test(code)) return undefined
  return new ClientError('TLS_FAILED', `TLS handshake with ${url} failed: ${messageOf(error)} (${code}); check the CA (--tls-ca) and the node's certificate`, {cause: error})
}

/** Hello header naming the cluster the client expects (the daemon's src/transport/protocol.ts CLUSTER_HEADER). */
export const CLUSTER_HEADER = 'x-raftctl-cluster'

/** Header of a refused upgrade carrying its stable error code. */
const ERROR_CODE_HEADER = 'x-raftctl-error'

/** Header of an upgrade refused for its client certificate: `none`, or the OpenSSL verification code (the daemon's src/transport/protocol.ts CLIENT_CERT_HEADER). */
const CLIENT_CERT_HEADER = 'x-raftctl-client-cert'

/** What an OpenSSL verification code of a refused client certificate means for the operator. */
function certificateProblem(code: string): string {
  if (/^(UNABLE_TO_|SELF_SIGNED_|DEPTH_ZERO_)/.test(code)) return 'it is not signed by the CA the node trusts for clients (--tls-client-ca)'
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return 'it has expired or is not valid yet'
  if (code === 'INVALID_PURPOSE') return 'it may not be used for client authentication (its extended key usage lacks clientAuth)'
  return 'the node checks it against its --tls-client-ca'
}

/** TLS_FAILED for a node that refused our client certificate (mutual TLS), saying whether none was presented or which check it failed. */
function refusedCertificate(url: string, status: number, reason: string | string[] | undefined): ClientError {
  if (reason === 'none' || reason === undefined) {
    return new ClientError('TLS_FAILED', `${url} requires a client certificate (mutual TLS: the node runs with --tls-client-ca) and none was presented: pass --tls-cert and --tls-key (HTTP ${status})`)
  }
  const code = String(reason)
  return new ClientError('TLS_FAILED', `${url} refused the client certificate (${code}): ${certificateProblem(code)}; check --tls-cert (HTTP ${status})`)
}

function refusedUpgrade(url: string, status: number, headers: Record<string, string | string[] | undefined> = {}, expectedCluster?: string): ClientError {
  if (status === 409 && headers[ERROR_CODE_HEADER] === 'CLUSTER_MISMATCH') {
    const theirs = headers[CLUSTER_HEADER]
    const node = typeof theirs === 'string' ? decodeURIComponent(theirs) : 'unknown'
    return new ClientError('CLUSTER_MISMATCH', `${url} is a node of cluster ${node}, not of the expected cluster ${expectedCluster ?? 'unknown'} (HTTP 409)`)
  }
  if (headers[ERROR_CODE_HEADER] === 'TLS_FAILED') return refusedCertificate(url, status, headers[CLIENT_CERT_HEADER])
  if (status === 401) return new ClientError('UNAUTHORIZED', `${url} refused the cluster secret (HTTP 401)`)
  if (status === 503) return new ClientError('SHUTTING_DOWN', `${url} is shutting down (HTTP 503)`)
  if (status === 404) return new ClientError('UNAVAILABLE', `${url} has no such route (HTTP 404): not a raftctl daemon, or a different version`)
  return new ClientError('UNAVAILABLE', `${url} refused the connection (HTTP ${status})`)
}

/**
 * True when `error` says the node's port refused the TCP connection (`ECONNREFUSED`): nothing is
 * listening there, so waiting for it is pointless (unlike a timeout, a 5xx or a closed socket).
 * Reads the socket error kept as the ClientError's `cause` by {@link Connection.open}; an
 * AggregateError (several addresses tried for one host name) counts when every address refused.
 */
export function isConnectionRefused(error: unknown): boolean {
  const cause = (error as {cause?: unknown} | null)?.cause as {code?: unknown; errors?: unknown} | undefined
  if (cause === undefined || cause === null) return false
  if (Array.isArray(cause.errors) && cause.errors.length > 0) {
    return cause.errors.every((e) => (e as {code?: unknown} | null)?.code === 'ECONNREFUSED')
  }
  return cause.code === 'ECONNREFUSED'
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8')
  return data.toString('utf8')
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number of milliseconds, got ${value}`)
  return value
}

