/**
 * Receiving a chunked snapshot into a file (issue 19): with a FileStorage's sink the transport
 * streams the data to a temp file in the snapshot folder and delivers a handle on it, never the
 * bytes; the file is the snapshot file format, and installing it is a rename. A corrupt transfer
 * is refused (nothing delivered, the file removed, the connection closed 1007); a sender that goes
 * away mid-transfer leaves no file; a crash mid-transfer leaves nothing recovery would install.
 * Real sockets on 127.0.0.1 and real files. Order-based: no assertion on wall-clock time.
 */
import assert from 'node:assert/strict'
import {existsSync, readdirSync} from 'node:fs'
import {createServer, connect, type AddressInfo, type Server, type Socket} from 'node:net'
import {join} from 'node:path'
import {afterEach, describe, it} from 'node:test'
import {KvStateMachine, SnapshotChecksum, encodeCommand} from '../../src/kv/index.js'
import type {Message} from '../../src/raft/types.js'
import {isSnapshotSource, openSnapshotData, type SnapshotDataReader, type SnapshotSink} from '../../src/replica/snapshot-data.js'
import {FileStorage} from '../../src/storage/file-storage.js'
import {nodeFs} from '../../src/storage/fs-ops.js'
import {readSnapshotFile} from '../../src/storage/snapshot-file.js'
import {ReceivedSnapshotFile} from '../../src/storage/snapshot-receive.js'
import {startNode, waitFor} from './helpers.js'
import {silentLogger} from '../../src/transport/logger.js'
import type {TestNode} from './helpers.js'
import {testTempDir} from '../helpers.js'

type SnapshotMessage = Extract<Message, {type: 'snapshot'}>

/** Small frames so that a snapshot of a few hundred KiB takes many chunks. */
const LIMITS = {maxPayload: 16 * 1024, snapshotWindowBytes: 64 * 1024}

let started: TestNode[] = []
let stores: FileStorage[] = []
let relays: Server[] = []

afterEach(async () => {
  await Promise.all(started.map((n) => n.close()))
  await Promise.all(relays.map((r) => new Promise((resolve) => r.close(resolve))))
  for (const s of stores) s.close()
  started = []
  stores = []
  relays = []
})

/** A real KV snapshot of `keys` keys (so the KV checksum of the sink's check holds). */
function kvSnapshot(keys: number): Uint8Array {
  const sm = new KvStateMachine()
  for (let i = 1; i <= keys; i++) sm.apply(i, encodeCommand({op: 'put', key: `key-${i}`, value: `value-${i}-${'x'.repeat(40)}`}))
  return sm.snapshot()
}

function message(data: Uint8Array, index = 40, term = 3): SnapshotMessage {
  return {type: 'snapshot', from: 'a', to: 'b', term, snapshot: {meta: {index, term: 2, conf: {voters: ['a', 'b'], learners: []}}, data}}
}

/** b's storage (loaded) in a temp folder, and its snapshot folder. */
function storage(t: {after: (fn: () => void) => void}): {store: FileStorage; snapDir: string} {
  const dir = testTempDir(t, 'raftctl-snaprecv-')
  const store = new FileStorage({dir})
  store.load()
  stores.push(store)
  return {store, snapDir: join(dir, 'snapshots')}
}

/** a and b, b receiving snapshots into `store`; the link a → b up. */
async function pair(store: FileStorage): Promise<[TestNode, TestNode]> {
  const a = await startNode('a', {transport: {limits: LIMITS}})
  const b = await startNode('b', {transport: {limits: LIMITS, receiveSnapshot: (meta, n) => store.openSnapshotReceive(meta, n, new SnapshotChecksum(n))}})
  started.push(a, b)
  a.transport.setPeer('b', b.server.url())
  await waitFor(() => a.transport.isReachable('b'), 'a → b up')
  return [a, b]
}

function readAll(data: SnapshotMessage['snapshot']['data']): Promise<Uint8Array> {
  return new Promise((resolve, reject) => openSnapshotData(data, (err, reader: SnapshotDataReader | null) => {
    if (err !== null || reader === null) return reject(err)
    reader.read(0, reader.byteLength, (readErr, bytes) => {
      reader.close()
      if (readErr !== null || bytes === null) reject(readErr)
      else resolve(Uint8Array.from(bytes))
    })
  }))
}

/** A TCP relay on 127.0.0.1 to `port`: `hold` stops forwarding a's bytes, `cut` destroys every connection. */
async function relay(port: number): Promise<{port: number; hold(): void; cut(): void}> {
  const sockets = new Set<Socket>()
  const clients = new Set<Socket>()
  const server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1')
    for (const sock of [client, upstream]) {
      sockets.add(sock)
      sock.on('close', () => sockets.delete(sock))
      sock.on('error', () => undefined)
    }
    clients.add(client)
    client.pipe(upstream)
    upstream.pipe(client)
  })
  relays.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address() as AddressInfo
  return {
    port: address.port,
    hold: () => clients.forEach((client) => client.unpipe().pause()),
    cut: () => sockets.forEach((sock) => sock.destroy()),
  }
}

const temps = (dir: string): string[] => readdirSync(dir).filter((name) => name.endsWith('.tmp'))

describe('PeerTransport: receiving a snapshot into a file', () => {
  it('the data stream to a temp file and the message carries a handle on it, not the bytes; installing renames it into place', async (t) => {
    const {store, snapDir} = storage(t)
    const [a, b] = await pair(store)
    const data = kvSnapshot(3000)
    assert.ok(data.length > 10 * LIMITS.maxPayload, 'many chunks')
    a.transport.send(message(data))
    await waitFor(() => b.inbox.length === 1, 'the snapshot')
    const [got] = b.inbox
    assert.equal(got!.type, 'snapshot')
    const received = (got as SnapshotMessage).snapshot.data
    assert.ok(!(received instanceof Uint8Array) && isSnapshotSource(received) && received instanceof ReceivedSnapshotFile, 'a file handle, not bytes in memory')
    assert.equal(received.byteLength, data.length)
    assert.deepStrictEqual((got as SnapshotMessage).snapshot.meta, message(data).snapshot.meta)
    assert.deepStrictEqual(temps(snapDir).map((name) => join(snapDir, name)), [received.path], 'one temp file, in the snapshot folder')
    assert.deepStrictEqual(await readAll(received), data)

    const kept = await new Promise<unknown>((resolve, reject) => store.adoptSnapshot(received.meta, received, (err, k) => (err ? reject(err) : resolve(k))))
    const final = join(snapDir, `${(40).toString(16).padStart(16, '0')}.snap`)
    assert.deepStrictEqual(readdirSync(snapDir), [final.slice(snapDir.length + 1)], 'renamed into place, the temp file gone')
    assert.equal(received.path, final, 'the handle follows the file')
    assert.equal((kept as {path: string}).path, final)
    const file = readSnapshotFile(nodeFs, final, 40)
    assert.deepStrictEqual(Uint8Array.from(file.data), data, 'a valid snapshot file (its checksum verified by the reader)')
    assert.deepStrictEqual(await readAll(received), data)
  })

  it('a corrupt transfer is refused: nothing is delivered, the file is removed, the connection closed (1007); the next good one arrives', async (t) => {
    const {store, snapDir} = storage(t)
    const warnings: string[] = []
    const logger = {...silentLogger, warn: (msg: string, fields?: Record<string, unknown>) => void warnings.push(`${msg} ${JSON.stringify(fields)}`)}
    const a = await startNode('a', {transport: {limits: LIMITS}})
    const b = await startNode('b', {transport: {limits: LIMITS, logger, receiveSnapshot: (meta, n) => store.openSnapshotReceive(meta, n, new SnapshotChecksum(n))}})
    started.push(a, b)
    a.transport.setPeer('b', b.server.url())
    await waitFor(() => a.transport.isReachable('b'), 'a → b up')
    const data = kvSnapshot(3000)
    const bad = data.slice()
    bad[Math.floor(bad.length / 2)]! ^= 0x40
    a.transport.send(message(bad))
    await waitFor(() => warnings.some((w) => w.startsWith('refused frame from peer') && w.includes('"code":1007')), 'b refuses the snapshot and closes the connection (1007)')
    assert.ok(warnings.some((w) => w.includes('snapshot from peer refused') && w.includes('checksum mismatch')), warnings.join('\n'))
    await waitFor(() => temps(snapDir).length === 0, 'the temp file removed')
    assert.deepStrictEqual(b.inbox.filter((m) => m.type === 'snapshot'), [])
    assert.deepStrictEqual(readdirSync(snapDir), [], 'nothing installable left')
    await waitFor(() => a.transport.stats().peers.find((p) => p.id === 'b')!.connects >= 2 && a.transport.isReachable('b'), 'a reconnects')
    a.transport.send(message(data))
    await waitFor(() => b.inbox.some((m) => m.type === 'snapshot'), 'the good snapshot')
  })

  it('a sender that goes away mid-transfer (a restart) leaves no file and delivers nothing', async (t) => {
    const {store, snapDir} = storage(t)
    let writes = 0
    const a = await startNode('a', {transport: {limits: LIMITS}})
    const b = await startNode('b', {
      transport: {
        limits: LIMITS,
        receiveSnapshot: (meta, n) => {
          const inner = store.openSnapshotReceive(meta, n)
          return {
            write: (bytes, done) => {
              writes++
              inner.write(bytes, done)
            },
            finish: (done) => inner.finish(done),
            abort: () => inner.abort(),
          }
        },
      },
    })
    started.push(a, b)
    const proxy = await relay(b.server.port)
    a.transport.setPeer('b', `ws://127.0.0.1:${proxy.port}/raft`)
    await waitFor(() => a.transport.isReachable('b'), 'a → b up')
    // Larger than the kernel's loopback buffers hold: held at the relay, most of it is still in a.
    a.transport.send(message(new Uint8Array(24 * 1024 * 1024).fill(7)))
    await waitFor(() => writes >= 3 && temps(snapDir).length === 1, 'part of the snapshot written')
    proxy.hold()
    await a.close()
    started = started.filter((n) => n !== a)
    proxy.cut()
    await waitFor(() => temps(snapDir).length === 0, 'the temp file removed')
    assert.deepStrictEqual(b.inbox.filter((m) => m.type === 'snapshot'), [])
    assert.deepStrictEqual(readdirSync(snapDir), [])
  })

  it('a crash mid-transfer leaves a temp file that the next start removes, never a snapshot it installs', (t) => {
    const {store, snapDir} = storage(t)
    const data = kvSnapshot(500)
    const sink = store.openSnapshotReceive(message(data).snapshot.meta, data.length)
    sink.write(data.subarray(0, data.length >> 1), () => {})
    // The process dies here: no finish, no abort. The next start:
    const reopened = new FileStorage({dir: join(snapDir, '..')})
    stores.push(reopened)
    const state = reopened.load()
    assert.equal(state.snapshot ?? null, null)
    assert.deepStrictEqual(readdirSync(snapDir), [])
  })

  it('the file is fdatasync\'d every snapshotSyncBytes as it grows, not only at the end (the WAL\'s syncs never wait behind it all)', async (t) => {
    const dir = testTempDir(t, 'raftctl-snaprecv-')
    let syncs = 0
    const fs = {...nodeFs, fdatasync: (fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
      syncs++
      nodeFs.fdatasync(fd, cb)
    }}
    const store = new FileStorage({dir, fs, snapshotSyncBytes: 64 * 1024})
    store.load()
    stores.push(store)
    const data = kvSnapshot(20_000)
    const sink = store.openSnapshotReceive(message(data).snapshot.meta, data.length, new SnapshotChecksum(data.length))
    for (let at = 0; at < data.length; at += 16 * 1024) sink.write(data.subarray(at, at + 16 * 1024), () => {})
    const before = await new Promise<number>((resolve, reject) => sink.finish((err) => (err ? reject(err) : resolve(syncs))))
    assert.ok(before >= Math.floor(data.length / (64 * 1024)), `${before} syncs for ${data.length} bytes`)
  })

  it('the checksum and the announced size are checked before the snapshot is handed on', async (t) => {
    const {store, snapDir} = storage(t)
    const data = kvSnapshot(200)
    const finish = (sink: SnapshotSink): Promise<Error | null> => new Promise((resolve) => sink.finish((err) => resolve(err)))
    const short = store.openSnapshotReceive(message(data).snapshot.meta, data.length, new SnapshotChecksum(data.length))
    short.write(data.subarray(0, 100), () => {})
    assert.match(String(await finish(short)), /ended at 100 of/)
    const bad = data.slice()
    bad[30]! ^= 1
    const corrupt = store.openSnapshotReceive(message(data).snapshot.meta, data.length, new SnapshotChecksum(data.length))
    corrupt.write(bad, () => {})
    const err = await finish(corrupt)
    assert.equal((err as {code?: string}).code, 'CORRUPT')
    await waitFor(() => readdirSync(snapDir).length === 0, 'both temp files removed')
    assert.ok(!existsSync(join(snapDir, `${(40).toString(16).padStart(16, '0')}.snap`)))
  })

  it('a write that fails after finish() was asked ends finish with the error, and a finish asked after a failure answers at once', async (t) => {
    const dir = testTempDir(t, 'raftctl-snaprecv-')
    let writes = 0
    const fs = {...nodeFs, write: (fd: number, b: Uint8Array, o: number, l: number, p: number, cb: (err: NodeJS.ErrnoException | null, n: number) => void) => {
      if (++writes === 3) return void setImmediate(() => cb(Object.assign(new Error('ENOSPC: injected'), {code: 'ENOSPC'}), 0))
      nodeFs.write!(fd, b, o, l, p, cb)
    }}
    const store = new FileStorage({dir, fs})
    store.load()
    stores.push(store)
    const data = kvSnapshot(50)
    const meta = message(data).snapshot.meta
    const sink = store.openSnapshotReceive(meta, data.length, new SnapshotChecksum(data.length))
    const half = data.length >> 1
    sink.write(data.subarray(0, half), () => {})
    sink.write(data.subarray(half), () => {})
    const err = await new Promise<Error | null>((resolve) => sink.finish((e) => resolve(e)))
    assert.equal((err as {code?: string} | null)?.code, 'STORAGE_FULL', String(err))
    const again = await new Promise<Error | null>((resolve) => sink.finish((e) => resolve(e)))
    assert.equal(again, err, 'a second finish gets the same failure at once')
    await waitFor(() => readdirSync(join(dir, 'snapshots')).length === 0, 'the temp file removed')
  })
})
