/**
 * A diagnostic, not a benchmark with a table: where the event loop stalls during a snapshot.
 * Built like `bench:size --one` (one replica over a real FileStorage in a temporary folder,
 * KEYS keys of 100 B, default 1M; SNAP_EVERY periodic snapshots while loading, default 0), then
 * ROUNDS snapshots (default 1) while a 5 ms timer pings and proposes a write. Prints one
 * timeline per run: every ping gap over 20 ms, every GC pause over 5 ms (perf_hooks), and
 * marks (snapshot pieces over 10 ms, writeSnapshot and saveSnapshot); with ROUNDS > 1 one line
 * per snapshot (longest gap, GC, RSS). The gaps' hrtime bounds go to GAPS_OUT (default
 * /tmp/stall-probe-gaps.json), for bench/profile-gaps.mjs to match against a CPU profile:
 *
 *   KEYS=1000000 node --import tsx --cpu-prof --cpu-prof-dir=/tmp/prof bench/stall-probe.ts
 *   node bench/profile-gaps.mjs /tmp/prof/<largest>.cpuprofile /tmp/stall-probe-gaps.json 50
 */
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {PerformanceObserver, performance} from 'node:perf_hooks'
import {SeededRng} from '../src/raft/index.js'
import {Replica} from '../src/replica/replica.js'
import type {Storage} from '../src/replica/ports.js'
import {DEFAULT_SEGMENT_BYTES, FileStorage} from '../src/storage/index.js'
import {KvStateMachine, encodeCommand} from '../src/kv/index.js'

const KEYS = Number(process.env.KEYS ?? 1000000)
const SNAP_EVERY = Number(process.env.SNAP_EVERY ?? 0)
const VALUE = 'v'.repeat(100)
const events: {t: number; what: string}[] = []
const mark = (what: string): void => void events.push({t: performance.now(), what})
const gcs: {t: number; d: number; kind: number}[] = []
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcs.push({t: e.startTime, d: e.duration, kind: ((e as PerformanceEntry & {detail?: {kind?: number}}).detail?.kind ?? 0)})
}).observe({entryTypes: ['gc']})

const dir = mkdtempSync(join(tmpdir(), 'raftctl-stall-probe-'))
const inner = new FileStorage({dir, segmentBytes: DEFAULT_SEGMENT_BYTES, cleanupInBackground: true})
let pieceCount = 0; let pieceMax = 0; let pieceTotal = 0
const port: Storage = {
  load: () => inner.load(), save: (w) => inner.save(w), close: () => inner.close(),
  saveSnapshot: (s, c) => { const t = performance.now(); inner.saveSnapshot(s, c); mark(`saveSnapshot ${(performance.now() - t).toFixed(1)} ms`) },
  saveAsync: (w, done) => inner.saveAsync(w, done),
  writeSnapshot: (meta, pieces, done) => {
    mark('writeSnapshot start')
    const timed: Iterator<Uint8Array> = {
      next: () => { const t = performance.now(); const r = pieces.next(); const d = performance.now() - t; pieceCount++; pieceTotal += d; if (d > pieceMax) pieceMax = d; if (d > 10) mark(`piece ${pieceCount} took ${d.toFixed(1)} ms`); return r },
      return: () => pieces.return!(),
    }
    inner.writeSnapshot(meta, timed, (err, data) => { mark(`writeSnapshot done (${pieceCount} pieces, max ${pieceMax.toFixed(1)} ms, total ${pieceTotal.toFixed(0)} ms)`); done(err, data) })
  },
}
const kv = new KvStateMachine()
const replica = new Replica({
  raft: {id: 'n1', rng: new SeededRng(1), electionTicks: 10, heartbeatTicks: 1},
  // The daemon's capture: pieces in one reused buffer (src/daemon/state-hash.ts).
  storage: port, network: {send: () => {}},
  stateMachine: {apply: (i, d) => kv.apply(i, d), snapshot: () => kv.snapshot(), restore: (d) => kv.restore(d), capture: () => kv.capture(undefined, undefined, true)},
  initialConf: {voters: ['n1'], learners: []}, snapshotEvery: SNAP_EVERY,
})
const idle = async (): Promise<void> => { while (replica.syncing) await new Promise((r) => setImmediate(r)) }
for (let i = 0; i < 1000; i++) {
  const st = replica.status(); if (st.role === 'leader' && st.appliedIndex >= st.commitIndex) break
  replica.tick(); replica.process(); await idle()
}
for (let from = 0; from < KEYS; from += 10000) {
  for (let i = from; i < Math.min(KEYS, from + 10000); i++) replica.propose(encodeCommand({op: 'put', key: `key-${i.toString().padStart(8, '0')}`, value: VALUE}), () => {})
  replica.process(); await idle()
}
await new Promise((r) => setTimeout(r, 200))
const mu = process.memoryUsage(); console.error(`loaded: heapUsed ${(mu.heapUsed / 2 ** 20).toFixed(0)} MiB external ${(mu.external / 2 ** 20).toFixed(0)} MiB arrayBuffers ${(mu.arrayBuffers / 2 ** 20).toFixed(0)}`)
gcs.length = 0
let last = performance.now(); let seq = 0
const gaps: {from: number; to: number; fromNs: bigint; toNs: bigint; runMs: number; waitMs: number}[] = []
let lastNs = process.hrtime.bigint()
// The main thread's time on a CPU and waiting for one (Linux schedstat, ns): a gap the thread
// spent running is work on the loop; one it spent waiting is the machine's other load.
const SCHEDSTAT = `/proc/self/task/${process.pid}/schedstat`
const sched = (): [number, number] => { try { const [run, wait] = readFileSync(SCHEDSTAT, 'utf8').split(' ').map(Number); return [run / 1e6, wait / 1e6] } catch { return [0, 0] } }
let lastSched = sched()
const ping = setInterval(() => {
  const now = performance.now(); const nowNs = process.hrtime.bigint(); const s = sched()
  if (now - last > 20) gaps.push({from: last, to: now, fromNs: lastNs, toNs: nowNs, runMs: s[0] - lastSched[0], waitMs: s[1] - lastSched[1]})
  last = now; lastNs = nowNs; lastSched = s
  replica.propose(encodeCommand({op: 'put', key: `late-${seq++}`, value: VALUE}), () => {})
  replica.process()
}, 5)
await new Promise((r) => setTimeout(r, 50))
const ROUNDS = Number(process.env.ROUNDS ?? 1)
const allGaps: typeof gaps = []
/** One round's timeline: marks, GC pauses over 5 ms and ping gaps, in time order, from `t0`. */
const timeline = (t0: number): void => {
  const lines: [number, string][] = []
  for (const e of events) lines.push([e.t, `MARK ${e.what}`])
  for (const g of gcs) if (g.d > 5) lines.push([g.t, `GC kind=${g.kind} ${g.d.toFixed(1)} ms (ends ${(g.t + g.d - t0).toFixed(0)})`])
  for (const g of gaps) lines.push([g.from, `GAP ${(g.to - g.from).toFixed(1)} ms until ${(g.to - t0).toFixed(0)} (main thread on CPU ${g.runMs.toFixed(1)} ms, waiting for a CPU ${g.waitMs.toFixed(1)} ms)`])
  lines.sort((a, b) => a[0] - b[0])
  for (const [t, s] of lines) console.log(`${(t - t0).toFixed(0).padStart(7)}  ${s}`)
}
for (let round = 1; round <= ROUNDS; round++) {
  gaps.length = 0; gcs.length = 0; events.length = 0
  const start = performance.now(); mark('snapshot requested')
  await new Promise<void>((resolve) => replica.snapshotWhenIdle(() => { mark('snapshot done'); resolve() }))
  await new Promise((r) => setTimeout(r, 300))
  const m = process.memoryUsage()
  console.log(`round ${round}: longest gap ${Math.max(0, ...gaps.map((g) => g.to - g.from)).toFixed(1)} ms, snapshot ${(events.find((e) => e.what === 'snapshot done')!.t - start).toFixed(0)} ms, gc max ${Math.max(0, ...gcs.map((g) => g.d)).toFixed(1)} ms total ${gcs.reduce((a, g) => a + g.d, 0).toFixed(0)} ms; rss ${(m.rss / 2 ** 20).toFixed(0)} MiB heap ${(m.heapUsed / 2 ** 20).toFixed(0)} arrayBuffers ${(m.arrayBuffers / 2 ** 20).toFixed(0)}`)
  timeline(start)
  allGaps.push(...gaps)
}
clearInterval(ping)
writeFileSync(process.env.GAPS_OUT ?? '/tmp/stall-probe-gaps.json', JSON.stringify(allGaps.map((g) => ({from: String(g.fromNs), to: String(g.toNs)}))))
replica.stop(); inner.close(); rmSync(dir, {recursive: true, force: true})
