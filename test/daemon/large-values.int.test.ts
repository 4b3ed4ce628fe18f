/**
 * Large values (issue 23) on real daemons (127.0.0.1): 256 KiB values, some plain ASCII and some
 * full of multi-byte characters and JSON escapes, round-trip byte for byte through put, get
 * (leader and follower), watch, txn, and a follower's snapshot and restart. A put sent with
 * `echo: false` (what KvClient and the bench send for large values) is answered without its value.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {Connection} from '../../src/client/connection.js'
import {routeUrl, type KvWatchEvent} from '../../src/client/index.js'
import {TestCluster, distBuilt, sleep} from './harness.js'

const skip = distBuilt() ? false : 'dist/ is not built: run `npm run build` first (npm test does)'

const SIZE = 256 * 1024

/** `SIZE` UTF-16 units cycling through `alphabet`, starting at `seed`. */
function largeValue(alphabet: string, seed: number): string {
  const units: string[] = []
  for (let i = 0; units.length < SIZE; i++) units.push(alphabet[(i + seed) % alphabet.length]!)
  return units.join('')
}

const PLAIN = largeValue('abcdefghijklmnopqrstuvwxyz0123456789', 0)
// Multi-byte UTF-8 (2, 3 and 4 bytes, a surrogate pair counted as one letter below), and characters JSON escapes.
const MIXED = [...largeValue('aé€"\\\n\t\u0001z', 3)].map((c, i) => (i % 97 === 0 ? '😀' : c)).join('').slice(0, SIZE)

/** A follower's id (not the leader). */
function followerOf(c: TestCluster, leader: string): string {
  return c.specs.find((s) => s.id !== leader)!.id
}

test('256 KiB values round-trip byte for byte through put, get, watch, txn and a snapshot', {skip, timeout: 120_000}, async () => {
  const c = new TestCluster()
  try {
    await c.start(3)
    const {leader} = await c.waitForLeader()
    const kv = c.kv()
    const watcher = kv.watch({prefix: 'big/'}, {fromIndex: 1})
    const seen: KvWatchEvent[] = []
    const reading = (async () => {
      for await (const e of watcher) {
        seen.push(e)
        if (seen.length === 4) break
      }
    })()

    assert.deepEqual(await kv.put('big/plain', PLAIN), {value: PLAIN})
    assert.deepEqual(await kv.put('big/mixed', MIXED), {value: MIXED})
    const swapped = await kv.txn({compare: [{key: 'big/plain', value: PLAIN}], success: [{op: 'put', key: 'big/txn', value: MIXED}, {op: 'put', key: 'big/plain', value: MIXED}], failure: []})
    assert.equal(swapped.succeeded, true, 'the compare of a 256 KiB value held')

    // Answered without the value when the request says echo: false; with it otherwise.
    const connection = await Connection.open({url: routeUrl(c.spec(leader).address, 'client'), secret: c.secret})
    try {
      assert.deepEqual(await connection.request('put', {key: 'big/raw', value: PLAIN, echo: false}), {})
      assert.deepEqual(await connection.request('put', {key: 'big/echo', value: MIXED}), {value: MIXED})
    } finally {
      await connection.close()
    }

    const follower = followerOf(c, leader)
    for (const [key, value] of [['big/plain', MIXED], ['big/mixed', MIXED], ['big/txn', MIXED], ['big/raw', PLAIN], ['big/echo', MIXED]] as const) {
      assert.equal((await kv.get(key)).value === value, true, `${key} on the leader`)
      const local = await waitForValue(c, follower, key, value)
      assert.equal(local, true, `${key} on follower ${follower}`)
    }

    await reading
    const changes = seen.map((e) => [e.key, e.value] as const)
    assert.deepEqual(changes.map(([k]) => k), ['big/plain', 'big/mixed', 'big/txn', 'big/plain'])
    assert.ok(changes.every(([k, v], i) => v === (i === 0 ? PLAIN : MIXED)), `the watch delivered each value exactly (${k(changes)})`)

    // The follower snapshots its state, restarts from the snapshot, and still has every value exactly.
    await c.admin(follower).snapshot()
    await c.terminate(follower)
    await c.launch(follower)
    for (const [key, value] of [['big/plain', MIXED], ['big/raw', PLAIN], ['big/echo', MIXED]] as const) {
      assert.equal(await waitForValue(c, follower, key, value), true, `${key} on ${follower} after its restart`)
    }
  } finally {
    await c.shutdown()
  }
})

/** Keys and value lengths, for a failure message. */
function k(changes: readonly (readonly [string, string | null | undefined])[]): string {
  return changes.map(([key, value]) => `${key}:${value?.length}`).join(' ')
}

/** Whether `node` serves `value` for `key` from its own state (serializable get), waiting for it to catch up. */
async function waitForValue(c: TestCluster, node: string, key: string, value: string): Promise<boolean> {
  const kv = c.kv([node])
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      if ((await kv.get(key, {serializable: true})).value === value) return true
    } catch {
      // restarting
    }
    await sleep(100)
  }
  return false
}
