/**
 * `npm run bench:daemon`: a real local 3-node cluster: time from spawn to an elected leader
 * (median of several cold starts), daemon resident memory when idle and after N writes with
 * compaction on, and the write throughput reached on the way. Cleans up everything it starts.
 */
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {LocalCluster} from '../src/cluster/index.js'

const WRITES = Number(process.env.BENCH_WRITES ?? 200_000)
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 64)
const STARTS = Number(process.env.BENCH_STARTS ?? 5)

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) / 1024 : NaN
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

const home = mkdtempSync(join(tmpdir(), 'raftctl-bench-'))
process.env.RAFTCTL_HOME = home
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
try {
  const startTimes: number[] = []
  for (let i = 0; i < STARTS; i++) {
    const c = new LocalCluster(`start${i}`)
    const t0 = performance.now()
    await c.start(3)
    await c.waitForLeader(20_000)
    startTimes.push(performance.now() - t0)
    await c.destroy()
  }
  console.log(`start to elected leader (spawn 3 daemons + election): median ${median(startTimes).toFixed(0)} ms of ${STARTS} (${startTimes.map((t) => t.toFixed(0)).join(', ')})`)

  const c = new LocalCluster('memory')
  await c.start(3)
  await c.waitForLeader(20_000)
  await sleep(5000)
  const pids = c.manifest().nodes.map((n) => c.pid(n.id)!)
  console.log(`idle RSS: ${pids.map((p) => rssMiB(p).toFixed(1)).join(' / ')} MiB`)
  let done = 0
  const t0 = performance.now()
  await Promise.all(Array.from({length: CLIENTS}, async (_, w) => {
    const kv = c.kv({clientId: `mem-${w}`})
    try {
      while (done < WRITES) {
        const i = done++
        await kv.put(`key-${i % 10_000}`, 'x'.repeat(100))
      }
    } finally {
      await kv.close()
    }
  }))
  const seconds = (performance.now() - t0) / 1000
  console.log(`${WRITES} writes (100-byte values, ${CLIENTS} clients) in ${seconds.toFixed(1)} s: ${(WRITES / seconds).toFixed(0)} writes/s`)
  await sleep(3000)
  const st = await c.status()
  console.log(`after: RSS ${pids.map((p) => rssMiB(p).toFixed(1)).join(' / ')} MiB; snapshot index ${st.nodes.map((n) => n.detail?.snapshotIndex).join(' / ')}; last index ${st.nodes.map((n) => n.lastIndex).join(' / ')}`)
  await c.destroy()
} finally {
  for (const name of ['memory', ...Array.from({length: STARTS}, (_, i) => `start${i}`)]) {
    const c = new LocalCluster(name)
    if (c.exists()) await c.destroy().catch(() => {})
  }
  rmSync(home, {recursive: true, force: true})
}
