/**
 * `npm run bench:core`: committed proposals per second through an in-memory 3-node cluster
 * (real Replica drivers and Raft cores, instant in-process delivery, memory disks), with
 * proposal batching on and off. Prints medians of several runs and the ratio between them.
 */
import {Replica} from '../src/replica/replica.js'
import {SeededRng} from '../src/raft/index.js'
import type {Message} from '../src/raft/types.js'
import type {StateMachine} from '../src/replica/ports.js'
import {MemoryStorage} from '../src/storage/memory.js'

/** A state machine that only counts what it applies: the benchmark measures the core and the driver. */
function countingStateMachine(): StateMachine {
  let applied = 0
  return {apply: () => ++applied, snapshot: () => new Uint8Array(0), restore: () => { applied = 0 }}
}

interface Result {
  committed: number
  seconds: number
  perSecond: number
  messages: number
}

/** One run: `concurrency` proposals in flight at a time for `seconds` of wall time. */
function runOnce(batchAppends: boolean, concurrency: number, seconds: number, valueBytes: number): Result {
  const ids = ['n1', 'n2', 'n3']
  const inbox: Message[] = []
  let messages = 0
  const replicas = new Map<string, Replica>()
  for (const [k, id] of ids.entries()) {
    replicas.set(id, new Replica({
      raft: {id, rng: new SeededRng(k + 1), batchAppends, maxInflight: 256},
      storage: new MemoryStorage(),
      network: {send: (m) => { inbox.push(m); messages++ }},
      stateMachine: countingStateMachine(),
      initialConf: {voters: ids, learners: []},
      snapshotEvery: 0,
    }))
  }
  const pump = (): void => {
    while (inbox.length > 0) {
      const batch = inbox.splice(0)
      for (const m of batch) replicas.get(m.to)!.receive(m)
      for (const r of replicas.values()) r.process()
    }
  }
  const leader = replicas.get('n1')!
  leader.campaign()
  leader.process()
  pump()
  if (leader.status().role !== 'leader') throw new Error('n1 did not become leader')
  const value = new Uint8Array(valueBytes).fill(120)
  let committed = 0
  let inFlight = 0
  const start = performance.now()
  const end = start + seconds * 1000
  while (performance.now() < end) {
    for (let i = 0; i < 64; i++) {
      while (inFlight < concurrency) {
        inFlight++
        leader.propose(value, (o) => {
          inFlight--
          if (o.ok) committed++
        })
      }
      leader.process()
      pump()
    }
  }
  const elapsed = (performance.now() - start) / 1000
  return {committed, seconds: elapsed, perSecond: committed / elapsed, messages}
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

const repeats = Number(process.env.BENCH_REPEATS ?? 5)
const seconds = Number(process.env.BENCH_SECONDS ?? 1)
const rows: string[] = []
for (const concurrency of [1, 64]) {
  const on: number[] = []
  const off: number[] = []
  const msgsOn: number[] = []
  const msgsOff: number[] = []
  // Alternate the two modes so machine noise hits both alike.
  for (let r = 0; r < repeats; r++) {
    const a = runOnce(true, concurrency, seconds, 100)
    const b = runOnce(false, concurrency, seconds, 100)
    on.push(a.perSecond)
    off.push(b.perSecond)
    msgsOn.push(a.messages / a.committed)
    msgsOff.push(b.messages / b.committed)
  }
  rows.push(
    `concurrency ${String(concurrency).padStart(2)}: batching on ${median(on).toFixed(0).padStart(7)} commits/s (${median(msgsOn).toFixed(2)} msgs/commit)` +
    ` | off ${median(off).toFixed(0).padStart(7)} commits/s (${median(msgsOff).toFixed(2)} msgs/commit) | ratio on/off ${(median(on) / median(off)).toFixed(2)}x`,
  )
}
console.log(`bench:core — in-memory 3-node cluster, 100-byte values, medians of ${repeats} runs of ${seconds}s (node ${process.version})`)
for (const r of rows) console.log(r)
