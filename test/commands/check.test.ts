/**
 * `raftctl check FILE` through oclif: exit codes 0 / 1 / 2 / 3, the --json document (printed
 * exactly once, also for violations), and the human report.
 */
import {after, afterEach, before, test} from 'node:test'
import assert from 'node:assert/strict'
import {rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {runCommand} from '@oclif/test'
import {beforeCommand, resetExitCode, tempDir} from '../helpers.js'
import {DEFAULT_MAX_MEMORY_BYTES, DEFAULT_MAX_STATES, DEFAULT_TIME_LIMIT_MS} from '../../src/verify/checker.js'
import {formatHistory, type HistoryOp} from '../../src/verify/history.js'
import Check from '../../src/commands/check/index.js'

let dir = ''
const file = (name: string): string => join(dir, name)

const GOOD: HistoryOp[] = [
  {client: 0, op: 'put', key: 'k', value: 'x', ok: true, call: 0, return: 10},
  {client: 1, op: 'get', key: 'k', output: 'x', ok: true, call: 5, return: 6},
  {client: 2, op: 'put', key: 'j', value: 'y', ok: 'unknown', call: 7},
]
const STALE: HistoryOp[] = [
  {client: 0, op: 'put', key: 'k', value: 'x', ok: true, call: 0, return: 1},
  {client: 1, op: 'get', key: 'k', output: null, ok: true, call: 2, return: 3},
]

/** Many overlapping puts and an impossible read: undecidable within a tiny state budget. */
function explosive(): HistoryOp[] {
  const ops: HistoryOp[] = Array.from({length: 30}, (_, i) => ({client: i, op: 'put', key: 'k', value: `v${i}`, ok: true, call: i, return: 100 + i}))
  return [...ops, {client: 99, op: 'get', key: 'k', output: 'never', ok: true, call: 200, return: 201}]
}

before(() => {
  dir = tempDir()
  writeFileSync(file('good.jsonl'), formatHistory(GOOD))
  writeFileSync(file('stale.jsonl'), formatHistory(STALE))
  writeFileSync(file('explosive.jsonl'), formatHistory(explosive()))
  writeFileSync(file('bad.jsonl'), `${formatHistory(GOOD)}{"client": 1, "op": "get"}\n`)
})
after(() => rmSync(dir, {recursive: true, force: true}))
afterEach(resetExitCode)

/** Run `check` with the given arguments (runCommand joins them with spaces: keep paths free of spaces). */
async function check(...args: string[]) {
  await beforeCommand()
  return runCommand(['check', ...args])
}

function exitOf(error: (Error & {oclif?: {exit?: number}}) | undefined): number {
  return error ? (error.oclif?.exit ?? 1) : 0
}

test('a linearizable history: exit 0 and a short report', async () => {
  const {stdout, error} = await check(file('good.jsonl'))
  assert.equal(exitOf(error), 0)
  assert.match(stdout, /3 ops on 2 keys \(2 ok, 0 failed, 1 unknown\)/)
  assert.match(stdout, /Verdict: +LINEARIZABLE/)
})

test('a linearizable history with --json: one document with valid, ops, keys', async () => {
  const {stdout, error} = await check(file('good.jsonl'), '--json')
  assert.equal(exitOf(error), 0)
  const doc = JSON.parse(stdout)
  assert.equal(doc.valid, true)
  assert.equal(doc.ops, 3)
  assert.equal(doc.keys, 2)
  assert.deepEqual(doc.counts, {ok: 2, failed: 0, unknown: 1})
  assert.equal(doc.perKey.length, 2)
  assert.equal(doc.counterexample, undefined)
})

test('a violation: exit 1 with the failing ops in a table', async () => {
  const {stdout, stderr, error} = await check(file('stale.jsonl'))
  assert.equal(exitOf(error), 1)
  assert.match(stdout, /Verdict: +NOT LINEARIZABLE/)
  assert.match(stdout, /Key "k": the ops called up to time 3 cannot be linearized/)
  assert.match(stdout, /\* +│ 2 +│ 1 +│ get/)
  assert.match(stderr, /VIOLATION/)
})

test('a violation with --json: the document once on stdout, then exit 1', async () => {
  const {stdout, error} = await check(file('stale.jsonl'), '--json')
  assert.equal(exitOf(error), 1)
  const doc = JSON.parse(stdout) // throws if anything else is on stdout
  assert.equal(doc.valid, false)
  assert.equal(doc.ops, 2)
  assert.equal(doc.keys, 1)
  assert.equal(doc.error, undefined)
  assert.equal(doc.counterexample.key, 'k')
  assert.equal(doc.counterexample.at, 3)
  assert.equal(doc.counterexample.culprit.line, 2)
  assert.deepEqual(doc.counterexample.ops.map((o: {call: number; return: number}) => [o.call, o.return]), [[0, 1], [2, 3]])
})

test('over budget: exit 3 and valid "unknown", never a pass', async () => {
  const human = await check(file('explosive.jsonl'), '--max-states', '100')
  assert.equal(exitOf(human.error), 3)
  assert.match(human.stdout, /UNKNOWN: the state budget ran out/)
  assert.match(human.stderr, /UNDECIDED/)
  const json = await check(file('explosive.jsonl'), '--max-states', '100', '--json')
  assert.equal(exitOf(json.error), 3)
  const doc = JSON.parse(json.stdout)
  assert.equal(doc.valid, 'unknown')
  assert.equal(doc.reason, 'state-limit')
  const timed = await check(file('explosive.jsonl'), '--time-limit', '20ms', '--json')
  assert.equal(exitOf(timed.error), 3)
  assert.equal(JSON.parse(timed.stdout).reason, 'time-limit')
})

test('bad input: exit 2, BAD_INPUT naming the line', async () => {
  const {stdout, error} = await check(file('bad.jsonl'), '--json')
  assert.equal(exitOf(error), 2)
  const doc = JSON.parse(stdout)
  assert.equal(doc.error.code, 'BAD_INPUT')
  assert.match(doc.error.message, /line 4: /)
})

test('a missing file: exit 2, BAD_INPUT', async () => {
  const {stderr, error} = await check(file('missing.jsonl'))
  assert.equal(exitOf(error), 2)
  assert.match(stderr, /BAD_INPUT.*no such file/)
})

test('bad flags: exit 2, BAD_USAGE', async () => {
  const duration = await check(file('good.jsonl'), '--time-limit', '30', '--json')
  assert.equal(exitOf(duration.error), 2)
  assert.equal(JSON.parse(duration.stdout).error.code, 'BAD_USAGE')
  const size = await check(file('good.jsonl'), '--max-memory', 'lots')
  assert.equal(exitOf(size.error), 2)
  const missing = await check()
  assert.equal(exitOf(missing.error), 2)
})

test('flag defaults match the checker defaults', () => {
  assert.equal(Check.flags['max-states'].default, DEFAULT_MAX_STATES)
  assert.equal(Check.flags['time-limit'].default, `${DEFAULT_TIME_LIMIT_MS / 1000}s`)
  assert.equal(Check.flags['max-memory'].default, `${DEFAULT_MAX_MEMORY_BYTES / 1024 / 1024}MiB`)
})

test('the check topic: "check FILE" reads a history, "check consistency" is the replica check (here: no such cluster)', async () => {
  const history = await check(file('good.jsonl'), '--json')
  assert.equal(exitOf(history.error), 0)
  assert.equal(JSON.parse(history.stdout).valid, true)
  process.env.RAFTCTL_HOME = dir
  try {
    const replicas = await check('consistency', '--json', '--cluster', 'absent')
    assert.equal(exitOf(replicas.error), 1)
    assert.equal(JSON.parse(replicas.stdout).error.code, 'CLUSTER_NOT_FOUND')
  } finally {
    delete process.env.RAFTCTL_HOME
  }
})
