/**
 * Integration tests of real daemons on 127.0.0.1: election, replication, linearizable reads
 * from every node, failover after kill -9, catch-up through a snapshot, exactly-once retries,
 * and durability of every acknowledged write across kill -9 of the whole cluster.
 */
import {test, before, after} from 'node:test'
import assert from 'node:assert/strict'
import {TestCluster, distBuilt, sleep} from './harness.js'

const skip = distBuilt() ? false : 'dist/ is not built: run `npm run build` first (npm test does)'

test('three nodes elect a leader; a write through any node is readable linearizably from every node', {skip}, async () => {
  const c = new TestCluster()
  try {
    await c.start(3)
    const {leader, term} = await c.waitForLeader()
    assert.ok(['n1', 'n2', 'n3'].includes(leader))
    assert.ok(term >= 2)
    for (const writer of ['n1', 'n2', 'n3']) {
      const kv = c.kv([writer])
      const put = await kv.put(`key-${writer}`, `value-${writer}`)
      assert.equal(put.value, `value-${writer}`)
    }
    for (const reader of ['n1', 'n2', 'n3']) {
      const kv = c.kv([reader])
      for (const writer of ['n1', 'n2', 'n3']) {
        const got = await kv.get(`key-${writer}`)
        assert.equal(got.value, `value-${writer}`, `read of key-${writer} through ${reader}`)
      }
      // A serializable read is answered by the node itself once it applied the writes.
      const deadline = Date.now() + 15_000
      let local = await kv.get('key-n1', {serializable: true})
      while (local.value !== 'value-n1' && Date.now() < deadline) {
        await sleep(20)
        local = await kv.get('key-n1', {serializable: true})
      }
      assert.equal(local.value, 'value-n1')
    }
  } finally {
    await c.shutdown()
  }
})

test('kill -9 of the leader: a new leader takes over; the old one restarts and catches up through a snapshot', {skip}, async () => {
  const c = new TestCluster(['--snapshot-every', '50', '--compaction-lag', '10'])
  try {
    await c.start(3)
    const first = await c.waitForLeader()
    const kv = c.kv()
    for (let i = 0; i < 20; i++) await kv.put(`a${i}`, `v${i}`)
    await c.kill(first.leader)
    const second = await c.waitForLeader(15_000, [first.leader])
    assert.notEqual(second.leader, first.leader)
    assert.ok(second.term > first.term)
    for (let i = 0; i < 300; i++) await kv.put(`b${i}`, `w${i}`)
    const leaderStatus = await c.status(second.leader)
    assert.ok(leaderStatus!.snapshotIndex > 0, 'the leader compacted its log')
    assert.ok(leaderStatus!.firstIndex > 25, 'entries the old leader lacks are gone from the log')
    await c.launch(first.leader)
    const end = Date.now() + 15_000
    let st = await c.status(first.leader)
    while ((st === null || st.appliedIndex < leaderStatus!.lastIndex) && Date.now() < end) {
      await sleep(100)
      st = await c.status(first.leader)
    }
    assert.ok(st && st.appliedIndex >= leaderStatus!.lastIndex, `old leader caught up (applied ${st?.appliedIndex})`)
    assert.ok(st.snapshotIndex > 0, 'it installed a snapshot')
    assert.match(c.log(first.leader), /snapshot/i)
    const local = c.kv([first.leader])
    assert.equal((await local.get('b299', {serializable: true})).value, 'w299')
    assert.equal((await local.get('a0', {serializable: true})).value, 'v0')
  } finally {
    await c.shutdown()
  }
})

test('a retried write (same session and sequence number) applies once', {skip}, async () => {
  const c = new TestCluster()
  try {
    await c.start(3)
    const {leader} = await c.waitForLeader()
    const {WebSocket} = await import('ws')
    const ws = new WebSocket(`${c.spec(leader).address}/client`, {headers: {authorization: `Bearer ${c.secret}`}, perMessageDeflate: false})
    ws.on('error', () => {})
    await new Promise((r) => ws.once('open', r))
    const answers: unknown[] = []
    ws.on('message', (d) => answers.push(JSON.parse(d.toString())))
    const send = (id: number): void => ws.send(JSON.stringify({v: 1, id, type: 'append', key: 'k', value: 'x', session: {clientId: 'retry-test', seq: 1}}))
    send(1)
    send(2) // the same write retried before the first answer
    await sleep(500)
    send(3) // and again after it applied
    const end = Date.now() + 15_000
    while (answers.length < 3 && Date.now() < end) await sleep(20)
    ws.close()
    const values = answers.map((a) => (a as {value?: string}).value)
    assert.deepEqual(values, ['x', 'x', 'x'], JSON.stringify(answers))
    assert.equal((await c.kv().get('k')).value, 'x', 'applied exactly once')
  } finally {
    await c.shutdown()
  }
})

/** Acknowledged writes before the kill -9 of the whole cluster: a count, not a time, so a busy machine only takes longer. */
const ACKNOWLEDGED_BEFORE_KILL = 100

test('kill -9 of every node during a write load loses no acknowledged write', {skip}, async () => {
  const c = new TestCluster()
  try {
    await c.start(3)
    await c.waitForLeader()
    const acknowledged = new Map<string, string>()
    let stop = false
    let enough = (): void => {}
    const reachedCount = new Promise<void>((resolve) => { enough = resolve })
    const writers = Array.from({length: 8}, async (_, w) => {
      const kv = c.kv(undefined, `writer-${w}`)
      for (let i = 0; !stop; i++) {
        try {
          await kv.put(`w${w}-${i}`, `v${i}`)
          acknowledged.set(`w${w}-${i}`, `v${i}`)
          if (acknowledged.size >= ACKNOWLEDGED_BEFORE_KILL) enough()
        } catch {
          return
        }
      }
    })
    // Kill while the 8 writers still have writes in flight (or earlier, should every writer fail).
    await Promise.race([reachedCount, Promise.allSettled(writers)])
    for (const s of c.specs) c.pid(s.id) && process.kill(c.pid(s.id)!, 'SIGKILL')
    stop = true
    await Promise.allSettled(writers)
    for (const s of c.specs) await c.kill(s.id)
    assert.ok(acknowledged.size >= ACKNOWLEDGED_BEFORE_KILL, `enough writes were acknowledged (${acknowledged.size})`)
    await Promise.all(c.specs.map((s) => c.launch(s.id)))
    await c.waitForLeader()
    const kv = c.kv()
    const missing: string[] = []
    for (const [k, v] of acknowledged) {
      const got = await kv.get(k)
      if (got.value !== v) missing.push(k)
    }
    assert.deepEqual(missing, [], `${missing.length} of ${acknowledged.size} acknowledged writes lost`)
  } finally {
    await c.shutdown()
  }
})
