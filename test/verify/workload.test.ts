/**
 * The workload of `raftctl verify` (src/verify/workload.ts) against a FAKE node
 * (test/client/fake-node.ts): every operation is recorded in the DESIGN.md §4 format with the
 * outcome rules — a write whose answers are all lost is "unknown" with no return, a write
 * refused before it could apply is left out of the history (counted as rejected), a cas that did
 * not swap is ok false with its expected value (and only such a cas), a read that got no answer
 * is ok false — on one clock; keys rotate; the history is linearizable (the fake applies
 * atomically).
 */
import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'
import {FakeNode, SECRET} from '../client/fake-node.js'
import {checkHistory} from '../../src/verify/checker.js'
import {MonotonicClock, defaultKeys, runWorkload, type WorkloadResult} from '../../src/verify/workload.js'
import {runKeyPrefix} from '../../src/verify/run.js'

let node: FakeNode
let run: WorkloadResult

/** Appends whose number ends in 5 are never answered; puts whose number ends in 7 and cas whose number ends in 3 are refused. */
const LOST = /^a\d+\.\d*5;$/
const REFUSED = /^v\d+\.\d*7$/
const REFUSED_CAS = /^v\d+\.\d*3$/

before(async () => {
  node = await FakeNode.start('n1')
  const started = Date.now()
  node.misbehave = (request) => {
    if (request.type === 'append' && LOST.test(request.value)) return 'ignore'
    if (request.type === 'put' && REFUSED.test(request.value)) return {error: {code: 'BAD_REQUEST', message: 'refused'}}
    if (request.type === 'cas' && REFUSED_CAS.test(request.value)) return {error: {code: 'UNAUTHORIZED', message: 'refused'}}
    // Reads are retried freely: only a stretch with no answers at all makes them fail.
    const t = Date.now() - started
    if (request.type === 'get' && t > 500 && t < 800) return 'ignore'
    return undefined
  }
  run = await runWorkload({
    endpoints: [{id: 'n1', url: node.address}], secret: SECRET, clock: new MonotonicClock(),
    durationMs: 1500, seed: 3, clients: 4, keys: 2, opsPerKey: 25, opTimeoutMs: 40, opDeadlineMs: 120, clientRate: 200,
  })
})
after(async () => node.stop())

describe('runWorkload', () => {
  it('records every op in the history format, on one clock', () => {
    assert.ok(run.ops.length > 100, `${run.ops.length} ops`)
    assert.equal(run.details.length, run.ops.length)
    for (const op of run.ops) {
      assert.ok(Number.isSafeInteger(op.call) && op.call >= run.started)
      if (op.ok === 'unknown') assert.equal(op.return, undefined)
      else assert.ok(Number.isSafeInteger(op.return) && op.return! >= op.call && op.return! <= run.ended)
      assert.ok(op.client >= 0 && op.client < 4)
    }
    assert.equal(checkHistory(run.ops).valid, true)
  })

  it('gives every write a unique value', () => {
    const values = run.ops.filter((op) => op.op !== 'get').map((op) => op.value)
    assert.equal(new Set(values).size, values.length)
  })

  it('puts registers on even slots, append logs on odd slots, and rotates keys', () => {
    for (const op of run.ops) {
      if (op.key.startsWith('r')) assert.ok(['get', 'put', 'cas'].includes(op.op), `${op.op} on ${op.key}`)
      else assert.ok(['get', 'append'].includes(op.op), `${op.op} on ${op.key}`)
    }
    assert.ok(run.keys.has('r0.0') && run.keys.has('r0.1') && run.keys.has('a1.0') && run.keys.has('a1.1'))
    const perKey = new Map<string, number>()
    for (const op of run.ops) perKey.set(op.key, (perKey.get(op.key) ?? 0) + 1)
    for (const [key, n] of perKey) assert.ok(n <= 25, `${key}: ${n} ops`)
    assert.equal(run.keys.get('r0.0'), 'register')
    assert.equal(run.keys.get('a1.0'), 'append')
  })

  it('a write whose answers are all lost is unknown, never false', () => {
    const lost = run.ops.filter((op) => op.op === 'append' && LOST.test(op.value!))
    assert.ok(lost.length > 0)
    for (const op of lost) {
      // A client's very first write, if lost, makes its next one SESSION_EXPIRED on the fake; otherwise unknown.
      assert.notEqual(op.ok, true)
      assert.notEqual(op.ok, false, `${op.value}: a lost answer is not a definite failure`)
    }
    const i = run.ops.indexOf(lost[0]!)
    assert.equal(run.details[i]!.error, 'TIMEOUT')
    assert.ok(run.details[i]!.gaveUp! > run.ops[i]!.call)
  })

  it('a put refused before it was proposed is left out of the history and counted as rejected', () => {
    assert.deepEqual(run.ops.filter((op) => op.op === 'put' && REFUSED.test(op.value!)), [])
    const refused = run.rejected.filter((r) => r.op === 'put')
    assert.ok(refused.length > 0)
    for (const r of refused) assert.equal(r.error, 'BAD_REQUEST')
  })

  it('a cas refused with an error is never recorded as ok false (which reads as a failed comparison): it is left out', () => {
    const refused = run.ops.filter((op) => op.op === 'cas' && REFUSED_CAS.test(op.value!))
    assert.deepEqual(refused.map((op) => `${op.value} ok ${String(op.ok)}`), [])
    const rejected = run.rejected.filter((r) => r.op === 'cas')
    assert.ok(rejected.length > 0)
    for (const r of rejected) {
      assert.equal(r.error, 'UNAUTHORIZED')
      assert.match(r.key, /^r/)
    }
  })

  it('a cas that did not swap is ok false with its expected value; one that did is ok true', () => {
    const cas = run.ops.filter((op) => op.op === 'cas')
    assert.ok(cas.some((op) => op.ok === false) && cas.some((op) => op.ok === true))
    for (const op of cas) assert.ok('expected' in op)
  })

  it('reads go to the chosen node; a read without an answer is ok false and constrains nothing', () => {
    const gets = run.ops.map((op, i) => ({op, d: run.details[i]!})).filter((x) => x.op.op === 'get')
    assert.ok(gets.every((x) => x.d.node === 'n1'))
    assert.ok(gets.some((x) => x.op.ok === false && x.op.output === undefined))
    assert.ok(gets.filter((x) => x.op.ok === true).every((x) => 'output' in x.op))
  })

  it('about 5 clients per key by default', () => {
    assert.equal(defaultKeys(10), 2)
    assert.equal(defaultKeys(3), 2)
    assert.equal(defaultKeys(40), 8)
  })

  it('a second run on the same node, its keys prefixed per run (runKeyPrefix), starts from absent keys: its history alone is linearizable', async () => {
    const prefix = runKeyPrefix()
    const second = await runWorkload({
      endpoints: [{id: 'n1', url: node.address}], secret: SECRET, clock: new MonotonicClock(),
      durationMs: 400, seed: 4, clients: 4, keys: 2, opsPerKey: 25, opTimeoutMs: 40, opDeadlineMs: 120, clientRate: 200, keyPrefix: prefix,
    })
    assert.ok(second.ops.length > 0 && second.ops.every((op) => op.key.startsWith(prefix)))
    assert.equal(checkHistory(second.ops).valid, true)
  })
})
