/**
 * NodeServer: the one listening port of a node. Plain HTTP or HTTPS (when `tls` is given),
 * default host 127.0.0.1, port 0 supported. It authenticates every WebSocket upgrade BEFORE
 * the upgrade, routes upgrades by URL path to registered handlers (`/raft` for peers; the
 * daemon adds `/client`, `/admin`), and passes plain HTTP GETs to an injectable handler
 * (`/metrics`, `/health`).
 *
 * Two credentials: the client secret (`secret`) opens every route except peer-only ones
 * (`/raft`); the peer secret (`peerSecret`) opens every route. Without a peer secret the
 * client secret opens peer-only routes too (the shared-secret mode of older set-ups).
 *
 * Order of checks for an upgrade: server closing → 503; no valid credential → 401; too many
 * authenticated connections → 503; path not registered → 404; a peer-only route with the
 * client secret → 403; the route's own `verify` (e.g. the peer hello) → its status. Every
 * rejection is written as a raw HTTP response on the socket, which is then destroyed: no
 * handler ever sees an unauthenticated socket.
 *
 * Mutual TLS (`tls.clientCa` or `tls.requireClientCert`): the handshake asks for a client
 * certificate and verifies it against the CA, but a refusal is answered after the handshake, as
 * the first check of every upgrade and plain request: HTTP 403 with the code `TLS_FAILED` and
 * the reason (`none`, or the OpenSSL code) in headers ({@link CLIENT_CERT_HEADER}), so the
 * client can say what is wrong. (Refusing inside the handshake would give a client with a
 * certificate of another CA only a reset connection, which looks like an unreachable node and
 * is retried.) Nothing is served and no secret is looked at before the certificate is accepted.
 *
 * Sockets not yet authenticated have their own budget and deadline (admission.ts), apart from
 * authenticated ones, so half-sent requests cannot take the slots of peers and clients.
 */
import {createHash, timingSafeEqual} from 'node:crypto'
import {createServer as createHttpServer, STATUS_CODES} from 'node:http'
import type {IncomingMessage, Server as HttpServer, ServerResponse} from 'node:http'
import {createServer as createHttpsServer} from 'node:https'
import type {AddressInfo, Socket} from 'node:net'
import type {TLSSocket} from 'node:tls'
import type {Duplex} from 'node:stream'
import {WebSocketServer} from 'ws'
import type {WebSocket} from 'ws'
import {Admission} from './admission.js'
import type {AdmissionLimits, AdmissionStats} from './admission.js'
import {
  DEFAULT_AUTH_TIMEOUT_MS, DEFAULT_HEADERS_TIMEOUT_MS, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_PENDING_CONNECTIONS,
  DEFAULT_MAX_PENDING_PER_ADDRESS, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_ROUTE_MAX_PAYLOAD_BYTES, requirePositiveInteger,
} from './limits.js'
import {errorText, silentLogger} from './logger.js'
import {CLIENT_CERT_HEADER, CLIENT_CERT_STATUS, ERROR_CODE_HEADER} from './protocol.js'
import type {TransportLogger} from './logger.js'

/** Header carrying a secret (alternative to `Authorization: Bearer <secret>`). */
export const SECRET_HEADER = 'x-raftctl-secret'

/** Plain HTTP paths served without the secret unless `publicHttpPaths` says otherwise. */
export const DEFAULT_PUBLIC_HTTP_PATHS: readonly string[] = Object.freeze(['/health'])

/** Certificate material of an HTTPS/WSS server (PEM strings or buffers). */
export interface ServerTlsOptions {
  readonly cert: string | Buffer
  readonly key: string | Buffer
  /** CA chain; also the trust anchors for client certificates when `requireClientCert`. */
  readonly ca?: string | Buffer
  /** Demand and verify a client certificate signed by `ca` (mutual TLS). Default false. */
  readonly requireClientCert?: boolean
  /**
   * Demand a client certificate signed by THIS CA (mutual TLS) on every connection, WebSocket
   * routes and plain HTTP alike. When given it replaces `ca` as the trust anchors of client
   * certificates. Default: none. See {@link NodeServer} for how a refusal is answered.
   */
  readonly clientCa?: string | Buffer
}

/** Handler of plain HTTP GET/HEAD requests. May be async; a throw or rejection answers 500. */
export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>

/** Receives an authenticated, upgraded WebSocket. The socket already has an `error` listener. */
export type UpgradeHandler = (socket: WebSocket, req: IncomingMessage) => void

/** Why a route refuses an upgrade (answered as an HTTP status before the upgrade). */
export interface UpgradeRejection {
  readonly status: number
  readonly message?: string
  /** Extra response headers (e.g. the stable error code of a cluster mismatch). */
  readonly headers?: Readonly<Record<string, string>>
}

/** Options of one route. */
export interface RouteOptions {
  /** Largest WebSocket message accepted on this route (bytes). Default: the server's `maxPayload`. */
  readonly maxPayload?: number
  /**
   * Only the peer secret opens this route (`/raft`); the client secret gets 403. Default false.
   * Without a server `peerSecret`, the client secret is the peer secret too.
   */
  readonly peersOnly?: boolean
  /** Extra pre-upgrade check after authentication; return a rejection to refuse. */
  readonly verify?: (req: IncomingMessage) => UpgradeRejection | undefined
  /**
   * Hand text messages whose bytes are not valid UTF-8 to the handler (which must check them)
   * instead of closing the connection with code 1007, so it can answer with an error. Default false.
   */
  readonly acceptInvalidUtf8?: boolean
  /** Extra headers of the route's upgrade response (a capability the client reads, e.g. binary put frames). */
  readonly upgradeHeaders?: Readonly<Record<string, string>>
}

/** Options of {@link NodeServer.listen}. */
export interface NodeServerOptions {
  /** The client secret: opens every route but peer-only ones, and non-public HTTP paths. Non-empty. */
  readonly secret: string
  /**
   * The peer secret: opens every route, peer-only ones (`/raft`) included. Absent: the client
   * secret opens peer-only routes too (shared-secret mode; see {@link NodeServer.peerAuth}).
   */
  readonly peerSecret?: string
  /** Interface to bind. Default `127.0.0.1`. */
  readonly host?: string
  /** Port to bind; 0 picks a free one (read it from {@link NodeServer.port}). Default 0. */
  readonly port?: number
  /** Serve HTTPS / WSS with this certificate. */
  readonly tls?: ServerTlsOptions
  /** Default ws `maxPayload` of routes that set none. Default 1 MiB. */
  readonly maxPayload?: number
  /** Handler of plain HTTP GET/HEAD. Without one, every plain request gets 404. */
  readonly httpHandler?: HttpHandler
  /**
   * HTTP paths that need no secret. Default `['/health']`: `/metrics` and everything else
   * require it. Pass `['/health', '/metrics']` for a scraper that cannot send a bearer token.
   */
  readonly publicHttpPaths?: readonly string[]
  /** Most simultaneous authenticated connections (upgraded with a valid secret). Default 1024. */
  readonly maxConnections?: number
  /** Most simultaneous sockets not yet authenticated. Default 1024 (the oldest is evicted for a new one). */
  readonly maxPendingConnections?: number
  /** Most simultaneous sockets not yet authenticated from one remote address. Default 256. */
  readonly maxPendingPerAddress?: number
  /** Time from accept to an authenticated upgrade (or a complete plain request), ms. Default 2 s. */
  readonly authTimeoutMs?: number
  /** Time to receive complete request headers, ms. Default 10 s. */
  readonly headersTimeoutMs?: number
  /** Time to receive a whole plain HTTP request, ms. Default 30 s. */
  readonly requestTimeoutMs?: number
  readonly logger?: TransportLogger
}

/** Counters of a NodeServer. */
export interface ServerStats extends AdmissionStats {
  /** Upgrades handed to a route handler. */
  readonly upgradesAccepted: number
  /** Upgrades refused before the upgrade, by HTTP status. */
  readonly upgradesRejected: Readonly<Record<number, number>>
  /** Plain HTTP requests received. */
  readonly httpRequests: number
  /** Plain HTTP requests refused with 401. */
  readonly httpUnauthorized: number
  /** Errors thrown by route or HTTP handlers. */
  readonly handlerErrors: number
  /** TLS handshakes that failed. */
  readonly tlsHandshakeFailures: number
  /** Upgrades and plain requests refused for their client certificate (mutual TLS). */
  readonly clientCertRefused: number
}

interface Route {
  readonly handler: UpgradeHandler
  readonly peersOnly: boolean
  readonly verify?: (req: IncomingMessage) => UpgradeRejection | undefined
  readonly wss: WebSocketServer
}

/** SHA-256 of a UTF-8 string: equal-length inputs for timingSafeEqual. */
function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest()
}

/** The URL path of a request, or undefined when the target cannot be parsed. */
export function requestPath(req: IncomingMessage): string | undefined {
  try {
    return new URL(req.url ?? '/', 'http://localhost').pathname
  } catch {
    return undefined
  }
}

/** Which credential a request presents: the peer secret, the client secret, or none. */
export type Credential = 'peer' | 'client' | undefined

/** The secret a request presents: `Authorization: Bearer <s>` or `x-raftctl-secret: <s>`. */
function presentedSecrets(req: IncomingMessage): string[] {
  const found: string[] = []
  const auth = req.headers.authorization
  if (typeof auth === 'string') {
    const match = /^Bearer[ \t]+(.+)$/i.exec(auth.trim())
    if (match?.[1] !== undefined) found.push(match[1])
  }
  const header = req.headers[SECRET_HEADER]
  if (typeof header === 'string') found.push(header)
  return found
}

/** Write a raw HTTP response on a not-yet-upgraded socket, then destroy it. */
function rejectSocket(socket: Duplex, status: number, message?: string, extraHeaders: Record<string, string> = {}): void {
  if (!socket.writable) {
    socket.destroy()
    return
  }
  const body = `${message ?? STATUS_CODES[status] ?? 'Error'}\n`
  const headers: Record<string, string | number> = {
    Connection: 'close',
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    ...extraHeaders,
  }
  const head = Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\r\n')
  socket.once('finish', () => socket.destroy())
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n${head}\r\n\r\n${body}`)
}

const WWW_AUTHENTICATE = {'WWW-Authenticate': 'Bearer realm="raftctl"'}

/** The unauthenticated-socket limits of `options`, defaults filled in. Throws RangeError naming a bad option. */
function admissionLimits(options: NodeServerOptions): AdmissionLimits {
  const maxPendingConnections = options.maxPendingConnections ?? DEFAULT_MAX_PENDING_CONNECTIONS
  const maxPendingPerAddress = options.maxPendingPerAddress ?? DEFAULT_MAX_PENDING_PER_ADDRESS
  const authTimeoutMs = options.authTimeoutMs ?? DEFAULT_AUTH_TIMEOUT_MS
  for (const [name, value] of Object.entries({maxPendingConnections, maxPendingPerAddress, authTimeoutMs})) requirePositiveInteger(name, value)
  return {maxPending: maxPendingConnections, maxPendingPerAddress, authTimeoutMs}
}

/**
 * One node's listening port: authenticated WebSocket routes plus a plain HTTP handler.
 * Create with {@link NodeServer.listen}; always {@link NodeServer.close} it.
 */
export class NodeServer {
  private readonly server: HttpServer
  private readonly secretDigest: Buffer
  private readonly peerSecretDigest: Buffer
  private readonly sharedSecret: boolean
  private readonly admission: Admission
  private readonly maxConnections: number
  private readonly routes = new Map<string, Route>()
  private readonly sockets = new Set<Duplex>()
  private readonly publicPaths: ReadonlySet<string>
  private readonly defaultMaxPayload: number
  private readonly logger: TransportLogger
  private readonly secure: boolean
  /** Mutual TLS: every request must come with an accepted client certificate. */
  private readonly mutual: boolean
  /** The last client-certificate refusal logged at warn (the same one again goes to debug). */
  private lastCertRefusal = ''
  private httpHandler: HttpHandler | undefined
  private closing: Promise<void> | undefined
  private counters = {upgradesAccepted: 0, httpRequests: 0, httpUnauthorized: 0, handlerErrors: 0, tlsHandshakeFailures: 0, clientCertRefused: 0}
  private readonly rejected: Record<number, number> = {}

  private constructor(options: NodeServerOptions) {
    if (typeof options.secret !== 'string' || options.secret.length === 0) throw new TypeError('NodeServer needs a non-empty secret')
    if (options.peerSecret !== undefined && (typeof options.peerSecret !== 'string' || options.peerSecret.length === 0)) {
      throw new TypeError('NodeServer peerSecret must be a non-empty string when given')
    }
    this.secretDigest = digest(options.secret)
    this.sharedSecret = options.peerSecret === undefined || options.peerSecret === options.secret
    this.peerSecretDigest = digest(options.peerSecret ?? options.secret)
    this.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS
    requirePositiveInteger('maxConnections', this.maxConnections)
    this.admission = new Admission(admissionLimits(options))
    this.logger = options.logger ?? silentLogger
    this.defaultMaxPayload = options.maxPayload ?? DEFAULT_ROUTE_MAX_PAYLOAD_BYTES
    requirePositiveInteger('maxPayload', this.defaultMaxPayload)
    this.publicPaths = new Set(options.publicHttpPaths ?? DEFAULT_PUBLIC_HTTP_PATHS)
    this.httpHandler = options.httpHandler
    this.secure = options.tls !== undefined
    this.mutual = options.tls !== undefined && (options.tls.clientCa !== undefined || options.tls.requireClientCert === true)
    this.server = this.createServer(options)
  }

  /**
   * Create a server and start listening. Resolves once bound (then {@link port} is the real
   * port); rejects with the listen error (e.g. `EADDRINUSE`).
   */
  static async listen(options: NodeServerOptions): Promise<NodeServer> {
    const node = new NodeServer(options)
    await node.bind(options.host ?? '127.0.0.1', options.port ?? 0)
    return node
  }

  private createServer(options: NodeServerOptions): HttpServer {
    const tls = options.tls
    // rejectUnauthorized stays false: a refused certificate is answered by clientCertRefusal.
    const server: HttpServer = tls === undefined
      ? createHttpServer()
      : createHttpsServer({cert: tls.cert, key: tls.key, ca: tls.clientCa ?? tls.ca, requestCert: this.mutual, rejectUnauthorized: false})
    // No net-level maxConnections: a shared pool is what half-open sockets exhausted. The
    // admission budgets bound unauthenticated sockets; maxConnections bounds the others.
    server.headersTimeout = options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS
    server.requestTimeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
    server.on('connection', (socket: Socket) => {
      this.track(socket)
      this.admission.admit(socket)
    })
    server.on('secureConnection', (socket: Socket) => this.track(socket))
    server.on('tlsClientError', (error: Error) => {
      this.counters.tlsHandshakeFailures++
      this.logger.debug('tls handshake failed', {error: errorText(error)})
    })
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head))
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.onRequest(req, res))
    server.on('error', (error) => this.logger.error('node server error', {error: errorText(error)}))
    return server
  }

  private track(socket: Duplex): void {
    this.sockets.add(socket)
    socket.on('error', (error) => this.logger.debug('socket error', {error: errorText(error)}))
    socket.once('close', () => this.sockets.delete(socket))
  }

  private bind(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => reject(error)
      this.server.once('error', onError)
      this.server.listen(port, host, () => {
        this.server.off('error', onError)
        resolve()
      })
    })
  }

  /** The bound port (the real one when listening on port 0). */
  get port(): number {
    return (this.server.address() as AddressInfo).port
  }

  /** The bound address. */
  get host(): string {
    return (this.server.address() as AddressInfo).address
  }

  /** `ws` or `wss`. */
  get scheme(): 'ws' | 'wss' {
    return this.secure ? 'wss' : 'ws'
  }

  /** WebSocket URL of a path on this server, e.g. `ws://127.0.0.1:7001/raft`. */
  url(path = '/'): string {
    const host = this.host.includes(':') ? `[${this.host}]` : this.host
    return `${this.scheme}://${host}:${this.port}${path}`
  }

  /**
   * Register a WebSocket route. Each route has its own ws server (own `maxPayload`,
   * `perMessageDeflate: false`). Throws if `path` does not start with `/` or is taken.
   */
  route(path: string, handler: UpgradeHandler, options: RouteOptions = {}): void {
    if (!path.startsWith('/')) throw new TypeError(`route path must start with "/": ${path}`)
    if (this.routes.has(path)) throw new Error(`route ${path} is already registered`)
    const maxPayload = options.maxPayload ?? this.defaultMaxPayload
    requirePositiveInteger('maxPayload', maxPayload)
    const wss = new WebSocketServer({noServer: true, maxPayload, perMessageDeflate: false, skipUTF8Validation: options.acceptInvalidUtf8 === true})
    wss.on('error', (error) => this.logger.error('websocket server error', {path, error: errorText(error)}))
    const extra = Object.entries(options.upgradeHeaders ?? {}).map(([name, value]) => `${name}: ${value}`)
    if (extra.length > 0) wss.on('headers', (headers) => headers.push(...extra))
    this.routes.set(path, {handler, peersOnly: options.peersOnly === true, verify: options.verify, wss})
  }

  /** Remove a route. Connections already accepted stay open (their owner closes them). */
  unroute(path: string): boolean {
    const route = this.routes.get(path)
    if (route === undefined) return false
    this.routes.delete(path)
    route.wss.close()
    return true
  }

  /** Replace (or remove, with undefined) the plain HTTP handler. */
  setHttpHandler(handler: HttpHandler | undefined): void {
    this.httpHandler = handler
  }

  /**
   * How peer-only routes authenticate: `peer-secret` (a peer secret distinct from the client
   * secret) or `shared-secret` (none was given, or it equals the client secret: any client can
   * open `/raft`).
   */
  get peerAuth(): 'peer-secret' | 'shared-secret' {
    return this.sharedSecret ? 'shared-secret' : 'peer-secret'
  }

  /**
   * The credential a request presents (constant-time comparison of SHA-256 digests): `peer`
   * for the peer secret (in shared-secret mode, the client secret), `client` for the client
   * secret, undefined for neither.
   */
  credentialOf(req: IncomingMessage): Credential {
    let peer = false
    let client = false
    for (const candidate of presentedSecrets(req)) {
      const presented = digest(candidate)
      peer = timingSafeEqual(presented, this.peerSecretDigest) || peer
      client = timingSafeEqual(presented, this.secretDigest) || client
    }
    return peer ? 'peer' : client ? 'client' : undefined
  }

  /** True when the request carries either secret. */
  isAuthorized(req: IncomingMessage): boolean {
    return this.credentialOf(req) !== undefined
  }

  /** Counters since start, and the connections open now. */
  stats(): ServerStats {
    return {...this.counters, upgradesRejected: {...this.rejected}, ...this.admission.stats()}
  }

  private reject(socket: Duplex, status: number, message?: string, headers?: Record<string, string>): void {
    this.rejected[status] = (this.rejected[status] ?? 0) + 1
    rejectSocket(socket, status, message, headers)
  }

  /**
   * With mutual TLS, the refusal of a request whose connection presented no client certificate
   * or one the CA did not sign (counted, and logged at warn once per distinct reason in a row);
   * undefined when it is accepted or not demanded.
   */
  private clientCertRefusal(req: IncomingMessage): UpgradeRejection | undefined {
    if (!this.mutual) return undefined
    const socket = req.socket as TLSSocket
    if (socket.authorized) return undefined
    const presented = Object.keys(socket.getPeerCertificate() ?? {}).length > 0
    const reason = presented ? String(socket.authorizationError ?? 'UNKNOWN') : 'none'
    this.counters.clientCertRefused++
    const text = presented
      ? `TLS_FAILED: client certificate refused (${reason}): this node accepts only client certificates signed by its client CA`
      : 'TLS_FAILED: this node requires a client certificate signed by its client CA, and none was presented'
    const fields = {remote: socket.remoteAddress, path: requestPath(req), reason}
    if (text !== this.lastCertRefusal) this.logger.warn('refused a connection for its client certificate', fields)
    else this.logger.debug('refused a connection for its client certificate', fields)
    this.lastCertRefusal = text
    return {status: CLIENT_CERT_STATUS, message: text, headers: {[ERROR_CODE_HEADER]: 'TLS_FAILED', [CLIENT_CERT_HEADER]: reason}}
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', (error) => this.logger.debug('upgrade socket error', {error: errorText(error)}))
    if (this.closing !== undefined) return this.reject(socket, 503, 'shutting down')
    const certRefusal = this.clientCertRefusal(req)
    if (certRefusal !== undefined) return this.reject(socket, certRefusal.status, certRefusal.message, certRefusal.headers)
    const credential = this.credentialOf(req)
    if (credential === undefined) return this.reject(socket, 401, 'missing or wrong cluster secret', WWW_AUTHENTICATE)
    if (this.admission.authenticatedCount >= this.maxConnections) return this.reject(socket, 503, 'too many connections')
    this.admission.promote(socket)
    const path = requestPath(req)
    if (path === undefined) return this.reject(socket, 400, 'bad request target')
    const route = this.routes.get(path)
    if (route === undefined) return this.reject(socket, 404, `no route ${path}`)
    if (route.peersOnly && credential !== 'peer') return this.reject(socket, 403, `${path} needs the peer secret`)
    const refusal = this.verifyRoute(route, req)
    if (refusal !== undefined) return this.reject(socket, refusal.status, refusal.message, refusal.headers)
    route.wss.handleUpgrade(req, socket, head, (ws) => this.accept(route, path, ws, req))
  }

  private verifyRoute(route: Route, req: IncomingMessage): UpgradeRejection | undefined {
    if (route.verify === undefined) return undefined
    try {
      return route.verify(req)
    } catch (error) {
      this.counters.handlerErrors++
      this.logger.error('route verify threw', {error: errorText(error)})
      return {status: 500, message: 'internal error'}
    }
  }

  private accept(route: Route, path: string, ws: WebSocket, req: IncomingMessage): void {
    ws.on('error', (error) => this.logger.debug('websocket error', {path, error: errorText(error)}))
    if (this.closing !== undefined || this.routes.get(path) !== route) {
      ws.terminate()
      return
    }
    this.counters.upgradesAccepted++
    try {
      route.handler(ws, req)
    } catch (error) {
      this.counters.handlerErrors++
      this.logger.error('route handler threw', {path, error: errorText(error)})
      ws.close(1011, 'internal error')
    }
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    this.counters.httpRequests++
    const path = requestPath(req)
    const handler = this.httpHandler
    // A plain request's socket stays unauthenticated (its deadline still runs): one request per connection.
    res.shouldKeepAlive = false
    if (req.method !== 'GET' && req.method !== 'HEAD') return respond(res, 404)
    const certRefusal = this.clientCertRefusal(req)
    if (certRefusal !== undefined) return respond(res, certRefusal.status, certRefusal.headers)
    if (path === undefined) return respond(res, 400)
    if (!this.publicPaths.has(path) && !this.isAuthorized(req)) {
      this.counters.httpUnauthorized++
      return respond(res, 401, WWW_AUTHENTICATE)
    }
    if (handler === undefined) return respond(res, 404)
    this.runHttpHandler(handler, req, res)
  }

  private runHttpHandler(handler: HttpHandler, req: IncomingMessage, res: ServerResponse): void {
    const fail = (error: unknown): void => {
      this.counters.handlerErrors++
      this.logger.error('http handler failed', {path: requestPath(req), error: errorText(error)})
      if (res.headersSent) res.destroy()
      else respond(res, 500)
    }
    try {
      const result = handler(req, res)
      if (result instanceof Promise) result.catch(fail)
    } catch (error) {
      fail(error)
    }
  }

  /**
   * Stop listening, terminate every WebSocket and destroy every connection. Idempotent;
   * resolves when the listening socket is closed.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown()
    return this.closing
  }

  private async shutdown(): Promise<void> {
    this.admission.clear()
    for (const route of this.routes.values()) {
      for (const client of route.wss.clients) client.terminate()
      route.wss.close()
    }
    this.routes.clear()
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()))
    for (const socket of this.sockets) socket.destroy()
    this.server.closeAllConnections()
    await closed
  }
}

function respond(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  const body = `${STATUS_CODES[status] ?? 'Error'}\n`
  res.writeHead(status, {'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), ...headers})
  res.end(body)
}
