/**
 * The replica's loop in the daemon: the tick timer, one Ready per event-loop turn for whatever
 * arrived in it ({@link ReplicaLoop.schedule}), the guard that turns a storage failure into a
 * clean stop, and waits on the replica's state (resolved after a Ready, aborted by an event).
 * Services call it to have their proposals processed; it knows nothing of requests.
 */
import type {RaftEvent, RaftStatus} from '../raft/index.js'
import type {Replica} from '../replica/replica.js'
import {StorageError} from '../storage/index.js'
import type {Logger} from './logger.js'

/** How many background syncs a stopping node waits for before it closes its files. */
export const FLUSH_ROUNDS = 4
/** The longest a stopping node waits for background syncs, ms. */
export const FLUSH_TIMEOUT_MS = 2_000

/** A wait on the replica's state that an event can abort. */
export class AbortedWait extends Error {
  constructor(readonly event: RaftEvent) {
    super(`aborted: ${event.type}`)
  }
}

/** Drives one replica on the Node.js event loop. */
export class ReplicaLoop {
  private ticker: NodeJS.Timeout | null = null
  private scheduled = false
  private stopping = false
  /** Checks run after every input the loop handled (waitFor's polls). */
  private readonly waiters = new Set<() => void>()
  /** Checks run on every core event (waitFor's aborts). */
  private readonly eventWaiters = new Set<(e: RaftEvent) => void>()
  /** Set when the loop stopped because of a storage failure. */
  fatal: Error | null = null

  /** `onFatal` is called once, after the loop stopped on a storage failure (the host stops the node). */
  constructor(private readonly replica: Replica<unknown>, private readonly logger: Logger, private readonly onFatal: (err: Error) => void) {}

  /** Tick every `tickMs`. */
  start(tickMs: number): void {
    this.ticker = setInterval(() => this.tick(), tickMs)
  }

  /** True once {@link stop} was called: no more ticks or scheduled Readies. */
  get stopped(): boolean {
    return this.stopping
  }

  /** Process pending work once, at the end of this event-loop turn (coalesces many inputs into one Ready). */
  schedule(): void {
    if (this.scheduled || this.stopping) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      this.guard(() => this.replica.process())
    })
  }

  /**
   * Run `fn` (an input to the replica), then the waits. Storage failures are fatal: the loop
   * records the error and hands it to `onFatal` (the node stops cleanly; its files stay consistent).
   */
  guard(fn: () => void): void {
    try {
      fn()
      if (this.waiters.size > 0) for (const w of [...this.waiters]) w()
    } catch (err) {
      if (err instanceof StorageError || err instanceof RangeError) {
        this.logger.error('storage failure: stopping the node', {code: (err as StorageError).code, error: err.message})
        this.fatal = err
        this.onFatal(err)
        return
      }
      throw err
    }
  }

  /** Hand a core event to the waits (the node calls this for every event). */
  event(e: RaftEvent): void {
    if (this.eventWaiters.size > 0) for (const w of [...this.eventWaiters]) w(e)
  }

  /**
   * Resolve when `check(status)` returns a value (now or after some later input); reject with
   * {@link AbortedWait} when `abort(event)` matches an event first. No timeout: callers race it.
   */
  waitFor<T>(check: (st: RaftStatus) => T | null, abort: (e: RaftEvent) => boolean): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const onEvent = (e: RaftEvent): void => {
        if (!abort(e)) return
        this.waiters.delete(poll)
        this.eventWaiters.delete(onEvent)
        reject(new AbortedWait(e))
      }
      const poll = (): void => {
        const v = check(this.replica.status())
        if (v === null) return
        this.waiters.delete(poll)
        this.eventWaiters.delete(onEvent)
        resolve(v)
      }
      this.waiters.add(poll)
      this.eventWaiters.add(onEvent)
      poll()
    })
  }

  /** Stop ticking and scheduling (the node then {@link flush}es and stops the replica). */
  stop(): void {
    this.stopping = true
    if (this.ticker) clearInterval(this.ticker)
  }

  /**
   * Finish pending work, waiting for batches syncing in the background: at most
   * {@link FLUSH_ROUNDS} batches and {@link FLUSH_TIMEOUT_MS} in all (a stuck disk must not keep
   * a SIGTERM from stopping the node; the WAL closes its file once the sync returns).
   */
  async flush(): Promise<void> {
    const deadline = Date.now() + FLUSH_TIMEOUT_MS
    for (let round = 0; round < FLUSH_ROUNDS && this.fatal === null; round++) {
      this.replica.process()
      const left = deadline - Date.now()
      if (!this.replica.syncing || left <= 0) return
      let timer: NodeJS.Timeout | undefined
      await new Promise<void>((resolve) => {
        timer = setTimeout(resolve, left)
        this.replica.whenIdle(resolve)
      })
      clearTimeout(timer)
    }
  }

  private tick(): void {
    if (this.stopping) return
    this.guard(() => this.replica.tick())
  }
}
