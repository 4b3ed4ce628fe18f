/**
 * Where a leader writes and syncs a batch: in its event loop, or with the `fdatasync` in libuv's
 * thread pool (pipelined group commit, docs/performance.md). Followers always sync in their loop
 * (`backgroundSaves: 'leader'`); this decides for the leader's own batches. The daemon's storage
 * port (src/daemon/node.ts) and the simulator's disks (src/sim, `loopSaves`) both call it, so the
 * seeds check the policy the daemon runs.
 */
import type {StorageWrite} from '../replica/ports.js'

/**
 * A leader's batch of at most this many entries is synced in its loop. One: at one write in
 * flight every batch holds one entry, and there the thread pool only adds hops (a worker thread
 * woken, then the loop woken back), each of which waits for a CPU on a busy machine. Batches of
 * concurrent clients are larger and keep the background sync (pipelining).
 */
export const LOOP_SAVE_MAX_ENTRIES = 1

/** ... and of at most this many bytes of entry data (64 KiB): a large value's write and sync stay off the loop. */
export const LOOP_SAVE_MAX_BYTES = 64 * 1024

/**
 * True when the leader should write and sync `write` in its loop instead of in the background:
 * no snapshot, at most {@link LOOP_SAVE_MAX_ENTRIES} entries of at most {@link LOOP_SAVE_MAX_BYTES},
 * and no chaos disk delay in force (a delayed sync in the loop would stop the leader's
 * heartbeats for the whole delay, which the slow-disk fault does not mean to do).
 */
export function savesInLoop(write: StorageWrite, fsyncDelayMs: number): boolean {
  if (write.snapshot !== undefined || fsyncDelayMs > 0 || write.entries.length > LOOP_SAVE_MAX_ENTRIES) return false
  let bytes = 0
  for (const e of write.entries) bytes += e.data.length
  return bytes <= LOOP_SAVE_MAX_BYTES
}
