/**
 * The durability rule of `raftctl verify` (src/verify/durability.ts, docs/verify.md) on small
 * hand-made histories: register keys (the final value's writer must not precede any
 * acknowledged write), append keys (every acknowledged token, no foreign or failed token, no
 * duplicate, real-time order), the equality across the restart, and undecided keys.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {appendProblems, checkDurability, checkKey, inferKind, registerProblems, type FinalRead} from '../../src/verify/durability.js'
import type {HistoryOp} from '../../src/verify/history.js'

const put = (value: string, ok: HistoryOp['ok'], call: number, ret?: number, client = 0): HistoryOp =>
  ok === 'unknown' ? {client, op: 'put', key: 'r', value, ok, call} : {client, op: 'put', key: 'r', value, ok, call, return: ret ?? call + 1}
const cas = (expected: string | null, value: string, ok: HistoryOp['ok'], call: number, ret?: number): HistoryOp =>
  ok === 'unknown' ? {client: 1, op: 'cas', key: 'r', expected, value, ok, call} : {client: 1, op: 'cas', key: 'r', expected, value, ok, call, return: ret ?? call + 1}
const app = (value: string, ok: HistoryOp['ok'], call: number, ret?: number): HistoryOp =>
  ok === 'unknown' ? {client: 2, op: 'append', key: 'a', value, ok, call} : {client: 2, op: 'append', key: 'a', value, ok, call, return: ret ?? call + 1}
const get = (key: string, output: string | null, call: number): HistoryOp => ({client: 3, op: 'get', key, output, ok: true, call, return: call + 1})

const value = (v: string | null): FinalRead => ({value: v})

describe('register keys', () => {
  it('the last acknowledged put is the final value', () => {
    assert.deepEqual(registerProblems([put('x', true, 0, 10)], 'x'), [])
    assert.deepEqual(registerProblems([put('x', true, 0, 10), put('y', true, 20, 30)], 'y'), [])
  })

  it('an acknowledged put called after another put returned cannot be lost', () => {
    const problems = registerProblems([put('x', true, 0, 10), put('y', true, 20, 30)], 'x')
    assert.equal(problems.length, 1)
    assert.match(problems[0]!, /"x" was written before the acknowledged put of "y" \(called at 20\) was even called/)
  })

  it('concurrent acknowledged puts: either may be final', () => {
    const ops = [put('x', true, 0, 30), put('y', true, 10, 20)]
    assert.deepEqual(registerProblems(ops, 'x'), [])
    assert.deepEqual(registerProblems(ops, 'y'), [])
  })

  it('an unknown write may take effect at any time after its call', () => {
    // The unknown put of x was called first, yet may land after the acknowledged put of y.
    assert.deepEqual(registerProblems([put('x', 'unknown', 0), put('y', true, 50, 60)], 'x'), [])
    // ...or never: y is fine too.
    assert.deepEqual(registerProblems([put('x', 'unknown', 0), put('y', true, 50, 60)], 'y'), [])
  })

  it('a value never written, or written only by a failed write, is a violation', () => {
    assert.match(registerProblems([put('x', true, 0)], 'zzz')[0]!, /"zzz" was never written/)
    assert.match(registerProblems([put('x', true, 0), put('y', false, 5)], 'y')[0]!, /"y" was written by a write that failed/)
    assert.match(registerProblems([put('x', true, 0), cas('x', 'z', false, 5)], 'z')[0]!, /failed/)
  })

  it('absent: fine with no acknowledged write, lost data otherwise', () => {
    assert.deepEqual(registerProblems([], null), [])
    assert.deepEqual(registerProblems([put('x', 'unknown', 0), put('y', false, 3)], null), [])
    assert.match(registerProblems([put('x', true, 0, 10)], null)[0]!, /absent .* acknowledged put of "x"/)
  })

  it('a cas that swapped writes its value; one that failed writes nothing', () => {
    const ops = [put('x', true, 0, 10), cas('x', 'z', true, 20, 30)]
    assert.deepEqual(registerProblems(ops, 'z'), [])
    assert.equal(registerProblems(ops, 'x').length, 1, 'x was replaced by the acknowledged cas')
    assert.deepEqual(registerProblems([put('x', true, 0, 10), cas('q', 'z', false, 20, 30)], 'x'), [], 'a failed cas does not supersede')
  })

  it('reads do not count as writes', () => {
    assert.deepEqual(registerProblems([put('x', true, 0, 10), get('r', 'x', 20)], 'x'), [])
  })
})

describe('append keys', () => {
  it('every acknowledged token, in real-time order', () => {
    const ops = [app('a0.1;', true, 0, 10), app('a1.1;', true, 20, 30), app('a0.2;', true, 25, 35)]
    assert.deepEqual(appendProblems(ops, 'a0.1;a1.1;a0.2;'), [])
    assert.deepEqual(appendProblems(ops, 'a0.1;a0.2;a1.1;'), [], 'concurrent appends in either order')
  })

  it('a missing acknowledged token is a violation', () => {
    const problems = appendProblems([app('a0.1;', true, 0), app('a0.2;', true, 5)], 'a0.1;')
    assert.deepEqual(problems, ['the acknowledged append of "a0.2;" (called at 5) is missing'])
  })

  it('unknown appends may or may not be there; failed ones must not', () => {
    const ops = [app('a0.1;', true, 0), app('a0.2;', 'unknown', 5), app('a0.3;', false, 8)]
    assert.deepEqual(appendProblems(ops, 'a0.1;'), [])
    assert.deepEqual(appendProblems(ops, 'a0.1;a0.2;'), [])
    assert.match(appendProblems(ops, 'a0.1;a0.3;')[0]!, /"a0.3;" comes from an append that failed/)
  })

  it('a token applied twice or never appended is a violation', () => {
    assert.match(appendProblems([app('a0.1;', true, 0)], 'a0.1;a0.1;')[0]!, /appears twice/)
    assert.match(appendProblems([app('a0.1;', true, 0)], 'a0.1;a9.9;')[0]!, /"a9.9;" was never appended/)
  })

  it('out of real-time order is a violation', () => {
    const ops = [app('a0.1;', true, 0, 10), app('a0.2;', true, 20, 30)]
    assert.match(appendProblems(ops, 'a0.2;a0.1;')[0]!, /"a0.1;" returned before "a0.2;" was called, yet comes after it/)
  })

  it('text that is not a sequence of tokens is a violation; absent is empty', () => {
    assert.match(appendProblems([app('a0.1;', true, 0)], 'a0.1')[0]!, /not a sequence of appended tokens/)
    assert.deepEqual(appendProblems([app('a0.1;', 'unknown', 0)], null), [])
    assert.equal(appendProblems([app('a0.1;', true, 0)], null).length, 1)
  })
})

describe('checkKey and checkDurability', () => {
  it('infers the kind of a key from its writes', () => {
    assert.equal(inferKind([put('x', true, 0)]), 'register')
    assert.equal(inferKind([app('a0.1;', true, 0)]), 'append')
    assert.equal(inferKind([get('r', null, 0)]), 'register')
    assert.equal(inferKind([{...put('x', true, 0), key: 'a'}, app('a0.1;', true, 0)]), 'mixed')
  })

  it('the value must not change across the restart', () => {
    const ops = [put('x', 'unknown', 0), put('y', true, 50, 60)]
    const k = checkKey('r', ops, 'register', value('x'), value('y'))
    assert.equal(k.valid, false)
    assert.match(k.problems.join('\n'), /changed across the restart \("x" → "y"\)/)
    assert.equal(checkKey('r', ops, 'register', value('y'), value('y')).valid, true)
  })

  it('prefixes each problem with the phase', () => {
    const k = checkKey('r', [put('x', true, 0, 10), put('y', true, 20, 30)], 'register', value('y'), value('x'))
    assert.equal(k.valid, false)
    assert.ok(k.problems.some((p) => p.startsWith('after the full restart: ')))
    assert.ok(!k.problems.some((p) => p.startsWith('after healing: ')))
  })

  it('an unreadable key, or no restart, is undecided; a violation still wins', () => {
    const ops = [put('x', true, 0, 10)]
    const unread = checkKey('r', ops, 'register', {error: 'TIMEOUT'}, value('x'))
    assert.equal(unread.valid, 'unknown')
    assert.match(unread.reason!, /could not be read after healing \(TIMEOUT\)/)
    const noRestart = checkKey('r', ops, 'register', value('x'), undefined, false)
    assert.equal(noRestart.valid, 'unknown')
    assert.match(noRestart.reason!, /full restart was not done/)
    assert.equal(checkKey('r', ops, 'register', {error: 'TIMEOUT'}, value(null)).valid, false)
  })

  it('combines the keys: false over unknown over true', () => {
    const history = [put('x', true, 0, 10), app('a0.1;', true, 0, 10)]
    const good = checkDurability({history, afterHeal: new Map([['r', value('x')], ['a', value('a0.1;')]]), afterRestart: new Map([['r', value('x')], ['a', value('a0.1;')]])})
    assert.equal(good.valid, true)
    assert.equal(good.keys, 2)
    assert.equal(good.acknowledged, 2)
    assert.equal(good.restarted, true)
    const lost = checkDurability({history, afterHeal: new Map([['r', value('x')], ['a', value(null)]]), afterRestart: new Map([['r', {error: 'TIMEOUT'}], ['a', value(null)]])})
    assert.equal(lost.valid, false)
    assert.deepEqual(lost.violations.map((k) => k.key), ['a'])
    assert.deepEqual(lost.undecided.map((k) => k.key), ['r'])
    const down = checkDurability({history, afterHeal: new Map(), reason: 'the cluster did not recover'})
    assert.equal(down.valid, 'unknown')
    assert.equal(down.reason, 'the cluster did not recover')
  })

  it('a restart left out on purpose (a remote cluster): the reads after healing decide, and a loss there is still a violation', () => {
    const history = [put('x', true, 0, 10), app('a0.1;', true, 0, 10)]
    const healed = checkDurability({history, afterHeal: new Map([['r', value('x')], ['a', value('a0.1;')]]), restartSkipped: true})
    assert.equal(healed.valid, true)
    assert.equal(healed.restarted, false)
    assert.equal(checkDurability({history, afterHeal: new Map([['r', value('x')], ['a', value('a0.1;')]])}).valid, 'unknown')
    const lost = checkDurability({history, afterHeal: new Map([['r', value('x')], ['a', value(null)]]), restartSkipped: true})
    assert.deepEqual(lost.violations.map((k) => k.key), ['a'])
  })

  it('checks keys that were used but never written (from the kinds map)', () => {
    const r = checkDurability({history: [], kinds: new Map([['r9', 'register']]), afterHeal: new Map([['r9', value('ghost')]]), afterRestart: new Map([['r9', value('ghost')]])})
    assert.equal(r.valid, false)
    assert.match(r.violations[0]!.problems[0]!, /never written/)
  })
})
