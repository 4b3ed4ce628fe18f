/**
 * A snapshot from the leader whose data are a file the storage received (the daemon's transport
 * streams chunked snapshots to one, src/storage/snapshot-receive.ts): the replica decodes it from
 * the file in pieces and slices (StateMachine.beginStreamRestore) and the storage adopts the file
 * by renaming it (Storage.adoptSnapshot): nothing writes the snapshot again, and no step needs the
 * bytes in memory. Received data the core does not keep are released (the file deleted at once).
 */
import assert from 'node:assert/strict'
import {readdirSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {KvStateMachine, SnapshotChecksum, encodeCommand} from '../../src/kv/index.js'
import {SeededRng} from '../../src/raft/index.js'
import type {Message, SnapshotData, SnapshotMeta} from '../../src/raft/types.js'
import type {SliceRunner, Storage} from '../../src/replica/ports.js'
import {Replica} from '../../src/replica/replica.js'
import {FileStorage, SnapshotFileData} from '../../src/storage/index.js'
import {testTempDir} from '../helpers.js'

/** Steps until done, yielding with setImmediate between steps (as the daemon's runner, without the clock). */
const runner: SliceRunner = (step, done) => {
  const run = (): void => {
    let finished: boolean
    try {
      finished = step()
    } catch (err) {
      return done(err as Error)
    }
    if (finished) done(null)
    else setImmediate(run)
  }
  setImmediate(run)
}

/** The leader's state: `keys` keys applied at indexes 1..keys, and its snapshot bytes. */
function leaderSnapshot(keys: number): {bytes: Uint8Array; meta: SnapshotMeta} {
  const sm = new KvStateMachine()
  for (let i = 1; i <= keys; i++) sm.apply(i, encodeCommand({op: 'put', key: `k${i}`, value: `v${i}-${'y'.repeat(60)}`}))
  return {bytes: sm.snapshot(), meta: {index: keys, term: 1, conf: {voters: ['n1', 'n2'], learners: []}}}
}

/** Receive `bytes` into `store` as the transport does: a temp file, checked and synced; resolves to its handle. */
function receive(store: FileStorage, meta: SnapshotMeta, bytes: Uint8Array): Promise<SnapshotData> {
  const sink = store.openSnapshotReceive(meta, bytes.length, new SnapshotChecksum(bytes.length))
  for (let at = 0; at < bytes.length; at += 100_000) sink.write(bytes.subarray(at, at + 100_000), () => {})
  return new Promise((resolve, reject) => sink.finish((err, data) => (err !== null || data === null ? reject(err) : resolve(data))))
}

async function until(predicate: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
}

/** A follower n2 on FileStorage in `dir`; counts the storage's writeSnapshot calls. */
function follower(dir: string): {replica: Replica; sm: KvStateMachine; store: FileStorage; writes: {count: number}} {
  const store = new FileStorage({dir})
  const writes = {count: 0}
  const storage: Storage = {
    load: () => store.load(),
    save: (w) => store.save(w),
    saveSnapshot: (s, c) => store.saveSnapshot(s, c),
    close: () => store.close(),
    writeSnapshot: (meta, pieces, done) => {
      writes.count++
      store.writeSnapshot(meta, pieces, done)
    },
    adoptSnapshot: (meta, data, done) => store.adoptSnapshot(meta, data, done),
  }
  const sm = new KvStateMachine()
  const replica = new Replica({
    raft: {id: 'n2', rng: new SeededRng(2), electionTicks: 10, heartbeatTicks: 1},
    storage, network: {send: () => {}}, stateMachine: sm, initialConf: {voters: ['n1', 'n2'], learners: []},
    snapshotEvery: 0, runInSlices: runner,
  })
  return {replica, sm, store, writes}
}

const snapshotMessage = (meta: SnapshotMeta, data: SnapshotData): Message => ({type: 'snapshot', from: 'n1', to: 'n2', term: 2, snapshot: {meta, data}})

describe('Replica: installing a snapshot received into a file', () => {
  it('decodes it from the file in pieces and adopts the file by renaming it; nothing writes it again', async (t) => {
    const dir = testTempDir(t, 'raftctl-file-install-')
    const {replica, sm, store, writes} = follower(dir)
    const {bytes, meta} = leaderSnapshot(45_000)
    assert.ok(bytes.length > 3 * 1024 * 1024, 'several read pieces')
    const data = await receive(store, meta, bytes)
    assert.ok(!(data instanceof Uint8Array))
    replica.deliver(snapshotMessage(meta, data))
    await until(() => replica.applied === meta.index, 'the install')
    assert.equal(writes.count, 0, 'the received file is not written again')
    const snapDir = join(dir, 'snapshots')
    assert.deepStrictEqual(readdirSync(snapDir), [`${meta.index.toString(16).padStart(16, '0')}.snap`])
    assert.deepStrictEqual(sm.snapshot(), bytes, 'the same state as the leader')
    const kept = replica.latestSnapshot().data
    assert.ok(kept instanceof SnapshotFileData && kept.path === join(snapDir, readdirSync(snapDir)[0]!), 'the core keeps a handle on the snapshot file')
    // A restart reads the adopted file (checksummed) and the WAL's record of it.
    replica.stop()
    store.close()
    const again = follower(dir)
    assert.equal(again.replica.applied, meta.index)
    assert.deepStrictEqual(again.sm.snapshot(), bytes)
    again.replica.stop()
    again.store.close()
  })

  it('a received snapshot the core does not keep (it holds that index already) is released: its file deleted', async (t) => {
    const dir = testTempDir(t, 'raftctl-file-install-')
    const {replica, store} = follower(dir)
    const {bytes, meta} = leaderSnapshot(2_000)
    replica.deliver(snapshotMessage(meta, await receive(store, meta, bytes)))
    await until(() => replica.applied === meta.index, 'the install')
    const snapDir = join(dir, 'snapshots')
    const again = await receive(store, meta, bytes)
    assert.equal(readdirSync(snapDir).filter((name) => name.endsWith('.tmp')).length, 1)
    replica.deliver(snapshotMessage(meta, again))
    await until(() => readdirSync(snapDir).every((name) => !name.endsWith('.tmp')), 'the unneeded file deleted')
    assert.equal(readdirSync(snapDir).length, 1)
    replica.stop()
    store.close()
  })
})
