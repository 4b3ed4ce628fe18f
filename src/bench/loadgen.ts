/**
 * The load generator of `raftctl bench`: many logical clients, each with its own session
 * (clientId, seq) and ONE operation in flight at a time, multiplexed (pipelined) over a few
 * WebSocket connections per node of the client protocol (docs/protocol.md). It is leaner than
 * KvClient on purpose, so that the client's own CPU does not bound the measurement on a small
 * machine: request frames are built by string concatenation from pre-validated parts (keys
 * and values are ASCII), responses are read with one JSON.parse, and request timeouts are
 * swept by one timer instead of one timer per request.
 *
 * Semantics kept from KvClient: NOT_LEADER hints are followed; a write whose outcome is unknown
 * (timeout, closed connection, UNKNOWN_OUTCOME, SHUTTING_DOWN) is retried with the SAME seq, so
 * the state machine applies it at most once; NO_LEADER and other transient refusals back off
 * (2 ms doubling to 25 ms, with jitter: short, so that failover is measured finely).
 *
 * Latency of an operation is from its first send to its successful answer, retries included,
 * in microseconds in a {@link Histogram}. Only operations that complete inside the measured
 * window (after the warm-up, before the end) count.
 */
import {performance} from 'node:perf_hooks'
import {randomBytes} from 'node:crypto'
import {WebSocket} from 'ws'
import {routeUrl} from '../client/endpoints.js'
import {CLUSTER_HEADER, type ClientTlsOptions} from '../client/connection.js'
import {ECHO_OMITTED_FROM} from '../admin/protocol.js'
import {BINARY_FRAMES_HEADER, BINARY_PUT_FROM, BINARY_PUT_KIND, acceptsBinaryPut} from '../admin/binary-put.js'
import {mark, tracing} from '../trace/latency.js'
import {Histogram, type HistogramSummary} from './histogram.js'

/** A node to send to. */
export interface BenchEndpoint {
  readonly id: string
  /** Any address form clients accept (`ws://host:port`, `host:port`, …). */
  readonly url: string
}

/** Where to send requests: `leader` sends everything to the leader; `any` spreads clients over all nodes. */
export type BenchTarget = 'leader' | 'any'

/** Options of {@link LoadGenerator}. */
export interface LoadOptions {
  readonly endpoints: readonly BenchEndpoint[]
  readonly secret: string
  /** The cluster id expected of every node (sent as `x-raftctl-cluster`); absent: any. */
  readonly clusterId?: string
  /** TLS material for `wss://` endpoints (a remote cluster's CA, client certificate). */
  readonly tls?: ClientTlsOptions
  /** Logical clients, each with one operation in flight and its own session. */
  readonly clients: number
  /** WebSocket connections per node the clients share. Default min(clients, 4). */
  readonly connections?: number
  /** Measured time, ms. */
  readonly durationMs: number
  /** Load before measuring, ms (not recorded). Default 0. */
  readonly warmupMs?: number
  /** Bytes of each written value (ASCII). */
  readonly valueSize: number
  /** Distinct keys, chosen uniformly. */
  readonly keys: number
  /** Fraction of operations that are reads, 0..1. */
  readonly readRatio: number
  /** Reads served from any node's local state (may be stale). Default false: linearizable. */
  readonly serializable?: boolean
  readonly target?: BenchTarget
  /** The leader, when known, to skip discovery. */
  readonly leaderHint?: string
  /** One attempt's timeout, ms. Default 5000. */
  readonly requestTimeoutMs?: number
  /** An operation gives up (counted as error `GAVE_UP`) after this long, ms. Default 30000. */
  readonly opDeadlineMs?: number
  /** Key prefix. Default `bench-`. */
  readonly keyPrefix?: string
  /** Called about every `progressMs` (default 1000) while running. */
  readonly onProgress?: (p: LoadProgress) => void
  readonly progressMs?: number
  /** Called when the measured window starts (after the warm-up): e.g. to start CPU meters. */
  readonly onMeasureStart?: () => void
  /** Called when the measured window ends. */
  readonly onMeasureEnd?: () => void
  /** Called for every successful operation (measured or not). */
  readonly onAck?: (ack: Ack) => void
}

/** A successful operation. */
export interface Ack {
  readonly write: boolean
  /** The node that answered. */
  readonly node: string
  /** performance.now() of the first send and of the answer. */
  readonly startedAt: number
  readonly endedAt: number
}

/** Progress while running. */
export interface LoadProgress {
  readonly phase: 'warmup' | 'measure'
  /** ms since the phase started. */
  readonly elapsedMs: number
  readonly phaseMs: number
  /** Operations completed in the measured window so far. */
  readonly ops: number
  readonly errors: number
  /** Operations per second over the last interval (any phase). */
  readonly recentThroughput: number
  /** p99 so far in the measured window, ms. */
  readonly p99Ms: number
}

/** The outcome of a run. */
export interface LoadResult {
  readonly ops: number
  readonly reads: number
  readonly writes: number
  /** Length of the measured window, s. */
  readonly seconds: number
  readonly throughput: number
  /** Latency summary in ms (µs resolution, see Histogram for the precision). */
  readonly latencyMs: {readonly p50: number; readonly p90: number; readonly p99: number; readonly p999: number; readonly max: number; readonly mean: number; readonly min: number}
  /** The raw histogram, in µs. */
  readonly histogram: Histogram
  /** Failed operations by error code (measured window). */
  readonly errors: Record<string, number>
  /** NOT_LEADER redirects followed and attempts retried (measured window). */
  readonly redirects: number
  readonly retries: number
}

/** A reply as the generator sees it. */
type Reply =
  | {readonly ok: true; readonly node: string}
  | {readonly ok: false; readonly code: string; readonly leader?: {readonly id: string; readonly address: string | null}}

interface Pending {
  readonly sentAt: number
  readonly resolve: (reply: Reply) => void
}

/** Codes after which the same operation is retried (the same seq for writes). */
const RETRY_CODES = new Set([
  'NOT_LEADER', 'NO_LEADER', 'NO_QUORUM', 'TIMEOUT', 'UNAVAILABLE', 'UNKNOWN_OUTCOME', 'SHUTTING_DOWN', 'OVERLOADED',
  'TRANSFER_IN_PROGRESS', 'BAD_RESPONSE',
])
/** Codes that say the node tried is not (or no longer) a usable leader. */
const LEADER_LOST = new Set(['NOT_LEADER', 'NO_LEADER', 'UNAVAILABLE', 'SHUTTING_DOWN', 'TIMEOUT', 'UNKNOWN_OUTCOME'])

const MIN_BACKOFF_MS = 2
const MAX_BACKOFF_MS = 25
/** A node whose connection failed is skipped for this long. */
const DOWN_MS = 100
const SWEEP_MS = 100

/** One socket to one node's `/client` route, with pipelined requests matched by id. */
class BenchConnection {
  private readonly pending = new Map<number, Pending>()
  private nextId = 1
  private closed = false

  /** @param binaryPut the daemon accepts binary put frames (its upgrade response said so). */
  private constructor(readonly node: string, private readonly ws: WebSocket, private readonly binaryPut: boolean) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (tracing) mark('client.recv')
      this.onMessage(data, isBinary)
    })
    ws.on('close', () => this.fail('UNAVAILABLE'))
    ws.on('error', () => undefined)
  }

  static open(node: string, url: string, access: {secret: string; clusterId?: string; tls?: ClientTlsOptions}, timeoutMs: number): Promise<BenchConnection> {
    return new Promise((resolve, reject) => {
      // generateMask leaves the mask zero, so ws sends frames unmasked-in-effect (no copy, no
      // XOR): like the etcd and ZooKeeper clients it is compared with, the load generator then
      // spends no CPU on masking.
      const headers = {Authorization: `Bearer ${access.secret}`, ...(access.clusterId === undefined ? {} : {[CLUSTER_HEADER]: encodeURIComponent(access.clusterId)})}
      const tls = access.tls ?? {}
      const ws = new WebSocket(url, {
        headers, perMessageDeflate: false, handshakeTimeout: timeoutMs, maxPayload: 64 * 1024 * 1024, generateMask: () => {},
        ...(tls.ca === undefined ? {} : {ca: tls.ca as string | Buffer}), ...(tls.cert === undefined ? {} : {cert: tls.cert}), ...(tls.key === undefined ? {} : {key: tls.key}),
      })
      ws.on('error', (err) => reject(err))
      ws.once('unexpected-response', (_req, res) => {
        ws.terminate()
        reject(new Error(`${url} refused the connection (HTTP ${res.statusCode})`))
      })
      let binaryPut = false
      ws.once('upgrade', (res) => (binaryPut = acceptsBinaryPut(res.headers[BINARY_FRAMES_HEADER])))
      ws.once('open', () => {
        ws.setMaxListeners(0)
        ws.removeAllListeners('error')
        resolve(new BenchConnection(node, ws, binaryPut))
      })
      ws.once('close', () => reject(new Error(`${url} closed while opening`)))
    })
  }

  get isOpen(): boolean {
    return !this.closed && this.ws.readyState === WebSocket.OPEN
  }

  /** Send `{"v":1,"id":N` + tail. Resolves with the reply (never rejects). */
  send(tail: Tail): Promise<Reply> {
    if (!this.isOpen) return Promise.resolve({ok: false, code: 'UNAVAILABLE'})
    const id = this.nextId++
    return new Promise<Reply>((resolve) => {
      this.pending.set(id, {sentAt: performance.now(), resolve})
      if (tracing) mark('client.send')
      const binary = this.binaryPut && typeof tail !== 'string' && tail.value.length >= BINARY_PUT_FROM
      this.ws.send(requestFrame(id, tail, binary), {binary})
    })
  }

  /** Time out requests sent before `before` (performance.now()). */
  sweep(before: number): void {
    for (const [id, p] of this.pending) {
      if (p.sentAt >= before) continue
      this.pending.delete(id)
      p.resolve({ok: false, code: 'TIMEOUT'})
    }
  }

  close(): void {
    this.fail('UNAVAILABLE')
    this.ws.terminate()
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (isBinary) return
    let msg: {id?: unknown; ok?: unknown; error?: {code?: unknown; leader?: {id: string; address: string | null}}}
    try {
      msg = JSON.parse(data.toString('utf8'))
    } catch {
      return
    }
    if (typeof msg.id !== 'number') {
      // An error the daemon could not tie to a request: every request in flight may be it.
      if (msg.ok === false) this.fail(String(msg.error?.code ?? 'BAD_RESPONSE'))
      return
    }
    const p = this.pending.get(msg.id)
    if (p === undefined) return
    this.pending.delete(msg.id)
    if (msg.ok === true) p.resolve({ok: true, node: this.node})
    else p.resolve({ok: false, code: String(msg.error?.code ?? 'BAD_RESPONSE'), leader: msg.error?.leader})
  }

  private fail(code: string): void {
    this.closed = true
    const all = [...this.pending.values()]
    this.pending.clear()
    for (const p of all) p.resolve({ok: false, code})
  }
}

/** The connections to one node. */
interface NodeLink {
  readonly id: string
  readonly url: string
  readonly sockets: (BenchConnection | null)[]
  readonly opening: (Promise<BenchConnection | null> | null)[]
  downUntil: number
}

/** Run a load against a cluster. Create, then {@link LoadGenerator.run}; {@link LoadGenerator.stop} ends it early. */
export class LoadGenerator {
  private readonly links = new Map<string, NodeLink>()
  private readonly order: string[] = []
  private readonly histogram = new Histogram()
  private readonly errors: Record<string, number> = {}
  private readonly value: string
  /** {@link value}'s bytes, for frames built as bytes (see {@link Tail}). */
  private readonly valueBytes: Buffer
  private readonly keyNames: string[]
  private readonly connections: number
  private readonly timeoutMs: number
  private readonly opDeadlineMs: number
  private readonly serializable: boolean
  private readonly target: BenchTarget
  private leader: string | null
  private cursor = 0
  private measuring = false
  private stopped = false
  private measureStart = 0
  private measureEnd = Number.POSITIVE_INFINITY
  private ops = 0
  private reads = 0
  private writes = 0
  private errorCount = 0
  private redirects = 0
  private retries = 0
  private completedTotal = 0
  private readonly wake = new Set<() => void>()

  constructor(private readonly options: LoadOptions) {
    if (options.endpoints.length === 0) throw new RangeError('the load generator needs at least one endpoint')
    if (!(Number.isInteger(options.clients) && options.clients >= 1)) throw new RangeError(`clients must be an integer >= 1, got ${options.clients}`)
    if (!(options.readRatio >= 0 && options.readRatio <= 1)) throw new RangeError(`readRatio must be in [0, 1], got ${options.readRatio}`)
    if (!(Number.isInteger(options.keys) && options.keys >= 1)) throw new RangeError(`keys must be an integer >= 1, got ${options.keys}`)
    if (!(Number.isInteger(options.valueSize) && options.valueSize >= 0)) throw new RangeError(`valueSize must be an integer >= 0, got ${options.valueSize}`)
    this.connections = Math.max(1, options.connections ?? Math.min(options.clients, 4))
    for (const e of options.endpoints) this.addLink(e.id, routeUrl(e.url, 'client'))
    this.value = benchValue(options.valueSize)
    this.valueBytes = Buffer.from(this.value, 'latin1')
    const prefix = options.keyPrefix ?? 'bench-'
    if (!/^[A-Za-z0-9_.:/-]*$/.test(prefix)) throw new RangeError('keyPrefix must be ASCII letters, digits or _.:/-')
    this.keyNames = Array.from({length: options.keys}, (_, i) => `${prefix}${i}`)
    this.timeoutMs = options.requestTimeoutMs ?? 5000
    this.opDeadlineMs = options.opDeadlineMs ?? 30_000
    this.serializable = options.serializable === true
    this.target = options.target ?? 'leader'
    this.leader = options.leaderHint ?? null
  }

  /** The leader the generator currently sends writes to (null while unknown). */
  get currentLeader(): string | null {
    return this.leader
  }

  /** Write every key once (so that reads find values), with the clients' concurrency. */
  async preload(): Promise<void> {
    let next = 0
    const worker = async (w: number): Promise<void> => {
      const session = {clientId: newClientId(`preload-${w}`), seq: 0}
      while (next < this.keyNames.length && !this.stopped) {
        const key = this.keyNames[next++]!
        session.seq++
        await this.execute(w, false, writeTail(key, this.value, this.valueBytes, session.clientId, session.seq), session, null)
      }
    }
    const sweeper = setInterval(() => this.sweep(), SWEEP_MS)
    try {
      await Promise.all(Array.from({length: Math.min(this.options.clients, 64)}, (_, w) => worker(w)))
    } finally {
      clearInterval(sweeper)
    }
  }

  /** Run the warm-up and the measured window; resolves with the result. */
  async run(): Promise<LoadResult> {
    const warmupMs = this.options.warmupMs ?? 0
    const started = performance.now()
    const sweeper = setInterval(() => this.sweep(), SWEEP_MS)
    let lastCompleted = 0
    let lastTick = started
    const progress = this.options.onProgress
      ? setInterval(() => {
        const now = performance.now()
        const recent = ((this.completedTotal - lastCompleted) * 1000) / Math.max(1, now - lastTick)
        lastCompleted = this.completedTotal
        lastTick = now
        this.options.onProgress!({
          phase: this.measuring ? 'measure' : 'warmup',
          elapsedMs: this.measuring ? now - this.measureStart : now - started,
          phaseMs: this.measuring ? this.options.durationMs : warmupMs,
          ops: this.ops,
          errors: this.errorCount,
          recentThroughput: recent,
          p99Ms: this.histogram.percentile(99) / 1000,
        })
      }, this.options.progressMs ?? 1000)
      : null
    const timers: NodeJS.Timeout[] = []
    const startMeasure = (): void => {
      if (this.stopped) return
      this.measureStart = performance.now()
      this.measureEnd = this.measureStart + this.options.durationMs
      this.measuring = true
      this.options.onMeasureStart?.()
      timers.push(setTimeout(() => this.finish(), this.options.durationMs))
    }
    if (warmupMs > 0) timers.push(setTimeout(startMeasure, warmupMs))
    else startMeasure()
    const loops = Array.from({length: this.options.clients}, (_, i) => this.clientLoop(i))
    await this.untilStopped()
    const end = Math.min(performance.now(), this.measureEnd)
    if (this.measuring) this.options.onMeasureEnd?.()
    this.measuring = false
    for (const t of timers) clearTimeout(t)
    // Operations in flight at the end do not count; give them a moment, then cut the sockets.
    const grace = setTimeout(() => this.closeAll(), Math.min(this.timeoutMs, 2000))
    await Promise.all(loops)
    clearTimeout(grace)
    clearInterval(sweeper)
    if (progress) clearInterval(progress)
    this.closeAll()
    const seconds = this.measureStart === 0 ? 0 : Math.max(0, end - this.measureStart) / 1000
    const s: HistogramSummary = this.histogram.summary()
    const ms = (us: number): number => Math.round(us) / 1000
    return {
      ops: this.ops, reads: this.reads, writes: this.writes, seconds,
      throughput: seconds > 0 ? this.ops / seconds : 0,
      latencyMs: {p50: ms(s.p50), p90: ms(s.p90), p99: ms(s.p99), p999: ms(s.p999), max: ms(s.max), mean: ms(s.mean), min: ms(s.min)},
      histogram: this.histogram,
      errors: {...this.errors}, redirects: this.redirects, retries: this.retries,
    }
  }

  /** End the run now (the measured window ends here). Idempotent. */
  stop(): void {
    this.finish()
  }

  private finish(): void {
    if (this.stopped) return
    this.stopped = true
    if (this.measuring) this.measureEnd = Math.min(this.measureEnd, performance.now())
    for (const w of [...this.wake]) w()
  }

  private untilStopped(): Promise<void> {
    if (this.stopped) return Promise.resolve()
    return new Promise((resolve) => this.wake.add(resolve))
  }

  // -------------------------------------------------------------------------------------------
  // The clients

  private async clientLoop(i: number): Promise<void> {
    const session = {clientId: newClientId(`bench-${i}`), seq: 0}
    const home = this.target === 'any' ? this.order[i % this.order.length]! : null
    const ratio = this.options.readRatio
    const keys = this.keyNames
    while (!this.stopped) {
      const read = ratio > 0 && (ratio >= 1 || Math.random() < ratio)
      const key = keys[Math.floor(Math.random() * keys.length)]!
      let tail: Tail
      if (read) tail = this.serializable ? `,"type":"get","key":"${key}","serializable":true}` : `,"type":"get","key":"${key}"}`
      else tail = writeTail(key, this.value, this.valueBytes, session.clientId, ++session.seq)
      await this.execute(i, read, tail, read ? null : session, home)
    }
  }

  /**
   * One operation with its retries. Records it when it completes inside the measured window.
   * Returns whether it succeeded.
   */
  private async execute(slot: number, read: boolean, initialTail: Tail, session: {clientId: string; seq: number} | null, home: string | null): Promise<boolean> {
    const tail = initialTail
    const startedAt = performance.now()
    let backoff = MIN_BACKOFF_MS
    for (;;) {
      const node = this.pickNode(read, home)
      const reply = await this.attempt(node, slot, tail)
      const now = performance.now()
      if (reply.ok) {
        this.completedTotal++
        this.options.onAck?.({write: !read, node: reply.node, startedAt, endedAt: now})
        if (this.measuring && now <= this.measureEnd && startedAt >= this.measureStart) {
          this.ops++
          if (read) this.reads++
          else this.writes++
          this.histogram.record((now - startedAt) * 1000)
        }
        return true
      }
      const counted = this.measuring && startedAt >= this.measureStart
      if (reply.code === 'NOT_LEADER' && reply.leader !== undefined && reply.leader.id !== node) {
        if (!this.links.has(reply.leader.id) && reply.leader.address) this.addLink(reply.leader.id, routeUrl(reply.leader.address, 'client'))
        if (this.links.has(reply.leader.id)) {
          this.leader = reply.leader.id
          if (counted) this.redirects++
          continue
        }
      }
      const retryable = RETRY_CODES.has(reply.code)
      if (retryable && !this.stopped && now - startedAt < this.opDeadlineMs) {
        if (LEADER_LOST.has(reply.code) && this.leader === node) this.leader = null
        if (LEADER_LOST.has(reply.code)) this.cursor++
        if (counted) this.retries++
        await sleep(Math.round(backoff * (0.5 + Math.random() / 2)))
        backoff = Math.min(MAX_BACKOFF_MS, backoff * 2)
        continue
      }
      if (this.stopped && retryable) return false // cut off by the end of the run: not an error
      const code = retryable ? 'GAVE_UP' : reply.code
      if (counted) {
        this.errors[code] = (this.errors[code] ?? 0) + 1
        this.errorCount++
      }
      if (session !== null && (reply.code === 'SESSION_EXPIRED' || reply.code === 'STALE_SEQUENCE')) {
        // The session is gone on the daemons: continue with a new one.
        session.clientId = newClientId('bench')
        session.seq = 0
      }
      return false
    }
  }

  /** The node for an attempt: the client's home node (target any), else the leader, else the next live node. */
  private pickNode(read: boolean, home: string | null): string {
    if (home !== null && read) return home
    if (read && this.serializable && this.leader === null) return this.nextLive()
    if (this.leader !== null) return this.leader
    return this.nextLive()
  }

  private nextLive(): string {
    const now = performance.now()
    for (let k = 0; k < this.order.length; k++) {
      const id = this.order[(this.cursor + k) % this.order.length]!
      if (this.links.get(id)!.downUntil <= now) return id
    }
    return this.order[this.cursor % this.order.length]!
  }

  private async attempt(node: string, slot: number, tail: Tail): Promise<Reply> {
    const link = this.links.get(node)!
    const i = slot % this.connections
    let conn = link.sockets[i]
    if (conn === null || conn === undefined || !conn.isOpen) {
      conn = await this.connect(link, i)
      if (conn === null) return {ok: false, code: 'UNAVAILABLE'}
    }
    return conn.send(tail)
  }

  private connect(link: NodeLink, i: number): Promise<BenchConnection | null> {
    const opening = link.opening[i]
    if (opening) return opening
    if (link.downUntil > performance.now() || this.stopped) return Promise.resolve(null)
    const p = BenchConnection.open(link.id, link.url, this.options, Math.min(this.timeoutMs, 2000)).then(
      (c) => {
        link.sockets[i] = c
        if (this.stopped) c.close()
        return c
      },
      () => {
        link.sockets[i] = null
        link.downUntil = performance.now() + DOWN_MS
        return null
      },
    ).finally(() => {
      link.opening[i] = null
    })
    link.opening[i] = p
    return p
  }

  private addLink(id: string, url: string): void {
    this.links.set(id, {id, url, sockets: Array(this.connections).fill(null), opening: Array(this.connections).fill(null), downUntil: 0})
    this.order.push(id)
  }

  private sweep(): void {
    const before = performance.now() - this.timeoutMs
    for (const link of this.links.values()) for (const c of link.sockets) c?.sweep(before)
  }

  private closeAll(): void {
    for (const link of this.links.values()) {
      for (const [i, c] of link.sockets.entries()) {
        c?.close()
        link.sockets[i] = null
      }
    }
  }
}

/**
 * What follows `{"v":1,"id":N` in a request frame: text, or, for a large value, the put's other
 * fields (`fields`, without the closing brace) and the value's bytes. A daemon that accepts binary
 * put frames gets one for a value of BINARY_PUT_FROM+ bytes (src/admin/binary-put.ts: the value's
 * bytes after a JSON header, as KvClient sends them); else a text frame built as bytes. Either way one copy of the
 * value per send, where a string of the whole frame would be concatenated, flattened and UTF-8
 * encoded per send (for 256 KiB most of the load generator's CPU per write).
 */
export type Tail = string | {readonly fields: string; readonly value: Buffer}

/**
 * The frame of request `id` with `tail`: a string, or bytes when the tail carries bytes: a binary
 * put frame when `binary` (the daemon accepts them), else the JSON text's UTF-8 bytes.
 */
export function requestFrame(id: number, tail: Tail, binary = false): string | Buffer {
  if (typeof tail === 'string') return `{"v":1,"id":${id}${tail}`
  const head = `{"v":1,"id":${id}${tail.fields}`
  if (!binary) return Buffer.concat([Buffer.from(`${head},"value":"`), tail.value, Buffer.from('"}')])
  const header = Buffer.from(`${head}}`)
  const prefix = Buffer.allocUnsafe(5)
  prefix[0] = BINARY_PUT_KIND
  prefix.writeUInt32BE(header.length, 1)
  return Buffer.concat([prefix, header, tail.value])
}

/**
 * The tail of a put frame. Keys, values and client ids are ASCII without quotes (`bytes` is
 * `value` in bytes). A large value is sent with `"echo":false`, as KvClient sends it
 * (ECHO_OMITTED_FROM), in a frame built as bytes.
 */
export function writeTail(key: string, value: string, bytes: Buffer, clientId: string, seq: number): Tail {
  const after = `","session":{"clientId":"${clientId}","seq":${seq}}`
  if (value.length < ECHO_OMITTED_FROM) return `,"type":"put","key":"${key}","value":"${value}${after}}`
  return {fields: `,"type":"put","key":"${key}","session":{"clientId":"${clientId}","seq":${seq}},"echo":false`, value: bytes}
}

/** A value of `size` ASCII letters and digits (random, so nothing downstream can shortcut it). */
export function benchValue(size: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'
  const bytes = randomBytes(size)
  let s = ''
  for (let i = 0; i < size; i++) s += alphabet[bytes[i]! % alphabet.length]
  return s
}

function newClientId(prefix: string): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
