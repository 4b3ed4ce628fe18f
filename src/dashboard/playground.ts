/**
 * The playground's HTTP server, on 127.0.0.1 only: the page (src/playground/static, shipped as
 * dist/playground/static), the dashboard's style sheet, and the ES modules the page runs — the
 * real core as tsc built it (dist/raft/*.js) and the browser-side simulation
 * (dist/playground/*.js), served as they are, with no bundler and no copy. Optionally one
 * simulator trace (`raftctl sim run --seed N --open`).
 *
 * Like the dashboard, every request carries this run's random token: the page as `?token=…`,
 * everything it loads under `/t/<token>/…` (a path, so the modules' relative imports carry it
 * too). Anything else gets 401. The page needs nothing from elsewhere and works offline.
 */
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import {randomBytes} from 'node:crypto'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {extname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {CONTENT_TYPES, escapeHtml, listenLocal, plain, requestUrl, securityHeaders, sendAsset, tokenMatches} from './server.js'

/** What the page starts with (all optional: the page has its own defaults). */
export interface PlaygroundPageOptions {
  /** Cluster size of a fresh run. */
  readonly nodes?: number
  /** Seed of a fresh run. */
  readonly seed?: number
  /** A simulator trace (JSON text) to show instead of a playground run. */
  readonly trace?: string
}

/** Options of {@link PlaygroundServer.start}. */
export interface PlaygroundServerOptions extends PlaygroundPageOptions {
  /** TCP port on 127.0.0.1; 0 (default) picks a free one. */
  readonly port?: number
  /** The access token (default: 32 random bytes, base64url). Tests may fix it. */
  readonly token?: string
  /** The build output folder holding raft/, playground/ and dashboard/static/. Default: dist/ (beside this module's folder). */
  readonly distDir?: string
}

/** The module folders of dist/ the page may load: the core and the browser-side simulation. */
export const PLAYGROUND_MODULE_DIRS = ['raft', 'playground'] as const

interface Asset {
  readonly body: Buffer
  readonly type: string
}

/** A running playground server. {@link close} it at the end. */
export class PlaygroundServer {
  /** `http://127.0.0.1:PORT/?token=…`: the page. */
  readonly url: string
  readonly port: number
  private closing: Promise<void> | null = null

  private constructor(private readonly http: Server, readonly token: string) {
    const address = http.address()
    this.port = typeof address === 'object' && address !== null ? address.port : 0
    this.url = `http://127.0.0.1:${this.port}/?token=${encodeURIComponent(token)}`
  }

  /** Load the files, listen on 127.0.0.1. Rejects when the port is taken or dist/ is not built. */
  static async start(options: PlaygroundServerOptions = {}): Promise<PlaygroundServer> {
    const token = options.token ?? randomBytes(32).toString('base64url')
    const dist = options.distDir ?? fileURLToPath(new URL('../', import.meta.url))
    const assets = loadAssets(dist, options)
    const page = renderPage(dist, token, options)
    const http = createServer((req, res) => serve(req, res, token, page, assets))
    http.on('clientError', (_error, socket) => socket.destroy())
    await listenLocal(http, options.port ?? 0)
    return new PlaygroundServer(http, token)
  }

  /** Stop listening and close every connection. Idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.http.close(() => resolve())
      this.http.closeAllConnections()
    })
    return this.closing
  }
}

function serve(req: IncomingMessage, res: ServerResponse, token: string, page: Buffer, assets: ReadonlyMap<string, Asset>): void {
  securityHeaders(res)
  const url = requestUrl(req)
  const prefix = /^\/t\/([^/]+)\/(.+)$/.exec(url?.pathname ?? '')
  const given = url === null ? null : prefix ? decodeURIComponent(prefix[1]!) : url.pathname === '/' ? url.searchParams.get('token') : null
  if (!tokenMatches(given, token)) {
    return plain(res, 401, 'Unauthorized: open the URL that "raftctl playground" printed (it carries this run\'s token).\n')
  }
  sendAsset(req, res, prefix ? assets.get(prefix[2]!) : {body: page, type: CONTENT_TYPES['.html']!})
}

/** The page's static files, the dashboard's style sheet, the modules of dist/raft and dist/playground, and the trace. */
function loadAssets(dist: string, options: PlaygroundPageOptions): Map<string, Asset> {
  const assets = new Map<string, Asset>()
  const add = (name: string, file: string): void => {
    const type = CONTENT_TYPES[extname(file)]
    if (type !== undefined) assets.set(name, {body: readFileSync(file), type})
  }
  // Every file is served at its path under dist/, so the page's relative imports resolve as on disk.
  const staticDir = join(dist, 'playground', 'static')
  for (const name of readdirSync(staticDir)) if (name !== 'index.html') add(`playground/static/${name}`, join(staticDir, name))
  add('dashboard/static/style.css', join(dist, 'dashboard', 'static', 'style.css'))
  for (const dir of PLAYGROUND_MODULE_DIRS) {
    for (const name of readdirSync(join(dist, dir))) if (name.endsWith('.js')) add(`${dir}/${name}`, join(dist, dir, name))
  }
  if (options.trace !== undefined) assets.set('trace.json', {body: Buffer.from(options.trace), type: 'application/json'})
  return assets
}

/** index.html with the token and the start options written in (as data attributes the page reads). */
function renderPage(dist: string, token: string, options: PlaygroundPageOptions): Buffer {
  const file = join(dist, 'playground', 'static', 'index.html')
  if (!existsSync(file)) throw new Error(`the playground page is missing: no ${file} (run "npm run build")`)
  const data = {
    TOKEN: encodeURIComponent(token),
    NODES: options.nodes === undefined ? '' : String(options.nodes),
    SEED: options.seed === undefined ? '' : String(options.seed),
    TRACE: options.trace === undefined ? '' : 'trace.json',
  }
  let html = readFileSync(file, 'utf8')
  for (const [key, value] of Object.entries(data)) html = html.replaceAll(`{{${key}}}`, escapeHtml(value))
  return Buffer.from(html)
}
