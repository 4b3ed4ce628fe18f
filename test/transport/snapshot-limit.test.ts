/**
 * The transport's snapshot ceiling against the store it carries: a follower of a store of a
 * million 100-byte values must be able to catch up by snapshot. With the old 64 MiB ceiling the
 * leader dropped such a snapshot (about 128 MiB encoded) on every try and the follower never
 * caught up (bench:size, 1M keys). The encoded size is measured on 100,000 keys and scaled: the
 * encoding is linear in the key count.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {encodeCommand, KvStateMachine} from '../../src/kv/index.js'
import {DEFAULT_PEER_LIMITS} from '../../src/transport/limits.js'

test('a snapshot of 1M keys with 100-byte values fits the default maxSnapshotBytes; its window fits one peer queue', () => {
  const kv = new KvStateMachine()
  const value = 'v'.repeat(100)
  const sample = 100_000
  for (let i = 1; i <= sample; i++) kv.apply(i, encodeCommand({op: 'put', key: `key-${String(i).padStart(7, '0')}`, value}))
  const perKey = kv.snapshot().length / sample
  const million = perKey * 1_000_000
  assert.ok(million > 64 * 1024 * 1024, `the case the old ceiling failed: ${Math.round(million / 2 ** 20)} MiB`)
  assert.ok(million <= DEFAULT_PEER_LIMITS.maxSnapshotBytes, `${Math.round(million / 2 ** 20)} MiB over maxSnapshotBytes`)
  const {maxQueuedBytes, snapshotWindowBytes, maxPayload} = DEFAULT_PEER_LIMITS
  assert.ok(maxQueuedBytes >= snapshotWindowBytes + maxPayload, 'a snapshot\'s chunks in flight fit a peer queue beside other traffic')
})
