/**
 * The bank test (as Jepsen's) on real daemons: concurrent clients move amounts between two
 * accounts with `txn` (compare both balances as read, then write both), while the leader is
 * killed and restarted and then partitioned away. Every range read of both accounts during the
 * run, and a linearizable range read at the end, sees the total unchanged: a txn is one entry,
 * all or nothing, applied once however often it is retried, and a range read sees one state.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import type {KvClient} from '../../src/client/index.js'
import {TestCluster, distBuilt, sleep} from './harness.js'

const skip = distBuilt() ? false : 'dist/ is not built: run `npm run build` first (npm test does)'

const TOTAL = 1000

test('concurrent transfers by txn keep the total of two accounts under kills and a partition', {skip, timeout: 120_000}, async () => {
  const c = new TestCluster()
  try {
    await c.start(3)
    await c.waitForLeader()
    const setup = c.kv()
    await setup.txn({compare: [], success: [{op: 'put', key: 'bank/a', value: String(TOTAL)}, {op: 'put', key: 'bank/b', value: '0'}], failure: []})
    const totals: number[] = []
    let moved = 0
    let stop = false
    const client = async (kv: KvClient, n: number): Promise<void> => {
      for (let i = 0; !stop; i++) {
        try {
          const {kvs} = await kv.range({prefix: 'bank/'})
          const [a, b] = kvs.map((e) => Number(e.value))
          totals.push(a! + b!)
          const amount = ((i * 7 + n) % 50) + 1
          const [from, to] = i % 2 === 0 ? (['a', 'b'] as const) : (['b', 'a'] as const)
          const balance = {a: a!, b: b!}
          if (balance[from] < amount) continue
          const r = await kv.txn({
            compare: [{key: 'bank/a', value: String(a)}, {key: 'bank/b', value: String(b)}],
            success: [{op: 'put', key: `bank/${from}`, value: String(balance[from] - amount)}, {op: 'put', key: `bank/${to}`, value: String(balance[to] + amount)}],
            failure: [],
          })
          if (r.succeeded) moved++
        } catch {
          await sleep(50) // unavailable or unknown: the next read tells
        }
      }
    }
    const clients = Array.from({length: 4}, (_, n) => client(c.kv(), n))
    await sleep(1000)
    const first = await c.waitForLeader(20_000)
    await c.kill(first.leader)
    await sleep(1000)
    await c.launch(first.leader)
    const second = await c.waitForLeader(20_000)
    await c.isolate(second.leader, 1500)
    await sleep(1000)
    stop = true
    await Promise.all(clients)
    await c.waitForLeader(20_000)
    const end = await c.kv().range({prefix: 'bank/'})
    assert.equal(end.kvs.length, 2)
    assert.equal(Number(end.kvs[0]!.value) + Number(end.kvs[1]!.value), TOTAL, `final balances ${JSON.stringify(end.kvs)}`)
    assert.ok(moved >= 10, `transfers went through (${moved})`)
    assert.ok(totals.length > 20 && totals.every((t) => t === TOTAL), `every read saw the total: ${[...new Set(totals)].join(', ')}`)
  } finally {
    await c.shutdown()
  }
})
