/**
 * A closed-loop driver for any asynchronous operation: `clients` loops, each with one
 * operation in flight, for a warm-up and a measured window, latencies in a {@link Histogram}.
 * `npm run bench:compare` drives etcd and ZooKeeper through their Node clients with it, the
 * same way the {@link LoadGenerator} drives raftctl.
 */
import {performance} from 'node:perf_hooks'
import {Histogram} from './histogram.js'

/** Options of {@link runClosedLoop}. */
export interface ClosedLoopOptions {
  readonly clients: number
  readonly durationMs: number
  readonly warmupMs?: number
  /** One operation of client `client` (0-based). A rejection counts as an error. */
  readonly op: (client: number) => Promise<unknown>
  /** Called when the measured window starts and ends. */
  readonly onMeasureStart?: () => void
  readonly onMeasureEnd?: () => void
}

/** The outcome of {@link runClosedLoop}: the same shape as the load generator's core fields. */
export interface ClosedLoopResult {
  readonly ops: number
  readonly seconds: number
  readonly throughput: number
  readonly latencyMs: {readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number; readonly mean: number}
  readonly errors: number
  readonly firstError: string | null
  readonly histogram: Histogram
}

/** Run the loops; resolves when every loop has finished its last operation. */
export async function runClosedLoop(options: ClosedLoopOptions): Promise<ClosedLoopResult> {
  const histogram = new Histogram()
  const warmupMs = options.warmupMs ?? 0
  const t0 = performance.now()
  const measureStart = t0 + warmupMs
  const measureEnd = measureStart + options.durationMs
  let ops = 0
  let errors = 0
  let firstError: string | null = null
  let started = false
  let ended = false
  const startTimer = setTimeout(() => {
    started = true
    options.onMeasureStart?.()
  }, warmupMs)
  const endTimer = setTimeout(() => {
    ended = true
    options.onMeasureEnd?.()
  }, warmupMs + options.durationMs)
  const loop = async (client: number): Promise<void> => {
    while (performance.now() < measureEnd) {
      const begin = performance.now()
      try {
        await options.op(client)
        const end = performance.now()
        if (begin >= measureStart && end <= measureEnd) {
          ops++
          histogram.record((end - begin) * 1000)
        }
      } catch (error) {
        if (begin >= measureStart) errors++
        firstError ??= error instanceof Error ? error.message : String(error)
        await new Promise((r) => setTimeout(r, 10))
      }
    }
  }
  await Promise.all(Array.from({length: options.clients}, (_, i) => loop(i)))
  clearTimeout(startTimer)
  clearTimeout(endTimer)
  // The loops may finish a moment before the timers fire.
  if (!started) options.onMeasureStart?.()
  if (!ended) options.onMeasureEnd?.()
  const seconds = options.durationMs / 1000
  const us = (v: number): number => Math.round(v) / 1000
  const s = histogram.summary()
  return {
    ops, seconds, throughput: ops / seconds,
    latencyMs: {p50: us(s.p50), p90: us(s.p90), p99: us(s.p99), max: us(s.max), mean: us(s.mean)},
    errors, firstError, histogram,
  }
}
