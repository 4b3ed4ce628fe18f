/**
 * Loading a cluster with many keys fast, for the benchmarks that need a large state (bench:soak,
 * bench:size's catch-up): {@link PRELOAD_TXN_OPS} puts to one txn entry, a few txns in flight,
 * so that a million keys take about 7,800 entries instead of a million, and minutes instead of
 * a quarter of an hour on a busy machine.
 */
import {KvClient, type Endpoint} from '../client/index.js'
import type {ClientAccess} from '../cluster/handle.js'

/** Puts per preload txn: the daemon's default `maxTxnOps` (src/kv/limits.ts). */
export const PRELOAD_TXN_OPS = 128
/** Preload txns in flight, one KvClient each. */
export const PRELOAD_STREAMS = 8
/** One preload attempt's timeout, ms (generous: a snapshot of a large state may hold the leader a while). */
export const PRELOAD_TIMEOUT_MS = 10_000

/**
 * Write `${prefix}0` … `${prefix}${keys - 1}`, each once with `value`, through `endpoints`.
 * Rejects with the client's error when a txn fails after its retries.
 */
export async function preloadKeys(endpoints: readonly Endpoint[], access: ClientAccess, keys: number, prefix: string, value: string): Promise<void> {
  let next = 0
  const stream = async (): Promise<void> => {
    const client = new KvClient({endpoints, ...access, timeoutMs: PRELOAD_TIMEOUT_MS})
    try {
      while (next < keys) {
        const from = next
        next = Math.min(keys, next + PRELOAD_TXN_OPS)
        const success = Array.from({length: next - from}, (_, i) => ({op: 'put' as const, key: `${prefix}${from + i}`, value}))
        await client.txn({compare: [], success, failure: []})
      }
    } finally {
      await client.close()
    }
  }
  await Promise.all(Array.from({length: PRELOAD_STREAMS}, stream))
}
