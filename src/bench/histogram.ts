/**
 * A latency histogram in the manner of HdrHistogram: logarithmic buckets, each split into 1024
 * linear sub-buckets, so every recorded value is kept with a bounded RELATIVE error whatever its
 * magnitude, in constant memory and O(1) per record.
 *
 * Values are non-negative integers (the load generator records microseconds). The precision,
 * which the tests check against a sorted-array oracle:
 * - values below 2048 are counted exactly;
 * - a value v >= 2048 falls in a bucket [lo, lo + w) with w = 2^(floor(log2 v) - 10), so
 *   w <= lo / 1024: the bucket is narrower than 0.098 % of any value in it (about three
 *   significant decimal digits, like HdrHistogram with `numberOfSignificantValueDigits: 3`);
 * - a percentile is reported as the highest value of its bucket, capped at the largest value
 *   recorded: it is never below the true nearest-rank percentile, and above it by less than
 *   1/1024 of it (0 below 2048);
 * - `max`, `min`, `count` and `mean` are exact (kept beside the buckets);
 * - values above 2^32 - 1 (71 minutes in µs) are counted in the last bucket; `max` stays exact.
 */

/** log2 of the number of sub-buckets per power of two (the exact range is 2 × this many values). */
const SUB_BITS = 10
const SUB_COUNT = 1 << SUB_BITS // 1024
const EXACT_LIMIT = SUB_COUNT * 2 // 2048: values below are their own bucket
const MAX_TRACKED = 0xffff_ffff
/** Buckets: 2048 exact ones, then 1024 per power of two from 2^11 to 2^31. */
const BUCKETS = EXACT_LIMIT + (32 - (SUB_BITS + 1)) * SUB_COUNT

/** The relative precision bound of {@link Histogram} (a reported value is within this fraction above the truth). */
export const HISTOGRAM_RELATIVE_ERROR = 1 / SUB_COUNT

/** The bucket index of a non-negative integer value. */
export function bucketIndex(value: number): number {
  const v = value >= MAX_TRACKED ? MAX_TRACKED : value
  if (v < EXACT_LIMIT) return v
  const exponent = 31 - Math.clz32(v) // floor(log2 v) >= 11
  const shift = exponent - SUB_BITS // v >>> shift is in [1024, 2048)
  return EXACT_LIMIT + (exponent - SUB_BITS - 1) * SUB_COUNT + ((v >>> shift) - SUB_COUNT)
}

/** The smallest value that falls in bucket `index`. */
export function bucketLowest(index: number): number {
  if (index < EXACT_LIMIT) return index
  const block = Math.floor((index - EXACT_LIMIT) / SUB_COUNT) // 0 for [2^11, 2^12)
  const sub = (index - EXACT_LIMIT) % SUB_COUNT
  const shift = block + 1
  return (SUB_COUNT + sub) * 2 ** shift
}

/** The largest value that falls in bucket `index`. */
export function bucketHighest(index: number): number {
  if (index < EXACT_LIMIT) return index
  const shift = Math.floor((index - EXACT_LIMIT) / SUB_COUNT) + 1
  return bucketLowest(index) + 2 ** shift - 1
}

/** Summary of a histogram in the recorded unit. */
export interface HistogramSummary {
  readonly count: number
  readonly min: number
  readonly mean: number
  readonly p50: number
  readonly p90: number
  readonly p99: number
  readonly p999: number
  readonly max: number
}

/** A log-bucketed histogram of non-negative integers (see the module comment for its precision). */
export class Histogram {
  private readonly counts = new Float64Array(BUCKETS)
  private total = 0
  private sum = 0
  private minValue = Number.POSITIVE_INFINITY
  private maxValue = 0

  /** Record `value` (rounded to an integer; negative values count as 0) `times` times. */
  record(value: number, times = 1): void {
    const v = value > 0 ? Math.round(value) : 0
    this.counts[bucketIndex(v)]! += times
    this.total += times
    this.sum += v * times
    if (v < this.minValue) this.minValue = v
    if (v > this.maxValue) this.maxValue = v
  }

  /** Add every value of `other` into this histogram. */
  merge(other: Histogram): void {
    if (other.total === 0) return
    for (let i = 0; i < BUCKETS; i++) if (other.counts[i] !== 0) this.counts[i]! += other.counts[i]!
    this.total += other.total
    this.sum += other.sum
    this.minValue = Math.min(this.minValue, other.minValue)
    this.maxValue = Math.max(this.maxValue, other.maxValue)
  }

  /** Forget every value. */
  reset(): void {
    this.counts.fill(0)
    this.total = 0
    this.sum = 0
    this.minValue = Number.POSITIVE_INFINITY
    this.maxValue = 0
  }

  get count(): number {
    return this.total
  }

  /** The largest value recorded (0 when empty), exact. */
  get max(): number {
    return this.maxValue
  }

  /** The smallest value recorded (0 when empty), exact. */
  get min(): number {
    return this.total === 0 ? 0 : this.minValue
  }

  /** The arithmetic mean (0 when empty), exact up to float rounding. */
  get mean(): number {
    return this.total === 0 ? 0 : this.sum / this.total
  }

  /**
   * The `q`-th percentile (0 < q <= 100) by nearest rank: the smallest recorded value v such
   * that at least q % of the values are <= v, reported as its bucket's highest value capped at
   * `max`. 0 when empty. Throws RangeError for q outside (0, 100].
   */
  percentile(q: number): number {
    if (!(q > 0 && q <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${q}`)
    if (this.total === 0) return 0
    const rank = Math.max(1, Math.ceil((q / 100) * this.total))
    if (rank >= this.total) return this.maxValue
    let seen = 0
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!
      if (seen >= rank) return i === BUCKETS - 1 ? this.maxValue : Math.min(bucketHighest(i), this.maxValue)
    }
    return this.maxValue
  }

  /** count, min, mean, p50, p90, p99, p99.9, max. */
  summary(): HistogramSummary {
    return {
      count: this.total, min: this.min, mean: this.mean,
      p50: this.percentile(50), p90: this.percentile(90), p99: this.percentile(99), p999: this.percentile(99.9), max: this.max,
    }
  }
}
