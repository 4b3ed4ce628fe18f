/**
 * The search's memo of configurations, on its own: with every hash equal (all entries collide),
 * `StateCache.add` must still say "new" exactly when the (set, value) pair is new. This checks
 * the compact windowed encoding that hash collisions in large searches rely on.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import {LinearizedSet, StateCache, type SetMember} from '../../src/verify/linearize.js'

/** A configuration: which required and optional ops are in the set, and the register value. */
interface Config {
  required: number[]
  optional: number[]
  state: number
}

const shape = fc.record({required: fc.integer({min: 0, max: 130}), optional: fc.integer({min: 0, max: 70})})

/** Configurations over a shape, biased toward long linearized prefixes (as in real searches). */
function configs(required: number, optional: number): fc.Arbitrary<Config[]> {
  const prefix = fc.integer({min: 0, max: required})
  const bits = (n: number): fc.Arbitrary<number[]> => (n === 0 ? fc.constant<number[]>([]) : fc.uniqueArray(fc.integer({min: 0, max: n - 1}), {maxLength: 12}))
  const config = fc.record({prefix, window: bits(required), optional: bits(optional), state: fc.integer({min: 0, max: 3})}).map((c) => ({
    required: [...new Set([...Array.from({length: c.prefix}, (_, i) => i), ...c.window])],
    optional: c.optional,
    state: c.state,
  }))
  return fc.array(config, {maxLength: 40})
}

/** Build the set by setting bits one by one (in a shuffled order), as a search would. */
function build(config: Config, required: number, optional: number, set = new LinearizedSet(required, optional)): LinearizedSet {
  const members: SetMember[] = [...config.required.map((bit) => ({required: true, bit})), ...config.optional.map((bit) => ({required: false, bit}))]
  members.sort((a, b) => ((a.bit * 7919 + (a.required ? 1 : 0)) % 13) - ((b.bit * 7919 + (b.required ? 1 : 0)) % 13))
  for (const m of members) set.toggle(m)
  return set
}

function keyOf(c: Config): string {
  return `${[...c.required].sort((a, b) => a - b)}|${[...c.optional].sort((a, b) => a - b)}|${c.state}`
}

test('with colliding hashes, add() reports new exactly for new configurations', () => {
  fc.assert(
    fc.property(
      shape.chain((s) => fc.tuple(fc.constant(s), configs(s.required, s.optional))),
      ([{required, optional}, list]) => {
        // One live set (as in the search) whose contents are replaced for each configuration.
        const live = new LinearizedSet(required, optional)
        const cache = new StateCache(live)
        const seen = new Set<string>()
        for (const config of list) {
          const fresh = build(config, required, optional)
          live.required.set(fresh.required)
          live.optional.set(fresh.optional)
          live.low = fresh.low
          live.high = fresh.high
          const key = keyOf(config)
          assert.equal(cache.add(0, config.state), !seen.has(key), key)
          seen.add(key)
        }
        assert.equal(cache.size, seen.size)
      },
    ),
    {numRuns: 1000},
  )
})

test('low and high track the first non-full and last non-empty words', () => {
  const set = new LinearizedSet(70, 0)
  assert.deepEqual([set.low, set.high], [0, -1])
  for (let bit = 0; bit < 32; bit++) set.toggle({required: true, bit})
  assert.deepEqual([set.low, set.high], [1, 0])
  set.toggle({required: true, bit: 65})
  assert.deepEqual([set.low, set.high], [1, 2])
  for (let bit = 32; bit < 64; bit++) set.toggle({required: true, bit})
  assert.deepEqual([set.low, set.high], [2, 2])
  for (let bit = 64; bit < 70; bit++) if (bit !== 65) set.toggle({required: true, bit})
  assert.deepEqual([set.low, set.high], [3, 2], 'a full partial last word counts as full')
})
