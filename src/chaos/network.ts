/**
 * ChaosNetwork: a {@link Network} decorator that applies network faults (partition, drop,
 * delay with jitter, duplicate, reorder) to the messages a node sends, before handing them to
 * the real network. The fate of each message is `decideFate` (faults.ts), the same function
 * the simulator uses. Time, timers and randomness are injected, so tests drive it with a fake
 * clock; the daemon passes Date.now, setTimeout and Math.random.
 *
 * Messages that must wait (delay, reorder, the second copy of a duplicate) are held in timers,
 * at most `maxPending` at once; a message that would go over the limit is dropped and counted
 * in `stats().overflowed` (Raft tolerates loss; nothing tolerates unbounded memory).
 */
import type {Message} from '../raft/types.js'
import type {Network} from '../replica/ports.js'
import {activeFaults, decideFate, type Fault, type Random} from './faults.js'

/** Where the decorator reads the faults in force (e.g. a {@link FaultRegistry}). */
export interface FaultSource {
  /** The network faults in force, in order. Called on every message: keep it cheap. */
  networkFaults(): readonly Fault[]
  /** Told when a fault acted on a message (optional). */
  hit?(fault: Fault): void
}

/** A timer facility (setTimeout / clearTimeout, or a fake one in tests). */
export interface Timers {
  set(callback: () => void, ms: number): unknown
  clear(handle: unknown): void
}

/** Defaults of {@link ChaosNetworkOptions}. */
export const CHAOS_NETWORK_DEFAULTS = {
  /** Most messages held back (delayed, reordered, duplicated) at once. */
  maxPending: 10_000,
} as const

/** Options of a {@link ChaosNetwork}. */
export interface ChaosNetworkOptions {
  /** The network the messages finally go to. */
  readonly inner: Network
  readonly faults: FaultSource
  /** Milliseconds: faults whose `until` is at or before now are ignored. */
  readonly now: () => number
  readonly timers: Timers
  /** Uniform in [0, 1). */
  readonly random: Random
  /** Most messages held back at once (default {@link CHAOS_NETWORK_DEFAULTS.maxPending}); over it, dropped. */
  readonly maxPending?: number
  /** Told when a message is dropped because `maxPending` messages are already held (must not throw). */
  readonly onOverflow?: (message: Message) => void
}

/** Counters of a {@link ChaosNetwork}. */
export interface ChaosNetworkStats {
  /** Messages given to `send`. */
  readonly offered: number
  /** Deliveries handed to the inner network (a duplicate counts twice). */
  readonly delivered: number
  /** Messages dropped by a partition or a drop fault. */
  readonly dropped: number
  /** Deliveries held back in a timer (delay, reorder, duplicates). */
  readonly held: number
  /** Deliveries dropped because `maxPending` were already held. */
  readonly overflowed: number
  /** Deliveries held right now. */
  readonly pending: number
}

/** The chaos decorator of one node's outgoing network. */
export class ChaosNetwork implements Network {
  private readonly o: ChaosNetworkOptions
  private readonly maxPending: number
  private readonly timers = new Set<unknown>()
  private closed = false
  private offered = 0
  private delivered = 0
  private dropped = 0
  private held = 0
  private overflowed = 0
  private readonly onHit: ((fault: Fault) => void) | undefined

  constructor(options: ChaosNetworkOptions) {
    this.o = options
    this.maxPending = options.maxPending ?? CHAOS_NETWORK_DEFAULTS.maxPending
    if (!(Number.isInteger(this.maxPending) && this.maxPending >= 0)) throw new RangeError(`maxPending must be an integer >= 0, got ${this.maxPending}`)
    this.onHit = options.faults.hit ? (f) => options.faults.hit!(f) : undefined
  }

  /** Send `message` through the faults in force. Never throws for a fault; after {@link close}, drops. */
  send(message: Message): void {
    if (this.closed) return
    this.offered++
    let faults = this.o.faults.networkFaults()
    if (faults.length === 0) {
      this.deliver(message)
      return
    }
    const now = this.o.now()
    if (faults.some((f) => f.until !== undefined && f.until <= now)) faults = activeFaults(faults, now)
    const fate = decideFate(faults, message.from, message.to, 0, this.o.random, this.onHit)
    if (fate.delays.length === 0) {
      this.dropped++
      return
    }
    for (const delay of fate.delays) {
      if (delay <= 0) this.deliver(message)
      else this.hold(message, delay)
    }
  }

  /** Counters since creation. */
  stats(): ChaosNetworkStats {
    return {offered: this.offered, delivered: this.delivered, dropped: this.dropped, held: this.held, overflowed: this.overflowed, pending: this.timers.size}
  }

  /** Cancel every held message and drop whatever is sent afterwards. Idempotent. */
  close(): void {
    this.closed = true
    for (const t of this.timers) this.o.timers.clear(t)
    this.timers.clear()
  }

  private deliver(message: Message): void {
    this.delivered++
    this.o.inner.send(message)
  }

  private hold(message: Message, delay: number): void {
    if (this.timers.size >= this.maxPending) {
      this.overflowed++
      this.o.onOverflow?.(message)
      return
    }
    this.held++
    const handle = this.o.timers.set(() => {
      this.timers.delete(handle)
      if (!this.closed) this.deliver(message)
    }, delay)
    this.timers.add(handle)
  }
}
