/**
 * InboundLink: a receiving connection from one peer, accepted on `/raft` after the server
 * authenticated it and the transport validated its hello. Every frame is decoded and checked
 * (binary only, decodable, every message `from` the hello's node and `to` this node) before any
 * message is delivered; a bad frame closes the connection (1007 undecodable, 1008 policy) and
 * is counted, it never throws out of a ws event handler. Snapshot chunks, in order, up to
 * `maxSnapshotBytes`:
 * - with a `receiveSnapshot` sink (the daemon: a temp file, src/storage/snapshot-receive.ts), the
 *   message's head is decoded from the first chunk(s) and its data are handed to the sink as they
 *   come (written in the thread pool); past {@link SNAPSHOT_RECEIVE_QUEUE_BYTES} not yet written
 *   the socket is paused until the disk catches up. After the last chunk the sink checks and
 *   syncs the file, then the snapshot (its data a handle on the file) is delivered; messages that
 *   come during that sync are delivered at once (see finishStreaming). A sink that fails (a full disk, a
 *   corrupt snapshot) removes its file; the snapshot is not delivered (a corrupt one also closes
 *   the connection, 1007), and the leader sends it again. A connection closed mid-way (the
 *   leader restarted, or was replaced) aborts the sink, which removes its file.
 * - without one, they are reassembled into one buffer of the announced size (no list of parts
 *   and second copy); the whole must decode as one snapshot message, whose data is then a view
 *   of that buffer (no third copy).
 * Other messages may come between the chunks of a snapshot (the sender lets heartbeats and
 * appends pass it) and are delivered at once; the snapshot is delivered when its last chunk arrives.
 */
import type {RawData, WebSocket} from 'ws'
import type {Message, NodeId} from '../raft/types.js'
import type {OpenSnapshotSink, SnapshotSink} from '../replica/snapshot-data.js'
import {CodecError, decodeFrameItems, decodeMessageInPlace, decodeSnapshotHead, MAX_SNAPSHOT_HEAD_BYTES} from './codec.js'
import type {FrameItem, SnapshotChunk, SnapshotHead} from './codec.js'
import type {PeerLimits} from './limits.js'
import {errorText} from './logger.js'
import type {TransportLogger} from './logger.js'
import {CLOSE_CODES} from './protocol.js'
import type {PeerCounters} from './stats.js'
import {mark, tracing} from '../trace/latency.js'

/** Everything an InboundLink needs from its transport. */
export interface InboundLinkDeps {
  readonly self: NodeId
  readonly limits: PeerLimits
  readonly logger: TransportLogger
  readonly now: () => number
  readonly counters: PeerCounters
  /** Deliver one validated frame's messages, in order. */
  readonly deliver: (messages: readonly Message[]) => void
  /** The connection closed (for whatever reason). */
  readonly onClose: (link: InboundLink) => void
  /** Where a chunked snapshot's data go as they arrive (a file); absent: reassembled in memory. */
  readonly receiveSnapshot?: OpenSnapshotSink
}

/**
 * Snapshot data bytes a connection may have handed to its sink and not yet written: 8 MiB (eight
 * 1 MiB chunks). Past it the socket is paused (the sender's window then fills and it waits), so a
 * disk slower than the network never lets received chunks pile up in memory.
 */
export const SNAPSHOT_RECEIVE_QUEUE_BYTES = 8 * 1024 * 1024

/** A chunked snapshot whose data stream to a sink. */
interface Streaming {
  /** Bytes of the whole encoded message. */
  readonly total: number
  /** Message bytes received so far. */
  received: number
  /** The first bytes, until the head decodes. */
  prefix: Uint8Array
  head: SnapshotHead | null
  /** Null once abandoned (the rest of its chunks are dropped) or not opened. */
  sink: SnapshotSink | null
  /** Data bytes handed to the sink and not yet written. */
  queued: number
}

const CLOSE_FALLBACK_MS = 1000

/** Concatenate whatever ws hands us into one byte array. */
function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data)
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  return data
}

/** `a` then `b` in one array (`b` itself when `a` is empty). */
function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b
  const out = new Uint8Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}

/** Bytes of whatever ws hands us. */
function byteLength(data: RawData): number {
  return Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength
}

/** A frame the link refuses: the close code and the reason sent with it. */
class Refusal {
  constructor(readonly code: number, readonly reason: string, readonly detail?: string) {}
}

/** A snapshot being reassembled from its chunks. */
interface Assembly {
  /** Announced size; the chunks are copied in here, and the snapshot's data is a view of it (no copy). */
  readonly bytes: Uint8Array
  received: number
}

/** One receiving connection from {@link InboundLink.peer}. */
export class InboundLink {
  private missedPongs = 0
  /** Set once we decided to close: later frames are ignored. */
  private closing = false
  private closed = false
  /** The snapshot whose chunks are arriving, if any (one at a time per connection, in order). */
  private assembly: Assembly | undefined
  /** The same with a sink ({@link InboundLinkDeps.receiveSnapshot}). */
  private streaming: Streaming | undefined
  /** The items of the frame being processed, in order. */
  private backlog: FrameItem[] = []
  /** True while the socket is paused for a sink that fell behind. */
  private paused = false

  constructor(private readonly ws: WebSocket, readonly peer: NodeId, private readonly deps: InboundLinkDeps) {
    deps.counters.lastContact = deps.now()
    ws.on('message', (data: RawData, isBinary: boolean) => this.onFrame(data, isBinary))
    ws.on('pong', () => this.onPong())
    ws.on('error', (error: Error) => this.onError(error))
    ws.on('close', () => this.onClose())
  }

  /** Called every ping interval: terminate after too many missed pongs, else ping. */
  tickPing(): void {
    if (this.closing || this.closed) return
    if (this.missedPongs >= this.deps.limits.maxMissedPongs) {
      this.deps.logger.warn('inbound peer missed pongs; terminating', {peer: this.peer})
      this.closing = true
      this.ws.terminate()
      return
    }
    this.missedPongs++
    this.ws.ping()
  }

  /** Close with a code (e.g. replaced by a newer connection). Later frames are ignored. */
  close(code: number, reason: string): void {
    if (this.closing || this.closed) return
    this.closing = true
    this.abandonStreaming()
    this.ws.close(code, reason)
  }

  /** Terminate at once; resolves when the socket is closed. */
  terminate(): Promise<void> {
    this.closing = true
    if (this.closed) return Promise.resolve()
    return new Promise((resolve) => {
      const fallback = setTimeout(resolve, CLOSE_FALLBACK_MS).unref()
      this.ws.once('close', () => {
        clearTimeout(fallback)
        resolve()
      })
      this.ws.terminate()
    })
  }

  private onFrame(data: RawData, isBinary: boolean): void {
    if (tracing) mark('peer.recv', byteLength(data))
    if (this.closing || this.closed) return
    if (!isBinary) return this.refuse(CLOSE_CODES.POLICY, 'text frames are not accepted')
    let messages: Message[]
    try {
      const items = decodeFrameItems(toBytes(data), {maxBytes: this.deps.limits.maxPayload})
      if (this.deps.receiveSnapshot !== undefined) return this.onItems(items)
      messages = this.messagesOf(items)
    } catch (error) {
      if (error instanceof Refusal) return this.refuse(error.code, error.reason, error.detail)
      const code = error instanceof CodecError ? error.code : 'BAD_FRAME'
      return this.refuse(CLOSE_CODES.INVALID_PAYLOAD, code, errorText(error))
    }
    const {counters} = this.deps
    counters.framesReceived++
    counters.received += messages.length
    counters.lastContact = this.deps.now()
    this.missedPongs = 0
    this.deps.deliver(messages)
  }

  /**
   * The messages a frame completes: its messages, and a snapshot whose last chunk it carries.
   * Throws {@link Refusal} (or CodecError for a reassembled message that does not decode).
   */
  private messagesOf(items: readonly FrameItem[]): Message[] {
    const messages: Message[] = []
    for (const item of items) {
      if (item.from !== this.peer || item.to !== this.deps.self) throw new Refusal(CLOSE_CODES.POLICY, 'message from/to does not match the connection')
      if (item.type === 'snapshotChunk') {
        const whole = this.addChunk(item)
        if (whole !== undefined) messages.push(whole)
      } else {
        messages.push(item)
      }
    }
    return messages
  }

  /** A frame's items with a sink: counted, then processed in order (after any backlog). */
  private onItems(items: readonly FrameItem[]): void {
    for (const item of items) {
      if (item.from !== this.peer || item.to !== this.deps.self) throw new Refusal(CLOSE_CODES.POLICY, 'message from/to does not match the connection')
    }
    const {counters} = this.deps
    counters.framesReceived++
    counters.received += items.filter((item) => item.type !== 'snapshotChunk').length
    counters.lastContact = this.deps.now()
    this.missedPongs = 0
    this.backlog.push(...items)
    this.drain()
  }

  /** Deliver and stream the backlog's items in order, until it is empty (items after a finished snapshot's last chunk go out before it: see finishStreaming). */
  private drain(): void {
    const ready: Message[] = []
    try {
      while (!this.closing && this.backlog.length > 0) {
        const item = this.backlog.shift()!
        if (item.type !== 'snapshotChunk') ready.push(item)
        else this.streamChunk(item, ready)
      }
    } catch (error) {
      this.backlog = []
      if (error instanceof Refusal) return this.refuse(error.code, error.reason, error.detail)
      const code = error instanceof CodecError ? error.code : 'BAD_FRAME'
      return this.refuse(CLOSE_CODES.INVALID_PAYLOAD, code, errorText(error))
    }
    if (ready.length > 0) this.deps.deliver(ready)
  }

  /** One chunk of a snapshot streamed to a sink; `ready` (messages before it) is delivered before a finishing snapshot. */
  private streamChunk(chunk: SnapshotChunk, ready: Message[]): void {
    const streaming = this.streaming ?? this.startStreaming(chunk)
    if (chunk.total !== streaming.total || chunk.offset !== streaming.received) throw new Refusal(CLOSE_CODES.POLICY, 'snapshot chunk out of order')
    streaming.received += chunk.data.length
    let data = chunk.data
    if (streaming.head === null) {
      const prefix = concat(streaming.prefix, data)
      streaming.head = decodeSnapshotHead(prefix, streaming.total)
      if (streaming.head === null) {
        if (prefix.length >= MAX_SNAPSHOT_HEAD_BYTES) throw new Refusal(CLOSE_CODES.POLICY, 'snapshot head too long')
        streaming.prefix = prefix
        return
      }
      const {head} = streaming
      if (head.from !== this.peer || head.to !== this.deps.self) throw new Refusal(CLOSE_CODES.POLICY, 'message from/to does not match the connection')
      streaming.prefix = new Uint8Array(0)
      data = prefix.subarray(head.headBytes)
      streaming.sink = this.openSink(head)
    }
    if (data.length > 0 && streaming.sink !== null) this.writeToSink(streaming, data)
    if (streaming.received < streaming.total) return
    this.streaming = undefined
    this.updatePause(undefined)
    if (streaming.sink === null) return
    if (ready.length > 0) this.deps.deliver(ready.splice(0))
    this.finishStreaming(streaming.sink, streaming.head!)
  }

  private startStreaming(chunk: SnapshotChunk): Streaming {
    const {maxSnapshotBytes} = this.deps.limits
    if (chunk.offset !== 0) throw new Refusal(CLOSE_CODES.POLICY, 'a chunked snapshot must start at offset 0')
    if (chunk.total > maxSnapshotBytes) {
      throw new Refusal(CLOSE_CODES.POLICY, 'chunked snapshot over maxSnapshotBytes', `announced ${chunk.total} bytes, over maxSnapshotBytes ${maxSnapshotBytes}`)
    }
    this.streaming = {total: chunk.total, received: 0, prefix: new Uint8Array(0), head: null, sink: null, queued: 0}
    return this.streaming
  }

  /** The sink for the snapshot `head` announces, or null when it cannot be opened (its chunks are then dropped: a warning). */
  private openSink(head: SnapshotHead): SnapshotSink | null {
    try {
      return this.deps.receiveSnapshot!(head.meta, head.dataBytes)
    } catch (error) {
      this.dropSnapshot(head, 'cannot store it', error)
      return null
    }
  }

  private writeToSink(streaming: Streaming, data: Uint8Array): void {
    const sink = streaming.sink!
    streaming.queued += data.length
    sink.write(data, (err) => {
      streaming.queued -= data.length
      if (err !== null && streaming.sink === sink) {
        streaming.sink = null
        sink.abort()
        this.dropSnapshot(streaming.head!, 'cannot store it', err)
      }
      this.updatePause(streaming)
    })
    this.updatePause(streaming)
  }

  /**
   * Every chunk is in: the sink checks and syncs the file (in the thread pool), then the snapshot
   * is delivered. Messages that come meanwhile are delivered at once, before it (the leader's
   * heartbeats keep this node from timing out during a sync of a large file; Raft tolerates the
   * reordering, and a leader sends this node no entries until it acknowledged the snapshot).
   */
  private finishStreaming(sink: SnapshotSink, head: SnapshotHead): void {
    sink.finish((err, data) => {
      if (err !== null || data === null) {
        this.dropSnapshot(head, 'refused', err)
        if ((err as {code?: string} | null)?.code === 'CORRUPT' && !this.closing) this.refuse(CLOSE_CODES.INVALID_PAYLOAD, 'corrupt snapshot', errorText(err))
        return
      }
      this.deps.deliver([{type: 'snapshot', from: head.from, to: head.to, term: head.term, snapshot: {meta: head.meta, data}}])
    })
  }

  /** Pause the socket while the sink of the snapshot being received is behind by more than {@link SNAPSHOT_RECEIVE_QUEUE_BYTES}; resume after. */
  private updatePause(streaming: Streaming | undefined): void {
    const pause = streaming !== undefined && this.streaming === streaming && streaming.queued > SNAPSHOT_RECEIVE_QUEUE_BYTES
    if (pause === this.paused || this.closed) return
    this.paused = pause
    if (pause) this.ws.pause()
    else this.ws.resume()
  }

  /** A snapshot whose data cannot be kept: logged and counted; its remaining chunks are dropped. */
  private dropSnapshot(head: SnapshotHead, why: string, error: unknown): void {
    this.deps.counters.lastError = `snapshot ${head.meta.index} from ${this.peer} ${why}: ${errorText(error)}`
    this.deps.logger.warn(`snapshot from peer ${why}; dropped (the leader sends it again)`, {peer: this.peer, index: head.meta.index, term: head.meta.term, error: errorText(error)})
  }

  /** Abort a snapshot being streamed (the connection is going away): its sink removes its file. */
  private abandonStreaming(): void {
    const sink = this.streaming?.sink
    this.streaming = undefined
    this.backlog = []
    sink?.abort()
    // A paused socket reads neither the peer's close frame nor its FIN: a close would then wait
    // for ws's 30 s close timer, on both ends. (Frames read from now on are ignored: closing.)
    if (this.paused && !this.closed) {
      this.paused = false
      this.ws.resume()
    }
  }

  /** Add a chunk to the assembly; returns the snapshot message once the last chunk is in. */
  private addChunk(chunk: SnapshotChunk): Message | undefined {
    const {maxSnapshotBytes} = this.deps.limits
    if (this.assembly === undefined) {
      if (chunk.offset !== 0) throw new Refusal(CLOSE_CODES.POLICY, 'a chunked snapshot must start at offset 0')
      if (chunk.total > maxSnapshotBytes) {
        throw new Refusal(CLOSE_CODES.POLICY, 'chunked snapshot over maxSnapshotBytes', `announced ${chunk.total} bytes, over maxSnapshotBytes ${maxSnapshotBytes}`)
      }
      this.assembly = {bytes: new Uint8Array(chunk.total), received: 0}
    }
    const assembly = this.assembly
    if (chunk.total !== assembly.bytes.length || chunk.offset !== assembly.received) {
      throw new Refusal(CLOSE_CODES.POLICY, 'snapshot chunk out of order')
    }
    assembly.bytes.set(chunk.data, chunk.offset)
    assembly.received += chunk.data.length
    if (assembly.received < assembly.bytes.length) return undefined
    this.assembly = undefined
    const message = decodeMessageInPlace(assembly.bytes, {maxBytes: maxSnapshotBytes})
    if (message.type !== 'snapshot') throw new Refusal(CLOSE_CODES.POLICY, `chunks carried a ${message.type} message, not a snapshot`)
    if (message.from !== this.peer || message.to !== this.deps.self) throw new Refusal(CLOSE_CODES.POLICY, 'message from/to does not match the connection')
    return message
  }

  /** Count a refused frame and close the connection with `code`. */
  private refuse(code: number, reason: string, detail?: string): void {
    this.deps.counters.malformedFrames++
    this.deps.counters.lastError = detail ?? reason
    this.deps.logger.warn('refused frame from peer; closing connection', {peer: this.peer, code, reason, detail})
    this.close(code, reason)
  }

  private onPong(): void {
    this.missedPongs = 0
    this.deps.counters.lastContact = this.deps.now()
  }

  /** ws reports protocol errors (oversized frame → 1009, bad opcode, …) here, then closes. */
  private onError(error: Error): void {
    this.deps.counters.malformedFrames++
    this.deps.counters.lastError = errorText(error)
    this.deps.logger.warn('inbound peer connection error', {peer: this.peer, error: errorText(error)})
    this.closing = true
  }

  private onClose(): void {
    this.closed = true
    this.closing = true
    this.abandonStreaming()
    this.deps.onClose(this)
  }
}
