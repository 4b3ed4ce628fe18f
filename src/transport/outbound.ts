/**
 * OutboundLink: the sending connection from this node to one peer. It dials, keeps a bounded
 * queue, coalesces every message queued by one synchronous run (e.g. one Ready) into one frame,
 * written as soon as that run ends (process.nextTick, no extra event-loop turn), pings for
 * liveness, and redials with exponential backoff and jitter when the connection fails.
 *
 * States: connecting → open → (lost) backoff → connecting … ; closed is final.
 * Messages are accepted while connecting or open (bounded), dropped in backoff.
 *
 * A snapshot too large for one frame ({@link SnapshotSend}) is sent beside the queue, one chunk
 * per frame, with flow control: at most `snapshotWindowBytes` of its chunks are handed to ws and
 * not yet written to the kernel; the next go out as those are written. Every flush writes the
 * queued messages first, so heartbeats and appends pass the snapshot, waiting behind at most a
 * window of chunks. One snapshot at a time; it is dropped with the queue when the connection is.
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
import type {SnapshotSend} from './snapshot-send.js'
import {mark, tracing} from '../trace/latency.js'

/** What {@link OutboundLink.enqueue} did with a message ({@link OutboundLink.enqueueSnapshot} also: `busy`, another snapshot is being sent). */
export type EnqueueResult = 'queued' | 'disconnected' | 'full' | 'busy'

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
  /** A chunk of the snapshot at `index` (its meta index) was written to the kernel. */
  readonly onSnapshotProgress: (index: number, term: number) => void
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
  /** The snapshot being sent in chunks, until its last chunk is written (or the connection drops). */
  private snapshot: SnapshotSend | undefined
  /** Bytes of its chunks handed to ws and not yet written (part of {@link inflightBytes}). */
  private snapshotInflightBytes = 0

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

  /** The snapshot being sent in chunks, or undefined. */
  get sendingSnapshot(): SnapshotSend | undefined {
    return this.snapshot
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

  /**
   * Accept a snapshot to send in chunks as the window allows. `busy` while another one is being
   * sent (the caller decides: a copy of it is redundant); `disconnected` as {@link enqueue}.
   */
  enqueueSnapshot(send: SnapshotSend): EnqueueResult {
    if (this.state !== 'open' && this.state !== 'connecting') return 'disconnected'
    if (this.snapshot !== undefined) return 'busy'
    this.snapshot = send
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
    ws.on('ping', () => this.current(generation) && this.onPeerPing())
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
    if (this.queue.length > 0 || this.snapshot !== undefined) this.scheduleFlush()
  }

  private onPong(): void {
    this.missedPongs = 0
    this.deps.counters.lastContact = this.deps.now()
  }

  /**
   * The peer's end of this connection pinged us (its inbound link pings every interval, and
   * counts our frames as contact). That ping travels the other way from our data, so it arrives
   * while our own ping still waits behind a snapshot on a slow link, and it proves the peer and
   * the connection alive: without it a link slower than (window + socket buffers) / (pong
   * tolerance) was cut in the middle of every snapshot, and the snapshot never arrived.
   */
  private onPeerPing(): void {
    this.missedPongs = 0
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

  /** Write everything queued, as few frames as the size limits allow, then snapshot chunks as the window allows (unless the flush was cancelled). */
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
    this.sendChunks(ws)
  }

  /**
   * Hand the snapshot's next chunks to ws, one frame each, while its window has room and they
   * are read (a chunk still being read from the snapshot's file flushes again when it is).
   */
  private sendChunks(ws: WebSocket): void {
    const send = this.snapshot
    const {snapshotWindowBytes, maxPayload} = this.deps.limits
    while (send !== undefined && !send.done && this.snapshotInflightBytes < snapshotWindowBytes) {
      const item = send.next(() => this.onChunkRead(send))
      if (item === null) return this.onChunkRead(send, true)
      const last = send.done
      this.snapshotInflightBytes += item.length
      this.inflightMessages++
      this.inflightBytes += item.length
      const generation = this.generation
      ws.send(encodeFrame([item], {maxBytes: maxPayload}), {binary: true}, (error) => this.onChunkWritten(generation, send, item.length, last, error))
    }
  }

  /**
   * A chunk of `send` was read (or could not be: its file gone, an I/O error): flush it, or
   * drop the snapshot. Once some of it went out, the connection is closed too, so the peer
   * discards what it reassembled (the core re-sends a snapshot, the newest, when it re-probes).
   */
  private onChunkRead(send: SnapshotSend, waiting = false): void {
    if (this.snapshot !== send) return
    if (send.error === null) {
      if (!waiting && this.state === 'open') this.scheduleFlush()
      return
    }
    this.snapshot = undefined
    this.deps.counters.droppedDisconnected++
    this.deps.logger.warn('snapshot send abandoned: its data could not be read', {peer: this.deps.peer, index: send.index, sentBytes: send.sentBytes, error: send.error.message})
    if (send.sentBytes > 0) this.ws?.terminate()
  }

  /** A chunk reached the kernel: free its window room; the last one ends the snapshot. */
  private onChunkWritten(generation: number, send: SnapshotSend, bytes: number, last: boolean, error: Error | undefined | null): void {
    if (generation !== this.generation) return
    this.snapshotInflightBytes -= bytes
    if (!error && last && this.snapshot === send) {
      this.snapshot = undefined
      this.deps.counters.snapshotsSent++
    }
    this.onWritten(generation, 1, bytes, error)
    if (error) return
    // The kernel took a chunk: the peer's TCP is taking data, so the link is alive even when
    // the pong waits behind the window and the socket buffers (a slow link would otherwise be
    // cut by the missed-pong check mid-snapshot, every time). A hung peer stops taking data,
    // writes stop, and the pongs time out as before.
    this.missedPongs = 0
    this.deps.onSnapshotProgress(send.index, send.messageTerm)
    if (this.snapshot !== undefined && this.state === 'open') this.scheduleFlush()
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
    if (this.queuedMessages === 0 && this.snapshot === undefined && this.state === 'open') this.deps.onDrained()
  }

  /** Count everything not yet written as dropped and forget it. */
  private dropQueue(): void {
    this.deps.counters.droppedDisconnected += this.queuedMessages + (this.snapshot !== undefined && this.snapshotInflightBytes === 0 ? 1 : 0)
    this.snapshot?.release()
    this.snapshot = undefined
    this.snapshotInflightBytes = 0
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
