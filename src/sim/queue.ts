/**
 * A deterministic priority queue of timed events: ordered by time, ties broken by insertion
 * order, so the same inputs always pop in the same order.
 */

interface Item<T> {
  readonly time: number
  readonly seq: number
  readonly value: T
}

/** Binary min-heap keyed by (time, insertion sequence). */
export class EventQueue<T> {
  private readonly heap: Item<T>[] = []
  private seq = 0

  get size(): number {
    return this.heap.length
  }

  push(time: number, value: T): void {
    this.heap.push({time, seq: this.seq++, value})
    this.up(this.heap.length - 1)
  }

  /** Time of the earliest event, or Infinity. */
  peekTime(): number {
    return this.heap.length > 0 ? this.heap[0]!.time : Infinity
  }

  pop(): {time: number; value: T} | undefined {
    const h = this.heap
    if (h.length === 0) return undefined
    const top = h[0]!
    const last = h.pop()!
    if (h.length > 0) {
      h[0] = last
      this.down(0)
    }
    return {time: top.time, value: top.value}
  }

  /** Remove every event for which `drop` returns true. */
  removeWhere(drop: (value: T) => boolean): void {
    const kept = this.heap.filter((i) => !drop(i.value))
    this.heap.length = 0
    for (const i of kept.sort((a, b) => a.time - b.time || a.seq - b.seq)) this.heap.push(i)
  }

  private less(a: Item<T>, b: Item<T>): boolean {
    return a.time < b.time || (a.time === b.time && a.seq < b.seq)
  }

  private up(i: number): void {
    const h = this.heap
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!this.less(h[i]!, h[p]!)) break
      ;[h[i], h[p]] = [h[p]!, h[i]!]
      i = p
    }
  }

  private down(i: number): void {
    const h = this.heap
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r
      if (m === i) return
      ;[h[i], h[m]] = [h[m]!, h[i]!]
      i = m
    }
  }
}
