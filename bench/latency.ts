/**
 * `npm run bench:latency`: where one write's time goes at low load, stage by stage.
 *
 * Starts a fresh 3-node cluster in a temporary RAFTCTL_HOME with latency tracing on
 * (RAFTCTL_LATENCY_TRACE, src/trace/latency.ts) for the daemons and this process's load
 * generator, runs a write load with one client (one request in flight), stops the daemons
 * gracefully (each writes its marks at exit), destroys the cluster, and prints the median and
 * p90 of each stage of a write (src/bench/critical-path.ts): client → leader, the leader's work
 * until its first append is on the wire, the hop to the fastest follower, that follower's work
 * before its fdatasync, the fdatasync, its acknowledgement, the hop back, the leader's work until
 * the answer, and the hop to the client. The trace files stay in --out when given.
 *
 * Options: --duration 10s --value-size 100 --out DIR.
 */
import {mkdtempSync, readFileSync, readdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parseArgs} from 'node:util'

const {values: args} = parseArgs({
  options: {
    duration: {type: 'string', default: '10s'},
    'value-size': {type: 'string', default: '100'},
    out: {type: 'string'},
  },
})

// Tracing is decided when src/trace/latency.ts loads: set the variable before importing anything that marks.
const out = args.out ?? mkdtempSync(join(tmpdir(), 'raftctl-latency-'))
process.env.RAFTCTL_LATENCY_TRACE = out
const {LocalCluster} = await import('../src/cluster/index.js')
const {benchCluster} = await import('../src/bench/run.js')
const {criticalPath, parseTrace} = await import('../src/bench/critical-path.js')
const {parseDuration, parseSize} = await import('../src/common/units.js')

// The trace folder made here is removed however the run ends (a failed start, a throw while
// reading the traces, Ctrl-C); one given with --out is kept.
const removeOut = (): void => {
  if (args.out === undefined) rmSync(out, {recursive: true, force: true})
}
process.once('SIGINT', () => {
  removeOut()
  process.exit(130)
})
try {
  const valueSize = parseSize(args['value-size']!)
  const home = mkdtempSync(join(tmpdir(), 'raftctl-latency-home-'))
  const cluster = new LocalCluster('latency', home)
  try {
    await cluster.start(3)
    await cluster.waitForLeader()
    const report = await benchCluster(cluster, {
      clients: 1, connections: 1, durationMs: parseDuration(args.duration!), warmupMs: 1000,
      valueSize, keys: 1000, readRatio: 0, serializable: false, target: 'leader',
    })
    await cluster.stop()
    console.log(`1 client, ${valueSize}-byte values: ${report.ops} writes, ${Math.round(report.throughput)}/s, p50 ${report.latencyMs.p50} ms, p99 ${report.latencyMs.p99} ms; other programs ${report.cpuCores.background} cores`)
  } finally {
    if (cluster.exists()) await cluster.destroy().catch(() => undefined)
    rmSync(home, {recursive: true, force: true})
  }
  // This process's own marks are written at its exit: read the load generator's from memory instead.
  const {traceSnapshot} = await import('../src/trace/latency.js')
  const traces = readdirSync(out).filter((f) => f.endsWith('.trace')).map((f) => parseTrace(f.replace(/\.trace$/, ''), readFileSync(join(out, f), 'utf8')))
  traces.push(parseTrace('client', traceSnapshot()))
  const path = criticalPath(traces, {entryFrameBytes: valueSize})
  console.log(`${path.writes} writes measured; leader pid ${path.roles.leader}, followers ${path.roles.followers.join(', ')}`)
  console.log('')
  console.log(`${'stage'.padEnd(48)} ${'median µs'.padStart(10)} ${'p90 µs'.padStart(8)}`)
  for (const s of path.stages) console.log(`${s.stage.padEnd(48)} ${s.medianUs.toFixed(0).padStart(10)} ${s.p90Us.toFixed(0).padStart(8)}`)
  console.log('')
  console.log(`answered after both followers' acknowledgements were in: ${(100 * path.answeredAfterBothAcks).toFixed(0)}% of the writes`)
  console.log(`the medians of the stages add up to ${path.stages.slice(0, 9).reduce((n, s) => n + s.medianUs, 0).toFixed(0)} µs`)
} finally {
  removeOut()
}
if (args.out !== undefined) console.log(`trace files: ${out}`)
