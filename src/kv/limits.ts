/**
 * The named limits of the key-value state machine and their defaults. Limits decide results
 * (an over-limit write is an error result), so every node of a cluster must run with the same
 * values, or replicas could diverge.
 */

/** Size limits checked when a command is decoded. All in UTF-8 bytes. */
export interface KvPayloadLimits {
  /** Longest key. Default 1 KiB (1024). */
  readonly maxKeyBytes: number
  /** Longest value, for `put`, `cas` and the operand and result of `append`. Default 1 MiB. */
  readonly maxValueBytes: number
  /** Longest session client id. Default 128. */
  readonly maxClientIdBytes: number
  /** Most compares, and most writes per branch, of one `txn`. Default 128 (as etcd's `--max-txn-ops`). */
  readonly maxTxnOps: number
}

/** Every option of {@link KvStateMachine}. */
export interface KvLimits extends KvPayloadLimits {
  /** Most client sessions kept; the least recently used (by log index) is evicted. Default 10000. */
  readonly maxSessions: number
  /**
   * Most bytes of keys plus values in the store; a write that would grow the store beyond it
   * fails with `STORAGE_FULL`. Default 256 MiB.
   */
  readonly maxDataBytes: number
}

/** Options of {@link KvStateMachine}: any subset of {@link KvLimits}. */
export type KvOptions = Partial<KvLimits>

/** The default of every limit. */
export const DEFAULT_KV_LIMITS: KvLimits = Object.freeze({
  maxKeyBytes: 1024,
  maxValueBytes: 1024 * 1024,
  maxClientIdBytes: 128,
  maxTxnOps: 128,
  maxSessions: 10_000,
  maxDataBytes: 256 * 1024 * 1024,
})

/**
 * Defaults filled in and every limit checked: each must be a positive safe integer.
 * Throws a RangeError naming the first bad option.
 */
export function resolveLimits(options: KvOptions = {}): KvLimits {
  const limits: Record<string, number> = {}
  for (const name of Object.keys(DEFAULT_KV_LIMITS) as (keyof KvLimits)[]) {
    const value = options[name] ?? DEFAULT_KV_LIMITS[name]
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`kv option ${name} must be a positive integer, got ${String(value)}`)
    }
    limits[name] = value
  }
  return Object.freeze(limits as unknown as KvLimits)
}
