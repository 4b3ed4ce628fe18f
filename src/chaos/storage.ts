/**
 * SlowStorage: a {@link Storage} decorator for the `disk` fault. Every durable write (`save`,
 * `saveSnapshot`) takes `delayMs()` longer, as if fsync were slow. The storage port is
 * synchronous, so the delay is a synchronous sleep, injected by the daemon (which blocks its
 * thread with Atomics.wait: a daemon stuck in fsync answers nothing, exactly like a real one).
 * Reads (`load`) and `close` are not slowed.
 */
import type {RecoveredState, Storage, StorageWrite} from '../replica/ports.js'
import type {Snapshot} from '../raft/types.js'

/** Options of a {@link SlowStorage}. */
export interface SlowStorageOptions {
  /** The extra time the next durable write takes, ms (0: none). Read once per write. */
  readonly delayMs: () => number
  /** Block the calling thread for `ms` milliseconds. */
  readonly sleep: (ms: number) => void
}

/** The slow-disk decorator. */
export class SlowStorage implements Storage {
  constructor(private readonly inner: Storage, private readonly options: SlowStorageOptions) {}

  load(): RecoveredState {
    return this.inner.load()
  }

  /** The inner save, then the injected delay (the write returns late, as with a slow fsync). */
  save(write: StorageWrite): void {
    this.inner.save(write)
    this.slow()
  }

  saveSnapshot(snapshot: Snapshot, compactTo: number): void {
    this.inner.saveSnapshot(snapshot, compactTo)
    this.slow()
  }

  close(): void {
    this.inner.close()
  }

  private slow(): void {
    const ms = this.options.delayMs()
    if (ms > 0) this.options.sleep(ms)
  }
}

/**
 * A synchronous sleep for the daemon: blocks the thread for `ms` with Atomics.wait on a
 * private SharedArrayBuffer (nothing ever notifies it, so it always times out).
 */
export function blockingSleep(ms: number): void {
  if (!(ms > 0)) return
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}
