/**
 * `npm run bench:range`: the latency of a 100-key range read on a live 3-node cluster.
 *
 * Starts a fresh cluster in a temporary RAFTCTL_HOME, writes --keys keys of --value-size bytes
 * (`r/00000`…) and, for each of --runs rounds, one client reads `--prefix r/ --limit 100`
 * (100 keys listed, every key counted) back to back for --duration, linearizable (ReadIndex on
 * the leader) and then serializable; a single-key `get` is measured the same way for
 * reference. Prints each round's p50 / p99 / reads per second and the median of the rounds'
 * p50s, plus the cost of the range inside the state machine alone (no network). The cluster is
 * destroyed at the end.
 *
 * Options: --keys 1000 --value-size 100 --duration 3s --runs 5.
 */
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parseArgs} from 'node:util'
import {KvClient} from '../src/client/index.js'
import {LocalCluster, activeNodes} from '../src/cluster/index.js'
import {median} from '../src/bench/compare-stats.js'
import {percentileOf} from '../src/bench/failover.js'
import {parseDuration, parseSize} from '../src/common/units.js'
import {KvStateMachine, encodeCommand, type RangeQuery} from '../src/kv/index.js'

const {values: args} = parseArgs({
  options: {
    keys: {type: 'string', default: '1000'},
    'value-size': {type: 'string', default: '100'},
    duration: {type: 'string', default: '3s'},
    runs: {type: 'string', default: '5'},
  },
})
const keyCount = Number(args.keys)
const valueSize = parseSize(args['value-size']!)
const durationMs = parseDuration(args.duration!)
const runs = Number(args.runs)
const RANGE_LIMIT = 100

const keys = Array.from({length: keyCount}, (_, i) => `r/${String(i).padStart(5, '0')}`)
const value = 'v'.repeat(valueSize)

/** Latencies (ms) of back-to-back calls of `op` for `ms`. */
async function loop(op: () => Promise<unknown>, ms: number): Promise<number[]> {
  const out: number[] = []
  const end = performance.now() + ms
  while (performance.now() < end) {
    const t0 = performance.now()
    await op()
    out.push(performance.now() - t0)
  }
  return out
}

/** The median of the values (compare-stats' median: the mean of the middle two for an even count). */
const medianOf = (values: readonly number[]): number => median(values) ?? Number.NaN
/** The nearest-rank percentile `q` (0..1) of the latencies. */
const quantile = (values: readonly number[], q: number): number => percentileOf(values, q * 100) ?? Number.NaN

/** In-process: the state machine's range over the same data, µs per call (median of 5 × 2000 calls). */
function stateMachineRangeUs(): number {
  const sm = new KvStateMachine()
  keys.forEach((key, i) => sm.apply(i + 1, encodeCommand({op: 'put', key, value})))
  const query: RangeQuery = {range: {prefix: 'r/'}, limit: RANGE_LIMIT, keysOnly: false, countOnly: false, maxBytes: 1 << 20}
  sm.range(query)
  const samples: number[] = []
  for (let round = 0; round < 5; round++) {
    const t0 = performance.now()
    for (let i = 0; i < 2000; i++) sm.range(query)
    samples.push(((performance.now() - t0) * 1000) / 2000)
  }
  return medianOf(samples)
}

const home = mkdtempSync(join(tmpdir(), 'raftctl-range-bench-'))
const cluster = new LocalCluster('range', home)
const results = new Map<string, number[]>()
try {
  await cluster.start(3)
  await cluster.waitForLeader()
  const kv = new KvClient({endpoints: activeNodes(cluster.manifest()).map((n) => ({id: n.id, url: n.address})), secret: cluster.secret(), timeoutMs: 5000})
  try {
    for (const key of keys) await kv.put(key, value)
    const check = await kv.range({prefix: 'r/'}, {limit: RANGE_LIMIT})
    if (check.kvs.length !== RANGE_LIMIT || check.count !== keyCount) throw new Error(`unexpected answer: ${check.kvs.length} listed, count ${check.count}`)
    const workloads: [string, () => Promise<unknown>][] = [
      ['range 100, linearizable', () => kv.range({prefix: 'r/'}, {limit: RANGE_LIMIT})],
      ['range 100, serializable', () => kv.range({prefix: 'r/'}, {limit: RANGE_LIMIT, serializable: true})],
      ['get 1 key, linearizable', () => kv.get(keys[0]!)],
    ]
    await loop(workloads[0]![1], 500) // warm up
    for (let run = 1; run <= runs; run++) {
      for (const [name, op] of workloads) {
        const lat = (await loop(op, durationMs)).sort((a, b) => a - b)
        const p50 = quantile(lat, 0.5)
        results.set(name, [...(results.get(name) ?? []), p50])
        console.log(`run ${run} ${name.padEnd(26)} ${lat.length} reads, ${(lat.length / (durationMs / 1000)).toFixed(0)}/s, p50 ${p50.toFixed(3)} ms, p99 ${quantile(lat, 0.99).toFixed(3)} ms`)
      }
    }
  } finally {
    await kv.close()
  }
  await cluster.stop()
} finally {
  if (cluster.exists()) await cluster.destroy().catch(() => undefined)
  rmSync(home, {recursive: true, force: true})
}
console.log('')
console.log(`${keyCount} keys of ${valueSize} B; one client, back to back; median of ${runs} runs of ${args.duration}`)
for (const [name, p50s] of results) console.log(`  ${name.padEnd(26)} median p50 ${medianOf(p50s).toFixed(3)} ms (runs: ${p50s.map((x) => x.toFixed(3)).join(', ')})`)
console.log(`  state machine range alone  ${stateMachineRangeUs().toFixed(1)} µs per 100-key range (in process)`)
console.log(`  load average: ${readFileSync('/proc/loadavg', 'utf8').trim()}`)
