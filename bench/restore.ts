/**
 * Micro benchmark of a KV restore alone (no storage, no replica): the time
 * `KvStateMachine.restore` takes to check and decode a snapshot of N keys of 100-byte values
 * (the part of a restart that grows with the state), and the CRC-32 over the same bytes apart.
 *
 *   node --import tsx bench/restore.ts [--keys 1000000] [--runs 5]
 *
 * Each run restores into a fresh state machine; the median is printed with /proc/loadavg.
 */
import {readFileSync} from 'node:fs'
import {parseArgs} from 'node:util'
import {median} from '../src/bench/compare-stats.js'
import {KvStateMachine, crc32, encodeCommand} from '../src/kv/index.js'

const {values: args} = parseArgs({options: {keys: {type: 'string', default: '1000000'}, runs: {type: 'string', default: '5'}}})
const KEYS = Number(args.keys)
const RUNS = Number(args.runs)
const VALUE = 'v'.repeat(100)

function loadavg(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').trim()
  } catch {
    return 'n/a'
  }
}

/** A snapshot of KEYS keys, named as bench:size names them, each written by its own entry. */
function makeSnapshot(): Uint8Array {
  const kv = new KvStateMachine()
  for (let i = 0; i < KEYS; i++) kv.apply(i + 1, encodeCommand({op: 'put', key: `key-${i.toString().padStart(8, '0')}`, value: VALUE}))
  return kv.snapshot()
}

function time(f: () => void): number {
  const t = performance.now()
  f()
  return performance.now() - t
}

const loadBefore = loadavg()
const data = makeSnapshot()
const restoreMs: number[] = []
const crcMs: number[] = []
for (let k = 0; k < RUNS; k++) {
  let kv: KvStateMachine | null = new KvStateMachine()
  restoreMs.push(time(() => kv!.restore(data)))
  if (kv.size !== KEYS) throw new Error(`restored ${kv.size} keys, expected ${KEYS}`)
  kv = null
  crcMs.push(time(() => crc32(data)))
}
const round = (n: number): number => Math.round(n * 10) / 10
console.log(`/proc/loadavg before: ${loadBefore}; after: ${loadavg()}`)
console.log(`${KEYS} keys, snapshot ${data.length} bytes, median of ${RUNS} runs: restore ${round(median(restoreMs)!)} ms (runs ${restoreMs.map(round).join(', ')}); crc32 alone ${round(median(crcMs)!)} ms`)
