/**
 * `raftctl bench` against a local cluster: make sure it runs (starting it, or creating it, when
 * needed, and undoing exactly that afterwards), find the leader, run the {@link LoadGenerator},
 * and measure the CPU time of this process and of every daemon over the measured window.
 */
import {LocalCluster, type ClusterHandle} from '../cluster/index.js'
import {CpuMeter, processRssBytes, type CpuUsage} from './cpu.js'
import {LoadGenerator, type BenchTarget, type LoadProgress, type LoadResult} from './loadgen.js'

/** What the benchmark does (the command's flags). */
export interface BenchOptions {
  readonly clients: number
  readonly connections?: number
  readonly durationMs: number
  readonly warmupMs: number
  readonly valueSize: number
  readonly keys: number
  readonly readRatio: number
  readonly serializable: boolean
  readonly target: BenchTarget
  readonly requestTimeoutMs?: number
}

/** `raftctl bench --json`: the DESIGN.md shape plus extras. */
export interface BenchReport {
  readonly ops: number
  readonly seconds: number
  readonly throughput: number
  readonly latencyMs: {readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number; readonly mean: number; readonly p999: number}
  readonly reads: number
  readonly writes: number
  readonly errors: Record<string, number>
  readonly redirects: number
  readonly retries: number
  /** CPU milliseconds per operation over the measured window (null when a daemon's could not be read). */
  readonly cpuMsPerOp: {readonly client: number | null; readonly daemons: number | null; readonly nodes: Record<string, number | null>}
  /**
   * CPU utilisation over the window, in cores (1 = one core busy all the time): this client,
   * the daemons, and everything else on the machine (`background`: other programs competing
   * for the CPU; the figures are only comparable when it is near 0).
   */
  readonly cpuCores: {readonly client: number; readonly daemons: number | null; readonly background: number | null}
  /** Daemon resident memory after the run, bytes. */
  readonly rssBytes: Record<string, number | null>
  readonly leader: string | null
  /**
   * The leader's term before and after the run: a higher term after means at least one
   * election happened during the benchmark (an unstable cluster under load).
   */
  readonly term: {readonly before: number; readonly after: number | null; readonly elections: boolean | null}
  readonly options: BenchOptions & {readonly cluster: string}
}

/** Who started what, so that it can be undone. */
export interface ClusterLease {
  readonly created: boolean
  readonly started: readonly string[]
  /** Stop the nodes started (and destroy the cluster when it was created). */
  release(): Promise<void>
}

/** The lease of a cluster the benchmark neither created nor started (a remote one): nothing to undo. */
export const NO_LEASE: ClusterLease = {created: false, started: [], release: async () => undefined}

/**
 * Make sure `cluster` runs with a leader: create it (with `nodes` founders) or start its
 * stopped nodes. The lease undoes exactly that.
 */
export async function ensureRunning(cluster: LocalCluster, nodes = 3, timeoutMs = 20_000): Promise<ClusterLease> {
  let result: {created: boolean; started: string[]} = {created: false, started: []}
  const release = async (): Promise<void> => {
    if (result.created) await cluster.destroy()
    else if (result.started.length > 0) await cluster.stop([...result.started])
  }
  try {
    result = await cluster.start(nodes)
    await cluster.waitForLeader(timeoutMs, (s) => s.nodes.every((n) => !n.reachable || n.leader === s.leader))
  } catch (error) {
    await release().catch(() => undefined)
    throw error
  }
  return {created: result.created, started: result.started, release}
}

/** Run one benchmark against a running cluster. */
export async function benchCluster(cluster: ClusterHandle, options: BenchOptions, onProgress?: (p: LoadProgress) => void): Promise<BenchReport> {
  const status = await cluster.waitForLeader()
  const nodes = (await cluster.nodeIds()).map((id) => ({id, address: cluster.addressOf(id)}))
  // The daemons' CPU and memory are measured only where their processes are visible: a local cluster.
  const pids = new Map<string, number>()
  for (const n of nodes) {
    const pid = cluster instanceof LocalCluster ? cluster.pid(n.id) : null
    if (pid !== null) pids.set(n.id, pid)
  }
  let meter: CpuMeter | null = null
  let usage: CpuUsage | null = null
  const gen = new LoadGenerator({
    endpoints: nodes.map((n) => ({id: n.id, url: n.address})),
    ...cluster.access(),
    clients: options.clients,
    connections: options.connections,
    durationMs: options.durationMs,
    warmupMs: options.warmupMs,
    valueSize: options.valueSize,
    keys: options.keys,
    readRatio: options.readRatio,
    serializable: options.serializable,
    target: options.target,
    leaderHint: status.leader ?? undefined,
    requestTimeoutMs: options.requestTimeoutMs,
    onProgress,
    onMeasureStart: () => {
      meter = new CpuMeter([...pids.values()])
    },
    onMeasureEnd: () => {
      usage = meter?.read() ?? null
    },
  })
  if (options.readRatio > 0) await gen.preload()
  const result: LoadResult = await gen.run()
  const u = usage as CpuUsage | null
  const perOp = (ms: number | null): number | null => (ms === null || result.ops === 0 ? null : round(ms / result.ops, 4))
  const nodesCpu: Record<string, number | null> = {}
  for (const [id, pid] of pids) nodesCpu[id] = perOp(u?.perPid[pid] ?? null)
  const rssBytes: Record<string, number | null> = {}
  for (const [id, pid] of pids) rssBytes[id] = processRssBytes(pid)
  const termBefore = status.nodes.find((n) => n.id === status.leader)?.term ?? status.term
  const after = await cluster.status().catch(() => null)
  const termAfter = after === null ? null : Math.max(0, ...after.nodes.map((n) => n.term ?? 0))
  const seconds = result.seconds
  /** Whether the daemons' processes were measured (not for a remote cluster: their CPU is unknown, null). */
  const seen = pids.size > 0
  return {
    ops: result.ops,
    seconds: round(seconds, 3),
    throughput: round(result.throughput, 1),
    latencyMs: {p50: result.latencyMs.p50, p90: result.latencyMs.p90, p99: result.latencyMs.p99, max: result.latencyMs.max, mean: round(result.latencyMs.mean, 3), p999: result.latencyMs.p999},
    reads: result.reads,
    writes: result.writes,
    errors: result.errors,
    redirects: result.redirects,
    retries: result.retries,
    cpuMsPerOp: {client: perOp(u?.selfMs ?? null), daemons: seen ? perOp(u?.othersMs ?? null) : null, nodes: nodesCpu},
    cpuCores: {
      client: u && seconds > 0 ? round(u.selfMs / 1000 / seconds, 3) : 0,
      daemons: seen && u && u.othersMs !== null && seconds > 0 ? round(u.othersMs / 1000 / seconds, 3) : null,
      background: u && u.backgroundMs !== null && u.wallMs > 0 ? round(u.backgroundMs / u.wallMs, 3) : null,
    },
    rssBytes,
    leader: gen.currentLeader,
    term: {before: termBefore, after: termAfter, elections: termAfter === null ? null : termAfter > termBefore},
    options: {...options, cluster: cluster.name},
  }
}

function round(x: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}
