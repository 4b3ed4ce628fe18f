/**
 * Range reads and deletePrefix on real daemons (127.0.0.1): a range over more than
 * MAX_RANGE_RESPONSE_BYTES of data is cut by the byte budget (`more: true`) and can be paged
 * through to the end; every replica, including one that caught up through a snapshot and one
 * restarted from its own snapshot, holds the same keys with the same modIndex; a deletePrefix
 * retried with the same session applies once.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {MAX_RANGE_RESPONSE_BYTES, type RangeResult} from '../../src/admin/protocol.js'
import type {KvClient} from '../../src/client/index.js'
import {TestCluster, distBuilt, sleep} from './harness.js'

const skip = distBuilt() ? false : 'dist/ is not built: run `npm run build` first (npm test does)'

test('a range over more than the byte budget answers more: true, and paging from the last key reads every key once, in order', {skip}, async () => {
  const c = new TestCluster()
  try {
    await c.start(3)
    await c.waitForLeader()
    const kv = c.kv()
    const value = 'v'.repeat(60 * 1024)
    const keys = Array.from({length: 20}, (_, i) => `big/${String(i).padStart(2, '0')}`)
    for (const key of keys) await kv.put(key, value)
    const first = await kv.range({prefix: 'big/'})
    assert.equal(first.count, 20)
    assert.equal(first.more, true, 'the byte budget cut the list')
    assert.ok(first.kvs.length > 1 && first.kvs.length < 20, `listed ${first.kvs.length}`)
    assert.ok(JSON.stringify(first.kvs).length <= MAX_RANGE_RESPONSE_BYTES)
    const seen: string[] = []
    let page: RangeResult = first
    for (let i = 0; i < 20; i++) {
      seen.push(...page.kvs.map((e) => e.key))
      if (!page.more) break
      page = await kv.range({from: `${seen.at(-1)!}\u0000`, to: 'big0'})
    }
    assert.deepEqual(seen, keys)
  } finally {
    await c.shutdown()
  }
})

/** A serializable range of every key on `id` once it has applied `index`. */
async function allKeysOn(c: TestCluster, id: string, index: number): Promise<RangeResult['kvs']> {
  const kv: KvClient = c.kv([id])
  const end = Date.now() + 15_000
  for (;;) {
    const r = await kv.range({prefix: ''}, {serializable: true}).catch(() => null)
    if (r !== null && r.index >= index) return r.kvs
    if (Date.now() > end) throw new Error(`${id} did not apply index ${index} in time`)
    await sleep(100)
  }
}

test('every replica holds the same modIndex per key, through a snapshot install and a restart from a snapshot', {skip}, async () => {
  const c = new TestCluster(['--snapshot-every', '50', '--compaction-lag', '10'])
  try {
    await c.start(3)
    const {leader} = await c.waitForLeader()
    const follower = ['n1', 'n2', 'n3'].find((id) => id !== leader)!
    const kv = c.kv()
    for (let i = 0; i < 10; i++) await kv.put(`k${i}`, `a${i}`)
    await c.kill(follower)
    for (let i = 0; i < 150; i++) await kv.put(`k${i % 30}`, `b${i}`)
    await kv.deletePrefix('k2')
    const reference = await kv.range({prefix: ''})
    assert.ok(reference.kvs.every((e) => e.modIndex > 0 && e.modIndex <= reference.index))
    assert.ok((await c.status(leader))!.snapshotIndex > 0, 'the leader compacted its log')
    await c.launch(follower)
    for (const id of ['n1', 'n2', 'n3']) assert.deepEqual(await allKeysOn(c, id, reference.index), reference.kvs, `keys and modIndexes on ${id}`)
    assert.ok((await c.status(follower))!.snapshotIndex > 0, `${follower} caught up through a snapshot`)
    await c.kill(leader)
    await c.launch(leader)
    assert.deepEqual(await allKeysOn(c, leader, reference.index), reference.kvs, `keys and modIndexes on ${leader} after a restart`)
  } finally {
    await c.shutdown()
  }
})

test('a deletePrefix retried with the same session applies once', {skip}, async () => {
  const c = new TestCluster()
  try {
    await c.start(3)
    const {leader} = await c.waitForLeader()
    const kv = c.kv()
    await kv.put('p/1', 'x')
    await kv.put('p/2', 'y')
    const {WebSocket} = await import('ws')
    const ws = new WebSocket(`${c.spec(leader).address}/client`, {headers: {authorization: `Bearer ${c.secret}`}, perMessageDeflate: false})
    ws.on('error', () => {})
    await new Promise((r) => ws.once('open', r))
    const answers: unknown[] = []
    ws.on('message', (d) => answers.push(JSON.parse(d.toString())))
    const send = (id: number): void => ws.send(JSON.stringify({v: 1, id, type: 'deletePrefix', prefix: 'p/', session: {clientId: 'retry-prefix', seq: 1}}))
    send(1)
    send(2) // the same write retried before the first answer
    const end = Date.now() + 5000
    while (answers.length < 2 && Date.now() < end) await sleep(20)
    await kv.put('p/3', 'written after')
    send(3) // and again after it applied and a new key appeared
    while (answers.length < 3 && Date.now() < end) await sleep(20)
    ws.close()
    assert.deepEqual(answers.map((a) => (a as {deleted?: number}).deleted), [2, 2, 2], JSON.stringify(answers))
    assert.deepEqual((await kv.range({prefix: 'p/'})).kvs.map((e) => e.key), ['p/3'], 'the retry deleted nothing new')
  } finally {
    await c.shutdown()
  }
})
