/**
 * `raftctl verify` against REAL daemons (run `npm run build` first: daemons load dist/), each
 * run on a fresh cluster that verify creates and destroys in a temporary RAFTCTL_HOME:
 *
 * - what CI runs: 30 s of partitions and kills (kills only if the daemons have no live chaos)
 *   must be valid: linearizable, durable, files written, the history re-checkable;
 * - the unsafe follower-read mode must be caught: short runs under partitions, stopping at the
 *   first NOT LINEARIZABLE verdict (up to {@link UNSAFE_ATTEMPTS}); the number of attempts it
 *   took is printed as a test diagnostic.
 *
 * `after` destroys every cluster left in the temporary home and kills every daemon seen.
 */
import {after, afterEach, before, test} from 'node:test'
import assert from 'node:assert/strict'
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {resetExitCode} from '../helpers.js'
import {cleanup, raftctl, useTempHome} from './cluster-helpers.js'
import {parseHistory} from '../../src/verify/history.js'
import {checkHistory} from '../../src/verify/checker.js'

/** Short unsafe runs before giving up: each catches it with high probability on its own. */
const UNSAFE_ATTEMPTS = 5

let home = ''

before(() => {
  home = useTempHome()
})
after(async () => cleanup(home))
afterEach(resetExitCode)

test('bad fault kinds are bad usage (exit 2), before any cluster is touched', async () => {
  const r = await raftctl('verify', '--faults', 'partition,meteor', '--json')
  assert.equal(r.exit, 2)
  assert.equal(r.json().error.code, 'BAD_USAGE')
  assert.match(r.json().error.message, /meteor/)
})

/** Fault mixes of the workload test: together they cover every fault kind. */
const FAULT_MIXES = ['partition,kill', 'pause,restart', 'delay,drop,duplicate,reorder', 'disk']

test('--workload kv,range,txn: range reads and txns are recorded and valid under every fault mix', {timeout: 600_000}, async (t) => {
  for (const faults of FAULT_MIXES) {
    const r = await raftctl('verify', '--workload', 'kv,range,txn', '--duration', '6s', '--fault-interval', '1500ms', '--faults', faults, '--seed', '3', '--history', join(home, 'mix', `${faults}.jsonl`), '--json')
    const doc = r.json()
    t.diagnostic(`${faults}: ${doc.verdict}, ${doc.ops} ops, ${JSON.stringify(doc.byOp)}`)
    assert.equal(r.exit, 0, `${faults}: ${JSON.stringify({linearizable: doc.linearizable, durable: doc.durable?.violations}).slice(0, 3000)}`)
    assert.equal(doc.linearizable.valid, true)
    assert.equal(doc.durable.valid, true)
    const {ops} = parseHistory(readFileSync(doc.history, 'utf8'))
    assert.ok(ops.some((op) => op.op === 'range' && op.ok === true && op.kvs!.length > 0), `${faults}: range reads recorded`)
    assert.ok(ops.some((op) => op.op === 'txn' && op.succeeded === true), `${faults}: txns recorded`)
  }
  const bad = await raftctl('verify', '--workload', 'kv,bank', '--json')
  assert.equal(bad.exit, 2)
  assert.match(bad.json().error.message, /unknown workload "bank"/)
})

test('CI: 30 s of partitions and kills on a fresh cluster is linearizable and durable', {timeout: 240_000}, async (t) => {
  // Results in a folder the user names, as `--history /tmp/x.jsonl` would: the logs go to x.logs/, not to <folder>/logs/.
  const runs = join(home, 'runs')
  const r = await raftctl('verify', '--duration', '30s', '--faults', 'partition,kill', '--seed', '1', '--history', join(runs, 'ci.jsonl'), '--json')
  const doc = r.json()
  const summary = `verdict ${doc.verdict}: ${doc.ops} ops (${doc.ok} ok, ${doc.failed} failed, ${doc.unknown} unknown), ${doc.opsPerSecond} ops/s, ` +
    `faults ${doc.faults.filter((f: {status: string}) => f.status === 'applied').map((f: {description: string}) => f.description).join('; ')}; warnings: ${doc.warnings.join('; ') || 'none'}`
  t.diagnostic(summary)
  // On failure, say which check failed and why (a budget, a key without a final read, …).
  const why = {
    linearizable: {valid: doc.linearizable.valid, reason: doc.linearizable.reason, counterexample: doc.linearizable.counterexample},
    durable: {valid: doc.durable.valid, reason: doc.durable.reason, restarted: doc.durable.restarted, violations: doc.durable.violations?.slice(0, 3), undecided: doc.durable.undecided?.slice(0, 3)},
  }
  assert.equal(r.exit, 0, `${summary}\n${JSON.stringify(why, null, 1).slice(0, 4000)}`)
  assert.equal(doc.valid, true)
  assert.equal(doc.verdict, 'valid')
  assert.equal(doc.linearizable.valid, true)
  assert.equal(doc.durable.valid, true)
  assert.equal(doc.durable.restarted, true)
  assert.ok(doc.ops > 1000, `${doc.ops} ops`)
  assert.equal(doc.ops, doc.ok + doc.failed + doc.unknown)
  assert.equal(doc.cluster.created, true)
  assert.equal(doc.cluster.cleanup, 'destroyed')
  // Partitions when the daemons have live chaos, else kills only (with a warning saying so).
  const applied = doc.faults.filter((f: {status: string}) => f.status === 'applied')
  assert.ok(applied.length >= 3, `${applied.length} faults applied`)
  if (doc.faultKinds.skipped.includes('partition')) assert.match(doc.warnings.join('\n'), /partition left out/)
  else assert.ok(applied.some((f: {kind: string}) => f.kind === 'partition'))
  for (const f of applied) assert.ok(f.end > f.start)
  // The history on disk is the one judged; the report sits next to it, the daemons' logs in a folder named after the run.
  assert.ok(existsSync(doc.history) && existsSync(doc.report))
  assert.equal(doc.report, join(runs, 'ci.html'))
  assert.equal(doc.logs, join(runs, 'ci.logs'))
  assert.ok(existsSync(join(runs, 'ci.logs', 'n1.log')))
  assert.equal(existsSync(join(runs, 'logs')), false)
  const {ops} = parseHistory(readFileSync(doc.history, 'utf8'))
  assert.equal(ops.length, doc.ops)
  assert.equal(checkHistory(ops).valid, true)
  const html = readFileSync(doc.report, 'utf8')
  assert.match(html, /VALID \(linearizable and durable\)/)
  assert.equal((html.match(/<rect class="op /g) ?? []).length, doc.ops)
})

test('unsafe follower reads under partitions are reported NOT linearizable', {timeout: 600_000}, async (t) => {
  const attempts: string[] = []
  let caught: any // eslint-disable-line @typescript-eslint/no-explicit-any
  for (let i = 1; i <= UNSAFE_ATTEMPTS && !caught; i++) {
    const r = await raftctl('verify', '--duration', '10s', '--faults', 'partition', '--unsafe-follower-reads', '--seed', String(1000 + i), '--json')
    const doc = r.json()
    attempts.push(`attempt ${i}: exit ${r.exit}, verdict ${doc.verdict}, linearizable ${doc.linearizable.valid}, ${doc.ops} ops`)
    assert.equal(doc.cluster.unsafeFollowerReads, true)
    assert.equal(doc.cluster.cleanup, 'destroyed')
    if (doc.linearizable.valid === false) {
      assert.equal(r.exit, 1)
      assert.equal(doc.valid, false)
      caught = doc
    }
  }
  t.diagnostic(`unsafe mode caught after ${attempts.length} of up to ${UNSAFE_ATTEMPTS} runs: ${attempts.join(' | ')}`)
  assert.ok(caught, `never caught: ${attempts.join(' | ')}`)
  // The counterexample is a stale read: a get that returned an older value than one already acknowledged.
  const cx = caught.linearizable.counterexample
  assert.ok(cx.ops.some((op: {op: string}) => op.op === 'get'))
  assert.ok(cx.ops.length >= 2 && cx.ops.every((op: {call: number}) => op.call <= cx.at))
  const html = readFileSync(caught.report, 'utf8')
  assert.match(html, /NOT LINEARIZABLE/)
  assert.match(html, /id="counterexample"/)
})
