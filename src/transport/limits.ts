/**
 * Every limit of the WebSocket transport as a named constant with its default (DESIGN.md §5:
 * "every limit is a named option with a documented default"). Protocol limits (node id length,
 * messages per frame, members per configuration) are fixed: both ends must agree on them.
 * Operational limits (payload, queues, timers) are per-node options collected in
 * {@link PeerLimits} / {@link ServerLimits} and resolved with {@link resolvePeerLimits}.
 * docs/transport.md lists them all.
 */

/** 1 KiB in bytes. */
export const KiB = 1024
/** 1 MiB in bytes. */
export const MiB = 1024 * KiB

// ---------------------------------------------------------------------------------------------
// Protocol limits (fixed; changing them changes the wire format's validity rules)
// ---------------------------------------------------------------------------------------------

/** Longest node id in UTF-8 bytes. Ids are 1..64 bytes of valid UTF-8. */
export const MAX_NODE_ID_BYTES = 64

/** Most messages one coalesced frame may carry. A frame announcing more is rejected. */
export const MAX_MESSAGES_PER_FRAME = 65_536

/** Most voters plus learners in one snapshot's configuration. */
export const MAX_CONF_MEMBERS = 1024

// ---------------------------------------------------------------------------------------------
// Operational limits (options; these are the defaults)
// ---------------------------------------------------------------------------------------------

/**
 * Largest WebSocket message (one frame) accepted on `/raft` (ws `maxPayload`) and largest
 * coalesced frame a sender builds: 2 MiB, bounded by what Raft sends whole. The largest such
 * message is an append of at most 1 MiB of entry data (the core's `maxAppendBytes`; a single
 * entry is at most `maxProposalBytes`, 1 MiB + 4 KiB) plus its headers, or one snapshot chunk
 * ({@link DEFAULT_SNAPSHOT_CHUNK_BYTES}) plus its header. A snapshot larger than a frame travels
 * as chunks and is reassembled by the receiver (bounded by {@link DEFAULT_MAX_SNAPSHOT_BYTES}).
 * A larger incoming frame closes the connection with code 1009 (ws refuses it from the frame
 * header, before reading the payload); a larger outgoing message that is not a snapshot is
 * dropped and counted (`droppedOversize`), never truncated.
 */
export const DEFAULT_MAX_PAYLOAD_BYTES = 2 * MiB

/**
 * Data bytes per chunk of a snapshot too large for one frame. The sender cuts the encoded
 * snapshot message into chunks of this size (or less when `maxPayload` leaves less room) and
 * the receiver reassembles them before decoding.
 */
export const DEFAULT_SNAPSHOT_CHUNK_BYTES = 1 * MiB

/**
 * Snapshot bytes one peer connection may have in flight at once: chunks handed to ws and not yet
 * written to the kernel. The sender hands the next chunk over only as earlier ones are written,
 * so a large snapshot never sits whole in the socket's buffers, and the peer's other messages
 * (heartbeats, appends, votes) go out between chunks instead of waiting behind the whole
 * snapshot. 8 MiB: eight 1 MiB chunks, enough to keep a loopback or LAN connection busy.
 */
export const DEFAULT_SNAPSHOT_WINDOW_BYTES = 8 * MiB

/**
 * Largest encoded snapshot message a node sends or reassembles: 512 MiB, twice the store's own
 * limit (`maxDataBytes`, 256 MiB of keys and values) to leave room for the encoding's per-key
 * overhead (a million 100-byte values encode to about 128 MiB). It was 64 MiB, what one message
 * could carry before snapshots were chunked: a follower of a 1M-key store then never caught up,
 * its leader dropping the snapshot over and over. A larger snapshot is dropped by the sender
 * (`droppedOversize`); a peer announcing a larger one has its connection closed (1008). This is
 * also the memory one inbound peer connection can hold in a reassembly.
 */
export const DEFAULT_MAX_SNAPSHOT_BYTES = 512 * MiB

/**
 * Most messages held per peer between `send()` and the socket write (queued in this turn plus
 * written to ws but not yet flushed to the kernel). Beyond it, messages are dropped and the
 * peer is reported unreachable.
 */
export const DEFAULT_MAX_QUEUED_MESSAGES = 4096

/**
 * Most encoded bytes held per peer (same accounting as {@link DEFAULT_MAX_QUEUED_MESSAGES}):
 * 64 MiB, the memory bound of one slow peer. A snapshot being sent counts only its chunks in
 * flight (at most {@link DEFAULT_SNAPSHOT_WINDOW_BYTES} plus one chunk): its bytes are the
 * core's own snapshot, referenced, not copied into the queue. (It was 576 MiB, one whole
 * encoded snapshot plus 64 MiB, while a snapshot was queued whole.)
 */
export const DEFAULT_MAX_QUEUED_BYTES = 64 * MiB

/** Interval between liveness pings on every peer connection, in milliseconds. */
export const DEFAULT_PING_INTERVAL_MS = 1000

/** A connection whose last this-many pings went unanswered is terminated (and redialled). */
export const DEFAULT_MAX_MISSED_PONGS = 2

/** First reconnect delay after a failure, in milliseconds (before jitter). */
export const DEFAULT_RECONNECT_MIN_MS = 50

/** Ceiling of the exponential reconnect delay, in milliseconds. */
export const DEFAULT_RECONNECT_MAX_MS = 2000

/** Time an outbound dial may take (TCP + TLS + HTTP upgrade) before it is aborted, in ms. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 5000

/**
 * Largest message accepted on an OUTBOUND peer connection. The remote never sends data on a
 * connection we dialled (only pongs), so this is small: a misbehaving peer cannot make us
 * buffer much.
 */
export const OUTBOUND_MAX_PAYLOAD_BYTES = 4 * KiB

/** Default ws `maxPayload` of a server route that does not set its own. */
export const DEFAULT_ROUTE_MAX_PAYLOAD_BYTES = 1 * MiB

/**
 * Most simultaneous AUTHENTICATED connections of one NodeServer: WebSockets whose upgrade
 * presented a valid secret. Counted apart from unauthenticated sockets, which have their own
 * small budget ({@link DEFAULT_MAX_PENDING_CONNECTIONS}) and can never use these slots. An
 * upgrade over the limit is refused with 503.
 */
export const DEFAULT_MAX_CONNECTIONS = 1024

/**
 * Most simultaneous UNAUTHENTICATED sockets of one NodeServer: TCP connections accepted and not
 * yet upgraded with a valid secret (TLS handshakes, half-sent requests, plain HTTP requests).
 * When the budget is full, a new socket evicts the oldest unauthenticated one: a flood of
 * half-sent requests cannot keep a real client from connecting and authenticating, and cannot
 * take authenticated slots ({@link DEFAULT_MAX_CONNECTIONS}) at all.
 *
 * Why not smaller: a legitimate burst (clients opening many connections at once, as `bench`
 * and `verify` can) is accepted whole before the first request is read, so a budget below the
 * burst evicts real clients. Measured on 127.0.0.1 with one client process: 16 per address lost
 * 5 of 50 simultaneous connections, 64 lost 36 of 100; 256 kept all of 400.
 */
export const DEFAULT_MAX_PENDING_CONNECTIONS = 1024

/** Most simultaneous unauthenticated sockets from one remote address (same eviction rule). */
export const DEFAULT_MAX_PENDING_PER_ADDRESS = 256

/**
 * Time an unauthenticated socket has, from TCP accept, to finish its TLS handshake and send a
 * complete, authenticated upgrade request (or a complete plain HTTP request), in ms. Then it is
 * destroyed.
 */
export const DEFAULT_AUTH_TIMEOUT_MS = 2000

/** Time a client has to send complete HTTP request headers (slowloris guard), in ms. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000

/** Time a client has to send a whole plain HTTP request, in ms. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000

/** Operational limits of a {@link PeerTransport}. Every field has a default above. */
export interface PeerLimits {
  /** See {@link DEFAULT_MAX_PAYLOAD_BYTES}. */
  readonly maxPayload: number
  /** See {@link DEFAULT_SNAPSHOT_CHUNK_BYTES}. */
  readonly snapshotChunkBytes: number
  /** See {@link DEFAULT_MAX_SNAPSHOT_BYTES}. */
  readonly maxSnapshotBytes: number
  /** See {@link DEFAULT_SNAPSHOT_WINDOW_BYTES}. */
  readonly snapshotWindowBytes: number
  /** See {@link DEFAULT_MAX_QUEUED_MESSAGES}. */
  readonly maxQueuedMessages: number
  /** See {@link DEFAULT_MAX_QUEUED_BYTES}. */
  readonly maxQueuedBytes: number
  /** See {@link DEFAULT_PING_INTERVAL_MS}. */
  readonly pingIntervalMs: number
  /** See {@link DEFAULT_MAX_MISSED_PONGS}. */
  readonly maxMissedPongs: number
  /** See {@link DEFAULT_RECONNECT_MIN_MS}. */
  readonly reconnectMinMs: number
  /** See {@link DEFAULT_RECONNECT_MAX_MS}. */
  readonly reconnectMaxMs: number
  /** See {@link DEFAULT_HANDSHAKE_TIMEOUT_MS}. */
  readonly handshakeTimeoutMs: number
}

/** The defaults of every {@link PeerLimits} field. */
export const DEFAULT_PEER_LIMITS: PeerLimits = Object.freeze({
  maxPayload: DEFAULT_MAX_PAYLOAD_BYTES,
  snapshotChunkBytes: DEFAULT_SNAPSHOT_CHUNK_BYTES,
  maxSnapshotBytes: DEFAULT_MAX_SNAPSHOT_BYTES,
  snapshotWindowBytes: DEFAULT_SNAPSHOT_WINDOW_BYTES,
  maxQueuedMessages: DEFAULT_MAX_QUEUED_MESSAGES,
  maxQueuedBytes: DEFAULT_MAX_QUEUED_BYTES,
  pingIntervalMs: DEFAULT_PING_INTERVAL_MS,
  maxMissedPongs: DEFAULT_MAX_MISSED_PONGS,
  reconnectMinMs: DEFAULT_RECONNECT_MIN_MS,
  reconnectMaxMs: DEFAULT_RECONNECT_MAX_MS,
  handshakeTimeoutMs: DEFAULT_HANDSHAKE_TIMEOUT_MS,
})

/**
 * Fill in defaults and validate: every limit must be a positive safe integer
 * (`maxMissedPongs` ≥ 1), `reconnectMinMs ≤ reconnectMaxMs`, `maxPayload` must leave room
 * for the frame header, and `maxSnapshotBytes` must be at least `maxPayload` (a snapshot that
 * fits one frame is never refused for its size). Throws `RangeError` naming the offending option.
 */
export function resolvePeerLimits(overrides: Partial<PeerLimits> = {}): PeerLimits {
  const limits: PeerLimits = {...DEFAULT_PEER_LIMITS, ...stripUndefined(overrides)}
  for (const [name, value] of Object.entries(limits)) {
    requirePositiveInteger(name, value)
  }
  if (limits.reconnectMinMs > limits.reconnectMaxMs) {
    throw new RangeError(`reconnectMinMs (${limits.reconnectMinMs}) exceeds reconnectMaxMs (${limits.reconnectMaxMs})`)
  }
  if (limits.maxPayload < 64) throw new RangeError(`maxPayload must be at least 64 bytes, got ${limits.maxPayload}`)
  if (limits.maxSnapshotBytes < limits.maxPayload) {
    throw new RangeError(`maxSnapshotBytes (${limits.maxSnapshotBytes}) is below maxPayload (${limits.maxPayload})`)
  }
  return Object.freeze(limits)
}

/** Throw `RangeError` unless `value` is a positive safe integer. */
export function requirePositiveInteger(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive integer, got ${String(value)}`)
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}
