/**
 * The named size limits of the client and admin protocol (DESIGN.md §5: every limit is a named
 * option with a documented default). The byte limits of keys, values and client ids match the
 * defaults of the key-value state machine (docs/kv.md), so a request that passes here is not
 * refused by the state machine for size. Fixed protocol constants (node id and address
 * lengths, list sizes) are not options: every node and client must agree on them.
 */

/** 1 KiB in bytes. */
const KiB = 1024

/** Size limits checked by `parseRequest`. All in UTF-8 bytes. */
export interface ProtocolLimits {
  /** Longest key. Default 1 KiB (1024), as the state machine's `maxKeyBytes`. */
  readonly maxKeyBytes: number
  /** Longest value (`put`, `append`, `cas` value and expected). Default 1 MiB (1048576). */
  readonly maxValueBytes: number
  /** Longest session client id. Default 128, as the state machine's `maxClientIdBytes`. */
  readonly maxClientIdBytes: number
  /**
   * Longest frame (one JSON text). Default 8 MiB (8388608): room for a value at `maxValueBytes`
   * even if every byte of it is a JSON escape (`\u0000`, 6 bytes). Also the ws `maxPayload` to use.
   */
  readonly maxFrameBytes: number
}

/** The default of every {@link ProtocolLimits} option. */
export const DEFAULT_PROTOCOL_LIMITS: ProtocolLimits = Object.freeze({
  maxKeyBytes: KiB,
  maxValueBytes: KiB * KiB,
  maxClientIdBytes: 128,
  maxFrameBytes: 8 * KiB * KiB,
})

/** Longest node id in UTF-8 bytes (fixed; the same rule as the peer transport). */
export const MAX_NODE_ID_BYTES = 64

/** Longest node address (a URL or `host:port`) in UTF-8 bytes (fixed). */
export const MAX_ADDRESS_BYTES = 2048

/** Most members listed in one configuration, and most items in any list of a message (fixed). */
export const MAX_LIST_ITEMS = 1024

/**
 * Most keys one `range` answer lists (fixed): the largest `limit` a request may ask for, and
 * the limit when it asks for none. `count` still counts every key of the range.
 */
export const MAX_RANGE_LIMIT = 10_000

/**
 * Byte budget of the keys one `range` answer lists, measured as their JSON text (fixed, 1 MiB):
 * a daemon stops listing before the key that would pass it and answers `more: true`, so a range
 * over a huge store never builds an unbounded frame. The first key is always listed (at most
 * about 6 × (maxKeyBytes + maxValueBytes) bytes, the JSON escapes of the worst value).
 */
export const MAX_RANGE_RESPONSE_BYTES = KiB * KiB

/**
 * Bytes of KV snapshot one `snapshot.chunk` answer carries at most (fixed, 256 KiB): base64
 * makes it about 342 KiB of JSON, well inside the default frame limit.
 */
export const SNAPSHOT_CHUNK_BYTES = 256 * KiB

/**
 * Defaults filled in and every limit checked: each must be a positive safe integer.
 * Throws a RangeError naming the first bad option (a programming error, not untrusted input).
 */
export function resolveProtocolLimits(options: Partial<ProtocolLimits> = {}): ProtocolLimits {
  const limits: Record<string, number> = {}
  for (const name of Object.keys(DEFAULT_PROTOCOL_LIMITS) as (keyof ProtocolLimits)[]) {
    const value = options[name] ?? DEFAULT_PROTOCOL_LIMITS[name]
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`protocol limit ${name} must be a positive integer, got ${String(value)}`)
    }
    limits[name] = value
  }
  return Object.freeze(limits as unknown as ProtocolLimits)
}

/** Most items of each list of a `txn` (compares, success, failure): 128, the state machine's default `maxTxnOps`. */
export const MAX_TXN_OPS = 128

/** Most changes in one `watch` event frame; an entry with more continues in the next (`more: true`). */
export const WATCH_FRAME_CHANGES = 1000

/**
 * How often a node tells each watch that has nothing unsent its progress (a `watchProgress`
 * event: its applied index and how long it has heard no leader): 1 s. A client resumes from after
 * the index, leaves a node that hears no leader, and takes a connection that brings nothing (no
 * change, no progress) for several of these intervals for a node that hangs (docs/kv.md, Watch).
 */
export const WATCH_PROGRESS_MS = 1000
