/**
 * Sending a snapshot larger than a frame, on real sockets: flow control (at most a window of its
 * chunks in flight), other messages passing it, one snapshot at a time per peer (a re-send while
 * one is in flight is dropped before it is encoded, and counted), and a connection cut in the
 * middle (through a TCP relay the test owns) ending the send so that the next attempt goes
 * through whole, and a link slow in one direction keeping its connection through a snapshot.
 * Order-based: no assertion on wall-clock time.
 */
import assert from 'node:assert/strict'
import {unlinkSync, writeFileSync} from 'node:fs'
import {createServer, connect, type Server, type Socket} from 'node:net'
import {join} from 'node:path'
import {afterEach, describe, it} from 'node:test'
import type {Message} from '../../src/raft/types.js'
import {snapshotBytes} from '../../src/replica/snapshot-data.js'
import {SnapshotFileData} from '../../src/storage/snapshot-file-data.js'
import {decodeMessage, decodeMessageInPlace, encodeMessage, encodeSnapshotHead} from '../../src/transport/codec.js'
import {startNode, waitFor} from './helpers.js'
import type {TestNode} from './helpers.js'
import {testTempDir} from '../helpers.js'

type SnapshotMessage = Extract<Message, {type: 'snapshot'}>

const heartbeat = (round: number): Message => ({type: 'heartbeat', from: 'a', to: 'b', term: 3, commit: 0, round})

/** A snapshot from a to b with `size` bytes of recognisable data. */
function snapshot(size: number, index = 9, term = 3): SnapshotMessage {
  const data = new Uint8Array(size)
  for (let i = 0; i < size; i++) data[i] = (i * 31 + index) & 0xff
  return {type: 'snapshot', from: 'a', to: 'b', term, snapshot: {meta: {index, term: 2, conf: {voters: ['a', 'b'], learners: []}}, data}}
}

/**
 * A snapshot larger than what the kernel's socket buffers on loopback can absorb (a few MiB each
 * way) while the relay holds it: the sender's window then fills with most of it still unsent.
 */
const SLOW_SNAPSHOT_BYTES = 24 * 1024 * 1024

/** Small frames and a small window so that a snapshot of a few hundred KiB takes many chunks and windows. */
const LIMITS = {maxPayload: 4096, snapshotWindowBytes: 16 * 1024}

let started: TestNode[] = []
let relays: Server[] = []
/** a's onSnapshotProgress calls: [peer, index]. */
let progress: [string, number][] = []

afterEach(async () => {
  await Promise.all(started.map((n) => n.close()))
  await Promise.all(relays.map((r) => new Promise((resolve) => r.close(resolve))))
  started = []
  relays = []
  progress = []
})

async function pair(): Promise<[TestNode, TestNode]> {
  const a = await startNode('a', {transport: {limits: LIMITS, onSnapshotProgress: (peer, index) => progress.push([peer, index])}})
  const b = await startNode('b', {transport: {limits: LIMITS}})
  started.push(a, b)
  return [a, b]
}

function stats(node: TestNode, peer: string) {
  const found = node.transport.stats().peers.find((p) => p.id === peer)
  assert.ok(found, `no stats for ${peer}`)
  return found
}

/** A TCP relay between a and b. */
interface Relay {
  readonly port: number
  /** Stop reading from a (a's socket buffers fill up, then its window). */
  hold(): void
  /** Read again. */
  release(): void
  /** Destroy every connection through the relay (new ones still work). */
  cut(): void
}

/** A {@link Relay} on 127.0.0.1 to `port`. */
async function relay(port: number): Promise<Relay> {
  const sockets = new Set<Socket>()
  const fromA = new Map<Socket, Socket>()
  let held = false
  const server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1')
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
      s.on('error', () => undefined)
    }
    fromA.set(client, upstream)
    client.on('close', () => fromA.delete(client))
    if (!held) client.pipe(upstream)
    upstream.pipe(client)
  })
  const listening = await listenRelay(server)
  return {
    port: listening,
    hold: () => {
      held = true
      for (const client of fromA.keys()) client.unpipe().pause()
    },
    release: () => {
      held = false
      for (const [client, upstream] of fromA) client.pipe(upstream)
    },
    cut: () => sockets.forEach((s) => s.destroy()),
  }
}

/**
 * A relay on 127.0.0.1 to `port` that forwards a's bytes at about `bytesPerSecond` (b's bytes at
 * full speed): a slow link in one direction.
 */
async function slowRelay(port: number, bytesPerSecond: number): Promise<number> {
  const server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1')
    for (const s of [client, upstream]) s.on('error', () => undefined)
    client.on('data', (data) => {
      upstream.write(data)
      client.pause()
      setTimeout(() => client.resume(), (data.length / bytesPerSecond) * 1000)
    })
    upstream.pipe(client)
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
  })
  return listenRelay(server)
}

/** Listen on 127.0.0.1, a free port (returned); the server is closed after the test. */
async function listenRelay(server: Server): Promise<number> {
  relays.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  assert.ok(address !== null && typeof address === 'object')
  return address.port
}

/** a and b joined directly, the link up. */
async function connectedPair(): Promise<[TestNode, TestNode]> {
  const [a, b] = await pair()
  a.transport.setPeer('b', b.server.url())
  await waitFor(() => a.transport.isReachable('b'), 'a → b up')
  return [a, b]
}

/** a and b joined through a relay, the link up. */
async function relayedPair(): Promise<[TestNode, TestNode, Relay]> {
  const [a, b] = await pair()
  const proxy = await relay(b.server.port)
  a.transport.setPeer('b', `ws://127.0.0.1:${proxy.port}/raft`)
  await waitFor(() => a.transport.isReachable('b'), 'a → b up')
  return [a, b, proxy]
}

/** Send `message` to a held relay until a's window is full: the rest of the snapshot waits in a. */
async function sendUntilWindowFull(a: TestNode, proxy: Relay, message: SnapshotMessage): Promise<void> {
  proxy.hold()
  a.transport.send(message)
  await waitFor(() => stats(a, 'b').queuedBytes >= LIMITS.snapshotWindowBytes, 'the window full')
  const sending = stats(a, 'b').snapshotInFlight
  assert.ok(sending !== null && sending.sentBytes < sending.totalBytes, 'part of the snapshot is still to send')
}

describe('PeerTransport: sending a snapshot in chunks', () => {
  it('the head and the data make exactly the encoded message', () => {
    const message = snapshot(1000)
    const head = encodeSnapshotHead(message)
    assert.deepStrictEqual(Buffer.concat([head, snapshotBytes(message.snapshot.data)]), Buffer.from(encodeMessage(message)))
    assert.throws(() => encodeSnapshotHead(message, {maxBytes: 900}), /PAYLOAD_TOO_LARGE|over the 900-byte limit/)
  })

  it('a reassembled snapshot decodes in place: the same message, its data a view of the buffer', () => {
    const message = snapshot(1000)
    const bytes = encodeMessage(message).slice()
    const decoded = decodeMessageInPlace(bytes)
    assert.deepStrictEqual(decoded, decodeMessage(bytes))
    assert.ok(decoded.type === 'snapshot' && snapshotBytes(decoded.snapshot.data).buffer === bytes.buffer, 'no copy of the data')
  })

  it('a snapshot many windows long arrives intact, with never more than a window of its chunks queued', async () => {
    const [a, b] = await connectedPair()
    const message = snapshot(400_000)
    a.transport.send(message)
    a.transport.flush()
    let most = stats(a, 'b').queuedBytes
    const frameBound = LIMITS.snapshotWindowBytes + LIMITS.maxPayload
    assert.ok(most > 0 && most <= frameBound, `queued ${most} bytes at once, window ${LIMITS.snapshotWindowBytes}`)
    while (b.inbox.length === 0) {
      most = Math.max(most, stats(a, 'b').queuedBytes)
      await new Promise((resolve) => setImmediate(resolve))
    }
    assert.ok(most <= frameBound, `queued ${most} bytes at once, window ${LIMITS.snapshotWindowBytes}`)
    assert.deepStrictEqual(b.inbox, [message])
    assert.equal(stats(a, 'b').snapshotsSent, 1)
    assert.ok(stats(b, 'a').framesReceived >= 100, 'one frame per chunk of under 4 KiB')
    assert.ok(progress.length >= 100 && progress.every(([peer, index]) => peer === 'b' && index === 9), 'each chunk written is reported with the snapshot\'s index')
  })

  it('a snapshot kept as a file arrives intact over many windows, read from the file as the window drains, even once the file is deleted', async (t) => {
    const [a, b] = await connectedPair()
    const message = snapshot(400_000)
    const bytes = snapshotBytes(message.snapshot.data)
    const path = join(testTempDir(t), 'snap')
    writeFileSync(path, Buffer.concat([Buffer.from('frame-head'), bytes, Buffer.from('crc!')]))
    const fromFile: SnapshotMessage = {...message, snapshot: {meta: message.snapshot.meta, data: new SnapshotFileData(path, 10, bytes.length)}}
    a.transport.send(fromFile)
    a.transport.flush()
    let most = 0
    let deleted = false
    while (b.inbox.length === 0) {
      most = Math.max(most, stats(a, 'b').queuedBytes)
      if (!deleted && progress.length > 0) {
        unlinkSync(path) // a newer snapshot replaced it: the send holds the file open
        deleted = true
      }
      await new Promise((resolve) => setImmediate(resolve))
    }
    const frameBound = LIMITS.snapshotWindowBytes + LIMITS.maxPayload
    assert.ok(most <= frameBound, `queued ${most} bytes at once, window ${LIMITS.snapshotWindowBytes}`)
    assert.ok(deleted, 'the file was deleted while the snapshot was on its way')
    assert.deepStrictEqual(b.inbox, [message], 'the same message as if the bytes had been in memory')
    assert.equal(stats(a, 'b').snapshotsSent, 1)
    assert.ok(stats(b, 'a').framesReceived >= 100, 'one frame per chunk of under 4 KiB')
  })

  it('a snapshot whose file is gone is not sent (counted as dropped); the next one goes out', async (t) => {
    const [a, b] = await connectedPair()
    const gone: SnapshotMessage = {...snapshot(10), snapshot: {meta: snapshot(10).snapshot.meta, data: new SnapshotFileData(join(testTempDir(t), 'missing'), 0, 50_000)}}
    a.transport.send(gone)
    await waitFor(() => stats(a, 'b').snapshotInFlight === null, 'the send abandoned')
    const next = snapshot(50_000, 12)
    a.transport.send(next)
    await waitFor(() => b.inbox.length > 0, 'the next snapshot arrives')
    assert.deepStrictEqual(b.inbox, [next])
    assert.equal(stats(a, 'b').snapshotsSent, 1)
  })

  it('heartbeats sent while the snapshot is on its way are delivered before it', async () => {
    const [a, b, proxy] = await relayedPair()
    const message = snapshot(SLOW_SNAPSHOT_BYTES)
    await sendUntilWindowFull(a, proxy, message)
    a.transport.send(heartbeat(1))
    proxy.release()
    await waitFor(() => b.inbox.length >= 1, 'the heartbeat')
    assert.deepStrictEqual(b.inbox, [heartbeat(1)], 'the heartbeat passed the snapshot')
    a.transport.send(heartbeat(2))
    await waitFor(() => b.inbox.length === 3, 'the second heartbeat and the snapshot')
    assert.deepStrictEqual(b.inbox.map((m) => m.type), ['heartbeat', 'heartbeat', 'snapshot'])
    assert.deepStrictEqual(b.inbox[2], message)
  })

  it('a re-send of the snapshot in flight is dropped and counted; after it arrived, the next send goes out', async () => {
    const [a, b] = await connectedPair()
    const message = snapshot(300_000)
    a.transport.send(message)
    a.transport.send(message)
    a.transport.send(snapshot(300_000)) // the core's re-send: the same snapshot, a new object
    a.transport.send(snapshot(300_000, 10)) // a newer one waits for the core's next try
    assert.equal(stats(a, 'b').droppedSnapshotInFlight, 3)
    assert.ok(stats(a, 'b').queuedBytes <= LIMITS.snapshotWindowBytes + LIMITS.maxPayload, 'no copy was queued')
    await waitFor(() => b.inbox.length === 1, 'the snapshot')
    assert.deepStrictEqual(b.inbox, [message])
    await waitFor(() => stats(a, 'b').snapshotInFlight === null, 'the send ended')
    a.transport.send(snapshot(300_000, 10))
    await waitFor(() => b.inbox.length === 2, 'the next snapshot')
    assert.deepStrictEqual(b.inbox[1], snapshot(300_000, 10))
    assert.equal(stats(a, 'b').droppedSnapshotInFlight, 3)
    assert.equal(stats(a, 'b').dropped, 0, 'not counted as lost')
  })

  it('a connection cut in the middle ends the send: nothing half-arrived is delivered, and the next attempt arrives whole', async () => {
    const [a, b, proxy] = await relayedPair()
    const message = snapshot(SLOW_SNAPSHOT_BYTES)
    await sendUntilWindowFull(a, proxy, message)
    proxy.cut()
    proxy.release()
    await waitFor(() => a.unreachable.includes('b'), 'a notices the cut')
    assert.equal(stats(a, 'b').snapshotInFlight, null, 'the send ended with the connection')
    await waitFor(() => a.transport.isReachable('b'), 'a redialled b')
    a.transport.send(message)
    await waitFor(() => b.inbox.length === 1, 'the snapshot')
    assert.deepStrictEqual(b.inbox, [message])
    assert.equal(stats(a, 'b').snapshotsSent, 1)
  })

  it('a message dropped (queue full) while a snapshot is on its way: the peer is reachable again at the next chunk written, not only once the snapshot has left', async () => {
    // Status shows `reachable` from isReachable: before, one drop left the peer unreachable for
    // the rest of a long snapshot send (onDrained waits for the send to end).
    const seen: {reachable: boolean; sending: boolean}[] = []
    const a: TestNode = await startNode('a', {transport: {
      limits: {...LIMITS, maxQueuedMessages: 64},
      onSnapshotProgress: () => seen.push({reachable: a.transport.isReachable('b'), sending: stats(a, 'b').snapshotInFlight !== null}),
    }})
    const b = await startNode('b', {transport: {limits: LIMITS}})
    started.push(a, b)
    const proxy = await relay(b.server.port)
    a.transport.setPeer('b', `ws://127.0.0.1:${proxy.port}/raft`)
    await waitFor(() => a.transport.isReachable('b'), 'a → b up')
    const message = snapshot(SLOW_SNAPSHOT_BYTES)
    await sendUntilWindowFull(a, proxy, message)
    for (let round = 1; stats(a, 'b').droppedQueueFull === 0 && round <= 1000; round++) a.transport.send(heartbeat(round))
    assert.ok(stats(a, 'b').droppedQueueFull > 0, 'a heartbeat was dropped: the queue is full')
    assert.equal(a.transport.isReachable('b'), false, 'a drop marks the peer unreachable')
    seen.length = 0
    proxy.release()
    await waitFor(() => b.inbox.some((m) => m.type === 'snapshot'), 'the snapshot')
    assert.deepStrictEqual(b.inbox.find((m) => m.type === 'snapshot'), message)
    const during = seen.filter((s) => s.sending)
    assert.ok(during.length > 0, 'chunks were written while the snapshot was still on its way')
    assert.ok(during.some((s) => s.reachable), `reachable while the snapshot was still being sent (${during.length} chunks written meanwhile, none reachable)`)
    assert.equal(a.transport.isReachable('b'), true)
  })

  it('a slow link: the snapshot arrives on the first connection, though a\'s pings wait behind it for longer than the pong tolerance', async () => {
    // Pong tolerance 4 × 250 ms; the snapshot, all of it in the socket buffers at once, drains
    // at 300 KB/s for about 7 s: a's own pings reach b only after it. b's pings reach a the other
    // way; before a counted them, a cut the connection after 1 s and the snapshot never arrived.
    const limits = {...LIMITS, pingIntervalMs: 250, maxMissedPongs: 4}
    const a = await startNode('a', {transport: {limits}})
    const b = await startNode('b', {transport: {limits}})
    started.push(a, b)
    const port = await slowRelay(b.server.port, 300_000)
    a.transport.setPeer('b', `ws://127.0.0.1:${port}/raft`)
    await waitFor(() => a.transport.isReachable('b'), 'a → b up')
    const message = snapshot(2 * 1024 * 1024)
    a.transport.send(message)
    await waitFor(() => b.inbox.length === 1 || stats(a, 'b').connects > 1, 'the snapshot, or a second connection', 60_000)
    assert.equal(stats(a, 'b').connects, 1, `the link was cut mid-snapshot: ${stats(a, 'b').lastError}`)
    assert.deepStrictEqual(b.inbox, [message])
  })
})
