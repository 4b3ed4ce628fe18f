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
  /** Snapshots whose last chunk was written (outbound; a snapshot that fits one frame is a plain message, not counted here). */
  snapshotsSent: number
  /**
   * Snapshots not sent because one to this peer was still being sent (outbound): the core re-sends
   * a snapshot every election timeout while the follower has not acknowledged it; a copy of the
   * one in flight (or another one, which would have to wait behind it) is dropped before it is
   * encoded. Not a loss: the one in flight carries on. Not counted in `dropped`.
   */
  droppedSnapshotInFlight: number
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
    droppedDisconnected: 0, droppedQueueFull: 0, droppedOversize: 0, snapshotsSent: 0, droppedSnapshotInFlight: 0, malformedFrames: 0,
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
  /** Index and term of the snapshot being sent in chunks (outbound), or null. */
  readonly snapshotInFlight: {readonly index: number; readonly term: number; readonly sentBytes: number; readonly totalBytes: number} | null
  /** Sum of the three drop counters (`droppedDisconnected`, `droppedQueueFull`, `droppedOversize`). */
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
