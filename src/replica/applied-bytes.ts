/**
 * A running sum of the data bytes of applied entries, per index, over the stretch of the log the
 * replica may still compact: what lets it bound the log by bytes as well as by count (snapshot
 * once enough data was applied; keep at most so many bytes behind a snapshot) without scanning
 * the log. One number per entry, recorded as the entry is applied; dropped as the log is compacted.
 */

/** Cumulative data bytes of applied entries, by index, from a base index on. */
export class AppliedBytes {
  /** Index before the first recorded entry (sums cover `base + 1 .. base + sums.length`). */
  private base: number
  /** Cumulative bytes at `base` (the sums are totals since an arbitrary origin). */
  private baseTotal = 0
  /** `sums[k]`: cumulative bytes up to and including index `base + 1 + k`. */
  private sums: number[] = []

  /** Start empty after index `base` (the applied index: a snapshot's, or 0). */
  constructor(base: number) {
    this.base = base
  }

  /** Index of the last recorded entry. */
  get last(): number {
    return this.base + this.sums.length
  }

  /** Entry `index` of `bytes` data bytes was applied. An index that does not follow the last (after a snapshot install) restarts the sums at it. */
  record(index: number, bytes: number): void {
    if (index !== this.last + 1) this.restart(index - 1)
    this.sums.push(this.totalAt(this.last) + bytes)
  }

  /** Forget every sum: the next entry recorded is `base + 1` (a snapshot from the leader was installed at `base`). */
  restart(base: number): void {
    this.base = base
    this.baseTotal = 0
    this.sums = []
  }

  /** Data bytes of the recorded entries in (`from`, `to`]; `from` is clamped to the first known index. */
  between(from: number, to: number): number {
    return this.totalAt(Math.min(to, this.last)) - this.totalAt(Math.max(from, this.base))
  }

  /**
   * The lowest index `c` in [`from`, `to`] (both at or above the base) such that the entries in
   * (`c`, `to`] hold at most `budget` bytes: a binary search over the sums.
   */
  lowestWithin(from: number, to: number, budget: number): number {
    let lo = Math.max(from, this.base)
    let hi = Math.max(lo, Math.min(to, this.last))
    const end = this.totalAt(hi)
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2)
      if (end - this.totalAt(mid) <= budget) hi = mid
      else lo = mid + 1
    }
    return lo
  }

  /** The log was compacted through `index`: drop the sums at or below it. */
  dropThrough(index: number): void {
    if (index <= this.base) return
    const to = Math.min(index, this.last)
    const total = this.totalAt(to)
    this.sums = this.sums.slice(to - this.base)
    this.base = to
    this.baseTotal = total
  }

  /** Cumulative bytes at `index` in [base, last]. */
  private totalAt(index: number): number {
    return index <= this.base ? this.baseTotal : this.sums[index - this.base - 1]!
  }
}
