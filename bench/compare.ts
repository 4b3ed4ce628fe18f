/**
 * `npm run bench:compare`: raftctl side by side with etcd and ZooKeeper on this machine.
 *
 * 1. Installs etcd (Debian `etcd-server`, `etcd-client`) and ZooKeeper (`zookeeper`, with
 *    `default-jre-headless`) with apt-get when they are missing (as root; `apt-get update` first).
 * 2. Starts a cluster of each (3 nodes; `--nodes N`) on 127.0.0.1 only, fsync on, in a temporary folder.
 * 3. Drives them from this Node process with the same concurrency, value size, key count and
 *    duration: etcd through `etcd3` (gRPC), ZooKeeper through `node-zookeeper-client`, raftctl
 *    through its load generator (src/bench). Every client talks to the leader; the clients of
 *    one system share 4 connections. Within each repeat the systems alternate (the order
 *    rotates from one repeat to the next), at least 3 repeats.
 * 4. Prints one table of each system's medians and raftctl's ratio to each, and which targets
 *    of the performance issue hold; `--out FILE` also writes every sample as JSON.
 * 5. Stops everything it started (by pid), also on error and on Ctrl-C.
 *
 * Options: --duration 10s --warmup 2s --repeats 3 --clients 64 --value-size 100 --keys 1000
 * --warmup-pass 5s --systems etcd,zookeeper,raftctl --workloads writes64,writes1,reads64 --out FILE
 * --nodes 3 --keep-dir. Before the first repeat each system runs each workload once for --warmup-pass,
 * unmeasured (`0s` skips it).
 * `--workloads` runs only the named workloads (e.g. `writes1` with many repeats, to measure the
 * 1-client latency alone); the targets of workloads not run read `n/a`.
 *
 * `--background N` runs N spinning processes (N busy cores of other work, src/bench/background.ts)
 * from before the systems start until the end, so behaviour on a busy machine is measured.
 *
 * `--matrix` (issue 23) runs the cells of src/bench/matrix.ts instead of the workloads: value
 * sizes (`--sizes 100,1KiB,16KiB,256KiB`), client counts (`--clients 1,64,1000`), cluster sizes
 * (`--nodes 3,5`) and operations (`--ops writes,reads`), each cell once per system for
 * --duration after --warmup (the systems alternate, the order rotating from cell to cell). Each
 * cluster size starts every system afresh; before a value size's cells each system takes one
 * probe write of that size, and a refusal (e.g. raftctl's PAYLOAD_TOO_LARGE over its value limit)
 * fails that system's cells of that size with the reason. It writes the table, the JSON
 * (docs/perf/matrix.json, or --out) and the plots (docs/perf/matrix-*.svg) and replaces the
 * section between the markers of docs/performance.md; `--print-only` writes nothing.
 * `--cell-repeats N` (default 1) runs each cell N times per system, the systems' order rotating
 * from run to run, and keeps each system's run of median throughput with the range of all
 * (`rowFromRepeats`): a 256 KiB cell swung 2x with the order alone.
 * `--etcdctl-perf s|m|l|xl` also runs `etcdctl check perf --load L` (etcd's own Go driver, 60 s,
 * rate-limited) against the first cluster size's etcd, with its client CPU per op measured, as
 * a second view of etcd beside the JavaScript gRPC client.
 */
import {execFileSync, spawn, type ChildProcess} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {cpus, loadavg, tmpdir, totalmem} from 'node:os'
import {join} from 'node:path'
import {parseArgs} from 'node:util'
import {setTimeout as sleep} from 'node:timers/promises'
import {LocalCluster, freePort} from '../src/cluster/index.js'
import {benchCluster} from '../src/bench/run.js'
import {runClosedLoop, type ClosedLoopResult} from '../src/bench/closed-loop.js'
import {CpuMeter, type CpuUsage} from '../src/bench/cpu.js'
import {benchValue} from '../src/bench/loadgen.js'
import {median, medianOf, pairedRatios} from '../src/bench/compare-stats.js'
import {parseDuration, parseSize} from '../src/common/units.js'
import {startBackground} from '../src/bench/background.js'
import {
  ETCDCTL_PERF_LOADS, MATRIX_BEGIN, MATRIX_DEFAULTS, MATRIX_END, failedRow, formatBytes, matrixCells, matrixPlots, matrixSection, matrixTable,
  matrixTargets, medianBackground, parseBashTimes, parseCount, parseEtcdctlPerf, parseList, parseOp, parseValueSize, replaceBetweenMarkers,
  rowFromRepeats, type CellMeasure, type EtcdctlPerfRun, type MatrixDims, type MatrixRow,
} from '../src/bench/matrix.js'

// ---------------------------------------------------------------------------------------------
// Options

const {values: args} = parseArgs({
  options: {
    duration: {type: 'string', default: '10s'},
    warmup: {type: 'string', default: '2s'},
    'warmup-pass': {type: 'string', default: '5s'},
    repeats: {type: 'string', default: '3'},
    clients: {type: 'string'},
    'value-size': {type: 'string', default: '100'},
    nodes: {type: 'string'},
    matrix: {type: 'boolean', default: false},
    sizes: {type: 'string'},
    ops: {type: 'string'},
    background: {type: 'string', default: '0'},
    'etcdctl-perf': {type: 'string'},
    'print-only': {type: 'boolean', default: false},
    'cell-repeats': {type: 'string', default: '1'},
    'docs-dir': {type: 'string', default: 'docs'},
    keys: {type: 'string', default: '1000'},
    connections: {type: 'string', default: '4'},
    systems: {type: 'string', default: 'etcd,zookeeper,raftctl'},
    workloads: {type: 'string', default: 'writes64,writes1,reads64'},
    out: {type: 'string'},
    'keep-dir': {type: 'boolean', default: false},
  },
})

const DURATION_MS = parseDuration(args.duration!)
const WARMUP_MS = parseDuration(args.warmup!)
const WARMUP_PASS_MS = parseDuration(args['warmup-pass']!)
const REPEATS = Math.max(1, Number(args.repeats))
const MATRIX = args.matrix!
/** Runs per system in each matrix cell (`--cell-repeats`), the order of the systems rotating from run to run. */
const CELL_REPEATS = Number(args['cell-repeats'])
if (!Number.isInteger(CELL_REPEATS) || CELL_REPEATS < 1) throw new RangeError(`--cell-repeats must be a positive integer, got ${args['cell-repeats']}`)
const CLIENTS = MATRIX ? 64 : Number(args.clients ?? '64')
const VALUE_SIZE = parseSize(args['value-size']!)
const KEYS = Number(args.keys)
const CONNECTIONS = Number(args.connections)
const SYSTEMS = args.systems!.split(',').map((s) => s.trim()) as SystemName[]
const BACKGROUND = Number(args.background)
/** The matrix's dimensions (--matrix): the issue's full matrix unless narrowed. */
const DIMS: MatrixDims = {
  sizes: args.sizes === undefined ? MATRIX_DEFAULTS.sizes : parseList(args.sizes, '--sizes', parseValueSize),
  clients: args.clients === undefined || !MATRIX ? MATRIX_DEFAULTS.clients : parseList(args.clients, '--clients', parseCount),
  nodes: args.nodes === undefined ? (MATRIX ? MATRIX_DEFAULTS.nodes : [3]) : parseList(args.nodes, '--nodes', parseCount),
  ops: args.ops === undefined ? MATRIX_DEFAULTS.ops : parseList(args.ops, '--ops', parseOp),
}

type SystemName = 'etcd' | 'zookeeper' | 'raftctl'
type WorkloadName = 'writes64' | 'writes1' | 'reads64'

interface Workload {
  readonly name: WorkloadName
  readonly clients: number
  readonly read: boolean
  /** Bytes of each written value (the value size of the reads' preloaded keys). */
  readonly valueBytes: number
  /** Distinct keys, chosen uniformly (default --keys). */
  readonly keys?: number
  /** Measured window and warm-up of one run, when not --duration and --warmup (the warm-up pass). */
  readonly durationMs?: number
  readonly warmupMs?: number
}

const ALL_WORKLOADS: readonly Workload[] = [
  {name: 'writes64', clients: CLIENTS, read: false, valueBytes: VALUE_SIZE},
  {name: 'writes1', clients: 1, read: false, valueBytes: VALUE_SIZE},
  {name: 'reads64', clients: CLIENTS, read: true, valueBytes: VALUE_SIZE},
]
const WORKLOAD_NAMES = args.workloads!.split(',').map((s) => s.trim()).filter(Boolean)
const WORKLOADS: readonly Workload[] = ALL_WORKLOADS.filter((w) => WORKLOAD_NAMES.includes(w.name))

/** One measurement. */
interface Sample {
  readonly system: SystemName
  readonly workload: WorkloadName
  readonly repeat: number
  readonly ops: number
  readonly throughput: number
  readonly p50: number
  readonly p99: number
  readonly max: number
  readonly errors: number
  /** CPU ms per operation: this process, and the system's server processes. */
  readonly clientCpuMsPerOp: number | null
  readonly serverCpuMsPerOp: number | null
  /** Other programs' CPU use during the run, in cores (the sample is disturbed when it is not near 0). */
  readonly backgroundCores: number | null
}

/** What one run measured. */
type Measure = Omit<Sample, 'system' | 'workload' | 'repeat'> & {readonly errorCounts: Record<string, number>}

/** A system under test: a cluster of `nodes` servers on 127.0.0.1. */
interface System {
  readonly name: SystemName
  readonly nodes: number
  /** Server pids (for CPU accounting). */
  pids(): number[]
  /** One write of `valueBytes`; rejects with the system's reason when it refuses the size. */
  probe(valueBytes: number): Promise<void>
  /** Write the first `keys` keys with a value of `valueBytes` (before reads of that size). */
  preload(valueBytes: number, keys: number): Promise<void>
  run(w: Workload): Promise<Measure>
  /** Stop its clients and servers (idempotent). */
  stop(): Promise<void>
  /** The leader's client URL, for other drivers (etcd's `etcdctl check perf`). */
  readonly endpoint?: string
}

// ---------------------------------------------------------------------------------------------
// Processes: everything started is recorded and stopped at the end, whatever happens

const children: ChildProcess[] = []
const cleanups: (() => Promise<void>)[] = []

function startProcess(command: string, argv: string[], logFile: string, env: NodeJS.ProcessEnv = process.env): ChildProcess {
  const out = openSync(logFile, 'a')
  try {
    const child = spawn(command, argv, {stdio: ['ignore', out, out], env})
    child.on('error', (err) => console.error(`${command}: ${err.message}`))
    children.push(child)
    return child
  } finally {
    closeSync(out)
  }
}

async function stopAll(): Promise<void> {
  for (const fn of cleanups.splice(0).reverse()) {
    try {
      await fn()
    } catch (error) {
      console.error(`cleanup: ${(error as Error).message}`)
    }
  }
  await stopProcesses(children)
}

/** Stop these processes: SIGTERM, then SIGKILL after 5 s; resolves when all have exited. */
async function stopProcesses(procs: readonly ChildProcess[]): Promise<void> {
  const alive = procs.filter((c) => c.exitCode === null && c.signalCode === null && c.pid !== undefined)
  for (const c of alive) c.kill('SIGTERM')
  const end = Date.now() + 5000
  while (Date.now() < end && alive.some((c) => c.exitCode === null && c.signalCode === null)) await sleep(50)
  for (const c of alive) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
}

/** `benchValue(size)`, made once per size. */
const values = new Map<number, string>()
function valueOf(size: number): string {
  let v = values.get(size)
  if (v === undefined) values.set(size, (v = benchValue(size)))
  return v
}

process.on('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
})
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    console.error(`\n${sig}: stopping everything`)
    void stopAll().finally(() => process.exit(130))
  })
}

// ---------------------------------------------------------------------------------------------
// Installing the peers

function have(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
}

const ZK_JAR = '/usr/share/java/zookeeper.jar'

function ensureInstalled(): void {
  const packages: string[] = []
  if (SYSTEMS.includes('etcd')) {
    if (!have('etcd')) packages.push('etcd-server')
    if (!have('etcdctl')) packages.push('etcd-client')
  }
  if (SYSTEMS.includes('zookeeper')) {
    if (!existsSync(ZK_JAR)) packages.push('zookeeper')
    if (!have('java')) packages.push('default-jre-headless')
  }
  if (packages.length === 0) return
  if (process.getuid?.() !== 0) throw new Error(`missing ${packages.join(', ')}: install them (apt-get install ${packages.join(' ')}) or run as root`)
  console.error(`installing ${packages.join(', ')} with apt-get`)
  const env = {...process.env, DEBIAN_FRONTEND: 'noninteractive'}
  execFileSync('apt-get', ['update'], {stdio: ['ignore', 'ignore', 'inherit'], env})
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...packages], {stdio: ['ignore', 'ignore', 'inherit'], env})
}

function versionOf(cmd: string, argv: string[], pattern: RegExp): string {
  try {
    const out = execFileSync(cmd, argv, {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
    return pattern.exec(out)?.[1] ?? 'unknown'
  } catch {
    return 'unknown'
  }
}

// ---------------------------------------------------------------------------------------------
// etcd

async function startEtcd(root: string, count: number): Promise<System> {
  const {Etcd3} = await import('etcd3')
  const dir = join(root, `etcd-${count}`)
  mkdirSync(dir, {recursive: true})
  const nodes = await Promise.all(Array.from({length: count}, async (_, i) => ({name: `e${i + 1}`, client: await freePort(), peer: await freePort()})))
  const initial = nodes.map((n) => `${n.name}=http://127.0.0.1:${n.peer}`).join(',')
  const procs = nodes.map((n) => startProcess('etcd', [
    '--name', n.name, '--data-dir', join(dir, n.name),
    '--listen-client-urls', `http://127.0.0.1:${n.client}`, '--advertise-client-urls', `http://127.0.0.1:${n.client}`,
    '--listen-peer-urls', `http://127.0.0.1:${n.peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${n.peer}`,
    '--initial-cluster', initial, '--initial-cluster-state', 'new', '--initial-cluster-token', 'raftctl-compare',
    // Large values fill the backend fast (every revision is kept until compacted, below): 8 GiB, etcd's maximum quota.
    '--quota-backend-bytes', String(8 * 2 ** 30),
    '--logger', 'zap', '--log-level', 'warn',
  ], join(dir, `${n.name}.log`)))
  // The leader: the endpoint whose status says it leads.
  let leaderUrl: string | null = null
  const end = Date.now() + 30_000
  while (leaderUrl === null && Date.now() < end) {
    for (const n of nodes) {
      const url = `http://127.0.0.1:${n.client}`
      const probe = new Etcd3({hosts: [url]})
      try {
        const st = await probe.maintenance.status()
        if (st.leader !== '0' && st.leader === st.header.member_id) leaderUrl = url
      } catch {
        // not up yet
      } finally {
        probe.close()
      }
      if (leaderUrl !== null) break
    }
    if (leaderUrl === null) await sleep(200)
  }
  if (leaderUrl === null) {
    await stopProcesses(procs)
    throw new Error(`etcd did not elect a leader; see ${dir}/*.log`)
  }
  const clients = Array.from({length: CONNECTIONS}, () => new Etcd3({hosts: [leaderUrl!]}))
  const keys = Array.from({length: KEYS}, (_, i) => `bench-${i}`)
  let stopped: Promise<void> | undefined
  const stop = (): Promise<void> => (stopped ??= (async () => {
    for (const c of clients) c.close()
    await stopProcesses(procs)
  })())
  cleanups.push(stop)
  const preload = async (valueBytes: number, count: number): Promise<void> => {
    const value = valueOf(valueBytes)
    await Promise.all(Array.from({length: 16}, async (_, w) => {
      for (let i = w; i < count; i += 16) await clients[w % clients.length]!.put(keys[i]!).value(value)
    }))
  }
  /**
   * Compact the history to the current revision, so that big values do not fill the backend
   * (matrix only: the workloads' 100-byte runs stay as they were measured before). `physical`
   * waits until it is done, so the compaction's work does not fall into the next cell.
   */
  const compact = async (): Promise<void> => {
    const st = await clients[0]!.maintenance.status()
    await clients[0]!.kv.compact({revision: st.header.revision, physical: true})
  }
  if (!MATRIX) await preload(VALUE_SIZE, KEYS) // values for the reads
  return {
    name: 'etcd',
    nodes: count,
    endpoint: leaderUrl,
    pids: () => procs.map((p) => p.pid!).filter(Boolean),
    probe: async (valueBytes) => {
      await clients[0]!.put('bench-probe').value(valueOf(valueBytes))
    },
    preload,
    run: async (w) => {
      const value = valueOf(w.valueBytes)
      const r = await measure('etcd', procs.map((p) => p.pid!), w, async (client) => {
        const c = clients[client % clients.length]!
        const key = keys[Math.floor(Math.random() * (w.keys ?? KEYS))]!
        if (w.read) await c.get(key).string() // linearizable: etcd3's default
        else await c.put(key).value(value)
      })
      if (MATRIX && !w.read) await compact().catch((e: Error) => console.error(`etcd compaction: ${e.message}`))
      return r
    },
    stop,
  }
}

// ---------------------------------------------------------------------------------------------
// ZooKeeper

async function startZooKeeper(root: string, count: number): Promise<System> {
  const zookeeper = (await import('node-zookeeper-client')).default
  const dir = join(root, `zookeeper-${count}`)
  const nodes = await Promise.all(Array.from({length: count}, async (_, i) => ({id: i + 1, client: await freePort(), quorum: await freePort(), election: await freePort()})))
  const servers = nodes.map((n) => `server.${n.id}=127.0.0.1:${n.quorum}:${n.election}`).join('\n')
  const procs = nodes.map((n) => {
    const data = join(dir, `zk${n.id}`)
    mkdirSync(data, {recursive: true})
    writeFileSync(join(data, 'myid'), `${n.id}\n`)
    const cfg = join(dir, `zk${n.id}.cfg`)
    writeFileSync(cfg, [
      'tickTime=2000', 'initLimit=10', 'syncLimit=5', `dataDir=${data}`,
      'clientPortAddress=127.0.0.1', `clientPort=${n.client}`, 'admin.enableServer=false', '4lw.commands.whitelist=srvr',
      'forceSync=yes', 'maxClientCnxns=0', servers, '',
    ].join('\n'))
    return startProcess('java', [
      '-Xmx1g', '-Dzookeeper.log.dir=' + dir, '-Dzookeeper.root.logger=WARN,CONSOLE', '-Djute.maxbuffer=4194304',
      '-cp', `${ZK_JAR}:/etc/zookeeper/conf`, 'org.apache.zookeeper.server.quorum.QuorumPeerMain', cfg,
    ], join(dir, `zk${n.id}.log`))
  })
  // The leader: ask each server `srvr` (four-letter word) for its mode.
  let leaderPort: number | null = null
  const end = Date.now() + 60_000
  while (leaderPort === null && Date.now() < end) {
    for (const n of nodes) if ((await fourLetter(n.client, 'srvr')).includes('Mode: leader')) leaderPort = n.client
    if (leaderPort === null) await sleep(300)
  }
  if (leaderPort === null) {
    await stopProcesses(procs)
    throw new Error(`ZooKeeper did not elect a leader; see ${dir}/*.log`)
  }
  const clients = await Promise.all(Array.from({length: CONNECTIONS}, () => new Promise<ReturnType<typeof zookeeper.createClient>>((resolve, reject) => {
    const c = zookeeper.createClient(`127.0.0.1:${leaderPort}`, {sessionTimeout: 30_000, retries: 0})
    const timer = setTimeout(() => reject(new Error('ZooKeeper client did not connect')), 15_000)
    c.once('connected', () => {
      clearTimeout(timer)
      resolve(c)
    })
    c.connect()
  })))
  let stopped: Promise<void> | undefined
  const stop = (): Promise<void> => (stopped ??= (async () => {
    for (const c of clients) c.close()
    await stopProcesses(procs)
  })())
  cleanups.push(stop)
  const paths = Array.from({length: KEYS}, (_, i) => `/bench/k${i}`)
  const z = clients[0]!
  /** setData, or create when the znode is not there yet. */
  const put = (c: typeof z, path: string, value: Buffer): Promise<void> => new Promise<void>((resolve, reject) => {
    c.setData(path, value, -1, (e) => {
      if (!e) return resolve()
      if (!/NO_NODE/.test(e.message)) return reject(e)
      c.create(path, value, (e2) => (e2 && !/NODE_EXISTS/.test(e2.message) ? reject(e2) : resolve()))
    })
  })
  const preload = async (valueBytes: number, count: number): Promise<void> => {
    const value = Buffer.from(valueOf(valueBytes))
    await Promise.all(Array.from({length: 16}, async (_, w) => {
      for (let i = w; i < count; i += 16) await put(clients[w % clients.length]!, paths[i]!, value)
    }))
  }
  await new Promise<void>((resolve, reject) => z.mkdirp('/bench', (e) => (e ? reject(e) : resolve())))
  await preload(MATRIX ? 100 : VALUE_SIZE, KEYS) // every znode exists, with the values for the reads
  const buffers = new Map<number, Buffer>()
  return {
    name: 'zookeeper',
    nodes: count,
    pids: () => procs.map((p) => p.pid!).filter(Boolean),
    probe: (valueBytes) => put(z, '/bench/probe', Buffer.from(valueOf(valueBytes))),
    preload,
    run: (w) => {
      let value = buffers.get(w.valueBytes)
      if (value === undefined) buffers.set(w.valueBytes, (value = Buffer.from(valueOf(w.valueBytes))))
      const v = value
      return measure('zookeeper', procs.map((p) => p.pid!), w, (client) => {
        const c = clients[client % clients.length]!
        const path = paths[Math.floor(Math.random() * (w.keys ?? KEYS))]!
        return new Promise<void>((resolve, reject) => {
          if (w.read) c.getData(path, (e) => (e ? reject(e) : resolve()))
          else c.setData(path, v, -1, (e) => (e ? reject(e) : resolve()))
        })
      })
    },
    stop,
  }
}

/** Send a ZooKeeper four-letter command; the answer, or '' on failure. */
async function fourLetter(port: number, word: string): Promise<string> {
  const {connect} = await import('node:net')
  return new Promise((resolve) => {
    let out = ''
    const s = connect(port, '127.0.0.1', () => s.end(word))
    s.setTimeout(2000, () => s.destroy())
    s.on('data', (d) => (out += d.toString()))
    s.on('close', () => resolve(out))
    s.on('error', () => resolve(''))
  })
}

// ---------------------------------------------------------------------------------------------
// raftctl

async function startRaftctl(root: string, count: number): Promise<System> {
  const home = join(root, `raftctl-${count}`)
  const cluster = new LocalCluster('compare', home)
  let stopped: Promise<void> | undefined
  const stop = (): Promise<void> => (stopped ??= (async () => {
    if (cluster.exists()) await cluster.destroy()
  })())
  cleanups.push(stop)
  await cluster.start(count)
  await cluster.waitForLeader(30_000, (s) => s.nodes.every((n) => n.reachable && n.leader === s.leader))
  const pids = (): number[] => cluster.manifest().nodes.flatMap((n) => {
    const pid = cluster.pid(n.id)
    return pid === null ? [] : [pid]
  })
  return {
    name: 'raftctl',
    nodes: count,
    pids,
    probe: async (valueBytes) => {
      const kv = cluster.kv({timeoutMs: 10_000})
      try {
        await kv.put('bench-probe', valueOf(valueBytes))
      } finally {
        kv.close()
      }
    },
    preload: async () => undefined, // benchCluster writes every key before a run with reads
    run: async (w) => {
      const r = await benchCluster(cluster, {
        clients: w.clients, connections: CONNECTIONS, durationMs: w.durationMs ?? DURATION_MS, warmupMs: w.warmupMs ?? WARMUP_MS,
        valueSize: w.valueBytes, keys: w.keys ?? KEYS, readRatio: w.read ? 1 : 0, serializable: false, target: 'leader',
      })
      const errors = Object.values(r.errors).reduce((a, b) => a + b, 0)
      return {
        ops: r.ops, throughput: r.throughput, p50: r.latencyMs.p50, p99: r.latencyMs.p99, max: r.latencyMs.max, errors, errorCounts: r.errors,
        clientCpuMsPerOp: r.cpuMsPerOp.client, serverCpuMsPerOp: r.cpuMsPerOp.daemons, backgroundCores: r.cpuCores.background,
      }
    },
    stop,
  }
}

// ---------------------------------------------------------------------------------------------
// Measuring

async function measure(system: SystemName, pids: number[], w: Workload, op: (client: number) => Promise<unknown>): Promise<Measure> {
  let meter: CpuMeter | null = null
  let usage: CpuUsage | null = null
  const r: ClosedLoopResult = await runClosedLoop({
    clients: w.clients, durationMs: w.durationMs ?? DURATION_MS, warmupMs: w.warmupMs ?? WARMUP_MS, op,
    onMeasureStart: () => (meter = new CpuMeter(pids)),
    onMeasureEnd: () => (usage = meter?.read() ?? null),
  })
  if (r.errors > 0) console.error(`${system} ${w.name}: ${r.errors} errors (first: ${r.firstError})`)
  const u = usage as CpuUsage | null
  const perOp = (ms: number | null | undefined): number | null => (ms === null || ms === undefined || r.ops === 0 ? null : ms / r.ops)
  return {
    ops: r.ops, throughput: r.throughput, p50: r.latencyMs.p50, p99: r.latencyMs.p99, max: r.latencyMs.max, errors: r.errors,
    errorCounts: r.errors > 0 ? {[r.firstError ?? 'error']: r.errors} : {},
    clientCpuMsPerOp: perOp(u?.selfMs), serverCpuMsPerOp: perOp(u?.othersMs),
    backgroundCores: u && u.backgroundMs !== null ? u.backgroundMs / u.wallMs : null,
  }
}

/**
 * Before the first repeat, every system runs every workload once for --warmup-pass, unmeasured:
 * the JVM's JIT, Go's heap and V8's optimizer all start cold, and a peer just started may still
 * be settling (a cold ZooKeeper has stalled for seconds in its first runs here).
 */
async function warmupPass(systems: readonly System[]): Promise<void> {
  if (WARMUP_PASS_MS <= 0) return
  for (const s of systems) {
    for (const w of WORKLOADS) {
      const r = await s.run({...w, durationMs: WARMUP_PASS_MS, warmupMs: 0})
      console.error(`warm-up  ${w.name.padEnd(8)} ${s.name.padEnd(9)} ${String(Math.round(r.throughput)).padStart(6)} ops/s (not counted)`)
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The table

interface Row {
  readonly label: string
  readonly workload: WorkloadName
  readonly field: 'throughput' | 'p50' | 'p99' | 'clientCpuMsPerOp' | 'serverCpuMsPerOp'
  /** Higher is better (throughput) or lower is better (latency, CPU). */
  readonly higherBetter: boolean
}

const ROWS: readonly Row[] = [
  {label: `writes, ${CLIENTS} clients: throughput (ops/s)`, workload: 'writes64', field: 'throughput', higherBetter: true},
  {label: `writes, ${CLIENTS} clients: p50 (ms)`, workload: 'writes64', field: 'p50', higherBetter: false},
  {label: `writes, ${CLIENTS} clients: p99 (ms)`, workload: 'writes64', field: 'p99', higherBetter: false},
  {label: 'writes, 1 client: p50 (ms)', workload: 'writes1', field: 'p50', higherBetter: false},
  {label: 'writes, 1 client: throughput (ops/s)', workload: 'writes1', field: 'throughput', higherBetter: true},
  {label: `reads, ${CLIENTS} clients: throughput (ops/s)`, workload: 'reads64', field: 'throughput', higherBetter: true},
  {label: `reads, ${CLIENTS} clients: p99 (ms)`, workload: 'reads64', field: 'p99', higherBetter: false},
  {label: `writes, ${CLIENTS} clients: server CPU ms/op`, workload: 'writes64', field: 'serverCpuMsPerOp', higherBetter: false},
  {label: `writes, ${CLIENTS} clients: client CPU ms/op`, workload: 'writes64', field: 'clientCpuMsPerOp', higherBetter: false},
]

/** raftctl's ratio: how many times better (throughput: raftctl / peer; latency and CPU: peer / raftctl). */
function ratio(r: Row, raft: number | null, peer: number | null): number | null {
  if (raft === null || peer === null || raft === 0 || peer === 0) return null
  return r.higherBetter ? raft / peer : peer / raft
}

function fmt(v: number | null, field: Row['field']): string {
  if (v === null) return '-'
  if (field === 'throughput') return String(Math.round(v))
  if (field === 'clientCpuMsPerOp' || field === 'serverCpuMsPerOp') return v.toFixed(3)
  return v < 10 ? v.toFixed(2) : v.toFixed(1)
}

function table(samples: readonly Sample[]): string {
  const peers = SYSTEMS.filter((s) => s !== 'raftctl')
  const head = ['', ...SYSTEMS, ...(SYSTEMS.includes('raftctl') ? peers.map((p) => `raftctl vs ${p}`) : [])]
  const lines: string[][] = [head]
  for (const r of ROWS.filter((row) => WORKLOADS.some((w) => w.name === row.workload))) {
    const values = SYSTEMS.map((s) => medianOf(samples, s, r.workload, r.field))
    const raft = medianOf(samples, 'raftctl', r.workload, r.field)
    const ratios = SYSTEMS.includes('raftctl') ? peers.map((p) => ratio(r, raft, medianOf(samples, p, r.workload, r.field))) : []
    lines.push([r.label, ...values.map((v) => fmt(v, r.field)), ...ratios.map((x) => (x === null ? '-' : `${x.toFixed(2)}x`))])
  }
  const widths = head.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)))
  const row = (l: string[]): string => `| ${l.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`
  return [row(lines[0]!), `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...lines.slice(1).map(row)].join('\n')
}

/** The issue's targets, checked on the medians. */
function targets(samples: readonly Sample[]): string[] {
  const m = (s: SystemName, w: WorkloadName, f: Row['field']): number | null => medianOf(samples, s, w, f)
  const check = (name: string, ok: boolean | null, detail: string): string => `${ok === null ? 'n/a ' : ok ? 'HOLD' : 'MISS'}  ${name}: ${detail}`
  const r = (a: number | null, b: number | null): number | null => (a === null || b === null || b === 0 ? null : a / b)
  const out: string[] = []
  const wEtcd = r(m('raftctl', 'writes64', 'throughput'), m('etcd', 'writes64', 'throughput'))
  const wZk = r(m('raftctl', 'writes64', 'throughput'), m('zookeeper', 'writes64', 'throughput'))
  const p99 = [m('raftctl', 'writes64', 'p99'), m('zookeeper', 'writes64', 'p99')] as const
  const p50 = [m('raftctl', 'writes1', 'p50'), m('zookeeper', 'writes1', 'p50')] as const
  const rEtcd = r(m('raftctl', 'reads64', 'throughput'), m('etcd', 'reads64', 'throughput'))
  const x = (v: number | null): string => (v === null ? '-' : `${v.toFixed(2)}x`)
  out.push(check(`writes at ${CLIENTS} clients >= 3x etcd`, wEtcd === null ? null : wEtcd >= 3, x(wEtcd)))
  out.push(check(`writes at ${CLIENTS} clients >= 1.5x ZooKeeper`, wZk === null ? null : wZk >= 1.5, x(wZk)))
  out.push(check(`write p99 at ${CLIENTS} clients <= ZooKeeper's`, p99[0] === null || p99[1] === null ? null : p99[0] <= p99[1], `${fmt(p99[0], 'p99')} ms vs ${fmt(p99[1], 'p99')} ms`))
  out.push(check('write p50 with 1 client <= ZooKeeper\'s', p50[0] === null || p50[1] === null ? null : p50[0] <= p50[1], `${fmt(p50[0], 'p50')} ms vs ${fmt(p50[1], 'p50')} ms`))
  out.push(check(`linearizable reads at ${CLIENTS} clients >= 3x etcd`, rEtcd === null ? null : rEtcd >= 3, x(rEtcd)))
  return out
}

/** The 1-client p50 repeat by repeat, as raftctl's over each peer's (src/bench/compare-stats.ts). */
function pairedLatency(samples: readonly Sample[]): string[] {
  if (!SYSTEMS.includes('raftctl') || !WORKLOADS.some((w) => w.name === 'writes1')) return []
  const out: string[] = []
  for (const peer of SYSTEMS.filter((s) => s !== 'raftctl')) {
    const p = pairedRatios(samples, 'raftctl', peer, 'writes1', 'p50')
    if (p.median === null) continue
    out.push(`\n1-client p50, raftctl / ${peer} by repeat (below 1: raftctl faster): ${p.ratios.map((x) => x.toFixed(3)).join(' ')}; median ${p.median.toFixed(3)}, raftctl lower or equal in ${p.raftctlNotWorse} of ${p.ratios.length}`)
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Main

async function main(): Promise<void> {
  if (!(CLIENTS >= 1 && KEYS >= 1 && CONNECTIONS >= 1)) throw new Error('--clients, --keys and --connections must be positive')
  for (const s of SYSTEMS) if (!['etcd', 'zookeeper', 'raftctl'].includes(s)) throw new Error(`unknown system ${s}`)
  for (const w of WORKLOAD_NAMES) if (!ALL_WORKLOADS.some((a) => a.name === w)) throw new Error(`unknown workload ${w} (known: ${ALL_WORKLOADS.map((a) => a.name).join(', ')})`)
  if (WORKLOADS.length === 0) throw new Error('--workloads names no workload')
  if (!MATRIX && DIMS.nodes.length !== 1) throw new Error('--nodes takes one cluster size without --matrix')
  if (args['etcdctl-perf'] !== undefined && !['s', 'm', 'l', 'xl'].includes(args['etcdctl-perf'])) throw new Error('--etcdctl-perf takes s, m, l or xl')
  ensureInstalled()
  const root = mkdtempSync(join(tmpdir(), 'raftctl-compare-'))
  if (!args['keep-dir']) {
    cleanups.unshift(async () => {
      // Runs last (cleanups run in reverse): after every process is stopped.
      await sleep(200)
      rmSync(root, {recursive: true, force: true})
    })
  }
  const versions: Record<string, string> = {
    node: process.version,
    etcd: SYSTEMS.includes('etcd') ? versionOf('etcd', ['--version'], /etcd Version: (\S+)/) : '-',
    zookeeper: SYSTEMS.includes('zookeeper') ? versionOf('dpkg-query', ['-W', '-f', '${Version}', 'zookeeper'], /^(.+)$/) : '-',
  }
  // The spinners run from before the systems start until stopAll (first of the cleanups pushed after this one).
  const background = startBackground(BACKGROUND)
  cleanups.push(() => background.stop())
  if (BACKGROUND > 0) console.error(`--background ${BACKGROUND}: ${BACKGROUND} spinning processes (pids ${background.pids.join(', ')})`)
  if (MATRIX) await runMatrix(root, versions)
  else await runWorkloads(root, versions)
}

/** Start every selected system as a cluster of `nodes`. */
function startSystems(root: string, nodes: number): Promise<System[]> {
  return startSystemsNamed(root, SYSTEMS, nodes)
}

async function startSystemsNamed(root: string, names: readonly SystemName[], nodes: number): Promise<System[]> {
  const systems: System[] = []
  for (const name of names) {
    console.error(`starting ${name} (${nodes} nodes)`)
    if (name === 'etcd') systems.push(await startEtcd(root, nodes))
    if (name === 'zookeeper') systems.push(await startZooKeeper(root, nodes))
    if (name === 'raftctl') systems.push(await startRaftctl(root, nodes))
  }
  return systems
}

/** The workloads mode (without --matrix): repeats of writes64, writes1, reads64 and their medians. */
async function runWorkloads(root: string, versions: Record<string, string>): Promise<void> {
  const NODES = DIMS.nodes[0]!
  console.error(`bench:compare in ${root}: ${SYSTEMS.join(', ')}; ${NODES} nodes; ${CLIENTS} clients over ${CONNECTIONS} connections, ${VALUE_SIZE} B values, ${KEYS} keys, ${WARMUP_MS} ms warm-up + ${DURATION_MS} ms per run, ${REPEATS} repeats of ${WORKLOADS.map((w) => w.name).join(', ')} after a ${WARMUP_PASS_MS} ms warm-up pass of each`)
  const systems = await startSystems(root, NODES)
  await warmupPass(systems)
  const samples: Sample[] = []
  for (let repeat = 1; repeat <= REPEATS; repeat++) {
    for (const w of WORKLOADS) {
      const order = systems.map((_, i) => systems[(i + repeat - 1) % systems.length]!)
      for (const s of order) {
        const r = await s.run(w)
        samples.push({system: s.name, workload: w.name, repeat, ...r})
        console.error(`repeat ${repeat} ${w.name.padEnd(8)} ${s.name.padEnd(9)} ${String(Math.round(r.throughput)).padStart(6)} ops/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  background ${r.backgroundCores === null ? '?' : r.backgroundCores.toFixed(2)} cores${r.errors ? `  ${r.errors} errors` : ''}`)
      }
    }
  }
  const cpuModel = cpus()[0]?.model ?? 'unknown'
  console.log(`\nMedians of ${REPEATS} repeats (a run that completed nothing has no latency); ${DURATION_MS / 1000} s per run after ${WARMUP_MS / 1000} s warm-up and a ${WARMUP_PASS_MS / 1000} s warm-up pass; ${VALUE_SIZE}-byte values over ${KEYS} keys; ${NODES} nodes each on 127.0.0.1, fsync on; every client on the leader, ${CONNECTIONS} connections per system${BACKGROUND > 0 ? `; --background ${BACKGROUND} (that many spinning processes)` : ''}.`)
  console.log(`Machine: ${cpus().length} cores (${cpuModel}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB; node ${versions.node}, etcd ${versions.etcd}, ZooKeeper ${versions.zookeeper}.`)
  console.log('Ratios: how many times better raftctl is (throughput: raftctl / peer; latency and CPU: peer / raftctl).\n')
  console.log(table(samples))
  const bg = median(samples.flatMap((s) => (s.backgroundCores === null ? [] : [s.backgroundCores])))
  const bgMax = Math.max(0, ...samples.flatMap((s) => (s.backgroundCores === null ? [] : [s.backgroundCores])))
  console.log(`\nOther programs used ${bg === null ? '?' : bg.toFixed(2)} cores (median; max ${bgMax.toFixed(2)}) of the ${cpus().length} during the runs${BACKGROUND > 0 ? `, the ${BACKGROUND} --background spinners included` : ''}${bgMax - BACKGROUND > 0.2 ? ': the machine was not quiet, the figures are disturbed' : ''}.`)
  for (const line of pairedLatency(samples)) console.log(line)
  if (SYSTEMS.includes('raftctl') && SYSTEMS.length > 1) {
    console.log('\nTargets:')
    for (const line of targets(samples)) console.log(`  ${line}`)
  }
  if (args.out) writeFileSync(args.out, `${JSON.stringify({versions, options: {DURATION_MS, WARMUP_MS, WARMUP_PASS_MS, REPEATS, CLIENTS, VALUE_SIZE, KEYS, CONNECTIONS, NODES, BACKGROUND, WORKLOADS: WORKLOADS.map((w) => w.name)}, samples}, null, 2)}\n`)
}

// ---------------------------------------------------------------------------------------------
// The matrix (--matrix)

/** A failure's reason for the table: the error's stable code when it has one, else its message. */
function reasonOf(error: unknown): string {
  const e = error as {code?: unknown; message?: unknown}
  const message = typeof e?.message === 'string' ? e.message : String(error)
  return typeof e?.code === 'string' && /^[A-Z_]+$/.test(e.code) ? `${e.code} (${message})` : message
}

function loadavgText(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
  } catch {
    return loadavg().map((x) => x.toFixed(2)).join(' ')
  }
}

/**
 * Bytes of values the matrix's reads are spread over, at most: 32 MiB. Reads of large values use
 * fewer keys (128 at 256 KiB, all --keys up to 32 KiB), so loading them before the reads takes
 * seconds, not minutes, on every system alike.
 */
const READ_SET_BYTES = 32 * 2 ** 20

/** The keys the reads of `valueBytes` values go over: --keys, fewer for large values (at least 16). */
function readKeys(valueBytes: number): number {
  return Math.min(KEYS, Math.max(16, Math.floor(READ_SET_BYTES / valueBytes)))
}

/**
 * Every cell once per system: each cluster size starts the systems afresh (a system that does not
 * start fails its cells); before a value size, one probe write per system (a refusal fails that
 * system's cells of that size); before its reads, every key written with that size. Then the
 * table, targets, plots, JSON and docs section.
 */
async function runMatrix(root: string, versions: Record<string, string>): Promise<void> {
  const cells = matrixCells(DIMS)
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z')
  const loadBefore = loadavgText()
  // The code that runs: the commit, and whether the work tree differed from it (read at the start).
  const commit = (() => {
    try {
      const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim()
      const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim() !== ''
      return dirty ? `${sha} (with uncommitted changes)` : sha
    } catch {
      return 'unknown'
    }
  })()
  console.error(`bench:compare --matrix in ${root}: ${SYSTEMS.join(', ')}; ${cells.length} cells x ${SYSTEMS.length} systems (sizes ${DIMS.sizes.map(formatBytes).join(', ')}; clients ${DIMS.clients.join(', ')}; nodes ${DIMS.nodes.join(', ')}; ${DIMS.ops.join(', ')}), ${WARMUP_MS} ms warm-up + ${DURATION_MS} ms per cell, ${KEYS} keys, ${CONNECTIONS} connections per system; load ${loadBefore}`)
  const rows: MatrixRow[] = []
  let etcdctl: EtcdctlPerfRun | null = null
  let turn = 0
  for (const nodes of DIMS.nodes) {
    const systems: System[] = []
    /** Why a system cannot run the current cells (did not start, refused the size, could not load the keys). */
    const down = new Map<string, string>()
    for (const name of SYSTEMS) {
      try {
        systems.push(...(await startSystemsNamed(root, [name], nodes)))
      } catch (error) {
        down.set(name, `did not start: ${reasonOf(error)}`)
        console.error(`${name} (${nodes} nodes) did not start: ${reasonOf(error)}`)
      }
    }
    await matrixWarmup(systems)
    for (const valueBytes of DIMS.sizes) {
      const refused = new Map(down)
      for (const s of systems) {
        try {
          await s.probe(valueBytes)
        } catch (error) {
          refused.set(s.name, reasonOf(error))
          console.error(`${s.name} refused a ${formatBytes(valueBytes)} write: ${reasonOf(error)}`)
        }
      }
      for (const op of (['writes', 'reads'] as const).filter((o) => DIMS.ops.includes(o))) {
        const unavailable = new Map(refused)
        if (op === 'reads') {
          for (const s of systems.filter((x) => !unavailable.has(x.name))) {
            try {
              await s.preload(valueBytes, readKeys(valueBytes))
            } catch (error) {
              unavailable.set(s.name, `loading the keys: ${reasonOf(error)}`)
            }
          }
        }
        for (const cell of cells.filter((c) => c.nodes === nodes && c.valueBytes === valueBytes && c.op === op)) {
          const runs = new Map<string, (CellMeasure | string)[]>()
          for (let repeat = 0; repeat < CELL_REPEATS; repeat++) {
            const order = systems.map((_, i) => systems[(i + turn) % systems.length]!)
            turn++
            for (const s of order) {
              if (unavailable.has(s.name)) continue
              const list = runs.get(s.name) ?? []
              runs.set(s.name, list)
              try {
                const keys = op === 'reads' ? readKeys(valueBytes) : KEYS
                list.push(await s.run({name: op === 'writes' ? 'writes64' : 'reads64', clients: cell.clients, read: op === 'reads', valueBytes, keys}))
              } catch (error) {
                list.push(reasonOf(error))
              }
            }
          }
          const cellRows = new Map<string, MatrixRow>()
          for (const s of systems) {
            const reason = unavailable.get(s.name)
            cellRows.set(s.name, reason !== undefined ? failedRow(cell, s.name, reason) : rowFromRepeats(cell, s.name, runs.get(s.name) ?? ['not run']))
          }
          for (const name of SYSTEMS) {
            const r = cellRows.get(name) ?? failedRow(cell, name, down.get(name) ?? 'not run')
            rows.push(r)
            console.error(`${nodes} nodes ${op.padEnd(6)} ${formatBytes(valueBytes).padStart(7)} ${String(cell.clients).padStart(4)} clients ${name.padEnd(9)} ${r.status === 'ok' ? `${String(Math.round(r.throughput!)).padStart(6)} ops/s${r.throughputRange ? ` (${Math.round(r.throughputRange[0])}–${Math.round(r.throughputRange[1])} in ${r.runs} runs)` : ''}  p50 ${r.p50!.toFixed(2)} ms  p99 ${r.p99!.toFixed(2)} ms  client ${r.clientCpuMsPerOp?.toFixed(3) ?? '?'} / server ${r.serverCpuMsPerOp?.toFixed(3) ?? '?'} CPU ms/op  background ${r.backgroundCores?.toFixed(2) ?? '?'} cores${r.errors ? `  ${r.errors} errors` : ''}` : `failed: ${r.reason}`}`)
          }
        }
      }
    }
    const etcd = systems.find((s) => s.name === 'etcd')
    if (args['etcdctl-perf'] !== undefined && etcdctl === null && etcd !== undefined) etcdctl = await runEtcdctlPerf(etcd, args['etcdctl-perf'])
    for (const s of systems) await s.stop()
  }
  const loadAfter = loadavgText()
  const targets = matrixTargets(rows, BACKGROUND)
  const plots = matrixPlots(rows, DIMS, SYSTEMS)
  const cpuModel = cpus()[0]?.model ?? 'unknown'
  const info = {
    command: `npm run bench:compare -- ${process.argv.slice(2).join(' ')}`, commit, date,
    machine: `${cpus().length} cores (${cpuModel}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
    versions: `node ${versions.node}, etcd ${versions.etcd}, ZooKeeper ${versions.zookeeper}`,
    loadBefore, loadAfter, background: BACKGROUND, durationMs: DURATION_MS, warmupMs: WARMUP_MS, keys: KEYS, connections: CONNECTIONS,
  }
  console.log(`\n${matrixTable(rows)}`)
  if (etcdctl !== null) console.log(`\netcdctl check perf --load ${etcdctl.load} (${etcdctl.nodes} nodes): ${etcdctl.result === null ? `failed: ${etcdctl.error}` : `${etcdctl.result.throughput} writes/s, slowest ${etcdctl.result.slowestMs.toFixed(1)} ms, stddev ${etcdctl.result.stddevMs.toFixed(1)} ms, ${etcdctl.result.pass ? 'PASS' : 'FAIL'}`}; client CPU ${etcdctl.clientCpuMsPerOp?.toFixed(3) ?? '?'} ms/op, server CPU ${etcdctl.serverCpuMsPerOp?.toFixed(3) ?? '?'} ms/op`)
  const bg = medianBackground(rows)
  console.log(`\nLoad: /proc/loadavg ${loadBefore} at the start, ${loadAfter} at the end; other programs used ${bg === null ? '?' : bg.toFixed(2)} cores (median over the cells${BACKGROUND > 0 ? `, the ${BACKGROUND} --background spinners included` : ''}).`)
  console.log('\nTargets of issue 23 in this run:')
  for (const t of targets) console.log(`  ${t.verdict.padEnd(4)}  ${t.target}: ${t.detail}`)
  if (args['print-only']) return
  const docs = args['docs-dir']!
  const perfDir = join(docs, 'perf')
  mkdirSync(perfDir, {recursive: true})
  const jsonFile = args.out ?? join(perfDir, 'matrix.json')
  writeFileSync(jsonFile, `${JSON.stringify({info, dims: DIMS, rows, etcdctl, targets}, null, 2)}\n`)
  for (const p of plots) writeFileSync(join(perfDir, p.file), p.svg)
  const doc = join(docs, 'performance.md')
  writeFileSync(doc, replaceBetweenMarkers(readFileSync(doc, 'utf8'), MATRIX_BEGIN, MATRIX_END, matrixSection(info, rows, plots, targets, etcdctl)))
  console.log(`\nWrote ${jsonFile}, ${plots.length} plots in ${perfDir}, and the matrix section of ${doc}.`)
}

/**
 * Before the cells of a cluster size, each system runs 64 clients (or the most the run has) of
 * writes at the smallest size for --warmup-pass, unmeasured (cold JIT, heap and optimizer).
 */
async function matrixWarmup(systems: readonly System[]): Promise<void> {
  if (WARMUP_PASS_MS <= 0) return
  const clients = Math.min(64, Math.max(...DIMS.clients))
  const valueBytes = Math.min(...DIMS.sizes)
  for (const s of systems) {
    try {
      const r = await s.run({name: 'writes64', clients, read: false, valueBytes, durationMs: WARMUP_PASS_MS, warmupMs: 0})
      console.error(`warm-up  ${s.name.padEnd(9)} ${String(Math.round(r.throughput)).padStart(6)} ops/s (not counted)`)
    } catch (error) {
      console.error(`warm-up  ${s.name.padEnd(9)} failed: ${reasonOf(error)}`)
    }
  }
}

/**
 * `etcdctl check perf --load L` against the etcd cluster, under bash so that `times` reports
 * etcdctl's own CPU: the cost of etcd's Go client per write, beside the etcd3 (JavaScript gRPC)
 * client's in the table.
 */
async function runEtcdctlPerf(etcd: System, load: string): Promise<EtcdctlPerfRun> {
  const cfg = ETCDCTL_PERF_LOADS[load]!
  console.error(`etcdctl check perf --load ${load} against the ${etcd.nodes}-node etcd (${cfg.seconds} s)`)
  const meter = new CpuMeter(etcd.pids())
  const script = 'ETCDCTL_API=3 etcdctl --endpoints="$1" check perf --load "$2" 2>&1; code=$?; times; exit $code'
  const child = spawn('bash', ['-c', script, 'bash', etcd.endpoint!, load], {stdio: ['ignore', 'pipe', 'pipe']})
  children.push(child)
  let output = ''
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()))
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)))
  const usage = meter.read()
  const result = parseEtcdctlPerf(output)
  const cpu = parseBashTimes(output)
  const ops = result === null ? null : result.throughput * cfg.seconds
  const perOp = (msUsed: number | null): number | null => (msUsed === null || ops === null || ops === 0 ? null : msUsed / ops)
  return {
    load, nodes: etcd.nodes, result,
    error: result === null ? `exit ${code}: ${output.trim().split('\n').slice(-3).join(' / ')}` : null,
    ops, clientCpuMsPerOp: perOp(cpu), serverCpuMsPerOp: perOp(usage.othersMs),
  }
}

try {
  await main()
} catch (error) {
  console.error(`bench:compare failed: ${(error as Error).stack ?? error}`)
  process.exitCode = 1
} finally {
  await stopAll()
}
