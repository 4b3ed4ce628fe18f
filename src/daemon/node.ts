/**
 * The composition root of one Raft node process: replica (core + driver) over file storage,
 * the WebSocket transport, the KV state machine, the client and admin routes, /health and
 * /metrics, the tick timer, the address book, and graceful shutdown.
 */
import {isUtf8} from 'node:buffer'
import {randomInt} from 'node:crypto'
import {readFileSync, writeFileSync, renameSync, mkdirSync, existsSync} from 'node:fs'
import {join} from 'node:path'
import type {IncomingMessage, ServerResponse} from 'node:http'
import type {RawData, WebSocket} from 'ws'
import {Replica} from '../replica/replica.js'
import {SeededRng, type RaftEvent, type RaftStatus} from '../raft/index.js'
import type {NodeId} from '../raft/types.js'
import {withSaveAsync, type Network, type Storage} from '../replica/ports.js'
import {MessageSampler} from './message-sampler.js'
import {ChaosNetwork, FaultRegistry, SlowStorage, blockingSleep} from '../chaos/index.js'
import {FileStorage, StorageError} from '../storage/index.js'
import {NodeServer, PeerTransport, corkForRun} from '../transport/index.js'
import {KvStateMachine} from '../kv/index.js'
import {
  formatError, formatEvent, formatResponse, invalidUtf8Request, parseRequest, DEFAULT_PROTOCOL_LIMITS,
  type AdminEvent, type LeaderHint, type Members, type NodeStatus, type Request, type RequestOf, type RouteName,
} from '../admin/protocol.js'
import {RaftctlError} from '../common/errors.js'
import {normalizeAddress, type DaemonConfig} from './config.js'
import {DaemonMetrics} from './metrics.js'
import {HANDLERS, ServiceError, WRITE_HANDLERS, isWriteType, type Node as ServiceHost, type WriteType} from './services.js'
import type {Logger} from './logger.js'
import {mark, tracing} from '../trace/latency.js'

/** raftctl version reported by status. */
export const VERSION = '0.1.0'

const PEERS_FILE = 'peers.json'

/**
 * The daemon's leaders send no commit-only appends (the core's `commitNotices` off): the
 * commit index rides on the next append or heartbeat, as ZooKeeper's followers are not asked
 * to answer its COMMIT. At one client this takes a commit-only append and its answer per
 * follower off every write: 10% less daemon CPU per write and a 3.6% lower p50, alternated in 12
 * rounds (docs/performance.md). When no write follows, followers then apply at the next
 * heartbeat (every 30 ms by default), later than before by up to two heartbeat intervals.
 */
const DAEMON_COMMIT_NOTICES = false

/** One running node. Create with {@link Node.start}; stop with {@link Node.stop}. */
export class Node implements ServiceHost {
  readonly id: NodeId
  readonly metrics = new DaemonMetrics()
  readonly kv: KvStateMachine
  readonly replica: Replica
  private readonly storage: FileStorage
  private readonly transport: PeerTransport
  /** Live chaos: the faults this node applies to what it sends (see outbound()) and to its disk. */
  readonly chaos: FaultRegistry
  private chaosNetwork!: ChaosNetwork
  private server!: NodeServer
  private readonly startedAt = Date.now()
  private readonly addresses = new Map<NodeId, string>()
  private readonly subscribers = new Set<WebSocket>()
  private readonly waiters = new Set<() => void>()
  private ticker: NodeJS.Timeout | null = null
  private scheduled = false
  private stopping = false
  advertise = ''

  private constructor(readonly config: DaemonConfig, readonly logger: Logger) {
    this.id = config.id
    mkdirSync(config.dataDir, {recursive: true, mode: 0o700})
    for (const [id, url] of Object.entries(config.peers)) this.addresses.set(id, url)
    this.loadAddressBook()
    this.kv = new KvStateMachine()
    this.chaos = new FaultRegistry({now: Date.now, onChange: (c) => logger.info(`chaos fault ${c.type}`, {id: c.id, ...c.spec})})
    this.storage = new FileStorage({
      dir: join(config.dataDir, 'raft'),
      segmentBytes: config.segmentBytes,
      preallocateBytes: config.walPreallocateBytes,
      syncMode: config.unsafeNoFsync ? 'none' : 'fdatasync',
      logger: (level, msg, fields) => logger[level === 'debug' ? 'debug' : level](msg, fields),
    })
    this.transport = new PeerTransport({
      self: config.id,
      secret: config.peerSecret ?? config.secret,
      peers: [...this.addresses].filter(([id]) => id !== config.id),
      onMessage: (m) => {
        this.replica.receive(m)
        this.schedule()
      },
      onUnreachable: (peer) => this.replica.core.reportUnreachable(peer),
      tls: config.tls?.ca ? {ca: readFileSync(config.tls.ca)} : undefined,
      logger,
    })
    this.replica = new Replica({
      raft: {id: config.id, rng: new SeededRng(randomInt(2 ** 31)), electionTicks: config.electionTicks, heartbeatTicks: config.heartbeatTicks, commitNotices: DAEMON_COMMIT_NOTICES},
      storage: this.replicaStorage(),
      network: this.outbound(),
      stateMachine: this.kv,
      initialConf: config.initialCluster.length > 0 ? {voters: [...config.initialCluster], learners: []} : undefined,
      snapshotEvery: config.snapshotEvery,
      compactionLag: config.compactionLag,
      backgroundSaves: 'leader',
      onEvent: (e) => this.onRaftEvent(e),
    })
  }

  /**
   * The storage the replica runs on: the file storage behind the slow-disk fault. Batches sync
   * in the background (`saveAsync`); their completion runs under {@link guard} like every other
   * input, so a failed sync stops the node and waiters see the writes it applied.
   */
  private replicaStorage(): Storage {
    const slow = new SlowStorage(this.storage, {delayMs: () => this.chaos.fsyncDelayMs(), sleep: blockingSleep, after: (ms, fn) => void setTimeout(fn, ms)})
    return withSaveAsync(slow, (write, done) => slow.saveAsync!(write, (err) => this.guard(() => done(err))))
  }

  /**
   * The Network the replica sends through: sampled message events for subscribers (what the
   * replica sent), then the chaos faults in force (src/chaos: drop, delay, partition, …; a
   * no-op without faults), then the WebSocket transport.
   */
  private outbound(): Network {
    const sampler = new MessageSampler()
    this.chaosNetwork = new ChaosNetwork({
      inner: this.transport,
      faults: this.chaos,
      now: Date.now,
      timers: {set: (fn, ms) => setTimeout(fn, ms), clear: (t) => clearTimeout(t as NodeJS.Timeout)},
      random: Math.random,
    })
    return {
      send: (m) => {
        if (this.subscribers.size > 0) {
          const e = sampler.sample(m)
          if (e) this.publish(e)
        }
        this.chaosNetwork.send(m)
      },
      flush: () => this.transport.flush(),
    }
  }

  /** Recover state, bind the port, start ticking. Throws RaftctlError / StorageError on failure. */
  static async start(config: DaemonConfig, logger: Logger): Promise<Node> {
    const node = new Node(config, logger)
    await node.listen()
    node.ticker = setInterval(() => node.tick(), config.tickMs)
    const st = node.replica.core.status()
    logger.info('node started', {address: node.advertise, term: st.term, lastIndex: st.lastIndex, commit: st.commitIndex, voters: st.conf.voters})
    return node
  }

  private async listen(): Promise<void> {
    const c = this.config
    const tls = c.tls ? {cert: readFileSync(c.tls.cert), key: readFileSync(c.tls.key), ca: c.tls.ca ? readFileSync(c.tls.ca) : undefined} : undefined
    this.server = await NodeServer.listen({
      secret: c.secret,
      peerSecret: c.peerSecret,
      host: c.host,
      port: c.port,
      tls,
      httpHandler: (req, res) => this.onHttp(req, res),
      publicHttpPaths: c.publicMetrics ? ['/health', '/metrics'] : ['/health'],
      logger: this.logger,
    })
    this.transport.attach(this.server)
    if (this.server.peerAuth === 'shared-secret') {
      this.logger.warn('no peer secret (--peer-secret-file): /raft accepts the client secret, so any client can speak as a peer', {peerAuth: 'shared-secret'})
    }
    const maxPayload = DEFAULT_PROTOCOL_LIMITS.maxFrameBytes + 1024
    // The handler checks each frame's UTF-8 itself (onSocket) to answer INVALID_UTF8 rather than close.
    this.server.route('/client', (ws) => this.onSocket(ws, 'client'), {maxPayload, acceptInvalidUtf8: true})
    this.server.route('/admin', (ws) => this.onSocket(ws, 'admin'), {maxPayload, acceptInvalidUtf8: true})
    const scheme = c.tls ? 'wss' : 'ws'
    this.advertise = c.advertise ? normalizeAddress(c.advertise) : `${scheme}://${c.host}:${this.server.port}`
    this.addresses.set(this.id, this.advertise)
  }

  /** The port actually bound. */
  get port(): number {
    return this.server.port
  }

  // ------------------------------------------------------------------ the loop

  private tick(): void {
    if (this.stopping) return
    this.guard(() => this.replica.tick())
  }

  /** Process pending work once, at the end of this event-loop turn (coalesces many inputs into one Ready). */
  schedule(): void {
    if (this.scheduled || this.stopping) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      this.guard(() => this.replica.process())
    })
  }

  /** Storage failures are fatal: the node stops cleanly (its files stay consistent) and exits. */
  private guard(fn: () => void): void {
    try {
      fn()
      if (this.waiters.size > 0) for (const w of [...this.waiters]) w()
    } catch (err) {
      if (err instanceof StorageError || err instanceof RangeError) {
        this.logger.error('storage failure: stopping the node', {code: (err as StorageError).code, error: err.message})
        this.fatal = err
        void this.stop().then(() => this.onFatal?.(err))
        return
      }
      throw err
    }
  }

  /** Set when the node stopped because of a storage failure. */
  fatal: Error | null = null
  /** Called after a fatal stop (the daemon entry exits the process). */
  onFatal?: (err: Error) => void

  /** Refresh the index and role gauges (at scrape time: building a status every tick would cost more than it tells). */
  private updateGauges(): void {
    const st = this.replica.core.status()
    this.metrics.term.set(st.term)
    this.metrics.isLeader.set(st.role === 'leader' ? 1 : 0)
    this.metrics.commitIndex.set(st.commitIndex)
    this.metrics.appliedIndex.set(this.replica.applied)
    this.metrics.lastIndex.set(st.lastIndex)
  }

  // ------------------------------------------------------------------ events and address book

  private onRaftEvent(e: RaftEvent): void {
    switch (e.type) {
      case 'roleChanged':
        this.logger.info('role changed', {from: e.from, to: e.to, term: e.term, cause: e.cause})
        break
      case 'leaderChanged':
        this.metrics.leaderChanges.inc()
        this.logger.info('leader changed', {leader: e.leader, term: e.term})
        break
      case 'electionStarted':
        if (!e.pre) this.metrics.elections.inc({cause: e.cause})
        this.logger.info('election started', {term: e.term, pre: e.pre, cause: e.cause})
        break
      case 'confChanged':
        this.onConfChanged(e)
        break
      default:
        this.logger.info(e.type, {...e})
    }
    this.publish(toAdminEvent(e))
  }

  private onConfChanged(e: Extract<RaftEvent, {type: 'confChanged'}>): void {
    this.logger.info('membership changed', {voters: e.conf.voters, learners: e.conf.learners, index: e.index})
    if (e.change?.address) this.addresses.set(e.change.node, normalizeAddress(e.change.address))
    const members = new Set([...e.conf.voters, ...e.conf.learners])
    for (const id of members) {
      const url = this.addresses.get(id)
      if (id !== this.id && url) this.transport.setPeer(id, url)
    }
    for (const id of this.transport.peers().keys()) if (!members.has(id)) this.transport.removePeer(id)
    this.saveAddressBook()
  }

  private loadAddressBook(): void {
    const file = join(this.config.dataDir, PEERS_FILE)
    if (!existsSync(file)) return
    try {
      const book = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>
      for (const [id, url] of Object.entries(book)) if (!this.addresses.has(id) && typeof url === 'string') this.addresses.set(id, url)
    } catch (err) {
      this.logger.warn('ignoring unreadable address book', {file, error: (err as Error).message})
    }
  }

  private saveAddressBook(): void {
    const file = join(this.config.dataDir, PEERS_FILE)
    const tmp = `${file}.tmp`
    writeFileSync(tmp, JSON.stringify(Object.fromEntries(this.addresses), null, 2), {mode: 0o600})
    renameSync(tmp, file)
  }

  /** Normalize a member address given by an operator (BAD_REQUEST when malformed). */
  normalizeAddress(address: string): string {
    try {
      return normalizeAddress(address)
    } catch (err) {
      throw new ServiceError('BAD_REQUEST', (err as Error).message)
    }
  }

  // ------------------------------------------------------------------ views used by services

  role(): string {
    return this.replica.core.status().role
  }

  /** Where the leader is, if known. */
  leaderHint(): LeaderHint | undefined {
    const leader = this.replica.core.status().leader
    if (leader === null) return undefined
    return {id: leader, address: this.addresses.get(leader) ?? null}
  }

  /** Throw NOT_LEADER (with a hint) or NO_LEADER unless this node leads. */
  requireLeader(): void {
    if (this.role() === 'leader') return
    const hint = this.leaderHint()
    if (hint) throw new ServiceError('NOT_LEADER', `${this.id} is not the leader; ${hint.id} is`, hint)
    throw new ServiceError('NO_LEADER', 'no leader is known; an election may be in progress')
  }

  members(): Members {
    const {voters, learners} = this.replica.core.status().conf
    const info = (id: NodeId) => ({id, address: this.addresses.get(id) ?? null})
    return {voters: voters.map(info), learners: learners.map(info)}
  }

  status(): NodeStatus {
    const st: RaftStatus = this.replica.status()
    const tickMs = this.config.tickMs
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
      members: this.members(),
      progress: st.progress.map((p) => ({
        id: p.id, match: p.match, next: p.next, state: p.state, recentActive: p.recentlyHeard,
        lastContactMs: p.ticksSinceContact * tickMs, inflight: p.inflight,
      })),
      transferee: st.transferee,
      electionElapsedMs: st.electionElapsed * tickMs,
      electionTimeoutMs: st.electionTimeout * tickMs,
      uptimeMs: Date.now() - this.startedAt,
      pid: process.pid,
      address: this.advertise,
      version: VERSION,
      faults: this.chaos.list(),
      peerAuth: this.server.peerAuth,
    }
  }

  /**
   * Resolve when `check(status)` returns a value after some Ready; reject with FAILED when
   * `abort(event)` matches an event first.
   */
  waitFor<T>(check: (st: RaftStatus) => T | null, abort: (e: AdminEvent) => boolean): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const onEvent = (e: AdminEvent): void => {
        if (!abort(e)) return
        this.waiters.delete(poll)
        this.eventWaiters.delete(onEvent)
        reject(new ServiceError('FAILED', `aborted: ${e.type}`))
      }
      const poll = (): void => {
        const v = check(this.replica.core.status())
        if (v === null) return
        this.waiters.delete(poll)
        this.eventWaiters.delete(onEvent)
        resolve(v)
      }
      this.waiters.add(poll)
      this.eventWaiters.add(onEvent)
      poll()
    })
  }

  private readonly eventWaiters = new Set<(e: AdminEvent) => void>()

  // ------------------------------------------------------------------ sockets

  private onSocket(ws: WebSocket, route: RouteName): void {
    ws.on('error', (err) => this.logger.debug('client socket error', {error: err.message}))
    ws.on('close', () => this.subscribers.delete(ws))
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        send(ws, formatError(null, {code: 'BAD_REQUEST', message: 'frames must be JSON text'}))
        return
      }
      const bytes = frameBytes(data)
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
    const parsed = parseRequest(text, PARSE_OPTIONS[route])
    if (!parsed.ok) {
      send(ws, formatError(parsed.id ?? null, parsed.error))
      return
    }
    const req = parsed.request
    if (this.stopping) {
      send(ws, formatError(req.id, {code: 'SHUTTING_DOWN', message: 'the node is shutting down'}))
      return
    }
    if (isWriteType(req.type)) this.answerWrite(ws, req as RequestOf<WriteType>)
    else void this.answer(ws, req)
  }

  /** A KV write, answered from its callback (no promise on the path of every write). */
  private answerWrite(ws: WebSocket, req: RequestOf<WriteType>): void {
    const handler = WRITE_HANDLERS[req.type] as (n: ServiceHost, r: RequestOf<WriteType>, answer: (err: ServiceError | null, result?: unknown) => void) => void
    handler(this, req, (err, result) => {
      // Runs inside the replica's apply: an error here must not escape into it.
      try {
        if (tracing) mark('server.answer')
        send(ws, err ? formatError(req.id, toProtocolError(err)) : formatResponse(req.id, result as never))
      } catch (failure) {
        this.logger.error('could not answer a write', {id: req.id, error: (failure as Error).message})
      }
    })
  }

  private async answer(ws: WebSocket, req: Request): Promise<void> {
    try {
      const result = await (HANDLERS[req.type] as (n: ServiceHost, r: Request) => Promise<unknown>)(this, req)
      if (req.type === 'subscribe') this.subscribers.add(ws)
      if (req.type === 'unsubscribe') this.subscribers.delete(ws)
      send(ws, formatResponse(req.id, result as never))
    } catch (err) {
      send(ws, formatError(req.id, toProtocolError(err)))
    }
  }

  private publish(e: AdminEvent): void {
    for (const w of [...this.eventWaiters]) w(e)
    if (this.subscribers.size === 0) return
    const frame = formatEvent(e, Date.now())
    for (const ws of this.subscribers) send(ws, frame)
  }

  private onHttp(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0]
    if (path === '/health') {
      const st = this.replica.core.status()
      const healthy = !this.stopping && this.fatal === null
      res.writeHead(healthy ? 200 : 503, {'content-type': 'application/json'})
      res.end(JSON.stringify({ok: healthy, id: this.id, role: st.role, term: st.term, leader: st.leader, peerAuth: this.server.peerAuth}))
      return
    }
    if (path === '/metrics') {
      this.updateGauges()
      void this.metrics.text().then((text) => {
        res.writeHead(200, {'content-type': this.metrics.registry.contentType})
        res.end(text)
      })
      return
    }
    res.writeHead(404, {'content-type': 'text/plain'})
    res.end('not found\n')
  }

  // ------------------------------------------------------------------ shutdown

  /**
   * Finish pending work, waiting for batches syncing in the background: at most
   * {@link FLUSH_ROUNDS} batches and {@link FLUSH_TIMEOUT_MS} in all (a stuck disk must not keep
   * a SIGTERM from stopping the node; the WAL closes its file once the sync returns).
   */
  private async flush(): Promise<void> {
    const deadline = Date.now() + FLUSH_TIMEOUT_MS
    for (let round = 0; round < FLUSH_ROUNDS && this.fatal === null; round++) {
      this.replica.process()
      const left = deadline - Date.now()
      if (!this.replica.syncing || left <= 0) return
      let timer: NodeJS.Timeout | undefined
      await new Promise<void>((resolve) => {
        timer = setTimeout(resolve, left)
        this.replica.whenIdle(resolve)
      })
      clearTimeout(timer)
    }
  }

  /** Stop accepting, finish the pending Ready, close sockets and files. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopping) return
    this.stopping = true
    if (this.ticker) clearInterval(this.ticker)
    try {
      await this.flush()
    } catch (err) {
      this.logger.error('final flush failed', {error: (err as Error).message})
    }
    this.replica.stop()
    this.chaosNetwork.close()
    for (const ws of this.subscribers) ws.close(1001, 'shutting down')
    await this.transport.close()
    await this.server?.close()
    try {
      this.storage.close()
    } catch {
      // already closed
    }
    this.logger.info('node stopped')
    this.logger.flush()
  }
}

/** The parse options of each route: one object each, so their limits are resolved once. */
const PARSE_OPTIONS: Readonly<Record<RouteName, {readonly route: RouteName}>> = {client: {route: 'client'}, admin: {route: 'admin'}}

/** How many background syncs a stopping node waits for before it closes its files. */
const FLUSH_ROUNDS = 4
/** The longest a stopping node waits for background syncs, ms. */
const FLUSH_TIMEOUT_MS = 2_000

/** Send a text frame if the socket is open; a turn's frames to one socket leave in one write. */
/** The bytes of a ws message (one Buffer with the default binaryType; fragments joined otherwise). */
function frameBytes(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)
}

function send(ws: WebSocket, frame: string): void {
  if (ws.readyState !== ws.OPEN) return
  corkForRun(ws)
  ws.send(frame)
}

function toProtocolError(err: unknown): {code: import('../common/errors.js').ErrorCode; message: string; leader?: LeaderHint} {
  if (err instanceof ServiceError) return err.leader ? {code: err.code, message: err.message, leader: err.leader} : {code: err.code, message: err.message}
  if (err instanceof RaftctlError) return {code: err.code, message: err.message}
  return {code: 'FAILED', message: (err as Error).message ?? String(err)}
}

function toAdminEvent(e: RaftEvent): AdminEvent {
  if (e.type === 'confChanged') return {type: 'confChanged', conf: {voters: e.conf.voters, learners: e.conf.learners}, index: e.index}
  return e
}
