/**
 * The reports of `raftctl verify` (src/verify/report.ts): the HTML page holds every operation
 * (a bar per op, coloured by outcome, with its description on hover) and every applied fault
 * window, the verdict on top, nothing loaded from elsewhere, escaped text; the text report lists
 * the faults with their times and, for a violation, the smallest failing piece of history.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {checkHistory} from '../../src/verify/checker.js'
import {checkDurability} from '../../src/verify/durability.js'
import type {HistoryOp} from '../../src/verify/history.js'
import {describeOp, escapeHtml, renderHtml, renderText} from '../../src/verify/report.js'
import {countByOp, overallVerdict, summarizeCheck, type FaultSummary, type VerifyResult} from '../../src/verify/result.js'
import type {OpDetail} from '../../src/verify/workload.js'

const S = 1e9

/** A stale read: client 1 reads absent after client 0's put of x returned. */
const STALE: HistoryOp[] = [
  {client: 0, op: 'put', key: 'r0.0', value: 'v0.1', ok: true, call: 0.1 * S, return: 0.2 * S},
  {client: 1, op: 'get', key: 'r0.0', output: null, ok: true, call: 0.5 * S, return: 0.6 * S},
  {client: 2, op: 'append', key: 'a1.0', value: 'a2.1;', ok: 'unknown', call: 1 * S},
  {client: 2, op: 'cas', key: 'r0.0', expected: 'nope', value: 'v2.2', ok: false, call: 3.5 * S, return: 3.6 * S},
  {client: 1, op: 'get', key: 'a1.0', ok: false, call: 4 * S, return: 4.5 * S},
]
const DETAILS: OpDetail[] = [{}, {node: 'n2'}, {error: 'TIMEOUT', gaveUp: 3.2 * S}, {}, {node: 'n3', error: 'NO_LEADER'}]

const FAULTS: FaultSummary[] = [
  {id: 's7-1', kind: 'partition', description: 'partition n2 | n1,n3 [s7-1]', nodes: [], status: 'applied', atMs: 300, durationMs: 2000, start: 0.3 * S, end: 2.4 * S, notes: []},
  {id: 'kill-n1-1', kind: 'kill', description: 'kill n1', nodes: ['n1'], status: 'applied', atMs: 3000, durationMs: 1000, start: 3 * S, end: 4_100_000_000, notes: []},
  {id: 's7-3', kind: 'delay', description: 'delay 50±25ms [s7-3]', nodes: [], status: 'failed', atMs: 5000, durationMs: 1000, start: 5 * S, end: 5 * S, notes: ['failed: the fault was added on no node']},
]

function result(history: readonly HistoryOp[]): VerifyResult {
  const check = checkHistory(history)
  const reads = new Map([['r0.0', {value: 'v0.1'}], ['a1.0', {value: null}]])
  const durable = checkDurability({history, afterHeal: reads, afterRestart: reads})
  const linearizable = summarizeCheck(check)
  const verdict = overallVerdict(linearizable.valid, durable.valid)
  return {
    valid: verdict === 'valid', verdict,
    cluster: {name: 'default', nodes: ['n1', 'n2', 'n3'], created: true, started: false, unsafeFollowerReads: true, cleanup: 'destroyed'},
    seed: 7, durationMs: 5000, elapsedMs: 5000, clients: 3, keySlots: 2, keys: 2,
    ops: check.ops, ok: check.counts.ok, failed: check.counts.failed, unknown: check.counts.unknown, rejected: 2, byOp: countByOp(history),
    opsPerSecond: 1, latencyMs: {p50: 100, p90: 100, p99: 100, max: 100},
    faults: FAULTS, faultKinds: {requested: ['partition', 'kill', 'delay', 'drop'], scheduled: ['partition', 'kill', 'delay'], skipped: ['drop']},
    warnings: ['drop left out: the daemons do not serve chaos.* requests'],
    linearizable, durable, recoveryMs: 1200, history: '/tmp/h.jsonl', report: '/tmp/h.html', logs: '/tmp/h.logs',
  }
}

describe('HTML report', () => {
  const r = result(STALE)
  const html = renderHtml(r, STALE, DETAILS)

  it('puts the verdict on top', () => {
    assert.equal(r.verdict, 'violation')
    const verdict = html.indexOf('id="verdict"')
    assert.ok(verdict > 0 && verdict < html.indexOf('id="timeline"'))
    assert.match(html, /<div class="verdict violation" id="verdict">NOT LINEARIZABLE<\/div>/)
  })

  it('draws one bar per op, from call to return (or to when the client gave up), coloured by outcome', () => {
    const bars = [...html.matchAll(/<rect class="op ([a-z]+)[^"]*" data-op="(\d+)" data-c="(\d+)" data-r="(\d+)"/g)]
    assert.equal(bars.length, STALE.length)
    assert.deepEqual(bars.map((m) => m[1]), ['ok', 'ok', 'unknown', 'failed', 'failed'])
    assert.deepEqual(bars.map((m) => Number(m[3])), STALE.map((op) => op.call))
    assert.deepEqual(bars.map((m) => Number(m[4])), [0.2 * S, 0.6 * S, 3.2 * S, 3.6 * S, 4.5 * S])
  })

  it('puts each op on its client\'s row, with a hover description', () => {
    for (let c = 0; c < 3; c++) assert.match(html, new RegExp(`>client ${c}</text>`))
    assert.match(html, /<title>#1 client 1: get &quot;r0.0&quot; · → absent · ok true · read via n2 · call \+0.500s · return \+0.600s<\/title>/)
    assert.match(html, /#2 client 2: append &quot;a1.0&quot; · &quot;a2.1;&quot; · ok unknown · error TIMEOUT · call \+1.000s · no return \(gave up \+3.200s\)/)
  })

  it('shades every applied fault window over all rows, and lists every fault', () => {
    const windows = [...html.matchAll(/<rect class="fault (\w+)" data-fault="([\w-]+)" data-c="(\d+)" data-r="(\d+)"/g)]
    assert.deepEqual(windows.map((m) => [m[1], m[2], Number(m[3]), Number(m[4])]), [['partition', 's7-1', 0.3 * S, 2.4 * S], ['kill', 'kill-n1-1', 3 * S, 4_100_000_000]])
    assert.match(html, /<title>partition n2 \| n1,n3 \[s7-1\]: \+0.300s – \+2.400s<\/title>/)
    for (const id of ['s7-1', 'kill-n1-1', 's7-3']) assert.match(html, new RegExp(`<tr data-fault="${id}">`))
    assert.match(html, /failed: the fault was added on no node/)
    // Windows are drawn over the bars (translucent, not catching the mouse).
    assert.ok(html.lastIndexOf('<rect class="op ') < html.indexOf('<rect class="fault '))
  })

  it('marks the counterexample ops and lists them with their times', () => {
    assert.match(html, /<rect class="op ok culprit" data-op="1"/)
    assert.match(html, /<rect class="op ok cx" data-op="0"/)
    assert.match(html, /<table id="counterexample">.*\+0.500s.*\+0.600s/s)
  })

  it('is self-contained and escapes what it shows', () => {
    assert.doesNotMatch(html, /<(script|link|img)[^>]+(src|href)=/i)
    assert.doesNotMatch(html, /https?:\/\/(?!www\.w3\.org\/2000\/svg)/)
    const evil: HistoryOp[] = [{client: 0, op: 'put', key: '<script>alert(1)</script>', value: '"&', ok: true, call: 0, return: 10}]
    const page = renderHtml(result(evil), evil)
    assert.ok(!page.includes('<script>alert(1)</script>'))
    assert.ok(page.includes(escapeHtml(JSON.stringify('<script>alert(1)</script>'))))
  })

  it('a valid run is green and has no counterexample section', () => {
    const fine = STALE.filter((op) => op.client !== 1)
    const page = renderHtml(result(fine), fine)
    assert.match(page, /<div class="verdict valid" id="verdict">VALID \(linearizable and durable\)<\/div>/)
    assert.doesNotMatch(page, /id="counterexample"/)
  })
})

describe('text report', () => {
  it('lists counts, the faults with their times, the verdict and the failing piece of history', () => {
    const text = renderText(result(STALE))
    assert.match(text, /Operations: +5 \(ok 2, failed 2, unknown 1\)/)
    assert.match(text, /by kind: +put 1\/0\/0, get 1\/1\/0, append 0\/0\/1, cas 0\/1\/0/)
    assert.match(text, /rejected: +2 writes refused before being proposed \(certainly not applied: left out of the history\)/)
    assert.match(text, /\+0.300s – \+2.400s +partition n2 \| n1,n3 \[s7-1\]/)
    assert.match(text, /\+5.000s +delay 50±25ms \[s7-3\] \[failed\] +\(failed: the fault was added on no node\)/)
    assert.match(text, /Warning: +drop left out/)
    assert.match(text, /Linearizable: +NO .*key "r0.0"/)
    assert.match(text, /Verdict: +NOT LINEARIZABLE/)
    assert.match(text, /Logs: +\/tmp\/h\.logs$/m)
    assert.match(text, /Key "r0.0": its operations called up to \+0.600s cannot be linearized/)
    assert.match(text, /\* +1 +get +absent +true +\+0.500s +\+0.600s/)
  })

  it('describes ops in one line', () => {
    assert.equal(describeOp(STALE[3]!, undefined, 3), '#3 client 2: cas "r0.0" · expected "nope" → "v2.2" · ok false · call +3.500s · return +3.600s')
  })
})
