/**
 * Property tests: the checker against a brute-force oracle that enumerates every order
 * consistent with real time and every subset of unknown ops, on thousands of small random
 * histories — pure noise, and registers simulated with overlapping intervals (then corrupted).
 * Also checks that a reported counterexample is a failing prefix (and a minimal one).
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import {checkHistory, cutHistory} from '../../src/verify/checker.js'
import {compileKey, searchKey} from '../../src/verify/linearize.js'
import type {HistoryOp, OpKind, Outcome} from '../../src/verify/history.js'

// ---------------------------------------------------------------------------------------------
// The oracle

/** True when some legal sequential order of some subset of the unknown ops exists. */
function bruteForce(history: readonly HistoryOp[]): boolean {
  const ops = history.filter(constrains)
  const required = ops.filter((op) => op.ok !== 'unknown')
  const optional = ops.filter((op) => op.ok === 'unknown')
  for (let mask = 0; mask < 1 << optional.length; mask++) {
    const chosen = [...required, ...optional.filter((_, i) => (mask >> i) & 1)]
    if (someLegalOrder(chosen, [], new Map())) return true
  }
  return false
}

/** Gets that did not succeed and writes that failed constrain nothing. */
function constrains(op: HistoryOp): boolean {
  if (op.op === 'get') return op.ok === true
  return op.ok !== false || op.op === 'cas'
}

function returnOf(op: HistoryOp): number {
  return op.ok === 'unknown' ? Infinity : op.return!
}

/** Depth-first over the permutations of `left` that respect real time (closed intervals). */
function someLegalOrder(left: readonly HistoryOp[], placed: HistoryOp[], state: Map<string, string>): boolean {
  if (left.length === 0) return true
  for (const op of left) {
    const blocked = left.some((other) => other !== op && returnOf(other) < op.call)
    if (blocked) continue
    const after = apply(state, op)
    if (after && someLegalOrder(left.filter((o) => o !== op), [...placed, op], after)) return true
  }
  return false
}

/** The sequential model of a map of string registers; undefined when the op's result contradicts it. */
function apply(state: Map<string, string>, op: HistoryOp): Map<string, string> | undefined {
  const current = state.has(op.key) ? state.get(op.key)! : null
  const next = new Map(state)
  switch (op.op) {
    case 'get':
      return current === op.output ? state : undefined
    case 'put':
      next.set(op.key, op.value!)
      return next
    case 'delete':
      next.delete(op.key)
      return next
    case 'append':
      next.set(op.key, (current ?? '') + op.value!)
      return next
    case 'cas': {
      const matches = current === op.expected
      if (op.ok === false) return matches ? undefined : state
      if (op.ok === true && !matches) return undefined
      if (matches) next.set(op.key, op.value!)
      return next
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Generators

const KEYS = ['a', 'b']
const VALUES = ['', 'x', 'y']
const READS: Array<string | null> = [null, '', 'x', 'y', 'xy', 'yx', 'xx']
const KINDS: OpKind[] = ['get', 'put', 'delete', 'cas', 'append']

/** Pure noise: any op, any result, any interval. */
const noiseOp = fc
  .record({
    client: fc.integer({min: 0, max: 2}),
    op: fc.constantFrom(...KINDS),
    key: fc.constantFrom(...KEYS),
    value: fc.constantFrom(...VALUES),
    expected: fc.constantFrom<string | null>(null, ...VALUES),
    output: fc.constantFrom(...READS),
    ok: fc.constantFrom<Outcome>(true, true, true, false, 'unknown'),
    call: fc.integer({min: 0, max: 10}),
    duration: fc.integer({min: 0, max: 6}),
  })
  .map((r) => shape(r.op, r, r.call, r.call + r.duration))

function shape(kind: OpKind, r: {client: number; key: string; value: string; expected: string | null; output: string | null; ok: Outcome}, call: number, ret: number): HistoryOp {
  const op: HistoryOp = {client: r.client, op: kind, key: r.key, ok: r.ok, call}
  if (kind === 'put' || kind === 'cas' || kind === 'append') op.value = r.value
  if (kind === 'cas') op.expected = r.expected
  if (kind === 'get') op.output = r.output
  if (r.ok !== 'unknown') op.return = ret
  return op
}

/** Many unknown writes of few values: exercises the symmetry reduction between identical unknown ops. */
const unknownHeavyOp = fc
  .record({
    client: fc.integer({min: 0, max: 3}),
    op: fc.constantFrom<OpKind>('get', 'append', 'append', 'put', 'cas'),
    key: fc.constant('a'),
    value: fc.constantFrom('x', 'y'),
    expected: fc.constantFrom<string | null>(null, 'x', 'xx'),
    output: fc.constantFrom<string | null>(null, 'x', 'xx', 'xxx', 'y', 'yx', 'xy'),
    ok: fc.constantFrom<Outcome>(true, 'unknown', 'unknown'),
    call: fc.integer({min: 0, max: 6}),
    duration: fc.integer({min: 0, max: 4}),
  })
  .map((r) => shape(r.op, {...r, ok: r.op === 'get' ? true : r.ok}, r.call, r.call + r.duration))

/** Unknown cas ops without appends: exercises value-demand pruning and dead unknown ops. */
const casHeavyOp = fc
  .record({
    client: fc.integer({min: 0, max: 3}),
    op: fc.constantFrom<OpKind>('get', 'put', 'cas', 'cas', 'cas', 'delete'),
    key: fc.constant('a'),
    value: fc.constantFrom('x', 'y', 'z'),
    expected: fc.constantFrom<string | null>(null, 'x', 'y', 'z'),
    output: fc.constantFrom<string | null>(null, 'x', 'y', 'z'),
    ok: fc.constantFrom<Outcome>(true, false, 'unknown', 'unknown'),
    call: fc.integer({min: 0, max: 8}),
    duration: fc.integer({min: 0, max: 4}),
  })
  .map((r) => shape(r.op, r, r.call, r.call + r.duration))

/** One planned op of a simulated run: its interval, its linearization point, its fate. */
const plannedOp = fc.record({
  client: fc.integer({min: 0, max: 3}),
  op: fc.constantFrom(...KINDS),
  key: fc.constantFrom(...KEYS),
  value: fc.constantFrom('x', 'y', 'z', ''),
  expectCurrent: fc.boolean(),
  expectedOther: fc.constantFrom<string | null>(null, '', 'x', 'y'),
  call: fc.integer({min: 0, max: 12}),
  duration: fc.integer({min: 0, max: 8}),
  point: fc.double({min: 0, max: 1, noNaN: true}),
  fate: fc.constantFrom('ok', 'ok', 'ok', 'ok', 'unknown-applied', 'unknown-lost', 'failed'),
})
type Planned = typeof plannedOp extends fc.Arbitrary<infer T> ? T : never

/** Run a real register: each op takes effect at its point (or not, per its fate), results recorded. */
function simulate(plan: readonly Planned[]): HistoryOp[] {
  const timed = plan.map((p, i) => ({p, i, at: p.call + p.point * p.duration}))
  timed.sort((a, b) => a.at - b.at || a.i - b.i)
  const state = new Map<string, string>()
  const out: HistoryOp[] = new Array(plan.length)
  for (const {p, i} of timed) out[i] = simulateOne(p, state)
  return out
}

function simulateOne(p: Planned, state: Map<string, string>): HistoryOp {
  const current = state.has(p.key) ? state.get(p.key)! : null
  const applied = p.fate === 'ok' || p.fate === 'unknown-applied'
  const ok: Outcome = p.fate === 'ok' ? true : p.fate === 'failed' ? false : 'unknown'
  const base = {client: p.client, key: p.key, value: p.value, output: current, expected: p.expectCurrent ? current : p.expectedOther}
  if (p.op === 'get') return shape('get', {...base, ok: p.fate === 'ok' ? true : ok}, p.call, p.call + p.duration)
  if (p.op === 'cas') return simulateCas(p, state, base, applied)
  if (applied) {
    if (p.op === 'put') state.set(p.key, p.value)
    if (p.op === 'delete') state.delete(p.key)
    if (p.op === 'append') state.set(p.key, (current ?? '') + p.value)
  }
  return shape(p.op, {...base, ok}, p.call, p.call + p.duration)
}

function simulateCas(p: Planned, state: Map<string, string>, base: {client: number; key: string; value: string; output: string | null; expected: string | null}, applied: boolean): HistoryOp {
  const current = base.output
  const matches = current === base.expected
  if (!matches) {
    // Completed with the comparison failing (or, if unknown, it did nothing).
    const ok: Outcome = p.fate === 'ok' || p.fate === 'failed' ? false : 'unknown'
    return shape('cas', {...base, ok}, p.call, p.call + p.duration)
  }
  if (applied) state.set(p.key, p.value)
  const ok: Outcome = p.fate === 'ok' ? true : 'unknown'
  return shape('cas', {...base, ok}, p.call, p.call + p.duration)
}

/** A small change that often breaks linearizability. */
const corruption = fc.record({
  index: fc.nat(),
  how: fc.constantFrom('output', 'ok', 'shift', 'value', 'expected'),
  to: fc.constantFrom<string | null>(null, '', 'x', 'y', 'z', 'xy'),
  shift: fc.integer({min: -6, max: 6}),
})

function corrupt(history: HistoryOp[], c: typeof corruption extends fc.Arbitrary<infer T> ? T : never): HistoryOp[] {
  // Pick among the ops the corruption applies to, so that most corruptions change something.
  const applies = (op: HistoryOp): boolean =>
    c.how === 'output' ? op.op === 'get' : c.how === 'expected' ? op.op === 'cas' : c.how === 'value' ? op.value !== undefined : true
  const candidates = history.map((op, i) => ({op, i})).filter((x) => applies(x.op))
  if (candidates.length === 0) return history
  const i = candidates[c.index % candidates.length]!.i
  const op = {...history[i]!}
  if (c.how === 'output' && op.op === 'get') op.output = c.to
  if (c.how === 'ok') op.ok = op.ok === true ? false : true
  if (c.how === 'value' && op.value !== undefined) op.value = c.to ?? 'z'
  if (c.how === 'expected' && op.op === 'cas') op.expected = c.to
  if (c.how === 'shift') op.call = Math.max(0, op.call + c.shift)
  if (op.ok !== 'unknown') op.return = Math.max(op.call, op.return ?? op.call)
  const copy = [...history]
  copy[i] = op
  return copy
}

// ---------------------------------------------------------------------------------------------
// Properties

/** The checker agrees with the oracle; a counterexample is a failing (and minimal) prefix. */
function assertAgrees(history: HistoryOp[]): boolean {
  const result = checkHistory(history)
  const expected = bruteForce(history)
  assert.equal(result.valid, expected, `checker says ${result.valid}, brute force says ${expected}:\n${dump(history)}`)
  assert.equal(unprunedVerdict(history), expected, `unpruned search disagrees:\n${dump(history)}`)
  if (result.valid === false) assertCounterexample(history, result.counterexample!)
  return expected
}

/**
 * The search engine alone with its pruning rules off (and so with much more backtracking):
 * the memoization must still be exact. Verdicts of all keys combined.
 */
function unprunedVerdict(history: readonly HistoryOp[]): boolean | 'unknown' {
  // Bounded by states, not time: a busy machine must not turn a verdict into 'unknown'.
  const budget = {deadline: Number.POSITIVE_INFINITY, maxStates: 1e6, maxMemoryBytes: 2 ** 28}
  const verdicts = [...new Set(history.map((op) => op.key))].map((key) => {
    const ops = history.map((op, index) => ({op, index})).filter((x) => x.op.key === key)
    return searchKey(compileKey(ops), budget, false).verdict
  })
  return verdicts.includes(false) ? false : verdicts.includes('unknown') ? 'unknown' : true
}

function assertCounterexample(history: HistoryOp[], cx: NonNullable<ReturnType<typeof checkHistory>['counterexample']>): void {
  const ofKey = history.filter((op) => op.key === cx.key)
  assert.equal(bruteForce(cutHistory(ofKey, cx.at)), false, `prefix up to ${cx.at} should fail:\n${dump(history)}`)
  const earlier = ofKey.filter((op) => op.ok !== 'unknown' && op.return! < cx.at).map((op) => op.return!)
  if (cx.minimal && earlier.length > 0) {
    const before = Math.max(...earlier)
    assert.equal(bruteForce(cutHistory(ofKey, before)), true, `prefix up to ${before} should pass:\n${dump(history)}`)
  }
  assert.equal(cx.culprit.return, cx.at)
  assert.deepEqual(history[cx.culprit.index], stripRef(cx.culprit))
}

function stripRef(ref: HistoryOp & {index: number; line?: number}): HistoryOp {
  const {index: _index, line: _line, ...op} = ref
  return op
}

function dump(history: readonly HistoryOp[]): string {
  return history.map((op) => JSON.stringify(op)).join('\n')
}

test('agrees with brute force on random noise histories', () => {
  fc.assert(
    fc.property(fc.array(noiseOp, {minLength: 0, maxLength: 7}), (history) => {
      assertAgrees(history)
    }),
    {numRuns: 3000},
  )
})

test('agrees with brute force on histories with many identical unknown writes', () => {
  fc.assert(
    fc.property(fc.array(unknownHeavyOp, {minLength: 1, maxLength: 7}), (history) => {
      assertAgrees(history)
    }),
    {numRuns: 3000},
  )
})

test('agrees with brute force on histories with many unknown cas ops', () => {
  fc.assert(
    fc.property(fc.array(casHeavyOp, {minLength: 1, maxLength: 7}), (history) => {
      assertAgrees(history)
    }),
    {numRuns: 3000},
  )
})

test('simulated registers are linearizable', () => {
  fc.assert(
    fc.property(fc.array(plannedOp, {minLength: 1, maxLength: 7}), (plan) => {
      const history = simulate(plan)
      assert.equal(checkHistory(history).valid, true, dump(history))
      assert.equal(bruteForce(history), true, dump(history))
    }),
    {numRuns: 2000},
  )
})

test('agrees with brute force on simulated registers with corruptions', (t) => {
  let failing = 0
  let passing = 0
  fc.assert(
    fc.property(fc.array(plannedOp, {minLength: 1, maxLength: 7}), fc.array(corruption, {minLength: 1, maxLength: 2}), (plan, corruptions) => {
      const history = corruptions.reduce(corrupt, simulate(plan))
      if (assertAgrees(history)) passing++
      else failing++
    }),
    {numRuns: 4000},
  )
  // Both verdicts must be well represented, or the property says little.
  assert.ok(failing > 400 && passing > 400, `failing ${failing}, passing ${passing}`)
  t.diagnostic(`corrupted simulated histories: ${failing} not linearizable, ${passing} linearizable`)
})

/**
 * Embed a small one-key history between a long sequential prefix (ending with the key
 * deleted) and a long sequential tail: the verdict must stay the small history's. Exercises
 * what small histories cannot: bitsets over many words, the cache's windowed entries, several
 * words of optional ops (unknown cas ops that can only fire on prefix values).
 */
function stretch(small: readonly HistoryOp[], pairs = 60): HistoryOp[] {
  const ops: HistoryOp[] = []
  let t = 0
  for (let i = 0; i < pairs; i++) {
    ops.push({client: 9, op: 'put', key: 'a', value: `p${i}`, ok: true, call: t, return: t + 1})
    ops.push({client: 9, op: 'get', key: 'a', output: `p${i}`, ok: true, call: t + 2, return: t + 3})
    // An unknown cas that can only fire while the value is p{i}: harmless, but it adds choices.
    if (i % 10 === 0) ops.push({client: 8, op: 'cas', key: 'a', expected: `p${i}`, value: `r${i}`, ok: 'unknown', call: t + 1})
    t += 4
  }
  ops.push({client: 9, op: 'delete', key: 'a', ok: true, call: t, return: t + 1})
  const offset = t + 10
  let end = offset
  for (const op of small) {
    const moved: HistoryOp = {...op, key: 'a', call: op.call + offset}
    if (op.return !== undefined) moved.return = op.return + offset
    end = Math.max(end, moved.return ?? moved.call)
    ops.push(moved)
  }
  for (let i = 0, u = end + 10; i < pairs; i++, u += 4) {
    ops.push({client: 9, op: 'put', key: 'a', value: `q${i}`, ok: true, call: u, return: u + 1})
    ops.push({client: 9, op: 'get', key: 'a', output: `q${i}`, ok: true, call: u + 2, return: u + 3})
  }
  return ops
}

test('a small history keeps its verdict inside a long one', () => {
  const small = fc.oneof(fc.array(noiseOp, {maxLength: 6}), fc.array(unknownHeavyOp, {maxLength: 6}), fc.array(casHeavyOp, {maxLength: 6}), fc.array(plannedOp, {minLength: 1, maxLength: 6}).map(simulate))
  fc.assert(
    fc.property(small, (history) => {
      const oneKey = history.map((op) => ({...op, key: 'a'}))
      const expected = bruteForce(oneKey)
      assert.equal(checkHistory(stretch(oneKey)).valid, expected, dump(oneKey))
      assert.equal(unprunedVerdict(stretch(oneKey)), expected, `unpruned: ${dump(oneKey)}`)
    }),
    {numRuns: 1000},
  )
})

test('one key checked alone gives the same verdict as inside a two-key history', () => {
  fc.assert(
    fc.property(fc.array(noiseOp, {maxLength: 7}), (history) => {
      const perKey = KEYS.map((key) => checkHistory(history.filter((op) => op.key === key)).valid)
      const combined = perKey.includes(false) ? false : true
      assert.equal(checkHistory(history).valid, combined)
    }),
    {numRuns: 1000},
  )
})
