/**
 * A snapshot restored from pieces (KvStateMachine.beginStreamRestore, for a snapshot the node
 * reads from a file): for any state and any way of cutting the bytes into reads, the result is
 * the state `restore` gives; a value larger than a read grows the buffer; a corrupt or truncated
 * snapshot throws CORRUPT before anything is committed; and SnapshotChecksum (the receiver's
 * streaming check) agrees with the decoder's checksum for every cut.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import fc from 'fast-check'
import {KvError, KvStateMachine, SnapshotChecksum, encodeCommand} from '../../src/kv/index.js'
import {SnapshotStreamDecoder} from '../../src/kv/snapshot.js'
import {feed, streamCommand} from './arbitraries.js'

/** Restore `bytes` into a fresh machine through the stream job, each read at most `cut` bytes (and at most the space offered). */
function streamRestore(bytes: Uint8Array, cut: number): KvStateMachine {
  const sm = new KvStateMachine()
  const job = sm.beginStreamRestore(bytes.length)
  let at = 0
  for (let guard = 0; !job.done; guard++) {
    assert.ok(guard < 1_000_000, 'the decode makes progress')
    const space = job.space()
    if (space !== null && (job.step() || at < bytes.length)) {
      const n = Math.min(space.length, cut, bytes.length - at)
      space.set(bytes.subarray(at, at + n))
      job.received(n)
      at += n
    }
    while (!job.step());
  }
  job.commit()
  return sm
}

function machineWith(keys: number, valueBytes: number): KvStateMachine {
  const sm = new KvStateMachine()
  for (let i = 1; i <= keys; i++) sm.apply(i, encodeCommand({op: 'put', key: `key-${i}`, value: 'v'.repeat(valueBytes)}))
  return sm
}

const isCorrupt = (error: unknown): boolean => error instanceof KvError && error.code === 'CORRUPT'

describe('KvStateMachine.beginStreamRestore', () => {
  it('gives the state restore gives, for any state and any cut of the bytes', () => {
    fc.assert(fc.property(fc.array(streamCommand, {maxLength: 60}), fc.integer({min: 1, max: 300}), (commands, cut) => {
      const source = new KvStateMachine()
      feed(source, commands)
      const bytes = source.snapshot()
      assert.deepStrictEqual(streamRestore(bytes, cut).snapshot(), bytes)
    }), {numRuns: 200})
  })

  it('reads in pieces of about a MiB, growing only for an entry larger than that', () => {
    const bytes = machineWith(3, 3 * 1024 * 1024).snapshot()
    assert.deepStrictEqual(streamRestore(bytes, Infinity).snapshot(), bytes)
    const many = machineWith(20_000, 100).snapshot()
    assert.deepStrictEqual(streamRestore(many, 4096).snapshot(), many)
  })

  it('a corrupt byte anywhere, or a truncated snapshot, throws CORRUPT and leaves the machine unchanged', () => {
    const bytes = machineWith(500, 20).snapshot()
    for (const at of [0, 5, 20, bytes.length >> 1, bytes.length - 10, bytes.length - 1]) {
      const bad = bytes.slice()
      bad[at]! ^= 0x10
      assert.throws(() => streamRestore(bad, 777), isCorrupt, `byte ${at}`)
    }
    assert.throws(() => streamRestore(bytes.subarray(0, bytes.length - 9), 777), isCorrupt)
    const target = machineWith(2, 1)
    const job = target.beginStreamRestore(bytes.length)
    const before = target.snapshot()
    const half = bytes.length >> 1
    job.space()!.set(bytes.subarray(0, half))
    job.received(half)
    while (!job.step());
    assert.equal(job.done, false)
    assert.deepStrictEqual(target.snapshot(), before, 'nothing switched before the end')
    assert.throws(() => new SnapshotStreamDecoder(10, {} as never), isCorrupt)
  })

  it('SnapshotChecksum passes a sound snapshot and refuses a flipped or missing byte, however it is cut', () => {
    const bytes = machineWith(300, 30).snapshot()
    const check = (data: Uint8Array, cut: number, length = data.length): string | null => {
      const sum = new SnapshotChecksum(length)
      for (let at = 0; at < data.length; at += cut) sum.update(data.subarray(at, at + cut))
      return sum.verify()
    }
    for (const cut of [1, 3, 1000, bytes.length]) {
      assert.equal(check(bytes, cut), null)
      const bad = bytes.slice()
      bad[bytes.length - 2]! ^= 1
      assert.match(check(bad, cut) ?? '', /checksum mismatch/)
      assert.match(check(bytes.subarray(0, bytes.length - 1), cut, bytes.length) ?? '', /of its/)
    }
  })
})
