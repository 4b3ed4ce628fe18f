/**
 * Per-peer counters of the peer transport and the shape `PeerTransport.stats()` returns.
 * Counters only grow; they live as long as the peer is configured or connected.
 */
import type {NodeId} from '../raft/types.js'

/** Mutable counters of one peer, shared by its outbound and inbound links. */
export interface PeerCounters {
  /** Messages written to the socket (outbound). */
  sent: number
  /** Frames written (outbound); `sent / framesSent` is the coalescing factor. */
  framesSent: number
  /** Messages received and delivered (inbound). */
  received: number
  /** Frames received (inbound). */
  framesReceived: number
  /** Messages dropped because no connection was open (or it broke before they were written). */
  droppedDisconnected: number
  /** Messages dropped because the per-peer queue was full. */
  droppedQueueFull: number
  /** Messages dropped because they were larger than `maxPayload` allows. */
  droppedOversize: number
  /** Inbound frames refused (undecodable, wrong from/to, text, oversized); each closed its connection. */
  malformedFrames: number
  /** Successful outbound connects. */
  connects: number
  /** Wall-clock ms (Date.now) of the last frame, pong or connect from this peer; null if never. */
  lastContact: number | null
  /** Last connection error seen, e.g. `Unexpected server response: 401`; null if none. */
  lastError: string | null
}

/** Fresh zeroed counters. */
export function newCounters(): PeerCounters {
  return {
    sent: 0, framesSent: 0, received: 0, framesReceived: 0,
    droppedDisconnected: 0, droppedQueueFull: 0, droppedOversize: 0, malformedFrames: 0,
    connects: 0, lastContact: null, lastError: null,
  }
}

/** One peer in {@link TransportStats}. */
export interface PeerStats extends Readonly<PeerCounters> {
  readonly id: NodeId
  /** Configured address, or null for a peer only known from an inbound connection. */
  readonly url: string | null
  /** The outbound (sending) connection is open. */
  readonly connected: boolean
  /** An inbound (receiving) connection from this peer is open. */
  readonly inboundConnected: boolean
  /** See `PeerTransport.isReachable`. */
  readonly reachable: boolean
  /** Messages accepted by send() and not yet written to the kernel. */
  readonly queued: number
  /** Bytes of those messages. */
  readonly queuedBytes: number
  /** Sum of the three drop counters. */
  readonly dropped: number
}

/** Snapshot of a PeerTransport's counters. */
export interface TransportStats {
  readonly self: NodeId
  /** Sorted by id. */
  readonly peers: readonly PeerStats[]
  /** Messages whose `to` is not a configured peer. */
  readonly droppedNoRoute: number
  /** Messages refused by the encoder (a bug upstream: bad ids, numbers, entries) or with `from` ≠ self. */
  readonly droppedInvalid: number
}
