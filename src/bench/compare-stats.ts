/**
 * The statistics of `npm run bench:compare` (bench/compare.ts): medians over repeats, and the
 * 1-client latency compared repeat by repeat. Pure (no I/O), so the rules are tested.
 */

/** One run of one system on one workload, as far as the statistics need it. */
export interface RunSample {
  readonly system: string
  readonly workload: string
  readonly repeat: number
  /** Operations completed in the measured window. */
  readonly ops: number
}

/** The numeric fields of a sample type (null when not measured). */
export type NumericField<S> = {[K in keyof S]: S[K] extends number | null ? K : never}[keyof S]

/** The median (mean of the middle two for an even count); null for no values. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null
  const s = [...values].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/** Fields that are latencies: a run that completed no operation has none (its 0 is not a latency). */
const LATENCY_FIELDS = new Set(['p50', 'p90', 'p99', 'p999', 'max', 'min', 'mean'])

/**
 * The median of `field` over the repeats of `system` on `workload`: null values are left out,
 * and so are the latencies of runs that completed no operation (a stalled run reports p50 0,
 * which would otherwise count as the fastest run of all). Throughput keeps such a run's 0.
 */
export function medianOf<S extends RunSample>(samples: readonly S[], system: string, workload: string, field: NumericField<S>): number | null {
  const latency = LATENCY_FIELDS.has(String(field))
  const values: number[] = []
  for (const s of samples) {
    if (s.system !== system || s.workload !== workload || (latency && s.ops <= 0)) continue
    const v: unknown = s[field]
    if (typeof v === 'number') values.push(v)
  }
  return median(values)
}

/** raftctl's 1-client p50 over a peer's, repeat by repeat. */
export interface PairedRatios {
  /** raftctl's p50 / the peer's, for each repeat where both completed operations, in repeat order. */
  readonly ratios: number[]
  /** Their median (null when there is none). */
  readonly median: number | null
  /** Repeats where raftctl's p50 was lower than or equal to the peer's. */
  readonly raftctlNotWorse: number
}

/**
 * Compare `field` of `system` against `peer` on `workload` within each repeat. The runs of one
 * repeat are minutes apart at most, so the pairs cancel most of a shared machine's drift from
 * one repeat to the next; a repeat where either run completed no operation is left out.
 */
export function pairedRatios<S extends RunSample>(samples: readonly S[], system: string, peer: string, workload: string, field: NumericField<S>): PairedRatios {
  const at = (who: string, repeat: number): number | null => {
    const s = samples.find((x) => x.system === who && x.workload === workload && x.repeat === repeat)
    const v: unknown = s === undefined || s.ops <= 0 ? null : s[field]
    return typeof v === 'number' && v > 0 ? v : null
  }
  const repeats = [...new Set(samples.map((s) => s.repeat))].sort((a, b) => a - b)
  const ratios: number[] = []
  for (const r of repeats) {
    const [mine, theirs] = [at(system, r), at(peer, r)]
    if (mine !== null && theirs !== null) ratios.push(mine / theirs)
  }
  return {ratios, median: median(ratios), raftctlNotWorse: ratios.filter((x) => x <= 1).length}
}
