/**
 * The `raftctl bench --workload range|watch` workloads, beside the put/get load generator:
 * - `range`: one client reads a range of {@link RANGE_BENCH_KEYS} keys back to back
 *   (linearizable unless serializable) over `keys` preloaded keys; the latency of each read.
 * - `watch`: `watchers` watches of one prefix, spread over the nodes, and one writer putting to
 *   that prefix back to back; the latency of each delivery (put sent → change received by a
 *   watcher, one clock), deliveries and writes per second.
 * Both give the DESIGN.md `bench --json` fields (`ops`, `seconds`, `throughput`, `latencyMs`).
 */
import {KvClient, type ClientTlsOptions, type Endpoint, type KvWatch} from '../client/index.js'
import {Histogram} from './histogram.js'

/** Longest wait, after the window, for the last puts to reach every watcher: 10 s. */
export const FANOUT_DRAIN_MS = 10_000

/** Keys one range read lists: 100. */
export const RANGE_BENCH_KEYS = 100

/** Options of {@link benchRangeReads} and {@link benchWatchFanout}. */
export interface FanoutOptions {
  readonly endpoints: readonly Endpoint[]
  readonly secret: string
  readonly clusterId?: string
  /** TLS options of a `wss://` cluster. */
  readonly tls?: ClientTlsOptions
  readonly durationMs: number
  readonly warmupMs: number
  readonly valueSize: number
  /** range: keys preloaded (at least {@link RANGE_BENCH_KEYS}). */
  readonly keys: number
  readonly serializable: boolean
  /** watch: concurrent watchers. */
  readonly watchers: number
  readonly requestTimeoutMs?: number
}

/** `raftctl bench --workload range|watch --json`. */
export interface FanoutReport {
  readonly workload: 'range' | 'watch'
  /** Range reads, or deliveries (one change to one watcher). */
  readonly ops: number
  readonly seconds: number
  /** ops per second. */
  readonly throughput: number
  readonly latencyMs: {readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number}
  /** watch: puts acknowledged in the window, and watchers. */
  readonly writes?: number
  readonly watchers?: number
}

/** Range reads of {@link RANGE_BENCH_KEYS} keys, back to back, by one client. */
export async function benchRangeReads(options: FanoutOptions): Promise<FanoutReport> {
  const kv = client(options, options.endpoints)
  try {
    const value = 'v'.repeat(options.valueSize)
    const keys = Math.max(RANGE_BENCH_KEYS, options.keys)
    for (let i = 0; i < keys; i++) await kv.put(`bench-range/${String(i).padStart(7, '0')}`, value)
    const read = (): Promise<unknown> => kv.range({prefix: 'bench-range/'}, {limit: RANGE_BENCH_KEYS, serializable: options.serializable})
    const histogram = new Histogram()
    const end = performance.now() + options.warmupMs
    while (performance.now() < end) await read()
    const started = performance.now()
    while (performance.now() - started < options.durationMs) {
      const t0 = performance.now()
      await read()
      histogram.record(Math.round((performance.now() - t0) * 1000))
    }
    return report('range', histogram, (performance.now() - started) / 1000)
  } finally {
    await kv.close()
  }
}

/** One writer, `watchers` watches of its prefix: the latency of every delivery. */
export async function benchWatchFanout(options: FanoutOptions): Promise<FanoutReport> {
  const writer = client(options, options.endpoints)
  const n = options.endpoints.length
  // Watcher i starts on node i mod n: the fan-out is spread over the cluster.
  const watches: KvWatch[] = Array.from({length: options.watchers}, (_, i) => {
    const rotated = [...options.endpoints.slice(i % n), ...options.endpoints.slice(0, i % n)]
    return client(options, rotated).watch({prefix: 'bench-watch/'})
  })
  const sentAt = new Map<number, number>()
  const histogram = new Histogram()
  let measuring = false
  /** The last put each watcher received (puts are numbered from 1). */
  const lastSeen = watches.map(() => 0)
  const deliveries = watches.map(async (w, i) => {
    for await (const e of w) {
      const seq = Number(e.value!.slice(0, e.value!.indexOf(':')))
      lastSeen[i] = seq
      const t = sentAt.get(seq)
      if (measuring && t !== undefined) histogram.record(Math.round((performance.now() - t) * 1000))
    }
  })
  try {
    const pad = ':'.padEnd(Math.max(1, options.valueSize - 8), 'v')
    let seq = 0
    const put = async (): Promise<void> => {
      const s = ++seq
      sentAt.set(s, performance.now())
      await writer.put('bench-watch/k', `${s}${pad}`)
    }
    await put() // every watch is open once its first change arrives
    const warm = performance.now() + options.warmupMs
    while (performance.now() < warm) await put()
    measuring = true
    const started = performance.now()
    let writes = 0
    while (performance.now() - started < options.durationMs) {
      await put()
      writes++
    }
    const seconds = (performance.now() - started) / 1000
    // The measured puts' changes reach every watcher (or the drain limit passes).
    const drainUntil = performance.now() + FANOUT_DRAIN_MS
    while (lastSeen.some((s) => s < seq) && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 10))
    measuring = false
    return {...report('watch', histogram, seconds), writes, watchers: options.watchers}
  } finally {
    await Promise.all(watches.map((w) => w.close()))
    await Promise.allSettled(deliveries)
    await writer.close()
  }
}

function client(options: FanoutOptions, endpoints: readonly Endpoint[]): KvClient {
  return new KvClient({endpoints, secret: options.secret, clusterId: options.clusterId, tls: options.tls, timeoutMs: options.requestTimeoutMs ?? 5000})
}

function report(workload: 'range' | 'watch', h: Histogram, seconds: number): FanoutReport {
  const s = h.summary() // microseconds
  const ms = (us: number): number => Math.round(us) / 1000
  return {workload, ops: s.count, seconds: Math.round(seconds * 1000) / 1000, throughput: Math.round((s.count / seconds) * 10) / 10, latencyMs: {p50: ms(s.p50), p90: ms(s.p90), p99: ms(s.p99), max: ms(s.max)}}
}
