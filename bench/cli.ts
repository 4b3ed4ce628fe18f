/**
 * `npm run bench:cli`: what one raftctl command costs as a whole process, against `node -e 0`.
 *
 * Builds nothing: it runs bin/run.js as it is (run `npm run build` first). Starts a local 3-node
 * cluster in a private RAFTCTL_HOME, then, round after round, runs `node -e 0` and each measured
 * command line alternately (the order flips every round, so neither side always runs first), and
 * prints for each the median wall time and the median CPU time (user + sys of the child, from
 * bash's `time`, which reads the child's resource usage) and the median of the paired
 * differences from `node -e 0`: Node's own start-up is not raftctl's. At the end the cluster is
 * stopped (`cluster stop`, then any daemon still alive is killed by its pid) and the home removed.
 *
 * Options: --runs N (rounds, default 15); --baseline FILE (another bin/run.js, e.g. a build of an
 * older commit, measured in the same rounds against the same cluster); --json.
 * CPU time is steadier than wall time on a loaded machine; /proc/loadavg is printed before and after.
 */
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {parseArgs} from 'node:util'

const {values: args} = parseArgs({
  options: {
    runs: {type: 'string', default: '15'},
    baseline: {type: 'string'},
    json: {type: 'boolean', default: false},
  },
})

const RUNS = Number(args.runs)
const BIN = resolve('bin/run.js')
const home = mkdtempSync(join(tmpdir(), 'raftctl-bench-cli-'))
const env = {...process.env, RAFTCTL_HOME: home, NO_COLOR: '1'}

/** The measured command lines (raftctl's arguments), in the order printed. */
const COMMANDS: readonly (readonly string[])[] = [
  ['--version'],
  ['status', '--json'],
  ['leader', '--json'],
  ['kv', 'put', 'bench-key', 'bench-value'],
  ['kv', 'get', 'bench-key'],
]

/** One run of a process: wall and CPU (user + sys) in milliseconds, and its exit code. */
interface Sample {
  readonly wallMs: number
  readonly cpuMs: number
  readonly code: number
}

/** Runs `argv` under bash's `time` (millisecond resolution, the child's own rusage). */
function measure(argv: readonly string[], childEnv: NodeJS.ProcessEnv = env): Sample {
  const script = 'TIMEFORMAT="%3R %3U %3S"; { time "$@" >/dev/null 2>/dev/null; } 2>&1; echo "code $?"'
  const r = spawnSync('bash', ['-c', script, 'bash', ...argv], {env: childEnv, encoding: 'utf8'})
  const [times, codeLine] = r.stdout.trim().split('\n')
  const [real, user, sys] = times!.split(' ').map(Number)
  return {wallMs: real! * 1000, cpuMs: (user! + sys!) * 1000, code: Number(codeLine!.split(' ')[1])}
}

/**
 * A second RAFTCTL_HOME for the baseline: links to everything in `home` (the cluster, its locks)
 * but its own `.cache`. Each build keeps one code cache per command in RAFTCTL_HOME/.cache and
 * removes other builds' caches, so two builds sharing one home would each find no cache at every
 * run and measure a cold start.
 */
function sharedHome(home: string): string {
  const other = mkdtempSync(join(tmpdir(), 'raftctl-bench-cli-baseline-'))
  for (const name of readdirSync(home)) if (name !== '.cache') symlinkSync(join(home, name), join(other, name))
  return other
}

/** Runs raftctl `argv` and fails the bench when it fails: figures of an error path mean nothing. */
function raftctl(argv: readonly string[]): string {
  const r = spawnSync(process.execPath, [BIN, ...argv], {env, encoding: 'utf8'})
  if (r.status !== 0) throw new Error(`raftctl ${argv.join(' ')} exited ${r.status}: ${r.stderr}`)
  return r.stdout
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/** The figures of one command line under one entry point. */
interface Row {
  readonly entry: string
  readonly command: string
  readonly wallMs: number
  readonly cpuMs: number
  /** Medians of (command − the `node -e 0` run paired with it). */
  readonly extraWallMs: number
  readonly extraCpuMs: number
}

const loadBefore = readFileSync('/proc/loadavg', 'utf8').trim()
raftctl(['cluster', 'start', '--nodes', '3'])
const pids = (JSON.parse(raftctl(['status', '--json'])) as {nodes: {pid?: number}[]}).nodes.flatMap((n) => (n.pid ? [n.pid] : []))
const entries = [{name: 'bin/run.js', bin: BIN, env}, ...(args.baseline ? [{name: 'baseline', bin: resolve(args.baseline), env: {...env, RAFTCTL_HOME: sharedHome(home)}}] : [])]
const rows: Row[] = []
try {
  const samples = new Map<string, {cmd: Sample[]; node: Sample[]}>()
  for (let round = 0; round < RUNS; round++) {
    for (const entry of entries) {
      for (const command of COMMANDS) {
        const key = `${entry.name}\u0000${command.join(' ')}`
        const s = samples.get(key) ?? {cmd: [], node: []}
        samples.set(key, s)
        const run = (): Sample => measure([process.execPath, entry.bin, ...command], entry.env)
        const node = (): Sample => measure([process.execPath, '-e', '0'])
        let c: Sample
        let n: Sample
        if (round % 2 === 0) {
          c = run()
          n = node()
        } else {
          n = node()
          c = run()
        }
        if (c.code !== 0) throw new Error(`${entry.name} ${command.join(' ')} exited ${c.code}`)
        s.cmd.push(c)
        s.node.push(n)
      }
    }
  }
  for (const [key, s] of samples) {
    const [entry, command] = key.split('\u0000') as [string, string]
    rows.push({
      entry,
      command,
      wallMs: median(s.cmd.map((x) => x.wallMs)),
      cpuMs: median(s.cmd.map((x) => x.cpuMs)),
      extraWallMs: median(s.cmd.map((x, i) => x.wallMs - s.node[i]!.wallMs)),
      extraCpuMs: median(s.cmd.map((x, i) => x.cpuMs - s.node[i]!.cpuMs)),
    })
  }
} finally {
  spawnSync(process.execPath, [BIN, 'cluster', 'stop'], {env})
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // already gone: cluster stop did its job
    }
  }
  rmSync(home, {recursive: true, force: true})
  for (const entry of entries) if (entry.env.RAFTCTL_HOME !== home) rmSync(entry.env.RAFTCTL_HOME!, {recursive: true, force: true})
}
const loadAfter = readFileSync('/proc/loadavg', 'utf8').trim()

if (args.json) {
  process.stdout.write(`${JSON.stringify({runs: RUNS, loadBefore, loadAfter, rows}, null, 2)}\n`)
} else {
  const nodeMedian = 'differences are medians of paired runs: command − `node -e 0` in the same round'
  console.log(`raftctl start-up: ${RUNS} rounds; /proc/loadavg before: ${loadBefore}`)
  console.log(`${'entry'.padEnd(11)} ${'command'.padEnd(32)} ${'wall'.padStart(7)} ${'cpu'.padStart(7)} ${'+wall'.padStart(7)} ${'+cpu'.padStart(7)}`)
  for (const r of rows) {
    const ms = (x: number): string => `${Math.round(x)}`.padStart(7)
    console.log(`${r.entry.padEnd(11)} ${r.command.padEnd(32)} ${ms(r.wallMs)} ${ms(r.cpuMs)} ${ms(r.extraWallMs)} ${ms(r.extraCpuMs)}`)
  }
  console.log(`(ms; ${nodeMedian}; /proc/loadavg after: ${loadAfter})`)
}
