/**
 * A contiguous run of log positions `[firstIndex, lastIndex]` holding one item each (an
 * entry, or just its term and location). Shared container of the memory and file stores.
 */

/** Contiguous items addressed by log index. Invariant: item `k` is at index `firstIndex + k`. */
export class IndexedLog<T> {
  #first = 1
  #items: T[] = []

  /** Index of the first item; when empty, the index the next appended item must have if it is not given. */
  get firstIndex(): number {
    return this.#first
  }

  /** Index of the last item (`firstIndex - 1` when empty). */
  get lastIndex(): number {
    return this.#first + this.#items.length - 1
  }

  /** Number of items. */
  get length(): number {
    return this.#items.length
  }

  /** The item at `index`, or undefined when outside `[firstIndex, lastIndex]`. */
  at(index: number): T | undefined {
    const k = index - this.#first
    return k >= 0 && k < this.#items.length ? this.#items[k] : undefined
  }

  /**
   * Put `item` at `index`, discarding every item at or after `index` first. When the log is
   * empty, or `index` is below `firstIndex`, the log restarts at `index`. Throws RangeError when
   * `index` would leave a gap (`index > lastIndex + 1` on a non-empty log).
   */
  put(index: number, item: T): void {
    if (this.#items.length === 0 || index < this.#first) {
      this.#first = index
      this.#items = [item]
      return
    }
    if (index > this.lastIndex + 1) throw new RangeError(`log gap: put ${index} after ${this.lastIndex}`)
    this.#items.length = index - this.#first
    this.#items.push(item)
  }

  /** Discard every item at or below `index`. */
  dropThrough(index: number): void {
    if (index < this.#first) return
    const n = Math.min(index - this.#first + 1, this.#items.length)
    // A copy of what stays, not splice: splice builds an array of the n items it removes (a
    // million at a snapshot of a long log), where the kept tail is a few thousand.
    this.#items = this.#items.slice(n)
    this.#first = this.#items.length === 0 ? Math.max(this.#first + n, index + 1) : this.#first + n
  }

  /** Discard everything; the log then starts at `nextIndex`. */
  clear(nextIndex: number): void {
    this.#first = nextIndex
    this.#items = []
  }

  /** Items with index `> after`, in order. */
  itemsAfter(after: number): T[] {
    return this.#items.slice(Math.max(0, after + 1 - this.#first))
  }
}
