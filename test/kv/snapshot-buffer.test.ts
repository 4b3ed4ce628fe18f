/**
 * The buffer a KV capture encodes into (src/kv/snapshot.ts snapshotBuffer): a SharedArrayBuffer,
 * which V8 does not count as external memory, while at most UNCOUNTED_SNAPSHOT_BUFFERS
 * snapshots' worth of them are uncollected; past that an ordinary ArrayBuffer, so that V8's
 * accounting, and the collection it triggers, still frees old snapshots. A file of its own: the
 * count is per process.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {KvStateMachine} from '../../src/kv/index.js'
import {UNCOUNTED_SNAPSHOT_BUFFERS} from '../../src/kv/snapshot.js'
import {run} from './arbitraries.js'

/** Every piece of a capture of `sm`, kept (so the buffer stays reachable). */
function captured(sm: KvStateMachine): Uint8Array[] {
  const parts: Uint8Array[] = []
  const pieces = sm.capture()
  for (let r = pieces.next(); !r.done; r = pieces.next()) parts.push(r.value)
  return parts
}

describe('snapshot buffers', () => {
  it('are shared (uncounted) until UNCOUNTED_SNAPSHOT_BUFFERS of them are reachable, then ordinary; the bytes are the same either way', () => {
    const sm = new KvStateMachine()
    for (let i = 0; i < 2000; i++) run(sm, i + 1, {op: 'put', key: `key-${i}`, value: 'v'.repeat(100)})
    const expected = sm.snapshot()
    const kept: Uint8Array[][] = []
    for (let k = 0; k <= UNCOUNTED_SNAPSHOT_BUFFERS; k++) kept.push(captured(sm))
    const kinds = kept.map((parts) => (parts[0]!.buffer instanceof SharedArrayBuffer ? 'shared' : 'ordinary'))
    assert.deepEqual(kinds, [...Array.from({length: UNCOUNTED_SNAPSHOT_BUFFERS}, () => 'shared'), 'ordinary'])
    for (const parts of kept) assert.deepEqual(Buffer.concat(parts), Buffer.from(expected))
  })
})
