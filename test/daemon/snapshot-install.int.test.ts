/**
 * A follower far behind catches up by a snapshot of 100,000 keys while the cluster keeps
 * answering: order, not wall-clock windows (writes are acknowledged between the heal and the
 * follower's catching up), and the follower then serves every key. The follower's longest
 * event-loop delay during the install (its own monitor: prom-client's
 * `nodejs_eventloop_lag_max_seconds`, the maximum since the previous scrape), and the same while
 * it sat idle before, are reported as diagnostics, not asserted: on this shared machine they
 * are still hundreds of ms (see docs/performance.md, "Installing a snapshot").
 */
import {readFileSync} from 'node:fs'
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {TestCluster, distBuilt, sleep} from './harness.js'

const skip = distBuilt() ? false : 'dist/ is not built: run `npm run build` first (npm test does)'

const KEYS = 100_000
const PER_TXN = 128
const WRITERS = 8
const VALUE = 'v'.repeat(100)

/** One sample of node `id`'s /metrics (`series`: the name with its labels, as exposed), or undefined. */
async function metric(c: TestCluster, id: string, series: string): Promise<number | undefined> {
  const res = await fetch(`${c.spec(id).address.replace('ws:', 'http:')}/metrics`, {headers: {authorization: `Bearer ${c.secret}`}})
  const line = (await res.text()).split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

/** The follower's event-loop maximum since the previous scrape (each scrape resets it). */
async function loopLagMax(c: TestCluster, id: string): Promise<number> {
  const value = await metric(c, id, 'nodejs_eventloop_lag_max_seconds')
  assert.ok(value !== undefined, 'the daemon exports its event-loop maximum')
  return value
}

test('a follower 100k keys behind catches up by snapshot while the cluster answers; its event loop keeps turning', {skip, timeout: 600_000}, async (t) => {
  const c = new TestCluster(['--snapshot-every', '300', '--compaction-lag', '50'])
  try {
    await c.start(3)
    const {leader} = await c.waitForLeader()
    const follower = ['n1', 'n2', 'n3'].find((id) => id !== leader)!
    const others = ['n1', 'n2', 'n3'].filter((id) => id !== follower)
    for (const id of ['n1', 'n2', 'n3']) await c.admin(id).chaosAdd({kind: 'partition', groups: [[follower], others]}, {id: 'cut'})
    const kv = c.kv(others)
    let next = 0
    await Promise.all(Array.from({length: WRITERS}, async () => {
      while (next < KEYS) {
        const from = next
        next = Math.min(KEYS, next + PER_TXN)
        const success = Array.from({length: next - from}, (_, i) => ({op: 'put' as const, key: `k${from + i}`, value: VALUE}))
        await kv.txn({compare: [], success, failure: []})
      }
    }))
    const before = (await c.status(leader))!
    const behind = (await c.status(follower))!
    assert.ok(before.snapshotIndex > behind.lastIndex, `the leader compacted past the follower (${before.snapshotIndex} > ${behind.lastIndex})`)

    await loopLagMax(c, follower) // resets the follower's maximum
    await sleep(2000)
    const idleLag = await loopLagMax(c, follower) // the follower idle (cut off) under this machine's load; resets again: what follows is the install
    const order: string[] = []
    let writing = true
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        await kv.put(`during${i}`, 'x')
        order.push('write')
      }
    })()
    for (const id of ['n1', 'n2', 'n3']) await c.admin(id).chaosHeal({id: 'cut'})
    order.push('healed')
    const deadline = Date.now() + 300_000 // a give-up only
    let st = await c.status(follower)
    while ((st === null || st.appliedIndex < before.lastIndex) && Date.now() < deadline) {
      await sleep(100)
      st = await c.status(follower)
    }
    order.push('caught up')
    const lag = await loopLagMax(c, follower)
    writing = false
    await writer
    assert.ok(st !== null && st.appliedIndex >= before.lastIndex, `the follower caught up (applied ${st?.appliedIndex} of ${before.lastIndex})`)
    assert.ok(st.snapshotIndex >= before.snapshotIndex, 'it installed the leader\'s snapshot')
    const healed = order.indexOf('healed')
    assert.ok(order.slice(healed, order.indexOf('caught up')).includes('write'), `writes were answered while the follower installed: ${order.slice(healed).join(' ')}`)
    const sent = await metric(c, leader, `raftctl_peer_snapshots_sent_total{peer="${follower}"}`)
    const resends = await metric(c, leader, `raftctl_peer_snapshot_resends_dropped_total{peer="${follower}"}`)
    assert.ok(sent !== undefined && sent >= 1, `the leader sent the snapshot in chunks (${sent})`)
    t.diagnostic(`the leader sent ${sent} snapshot(s) in chunks to the follower and dropped ${resends} re-send(s) while one was in flight`)
    t.diagnostic(`follower's longest event-loop delay: idle ${Math.round(idleLag * 1000)} ms, during the install ${Math.round(lag * 1000)} ms; /proc/loadavg ${readFileSync('/proc/loadavg', 'utf8').trim()}`)
    const local = c.kv([follower])
    assert.equal((await local.get(`k${KEYS - 1}`, {serializable: true})).value, VALUE)
    assert.equal((await local.get('k0', {serializable: true})).value, VALUE)
  } finally {
    await c.shutdown()
  }
})
