/**
 * OutboundLink: the sending connection from this node to one peer. It dials, keeps a bounded
 * queue, coalesces every message queued by one synchronous run (e.g. one Ready) into one frame,
 * written as soon as that run ends (process.nextTick, no extra event-loop turn), pings for
 * liveness, and redials with exponential backoff and jitter when the connection fails.
 *
 * States: connecting → open → (lost) backoff → connecting … ; closed is final.
 * Messages are accepted while connecting or open (bounded), dropped in backoff.
 */
import {WebSocket} from 'ws'
import type {RawData} from 'ws'
import type {NodeId} from '../raft/types.js'
import {encodeFrame, FRAME_HEADER_BYTES, FRAME_MESSAGE_OVERHEAD} from './codec.js'
import {MAX_MESSAGES_PER_FRAME, OUTBOUND_MAX_PAYLOAD_BYTES} from './limits.js'
import type {PeerLimits} from './limits.js'
import {errorText} from './logger.js'
import type {TransportLogger} from './logger.js'
import {backoffDelay, CLOSE_CODES, encodeIdHeader, NODE_HEADER, TARGET_HEADER, CLUSTER_HEADER} from './protocol.js'
import type {PeerTlsOptions} from './protocol.js'
import type {PeerCounters} from './stats.js'
import {mark, tracing} from '../trace/latency.js'

/** What {@link OutboundLink.enqueue} did with a message. */
export type EnqueueResult = 'queued' | 'disconnected' | 'full'

/** Everything an OutboundLink needs from its transport. */
export interface OutboundLinkDeps {
  readonly self: NodeId
  readonly peer: NodeId
  /** Normalised `ws://` or `wss://` URL of the peer's `/raft`. */
  readonly url: string
  readonly secret: string
  /** This node's cluster id, sent in the hello ({@link CLUSTER_HEADER}); absent: unknown, not sent. */
  readonly clusterId?: string
  readonly limits: PeerLimits
  readonly tls?: PeerTlsOptions
  readonly logger: TransportLogger
  readonly random: () => number
  readonly now: () => number
  readonly counters: PeerCounters
  /** The connection opened. */
  readonly onUp: () => void
  /** A connection attempt failed or an open connection was lost. */
  readonly onDown: () => void
  /** Everything accepted so far has been written to the kernel. */
  readonly onDrained: () => void
}

type LinkState = 'idle' | 'connecting' | 'open' | 'backoff' | 'closed'

/** Close fallback: resolve close() even if ws never reports 'close'. */
const CLOSE_FALLBACK_MS = 1000

/** The sending connection to one peer. Create, {@link start}, and finally {@link close}. */
export class OutboundLink {
  private state: LinkState = 'idle'
  private ws: WebSocket | null = null
  /** Bumped for every connection; callbacks of an older connection are ignored. */
  private generation = 0
  private attempt = 0
  private missedPongs = 0
  private reconnectTimer: NodeJS.Timeout | undefined
  /** A flush is queued (process.nextTick) and not cancelled. */
  private flushScheduled = false
  /** Encoded items (messages or snapshot chunks) accepted but not yet handed to ws. */
  private queue: Uint8Array[] = []
  private queueBytes = 0
  /** Handed to ws, not yet confirmed written to the kernel. */
  private inflightMessages = 0
  private inflightBytes = 0

  constructor(private readonly deps: OutboundLinkDeps) {}

  /** The peer's URL. */
  get url(): string {
    return this.deps.url
  }

  /** The connection is open. */
  get connected(): boolean {
    return this.state === 'open'
  }

  /** Messages accepted and not yet written (queued + in flight). */
  get queuedMessages(): number {
    return this.queue.length + this.inflightMessages
  }

  /** Bytes of {@link queuedMessages}. */
  get queuedBytes(): number {
    return this.queueBytes + this.inflightBytes
  }

  /** Dial for the first time. */
  start(): void {
    if (this.state === 'idle') this.connect()
  }

  /**
   * Accept one encoded message, or the chunks of one snapshot: all of them or none, so the
   * chunks of a message are never split by a drop. Each item is at most `maxPayload` minus
   * frame overhead bytes (the caller checks). Never blocks, never throws. A single message is
   * passed as it is (no array around it: this is every message's path).
   */
  enqueue(items: Uint8Array | readonly Uint8Array[]): EnqueueResult {
    if (this.state !== 'open' && this.state !== 'connecting') return 'disconnected'
    const single = items instanceof Uint8Array
    const count = single ? 1 : items.length
    const bytes = single ? items.length : items.reduce((n, item) => n + item.length, 0)
    const {maxQueuedMessages, maxQueuedBytes} = this.deps.limits
    if (this.queuedMessages + count > maxQueuedMessages || this.queuedBytes + bytes > maxQueuedBytes) return 'full'
    if (single) this.queue.push(items)
    else for (const item of items) this.queue.push(item)
    this.queueBytes += bytes
    if (this.state === 'open') this.scheduleFlush()
    return 'queued'
  }

  /** Write what is queued now rather than when the current run ends (no-op when nothing is). */
  flushNow(): void {
    if (this.flushScheduled) this.flush()
  }

  /** Called every ping interval: terminate after too many missed pongs, else ping. */
  tickPing(): void {
    const ws = this.ws
    if (this.state !== 'open' || ws === null) return
    if (this.missedPongs >= this.deps.limits.maxMissedPongs) {
      this.deps.logger.warn('peer missed pongs; terminating connection', {peer: this.deps.peer, missed: this.missedPongs})
      this.deps.counters.lastError = `missed ${this.missedPongs} pongs`
      ws.terminate()
      return
    }
    this.missedPongs++
    ws.ping()
  }

  /** Close for good: cancel timers, drop the queue, terminate the socket. Idempotent. */
  close(): Promise<void> {
    this.state = 'closed'
    this.cancelTimers()
    this.dropQueue()
    this.generation++
    const ws = this.ws
    this.ws = null
    if (ws === null || ws.readyState === WebSocket.CLOSED) return Promise.resolve()
    return new Promise((resolve) => {
      const fallback = setTimeout(resolve, CLOSE_FALLBACK_MS).unref()
      ws.once('close', () => {
        clearTimeout(fallback)
        resolve()
      })
      ws.terminate()
    })
  }

  private connect(): void {
    this.state = 'connecting'
    const generation = ++this.generation
    let ws: WebSocket
    try {
      ws = this.dial()
    } catch (error) {
      this.onError(generation, error instanceof Error ? error : new Error(String(error)))
      this.onClose(0, 'dial failed')
      return
    }
    this.ws = ws
    ws.on('open', () => this.current(generation) && this.onOpen())
    ws.on('pong', () => this.current(generation) && this.onPong())
    ws.on('message', (data: RawData) => this.current(generation) && this.onUnexpectedData(ws, data))
    ws.on('error', (error: Error) => this.onError(generation, error))
    ws.on('close', (code: number, reason: Buffer) => this.current(generation) && this.onClose(code, reason.toString()))
  }

  /** Open the WebSocket with the hello and secret headers. May throw synchronously (bad TLS options). */
  private dial(): WebSocket {
    const {deps} = this
    return new WebSocket(deps.url, {
      headers: {
        authorization: `Bearer ${deps.secret}`,
        [NODE_HEADER]: encodeIdHeader(deps.self),
        [TARGET_HEADER]: encodeIdHeader(deps.peer),
        ...(deps.clusterId === undefined ? {} : {[CLUSTER_HEADER]: encodeURIComponent(deps.clusterId)}),
      },
      perMessageDeflate: false,
      // An all-zero mask: ws then sends the payload as it is, with no copy and no XOR pass.
      // Masking guards browsers' intermediaries against forged requests; a node-to-node link
      // authenticated by the peer secret gains nothing from it.
      generateMask: keepZeroMask,
      maxPayload: OUTBOUND_MAX_PAYLOAD_BYTES,
      handshakeTimeout: deps.limits.handshakeTimeoutMs,
      followRedirects: false,
      ...deps.tls,
    })
  }

  private current(generation: number): boolean {
    return generation === this.generation && this.state !== 'closed'
  }

  private onOpen(): void {
    const {deps} = this
    this.state = 'open'
    this.attempt = 0
    this.missedPongs = 0
    deps.counters.connects++
    deps.counters.lastContact = deps.now()
    deps.logger.info('peer connected', {peer: deps.peer, url: deps.url})
    deps.onUp()
    if (this.queue.length > 0) this.scheduleFlush()
  }

  private onPong(): void {
    this.missedPongs = 0
    this.deps.counters.lastContact = this.deps.now()
  }

  /** The remote never sends data on a connection we dialled: that is a protocol violation. */
  private onUnexpectedData(ws: WebSocket, data: RawData): void {
    const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength
    this.deps.logger.warn('peer sent data on an outbound link; closing', {peer: this.deps.peer, bytes: size})
    ws.close(CLOSE_CODES.POLICY, 'no data expected on this direction')
  }

  private onError(generation: number, error: Error): void {
    if (generation !== this.generation) return
    const text = errorText(error)
    const {counters, logger, peer} = this.deps
    if (counters.lastError !== text) logger.warn('peer connection error', {peer, error: text})
    else logger.debug('peer connection error', {peer, error: text})
    counters.lastError = text
  }

  private onClose(code: number, reason: string): void {
    const wasOpen = this.state === 'open'
    this.ws = null
    this.generation++
    this.dropQueue()
    if (wasOpen) this.deps.logger.warn('peer connection lost', {peer: this.deps.peer, code, reason})
    this.deps.onDown()
    this.scheduleReconnect()
  }

  private scheduleReconnect(): void {
    if (this.state === 'closed') return
    this.state = 'backoff'
    this.attempt++
    const {reconnectMinMs, reconnectMaxMs} = this.deps.limits
    const delay = backoffDelay(this.attempt, reconnectMinMs, reconnectMaxMs, this.deps.random)
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined
      if (this.state === 'backoff') this.connect()
    }, delay).unref()
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return
    this.flushScheduled = true
    process.nextTick(() => this.flush())
  }

  /** Write everything queued, as few frames as the size limits allow (unless the flush was cancelled). */
  private flush(): void {
    if (!this.flushScheduled) return
    this.flushScheduled = false
    const ws = this.ws
    if (this.state !== 'open' || ws === null) return
    while (this.queue.length > 0) {
      const batch = this.takeBatch()
      const bytes = batch.reduce((n, m) => n + m.length, 0)
      this.queueBytes -= bytes
      this.inflightMessages += batch.length
      this.inflightBytes += bytes
      const generation = this.generation
      const frame = encodeFrame(batch, {maxBytes: this.deps.limits.maxPayload})
      if (tracing) mark('peer.send', frame.length)
      ws.send(frame, {binary: true}, (error) => this.onWritten(generation, batch.length, bytes, error))
    }
  }

  /** Remove and return the longest queue prefix that fits one frame (always at least one message). */
  private takeBatch(): Uint8Array[] {
    const {maxPayload} = this.deps.limits
    let size = FRAME_HEADER_BYTES
    let count = 0
    for (const message of this.queue) {
      const next = size + FRAME_MESSAGE_OVERHEAD + message.length
      if (count > 0 && (next > maxPayload || count >= MAX_MESSAGES_PER_FRAME)) break
      size = next
      count++
    }
    return this.queue.splice(0, count)
  }

  private onWritten(generation: number, count: number, bytes: number, error: Error | undefined | null): void {
    if (generation !== this.generation) return
    this.inflightMessages -= count
    this.inflightBytes -= bytes
    if (error) {
      this.deps.counters.droppedDisconnected += count
      return
    }
    this.deps.counters.sent += count
    this.deps.counters.framesSent++
    if (this.queuedMessages === 0 && this.state === 'open') this.deps.onDrained()
  }

  /** Count everything not yet written as dropped and forget it. */
  private dropQueue(): void {
    this.deps.counters.droppedDisconnected += this.queuedMessages
    this.queue = []
    this.queueBytes = 0
    this.inflightMessages = 0
    this.inflightBytes = 0
    this.flushScheduled = false
  }

  private cancelTimers(): void {
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer)
    this.reconnectTimer = undefined
    this.flushScheduled = false
  }
}

/** A ws mask generator that leaves the mask zero (ws skips masking for a zero mask). */
function keepZeroMask(): void {}
