/**
 * InboundLink: a receiving connection from one peer, accepted on `/raft` after the server
 * authenticated it and the transport validated its hello. Every frame is decoded and checked
 * (binary only, decodable, every message `from` the hello's node and `to` this node) before any
 * message is delivered; a bad frame closes the connection (1007 undecodable, 1008 policy) and
 * is counted, it never throws out of a ws event handler. Snapshot chunks are reassembled here,
 * in order, up to `maxSnapshotBytes`, into one buffer of the announced size (no list of parts
 * and second copy); the whole must decode as one snapshot message, whose data is then a view of
 * that buffer (no third copy). Other messages may come
 * between the chunks of a snapshot (the sender lets heartbeats and appends pass it) and are
 * delivered at once; the snapshot is delivered when its last chunk arrives.
 */
import type {RawData, WebSocket} from 'ws'
import type {Message, NodeId} from '../raft/types.js'
import {CodecError, decodeFrameItems, decodeMessageInPlace} from './codec.js'
import type {FrameItem, SnapshotChunk} from './codec.js'
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
}

const CLOSE_FALLBACK_MS = 1000

/** Concatenate whatever ws hands us into one byte array. */
function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data)
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  return data
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
      messages = this.messagesOf(decodeFrameItems(toBytes(data), {maxBytes: this.deps.limits.maxPayload}))
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
    this.deps.onClose(this)
  }
}
