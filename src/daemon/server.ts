/**
 * The daemon's server: the node's one listening port (src/transport NodeServer), its routes
 * (`/raft` for peers, handed to the transport; `/client` and `/admin` for requests), GET
 * /health and /metrics, the event subscribers, and closing it all. Every request frame is
 * parsed, then handed to {@link Services.handle} (one table, one service per type) with a
 * callback that writes the answer to the socket; the server holds no request logic.
 */
import {isUtf8} from 'node:buffer'
import type {IncomingMessage, ServerResponse} from 'node:http'
import type {RawData, WebSocket} from 'ws'
import {NodeServer, checkClusterHeader, corkForRun, type PeerTransport, type ServerTlsOptions, type UpgradeRejection} from '../transport/index.js'
import {
  formatError, formatEvent, formatResponse, invalidUtf8Request, parseRequest, DEFAULT_PROTOCOL_LIMITS,
  type AdminEvent, type LeaderHint, type ParseRequestResult, type RequestOf, type RequestType, type ResultMap, type RouteName,
} from '../admin/protocol.js'
import {BINARY_FRAMES_HEADER, BINARY_FRAMES_VALUE, parseBinaryRequest} from '../admin/binary-put.js'
import type {ErrorCode} from '../common/errors.js'
import {mark, tracing} from '../trace/latency.js'
import {normalizeAddress, readTlsMaterial, type DaemonConfig} from './config.js'
import type {ServedAt, ServiceError, Services} from './services.js'
import type {WatchSink} from './watch-hub.js'
import type {Logger} from './logger.js'

/** The parse options of each route: one object each, so their limits are resolved once. */
const PARSE_OPTIONS: Readonly<Record<RouteName, {readonly route: RouteName}>> = {client: {route: 'client'}, admin: {route: 'admin'}}

/** The largest frame a request route accepts: the protocol's limit plus room for the envelope. */
const MAX_REQUEST_FRAME_BYTES = DEFAULT_PROTOCOL_LIMITS.maxFrameBytes + 1024

/** The listening side of one node. Create with {@link DaemonServer.listen}, then {@link serve}. */
export class DaemonServer implements ServedAt {
  private services: Services | null = null
  private readonly subscribers = new Set<WebSocket>()
  private closing = false
  /** The address peers and clients use (`--advertise`, else the bound address). */
  readonly address: string

  private constructor(private readonly http: NodeServer, config: DaemonConfig, private readonly logger: Logger, private readonly clusterId: string | null) {
    const scheme = config.tls ? 'wss' : 'ws'
    this.address = config.advertise ? normalizeAddress(config.advertise) : `${scheme}://${config.host}:${http.port}`
  }

  /**
   * Bind the port (TLS when configured) and hand `/raft` to `transport`. Requests are refused
   * until {@link serve}; /health and /metrics answer 503 until then. A client that names another
   * cluster than `clusterId` in its hello is refused (`CLUSTER_MISMATCH`); null: not checked.
   */
  static async listen(config: DaemonConfig, transport: PeerTransport, logger: Logger, clusterId: string | null = null): Promise<DaemonServer> {
    const tls: ServerTlsOptions | undefined = config.tls ? readTlsMaterial(config.tls) : undefined
    let server: DaemonServer | undefined
    const http = await NodeServer.listen({
      secret: config.secret,
      peerSecret: config.peerSecret,
      host: config.host,
      port: config.port,
      tls,
      httpHandler: (req, res) => server!.onHttp(req, res),
      publicHttpPaths: config.publicMetrics ? ['/health', '/metrics'] : ['/health'],
      logger,
    })
    transport.attach(http)
    if (tls?.clientCa !== undefined) logger.info('mutual TLS: every connection must present a client certificate signed by --tls-client-ca', {clientCa: config.tls!.clientCa})
    if (http.peerAuth === 'shared-secret') {
      logger.warn('no peer secret (--peer-secret-file): /raft accepts the client secret, so any client can speak as a peer', {peerAuth: 'shared-secret'})
    }
    server = new DaemonServer(http, config, logger, clusterId)
    return server
  }

  /** Open `/client` and `/admin`, answering through `services`. */
  serve(services: Services): void {
    this.services = services
    // The handler checks each frame's UTF-8 itself (onSocket) to answer INVALID_UTF8 rather than close.
    const options = {
      maxPayload: MAX_REQUEST_FRAME_BYTES, acceptInvalidUtf8: true, verify: (req: IncomingMessage) => this.verifyCluster(req),
      upgradeHeaders: {[BINARY_FRAMES_HEADER]: BINARY_FRAMES_VALUE},
    }
    this.http.route('/client', (ws) => this.onSocket(ws, 'client'), options)
    this.http.route('/admin', (ws) => this.onSocket(ws, 'admin'), options)
  }

  /** Refuse a client that expects another cluster (the CLI sends the manifest's cluster id). */
  private verifyCluster(req: IncomingMessage): UpgradeRejection | undefined {
    const mismatch = checkClusterHeader(req, this.clusterId ?? undefined)
    if (mismatch !== undefined) this.logger.warn('refused a client of another cluster', {code: 'CLUSTER_MISMATCH', clusterId: this.clusterId, clientClusterId: mismatch.theirs})
    return mismatch
  }

  /** The port actually bound. */
  get port(): number {
    return this.http.port
  }

  /** How /raft authenticates peers. */
  get peerAuth(): ServedAt['peerAuth'] {
    return this.http.peerAuth
  }

  /** True when some socket subscribed to events (sampling messages costs nothing otherwise). */
  get hasSubscribers(): boolean {
    return this.subscribers.size > 0
  }

  /** Send an event to every subscriber. */
  publish(e: AdminEvent): void {
    if (this.subscribers.size === 0) return
    const frame = formatEvent(e, Date.now())
    for (const ws of this.subscribers) send(ws, frame)
  }

  /** From now on, requests are answered SHUTTING_DOWN (the node is stopping). */
  stopAccepting(): void {
    this.closing = true
  }

  /** Close the subscribers' sockets and the port. */
  async close(): Promise<void> {
    this.closing = true
    for (const ws of this.subscribers) ws.close(1001, 'shutting down')
    await this.http.close()
  }

  // ------------------------------------------------------------------ sockets

  private onSocket(ws: WebSocket, route: RouteName): void {
    ws.on('error', (err) => this.logger.debug('client socket error', {error: err.message}))
    ws.on('close', () => this.subscribers.delete(ws))
    ws.on('message', (data, isBinary) => {
      const bytes = frameBytes(data)
      if (isBinary) return this.onParsed(ws, parseBinaryRequest(bytes, PARSE_OPTIONS[route]))
      if (!isUtf8(bytes)) {
        const refused = invalidUtf8Request(bytes.toString('utf8'))
        send(ws, formatError(refused.id ?? null, refused.error))
        return
      }
      this.onFrame(ws, route, bytes.toString('utf8'))
    })
  }

  private onFrame(ws: WebSocket, route: RouteName, text: string): void {
    if (tracing) mark('server.request')
    this.onParsed(ws, parseRequest(text, PARSE_OPTIONS[route]))
  }

  /** A parsed frame (text, or a binary put: src/admin/binary-put.ts): refused, or handed to the services. */
  private onParsed(ws: WebSocket, parsed: ParseRequestResult): void {
    if (!parsed.ok) {
      send(ws, formatError(parsed.id ?? null, parsed.error))
      return
    }
    const req = parsed.request
    if (this.closing || this.services === null) {
      send(ws, formatError(req.id, {code: 'SHUTTING_DOWN', message: 'the node is shutting down'}))
      return
    }
    this.services.handle(req, (err, result) => this.answer(ws, req, err, result), req.type === 'watch' ? watchSink(ws) : undefined)
  }

  /**
   * Write one answer to its socket. A write's answer runs inside the replica's apply: an error
   * here must not escape into it.
   */
  private answer<T extends RequestType>(ws: WebSocket, req: RequestOf<T>, err: ServiceError | null, result: ResultMap[T] | undefined): void {
    try {
      if (tracing) mark('server.answer')
      if (err !== null) return send(ws, formatError(req.id, toProtocolError(err)))
      if (req.type === 'subscribe') this.subscribers.add(ws)
      if (req.type === 'unsubscribe') this.subscribers.delete(ws)
      send(ws, formatResponse<T>(req.id, result!))
    } catch (failure) {
      this.logger.error('could not answer a request', {id: req.id, type: req.type, error: (failure as Error).message})
    }
  }

  // ------------------------------------------------------------------ HTTP

  private onHttp(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0]
    if (path !== '/health' && path !== '/metrics') {
      res.writeHead(404, {'content-type': 'text/plain'})
      res.end('not found\n')
      return
    }
    const services = this.services
    if (services === null) {
      res.writeHead(503, {'content-type': 'text/plain'})
      res.end('starting\n')
      return
    }
    if (path === '/health') {
      const health = services.health()
      res.writeHead(health.ok ? 200 : 503, {'content-type': 'application/json'})
      res.end(JSON.stringify(health))
      return
    }
    void services.metricsText().then((text) => {
      res.writeHead(200, {'content-type': services.parts.metrics.registry.contentType})
      res.end(text)
    })
  }
}

/** The bytes of a ws message (one Buffer with the default binaryType; fragments joined otherwise). */
function frameBytes(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)
}

/** Send a text frame if the socket is open; a turn's frames to one socket leave in one write. */
function send(ws: WebSocket, frame: string): void {
  if (ws.readyState !== ws.OPEN) return
  corkForRun(ws)
  ws.send(frame)
}

/** A watch's way to its client's socket (src/daemon/watch-hub.ts). */
function watchSink(ws: WebSocket): WatchSink {
  return {
    send: (frame, sent) => {
      if (ws.readyState !== ws.OPEN) return sent()
      ws.send(frame, () => sent())
    },
    get buffered() {
      return ws.bufferedAmount
    },
    onClose: (listener) => {
      if (ws.readyState === ws.CLOSED) listener()
      else ws.once('close', listener)
    },
  }
}

function toProtocolError(err: ServiceError): {code: ErrorCode; message: string; leader?: LeaderHint} {
  return err.leader ? {code: err.code, message: err.message, leader: err.leader} : {code: err.code, message: err.message}
}
