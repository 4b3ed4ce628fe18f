/**
 * Watches on real daemons (127.0.0.1):
 * - under a schedule that kills every node in turn (kill -9, restart) and partitions the leader
 *   away, a watcher (KvClient.watch) receives exactly the committed writes to its keys: every
 *   acknowledged put, nothing that was not written, each once, in log order consistent with the
 *   order the writes were acknowledged, ending with each key's final value and modIndex, and
 *   the same sequence as a fresh watch from index 1 read afterwards;
 * - a watcher that stops reading is cut off with SLOW_CONSUMER while the bytes the node holds
 *   for watches (history + unsent frames, the raftctl_watch_held_bytes gauge) stay bounded, and
 *   what it did receive is a gap-free prefix; the client stops reading its socket past either of
 *   its bounds (buffered changes, buffered bytes), so neither side holds more than its bound;
 * - a fromIndex older than the node keeps is COMPACTED, naming the oldest index available;
 * - a watch on a follower that is then partitioned away from the others (and stays so) leaves
 *   it once the node reports no leader heard for longer than the client's leaderless timeout,
 *   and receives the writes made meanwhile from another node, without gap or repeat;
 * - a watch on a node that hangs (SIGSTOP, as `raftctl node pause`: its sockets stay open, it
 *   sends nothing, not even progress), follower or leader, leaves it once nothing came for the
 *   silence timeout and receives the writes made meanwhile through the others, then those made
 *   after the node is continued, each once, in order.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {ClientError, type KvWatchEvent} from '../../src/client/index.js'
import {TestCluster, distBuilt, sleep} from './harness.js'
import {assertOnceInOrder} from './watch-checks.js'

const skip = distBuilt() ? false : 'dist/ is not built: run `npm run build` first (npm test does)'

interface Write {
  readonly key: string
  readonly value: string
  readonly ok: boolean | 'unknown'
  readonly call: number
  readonly ret: number
}

test('under kills and a partition, a watcher receives every committed write to its keys once, in log order', {skip, timeout: 120_000}, async () => {
  const c = new TestCluster()
  try {
    await c.start(3)
    await c.waitForLeader()
    const keys = ['w/a', 'w/b', 'w/c']
    const watcher = c.kv().watch({prefix: 'w/'}, {fromIndex: 1})
    const received: KvWatchEvent[] = []
    const reading = (async () => {
      for await (const e of watcher) received.push(e)
    })()
    const writes: Write[] = []
    let stop = false
    const writer = async (w: number): Promise<void> => {
      const kv = c.kv()
      for (let n = 0; !stop; n++) {
        const key = keys[(n + w) % keys.length]!
        const value = `${w}.${n}`
        const call = performance.now()
        try {
          await kv.put(key, value)
          writes.push({key, value, ok: true, call, ret: performance.now()})
        } catch (error) {
          writes.push({key, value, ok: error instanceof ClientError && !error.unknown ? false : 'unknown', call, ret: Infinity})
          await sleep(50)
        }
      }
    }
    const writers = [writer(1), writer(2)]
    // The nemesis: each node killed and restarted in turn (the watcher's node among them), then the leader partitioned away.
    for (const id of ['n1', 'n2', 'n3']) {
      await sleep(600)
      await c.kill(id)
      await sleep(600)
      await c.launch(id)
    }
    const {leader} = await c.waitForLeader(20_000)
    await c.isolate(leader, 1500)
    await sleep(600)
    stop = true
    await Promise.all(writers)
    await c.waitForLeader(20_000)

    const final = await c.kv().range({prefix: 'w/'})
    const deadline = Date.now() + 30_000
    while (watcher.lastIndex < final.index && Date.now() < deadline) await sleep(50)
    await watcher.close()
    await reading

    const acknowledged = writes.filter((w) => w.ok === true)
    assert.ok(acknowledged.length > 20, `enough writes were acknowledged (${acknowledged.length})`)
    // No repeat and nothing invented: each event is a distinct write that was attempted (values are unique).
    const attempted = new Map(writes.filter((w) => w.ok !== false).map((w) => [w.value, w]))
    const seen = new Set<string>()
    for (const e of received) {
      assert.equal(e.type, 'put')
      assert.ok(!seen.has(e.value!), `${e.value} was received twice`)
      seen.add(e.value!)
      assert.equal(attempted.get(e.value!)?.key, e.key, `${e.key} = ${e.value} is a write that was made`)
    }
    // No gap: every acknowledged write was received.
    for (const w of acknowledged) assert.ok(seen.has(w.value), `acknowledged ${w.key} = ${w.value} was not received`)
    // Log order: indexes never go back, and a write acknowledged before another began comes first.
    const position = new Map(received.map((e, i) => [e.value!, {i, index: e.index}]))
    for (let i = 1; i < received.length; i++) assert.ok(received[i]!.index > received[i - 1]!.index, 'one put per entry, indexes increasing')
    for (const a of acknowledged) {
      for (const b of acknowledged) {
        if (a.ret < b.call) assert.ok(position.get(a.value)!.i < position.get(b.value)!.i, `${a.value} was acknowledged before ${b.value} was sent`)
      }
    }
    // It ends where the store is: each key's last event is its value and modIndex now.
    for (const kv of final.kvs) {
      const last = received.filter((e) => e.key === kv.key).at(-1)
      assert.deepEqual({value: last?.value, index: last?.index}, {value: kv.value, index: kv.modIndex}, `the last change of ${kv.key}`)
    }
    // And a fresh watch from index 1, read in one go, gives the very same sequence.
    const again: KvWatchEvent[] = []
    const fresh = c.kv().watch({prefix: 'w/'}, {fromIndex: 1})
    for await (const e of fresh) {
      again.push(e)
      if (e.index >= received.at(-1)!.index) break
    }
    assert.deepEqual(again, received)
  } finally {
    await c.shutdown()
  }
})

// The client pauses its socket past either bound: one buffered change; or 64 KiB of them (a
// couple of 32 KiB values, far below the 10,000 changes it would otherwise take in).
for (const [bound, options] of [['changes', {maxBufferedChanges: 1}], ['bytes', {maxBufferedBytes: 64 * 1024}]] as const) {
  test(`a watcher that stops reading is cut off with SLOW_CONSUMER (client bound: ${bound}); the bytes the node holds for it stay bounded`, {skip, timeout: 120_000}, async () => {
    const history = 20
    const c = new TestCluster(['--watch-history', String(history), '--unsafe-no-fsync'])
    try {
      await c.start(1)
      await c.waitForLeader()
      const kv = c.kv()
      // Past its bound this process pauses the socket, and the node's send buffer fills.
      const watcher = kv.watch({prefix: 's/'}, options)
      const first = watcher.next()
      await kv.put('s/start', 'go')
      assert.equal((await first).value?.key, 's/start')
      const value = 'x'.repeat(32 * 1024)
      let held = 0
      const written = 600
      for (let i = 0; i < written; i++) {
        await kv.put(`s/${i % 10}`, `${i}:${value}`)
        if (i % 50 === 49) held = Math.max(held, await heldBytes(c))
      }
      // What the node may hold: the history (values counted as UTF-16), one connection's buffer, one entry.
      const bound = history * (2 * (value.length + 16) + 128) + 1024 * 1024 + 2 * (value.length + 16) + 128
      assert.ok(held <= bound, `the node held ${held} bytes for watches, over ${bound}; ${written} × 32 KiB were written`)
      // Reading again: a gap-free run of the changes, then the named error.
      const got: KvWatchEvent[] = []
      await assert.rejects(async () => {
        for (let r = await watcher.next(); !r.done; r = await watcher.next()) got.push(r.value)
      }, (e: unknown) => e instanceof ClientError && e.code === 'SLOW_CONSUMER')
      assert.ok(got.length < written, `cut off before the end (${got.length} of ${written})`)
      got.forEach((e, i) => assert.equal(e.value?.split(':')[0], String(i), 'each put once, in order, none missing'))
    } finally {
      await c.shutdown()
    }
  })
}

test('a watch from before the oldest kept index is COMPACTED, naming the oldest index', {skip, timeout: 60_000}, async () => {
  const c = new TestCluster(['--watch-history', '5'])
  try {
    await c.start(1)
    await c.waitForLeader()
    const kv = c.kv()
    for (let i = 0; i < 12; i++) await kv.put('k', String(i))
    const {index} = await kv.get('k')
    const oldest = index - 4
    const watcher = kv.watch({key: 'k'}, {fromIndex: 1})
    await assert.rejects(watcher.next(), (e: unknown) => e instanceof ClientError && e.code === 'COMPACTED' && e.message.includes(`the oldest index still available is ${oldest}`))
    const kept: string[] = []
    const ok = kv.watch({key: 'k'}, {fromIndex: oldest})
    for await (const e of ok) {
      kept.push(e.value!)
      if (kept.length === 5) break
    }
    assert.deepEqual(kept, ['7', '8', '9', '10', '11'])
  } finally {
    await c.shutdown()
  }
})

test('a watch on a follower partitioned away resumes on another node while the partition lasts, without gap or repeat', {skip, timeout: 120_000}, async () => {
  const c = new TestCluster()
  try {
    await c.start(3)
    const {leader} = await c.waitForLeader()
    const ids = ['n1', 'n2', 'n3']
    const follower = ids.find((id) => id !== leader)!
    const others = ids.filter((id) => id !== follower)
    // The follower first: the watch runs there until it is cut off.
    const watcher = c.kv([follower, ...others]).watch({prefix: 'p/'})
    const received: KvWatchEvent[] = []
    const reading = (async () => {
      for await (const e of watcher) received.push(e)
    })()
    const writer = c.kv(others)
    const until = async (what: string, done: () => boolean): Promise<void> => {
      const giveUp = Date.now() + 60_000
      while (!done()) {
        assert.ok(Date.now() < giveUp, `gave up waiting: ${what} (received ${received.length})`)
        await sleep(50)
      }
    }
    // The watch is open on the follower once a write shows (it starts after the node's applied index).
    for (let giveUp = Date.now() + 60_000; received.length === 0; await sleep(200)) {
      assert.ok(Date.now() < giveUp, 'the watch never showed a write')
      await writer.put('p/0', '0')
    }
    const before = received.length
    for (const s of ids) await c.admin(s).chaosAdd({kind: 'partition', groups: [[follower], others]}, {id: 'cut'})
    const written: string[] = []
    for (let i = 1; i <= 10; i++) {
      await writer.put(`p/${i}`, String(i))
      written.push(String(i))
    }
    await until('the writes made during the partition', () => received.filter((e) => e.key !== 'p/0').length >= written.length)
    // Still partitioned here: the changes came through another node.
    const status = await c.status(follower)
    assert.notEqual(status?.role, 'leader')
    for (const s of ids) await c.admin(s).chaosHeal({id: 'cut'})
    await watcher.close()
    await reading
    const later = received.slice(before).filter((e) => e.key !== 'p/0')
    assert.deepEqual(later.map((e) => e.value), written, 'every write made during the partition once, in order')
    const indexes = received.map((e) => e.index)
    assert.ok(indexes.every((x, i) => i === 0 || x > indexes[i - 1]!), `indexes strictly increase (no repeat): ${indexes.join(',')}`)
  } finally {
    await c.shutdown()
  }
})

for (const role of ['follower', 'leader'] as const) {
  test(`a watch on a ${role} that hangs (SIGSTOP) resumes on another node, without gap or repeat`, {skip, timeout: 120_000}, async () => {
    const c = new TestCluster()
    let paused: number | undefined
    try {
      await c.start(3)
      const {leader} = await c.waitForLeader()
      const ids = ['n1', 'n2', 'n3']
      const target = role === 'leader' ? leader : ids.find((id) => id !== leader)!
      const others = ids.filter((id) => id !== target)
      // The target first: the watch runs there until it hangs.
      const watcher = c.kv([target, ...others]).watch({prefix: 'h/'})
      const received: KvWatchEvent[] = []
      const reading = (async () => {
        for await (const e of watcher) received.push(e)
      })()
      const until = async (what: string, done: () => boolean): Promise<void> => {
        const giveUp = Date.now() + 60_000
        while (!done()) {
          assert.ok(Date.now() < giveUp, `gave up waiting: ${what} (received ${received.length})`)
          await sleep(50)
        }
      }
      const writer = c.kv(others)
      for (let giveUp = Date.now() + 60_000; received.length === 0; await sleep(200)) {
        assert.ok(Date.now() < giveUp, 'the watch never showed a write')
        await writer.put('h/0', '0')
      }
      const before = received.length
      paused = c.pid(target)!
      process.kill(paused, 'SIGSTOP')
      if (role === 'leader') await c.waitForLeader(30_000, [target])
      const written: string[] = []
      const write = async (from: number, to: number): Promise<void> => {
        for (let i = from; i <= to; i++) {
          await writer.put(`h/${i}`, String(i))
          written.push(String(i))
        }
      }
      await write(1, 10)
      await until('the writes made while the node hangs', () => received.length - before >= 10)
      process.kill(paused, 'SIGCONT')
      paused = undefined
      await write(11, 15)
      await until('the writes made after the node continued', () => received.length - before >= 15)
      await watcher.close()
      await reading
      assertOnceInOrder(received, before, written)
    } finally {
      if (paused !== undefined) process.kill(paused, 'SIGCONT')
      await c.shutdown()
    }
  })
}

/** The node's raftctl_watch_held_bytes gauge. */
async function heldBytes(c: TestCluster): Promise<number> {
  const res = await fetch(`${c.spec('n1').address.replace('ws:', 'http:')}/metrics`, {headers: {authorization: `Bearer ${c.secret}`}})
  const m = /^raftctl_watch_held_bytes (\d+)/m.exec(await res.text())
  assert.ok(m, 'the gauge is exported')
  return Number(m[1])
}
