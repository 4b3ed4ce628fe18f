/**
 * `npm run bench:size`: how long a snapshot of the KV state takes, and the longest the event loop
 * stalls meanwhile, at 10k, 100k and 1M keys (`--sizes`) of 100-byte values; the WAL on disk, a
 * restart, and a new node's catch-up by snapshot at each size; plots of each figure.
 *
 * Each run is a child process (a clean heap) holding one single-node replica over a real
 * FileStorage (fdatasync on) in a temporary directory, loaded with the keys in batches of 10,000
 * proposals. Then a snapshot is requested (the admin path, `snapshotWhenIdle`) while a 5 ms
 * interval timer pings and a write is proposed every 5 ms; reported: the snapshot's duration
 * (request to durable, log compacted), the longest interval between two pings (an interval of
 * 5 ms means no stall), the longest event-loop delay seen by perf_hooks' monitorEventLoopDelay,
 * the cost of the copy-on-write capture itself (`KvStateMachine.capture()`, timed apart after
 * the snapshot), the writes answered while the snapshot was in progress, the longest and
 * total garbage-collection pause meanwhile, and the most CPU time the loop's thread used between
 * two pings (Linux schedstat: a stall's own work, apart from waiting for a CPU on a busy
 * machine) (printed per run).
 *
 * Then the WAL's bytes on disk (its segments after the snapshot compacted the log), the snapshot
 * file's, and the bound 2 × (snapshot + one segment); and a restart: a new store and replica over
 * the same folder, timed from opening the store to a leader that applied every committed entry
 * (recovery, snapshot restore, replay; Node's own start and the port bind of a daemon left out),
 * with the segments it read and the entry records it replayed.
 *
 * Modes: `after` runs the replica with the KV capture and FileStorage.writeSnapshot (snapshots
 * off the event loop); `before` hides those two optional ports, so the replica takes the
 * synchronous path every build before them took (serialize, write and fsync on the loop).
 * Each (size, mode) runs `--runs` times (default 3); the median of each figure is printed, with
 * /proc/loadavg before and after. `--json` prints one JSON document. `--segment-bytes` sets the
 * WAL segment size (default the daemon's).
 *
 * `--modes none` runs no snapshot run (only the catch-up). `--keep-logs DIR` copies the catch-up
 * daemons' logs there before their cluster is removed (with `--trace-gc` in RAFTCTL_DAEMON_NODE_FLAGS).
 *
 * Then, per size (unless `--skip-catch-up`), a new node's catch-up by snapshot with real daemons
 * (see `catchUp` below), with the leader's and the new node's peak RSS and longest event-loop
 * delay during it, and the snapshots the leader sent, given up after `--catch-up-timeout` (default 5m) and shown as a gap. Finally the plots (src/bench/size-report.ts) are written as
 * `<--plots>-{snapshot,stall,wal,restart,catchup}.svg` (default docs/perf/size-…), and the table
 * for docs/performance.md is printed.
 */
import {spawnSync} from 'node:child_process'
import {copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {PerformanceObserver, monitorEventLoopDelay} from 'node:perf_hooks'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'
import {median} from '../src/bench/compare-stats.js'
import {preloadKeys} from '../src/bench/preload.js'
import {sizeMarkdownTable, sizePlots, type CatchUpRow, type SizeRow} from '../src/bench/size-report.js'
import {LocalCluster, addNode, planNodeAdd} from '../src/cluster/index.js'
import {parseDuration} from '../src/common/units.js'
import {SeededRng} from '../src/raft/index.js'
import {Replica} from '../src/replica/replica.js'
import type {StateMachine, Storage} from '../src/replica/ports.js'
import {DEFAULT_SEGMENT_BYTES, FileStorage} from '../src/storage/index.js'
import {KvStateMachine, encodeCommand} from '../src/kv/index.js'

const {values: args} = parseArgs({
  options: {
    sizes: {type: 'string', default: '10000,100000,1000000'},
    runs: {type: 'string', default: '3'},
    modes: {type: 'string', default: 'before,after'},
    one: {type: 'boolean', default: false},
    keys: {type: 'string', default: '10000'},
    mode: {type: 'string', default: 'after'},
    json: {type: 'boolean', default: false},
    'segment-bytes': {type: 'string', default: String(DEFAULT_SEGMENT_BYTES)},
    plots: {type: 'string', default: 'docs/perf/size'},
    'skip-catch-up': {type: 'boolean', default: false},
    'catch-up-timeout': {type: 'string', default: '5m'},
    'keep-logs': {type: 'string'},
  },
})

/** Proposals per loading batch (one Ready, one fsync). */
const LOAD_BATCH = 10_000
/** Ping and write interval during the snapshot, ms. */
const PING_MS = 5
const VALUE = 'v'.repeat(100)

/**
 * One run: the figures of a {@link SizeRow} that need no unit change, plus the sizes in bytes
 * (the row gives them in MiB, as medians).
 */
type RunResult = Omit<SizeRow, 'walMiB' | 'snapshotMiB' | 'diskBoundMiB'> & {
  /** Bytes of the WAL's segment files after the snapshot compacted the log. */
  readonly walBytes: number
  /** Bytes of the newest snapshot file. */
  readonly snapshotBytes: number
  /** The bound of issue 19: 2 × (snapshot + one segment). */
  readonly diskBoundBytes: number
  /** The longest garbage-collection pause during the snapshot (perf_hooks 'gc' entries; incremental marking steps are not among them), ms. */
  readonly maxGcPauseMs: number
  /** Garbage-collection pauses during the snapshot, ms in all. */
  readonly gcPauseMs: number
  /**
   * The most time the event loop's thread spent on a CPU between two pings during the snapshot,
   * ms (Linux schedstat; null elsewhere): the stall's own work, whatever else the machine ran
   * (a gap of 80 ms with 20 ms on a CPU was 60 ms of waiting for one).
   */
  readonly maxGapCpuMs: number | null
}

/** WAL segment size of the runs: `--segment-bytes`, default the daemon's (`node run --segment-size`). */
const SEGMENT_BYTES = Number(args['segment-bytes'])

const log = (s: string): void => void process.stderr.write(`${s}\n`)

/** The file storage with background syncs (as the daemon's leader), and (mode `after`) its background snapshot write. */
function storagePort(inner: FileStorage, mode: string): Storage {
  const port: Storage = {
    load: () => inner.load(), save: (w) => inner.save(w), saveSnapshot: (s, c) => inner.saveSnapshot(s, c), close: () => inner.close(),
    saveAsync: (w, done) => inner.saveAsync(w, done),
  }
  if (mode === 'after') port.writeSnapshot = (meta, pieces, done) => inner.writeSnapshot(meta, pieces, done)
  return port
}

/** The KV state machine: in mode `after` with its capture into one reused buffer, as the daemon's (src/daemon/state-hash.ts); without a capture in mode `before`. */
function machinePort(kv: KvStateMachine, mode: string): StateMachine {
  const port: StateMachine = {apply: (i, d) => kv.apply(i, d), snapshot: () => kv.snapshot(), restore: (d) => kv.restore(d)}
  if (mode === 'after') port.capture = () => kv.capture(undefined, undefined, true)
  return port
}

async function idle(replica: Replica): Promise<void> {
  while (replica.syncing) await new Promise((resolve) => setImmediate(resolve))
}

async function load(replica: Replica, keys: number): Promise<void> {
  for (let from = 0; from < keys; from += LOAD_BATCH) {
    for (let i = from; i < Math.min(keys, from + LOAD_BATCH); i++) replica.propose(encodeCommand({op: 'put', key: `key-${i.toString().padStart(8, '0')}`, value: VALUE}), () => {})
    replica.process()
    await idle(replica)
  }
}

/** A single-node replica over `storage` and `kv`, the node the runs measure. */
function singleNode(storage: FileStorage, kv: KvStateMachine, mode: string): Replica {
  return new Replica({
    raft: {id: 'n1', rng: new SeededRng(1), electionTicks: 10, heartbeatTicks: 1},
    storage: storagePort(storage, mode),
    network: {send: () => {}},
    stateMachine: machinePort(kv, mode),
    initialConf: {voters: ['n1'], learners: []},
    snapshotEvery: 0,
  })
}

/** Tick until the replica leads and has applied everything committed. */
async function ready(replica: Replica): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    const st = replica.status()
    if (st.role === 'leader' && st.appliedIndex >= st.commitIndex) return
    replica.tick()
    replica.process()
    await idle(replica)
  }
  throw new Error('the restarted replica did not become a ready leader')
}

/** Bytes and count of the files in `dir` whose name ends with `suffix`. */
function filesIn(dir: string, suffix: string): {bytes: number; count: number; sizes: number[]} {
  const sizes = readdirSync(dir).filter((f) => f.endsWith(suffix)).sort().map((f) => statSync(join(dir, f)).size)
  return {bytes: sizes.reduce((a, b) => a + b, 0), count: sizes.length, sizes}
}

async function runOne(keys: number, mode: string): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'raftctl-bench-size-'))
  const storage = new FileStorage({dir, segmentBytes: SEGMENT_BYTES, cleanupInBackground: true})
  const kv = new KvStateMachine()
  const replica = singleNode(storage, kv, mode)
  let reopened: {replica: Replica; storage: FileStorage} | null = null
  try {
    await ready(replica)
    await load(replica, keys)
    if (kv.size !== keys) throw new Error(`loaded ${kv.size} keys, expected ${keys}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
    const result = await measure(replica, keys, mode, storage)
    const t = performance.now()
    kv.capture().return?.()
    const captureMs = performance.now() - t
    const wal = filesIn(join(dir, 'wal'), '.log')
    const snapshotBytes = filesIn(join(dir, 'snapshots'), '.snap').sizes.at(-1) ?? 0
    replica.stop()
    storage.close()
    const opened: Record<string, unknown> = {}
    let openedAt = 0
    const start = performance.now()
    const storage2 = new FileStorage({dir, segmentBytes: SEGMENT_BYTES, logger: (_level, msg, fields) => msg === 'storage opened' && (openedAt = performance.now(), Object.assign(opened, fields))})
    const kv2 = new KvStateMachine()
    reopened = {replica: singleNode(storage2, kv2, mode), storage: storage2}
    await ready(reopened.replica)
    const restartMs = performance.now() - start
    if (kv2.size < keys) throw new Error(`the restart recovered ${kv2.size} keys, expected at least ${keys}`)
    return {
      ...result, captureMs,
      walBytes: wal.bytes, walSegments: wal.count, snapshotBytes, diskBoundBytes: 2 * (snapshotBytes + SEGMENT_BYTES),
      restartMs, restartStorageMs: openedAt - start, restartSegmentsRead: Number(opened.readSegments), restartEntriesReplayed: Number(opened.replayedEntries),
    }
  } finally {
    replica.stop()
    storage.close()
    reopened?.replica.stop()
    reopened?.storage.close()
    rmSync(dir, {recursive: true, force: true})
  }
}

type SnapshotFigures = Pick<RunResult, 'keys' | 'mode' | 'snapshotMs' | 'longestPingGapMs' | 'maxLoopDelayMs' | 'writesAnswered' | 'maxGcPauseMs' | 'gcPauseMs' | 'maxGapCpuMs'>

/** This thread's time on a CPU so far, ms (Linux /proc/self/task/TID/schedstat; the main thread's id is the pid), or null. */
function threadCpuMs(): number | null {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6
  } catch {
    return null
  }
}

async function measure(replica: Replica, keys: number, mode: string, storage: FileStorage): Promise<SnapshotFigures> {
  const delay = monitorEventLoopDelay({resolution: 1})
  const gcPauses: number[] = []
  const gc = new PerformanceObserver((list) => void gcPauses.push(...list.getEntries().map((e) => e.duration)))
  let last = performance.now()
  let longestGap = 0
  let lastCpu = threadCpuMs()
  let maxGapCpu = 0
  let writesAnswered = 0
  let seq = 0
  let snapshotting = true
  const ping = setInterval(() => {
    const now = performance.now()
    longestGap = Math.max(longestGap, now - last)
    last = now
    const cpu = threadCpuMs()
    if (cpu !== null && lastCpu !== null) maxGapCpu = Math.max(maxGapCpu, cpu - lastCpu)
    lastCpu = cpu
    replica.propose(encodeCommand({op: 'put', key: `late-${seq++}`, value: VALUE}), (o) => {
      if (o.ok && snapshotting) writesAnswered++
    })
    replica.process()
  }, PING_MS)
  await new Promise((resolve) => setTimeout(resolve, 4 * PING_MS))
  delay.enable()
  gc.observe({entryTypes: ['gc']})
  longestGap = 0
  maxGapCpu = 0
  const start = performance.now()
  let end = 0
  const done = new Promise<void>((resolve) => replica.snapshotWhenIdle(() => {
    end = performance.now()
    snapshotting = false
    resolve()
  }))
  await done
  // The ping after the last stall measures it.
  await new Promise((resolve) => setTimeout(resolve, 4 * PING_MS))
  clearInterval(ping)
  delay.disable()
  gc.disconnect()
  if (storage.stats().snapshotIndex === 0) throw new Error('no snapshot was stored')
  return {
    keys, mode,
    snapshotMs: end - start,
    longestPingGapMs: longestGap,
    maxLoopDelayMs: delay.max / 1e6,
    writesAnswered,
    maxGcPauseMs: Math.max(0, ...gcPauses),
    gcPauseMs: gcPauses.reduce((a, b) => a + b, 0),
    maxGapCpuMs: lastCpu === null ? null : maxGapCpu,
  }
}

/** The median of the runs (compare-stats' median: the mean of the middle two for an even count). */
const medianOf = (values: readonly number[]): number => median(values) ?? Number.NaN

function loadavg(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').trim()
  } catch {
    return 'n/a'
  }
}

function child(keys: number, mode: string): RunResult {
  const self = fileURLToPath(import.meta.url)
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--max-old-space-size=4096', self, '--one', '--keys', String(keys), '--mode', mode, '--segment-bytes', String(SEGMENT_BYTES)], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit']})
  if (r.status !== 0) throw new Error(`run ${keys} ${mode} failed (exit ${r.status})`)
  return JSON.parse(r.stdout) as RunResult
}

async function main(): Promise<void> {
  if (args.one) {
    process.stdout.write(JSON.stringify(await runOne(Number(args.keys), args.mode)))
    return
  }
  const sizes = args.sizes.split(',').map(Number)
  const modes = args.modes === 'none' ? [] : args.modes.split(',')
  const runs = Number(args.runs)
  const loadBefore = loadavg()
  const rows: SizeRow[] = []
  for (const keys of sizes) {
    for (const mode of modes) {
      const results: RunResult[] = []
      for (let k = 0; k < runs; k++) {
        results.push(child(keys, mode))
        log(`${keys} keys ${mode} run ${k + 1}: ${JSON.stringify(results[k])}`)
      }
      const gapCpu = results.map((r) => r.maxGapCpuMs).filter((ms): ms is number => ms !== null)
      if (gapCpu.length > 0) log(`${keys} keys ${mode}: most CPU time of the loop's thread between two pings, median of ${gapCpu.length}: ${round(medianOf(gapCpu))} ms (longest gap ${round(medianOf(results.map((r) => r.longestPingGapMs)))} ms)`)
      rows.push({
        keys, mode,
        snapshotMs: round(medianOf(results.map((r) => r.snapshotMs))),
        longestPingGapMs: round(medianOf(results.map((r) => r.longestPingGapMs))),
        maxLoopDelayMs: round(medianOf(results.map((r) => r.maxLoopDelayMs))),
        captureMs: round(medianOf(results.map((r) => r.captureMs))),
        writesAnswered: medianOf(results.map((r) => r.writesAnswered)),
        walMiB: mib(medianOf(results.map((r) => r.walBytes))),
        walSegments: medianOf(results.map((r) => r.walSegments)),
        snapshotMiB: mib(medianOf(results.map((r) => r.snapshotBytes))),
        diskBoundMiB: mib(medianOf(results.map((r) => r.diskBoundBytes))),
        restartMs: round(medianOf(results.map((r) => r.restartMs))),
        restartStorageMs: round(medianOf(results.map((r) => r.restartStorageMs))),
        restartSegmentsRead: medianOf(results.map((r) => r.restartSegmentsRead)),
        restartEntriesReplayed: medianOf(results.map((r) => r.restartEntriesReplayed)),
      })
    }
  }
  const catchUps: CatchUpRow[] = []
  if (!args['skip-catch-up']) {
    for (const keys of sizes) {
      catchUps.push(await catchUp(keys))
      const c = catchUps.at(-1)!
      log(`${keys} keys: a new node caught up by snapshot in ${c.catchUpMs} ms; peak RSS leader ${c.leaderPeakRssMiB} / new node ${c.followerPeakRssMiB} MiB; ` +
        `longest event-loop delay leader ${c.leaderMaxLagMs} / new node ${c.followerMaxLagMs} ms; snapshots sent by the leader ${c.snapshotsSent}`)
    }
  }
  const report = {loadavgBefore: loadBefore, loadavgAfter: loadavg(), runs, segmentBytes: SEGMENT_BYTES, rows, catchUps}
  const loadNote = `${report.loadavgBefore.split(' ')[0]}–${report.loadavgAfter.split(' ')[0]}`
  const plots = sizePlots(rows, catchUps, loadNote)
  mkdirSync(dirname(args.plots), {recursive: true})
  for (const [name, svg] of Object.entries(plots)) writeFileSync(`${args.plots}-${name}.svg`, svg)
  log(`wrote ${Object.keys(plots).map((name) => `${args.plots}-${name}.svg`).join(', ')}`)
  if (args.json) return void process.stdout.write(JSON.stringify(report, null, 2) + '\n')
  console.log(`/proc/loadavg before: ${report.loadavgBefore}; after: ${report.loadavgAfter}; median of ${runs} runs; WAL segments of ${SEGMENT_BYTES} bytes`)
  console.log(sizeMarkdownTable(rows, catchUps))
}

/** Longest wait for a new node to catch up, and for the leader's snapshot, ms (`--catch-up-timeout`, default 5m). */
const CATCH_UP_TIMEOUT_MS = parseDuration(args['catch-up-timeout'])

/**
 * A new node catching up by snapshot, with real daemons: a one-node local cluster (in a
 * temporary RAFTCTL_HOME, compaction lag 0 so that the log holds nothing before the snapshot)
 * loaded with `keys` keys (src/bench/preload.ts), a snapshot taken on it, then `node add
 * --learner`'s workflow (addNode); timed from the learner's configuration entry committed to
 * the leader seeing the learner's match at its last index (the daemon's start is left out).
 */
async function catchUp(keys: number): Promise<CatchUpRow> {
  const home = mkdtempSync(join(tmpdir(), 'raftctl-bench-catchup-'))
  const cluster = new LocalCluster('catchup', home)
  try {
    await cluster.start(1, {compactionLag: 0})
    await cluster.waitForLeader()
    const ids = await cluster.nodeIds()
    await preloadKeys(ids.map((id) => ({id, url: cluster.addressOf(id)})), cluster.access(), keys, 'key-', VALUE)
    await cluster.onLeader((client) => client.snapshot({timeoutMs: CATCH_UP_TIMEOUT_MS}), CATCH_UP_TIMEOUT_MS)
    const snapshotBytes = filesIn(join(cluster.paths.dataDir(ids[0]!), 'raft', 'snapshots'), '.snap').sizes.at(-1) ?? null
    let addedAt: number | null = null
    let caughtAt: number | null = null
    const leader = ids[0]!
    resetPeakRss(cluster.pid(leader))
    let probe: CatchUpProbe | undefined
    await cluster.exclusive(async () => {
      const planned = await planNodeAdd(cluster, true)
      probe = await CatchUpProbe.start(cluster, leader, planned.id)
      await addNode(cluster, planned, {learner: true, force: false, catchUpTimeoutMs: CATCH_UP_TIMEOUT_MS}, {
        step: (text) => {
          if (text.startsWith('added ')) addedAt = performance.now()
          if (text.includes(' caught up')) caughtAt = performance.now()
        },
        doing: () => undefined,
      })
    })
    const figures = await probe!.finish()
    return {keys, catchUpMs: addedAt !== null && caughtAt !== null ? round(caughtAt - addedAt) : null, snapshotMiB: snapshotBytes === null ? null : mib(snapshotBytes), ...figures}
  } catch (error) {
    log(`${keys} keys: the catch-up run failed: ${(error as Error).message}`)
    return {keys, catchUpMs: null, snapshotMiB: null}
  } finally {
    if (args['keep-logs'] !== undefined) keepLogs(cluster, args['keep-logs'], keys)
    if (cluster.exists()) await cluster.destroy().catch(() => undefined)
    rmSync(home, {recursive: true, force: true})
  }
}

/** Copy the catch-up cluster's daemon logs to `dir` as `catchup-<keys>-<node>.log` (`--keep-logs DIR`: e.g. with `--trace-gc` in RAFTCTL_DAEMON_NODE_FLAGS). */
function keepLogs(cluster: LocalCluster, dir: string, keys: number): void {
  try {
    mkdirSync(dir, {recursive: true})
    const logs = dirname(cluster.paths.logFile('x'))
    for (const name of readdirSync(logs)) if (name.endsWith('.log')) copyFileSync(join(logs, name), join(dir, `catchup-${keys}-${name}`))
  } catch (error) {
    log(`could not keep the catch-up logs: ${(error as Error).message}`)
  }
}

/** Interval between two scrapes of the nodes' /metrics during a catch-up, ms. */
const PROBE_MS = 200

/**
 * What a catch-up costs the two nodes: each one's peak RSS (VmHWM; the leader's reset before
 * the catch-up by writing 5 to /proc/PID/clear_refs, the new node's is its whole life), and
 * the longest event-loop delay each one saw during it (its /metrics
 * `nodejs_eventloop_lag_max_seconds`, the maximum since the previous scrape, scraped every
 * {@link PROBE_MS} ms); and the snapshots the leader sent (its log's `snapshotSent` lines:
 * the core's re-sends count, whether or not the transport then dropped them as in flight).
 */
class CatchUpProbe {
  private readonly lagMs = new Map<string, number>()
  private timer: NodeJS.Timeout | undefined
  private scraping = Promise.resolve()

  private constructor(private readonly cluster: LocalCluster, private readonly leader: string, private readonly follower: string) {}

  /** Start probing; the leader's maximum so far (the load and its snapshot) is read first and discarded. */
  static async start(cluster: LocalCluster, leader: string, follower: string): Promise<CatchUpProbe> {
    const probe = new CatchUpProbe(cluster, leader, follower)
    await probe.scrape()
    probe.lagMs.clear()
    probe.timer = setInterval(() => {
      probe.scraping = probe.scraping.then(() => probe.scrape())
    }, PROBE_MS)
    return probe
  }

  async finish(): Promise<Omit<CatchUpRow, 'keys' | 'catchUpMs' | 'snapshotMiB'>> {
    clearInterval(this.timer)
    await this.scraping
    await this.scrape()
    const peak = (id: string): number | null => {
      const kib = peakRssKiB(this.cluster.pid(id))
      return kib === null ? null : mib(kib * 1024)
    }
    const log = readFileSync(this.cluster.paths.logFile(this.leader), 'utf8')
    return {
      leaderPeakRssMiB: peak(this.leader), followerPeakRssMiB: peak(this.follower),
      leaderMaxLagMs: this.lagMs.get(this.leader) ?? null, followerMaxLagMs: this.lagMs.get(this.follower) ?? null,
      snapshotsSent: log.split('\n').filter((line) => line.includes('snapshotSent') && line.includes(this.follower)).length,
    }
  }

  private async scrape(): Promise<void> {
    await Promise.all([this.leader, this.follower].map(async (id) => {
      try {
        const res = await fetch(`${this.cluster.addressOf(id).replace(/^ws/, 'http')}/metrics`, {headers: {authorization: `Bearer ${this.cluster.secret()}`}})
        const m = /^nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(await res.text())
        if (m) this.lagMs.set(id, Math.max(this.lagMs.get(id) ?? 0, round(Number(m[1]) * 1000)))
      } catch {
        // not started yet, or busy: the next scrape reads the maximum since the last one that answered
      }
    }))
  }
}

/** Reset a process's peak RSS (VmHWM) to its current RSS; a no-op where Linux does not allow it. */
function resetPeakRss(pid: number | null): void {
  try {
    if (pid !== null) writeFileSync(`/proc/${pid}/clear_refs`, '5')
  } catch {
    // not Linux, or not permitted: the peak then covers the process's whole life
  }
}

/** A process's peak RSS (VmHWM) in KiB, or null. */
function peakRssKiB(pid: number | null): number | null {
  try {
    const m = pid === null ? null : /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) : null
  } catch {
    return null
  }
}

function mib(bytes: number): number {
  return round(bytes / (1024 * 1024))
}

function round(n: number): number {
  return Math.round(n * 10) / 10
}

await main()
