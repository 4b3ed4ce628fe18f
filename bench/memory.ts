/**
 * `npm run bench:memory`: daemon resident memory idle and after a million writes (compaction
 * on, the cluster defaults), and whether any election happens under a sustained load.
 *
 * Creates a 3-node cluster in a temporary RAFTCTL_HOME, waits --idle, records every daemon's
 * RSS, then writes in windows of --window (default 60 s) with --clients (64) until --writes
 * (1,000,000) writes are acknowledged, printing each window's throughput and whether the
 * leader's term moved (an election); records RSS at the end and after --idle again; destroys
 * the cluster. `--json` prints one JSON document at the end.
 */
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parseArgs} from 'node:util'
import {setTimeout as sleep} from 'node:timers/promises'
import {LocalCluster, activeNodes} from '../src/cluster/index.js'
import {benchCluster, type BenchReport} from '../src/bench/run.js'
import {processRssBytes} from '../src/bench/cpu.js'
import {parseDuration} from '../src/common/units.js'

const {values: args} = parseArgs({
  options: {
    writes: {type: 'string', default: '1000000'},
    clients: {type: 'string', default: '64'},
    keys: {type: 'string', default: '10000'},
    window: {type: 'string', default: '60s'},
    idle: {type: 'string', default: '15s'},
    json: {type: 'boolean', default: false},
  },
})

const log = (s: string): void => {
  process.stderr.write(`${s}\n`)
}

function rss(cluster: LocalCluster): Record<string, number | null> {
  const out: Record<string, number | null> = {}
  for (const n of activeNodes(cluster.manifest())) {
    const pid = cluster.pid(n.id)
    const b = pid === null ? null : processRssBytes(pid)
    out[n.id] = b === null ? null : Math.round((b / 2 ** 20) * 10) / 10
  }
  return out
}

async function main(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'raftctl-memory-'))
  const cluster = new LocalCluster('memory', home)
  const target = Number(args.writes)
  const idleMs = parseDuration(args.idle!)
  const windows: {seconds: number; writes: number; throughput: number; p99: number; termBefore: number; termAfter: number | null; election: boolean | null; daemonCpuMsPerOp: number | null; backgroundCores: number | null}[] = []
  try {
    await cluster.start(3)
    await cluster.waitForLeader()
    await sleep(idleMs)
    const idle = rss(cluster)
    log(`idle RSS (MiB): ${JSON.stringify(idle)}`)
    let total = 0
    while (total < target) {
      const r: BenchReport = await benchCluster(cluster, {
        clients: Number(args.clients), durationMs: parseDuration(args.window!), warmupMs: 0, valueSize: 100,
        keys: Number(args.keys), readRatio: 0, serializable: false, target: 'leader',
      })
      total += r.writes
      windows.push({
        seconds: r.seconds, writes: r.writes, throughput: r.throughput, p99: r.latencyMs.p99,
        termBefore: r.term.before, termAfter: r.term.after, election: r.term.elections,
        daemonCpuMsPerOp: r.cpuMsPerOp.daemons, backgroundCores: r.cpuCores.background,
      })
      log(`${total} writes: ${Math.round(r.throughput)} ops/s, p99 ${r.latencyMs.p99} ms, term ${r.term.before} -> ${r.term.after}${r.term.elections ? ' (ELECTION)' : ''}, RSS ${JSON.stringify(rss(cluster))}, other programs ${r.cpuCores.background} cores`)
    }
    const afterLoad = rss(cluster)
    await sleep(idleMs)
    const afterIdle = rss(cluster)
    const statuses = await cluster.status()
    const result = {
      writes: total, idleRssMiB: idle, afterWritesRssMiB: afterLoad, afterWritesIdleRssMiB: afterIdle,
      snapshotIndex: Object.fromEntries(statuses.nodes.map((n) => [n.id, n.detail?.snapshotIndex ?? null])),
      firstIndex: Object.fromEntries(statuses.nodes.map((n) => [n.id, n.detail?.firstIndex ?? null])),
      windows, elections: windows.filter((w) => w.election).length,
    }
    log(`after ${total} writes RSS (MiB): ${JSON.stringify(afterLoad)}; after ${idleMs / 1000} s idle: ${JSON.stringify(afterIdle)}`)
    log(`windows with an election: ${result.elections} of ${windows.length}`)
    if (args.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
  } finally {
    if (cluster.exists()) await cluster.destroy().catch(() => undefined)
    rmSync(home, {recursive: true, force: true})
  }
}

await main()
