/**
 * SlowStorage: a {@link Storage} decorator for the `disk` fault. Every durable write takes
 * `delayMs()` longer, as if fsync were slow. The synchronous writes (`save`, `saveSnapshot`)
 * sleep synchronously (the daemon blocks its thread with Atomics.wait: a daemon stuck in a
 * synchronous fsync answers nothing, exactly like a real one); `saveAsync` (when the inner store
 * has it) reports durability that much later through an injected timer, while the node goes on
 * taking requests and messages, as with a real slow background fsync. Reads (`load`) and
 * `close` are not slowed.
 */
import type {RecoveredState, Storage, StorageWrite} from '../replica/ports.js'
import type {Snapshot} from '../raft/types.js'

/** Options of a {@link SlowStorage}. */
export interface SlowStorageOptions {
  /** The extra time the next durable write takes, ms (0: none). Read once per write. */
  readonly delayMs: () => number
  /** Block the calling thread for `ms` milliseconds. */
  readonly sleep: (ms: number) => void
  /** Call `fn` after `ms` milliseconds without blocking (for `saveAsync`). */
  readonly after: (ms: number, fn: () => void) => void
}

/** The slow-disk decorator. Offers `saveAsync` exactly when the inner store does. */
export class SlowStorage implements Storage {
  readonly saveAsync?: (write: StorageWrite, done: (err: Error | null) => void) => void

  constructor(private readonly inner: Storage, private readonly options: SlowStorageOptions) {
    if (inner.saveAsync) this.saveAsync = (write, done) => this.slowAsync(inner.saveAsync!.bind(inner), write, done)
  }

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

  /** The inner store's background snapshot write, when it has one (not slowed: only batch syncs are). */
  get writeSnapshot(): Storage['writeSnapshot'] {
    return this.inner.writeSnapshot?.bind(this.inner)
  }

  /** Passed through, as writeSnapshot (no delay: the received file was synced as it arrived). */
  get adoptSnapshot(): Storage['adoptSnapshot'] {
    return this.inner.adoptSnapshot?.bind(this.inner)
  }

  close(): void {
    this.inner.close()
  }

  /** The inner asynchronous save; its success is reported `delayMs()` later (errors at once). */
  private slowAsync(save: NonNullable<Storage['saveAsync']>, write: StorageWrite, done: (err: Error | null) => void): void {
    const ms = this.options.delayMs()
    save(write, (err) => {
      if (err !== null || !(ms > 0)) return done(err)
      this.options.after(ms, () => done(null))
    })
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
