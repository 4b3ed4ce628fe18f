/** A fake clock with timers, for driving the chaos decorators deterministically. */
import type {Timers} from '../../src/chaos/network.js'

interface Timer {
  readonly at: number
  readonly seq: number
  readonly fn: () => void
}

/** Time starts at 0 and moves only with {@link FakeTime.advance}. */
export class FakeTime implements Timers {
  now = 0
  private seq = 0
  private readonly timers = new Set<Timer>()

  readonly clock = (): number => this.now

  set(fn: () => void, ms: number): unknown {
    const t = {at: this.now + ms, seq: this.seq++, fn}
    this.timers.add(t)
    return t
  }

  clear(handle: unknown): void {
    this.timers.delete(handle as Timer)
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.timers.size
  }

  /** Move time forward by `ms`, firing due timers in time order (ties: in creation order). */
  advance(ms: number): void {
    const end = this.now + ms
    for (;;) {
      const due = [...this.timers].filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0]
      if (!due) break
      this.timers.delete(due)
      this.now = Math.max(this.now, due.at)
      due.fn()
    }
    this.now = end
  }
}

/** A deterministic random source cycling through `values`. */
export function cycle(...values: number[]): () => number {
  let i = 0
  return () => values[i++ % values.length]!
}
