/**
 * PeerTransport tests on real sockets: three nodes exchanging every message type, coalescing,
 * reconnect after a peer restarts, bounded queues (drop + unreachable), hello validation,
 * malformed / oversized / random frames closing only the offending connection, snapshots larger
 * than a frame travelling as chunks (and bad chunk streams refused), ping liveness, and close()
 * leaving nothing behind.
 */
import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {after, afterEach, describe, it} from 'node:test'
import fc from 'fast-check'
import {WebSocketServer} from 'ws'
import type {Message} from '../../src/raft/types.js'
import {encodeChunk, encodeFrame, encodeMessage, encodeMessages} from '../../src/transport/codec.js'
import {DEFAULT_MAX_PAYLOAD_BYTES} from '../../src/transport/limits.js'
import {RAFT_DEFAULTS} from '../../src/raft/config.js'
import {PeerTransport} from '../../src/transport/peers.js'
import {backoffDelay, normalizePeerUrl} from '../../src/transport/protocol.js'
import {closeCode, connectAll, dial, helloHeaders, messageArb, sampleMessages, SECRET, startNode, waitFor} from './helpers.js'
import type {TestNode} from './helpers.js'

const heartbeat = (from: string, to: string, round: number): Message => ({type: 'heartbeat', from, to, term: 1, commit: 0, round})

/** Nodes started by a test; closed after it. */
let started: TestNode[] = []

async function start(id: string, options?: Parameters<typeof startNode>[1]): Promise<TestNode> {
  const node = await startNode(id, options)
  started.push(node)
  return node
}

afterEach(async () => {
  await Promise.all(started.map((n) => n.close()))
  started = []
})

function peerStats(node: TestNode, peer: string) {
  const stats = node.transport.stats().peers.find((p) => p.id === peer)
  assert.ok(stats, `no stats for ${peer}`)
  return stats
}

describe('PeerTransport: exchange', () => {
  it('three nodes exchange every message type in every direction', async () => {
    const nodes = [await start('n1'), await start('n2'), await start('n3')]
    connectAll(nodes)
    await waitFor(() => nodes.every((a) => nodes.every((b) => a === b || a.transport.isReachable(b.id))), 'all links up')
    const expected = new Map<string, Message[]>(nodes.map((n) => [n.id, []]))
    for (const a of nodes) {
      for (const b of nodes) {
        if (a === b) continue
        for (const m of sampleMessages(a.id, b.id)) {
          a.transport.send(m)
          expected.get(b.id)?.push(m)
        }
      }
    }
    await waitFor(() => nodes.every((n) => n.inbox.length === expected.get(n.id)?.length), 'all messages delivered')
    for (const n of nodes) {
      for (const from of nodes) {
        if (from === n) continue
        assert.deepStrictEqual(n.inbox.filter((m) => m.from === from.id), expected.get(n.id)?.filter((m) => m.from === from.id))
      }
    }
    const s = peerStats(nodes[0]!, 'n2')
    assert.equal(s.connected, true)
    assert.equal(s.inboundConnected, true)
    assert.equal(s.sent, sampleMessages('n1', 'n2').length)
    assert.equal(s.received, sampleMessages('n2', 'n1').length)
    assert.equal(s.dropped, 0)
    assert.ok(s.lastContact !== null)
  })

  it('coalesces one turn of messages into one frame and keeps order', async () => {
    const [a, b] = [await start('a'), await start('b')]
    connectAll([a, b])
    await waitFor(() => a.transport.isReachable('b'), 'a → b up')
    for (let i = 0; i < 500; i++) a.transport.send(heartbeat('a', 'b', i))
    await waitFor(() => b.inbox.length === 500, '500 messages')
    assert.deepEqual(b.inbox.map((m) => (m as Extract<Message, {type: 'heartbeat'}>).round), [...Array(500).keys()])
    assert.equal(peerStats(a, 'b').framesSent, 1)
    assert.equal(peerStats(b, 'a').framesReceived, 1)
  })

  it('delivers arbitrary messages (property, over the wire)', async () => {
    const [a, b] = [await start('a'), await start('b')]
    connectAll([a, b])
    await waitFor(() => a.transport.isReachable('b'), 'a → b up')
    const samples = fc.sample(messageArb, 300).map((m) => ({...m, from: 'a', to: 'b'}) as Message)
    for (const m of samples) a.transport.send(m)
    await waitFor(() => b.inbox.length === samples.length, 'all samples')
    assert.deepStrictEqual(b.inbox, samples)
  })

  it('swallows a throwing onMessage and keeps delivering', async () => {
    let seen = 0
    const a = await start('a')
    const b = await start('b', {transport: {onMessage: () => {
      seen++
      throw new Error('consumer bug')
    }}})
    connectAll([a, b])
    await waitFor(() => a.transport.isReachable('b'), 'a → b up')
    a.transport.send(heartbeat('a', 'b', 1))
    await waitFor(() => seen === 1, 'first')
    a.transport.send(heartbeat('a', 'b', 2))
    await waitFor(() => seen === 2, 'second')
  })
})

/** A snapshot message from `from` to `to` with `size` bytes of data (a recognisable pattern). */
function bigSnapshot(from: string, to: string, size: number, term = 3): Extract<Message, {type: 'snapshot'}> {
  const data = new Uint8Array(size)
  for (let i = 0; i < size; i++) data[i] = (i * 31 + 7) & 0xff
  return {type: 'snapshot', from, to, term, snapshot: {meta: {index: 9, term: 2, conf: {voters: [from, to], learners: []}}, data}}
}

describe('PeerTransport: snapshots larger than a frame', () => {
  it('the default frame bound holds the largest append the core sends whole', () => {
    const entry = {term: 1, index: 1, type: 'normal' as const, data: new Uint8Array(Math.max(RAFT_DEFAULTS.maxAppendBytes, RAFT_DEFAULTS.maxProposalBytes))}
    const append = encodeMessage({type: 'append', from: 'x'.repeat(64), to: 'y'.repeat(64), term: 1, prevIndex: 0, prevTerm: 0, commit: 0, entries: [entry]})
    assert.ok(encodeFrame([append]).length <= DEFAULT_MAX_PAYLOAD_BYTES)
    assert.ok(DEFAULT_MAX_PAYLOAD_BYTES < 64 * 1024 * 1024)
  })

  it('a 5 MiB snapshot (over the 2 MiB default frame bound) arrives whole; messages sent after it pass it', async () => {
    const a = await start('a')
    const b = await start('b')
    connectAll([a, b])
    await waitFor(() => a.transport.isReachable('b'), 'a → b up')
    const snapshot = bigSnapshot('a', 'b', 5 * 1024 * 1024)
    assert.ok(snapshot.snapshot.data.byteLength > DEFAULT_MAX_PAYLOAD_BYTES)
    a.transport.send(heartbeat('a', 'b', 1))
    a.transport.send(snapshot)
    a.transport.send(heartbeat('a', 'b', 2))
    await waitFor(() => b.inbox.length === 3, 'heartbeat, heartbeat, snapshot', 15_000)
    assert.deepEqual(b.inbox.map((m) => m.type), ['heartbeat', 'heartbeat', 'snapshot'])
    assert.deepStrictEqual(b.inbox[2], snapshot)
    assert.equal(peerStats(a, 'b').snapshotsSent, 1)
    assert.equal(peerStats(a, 'b').snapshotInFlight, null)
    assert.equal(peerStats(a, 'b').droppedOversize, 0)
    assert.ok(peerStats(b, 'a').framesReceived >= 3, 'the snapshot took several frames')
  })

  it('chunks follow a small maxPayload; another snapshot while one is being sent is dropped and counted', async () => {
    const a = await start('a', {transport: {limits: {maxPayload: 4096, maxQueuedBytes: 60_000}}})
    const b = await start('b', {transport: {limits: {maxPayload: 4096}}})
    connectAll([a, b])
    await waitFor(() => a.transport.isReachable('b'), 'a → b up')
    a.transport.send(bigSnapshot('a', 'b', 50_000, 4))
    a.transport.send(bigSnapshot('a', 'b', 50_000, 5)) // one at a time: dropped while the first is being sent
    await waitFor(() => b.inbox.length === 1, 'the first snapshot')
    assert.deepStrictEqual(b.inbox[0], bigSnapshot('a', 'b', 50_000, 4))
    assert.equal(peerStats(a, 'b').droppedSnapshotInFlight, 1)
    assert.equal(peerStats(a, 'b').droppedQueueFull, 0)
    assert.ok(peerStats(b, 'a').framesReceived >= 13, 'at most one 4 KiB frame per chunk')
    await waitFor(() => a.transport.isReachable('b'), 'reachable after the queue drains')
    a.transport.send(heartbeat('a', 'b', 1))
    await waitFor(() => b.inbox.length === 2, 'the link still works')
  })
})

describe('PeerTransport: failures', () => {
  it('reconnects after a peer server restarts on the same port', async () => {
    const a = await start('a', {transport: {limits: {reconnectMinMs: 10, reconnectMaxMs: 50}}})
    let b = await start('b')
    const port = b.server.port
    connectAll([a, b])
    await waitFor(() => a.transport.isReachable('b'), 'a → b up')
    a.transport.send(heartbeat('a', 'b', 1))
    await waitFor(() => b.inbox.length === 1, 'first delivery')

    await b.close()
    started = started.filter((n) => n !== b)
    await waitFor(() => !a.transport.isReachable('b'), 'a notices b is gone')
    await waitFor(() => a.unreachable.includes('b'), 'onUnreachable(b)')
    a.transport.send(heartbeat('a', 'b', 2))
    assert.ok(peerStats(a, 'b').droppedDisconnected >= 1)

    b = await start('b', {port})
    await waitFor(() => a.transport.isReachable('b'), 'a reconnects to b')
    a.transport.send(heartbeat('a', 'b', 3))
    await waitFor(() => b.inbox.length === 1, 'delivery after restart')
    assert.equal((b.inbox[0] as Extract<Message, {type: 'heartbeat'}>).round, 3)
    assert.ok(peerStats(a, 'b').connects >= 2)
    await waitFor(() => a.reachable.filter((p) => p === 'b').length >= 2, 'onReachable(b) twice')
  })

  it('drops and reports unreachable when the message-count queue is full, then recovers', async () => {
    const a = await start('a', {transport: {limits: {maxQueuedMessages: 10}}})
    const b = await start('b')
    connectAll([a, b])
    await waitFor(() => a.transport.isReachable('b'), 'a → b up')
    for (let i = 0; i < 50; i++) a.transport.send(heartbeat('a', 'b', i))
    assert.equal(a.transport.isReachable('b'), false)
    assert.equal(peerStats(a, 'b').droppedQueueFull, 40)
    assert.equal(peerStats(a, 'b').queued, 10)
    await waitFor(() => a.unreachable.includes('b'), 'onUnreachable(b)')
    await waitFor(() => b.inbox.length === 10, 'the 10 queued messages')
    await waitFor(() => a.transport.isReachable('b'), 'reachable after the queue drains')
    assert.deepEqual(a.unreachable, ['b'])
  })

  it('bounds queued bytes too', async () => {
    const a = await start('a', {transport: {limits: {maxQueuedBytes: 1000}}})
    const b = await start('b')
    connectAll([a, b])
    await waitFor(() => a.transport.isReachable('b'), 'a → b up')
    const snap = (i: number): Message => ({type: 'snapshot', from: 'a', to: 'b', term: i, snapshot: {meta: {index: 1, term: 1, conf: {voters: [], learners: []}}, data: new Uint8Array(250)}})
    for (let i = 1; i <= 5; i++) a.transport.send(snap(i))
    assert.equal(peerStats(a, 'b').droppedQueueFull, 2)
    assert.ok(peerStats(a, 'b').queuedBytes <= 1000)
    await waitFor(() => b.inbox.length === 3, 'three snapshots')
  })

  it('drops oversized messages without breaking the link', async () => {
    const a = await start('a', {transport: {limits: {maxPayload: 1024, maxSnapshotBytes: 4096}}})
    const b = await start('b')
    connectAll([a, b])
    await waitFor(() => a.transport.isReachable('b'), 'a → b up')
    const entry = {term: 1, index: 1, type: 'normal' as const, data: new Uint8Array(2000)}
    a.transport.send({type: 'append', from: 'a', to: 'b', term: 1, prevIndex: 0, prevTerm: 0, commit: 0, entries: [entry]})
    a.transport.send({type: 'snapshot', from: 'a', to: 'b', term: 1, snapshot: {meta: {index: 1, term: 1, conf: {voters: [], learners: []}}, data: new Uint8Array(5000)}})
    a.transport.send(heartbeat('a', 'b', 1))
    await waitFor(() => b.inbox.length === 1, 'the heartbeat')
    assert.equal(peerStats(a, 'b').droppedOversize, 2, 'an append over maxPayload and a snapshot over maxSnapshotBytes')
    assert.equal(peerStats(a, 'b').connects, 1)
  })

  it('counts messages to unknown peers, from another node, or invalid', async () => {
    const a = await start('a')
    a.transport.setPeer('b', 'ws://127.0.0.1:9') // never reachable
    a.transport.send(heartbeat('a', 'zz', 1))
    a.transport.send(heartbeat('x', 'b', 1))
    a.transport.send({...heartbeat('a', 'b', 1), term: -1})
    const stats = a.transport.stats()
    assert.equal(stats.droppedNoRoute, 1)
    assert.equal(stats.droppedInvalid, 2)
  })

  it('terminates a connection whose peer stops answering pings, and redials', async () => {
    const fake = new WebSocketServer({host: '127.0.0.1', port: 0, autoPong: false})
    let connections = 0
    fake.on('connection', (ws) => {
      connections++
      ws.on('error', () => {})
    })
    await new Promise((resolve) => fake.once('listening', resolve))
    const port = (fake.address() as {port: number}).port
    const transport = new PeerTransport({
      self: 'a', secret: SECRET, onMessage: () => {},
      peers: new Map([['b', `ws://127.0.0.1:${port}`]]),
      limits: {pingIntervalMs: 30, reconnectMinMs: 10, reconnectMaxMs: 20},
    })
    try {
      await waitFor(() => connections >= 2, 'a second connection after missed pongs')
      assert.match(transport.stats().peers[0]?.lastError ?? '', /missed 2 pongs/)
    } finally {
      await transport.close()
      for (const ws of fake.clients) ws.terminate()
      await new Promise((resolve) => fake.close(resolve))
    }
  })

  it('follows membership changes: setPeer with a new URL, removePeer', async () => {
    const a = await start('a')
    const b1 = await start('b')
    const b2 = await start('b')
    a.transport.setPeer('b', b1.server.url())
    await waitFor(() => a.transport.isReachable('b'), 'a → b1')
    a.transport.setPeer('b', b2.server.url())
    a.transport.send(heartbeat('a', 'b', 1)) // may be dropped while redialling
    await waitFor(() => a.transport.isReachable('b'), 'a → b2')
    a.transport.send(heartbeat('a', 'b', 2))
    await waitFor(() => b2.inbox.some((m) => (m as Extract<Message, {type: 'heartbeat'}>).round === 2), 'delivery to b2')
    assert.equal(b1.inbox.filter((m) => (m as Extract<Message, {type: 'heartbeat'}>).round === 2).length, 0)
    a.transport.removePeer('b')
    assert.equal(a.transport.isReachable('b'), false)
    assert.equal(a.transport.peers().size, 0)
    a.transport.send(heartbeat('a', 'b', 3))
    assert.equal(a.transport.stats().droppedNoRoute, 1)
  })
})

describe('PeerTransport: hostile inbound', () => {
  it('refuses a bad hello before the upgrade', async () => {
    const b = await start('b')
    const url = b.server.url('/raft')
    const cases: [Record<string, string>, number][] = [
      [{authorization: `Bearer ${SECRET}`}, 400],
      [helloHeaders('a', 'c'), 421],
      [helloHeaders('b', 'b'), 400],
      [{...helloHeaders('a', 'b'), 'x-raftctl-node': '%E0%A4%A'}, 400],
      [{...helloHeaders('a', 'b'), 'x-raftctl-node': 'x'.repeat(65)}, 400],
      [helloHeaders('a', 'b', 'wrong'), 401],
    ]
    for (const [headers, status] of cases) {
      const result = await dial(url, {headers})
      assert.equal(result.kind === 'refused' && result.status, status, JSON.stringify(headers))
    }
    assert.equal(b.transport.stats().peers.length, 0)
  })

  it('closes on malformed frames (1007), text frames and spoofed senders (1008), and counts them', async () => {
    const b = await start('b')
    const url = b.server.url('/raft')
    const send = async (data: Uint8Array | string): Promise<number> => {
      const result = await dial(url, {headers: helloHeaders('a', 'b')})
      assert.equal(result.kind, 'open')
      if (result.kind !== 'open') return -1
      const code = closeCode(result.ws)
      result.ws.send(data)
      return code
    }
    assert.equal(await send(Uint8Array.from([1, 2, 3])), 1007)
    assert.equal(await send('hello'), 1008)
    assert.equal(await send(encodeMessages([heartbeat('mallory', 'b', 1)])), 1008)
    assert.equal(await send(encodeMessages([heartbeat('a', 'c', 1)])), 1008)
    assert.equal(b.inbox.length, 0)
    await waitFor(() => b.transport.stats().peers.length === 0, 'inbound-only stats forgotten')
  })

  it('oversized frame closes with 1009; the server stays up and a valid peer works', async () => {
    const b = await start('b', {transport: {limits: {maxPayload: 1024}}})
    const result = await dial(b.server.url('/raft'), {headers: helloHeaders('a', 'b')})
    assert.equal(result.kind, 'open')
    if (result.kind !== 'open') return
    const code = closeCode(result.ws)
    result.ws.send(new Uint8Array(4096))
    assert.equal(await code, 1009)
    const a = await start('a')
    a.transport.setPeer('b', b.server.url())
    await waitFor(() => a.transport.isReachable('b'), 'a → b up')
    a.transport.send(heartbeat('a', 'b', 1))
    await waitFor(() => b.inbox.length === 1, 'valid delivery after the oversized frame')
  })

  it('an authenticated peer\'s frame over the default bound (3 MiB) closes its connection with 1009 unread', async () => {
    const b = await start('b')
    const result = await dial(b.server.url('/raft'), {headers: helloHeaders('a', 'b')})
    assert.equal(result.kind, 'open')
    if (result.kind !== 'open') return
    const code = closeCode(result.ws)
    result.ws.send(new Uint8Array(3 * 1024 * 1024))
    assert.equal(await code, 1009)
    assert.equal(b.inbox.length, 0)
  })

  it('refuses bad chunk streams with 1008: oversized, out of order, not a snapshot; a message between chunks is delivered', async () => {
    const b = await start('b', {transport: {limits: {maxPayload: 4096, maxSnapshotBytes: 8192}}})
    const url = b.server.url('/raft')
    const send = async (...frames: Uint8Array[]): Promise<number> => {
      const result = await dial(url, {headers: helloHeaders('a', 'b')})
      assert.equal(result.kind, 'open')
      if (result.kind !== 'open') return -1
      const code = closeCode(result.ws)
      for (const frame of frames) result.ws.send(frame)
      return code
    }
    const chunk = (total: number, offset: number, length: number, from = 'a') => encodeFrame([encodeChunk({from, to: 'b', total, offset, data: new Uint8Array(length)})])
    const whole = encodeMessage(bigSnapshot('a', 'b', 6000))
    const piece = (offset: number, end: number) => encodeFrame([encodeChunk({from: 'a', to: 'b', total: whole.length, offset, data: whole.subarray(offset, end)})])
    assert.equal(await send(chunk(9000, 0, 100)), 1008, 'announces more than maxSnapshotBytes')
    assert.equal(await send(chunk(5000, 100, 100)), 1008, 'does not start at 0')
    assert.equal(await send(piece(0, 3000), piece(3001, whole.length)), 1008, 'a gap')
    assert.equal(await send(chunk(5000, 0, 100, 'mallory')), 1008, 'spoofed sender')
    const append = encodeMessage({type: 'append', from: 'a', to: 'b', term: 1, prevIndex: 0, prevTerm: 0, commit: 0, entries: [{term: 1, index: 1, type: 'normal', data: new Uint8Array(5000)}]})
    const asChunks = [encodeChunk({from: 'a', to: 'b', total: append.length, offset: 0, data: append.subarray(0, 3000)}), encodeChunk({from: 'a', to: 'b', total: append.length, offset: 3000, data: append.subarray(3000)})]
    assert.equal(await send(encodeFrame([asChunks[0]!]), encodeFrame([asChunks[1]!])), 1008, 'chunks of an append')
    assert.equal(b.inbox.length, 0)
    const good = await dial(url, {headers: helloHeaders('a', 'b')})
    assert.equal(good.kind, 'open')
    if (good.kind !== 'open') return
    for (const frame of [piece(0, 3000), encodeMessages([heartbeat('a', 'b', 1)]), piece(3000, whole.length)]) good.ws.send(frame)
    await waitFor(() => b.inbox.length === 2, 'a heartbeat between the chunks, then the snapshot')
    assert.deepStrictEqual(b.inbox, [heartbeat('a', 'b', 1), bigSnapshot('a', 'b', 6000)])
    good.ws.terminate()
  })

  it('10,000 random frames: the server stays up and a valid peer still works', async () => {
    const b = await start('b')
    b.transport.setPeer('m', 'ws://127.0.0.1:9') // configured, so its counters persist across connections
    const url = b.server.url('/raft')
    const valid = encodeMessages([heartbeat('m', 'b', 7)])
    const frames = fc.sample(fc.oneof(
      fc.uint8Array({maxLength: 200}),
      fc.constant(valid),
      fc.tuple(fc.nat(valid.length - 1), fc.integer({min: 0, max: 255})).map(([at, v]) => {
        const bytes = valid.slice()
        bytes[at] = v
        return bytes
      }),
      fc.array(messageArb, {minLength: 1, maxLength: 3}).map((ms) => encodeMessages(ms.map((m) => ({...m, from: 'm', to: 'b'}) as Message))),
    ), {numRuns: 10_000, seed: 42})
    const perConnection = 20
    let sent = 0
    const batches: Uint8Array[][] = []
    for (let i = 0; i < frames.length; i += perConnection) batches.push(frames.slice(i, i + perConnection))
    const concurrency = 1 // concurrent connections from one hello id would replace each other
    for (let i = 0; i < batches.length; i += concurrency) {
      await Promise.all(batches.slice(i, i + concurrency).map(async (batch) => {
        const result = await dial(url, {headers: helloHeaders('m', 'b')})
        assert.equal(result.kind, 'open')
        if (result.kind !== 'open') return
        const code = closeCode(result.ws)
        for (const frame of batch) {
          result.ws.send(frame)
          sent++
        }
        result.ws.send(randomBytes(3)) // always end with garbage so the server closes
        await code
      }))
    }
    assert.equal(sent, 10_000)
    const stats = peerStats(b, 'm')
    assert.ok(stats.malformedFrames >= batches.length, `malformed ${stats.malformedFrames}`)
    assert.ok(stats.framesReceived > 0)
    const a = await start('a')
    a.transport.setPeer('b', b.server.url())
    await waitFor(() => a.transport.isReachable('b'), 'a → b up')
    const before = b.inbox.length
    a.transport.send(heartbeat('a', 'b', 123456))
    await waitFor(() => b.inbox.length === before + 1, 'valid delivery after the storm')
    assert.deepStrictEqual(b.inbox.at(-1), heartbeat('a', 'b', 123456))
  })
})

describe('PeerTransport: helpers and lifecycle', () => {
  it('backoff grows exponentially with jitter, within [min, max]', () => {
    const top = (): number => 1 - 1e-9
    assert.equal(backoffDelay(1, 50, 2000, top), 50)
    assert.equal(backoffDelay(2, 50, 2000, () => 0), 50)
    assert.equal(backoffDelay(3, 50, 2000, top), 200)
    assert.equal(backoffDelay(30, 50, 2000, top), 2000)
    assert.equal(backoffDelay(30, 50, 2000, () => 0), 1000)
    assert.equal(backoffDelay(1000, 50, 2000, () => 0.5), 1500)
  })

  it('normalises peer URLs', () => {
    assert.equal(normalizePeerUrl('ws://127.0.0.1:7001'), 'ws://127.0.0.1:7001/raft')
    assert.equal(normalizePeerUrl('https://h:1/'), 'wss://h:1/raft')
    assert.equal(normalizePeerUrl('ws://h:1/custom'), 'ws://h:1/custom')
    assert.throws(() => normalizePeerUrl('ftp://h'), TypeError)
    assert.throws(() => normalizePeerUrl('nope'), TypeError)
  })

  it('validates its options', () => {
    const base = {self: 'a', secret: SECRET, onMessage: () => {}}
    assert.throws(() => new PeerTransport({...base, self: ''}), TypeError)
    assert.throws(() => new PeerTransport({...base, secret: ''}), TypeError)
    assert.throws(() => new PeerTransport({...base, limits: {maxQueuedMessages: 0}}), RangeError)
    assert.throws(() => new PeerTransport({...base, limits: {reconnectMinMs: 10, reconnectMaxMs: 5}}), RangeError)
  })

  it('close() is idempotent, stops sending and unregisters /raft', async () => {
    const [a, b] = [await start('a'), await start('b')]
    connectAll([a, b])
    await waitFor(() => a.transport.isReachable('b') && b.transport.isReachable('a'), 'links up')
    await Promise.all([b.transport.close(), b.transport.close()])
    b.transport.send(heartbeat('b', 'a', 1))
    const result = await dial(b.server.url('/raft'), {headers: helloHeaders('a', 'b')})
    assert.equal(result.kind === 'refused' && result.status, 404)
    await waitFor(() => !a.transport.isReachable('b'), 'a sees b gone')
  })
})

after(async () => {
  await Promise.all(started.map((n) => n.close()))
})
