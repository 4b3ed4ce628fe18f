/**
 * NodeServer: the one listening port of a node. Plain HTTP or HTTPS (when `tls` is given),
 * default host 127.0.0.1, port 0 supported. It authenticates every WebSocket upgrade with the
 * cluster secret BEFORE the upgrade, routes upgrades by URL path to registered handlers
 * (`/raft` for peers; the daemon adds `/client`, `/admin`), and passes plain HTTP GETs to an
 * injectable handler (`/metrics`, `/health`).
 *
 * Order of checks for an upgrade: server closing → 503; secret missing or wrong → 401; path
 * not registered → 404; the route's own `verify` (e.g. the peer hello) → its status. Every
 * rejection is written as a raw HTTP response on the socket, which is then destroyed: no
 * handler ever sees an unauthenticated socket.
 */
import {createHash, timingSafeEqual} from 'node:crypto'
import {createServer as createHttpServer, STATUS_CODES} from 'node:http'
import type {IncomingMessage, Server as HttpServer, ServerResponse} from 'node:http'
import {createServer as createHttpsServer} from 'node:https'
import type {AddressInfo, Socket} from 'node:net'
import type {Duplex} from 'node:stream'
import {WebSocketServer} from 'ws'
import type {WebSocket} from 'ws'
import {
  DEFAULT_HEADERS_TIMEOUT_MS, DEFAULT_MAX_CONNECTIONS, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_ROUTE_MAX_PAYLOAD_BYTES,
  requirePositiveInteger,
} from './limits.js'
import {errorText, silentLogger} from './logger.js'
import type {TransportLogger} from './logger.js'

/** Header carrying the cluster secret (alternative to `Authorization: Bearer <secret>`). */
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
}

/** Handler of plain HTTP GET/HEAD requests. May be async; a throw or rejection answers 500. */
export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>

/** Receives an authenticated, upgraded WebSocket. The socket already has an `error` listener. */
export type UpgradeHandler = (socket: WebSocket, req: IncomingMessage) => void

/** Why a route refuses an upgrade (answered as an HTTP status before the upgrade). */
export interface UpgradeRejection {
  readonly status: number
  readonly message?: string
}

/** Options of one route. */
export interface RouteOptions {
  /** Largest WebSocket message accepted on this route (bytes). Default: the server's `maxPayload`. */
  readonly maxPayload?: number
  /** Extra pre-upgrade check after authentication; return a rejection to refuse. */
  readonly verify?: (req: IncomingMessage) => UpgradeRejection | undefined
  /**
   * Hand text messages whose bytes are not valid UTF-8 to the handler (which must check them)
   * instead of closing the connection with code 1007, so it can answer with an error. Default false.
   */
  readonly acceptInvalidUtf8?: boolean
}

/** Options of {@link NodeServer.listen}. */
export interface NodeServerOptions {
  /** The cluster secret every upgrade (and every non-public HTTP path) must present. Non-empty. */
  readonly secret: string
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
  /** Most simultaneous TCP connections. Default 1024. */
  readonly maxConnections?: number
  /** Time to receive complete request headers, ms. Default 10 s. */
  readonly headersTimeoutMs?: number
  /** Time to receive a whole plain HTTP request, ms. Default 30 s. */
  readonly requestTimeoutMs?: number
  readonly logger?: TransportLogger
}

/** Counters of a NodeServer. */
export interface ServerStats {
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
}

interface Route {
  readonly handler: UpgradeHandler
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

/**
 * One node's listening port: authenticated WebSocket routes plus a plain HTTP handler.
 * Create with {@link NodeServer.listen}; always {@link NodeServer.close} it.
 */
export class NodeServer {
  private readonly server: HttpServer
  private readonly secretDigest: Buffer
  private readonly routes = new Map<string, Route>()
  private readonly sockets = new Set<Duplex>()
  private readonly publicPaths: ReadonlySet<string>
  private readonly defaultMaxPayload: number
  private readonly logger: TransportLogger
  private readonly secure: boolean
  private httpHandler: HttpHandler | undefined
  private closing: Promise<void> | undefined
  private counters = {upgradesAccepted: 0, httpRequests: 0, httpUnauthorized: 0, handlerErrors: 0}
  private readonly rejected: Record<number, number> = {}

  private constructor(options: NodeServerOptions) {
    if (typeof options.secret !== 'string' || options.secret.length === 0) throw new TypeError('NodeServer needs a non-empty secret')
    this.secretDigest = digest(options.secret)
    this.logger = options.logger ?? silentLogger
    this.defaultMaxPayload = options.maxPayload ?? DEFAULT_ROUTE_MAX_PAYLOAD_BYTES
    requirePositiveInteger('maxPayload', this.defaultMaxPayload)
    this.publicPaths = new Set(options.publicHttpPaths ?? DEFAULT_PUBLIC_HTTP_PATHS)
    this.httpHandler = options.httpHandler
    this.secure = options.tls !== undefined
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
    const server: HttpServer = tls === undefined
      ? createHttpServer()
      : createHttpsServer({
        cert: tls.cert, key: tls.key, ca: tls.ca,
        requestCert: tls.requireClientCert === true, rejectUnauthorized: tls.requireClientCert === true,
      })
    server.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS
    server.headersTimeout = options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS
    server.requestTimeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
    server.on('connection', (socket: Socket) => this.track(socket))
    server.on('secureConnection', (socket: Socket) => this.track(socket))
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
    this.routes.set(path, {handler, verify: options.verify, wss})
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

  /** True when the request carries the cluster secret (constant-time comparison of SHA-256 digests). */
  isAuthorized(req: IncomingMessage): boolean {
    let ok = false
    for (const candidate of presentedSecrets(req)) {
      ok = timingSafeEqual(digest(candidate), this.secretDigest) || ok
    }
    return ok
  }

  /** Counters since start. */
  stats(): ServerStats {
    return {...this.counters, upgradesRejected: {...this.rejected}}
  }

  private reject(socket: Duplex, status: number, message?: string, headers?: Record<string, string>): void {
    this.rejected[status] = (this.rejected[status] ?? 0) + 1
    rejectSocket(socket, status, message, headers)
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', (error) => this.logger.debug('upgrade socket error', {error: errorText(error)}))
    if (this.closing !== undefined) return this.reject(socket, 503, 'shutting down')
    if (!this.isAuthorized(req)) return this.reject(socket, 401, 'missing or wrong cluster secret', WWW_AUTHENTICATE)
    const path = requestPath(req)
    if (path === undefined) return this.reject(socket, 400, 'bad request target')
    const route = this.routes.get(path)
    if (route === undefined) return this.reject(socket, 404, `no route ${path}`)
    const refusal = this.verifyRoute(route, req)
    if (refusal !== undefined) return this.reject(socket, refusal.status, refusal.message)
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
    if (req.method !== 'GET' && req.method !== 'HEAD') return respond(res, 404)
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
