/**
 * PeerTransport: the replica's {@link Network} port over WebSockets.
 *
 * Topology: ONE CONNECTION PER DIRECTION. Each node dials an outbound connection to every peer
 * and only sends on it; it accepts inbound connections on `/raft` and only receives on them.
 * There is no dial race to resolve and no deduplication protocol; a newer inbound connection
 * from the same peer replaces the older one.
 *
 * Sending is synchronous and best-effort: `send()` encodes, checks the limits and queues; the
 * queue is flushed once per event-loop turn as one coalesced frame. Messages are dropped (never
 * buffered without bound) when the peer is unknown, the link is down, the queue is full, or the
 * message is larger than `maxPayload`; Raft retries. A drop marks the peer unreachable. A
 * snapshot larger than one frame is sent in chunks (at most `snapshotChunkBytes` each) cut from
 * the snapshot's own bytes as the link's window (`snapshotWindowBytes`) drains, with the peer's
 * other messages passing between them; the receiver reassembles it, up to `maxSnapshotBytes`.
 * While one is being sent to a peer, another snapshot to it (the core's re-send of the same one
 * every election timeout) is dropped before it is encoded and counted (`droppedSnapshotInFlight`).
 * Each chunk written marks the peer reachable again: a drop during a long snapshot does not
 * leave it shown unreachable until the snapshot's end.
 */
import type {IncomingMessage} from 'node:http'
import type {WebSocket} from 'ws'
import type {Message, NodeId} from '../raft/types.js'
import type {Network} from '../replica/ports.js'
import type {OpenSnapshotSink} from '../replica/snapshot-data.js'
import {
  CodecError, encodeMessage, encodeSnapshotHead, FRAME_HEADER_BYTES, FRAME_MESSAGE_OVERHEAD, isValidNodeId, MAX_CHUNK_HEADER_BYTES,
} from './codec.js'
import {InboundLink} from './inbound.js'
import {resolvePeerLimits} from './limits.js'
import type {PeerLimits} from './limits.js'
import {errorText, silentLogger} from './logger.js'
import type {TransportLogger} from './logger.js'
import {OutboundLink} from './outbound.js'
import {SnapshotSend} from './snapshot-send.js'
import {checkClusterHeader, CLOSE_CODES, headerNodeId, NODE_HEADER, normalizePeerUrl, RAFT_PATH, TARGET_HEADER} from './protocol.js'
import type {PeerTlsOptions} from './protocol.js'
import type {NodeServer, UpgradeRejection} from './server.js'
import {newCounters} from './stats.js'
import type {PeerCounters, PeerStats, TransportStats} from './stats.js'

/** Options of a {@link PeerTransport}. */
export interface PeerTransportOptions {
  /** This node's id (1..64 UTF-8 bytes). */
  readonly self: NodeId
  /**
   * The peer credential, sent as `Authorization: Bearer` when dialling another node's `/raft`:
   * the cluster's peer secret (or, for a node run without one, the shared cluster secret).
   */
  readonly secret: string
  /**
   * This node's cluster id: sent in the hello when dialling, and a peer whose hello names another
   * cluster is refused (HTTP 409, code `CLUSTER_MISMATCH`, logged with both ids). Absent:
   * unknown; nothing is sent or checked.
   */
  readonly clusterId?: string
  /** Initial peers: id → address (`ws://host:port`, `wss://…`; path defaults to `/raft`). Entries for `self` are ignored. */
  readonly peers?: ReadonlyMap<NodeId, string> | Iterable<readonly [NodeId, string]>
  /**
   * Receives every validated inbound message, in order per peer. Called from a ws event (never
   * from inside `send()`); a throw is logged and swallowed.
   */
  readonly onMessage: (message: Message) => void
  /** A peer became unreachable (connection failed or lost, or a message to it was dropped). Called asynchronously, once per transition. */
  readonly onUnreachable?: (peer: NodeId) => void
  /** A peer became reachable again (connected, or its queue drained after an overflow). Asynchronous, once per transition. */
  readonly onReachable?: (peer: NodeId) => void
  /**
   * A chunk of the snapshot at `index` (its meta index) to `peer` was written: it is still on its
   * way (or, after its last chunk, has left). Called from a ws write callback; a throw is logged.
   */
  readonly onSnapshotProgress?: (peer: NodeId, index: number, term: number) => void
  /**
   * Where a snapshot received in chunks goes as they arrive (the daemon: a temp file in its
   * snapshot folder, FileStorage.openSnapshotReceive); the delivered message's data are then what
   * the sink gives (a handle on the file). Absent: chunks are reassembled in memory. See inbound.ts.
   */
  readonly receiveSnapshot?: OpenSnapshotSink
  /** Overrides of the limits in limits.ts. */
  readonly limits?: Partial<PeerLimits>
  /** Client TLS options for dialling `wss://` peers. */
  readonly tls?: PeerTlsOptions
  readonly logger?: TransportLogger
  /** Jitter source in [0, 1). Default Math.random. */
  readonly random?: () => number
  /** Wall clock for `lastContact`. Default Date.now. */
  readonly now?: () => number
}

type Reachability = 'unknown' | 'reachable' | 'unreachable'

function snapshotInFlightOf(send: SnapshotSend | undefined): PeerStats['snapshotInFlight'] {
  return send === undefined ? null : {index: send.index, term: send.term, sentBytes: send.sentBytes, totalBytes: send.total}
}

function peerEntries(peers: PeerTransportOptions['peers']): Iterable<readonly [NodeId, string]> {
  if (peers === undefined) return []
  return peers instanceof Map ? peers.entries() : (peers as Iterable<readonly [NodeId, string]>)
}

/**
 * The Network port over WebSockets. Attach it to a {@link NodeServer} for inbound traffic
 * ({@link attach}); always {@link close} it (it clears every timer and socket).
 */
export class PeerTransport implements Network {
  /** This node's id. */
  readonly self: NodeId
  /** The resolved limits. */
  readonly limits: PeerLimits
  private readonly options: PeerTransportOptions
  private readonly logger: TransportLogger
  private readonly now: () => number
  private readonly outbound = new Map<NodeId, OutboundLink>()
  private readonly inbound = new Map<NodeId, InboundLink>()
  private readonly counters = new Map<NodeId, PeerCounters>()
  private readonly reachability = new Map<NodeId, Reachability>()
  private readonly pingTimer: NodeJS.Timeout
  private readonly maxMessageBytes: number
  /** Data bytes of one snapshot chunk: `snapshotChunkBytes`, or less when `maxPayload` leaves less room. */
  private readonly chunkBytes: number
  private server: NodeServer | undefined
  private closing: Promise<void> | undefined
  private droppedNoRoute = 0
  private droppedInvalid = 0

  /** Throws TypeError for an invalid `self`, empty secret or bad peer URL; RangeError for bad limits. */
  constructor(options: PeerTransportOptions) {
    if (!isValidNodeId(options.self)) throw new TypeError(`invalid node id for self: ${String(options.self)}`)
    if (typeof options.secret !== 'string' || options.secret.length === 0) throw new TypeError('PeerTransport needs a non-empty secret')
    this.options = options
    this.self = options.self
    this.limits = resolvePeerLimits(options.limits)
    this.logger = options.logger ?? silentLogger
    this.now = options.now ?? Date.now
    this.maxMessageBytes = this.limits.maxPayload - FRAME_HEADER_BYTES - FRAME_MESSAGE_OVERHEAD
    this.chunkBytes = Math.min(this.limits.snapshotChunkBytes, this.maxMessageBytes - MAX_CHUNK_HEADER_BYTES)
    this.pingTimer = setInterval(() => this.pingAll(), this.limits.pingIntervalMs).unref()
    for (const [id, url] of peerEntries(options.peers)) this.setPeer(id, url)
  }

  /**
   * Serve inbound peer connections on `server`'s `/raft` route (with this transport's
   * `maxPayload` and hello check). Throws if already attached or the route is taken.
   */
  attach(server: NodeServer): void {
    if (this.server !== undefined) throw new Error('PeerTransport is already attached to a server')
    server.route(RAFT_PATH, (ws, req) => this.acceptInbound(ws, req), {
      maxPayload: this.limits.maxPayload,
      peersOnly: true,
      verify: (req) => this.verifyHello(req),
    })
    this.server = server
  }

  /**
   * Add a peer or change its address (membership change). Starts dialling at once. Ignored for
   * `self`; a no-op when the address is unchanged. Throws TypeError for an invalid id or URL.
   */
  setPeer(id: NodeId, url: string): void {
    if (!isValidNodeId(id)) throw new TypeError(`invalid peer id: ${String(id)}`)
    const normalized = normalizePeerUrl(url)
    if (id === this.self || this.closing !== undefined) return
    const existing = this.outbound.get(id)
    if (existing?.url === normalized) return
    void existing?.close()
    const link = this.createLink(id, normalized)
    this.outbound.set(id, link)
    if (!this.reachability.has(id)) this.reachability.set(id, 'unknown')
    link.start()
  }

  /** Forget a peer: close its outbound link and drop its queue. Inbound connections from it stay until they close. */
  removePeer(id: NodeId): void {
    const link = this.outbound.get(id)
    if (link === undefined) return
    this.outbound.delete(id)
    this.reachability.delete(id)
    void link.close()
    if (!this.inbound.has(id)) this.counters.delete(id)
  }

  /** The configured peers (a copy): id → normalised URL. */
  peers(): Map<NodeId, string> {
    return new Map([...this.outbound].map(([id, link]) => [id, link.url]))
  }

  /**
   * Send one message to `message.to`. Synchronous and best-effort: never throws, never blocks.
   * Dropped (and counted) when the peer is unknown, `from` is not this node, the message is
   * invalid or too large, the link is down, or the queue is full; the last two mark the peer
   * unreachable.
   */
  send(message: Message): void {
    if (this.closing !== undefined) return
    const link = this.outbound.get(message.to)
    if (link === undefined) {
      this.droppedNoRoute++
      this.logger.debug('dropped message to unknown peer', {to: message.to, type: message.type})
      return
    }
    if (message.type === 'snapshot' && link.sendingSnapshot !== undefined) return this.dropSnapshotInFlight(message, link.sendingSnapshot)
    const items = this.encode(message, link)
    if (items === undefined) return
    const result = items instanceof SnapshotSend ? link.enqueueSnapshot(items) : link.enqueue(items)
    if (result === 'queued') return
    const counters = this.countersFor(message.to)
    if (result === 'full' || result === 'busy') counters.droppedQueueFull++
    else counters.droppedDisconnected++
    this.setReachability(message.to, 'unreachable')
  }

  /**
   * Write every queued message now instead of when the current synchronous run ends (the
   * replica calls this before a slow disk write, so its appends leave first).
   */
  flush(): void {
    for (const link of this.outbound.values()) link.flushNow()
  }

  /**
   * A snapshot to a peer that is still receiving one in chunks: not sent, counted. The same one
   * (the core re-sends it every election timeout until the follower acknowledges it) would be a
   * redundant copy; another one would have to wait behind it, and the core sends again if needed.
   */
  private dropSnapshotInFlight(message: Message & {type: 'snapshot'}, sending: SnapshotSend): void {
    this.countersFor(message.to).droppedSnapshotInFlight++
    this.logger.debug('snapshot not sent: one is still being sent to this peer', {
      to: message.to, index: message.snapshot.meta.index, term: message.snapshot.meta.term, same: sending.sameAs(message),
      sentBytes: sending.sentBytes, totalBytes: sending.total,
    })
  }

  /**
   * Encode for sending: one message's bytes, or a snapshot too large for one frame, or whose
   * data are in a file, as a {@link SnapshotSend} (its chunks are made, and read, as they are
   * sent). Counts the drop and returns undefined when the message is invalid or over its size limit.
   */
  private encode(message: Message, link: OutboundLink): Uint8Array | SnapshotSend | undefined {
    if (message.from !== this.self) {
      this.droppedInvalid++
      this.logger.error('dropped message whose from is not this node', {from: message.from, to: message.to})
      return undefined
    }
    const chunkable = message.type === 'snapshot' && this.chunkBytes > 0
    try {
      if (chunkable) {
        const head = encodeSnapshotHead(message, {maxBytes: this.limits.maxSnapshotBytes})
        const {data} = message.snapshot
        if (!(data instanceof Uint8Array) || head.length + data.length > this.maxMessageBytes) return new SnapshotSend(message, head, this.chunkBytes)
      }
      return encodeMessage(message, {maxBytes: this.maxMessageBytes})
    } catch (error) {
      if (error instanceof CodecError && error.code === 'PAYLOAD_TOO_LARGE') {
        this.countersFor(message.to).droppedOversize++
        const limit = chunkable ? {maxSnapshotBytes: this.limits.maxSnapshotBytes} : {maxPayload: this.limits.maxPayload}
        this.logger.warn('dropped message over its size limit', {to: message.to, type: message.type, ...limit, url: link.url})
      } else {
        this.droppedInvalid++
        this.logger.error('dropped message the codec refused', {to: message.to, type: message.type, error: errorText(error)})
      }
      return undefined
    }
  }

  /**
   * True while the outbound connection to `peer` is open and nothing to it has been dropped
   * since (a queue overflow clears it until the queue drains or, while a snapshot is being sent
   * to it, until its next chunk is written). False for unknown peers.
   */
  isReachable(peer: NodeId): boolean {
    return this.reachability.get(peer) === 'reachable'
  }

  /** Counters of every configured or connected peer. */
  stats(): TransportStats {
    const ids = [...new Set([...this.outbound.keys(), ...this.inbound.keys(), ...this.counters.keys()])].sort()
    return {
      self: this.self,
      peers: ids.map((id) => this.peerStats(id)),
      droppedNoRoute: this.droppedNoRoute,
      droppedInvalid: this.droppedInvalid,
    }
  }

  private peerStats(id: NodeId): PeerStats {
    const counters = this.countersFor(id)
    const link = this.outbound.get(id)
    return {
      ...counters,
      id,
      url: link?.url ?? null,
      connected: link?.connected ?? false,
      inboundConnected: this.inbound.has(id),
      reachable: this.isReachable(id),
      queued: link?.queuedMessages ?? 0,
      queuedBytes: link?.queuedBytes ?? 0,
      snapshotInFlight: snapshotInFlightOf(link?.sendingSnapshot),
      dropped: counters.droppedDisconnected + counters.droppedQueueFull + counters.droppedOversize,
    }
  }

  /**
   * Close every connection, clear every timer and unregister `/raft`. Idempotent; resolves when
   * the sockets are closed. `send()` is a no-op afterwards.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown()
    return this.closing
  }

  private async shutdown(): Promise<void> {
    clearInterval(this.pingTimer)
    this.server?.unroute(RAFT_PATH)
    const closing = [
      ...[...this.outbound.values()].map((link) => link.close()),
      ...[...this.inbound.values()].map((link) => link.terminate()),
    ]
    this.outbound.clear()
    this.inbound.clear()
    await Promise.all(closing)
  }

  private createLink(peer: NodeId, url: string): OutboundLink {
    const {options} = this
    return new OutboundLink({
      self: this.self,
      peer,
      url,
      secret: options.secret,
      clusterId: options.clusterId,
      limits: this.limits,
      tls: options.tls,
      logger: this.logger,
      random: options.random ?? Math.random,
      now: this.now,
      counters: this.countersFor(peer),
      onUp: () => this.setReachability(peer, 'reachable'),
      onDown: () => this.setReachability(peer, 'unreachable'),
      onDrained: () => this.setReachability(peer, 'reachable'),
      onSnapshotProgress: (index, term) => this.snapshotProgress(peer, index, term),
    })
  }

  /**
   * A chunk of the snapshot to `peer` was written to the kernel: the peer is taking data, so it
   * is reachable again even if a message to it was dropped since (a queue overflow would
   * otherwise keep it unreachable until the whole snapshot had left, `onDrained`), then the
   * driver is told the snapshot is still on its way.
   */
  private snapshotProgress(peer: NodeId, index: number, term: number): void {
    if (this.outbound.get(peer)?.connected === true) this.setReachability(peer, 'reachable')
    try {
      this.options.onSnapshotProgress?.(peer, index, term)
    } catch (error) {
      this.logger.error('onSnapshotProgress threw', {peer, error: errorText(error)})
    }
  }

  private countersFor(peer: NodeId): PeerCounters {
    let counters = this.counters.get(peer)
    if (counters === undefined) {
      counters = newCounters()
      this.counters.set(peer, counters)
    }
    return counters
  }

  /**
   * Record a transition and notify asynchronously (never from inside send()). Every transition
   * is reported, in order, even if a later one already happened: a drop must reach the driver.
   */
  private setReachability(peer: NodeId, next: 'reachable' | 'unreachable'): void {
    const previous = this.reachability.get(peer)
    if (previous === undefined || previous === next) return
    this.reachability.set(peer, next)
    const callback = next === 'reachable' ? this.options.onReachable : this.options.onUnreachable
    if (callback === undefined) return
    setImmediate(() => {
      if (this.closing !== undefined) return
      try {
        callback(peer)
      } catch (error) {
        this.logger.error('reachability callback threw', {peer, error: errorText(error)})
      }
    })
  }

  /** Pre-upgrade check of the hello headers on `/raft`. */
  private verifyHello(req: IncomingMessage): UpgradeRejection | undefined {
    if (this.closing !== undefined) return {status: 503, message: 'shutting down'}
    const from = headerNodeId(req, NODE_HEADER)
    if (from === undefined) return {status: 400, message: `missing or invalid ${NODE_HEADER} header`}
    if (from === this.self) return {status: 400, message: 'a node does not connect to itself'}
    const to = headerNodeId(req, TARGET_HEADER)
    if (to !== this.self) return {status: 421, message: `this is node ${this.self}; ${TARGET_HEADER} names another node`}
    const mismatch = checkClusterHeader(req, this.options.clusterId)
    if (mismatch === undefined) return undefined
    this.logger.warn('refused a peer of another cluster', {peer: from, code: 'CLUSTER_MISMATCH', clusterId: this.options.clusterId, peerClusterId: mismatch.theirs})
    return mismatch
  }

  private acceptInbound(ws: WebSocket, req: IncomingMessage): void {
    const peer = headerNodeId(req, NODE_HEADER)
    if (this.closing !== undefined || peer === undefined) {
      ws.terminate()
      return
    }
    this.inbound.get(peer)?.close(CLOSE_CODES.NORMAL, 'replaced by a newer connection')
    const link = new InboundLink(ws, peer, {
      self: this.self,
      limits: this.limits,
      logger: this.logger,
      now: this.now,
      counters: this.countersFor(peer),
      deliver: (messages) => this.deliver(messages),
      onClose: (closed) => this.onInboundClosed(closed),
      receiveSnapshot: this.options.receiveSnapshot,
    })
    this.inbound.set(peer, link)
    this.logger.info('inbound peer connected', {peer})
  }

  private onInboundClosed(link: InboundLink): void {
    if (this.inbound.get(link.peer) !== link) return
    this.inbound.delete(link.peer)
    if (!this.outbound.has(link.peer)) this.counters.delete(link.peer)
  }

  private deliver(messages: readonly Message[]): void {
    for (const message of messages) {
      try {
        this.options.onMessage(message)
      } catch (error) {
        this.logger.error('onMessage threw', {from: message.from, type: message.type, error: errorText(error)})
      }
    }
  }

  private pingAll(): void {
    for (const link of this.outbound.values()) link.tickPing()
    for (const link of this.inbound.values()) link.tickPing()
  }
}
