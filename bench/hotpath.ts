/**
 * `npm run bench:hotpath`: the CPU a write costs outside Raft and the network, per step, in
 * one process: what the leader does with a `put` frame (parse and validate it, encode the
 * command, format the answer) and what every node does with the entry (apply it to the KV
 * state machine: decode, session check, store; `applyWatched`: the same with the daemon's watch
 * history listening and nobody watching, what every daemon runs). Each step runs --ops times per round; the
 * figure is the median of --rounds rounds, in microseconds per operation.
 *
 * Options: --ops 200000 --rounds 5 --value-size 100 --json.
 */
import {parseArgs} from 'node:util'
import {formatResponse, parseRequest} from '../src/admin/protocol.js'
import {KvStateMachine, encodeCommand, type PutCommand} from '../src/kv/index.js'
import {WatchHub} from '../src/daemon/watch-hub.js'

const {values: args} = parseArgs({
  options: {
    ops: {type: 'string', default: '200000'},
    rounds: {type: 'string', default: '5'},
    'value-size': {type: 'string', default: '100'},
    json: {type: 'boolean', default: false},
  },
})

const OPS = Number(args.ops)
const ROUNDS = Number(args.rounds)
const VALUE = 'x'.repeat(Number(args['value-size']))
/** Distinct keys and sessions the operations cycle through (as the bench's 1000 keys, 64 clients). */
const KEYS = 1000
const SESSIONS = 64

/** Microseconds per call of `step`, median over the rounds (after a warm-up round). */
function measure(step: (i: number) => void): number {
  for (let i = 0; i < Math.min(OPS, 20_000); i++) step(i)
  const perOp: number[] = []
  for (let r = 0; r < ROUNDS; r++) {
    const started = process.hrtime.bigint()
    for (let i = 0; i < OPS; i++) step(i)
    perOp.push(Number(process.hrtime.bigint() - started) / OPS / 1000)
  }
  perOp.sort((a, b) => a - b)
  return perOp[Math.floor(perOp.length / 2)]!
}

const frames = Array.from({length: KEYS}, (_, i) =>
  `{"v":1,"id":${i},"type":"put","key":"key-${i}","value":"${VALUE}","session":{"clientId":"bench-${i % SESSIONS}-0123456789","seq":${i + 1}}}`)
const parseOptions = {route: 'client' as const}
const limits = new KvStateMachine().limits
const commands: PutCommand[] = Array.from({length: KEYS}, (_, i) => ({op: 'put', key: `key-${i}`, value: VALUE, session: {clientId: `bench-${i % SESSIONS}-0123456789`, seq: i + 1}}))

/** Commands in log order: each session's seq grows by one per write, as a client's would. */
function logOrder(count: number): Uint8Array[] {
  const seqs = new Array<number>(SESSIONS).fill(0)
  return Array.from({length: count}, (_, i) => encodeCommand({op: 'put', key: `key-${i % KEYS}`, value: VALUE, session: {clientId: `bench-${i % SESSIONS}-0123456789`, seq: ++seqs[i % SESSIONS]!}}, limits))
}

const entries = logOrder(Math.min(OPS, 100_000))
let sm = new KvStateMachine()
let index = 0
/** `apply` over a fresh state machine every `entries.length` entries, with the watch history listening if `watched`. */
function applyStep(watched: boolean): () => void {
  return () => {
    if (index === entries.length) {
      sm = new KvStateMachine()
      if (watched) sm.watchChanges(new WatchHub(0))
      index = 0
    }
    sm.apply(index + 1, entries[index++]!)
  }
}
const figures = {
  parseRequest: measure((i) => void parseRequest(frames[i % KEYS]!, parseOptions)),
  encodeCommand: measure((i) => void encodeCommand(commands[i % KEYS]!, limits)),
  apply: measure(applyStep(false)),
  applyWatched: (index = entries.length, measure(applyStep(true))),
  formatResponse: measure((i) => void formatResponse(i, {value: VALUE} as never)),
}

if (args.json) {
  console.log(JSON.stringify({unit: 'µs/op', ops: OPS, rounds: ROUNDS, valueSize: VALUE.length, ...figures}, null, 2))
} else {
  console.log(`per write, median of ${ROUNDS} rounds of ${OPS} operations, ${VALUE.length}-byte values (µs/op):`)
  for (const [step, us] of Object.entries(figures)) console.log(`  ${step.padEnd(16)} ${us.toFixed(3)}`)
}
