/**
 * A daemon under bad input: a corrupted WAL refuses to start naming the file and offset, a
 * torn last record is truncated, 10,000 malformed frames per route leave it healthy, a frame
 * that is not valid UTF-8 is answered with INVALID_UTF8 (never stored as U+FFFD), and
 * connections without the secret are refused before the upgrade.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {readdirSync, readFileSync, truncateSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {WebSocket} from 'ws'
import {TestCluster, distBuilt, sleep} from './harness.js'
import {endOfData} from '../../src/storage/wal.js'
import {DEFAULT_PROTOCOL_LIMITS} from '../../src/admin/limits.js'
import {DEFAULT_MAX_PAYLOAD_BYTES} from '../../src/transport/limits.js'

const skip = distBuilt() ? false : 'dist/ is not built: run `npm run build` first (npm test does)'

/** Write some entries through a one-node cluster, then stop it. */
async function singleNodeWithData(c: TestCluster, writes: number): Promise<string> {
  await c.start(1)
  await c.waitForLeader()
  const kv = c.kv()
  for (let i = 0; i < writes; i++) await kv.put(`k${i}`, 'x'.repeat(200))
  assert.equal(await c.terminate('n1'), 0, 'clean exit on SIGTERM')
  const walDir = join(c.spec('n1').dataDir, 'raft', 'wal')
  const segment = readdirSync(walDir).filter((f) => f.endsWith('.log')).sort().at(-1)!
  return join(walDir, segment)
}

test('a byte flipped in the middle of a WAL segment: the node refuses to start and names the file and offset', {skip}, async () => {
  const c = new TestCluster()
  try {
    const segment = await singleNodeWithData(c, 40)
    const bytes = readFileSync(segment)
    const middle = Math.floor(endOfData(bytes) / 2)
    bytes[middle] = bytes[middle]! ^ 0xff
    writeFileSync(segment, bytes)
    const {code, stderr} = await c.launchExpectingFailure('n1')
    assert.notEqual(code, 0)
    assert.match(stderr, /CORRUPT/)
    assert.ok(stderr.includes(segment), `names the file: ${stderr}`)
    assert.match(stderr, /offset \d+/)
  } finally {
    await c.shutdown()
  }
})

test('a torn last record is truncated and the node starts with every earlier write', {skip}, async () => {
  const c = new TestCluster()
  try {
    const segment = await singleNodeWithData(c, 40)
    truncateSync(segment, endOfData(readFileSync(segment)) - 7)
    await c.launch('n1')
    await c.waitForLeader()
    assert.match(c.log('n1'), /torn|truncat/i)
    const kv = c.kv()
    assert.equal((await kv.get('k0')).value, 'x'.repeat(200))
    assert.equal((await kv.get('k38')).value, 'x'.repeat(200))
  } finally {
    await c.shutdown()
  }
})

/** Deterministic pseudo-random bytes for the fuzzer (xorshift). */
function fuzzer(seed: number): (n: number) => Buffer {
  let s = seed >>> 0 || 1
  const next = (): number => {
    s ^= s << 13
    s ^= s >>> 17
    s ^= s << 5
    return (s >>> 0) / 4294967296
  }
  return (n) => Buffer.from(Array.from({length: n}, () => Math.floor(next() * 256)))
}

function malformedFrames(count: number, seed: number): (string | Buffer)[] {
  const bytes = fuzzer(seed)
  const valid = JSON.stringify({v: 1, id: 1, type: 'put', key: 'k', value: 'v'})
  const frames: (string | Buffer)[] = []
  for (let i = 0; i < count; i++) {
    switch (i % 8) {
      case 0: frames.push(bytes(1 + (i % 300))); break // random binary
      case 1: frames.push(valid.slice(0, i % valid.length)); break // truncated JSON
      case 2: frames.push(JSON.stringify({v: 1, id: i, type: 'put', key: 'k'.repeat(2000), value: 'v'})); break // key too long
      case 3: frames.push(JSON.stringify({v: 2, id: i, type: 'get', key: 'k'})); break // wrong version
      case 4: frames.push(JSON.stringify({v: 1, id: -1, type: 'get'})); break // bad id
      case 5: frames.push(JSON.stringify({v: 1, id: i, type: 'nope'})); break // unknown type
      case 6: frames.push(bytes(20).toString('latin1')); break // random text
      default: frames.push(JSON.stringify({v: 1, id: i, type: 'cas', key: 'k', expected: 5, value: null})) // ill-typed
    }
  }
  return frames
}

async function openSocket(url: string, secret?: string, extraHeaders: Record<string, string> = {}): Promise<WebSocket> {
  const headers = {...(secret ? {authorization: `Bearer ${secret}`} : {}), ...extraHeaders}
  const ws = new WebSocket(url, {headers, perMessageDeflate: false, maxPayload: 64 * 1024 * 1024})
  ws.on('error', () => {})
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)))
    ws.once('close', () => reject(new Error('closed')))
  })
  return ws
}

test('10,000 malformed, truncated, oversized and random frames per route: no daemon exits, each answers afterwards', {skip}, async () => {
  const c = new TestCluster()
  try {
    await c.start(3)
    const {leader} = await c.waitForLeader()
    const address = c.spec(leader).address
    for (const route of ['/client', '/admin', '/raft']) {
      // Peers introduce themselves in headers; a fuzzer pretends to be a peer "fuzz".
      const hello: Record<string, string> = route === '/raft' ? {'x-raftctl-node': 'fuzz', 'x-raftctl-to': leader} : {}
      const secret = route === '/raft' ? c.peerSecret : c.secret
      const frames = malformedFrames(10_000, route.length)
      let sent = 0
      let failures = 0
      while (sent < frames.length) {
        // /raft closes a connection at its first bad frame: reconnect and go on.
        let ws: WebSocket
        try {
          ws = await openSocket(`${address}${route}`, secret, hello)
        } catch (err) {
          assert.ok(++failures < 50, `cannot connect to ${route}: ${(err as Error).message}`)
          await sleep(5)
          continue
        }
        const closed = new Promise((r) => ws.once('close', r))
        for (let i = 0; i < 200 && sent < frames.length && ws.readyState === ws.OPEN; i++) ws.send(frames[sent++]!)
        if (route === '/raft') await closed
        else {
          ws.close()
          await closed
        }
      }
      // An oversized frame (over the route's maxPayload: the peer frame limit on /raft, the
      // request frame limit plus its slack on /client and /admin) closes the connection, nothing
      // more. Sized from the limits, so raising one (maxFrameBytes went from 1 to 8 MiB) cannot
      // leave this waiting for a close that never comes.
      const big = await openSocket(`${address}${route}`, secret, hello)
      const bigClosed = new Promise((r) => big.once('close', r))
      big.send(Buffer.alloc(route === '/raft' ? DEFAULT_MAX_PAYLOAD_BYTES + 1 : DEFAULT_PROTOCOL_LIMITS.maxFrameBytes + 1024 + 1))
      await bigClosed
    }
    for (const s of c.specs) assert.ok(c.isRunning(s.id), `${s.id} is still running`)
    const kv = c.kv()
    assert.equal((await kv.put('after', 'fuzz')).value, 'fuzz')
    for (const s of c.specs) {
      const st = await c.admin(s.id).status()
      assert.equal(st.id, s.id)
    }
    assert.equal((await c.waitForLeader()).leader !== undefined, true)
  } finally {
    await c.shutdown()
  }
})

/** The next text frame on `ws`, parsed; rejects if the socket closes first. */
function nextAnswer(ws: WebSocket): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const onClose = (code: number): void => reject(new Error(`closed with code ${code} before an answer`))
    ws.once('close', onClose)
    ws.once('message', (data) => {
      ws.off('close', onClose)
      resolve(JSON.parse(data.toString()) as Record<string, unknown>)
    })
  })
}

test('a frame that is not valid UTF-8 is answered INVALID_UTF8 with its id, nothing is stored, the connection stays usable', {skip}, async () => {
  const c = new TestCluster()
  try {
    await c.start(1)
    await c.waitForLeader()
    const ws = await openSocket(`${c.spec('n1').address}/client`, c.secret)
    const frame = Buffer.concat([Buffer.from('{"v":1,"id":7,"type":"put","key":"k'), Buffer.from([0xff]), Buffer.from('","value":"v"}')])
    let answer = nextAnswer(ws)
    ws.send(frame, {binary: false})
    const refused = await answer
    assert.equal(refused.id, 7)
    assert.equal(refused.ok, false)
    assert.equal((refused.error as {code: string}).code, 'INVALID_UTF8')
    answer = nextAnswer(ws)
    ws.send('{"v":1,"id":8,"type":"put","key":"j","value":"a\\udcffb"}')
    const surrogate = await answer
    assert.equal(surrogate.id, 8)
    assert.deepEqual(surrogate.error, {code: 'INVALID_UTF8', message: 'value: must be well-formed Unicode (it holds a lone surrogate, which UTF-8 cannot encode)'})
    answer = nextAnswer(ws)
    ws.send('{"v":1,"id":9,"type":"get","key":"k\uFFFD"}')
    assert.deepEqual([(await answer).id, (await answer).value], [9, null], 'nothing was stored under the U+FFFD spelling')
    ws.close()
  } finally {
    await c.shutdown()
  }
})

test('connections without the secret, or with a wrong one, are refused with 401 before the upgrade', {skip}, async () => {
  const c = new TestCluster()
  try {
    await c.start(1)
    await c.waitForLeader()
    const address = c.spec('n1').address
    for (const route of ['/client', '/admin', '/raft']) {
      await assert.rejects(openSocket(`${address}${route}`), /HTTP 401/)
      await assert.rejects(openSocket(`${address}${route}`, 'wrong-secret-wrong-secret'), /HTTP 401/)
    }
    const res = await fetch(`${address.replace('ws:', 'http:')}/metrics`)
    assert.equal(res.status, 401)
    const health = await fetch(`${address.replace('ws:', 'http:')}/health`)
    assert.equal(health.status, 200)
    const metrics = await fetch(`${address.replace('ws:', 'http:')}/metrics`, {headers: {authorization: `Bearer ${c.secret}`}})
    assert.equal(metrics.status, 200)
    assert.match(await metrics.text(), /raft_term \d+/)
  } finally {
    await c.shutdown()
  }
})
