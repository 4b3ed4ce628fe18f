/**
 * `npm run bench:profile`: where a daemon's CPU time goes under a benchmark load.
 *
 * Creates a 3-node cluster in a temporary RAFTCTL_HOME, restarts its daemons under
 * `node --cpu-prof` (NODE_OPTIONS may not carry --cpu-prof) through the unbundled daemon entry
 * (DAEMON_MODULES_ENTRY: the time by module names raftctl's modules), runs one `raftctl bench` workload,
 * stops the daemons gracefully (the profiles are written at exit), destroys the cluster, and
 * prints for each daemon its top functions by self time and its time by module (file or
 * package). The .cpuprofile files stay in --out (open them in Chrome DevTools or speedscope).
 *
 * Options: --clients 64 --duration 15s --read-ratio 0 --value-size 100 --out DIR --top 25.
 */
import {spawn} from 'node:child_process'
import {closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, relative} from 'node:path'
import {parseArgs} from 'node:util'
import {DAEMON_ENTRY, DAEMON_ENV, DAEMON_MODULES_ENTRY, DAEMON_NODE_FLAGS, LocalCluster, RAFTCTL_BIN, activeNodes} from '../src/cluster/index.js'
import {benchCluster} from '../src/bench/run.js'
import {parseDuration, parseSize} from '../src/common/units.js'

const {values: args} = parseArgs({
  options: {
    clients: {type: 'string', default: '64'},
    duration: {type: 'string', default: '15s'},
    'read-ratio': {type: 'string', default: '0'},
    'value-size': {type: 'string', default: '100'},
    out: {type: 'string'},
    top: {type: 'string', default: '25'},
  },
})

interface ProfileNode {
  id: number
  callFrame: {functionName: string; url: string; lineNumber: number}
  hitCount?: number
  children?: number[]
}

interface Profile {
  nodes: ProfileNode[]
  startTime: number
  endTime: number
  samples: number[]
  timeDeltas: number[]
}

/** Self time per function and per module of a .cpuprofile, in ms. */
export function summarize(profile: Profile, root: string): {totalMs: number; byFunction: [string, number][]; byModule: [string, number][]} {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map<number, number>()
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000)
  }
  const fn = new Map<string, number>()
  const mod = new Map<string, number>()
  let totalMs = 0
  for (const [id, ms] of self) {
    const n = byId.get(id)!
    const {functionName, url, lineNumber} = n.callFrame
    if (functionName === '(idle)') continue
    totalMs += ms
    const where = moduleOf(url, root)
    const name = `${functionName || '(anonymous)'} ${where}${url ? `:${lineNumber + 1}` : ''}`
    fn.set(name, (fn.get(name) ?? 0) + ms)
    mod.set(where || functionName, (mod.get(where || functionName) ?? 0) + ms)
  }
  const sorted = (m: Map<string, number>): [string, number][] => [...m].sort((a, b) => b[1] - a[1])
  return {totalMs, byFunction: sorted(fn), byModule: sorted(mod)}
}

function moduleOf(url: string, root: string): string {
  if (url === '') return ''
  const path = url.replace(/^file:\/\//, '')
  const nm = path.lastIndexOf('/node_modules/')
  if (nm >= 0) return path.slice(nm + '/node_modules/'.length).split('/').slice(0, 1).join('/')
  if (path.startsWith('node:')) return path
  return relative(root, path)
}

async function main(): Promise<void> {
  const out = args.out ?? mkdtempSync(join(tmpdir(), 'raftctl-profile-'))
  mkdirSync(out, {recursive: true})
  const home = mkdtempSync(join(tmpdir(), 'raftctl-profile-home-'))
  const cluster = new LocalCluster('profile', home)
  try {
    await cluster.start(3)
    await cluster.waitForLeader()
    // Restart every daemon under --cpu-prof with the same arguments.
    const m = cluster.manifest()
    const argvs = new Map<string, string[]>()
    for (const n of activeNodes(m)) {
      const pid = cluster.pid(n.id)!
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean)
      argvs.set(n.id, cmdline.slice(cmdline.indexOf(DAEMON_ENTRY) + 1))
    }
    await cluster.stop()
    for (const [id, argv] of argvs) {
      const dir = join(out, id)
      mkdirSync(dir, {recursive: true})
      const log = openSync(join(home, `${id}.stdout`), 'a')
      const child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, '--cpu-prof', `--cpu-prof-dir=${dir}`, DAEMON_MODULES_ENTRY, ...argv], {detached: true, stdio: ['ignore', log, log], env: {...DAEMON_ENV, ...process.env}})
      child.unref()
      closeSync(log)
    }
    const end = Date.now() + 20_000
    while (activeNodes(m).some((n) => cluster.pid(n.id) === null) && Date.now() < end) await new Promise((r) => setTimeout(r, 50))
    await cluster.waitForLeader(20_000, (s) => s.nodes.every((n) => n.reachable && n.leader === s.leader))
    const report = await benchCluster(cluster, {
      clients: Number(args.clients), durationMs: parseDuration(args.duration!), warmupMs: 1000,
      valueSize: parseSize(args['value-size']!), keys: 1000, readRatio: Number(args['read-ratio']), serializable: false, target: 'leader',
    })
    const leader = report.leader
    console.log(`workload: ${args.clients} clients, read ratio ${args['read-ratio']}: ${Math.round(report.throughput)} ops/s, p50 ${report.latencyMs.p50} ms, p99 ${report.latencyMs.p99} ms; daemons ${report.cpuMsPerOp.daemons} CPU ms/op, ${report.cpuCores.daemons} cores; other programs ${report.cpuCores.background} cores; leader ${leader}`)
    await cluster.stop()
    const root = RAFTCTL_BIN.replace(/\/bin\/run\.js$/, '')
    const top = Number(args.top)
    for (const id of argvs.keys()) {
      const dir = join(out, id)
      const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))
      if (!file) {
        console.log(`\n${id}: no profile written`)
        continue
      }
      const s = summarize(JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile, root)
      console.log(`\n== ${id}${id === leader ? ' (leader)' : ''}: ${join(dir, file)} — ${(s.totalMs / 1000).toFixed(1)} s sampled`)
      console.log('by module (self time):')
      for (const [name, ms] of s.byModule.slice(0, 15)) console.log(`  ${((100 * ms) / s.totalMs).toFixed(1).padStart(5)}%  ${name}`)
      console.log('by function (self time):')
      for (const [name, ms] of s.byFunction.slice(0, top)) console.log(`  ${((100 * ms) / s.totalMs).toFixed(1).padStart(5)}%  ${name}`)
    }
  } finally {
    if (cluster.exists()) await cluster.destroy().catch(() => undefined)
    rmSync(home, {recursive: true, force: true})
  }
}

await main()
