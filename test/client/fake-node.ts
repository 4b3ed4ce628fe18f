/**
 * A FAKE raftctl daemon for the client tests: a plain ws server on 127.0.0.1, port 0, serving
 * a small subset of the protocol on `/client` and `/admin`. It checks the bearer secret before
 * the upgrade (401), validates frames with the real `parseRequest`, keeps a key-value map with
 * exactly-once sessions (same rules as src/kv), answers `NOT_LEADER` with a hint when it is a
 * follower, and lets a test script misbehaviour per request (no answer, close the socket, a
 * chosen error). Every request it parses is recorded.
 */
import {createServer, type IncomingMessage, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import type {Duplex} from 'node:stream'
import {WebSocketServer, type WebSocket} from 'ws'
import {
  formatError, formatEvent, formatResponse, parseRequest,
  type AdminEvent, type LeaderHint, type Members, type NodeStatus, type ProtocolError, type Request, type RouteName,
} from '../../src/admin/protocol.js'

export const SECRET = 'fake-secret-0123456789'

/** What the fake does with one request instead of answering normally. */
export type Misbehaviour =
  /** Apply the request (writes) but send no answer. */
  | 'apply-silently'
  /** Do not apply, do not answer. */
  | 'ignore'
  /** Apply, then drop the connection without answering. */
  | 'apply-and-close'
  /** Drop the connection without applying or answering. */
  | 'close'
  /** Answer with this error, applying nothing. */
  | {readonly error: ProtocolError}
  /** Send this raw frame instead of an answer (text, or bytes for a binary frame). */
  | {readonly raw: string | Buffer}

/** A request as the fake saw it, with the route it came on. */
export interface Seen {
  readonly route: RouteName
  readonly request: Request
}

interface SessionRecord {
  readonly seq: number
  readonly result: string
}

/** A fake node. Start with {@link FakeNode.start}; always {@link FakeNode.stop} it. */
export class FakeNode {
  /** Requests received, in order. */
  readonly seen: Seen[] = []
  /** The key-value state. */
  readonly store = new Map<string, string>()
  /** Applied writes, in order (`type key`), to check exactly-once. */
  readonly applied: string[] = []
  /** True: serve writes and linearizable reads; false: answer NOT_LEADER with {@link hint}. */
  leader = true
  /** The leader hint given when not the leader. */
  hint: LeaderHint | undefined
  /** The configuration `status` reports (default: this node alone). */
  members: Members | undefined
  /** The cluster id `status` reports (default: none). */
  clusterId: string | undefined
  /** Decide, per request, whether to misbehave (undefined: answer normally). */
  misbehave: (request: Request, route: RouteName) => Misbehaviour | undefined = () => undefined
  private readonly sessions = new Map<string, SessionRecord>()
  private readonly subscribers = new Set<WebSocket>()
  private readonly sockets = new Set<WebSocket>()
  private index = 0

  private constructor(readonly id: string, private readonly http: Server, private readonly wss: WebSocketServer) {}

  /** Listen on 127.0.0.1, port 0. */
  static async start(id: string): Promise<FakeNode> {
    const http = createServer((_req, res) => res.writeHead(404).end())
    const wss = new WebSocketServer({noServer: true, perMessageDeflate: false})
    const node = new FakeNode(id, http, wss)
    http.on('upgrade', (req, socket, head) => node.upgrade(req, socket, head))
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
    return node
  }

  /** `ws://127.0.0.1:<port>`: the node's address (clients add the route). */
  get address(): string {
    return `ws://127.0.0.1:${(this.http.address() as AddressInfo).port}`
  }

  /** Requests of one type seen so far. */
  requests(type: string): Request[] {
    return this.seen.filter((s) => s.request.type === type).map((s) => s.request)
  }

  /** Push an event to every subscriber. */
  emit(event: AdminEvent, time = Date.now()): void {
    for (const socket of this.subscribers) socket.send(formatEvent(event, time))
  }

  /** Number of live subscribers. */
  get subscriberCount(): number {
    return this.subscribers.size
  }

  /** Number of open connections. */
  get openSockets(): number {
    return this.sockets.size
  }

  /** Drop every open connection (as a crash would). */
  dropConnections(): void {
    for (const socket of this.sockets) socket.terminate()
  }

  /** Close every connection and stop listening. */
  async stop(): Promise<void> {
    this.dropConnections()
    this.wss.close()
    this.http.closeAllConnections()
    await new Promise<void>((resolve) => this.http.close(() => resolve()))
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined)
    if (req.headers.authorization !== `Bearer ${SECRET}`) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
      return
    }
    const route: RouteName | undefined = req.url === '/client' ? 'client' : req.url === '/admin' ? 'admin' : undefined
    if (route === undefined) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
      return
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, route))
  }

  private accept(ws: WebSocket, route: RouteName): void {
    ws.on('error', () => undefined)
    this.sockets.add(ws)
    ws.on('close', () => {
      this.sockets.delete(ws)
      this.subscribers.delete(ws)
    })
    ws.on('message', (data, isBinary) => {
      if (isBinary) return ws.send(formatError(null, {code: 'BAD_REQUEST', message: 'frames must be text'}))
      this.onFrame(ws, route, data.toString())
    })
  }

  private onFrame(ws: WebSocket, route: RouteName, text: string): void {
    const parsed = parseRequest(text, {route})
    if (!parsed.ok) return ws.send(formatError(parsed.id, parsed.error))
    const request = parsed.request
    this.seen.push({route, request})
    const action = this.misbehave(request, route)
    if (action === undefined) return ws.send(this.answer(ws, request))
    if (typeof action === 'object') return ws.send('raw' in action ? action.raw : formatError(request.id, action.error))
    if (action === 'apply-silently' || action === 'apply-and-close') this.answer(ws, request)
    if (action === 'apply-and-close' || action === 'close') ws.terminate()
  }

  /** Serve one request; returns the response frame. */
  private answer(ws: WebSocket, request: Request): string {
    const needsLeader = request.type !== 'ping' && request.type !== 'status' && request.type !== 'subscribe' && request.type !== 'unsubscribe'
      && !((request.type === 'get' || request.type === 'range') && request.serializable === true)
    if (needsLeader && !this.leader) {
      const error: ProtocolError = {code: 'NOT_LEADER', message: `${this.id} is not the leader`, ...(this.hint ? {leader: this.hint} : {})}
      return formatError(request.id, error)
    }
    switch (request.type) {
      case 'get': return formatResponse<'get'>(request.id, {value: this.store.get(request.key) ?? null, index: this.index})
      case 'put': case 'delete': case 'cas': case 'append': case 'deletePrefix': return this.applyWrite(request)
      case 'range': return this.range(request)
      case 'ping': return formatResponse<'ping'>(request.id, {node: this.id, time: Date.now()})
      case 'status': return formatResponse<'status'>(request.id, {status: this.status()})
      case 'subscribe': this.subscribers.add(ws); return formatResponse<'subscribe'>(request.id, {})
      case 'unsubscribe': this.subscribers.delete(ws); return formatResponse<'unsubscribe'>(request.id, {})
      case 'transfer': return formatResponse<'transfer'>(request.id, {leader: request.to ?? 'n2', term: 7})
      case 'campaign': return formatResponse<'campaign'>(request.id, {term: 8})
      default: return formatError(request.id, {code: 'FAILED', message: `the fake does not serve ${request.type}`})
    }
  }

  /** Apply a write with the session rules of src/kv (dedup same seq, stale, expired). */
  /** A range over the map (JavaScript string order: the real order is tested in test/kv). */
  private range(request: Extract<Request, {type: 'range'}>): string {
    const inRange = (k: string): boolean => request.prefix !== undefined
      ? k.startsWith(request.prefix)
      : k >= request.from! && (request.to === undefined || k < request.to)
    const keys = [...this.store.keys()].filter(inRange).sort()
    const listed = request.countOnly === true ? [] : keys.slice(0, request.limit ?? keys.length)
    const kvs = listed.map((key) => (request.keysOnly === true ? {key, modIndex: 1} : {key, value: this.store.get(key)!, modIndex: 1}))
    return formatResponse<'range'>(request.id, {kvs, count: keys.length, more: request.countOnly !== true && listed.length < keys.length, index: this.index})
  }

  private applyWrite(request: Extract<Request, {type: 'put' | 'delete' | 'cas' | 'append' | 'deletePrefix'}>): string {
    const session = request.session
    if (session !== undefined) {
      const record = this.sessions.get(session.clientId)
      if (record === undefined && session.seq > 1) return formatError(request.id, {code: 'SESSION_EXPIRED', message: 'unknown session'})
      if (record !== undefined && session.seq === record.seq) return record.result.replace(/"id":\d+/, `"id":${request.id}`)
      if (record !== undefined && session.seq < record.seq) return formatError(request.id, {code: 'STALE_SEQUENCE', message: 'stale'})
    }
    const result = this.apply(request)
    if (session !== undefined) this.sessions.set(session.clientId, {seq: session.seq, result})
    return result
  }

  private apply(request: Extract<Request, {type: 'put' | 'delete' | 'cas' | 'append' | 'deletePrefix'}>): string {
    this.index++
    if (request.type === 'deletePrefix') {
      this.applied.push(`deletePrefix ${request.prefix}`)
      const keys = [...this.store.keys()].filter((k) => k.startsWith(request.prefix))
      for (const k of keys) this.store.delete(k)
      return formatResponse<'deletePrefix'>(request.id, {deleted: keys.length})
    }
    this.applied.push(`${request.type} ${request.key}`)
    const current = this.store.get(request.key)
    switch (request.type) {
      case 'put':
        this.store.set(request.key, request.value)
        return formatResponse<'put'>(request.id, request.echo === false ? {} : {value: request.value})
      case 'delete':
        this.store.delete(request.key)
        return formatResponse<'delete'>(request.id, {deleted: current !== undefined})
      case 'append': {
        const value = (current ?? '') + request.value
        this.store.set(request.key, value)
        return formatResponse<'append'>(request.id, {value})
      }
      case 'cas': {
        if ((current ?? null) !== request.expected) return formatResponse<'cas'>(request.id, {swapped: false, value: current ?? null})
        this.store.set(request.key, request.value)
        return formatResponse<'cas'>(request.id, {swapped: true, value: request.value})
      }
    }
  }

  private status(): NodeStatus {
    return {
      id: this.id, role: this.leader ? 'leader' : 'follower', term: 7, vote: null, leader: this.leader ? this.id : this.hint?.id ?? null,
      commitIndex: this.index, appliedIndex: this.index, lastIndex: this.index, lastTerm: 7, firstIndex: 1, snapshotIndex: 0,
      voter: true, members: this.members ?? {voters: [{id: this.id, address: this.address}], learners: []}, progress: [], transferee: null, electionElapsedMs: 0, electionTimeoutMs: 150,
      uptimeMs: 1, pid: process.pid, address: this.address, version: 'fake', faults: [], ...(this.clusterId === undefined ? {} : {clusterId: this.clusterId}),
    }
  }
}
