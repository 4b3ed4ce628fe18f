/**
 * `npm run bench:soak`: issue 19's soak target, "no election during a 10-minute 64-client write
 * load over 1M keys with snapshots every 10,000 entries", as a benchmark (not a test).
 *
 *   npm run bench:soak -- --keys 1000000 --duration 10m --clients 64 --snapshot-every 10000
 *
 * Creates a 3-node local cluster in a temporary RAFTCTL_HOME with `--snapshot-every`, preloads
 * every key once (128 puts to a txn, src/bench/preload.ts; values of `--value-size` bytes, default 100), then runs the write load (each
 * client one write in flight, keys chosen uniformly among the preloaded ones) for `--duration`.
 * Every `--sample` (default 1s) it asks every node for its status (term, leader, snapshot index)
 * and scrapes its /metrics: the longest event-loop delay since the last scrape (prom-client's
 * `nodejs_eventloop_lag_max_seconds`, perf_hooks' monitorEventLoopDelay at a 10 ms resolution:
 * an idle loop reads about 10 ms), and the daemon's own counters of elections started and
 * leader changes seen. Afterwards it reads the election-related lines of every daemon's log
 * during the run, prints a JSON summary (src/bench/soak-summary.ts) on stdout, writes the two
 * plots (writes/s and stall over time) as `<--plots>-writes.svg` and `<--plots>-stall.svg`
 * (default docs/perf/soak), and destroys the cluster (`--keep` keeps its folder for the logs
 * and prints where it is). /proc/loadavg is recorded before, after the preload, and after.
 *
 * The daemons' timing and Node flags, to tell garbage-collection pauses from CPU starvation:
 * `--tick`, `--election-ticks`, `--heartbeat-ticks` (as `cluster start`'s; defaults the
 * daemon's: 5ms, 30, 6, an election timeout of 150–300 ms; etcd's 1 s is `--election-ticks 200
 * --heartbeat-ticks 20`), and `--node-flags="--trace-gc ..."` (with `=`: the value starts with dashes): Node/V8 flags added to the
 * daemons' own (RAFTCTL_DAEMON_NODE_FLAGS, else DEFAULT_DAEMON_NODE_FLAGS); the daemons'
 * output, `--trace-gc` lines included, goes to their log files (`--keep` to read them). The
 * flags are read once when the daemons' module loads, so with `--node-flags` the benchmark runs
 * itself again as a child process with the variable set.
 */
import {spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {performance} from 'node:perf_hooks'
import {parseArgs} from 'node:util'
import {LoadGenerator, benchValue} from '../src/bench/loadgen.js'
import {metricValue, raftEventsFromLog, soakPlots, summarizeSoak, type SoakNodeSample, type SoakSample} from '../src/bench/soak-summary.js'
import {preloadKeys} from '../src/bench/preload.js'
import {CLUSTER_HEADER} from '../src/client/connection.js'
import {DAEMON_NODE_FLAGS, LocalCluster, CLUSTER_DEFAULTS, type ClusterStatus} from '../src/cluster/index.js'
import {parseDuration} from '../src/common/units.js'

const {values: args} = parseArgs({
  options: {
    keys: {type: 'string', default: '1000000'},
    duration: {type: 'string', default: '10m'},
    clients: {type: 'string', default: '64'},
    'snapshot-every': {type: 'string', default: '10000'},
    'value-size': {type: 'string', default: '100'},
    sample: {type: 'string', default: '1s'},
    plots: {type: 'string', default: 'docs/perf/soak'},
    keep: {type: 'boolean', default: false},
    tick: {type: 'string', default: CLUSTER_DEFAULTS.tick},
    'election-ticks': {type: 'string', default: String(CLUSTER_DEFAULTS.electionTicks)},
    'heartbeat-ticks': {type: 'string', default: String(CLUSTER_DEFAULTS.heartbeatTicks)},
    'node-flags': {type: 'string', default: ''},
  },
})

/** Set in the child run of `--node-flags`: the daemons' flags are in RAFTCTL_DAEMON_NODE_FLAGS already. */
const CHILD_MARK = 'RAFTCTL_SOAK_NODE_FLAGS_SET'

/** The load generator's key names (its default prefix): the preload writes the keys the load overwrites. */
const KEY_PREFIX = 'bench-'

/** One scrape's and one status request's give-up time, ms. */
const SAMPLE_TIMEOUT_MS = 2000

const log = (s: string): void => void process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`)

function loadavg(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').trim()
  } catch {
    return 'n/a'
  }
}

/** GET /metrics of one node (bearer secret), null when it does not answer in time. */
async function scrape(address: string, access: {secret: string; clusterId?: string}): Promise<string | null> {
  const url = `${address.replace(/^ws/, 'http')}/metrics`
  try {
    const res = await fetch(url, {
      headers: {Authorization: `Bearer ${access.secret}`, ...(access.clusterId === undefined ? {} : {[CLUSTER_HEADER]: encodeURIComponent(access.clusterId)})},
      signal: AbortSignal.timeout(SAMPLE_TIMEOUT_MS),
    })
    return res.ok ? await res.text() : null
  } catch {
    return null
  }
}

/** Every node's status row and metrics, side by side. */
async function sampleNodes(cluster: LocalCluster, ids: readonly string[]): Promise<SoakNodeSample[]> {
  const access = cluster.access()
  const [status, texts] = await Promise.all([
    cluster.status(SAMPLE_TIMEOUT_MS).catch((): ClusterStatus | null => null),
    Promise.all(ids.map((id) => scrape(cluster.addressOf(id), access))),
  ])
  return ids.map((id, i) => {
    const row = status?.nodes.find((n) => n.id === id)
    const text = texts[i] ?? null
    const lag = text === null ? null : metricValue(text, 'nodejs_eventloop_lag_max_seconds')
    return {
      id,
      reachable: row?.reachable === true,
      term: row?.term ?? null,
      leader: row?.leader ?? null,
      snapshotIndex: row?.detail?.snapshotIndex ?? null,
      appliedIndex: row?.appliedIndex ?? null,
      loopDelayMaxMs: lag === null ? null : Math.round(lag * 1e4) / 10,
      elections: text === null ? null : metricValue(text, 'raft_elections_total') ?? 0,
      leaderChanges: text === null ? null : metricValue(text, 'raft_leader_changes_total') ?? 0,
    }
  })
}

async function main(): Promise<void> {
  const keys = Number(args.keys)
  const clients = Number(args.clients)
  const snapshotEvery = Number(args['snapshot-every'])
  const durationMs = parseDuration(args.duration!)
  const sampleMs = parseDuration(args.sample!)
  const home = mkdtempSync(join(tmpdir(), 'raftctl-soak-'))
  const cluster = new LocalCluster('soak', home)
  const loadBefore = loadavg()
  let keep = args.keep
  try {
    log(`creating a 3-node cluster in ${home} (--snapshot-every ${snapshotEvery}); load ${loadBefore}`)
    await cluster.start(3, {snapshotEvery, tick: args.tick, electionTicks: Number(args['election-ticks']), heartbeatTicks: Number(args['heartbeat-ticks'])})
    const st = await cluster.waitForLeader()
    const ids = await cluster.nodeIds()
    const daemonStartedAt = Object.fromEntries(ids.map((id) => [id, processStartEpochMs(cluster.pid(id))]))
    /** Writes acknowledged (reset when the measured load starts). */
    let acked = 0
    const gen = new LoadGenerator({
      endpoints: ids.map((id) => ({id, url: cluster.addressOf(id)})),
      ...cluster.access(),
      clients, durationMs, valueSize: Number(args['value-size']), keys, readRatio: 0, target: 'leader', keyPrefix: KEY_PREFIX,
      leaderHint: st.leader ?? undefined,
      onAck: (a) => {
        if (a.write) acked++
      },
    })
    const preloadStart = performance.now()
    const preloadTimer = setInterval(() => log(`preloading ${keys} keys: ${Math.round((performance.now() - preloadStart) / 1000)} s`), 30_000)
    await preloadKeys(ids.map((id) => ({id, url: cluster.addressOf(id)})), cluster.access(), keys, KEY_PREFIX, benchValue(Number(args['value-size']))).finally(() => clearInterval(preloadTimer))
    const preloadMs = performance.now() - preloadStart
    const loadAfterPreload = loadavg()
    log(`preloaded ${keys} keys in ${Math.round(preloadMs / 1000)} s; load ${loadAfterPreload}; running ${clients} clients for ${durationMs / 1000} s`)

    const samples: SoakSample[] = []
    acked = 0
    let lastAcked = 0
    let lastAt = performance.now()
    const runStartEpoch = Date.now()
    const runStart = performance.now()
    let sampling: Promise<void> = Promise.resolve()
    const take = async (): Promise<void> => {
      const nodes = await sampleNodes(cluster, ids)
      const now = performance.now()
      const writesPerSec = ((acked - lastAcked) * 1000) / Math.max(1, now - lastAt)
      lastAcked = acked
      lastAt = now
      const s: SoakSample = {t: Math.round((now - runStart) / 100) / 10, writesPerSec: Math.round(writesPerSec), nodes}
      samples.push(s)
      if (samples.length % 30 === 0) log(`t=${s.t}s ${s.writesPerSec} writes/s; ${nodes.map((n) => `${n.id} term ${n.term} stall ${n.loopDelayMaxMs} ms snap ${n.snapshotIndex}`).join('; ')}`)
    }
    await take()
    const sampler = setInterval(() => {
      sampling = sampling.then(take)
    }, sampleMs)
    const result = await gen.run()
    clearInterval(sampler)
    await sampling
    await take()
    const loadAfter = loadavg()

    const summary = summarizeSoak(samples, result.writes, result.seconds)
    const events = ids.flatMap((id) => {
      try {
        return raftEventsFromLog(id, readFileSync(cluster.paths.logFile(id), 'utf8'), runStartEpoch)
      } catch {
        return []
      }
    }).sort((a, b) => a.time - b.time)
    const title = `${keys} keys, ${clients} clients, snapshot every ${snapshotEvery}`
    const plots = soakPlots(samples, title)
    mkdirSync(dirname(args.plots!), {recursive: true})
    writeFileSync(`${args.plots}-writes.svg`, plots.writes)
    writeFileSync(`${args.plots}-stall.svg`, plots.stall)
    if (summary.elections > 0 || events.length > 0) keep = true
    const report = {
      options: {
        keys, clients, durationMs, snapshotEvery, valueSize: Number(args['value-size']), sampleMs,
        tick: args.tick, electionTicks: Number(args['election-ticks']), heartbeatTicks: Number(args['heartbeat-ticks']), daemonNodeFlags: DAEMON_NODE_FLAGS,
      },
      loadavg: {before: loadBefore, afterPreload: loadAfterPreload, after: loadAfter},
      preloadSeconds: Math.round(preloadMs / 100) / 10,
      startedAt: new Date(runStartEpoch).toISOString(),
      summary,
      latencyMs: result.latencyMs,
      errors: result.errors,
      retries: result.retries,
      events: events.map((e) => ({...e, t: Math.round((e.time - runStartEpoch) / 100) / 10})),
      plots: [`${args.plots}-writes.svg`, `${args.plots}-stall.svg`],
      clusterHome: keep ? home : null,
      daemonStartedAt,
      samples,
    }
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
    log(`elections ${summary.elections}, term changes ${summary.termChanges}, leader changes ${summary.leaderChanges}; longest stall ${summary.longestStallMs} ms; ${Math.round(summary.writesPerSec.mean)} writes/s; load ${loadAfter}`)
  } finally {
    await cluster.stop().catch(() => undefined)
    if (keep) log(`kept the cluster's folder (logs, data): ${home}`)
    else {
      if (cluster.exists()) await cluster.destroy().catch(() => undefined)
      rmSync(home, {recursive: true, force: true})
    }
  }
}

/**
 * When process `pid` started, ms since the epoch (Linux: /proc/PID/stat's start time after boot,
 * 10 ms resolution), or null: places a daemon's `--trace-gc` lines (ms since its start) in time.
 */
function processStartEpochMs(pid: number | null): number | null {
  try {
    if (pid === null) return null
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const startTicks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19])
    const bootSeconds = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))![1])
    return bootSeconds * 1000 + startTicks * 10
  } catch {
    return null
  }
}

/** Run this benchmark again with `--node-flags` added to the daemons' Node flags; its exit status. */
function runWithNodeFlags(flags: string): number {
  const env = {...process.env, RAFTCTL_DAEMON_NODE_FLAGS: [...DAEMON_NODE_FLAGS, flags].join(' ').trim(), [CHILD_MARK]: '1'}
  return spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {env, stdio: 'inherit'}).status ?? 1
}

if (args['node-flags'] !== '' && process.env[CHILD_MARK] === undefined) process.exitCode = runWithNodeFlags(args['node-flags']!)
else await main()
