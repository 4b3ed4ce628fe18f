/**
 * Large values (issue 23) on real daemons (127.0.0.1): 256 KiB values, some plain ASCII and some
 * full of multi-byte characters and JSON escapes, round-trip byte for byte through put, get
 * (leader and follower), watch, txn, and a follower's snapshot and restart. A put sent with
 * `echo: false` (what KvClient and the bench send for large values) is answered without its value.
 * The daemon offers binary put frames and KvClient's large puts use them; a raw binary put lands
 * byte for byte, a bad one is refused with nothing applied, and an old client's text put still works.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {WebSocket} from 'ws'
import {BINARY_FRAMES_HEADER, BINARY_PUT_KIND, encodeBinaryPut} from '../../src/admin/binary-put.js'
import {formatRequest} from '../../src/admin/protocol.js'
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
      assert.equal(connection.binaryPuts, true, 'the daemon offers binary put frames, so these puts travel as bytes')
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

test('binary put frames land byte for byte; a bad one applies nothing; an old client\'s text put still works', {skip, timeout: 120_000}, async () => {
  const c = new TestCluster()
  try {
    await c.start(3)
    const {leader} = await c.waitForLeader()
    const raw = await RawSocket.open(routeUrl(c.spec(leader).address, 'client'), c.secret)
    try {
      assert.equal(raw.header, 'put', `the upgrade response's ${BINARY_FRAMES_HEADER}`)
      const put = encodeBinaryPut(1, {key: 'bin/mixed', value: MIXED, echo: false, session: {clientId: 'raw-1', seq: 1}})
      assert.ok(put.ok)
      assert.deepEqual(await raw.request(put.bytes), {v: 1, id: 1, ok: true})
      const echoed = encodeBinaryPut(2, {key: 'bin/plain', value: PLAIN})
      assert.ok(echoed.ok)
      assert.deepEqual(await raw.request(echoed.bytes), {v: 1, id: 2, ok: true, value: PLAIN})

      // Not valid UTF-8: refused, naming the request, and nothing is written.
      const header = Buffer.from('{"v":1,"id":3,"type":"put","key":"bin/bad"}')
      const prefix = Buffer.from([BINARY_PUT_KIND, 0, 0, 0, header.length])
      const refused = await raw.request(Buffer.concat([prefix, header, Buffer.from([0x61, 0xc3, 0x28])]))
      assert.deepEqual([refused.id, refused.ok, (refused.error as {code: string}).code], [3, false, 'INVALID_UTF8'])

      // An old client: the same put as JSON text.
      assert.deepEqual(await raw.request(formatRequest(4, 'put', {key: 'bin/text', value: MIXED, echo: false})), {v: 1, id: 4, ok: true})
    } finally {
      raw.close()
    }
    const kv = c.kv()
    assert.equal((await kv.get('bin/bad')).value, null)
    const follower = followerOf(c, leader)
    for (const [key, value] of [['bin/mixed', MIXED], ['bin/plain', PLAIN], ['bin/text', MIXED]] as const) {
      assert.equal((await kv.get(key)).value === value, true, `${key} on the leader`)
      assert.equal(await waitForValue(c, follower, key, value), true, `${key} on follower ${follower}`)
    }
  } finally {
    await c.shutdown()
  }
})

/** A bare WebSocket to `/client`, as any client of the protocol (no library): one request at a time. */
class RawSocket {
  private constructor(private readonly ws: WebSocket, readonly header: string | undefined) {}

  static open(url: string, secret: string): Promise<RawSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, {headers: {Authorization: `Bearer ${secret}`}, perMessageDeflate: false})
      let header: string | undefined
      ws.once('upgrade', (res) => (header = res.headers[BINARY_FRAMES_HEADER] as string | undefined))
      ws.once('open', () => resolve(new RawSocket(ws, header)))
      ws.once('error', reject)
    })
  }

  /** Send one frame (bytes: binary; text: text) and read the next frame as JSON. */
  request(frame: Buffer | string): Promise<Record<string, unknown>> {
    return new Promise((resolve) => {
      this.ws.once('message', (data) => resolve(JSON.parse(String(data)) as Record<string, unknown>))
      this.ws.send(frame)
    })
  }

  close(): void {
    this.ws.terminate()
  }
}

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
