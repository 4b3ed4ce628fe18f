/**
 * The store's off-heap value tables (value-arena.ts, key-records.ts): every value reads back as
 * written through any sequence of adds, replaces and removes, whatever its size and characters;
 * freed slots and records are reused, so overwriting keys does not grow the memory held.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import fc from 'fast-check'
import {utf8Length} from '../../src/kv/bytes.js'
import {KeyRecords} from '../../src/kv/key-records.js'
import {ARENA_CHUNK_BYTES, ARENA_MAX_VALUE_BYTES, ARENA_SIZE_CLASSES, ValueArena} from '../../src/kv/value-arena.js'

/** Strings of every size class and over the arena's limit, ASCII and not (2-, 3- and 4-byte UTF-8). */
const value = fc.oneof(
  fc.string({maxLength: 40}),
  fc.string({unit: 'grapheme', maxLength: 300}),
  fc.integer({min: 0, max: ARENA_MAX_VALUE_BYTES + 200}).map((n) => 'x'.repeat(n)),
  fc.integer({min: 0, max: 400}).map((n) => 'é'.repeat(n)),
  fc.constantFrom('', '😀'.repeat(256), 'a'.repeat(ARENA_MAX_VALUE_BYTES), 'a'.repeat(ARENA_MAX_VALUE_BYTES + 1)),
)

type Step = {op: 'add'; value: string; modIndex: number} | {op: 'replace' | 'remove'; pick: number; value: string; modIndex: number}
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({op: fc.constant('add' as const), value, modIndex: fc.nat()}),
  fc.record({op: fc.constantFrom('replace' as const, 'remove' as const), pick: fc.nat(), value, modIndex: fc.maxSafeNat()}),
)

describe('KeyRecords and ValueArena', () => {
  it('every live record reads back the value, byte length and modIndex last written, through adds, replaces and removes', () => {
    fc.assert(fc.property(fc.array(step, {maxLength: 200}), (steps) => {
      const records = new KeyRecords()
      const model = new Map<number, {value: string; modIndex: number}>()
      for (const s of steps) {
        const live = [...model.keys()]
        if (s.op === 'add') {
          const record = records.add(s.value, utf8Length(s.value), s.modIndex)
          assert.ok(!model.has(record), `record ${record} handed out while live`)
          model.set(record, {value: s.value, modIndex: s.modIndex})
        } else if (live.length > 0) {
          const record = live[s.pick % live.length]!
          if (s.op === 'remove') {
            records.remove(record)
            model.delete(record)
          } else {
            records.replace(record, s.value, utf8Length(s.value), s.modIndex)
            model.set(record, {value: s.value, modIndex: s.modIndex})
          }
        }
        for (const [record, want] of model) {
          assert.equal(records.value(record), want.value)
          assert.equal(records.valueBytes(record), utf8Length(want.value))
          assert.equal(records.modIndex(record), want.modIndex)
        }
      }
    }), {numRuns: 300})
  })

  it('overwriting 10,000 keys 20 times over holds no more memory than writing them once (freed slots are reused)', () => {
    const records = new KeyRecords()
    const ids = Array.from({length: 10_000}, (_, i) => records.add(`value-${i}`.padEnd(100, '.'), 100, i))
    const once = records.externalBytes
    for (let round = 1; round <= 20; round++) {
      for (let i = 0; i < ids.length; i++) {
        const text = `round-${round}-${i}`.padEnd(90 + (i % 20), '.') // 90..109 bytes: two size classes
        records.replace(ids[i]!, text, text.length, round)
      }
    }
    assert.ok(records.externalBytes <= once + 2 * ARENA_CHUNK_BYTES, `held ${records.externalBytes} bytes after overwrites, ${once} after the first write`)
    for (let i = 0; i < ids.length; i++) assert.equal(records.value(ids[i]!), `round-20-${i}`.padEnd(90 + (i % 20), '.'))
  })

  it('a small store holds a few KiB, not a megabyte per size class', () => {
    const arena = new ValueArena()
    for (const bytes of ARENA_SIZE_CLASSES) arena.put('v'.repeat(bytes), bytes)
    assert.ok(arena.allocatedBytes <= ARENA_SIZE_CLASSES.length * 4096, `${arena.allocatedBytes} bytes for ${ARENA_SIZE_CLASSES.length} values`)
  })

  it('removed records and their slots are handed out again', () => {
    const records = new KeyRecords()
    const a = records.add('a'.repeat(50), 50, 1)
    records.add('b'.repeat(50), 50, 2)
    const bytes = records.externalBytes
    records.remove(a)
    const c = records.add('c'.repeat(50), 50, 3)
    assert.equal(c, a, 'the freed record number is reused')
    assert.equal(records.externalBytes, bytes)
    assert.equal(records.value(c), 'c'.repeat(50))
  })
})
