/**
 * `raftctl bench`: a load generator over the client protocol against a local cluster, with
 * latency percentiles from an HDR-style histogram and the CPU time per operation of the client
 * and of the daemons.
 */
import {Flags} from '@oclif/core'
import {RaftctlError} from '../../common/errors.js'
import {MAX_VALUE_BYTES} from '../../cli/value-source.js'
import {ClusterCommand} from '../../cli/cluster-command.js'
import {parseSize} from '../../common/units.js'
import {isTTY, renderTable} from '../../cli/render.js'
import type {BenchReport} from '../../bench/run.js'
import type {LoadProgress} from '../../bench/loadgen.js'
import type {FanoutOptions, FanoutReport} from '../../bench/fanout.js'
import type {ClusterHandle, LocalCluster} from '../../cluster/index.js'
import {MAX_BACKGROUND_CORES} from '../../bench/background.js'

/** `raftctl bench --json` of the put workload: the load's report and the busy cores of other work beside it. */
export type BenchResult = BenchReport & {
  /** Spinning processes that ran beside the cluster during the measurement (`--background`). */
  readonly background: number
}

/** A range or watch workload (src/bench/fanout.ts) against the running `cluster` (local or remote). */
async function runFanout(cluster: ClusterHandle, workload: 'range' | 'watch', options: Omit<FanoutOptions, 'endpoints' | 'secret' | 'clusterId' | 'tls'>): Promise<FanoutReport> {
  const {benchRangeReads, benchWatchFanout} = await import('../../bench/fanout.js')
  await cluster.waitForLeader()
  const endpoints = (await cluster.nodeIds()).map((id) => ({id, url: cluster.addressOf(id)}))
  const full = {...options, ...cluster.access(), endpoints}
  return workload === 'range' ? benchRangeReads(full) : benchWatchFanout(full)
}

async function renderFanout(r: FanoutReport): Promise<string> {
  const ms = (v: number): string => `${v.toFixed(v < 10 ? 2 : 1)} ms`
  const what = r.workload === 'range' ? 'range reads of 100 keys, 1 client' : `${r.watchers} watchers, 1 writer (${r.writes} puts)`
  const rows: [string, string][] = [
    ['workload', what],
    [r.workload === 'range' ? 'reads' : 'deliveries', `${r.ops} in ${r.seconds.toFixed(1)} s`],
    ['throughput', `${Math.round(r.throughput)} /s`],
    ['latency p50', ms(r.latencyMs.p50)],
    ['latency p90', ms(r.latencyMs.p90)],
    ['latency p99', ms(r.latencyMs.p99)],
    ['latency max', ms(r.latencyMs.max)],
  ]
  return renderTable({head: ['METRIC', 'VALUE'], rows})
}

export default class Bench extends ClusterCommand {
  static override summary = 'Measure throughput and latency of a local cluster'
  static override description = `Runs --clients logical clients against the cluster for --duration (after --warmup), each with its own session and one operation in flight; they share --connections WebSocket connections per node (requests are pipelined). Writes are puts of --value-size bytes to one of --keys keys chosen uniformly; --read-ratio of the operations are gets instead (linearizable by default, --serializable for local reads on any node). --target leader sends everything to the leader; --target any spreads the clients over all nodes (requests a follower cannot serve are redirected). Latency is from the first send to the answer, retries included, kept in a log-bucketed histogram (exact below 2.048 ms, within 0.1 % above). CPU time per operation is this process's (process.cpuUsage) and the daemons' (utime + stime from /proc). A cluster that is not running is started first (created when it does not exist) and stopped (destroyed) afterwards, unless --keep. On a terminal a progress line is shown on stderr. JSON: {"ops", "seconds", "throughput", "latencyMs": {"p50", "p90", "p99", "max", …}, "cpuMsPerOp", …}. --background N runs N spinning processes (one busy core each) beside the cluster during the run, so behaviour on a busy machine is measured; the JSON's "background" says how many ran. Subcommand: "raftctl bench failover".`

  static override examples = [
    {description: '10 s of writes with 16 clients', command: '<%= config.bin %> <%= command.id %>'},
    {description: '64 clients, 1 KiB values, 30 s', command: '<%= config.bin %> <%= command.id %> --clients 64 --value-size 1KiB --duration 30s'},
    {description: 'Linearizable reads only', command: '<%= config.bin %> <%= command.id %> --read-ratio 1'},
    {description: 'Serializable reads spread over all nodes', command: '<%= config.bin %> <%= command.id %> --read-ratio 1 --serializable --target any'},
    {description: 'One-client latency with one busy core of other work', command: '<%= config.bin %> <%= command.id %> --clients 1 --background 1'},
    {description: 'For scripts', command: '<%= config.bin %> <%= command.id %> --duration 3s --json'},
  ]

  static override flags = {
    clients: Flags.integer({description: 'concurrent clients (operations in flight), each with its own session', default: 16, min: 1, max: 10_000}),
    connections: Flags.integer({description: 'WebSocket connections per node shared by the clients [default: min(clients, 4)]', min: 1, max: 1024}),
    duration: Flags.string({description: 'measured time (e.g. 10s, 1m)', default: '10s'}),
    warmup: Flags.string({description: 'load before measuring, not counted', default: '1s'}),
    'value-size': Flags.string({description: 'bytes per written value (e.g. 100, 1KiB)', default: '100'}),
    keys: Flags.integer({description: 'distinct keys, chosen uniformly', default: 1000, min: 1, max: 10_000_000}),
    'read-ratio': Flags.string({description: 'fraction of operations that are reads, 0 to 1', default: '0'}),
    linearizable: Flags.boolean({description: 'reads confirm leadership (ReadIndex) on the leader [default]', exclusive: ['serializable']}),
    serializable: Flags.boolean({description: 'reads are served from local state (may be stale)', exclusive: ['linearizable']}),
    target: Flags.string({description: 'where requests go', options: ['leader', 'any'], default: 'leader'}),
    nodes: Flags.integer({description: 'founding nodes when the cluster has to be created', default: 3, min: 1, max: 15}),
    keep: Flags.boolean({description: 'leave a cluster that bench started running'}),
    'request-timeout': Flags.string({description: 'timeout of one attempt', default: '5s'}),
    workload: Flags.string({description: 'put: puts and gets (--read-ratio); range: 100-key range reads by one client; watch: one writer, --watchers watches of its prefix', options: ['put', 'range', 'watch'], default: 'put'}),
    watchers: Flags.integer({description: 'with --workload watch: watches of the written prefix, spread over the nodes', default: 100, min: 1, max: 1000}),
    background: Flags.integer({description: 'busy cores of other work during the run: one spinning process per core, started before the warm-up and stopped after the measurement', default: 0, min: 0, max: MAX_BACKGROUND_CORES}),
  }

  async run(): Promise<BenchResult | FanoutReport> {
    const {flags} = await this.parse(Bench)
    const durationMs = this.duration(flags.duration, '--duration', 'span')
    const warmupMs = this.duration(flags.warmup, '--warmup', 'none')
    const valueSize = parseSize(flags['value-size'])
    if (valueSize > MAX_VALUE_BYTES) throw new RaftctlError('BAD_USAGE', `--value-size must be at most ${MAX_VALUE_BYTES} bytes (1 MiB, the protocol's maxValueBytes)`)
    const readRatio = Number(flags['read-ratio'])
    if (!(readRatio >= 0 && readRatio <= 1)) throw new RaftctlError('BAD_USAGE', `--read-ratio must be a number from 0 to 1, got ${flags['read-ratio']}`)
    const [{ensureRunning, benchCluster, NO_LEASE}, {startBackground}] = await Promise.all([import('../../bench/run.js'), import('../../bench/background.js')])
    // A local cluster is created or started as needed (and put back after); a remote one must run already.
    const cluster = await this.openHandle(flags, false)
    const lease = cluster.kind === 'local' ? await ensureRunning(cluster as LocalCluster, flags.nodes) : NO_LEASE
    if (lease.created) this.logToStderr(`created and started cluster ${flags.cluster} for the benchmark`)
    else if (lease.started.length > 0) this.logToStderr(`started ${lease.started.join(', ')} for the benchmark`)
    const background = startBackground(flags.background)
    const release = async (): Promise<void> => {
      await background.stop()
      if (!flags.keep) await lease.release()
    }
    if (flags.workload !== 'put') {
      try {
        const fanout = await runFanout(cluster, flags.workload as 'range' | 'watch', {
          durationMs, warmupMs, valueSize, keys: flags.keys, serializable: flags.serializable, watchers: flags.watchers,
          requestTimeoutMs: this.duration(flags['request-timeout'], '--request-timeout', 'timeout'),
        })
        if (!this.jsonEnabled()) this.log(await renderFanout(fanout))
        return fanout
      } finally {
        await release()
      }
    }
    const progress = !this.jsonEnabled() && isTTY(process.stderr) ? progressLine : undefined
    let report: BenchReport
    try {
      report = await benchCluster(cluster, {
        clients: flags.clients,
        connections: flags.connections,
        durationMs,
        warmupMs,
        valueSize,
        keys: flags.keys,
        readRatio,
        serializable: flags.serializable,
        target: flags.target as 'leader' | 'any',
        requestTimeoutMs: this.duration(flags['request-timeout'], '--request-timeout', 'timeout'),
      }, progress)
    } finally {
      if (progress) process.stderr.write('\r\u001B[K')
      await release()
    }
    const result: BenchResult = {...report, background: flags.background}
    if (!this.jsonEnabled()) this.log(await renderReport(result))
    return result
  }
}

function progressLine(p: LoadProgress): void {
  const t = `${(p.elapsedMs / 1000).toFixed(0)}/${(p.phaseMs / 1000).toFixed(0)}s`
  const line = p.phase === 'warmup'
    ? `warming up ${t}  ${Math.round(p.recentThroughput)} ops/s`
    : `${t}  ${p.ops} ops  ${Math.round(p.recentThroughput)} ops/s  p99 ${p.p99Ms.toFixed(1)} ms${p.errors > 0 ? `  ${p.errors} errors` : ''}`
  process.stderr.write(`\r\u001B[K${line}`)
}

async function renderReport(r: BenchResult): Promise<string> {
  const ms = (v: number): string => `${v.toFixed(v < 10 ? 2 : 1)} ms`
  const cpu = (v: number | null): string => (v === null ? '-' : `${v.toFixed(3)} ms`)
  const o = r.options
  const kind = o.readRatio === 0 ? 'writes' : o.readRatio === 1 ? `${o.serializable ? 'serializable' : 'linearizable'} reads` : `${Math.round(o.readRatio * 100)}% ${o.serializable ? 'serializable' : 'linearizable'} reads`
  const errors = Object.entries(r.errors).map(([k, v]) => `${k}: ${v}`).join(', ')
  const rows: [string, string][] = [
    ['workload', `${kind}, ${o.clients} clients, ${o.valueSize} B values, ${o.keys} keys, target ${o.target}`],
    ['operations', `${r.ops} in ${r.seconds.toFixed(1)} s`],
    ['throughput', `${Math.round(r.throughput)} ops/s`],
    ['latency p50', ms(r.latencyMs.p50)],
    ['latency p90', ms(r.latencyMs.p90)],
    ['latency p99', ms(r.latencyMs.p99)],
    ['latency max', ms(r.latencyMs.max)],
    ['CPU / op, client', cpu(r.cpuMsPerOp.client)],
    ['CPU / op, daemons', `${cpu(r.cpuMsPerOp.daemons)}${r.cpuCores.daemons === null ? '' : ` (${r.cpuCores.daemons.toFixed(2)} cores busy)`}`],
    ['CPU, other programs', r.cpuCores.background === null ? '-' : `${r.cpuCores.background.toFixed(2)} cores${r.background > 0 ? ` (${r.background} spinning by --background)` : r.cpuCores.background > 0.2 ? ' (not quiet: figures disturbed)' : ''}`],
    ['elections during the run', r.term.elections === null ? '-' : r.term.elections ? `yes (term ${r.term.before} -> ${r.term.after})` : `none (term ${r.term.before})`],
    ['errors', errors === '' ? 'none' : errors],
  ]
  return renderTable({head: ['METRIC', 'VALUE'], rows})
}
