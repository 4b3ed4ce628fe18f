/**
 * Tests of snapshot / restore and determinism: a restored machine has identical state and
 * gives identical results afterwards; corrupt or malformed snapshots (including crafted ones
 * with a valid checksum) are rejected and leave the state unchanged; machines fed the same
 * random command stream produce byte-identical snapshots.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import fc from 'fast-check'
import {KV_SNAPSHOT_MAGIC, KV_SNAPSHOT_VERSION, KvError, KvStateMachine, crc32, encodeCommand, encodeResult, type KvCommand} from '../../src/kv/index.js'
import {feed, run, streamCommand} from './arbitraries.js'

function isCorrupt(error: unknown): boolean {
  return error instanceof KvError && error.code === 'CORRUPT'
}

function populated(): KvStateMachine {
  const sm = new KvStateMachine({maxSessions: 3})
  feed(sm, [
    {op: 'put', key: 'a', value: '1'},
    {op: 'put', key: 'ключ', value: 'значение 😀', session: {clientId: 'c1', seq: 1}},
    {op: 'append', key: 'a', value: '2', session: {clientId: 'c2', seq: 1}},
    {op: 'delete', key: 'zz', session: {clientId: 'c3', seq: 4}},
    {op: 'cas', key: 'b', expected: null, value: '', session: {clientId: 'c3', seq: 1}},
    {op: 'put', key: 'c', value: 'x'},
    {op: 'delete', key: 'c'},
  ])
  return sm
}

/** Little builder of snapshot bytes, to craft malformed snapshots with a valid checksum. */
class SnapshotBuilder {
  private readonly parts: number[] = []
  u8(v: number) {
    this.parts.push(v & 0xff)
    return this
  }
  u16(v: number) {
    return this.u8(v >> 8).u8(v)
  }
  u32(v: number) {
    return this.u8(v >>> 24).u8(v >>> 16).u8(v >>> 8).u8(v)
  }
  u53(v: number) {
    return this.u32(Math.floor(v / 2 ** 32)).u32(v % 2 ** 32)
  }
  bytes(b: Uint8Array) {
    this.parts.push(...b)
    return this
  }
  str(s: string) {
    const b = new TextEncoder().encode(s)
    return this.u32(b.length).bytes(b)
  }
  /** The header of a version-1 snapshot (keys without modIndex), or of `version`. */
  header(appliedIndex: number, version = 1) {
    return this.bytes(KV_SNAPSHOT_MAGIC).u16(version).u53(appliedIndex)
  }
  build(): Uint8Array {
    const body = Uint8Array.from(this.parts)
    return Uint8Array.from([...body, ...new SnapshotBuilder().u32(crc32(body)).parts])
  }
}

const okResult = encodeResult({ok: true, op: 'put', value: 'v'})

describe('snapshot and restore', () => {
  it('restore gives identical state, metrics and snapshot bytes', () => {
    const sm = populated()
    const snapshot = sm.snapshot()
    const copy = new KvStateMachine({maxSessions: 3})
    copy.restore(snapshot)
    assert.deepEqual(copy.snapshot(), snapshot)
    assert.equal(copy.appliedIndex, sm.appliedIndex)
    assert.equal(copy.size, sm.size)
    assert.equal(copy.sessionCount, sm.sessionCount)
    assert.equal(copy.dataBytes, sm.dataBytes)
    assert.equal(copy.approximateBytes, sm.approximateBytes)
    for (const key of ['a', 'b', 'c', 'ключ']) assert.equal(copy.read(key), sm.read(key))
  })

  it('an empty machine round-trips', () => {
    const copy = new KvStateMachine()
    copy.restore(new KvStateMachine().snapshot())
    assert.equal(copy.appliedIndex, 0)
    assert.equal(copy.size, 0)
  })

  it('restore replaces all previous state', () => {
    const target = new KvStateMachine()
    feed(target, [
      {op: 'put', key: 'old', value: 'x'},
      {op: 'put', key: 'a', value: 'y', session: {clientId: 'c9', seq: 1}},
    ])
    target.restore(new KvStateMachine().snapshot())
    assert.equal(target.read('old'), null)
    assert.equal(target.sessionCount, 0)
    assert.equal(target.appliedIndex, 0)
  })

  it('subsequent results are identical, including deduplicated retries and eviction (property)', () => {
    fc.assert(
      fc.property(fc.array(streamCommand, {maxLength: 40}), fc.array(streamCommand, {maxLength: 40}), (before, after) => {
        const original = new KvStateMachine({maxSessions: 2})
        feed(original, before)
        const copy = new KvStateMachine({maxSessions: 2})
        copy.restore(original.snapshot())
        assert.deepEqual(feed(copy, after), feed(original, after))
        assert.deepEqual(copy.snapshot(), original.snapshot())
      }),
      {numRuns: 200},
    )
  })

  it('a snapshot with more sessions than maxSessions is trimmed, oldest first', () => {
    const sm = populated() // 3 sessions: c1 (index 2), c2 (3), c3 (5)
    const small = new KvStateMachine({maxSessions: 1})
    small.restore(sm.snapshot())
    assert.equal(small.sessionCount, 1)
    assert.equal(run(small, 8, {op: 'put', key: 'q', value: 'v', session: {clientId: 'c2', seq: 2}}).ok, false)
    assert.deepEqual(run(small, 9, {op: 'cas', key: 'b', expected: null, value: '', session: {clientId: 'c3', seq: 1}}), {
      ok: true,
      op: 'cas',
      swapped: true,
      value: '',
    })
  })
})

describe('corrupt snapshots', () => {
  const good = populated().snapshot()

  it('every single-byte change is rejected with CORRUPT', () => {
    for (let i = 0; i < good.length; i++) {
      const bad = good.slice()
      bad[i] = bad[i]! ^ 0x5a
      assert.throws(() => new KvStateMachine().restore(bad), isCorrupt, `byte ${i}`)
    }
  })

  it('every truncation and any extra byte is rejected', () => {
    for (let n = 0; n < good.length; n++) assert.throws(() => new KvStateMachine().restore(good.subarray(0, n)), isCorrupt)
    assert.throws(() => new KvStateMachine().restore(Uint8Array.of(...good, 0)), isCorrupt)
  })

  it('random bytes are rejected with CORRUPT, never another error (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({maxLength: 100}), (bytes) => {
        assert.throws(() => new KvStateMachine().restore(bytes), isCorrupt)
      }),
    )
  })

  it('a failed restore leaves the state unchanged', () => {
    const sm = populated()
    const before = sm.snapshot()
    assert.throws(() => sm.restore(good.subarray(0, 30)), isCorrupt)
    assert.deepEqual(sm.snapshot(), before)
  })

  it('a well-formed empty snapshot built by hand is accepted (the builder is right)', () => {
    const sm = new KvStateMachine()
    sm.restore(new SnapshotBuilder().header(7).u32(1).str('k').str('v').u32(1).str('c').u53(3).u53(7).u32(okResult.length).bytes(okResult).build())
    assert.equal(sm.read('k'), 'v')
    assert.equal(sm.appliedIndex, 7)
    assert.equal(sm.sessionCount, 1)
  })

  it('keeps every key\'s modIndex through snapshot and restore', () => {
    const sm = populated()
    const all = {range: {prefix: ''}, limit: 100, keysOnly: false, countOnly: false, maxBytes: 1 << 20}
    const restored = new KvStateMachine({maxSessions: 3})
    restored.restore(sm.snapshot())
    assert.deepEqual(restored.range(all), sm.range(all))
    assert.deepEqual(sm.range(all).kvs.map((e) => [e.key, e.modIndex]), [['a', 3], ['b', 5], ['ключ', 2]])
  })

  it('reads a version-1 snapshot (written before keys had a modIndex): its keys get modIndex 0', () => {
    const sm = new KvStateMachine()
    sm.restore(new SnapshotBuilder().header(7).u32(2).str('k').str('v').str('j').str('w').u32(0).build())
    assert.equal(sm.read('k'), 'v')
    assert.equal(sm.modIndex('k'), 0)
    assert.equal(sm.modIndex('j'), 0)
    sm.apply(8, encodeCommand({op: 'put', key: 'k', value: 'v2'}))
    assert.equal(sm.modIndex('k'), 8)
    assert.equal(new DataView(sm.snapshot().buffer).getUint16(4), KV_SNAPSHOT_VERSION, 'the next snapshot is written in the current version')
  })

  it('a hand-built version-2 snapshot is read with each key\'s modIndex', () => {
    const sm = new KvStateMachine()
    sm.restore(new SnapshotBuilder().header(9, 2).u32(2).str('k').str('v').u53(3).str('j').str('w').u53(9).u32(0).build())
    assert.equal(sm.modIndex('k'), 3)
    assert.equal(sm.modIndex('j'), 9)
    assert.equal(sm.appliedIndex, 9)
  })

  const crafted: [string, (b: SnapshotBuilder) => SnapshotBuilder][] = [
    ['an unknown version', (b) => b.bytes(KV_SNAPSHOT_MAGIC).u16(3).u53(1).u32(0).u32(0)],
    ['version 2: a modIndex after the applied index', (b) => b.header(4, 2).u32(1).str('k').str('v').u53(5).u32(0)],
    ['version 2: a key without its modIndex', (b) => b.header(4, 2).u32(1).str('k').str('v').u32(0)],
    ['a duplicate key', (b) => b.header(1).u32(2).str('k').str('v').str('k').str('w').u32(0)],
    ['an empty key', (b) => b.header(1).u32(1).str('').str('v').u32(0)],
    ['invalid UTF-8 in a value', (b) => b.header(1).u32(1).str('k').u32(1).u8(0xff).u32(0)],
    ['a key count beyond the data', (b) => b.header(1).u32(5).str('k').str('v').u32(0)],
    ['an applied index beyond 2^53', (b) => b.bytes(KV_SNAPSHOT_MAGIC).u16(1).u32(0x200000).u32(0).u32(0).u32(0)],
    ['a duplicate session', (b) => b.header(9).u32(0).u32(2).str('c').u53(1).u53(2).u32(okResult.length).bytes(okResult).str('c').u53(1).u53(3).u32(okResult.length).bytes(okResult)],
    ['sessions out of last-use order', (b) => b.header(9).u32(0).u32(2).str('a').u53(1).u53(3).u32(okResult.length).bytes(okResult).str('b').u53(1).u53(3).u32(okResult.length).bytes(okResult)],
    ['a session used after the applied index', (b) => b.header(2).u32(0).u32(1).str('c').u53(1).u53(3).u32(okResult.length).bytes(okResult)],
    ['a session with lastIndex 0', (b) => b.header(2).u32(0).u32(1).str('c').u53(1).u53(0).u32(okResult.length).bytes(okResult)],
    ['a session with seq 0', (b) => b.header(2).u32(0).u32(1).str('c').u53(0).u53(1).u32(okResult.length).bytes(okResult)],
    ['a session with an empty client id', (b) => b.header(2).u32(0).u32(1).str('').u53(1).u53(1).u32(okResult.length).bytes(okResult)],
    ['a session with a malformed cached result', (b) => b.header(2).u32(0).u32(1).str('c').u53(1).u53(1).u32(2).u8(1).u8(9)],
    ['an empty cached result', (b) => b.header(2).u32(0).u32(1).str('c').u53(1).u53(1).u32(0)],
    ['trailing bytes before the checksum', (b) => b.header(1).u32(0).u32(0).u8(0)],
  ]
  it('names the offending key\'s number in the message', () => {
    const duplicate = new SnapshotBuilder().header(1).u32(3).str('k').str('v').str('j').str('w').str('k').str('x').u32(0).build()
    assert.throws(() => new KvStateMachine().restore(duplicate), (e: unknown) => isCorrupt(e) && /^key #2: duplicate key/.test((e as Error).message))
    const truncatedValue = new SnapshotBuilder().header(1).u32(2).str('k').str('v').str('j').u32(99).str('w').u32(0).build()
    assert.throws(() => new KvStateMachine().restore(truncatedValue), (e: unknown) => isCorrupt(e) && /^key #1: /.test((e as Error).message))
  })

  for (const [name, build] of crafted) {
    it(`rejects ${name} (valid checksum)`, () => {
      assert.throws(() => new KvStateMachine().restore(build(new SnapshotBuilder()).build()), isCorrupt)
    })
  }
})

describe('determinism', () => {
  it('a restored machine counts the same data bytes as the one that took the snapshot, multi-byte text included (property)', () => {
    fc.assert(
      fc.property(fc.array(streamCommand, {maxLength: 60}), (commands) => {
        const sm = new KvStateMachine({maxSessions: 2})
        feed(sm, commands)
        const restored = new KvStateMachine({maxSessions: 2})
        restored.restore(sm.snapshot())
        assert.equal(restored.dataBytes, sm.dataBytes)
      }),
      {numRuns: 200},
    )
  })

  it('two machines fed the same random stream produce byte-identical snapshots and results (property)', () => {
    fc.assert(
      fc.property(fc.array(streamCommand, {maxLength: 80}), fc.integer({min: 1, max: 4}), (commands, maxSessions) => {
        const a = new KvStateMachine({maxSessions})
        const b = new KvStateMachine({maxSessions})
        assert.deepEqual(feed(a, commands), feed(b, commands))
        assert.deepEqual(a.snapshot(), b.snapshot())
      }),
      {numRuns: 300},
    )
  })

  it('a machine restored midway from a snapshot ends byte-identical to one that replayed everything', () => {
    fc.assert(
      fc.property(fc.array(streamCommand, {maxLength: 80}), fc.nat(), (commands, cut) => {
        const split = commands.length === 0 ? 0 : cut % commands.length
        const replayed = new KvStateMachine({maxSessions: 2})
        feed(replayed, commands)
        const leader = new KvStateMachine({maxSessions: 2})
        feed(leader, commands.slice(0, split))
        const follower = new KvStateMachine({maxSessions: 2})
        follower.restore(leader.snapshot())
        feed(follower, commands.slice(split))
        assert.deepEqual(follower.snapshot(), replayed.snapshot())
      }),
      {numRuns: 200},
    )
  })

  it('no-op entries and gaps in indexes do not change the data', () => {
    const commands: KvCommand[] = [
      {op: 'put', key: 'a', value: '1', session: {clientId: 'c', seq: 1}},
      {op: 'append', key: 'a', value: '2', session: {clientId: 'c', seq: 2}},
    ]
    const plain = new KvStateMachine()
    feed(plain, commands)
    const noisy = new KvStateMachine()
    noisy.apply(1, new Uint8Array(0))
    run(noisy, 2, commands[0]!)
    noisy.apply(3, new Uint8Array(0))
    run(noisy, 4, commands[1]!)
    assert.equal(noisy.read('a'), plain.read('a'))
    assert.equal(noisy.appliedIndex, 4)
  })
})
