/**
 * The dashboard's HTTP server, on 127.0.0.1 only: it serves the page (src/dashboard/static,
 * shipped as dist/dashboard/static) and one WebSocket per open page, through which the
 * {@link ClusterBridge} pushes status and events and the page sends controls.
 *
 * Every request — the page, its assets, the WebSocket upgrade — must carry this run's random
 * token as `?token=…`, or it gets 401. The page's own URLs carry it (the server writes it into
 * the HTML). The WebSocket also refuses a foreign `Origin` (403).
 */
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import {randomBytes, timingSafeEqual} from 'node:crypto'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {extname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import type {Duplex} from 'node:stream'
import {WebSocketServer, type WebSocket} from 'ws'
import type {ClusterHandle} from '../cluster/index.js'
import {ClusterBridge, type BridgeOptions} from './bridge.js'
import {ControlError, MAX_CONTROL_FRAME_BYTES, parseControl, type Control, type ServerFrame} from './protocol.js'

/** Options of {@link DashboardServer.start}. */
export interface DashboardOptions extends BridgeOptions {
  /** TCP port on 127.0.0.1; 0 (default) picks a free one. */
  readonly port?: number
  /** The access token (default: 32 random bytes, base64url). Tests may fix it. */
  readonly token?: string
  /** Folder of the page's files. Default: `static/` beside this module (src/ or dist/). */
  readonly staticDir?: string
  /** Told about every control the page asks for and its outcome (for the terminal). */
  readonly log?: (line: string) => void
}

/** Limits of the page connections. */
export const DASHBOARD_LIMITS = {
  /** A page whose unsent frames exceed this gets no more message events until it catches up. */
  slowPageBytes: 1024 * 1024,
  /** A page whose unsent frames exceed this is disconnected (close code 1013). */
  maxPageBufferBytes: 16 * 1024 * 1024,
  /** Most pages connected at once. */
  maxPages: 16,
} as const

/** Content types of the files the dashboard and the playground serve, by extension. */
export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
}

/** Content-Security-Policy of the page: nothing from outside, no inline script. */
export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

const TOKEN_PLACEHOLDER = '{{TOKEN}}'
const CLUSTER_PLACEHOLDER = '{{CLUSTER}}'

/** The default folder of the page's files: `static/` next to this module. */
export function defaultStaticDir(): string {
  return fileURLToPath(new URL('./static/', import.meta.url))
}

interface Asset {
  readonly body: Buffer
  readonly type: string
}

/** A running dashboard. Create with {@link DashboardServer.start}; {@link close} it at the end. */
export class DashboardServer {
  /** `http://127.0.0.1:PORT/?token=…`: the page, with this run's token. */
  readonly url: string
  readonly port: number
  private readonly pages = new Set<WebSocket>()
  private closing: Promise<void> | null = null

  private constructor(
    readonly bridge: ClusterBridge,
    private readonly http: Server,
    private readonly wss: WebSocketServer,
    readonly token: string,
    private readonly log: (line: string) => void,
  ) {
    const address = http.address()
    this.port = typeof address === 'object' && address !== null ? address.port : 0
    this.url = `http://127.0.0.1:${this.port}/?token=${encodeURIComponent(token)}`
  }

  /** Load the page's files, listen on 127.0.0.1, start the bridge. Rejects when the port is taken or the files are missing. */
  static async start(cluster: ClusterHandle, options: DashboardOptions = {}): Promise<DashboardServer> {
    const token = options.token ?? randomBytes(32).toString('base64url')
    const assets = loadAssets(options.staticDir ?? defaultStaticDir(), token, cluster.name)
    const bridge = new ClusterBridge(cluster, options)
    const wss = new WebSocketServer({noServer: true, maxPayload: MAX_CONTROL_FRAME_BYTES, perMessageDeflate: false})
    let server: DashboardServer | undefined
    const http = createServer((req, res) => serveHttp(req, res, token, assets))
    http.on('upgrade', (req, socket, head) => {
      socket.on('error', () => undefined)
      if (server) server.upgrade(req, socket, head)
      else socket.destroy()
    })
    http.on('clientError', (_error, socket) => socket.destroy())
    await listenLocal(http, options.port ?? 0)
    server = new DashboardServer(bridge, http, wss, token, options.log ?? (() => undefined))
    bridge.start()
    return server
  }

  /** Close every page, stop the bridge and the HTTP server. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const page of this.pages) page.close(1001, 'dashboard stopped')
      await new Promise<void>((resolve) => this.wss.close(() => resolve()))
      for (const page of this.pages) page.terminate()
      await this.bridge.stop()
      await new Promise<void>((resolve) => {
        this.http.close(() => resolve())
        this.http.closeAllConnections()
      })
    })()
    return this.closing
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = requestUrl(req)
    if (url === null || !tokenMatches(url.searchParams.get('token'), this.token)) return refuse(socket, 401, 'Unauthorized')
    if (url.pathname !== '/ws') return refuse(socket, 404, 'Not Found')
    const origin = req.headers.origin
    if (origin !== undefined && origin !== `http://${req.headers.host ?? ''}`) return refuse(socket, 403, 'Forbidden')
    if (this.closing !== null || this.pages.size >= DASHBOARD_LIMITS.maxPages) return refuse(socket, 503, 'Service Unavailable')
    this.wss.handleUpgrade(req, socket, head, (ws) => this.page(ws))
  }

  private page(ws: WebSocket): void {
    this.pages.add(ws)
    const send = (frame: ServerFrame): void => {
      if (ws.readyState !== ws.OPEN) return
      if (ws.bufferedAmount > DASHBOARD_LIMITS.maxPageBufferBytes) {
        ws.close(1013, 'the page is too slow')
        return
      }
      if (ws.bufferedAmount > DASHBOARD_LIMITS.slowPageBytes && frame.type === 'event' && frame.event.type === 'message') return
      ws.send(JSON.stringify(frame))
    }
    for (const frame of this.bridge.greeting()) send(frame)
    const stop = this.bridge.onFrame(send)
    ws.on('error', () => undefined)
    ws.on('close', () => {
      stop()
      this.pages.delete(ws)
    })
    ws.on('message', (data, isBinary) => {
      let control: Control
      try {
        if (isBinary) throw new ControlError(null, 'frames must be text')
        control = parseControl(data.toString())
      } catch (error) {
        const e = error as ControlError
        send({type: 'reply', id: e.id ?? -1, ok: false, code: 'BAD_REQUEST', message: e.message})
        return
      }
      void this.run(control, send)
    })
  }

  private async run(control: Control, send: (frame: ServerFrame) => void): Promise<void> {
    const what = describeControl(control)
    try {
      const message = await this.bridge.control(control)
      if (control.op !== 'put') this.log(`${what}: ${message}`)
      send({type: 'reply', id: control.id, ok: true, message})
    } catch (error) {
      const e = error as Error & {code?: string}
      const code = typeof e.code === 'string' ? e.code : 'FAILED'
      this.log(`${what}: failed [${code}] ${e.message}`)
      send({type: 'reply', id: control.id, ok: false, code, message: e.message})
    }
  }
}

/** One line about a control, for the terminal. */
function describeControl(c: Control): string {
  switch (c.op) {
    case 'transfer':
      return `transfer to ${c.to ?? 'the most caught-up follower'}`
    case 'partition':
      return `partition ${c.groups.map((g) => g.join(' ')).join(c.oneWay ? ' → ' : ' | ')}`
    case 'heal':
      return `heal ${c.fault ?? 'everything'}`
    case 'put':
      return `put ${JSON.stringify(c.key.slice(0, 40))}`
    default:
      return `${c.op} ${c.node}`
  }
}

/** Listen on 127.0.0.1:`port` (0: a free port); rejects when the port is taken (EADDRINUSE). */
export function listenLocal(http: Server, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(port, '127.0.0.1', () => {
      http.off('error', reject)
      resolve()
    })
  })
}

/** Headers of every answer: no caching, no sniffing, no referrer, no framing. */
export function securityHeaders(res: ServerResponse): void {
  res.setHeader('Cache-Control', 'no-store')
  res.setHeader('X-Content-Type-Options', 'nosniff')
  res.setHeader('Referrer-Policy', 'no-referrer')
  res.setHeader('X-Frame-Options', 'DENY')
}

function serveHttp(req: IncomingMessage, res: ServerResponse, token: string, assets: ReadonlyMap<string, Asset>): void {
  securityHeaders(res)
  const url = requestUrl(req)
  if (url === null || !tokenMatches(url.searchParams.get('token'), token)) {
    return plain(res, 401, 'Unauthorized: open the URL that "raftctl dashboard" printed (it carries this run\'s token).\n')
  }
  const name = url.pathname === '/' ? 'index.html' : url.pathname.slice(1)
  sendAsset(req, res, assets.get(name))
}

/** Answer a GET or HEAD with `asset` (404 when undefined; the HTML with the CSP); other methods get 405. */
export function sendAsset(req: IncomingMessage, res: ServerResponse, asset: {readonly body: Buffer; readonly type: string} | undefined): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD')
    return plain(res, 405, 'Method Not Allowed\n')
  }
  if (!asset) return plain(res, 404, 'Not Found\n')
  res.statusCode = 200
  res.setHeader('Content-Type', asset.type)
  res.setHeader('Content-Length', asset.body.length)
  if (asset.type.startsWith('text/html')) res.setHeader('Content-Security-Policy', CSP)
  res.end(req.method === 'HEAD' ? undefined : asset.body)
}

/** A plain-text answer. */
export function plain(res: ServerResponse, status: number, text: string): void {
  res.statusCode = status
  res.setHeader('Content-Type', 'text/plain; charset=utf-8')
  res.end(text)
}

function refuse(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${reason.length + 1}\r\n\r\n${reason}\n`)
  socket.destroy()
}

/** The request's URL, or null when it does not parse. */
export function requestUrl(req: IncomingMessage): URL | null {
  try {
    return new URL(req.url ?? '/', 'http://127.0.0.1')
  } catch {
    return null
  }
}

/** Constant-time comparison of the token a request carries with this run's. */
export function tokenMatches(given: string | null, token: string): boolean {
  if (given === null) return false
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** Every file of the static folder, the HTML with the token and the cluster name written in. */
function loadAssets(dir: string, token: string, cluster: string): Map<string, Asset> {
  if (!existsSync(join(dir, 'index.html'))) throw new Error(`the dashboard page is missing: no index.html in ${dir} (run "npm run build")`)
  const assets = new Map<string, Asset>()
  for (const name of readdirSync(dir)) {
    const type = CONTENT_TYPES[extname(name)]
    if (type === undefined) continue
    let body = readFileSync(join(dir, name))
    if (extname(name) === '.html') {
      body = Buffer.from(body.toString('utf8')
        .replaceAll(TOKEN_PLACEHOLDER, escapeHtml(encodeURIComponent(token)))
        .replaceAll(CLUSTER_PLACEHOLDER, escapeHtml(cluster)))
    }
    assets.set(name, {body, type})
  }
  return assets
}

/** `s` safe inside HTML text and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}
