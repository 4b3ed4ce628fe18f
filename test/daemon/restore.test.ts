/**
 * `node run --restore` on its own (src/daemon/restore.ts, real files): a folder laid out from a
 * snapshot file recovers as the snapshot at its index and term with the new voters and the new
 * identity; the same command again keeps it; other data, the snapshot's own cluster id and a
 * damaged file are refused with the folder unchanged; --force-restore replaces other data.
 */
import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {mkdirSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {RaftctlError} from '../../src/common/errors.js'
import {encodeCommand, KvStateMachine} from '../../src/kv/index.js'
import {encodeBackup} from '../../src/backup/index.js'
import {FileStorage, readIdentity, writeIdentity} from '../../src/storage/index.js'
import {restoreDataDir} from '../../src/daemon/restore.js'
import {buildDaemonConfig} from '../../src/daemon/flags.js'
import {parseRunArgs} from '../../src/daemon/run-args.js'
import {silentLogger} from '../../src/daemon/logger.js'
import type {DaemonConfig} from '../../src/daemon/config.js'
import {testTempDir} from '../helpers.js'

const OLD_CLUSTER = 'aaaaaaaaaaaaaaaa'
const NEW_CLUSTER = 'bbbbbbbbbbbbbbbb'

/** A snapshot file of 10 keys at index 12, term 4, of OLD_CLUSTER; returns its path and KV bytes. */
function snapshotFile(dir: string): {path: string; data: Uint8Array} {
  const kv = new KvStateMachine()
  for (let i = 1; i <= 10; i++) kv.apply(i, encodeCommand({op: 'put', key: `k${i}`, value: `v${i}`}))
  const data = kv.snapshot()
  const path = join(dir, 'backup.snap')
  writeFileSync(path, encodeBackup({
    clusterId: OLD_CLUSTER, node: 'n1', index: 12, term: 4, members: {voters: [{id: 'n1', address: null}], learners: []},
    dataBytes: data.length, createdAt: new Date(0).toISOString(), version: '0.1.0',
  }, data))
  return {path, data}
}

/** The config fields restoreDataDir reads. */
function config(dataDir: string, restore: string, more: Partial<DaemonConfig> = {}): DaemonConfig & {restore: string} {
  return {id: 'm1', clusterId: NEW_CLUSTER, initialCluster: ['m1', 'm2', 'm3'], dataDir, unsafeNoFsync: false, restore, ...more} as DaemonConfig & {restore: string}
}

/** Name, size and sha256 of every file under `dir` (mtimes too: nothing may be rewritten). */
function fingerprint(dir: string): string[] {
  return readdirSync(dir, {recursive: true, encoding: 'utf8'}).sort().map((name) => {
    const st = statSync(join(dir, name))
    return st.isDirectory() ? `${name}/` : `${name} ${st.size} ${st.mtimeMs} ${createHash('sha256').update(readFileSync(join(dir, name))).digest('hex')}`
  })
}

const refusal = (code: string, pattern?: RegExp) => (err: unknown): boolean => err instanceof RaftctlError && err.code === code && (pattern === undefined || pattern.test(err.message))

describe('node run --restore', () => {
  it('lays out the snapshot at its index and term, the new voters, the new identity; the same command again keeps the folder', (t) => {
    const dir = testTempDir(t)
    const {path, data} = snapshotFile(dir)
    const dataDir = join(dir, 'm1')
    assert.equal(restoreDataDir(config(dataDir, path), join(dataDir, 'raft'), silentLogger), 'restored')
    assert.deepEqual(readIdentity(dataDir), {clusterId: NEW_CLUSTER, nodeId: 'm1'})
    const storage = new FileStorage({dir: join(dataDir, 'raft')})
    const recovered = storage.load()
    storage.close()
    assert.deepEqual(recovered.snapshot?.meta, {index: 12, term: 4, conf: {voters: ['m1', 'm2', 'm3'], learners: []}})
    assert.deepEqual(Buffer.from(recovered.snapshotBytes!), Buffer.from(data))
    assert.deepEqual(recovered.hardState, {term: 4, vote: null, commit: 12})
    assert.equal(recovered.entries.length, 0)
    const before = fingerprint(dataDir)
    assert.equal(restoreDataDir(config(dataDir, path), join(dataDir, 'raft'), silentLogger), 'kept')
    assert.deepEqual(fingerprint(dataDir), before)
  })

  it('refuses a folder holding other data (DATA_EXISTS), unchanged; --force-restore replaces it', (t) => {
    const dir = testTempDir(t)
    const {path} = snapshotFile(dir)
    const dataDir = join(dir, 'm1')
    restoreDataDir(config(dataDir, path, {clusterId: 'cccccccccccccccc'}), join(dataDir, 'raft'), silentLogger)
    const before = fingerprint(dataDir)
    assert.throws(() => restoreDataDir(config(dataDir, path), join(dataDir, 'raft'), silentLogger), refusal('DATA_EXISTS', /node m1 of cluster cccccccccccccccc.*--force-restore/))
    assert.deepEqual(fingerprint(dataDir), before)
    assert.equal(restoreDataDir(config(dataDir, path, {forceRestore: true}), join(dataDir, 'raft'), silentLogger), 'restored')
    assert.deepEqual(readIdentity(dataDir), {clusterId: NEW_CLUSTER, nodeId: 'm1'})
  })

  it('refuses the snapshot\'s own cluster id and a damaged file, even with --force-restore, leaving the folder as it was', (t) => {
    const dir = testTempDir(t)
    const {path} = snapshotFile(dir)
    const dataDir = join(dir, 'm1')
    mkdirSync(dataDir)
    writeIdentity(dataDir, {clusterId: 'dddddddddddddddd', nodeId: 'm1'})
    const before = fingerprint(dataDir)
    assert.throws(() => restoreDataDir(config(dataDir, path, {clusterId: OLD_CLUSTER, forceRestore: true}), join(dataDir, 'raft'), silentLogger), refusal('BAD_USAGE', /NEW --cluster-id/))
    const bytes = readFileSync(path)
    bytes[bytes.length - 50] ^= 1
    writeFileSync(path, bytes)
    assert.throws(() => restoreDataDir(config(dataDir, path, {forceRestore: true}), join(dataDir, 'raft'), silentLogger), refusal('SNAPSHOT_CORRUPT', /checksum mismatch/))
    assert.deepEqual(fingerprint(dataDir), before)
  })

  it('needs --cluster-id and --initial-cluster', (t) => {
    const dir = testTempDir(t)
    const {path} = snapshotFile(dir)
    assert.throws(() => restoreDataDir(config(join(dir, 'm1'), path, {clusterId: undefined}), join(dir, 'm1', 'raft'), silentLogger), refusal('BAD_USAGE', /--cluster-id/))
    assert.throws(() => restoreDataDir(config(join(dir, 'm1'), path, {initialCluster: []}), join(dir, 'm1', 'raft'), silentLogger), refusal('BAD_USAGE', /--initial-cluster/))
  })
})

describe('node run --restore flags', () => {
  it('resolve the file, and refuse --force-restore without --restore and --restore with --force-new-cluster (BAD_USAGE)', (t) => {
    const dir = testTempDir(t)
    const secret = join(dir, 'secret')
    writeFileSync(secret, 'a-secret-of-enough-characters\n')
    const run = (...extra: string[]): DaemonConfig => buildDaemonConfig(parseRunArgs(['--id', 'm1', '--data-dir', join(dir, 'm1'), '--secret-file', secret, ...extra]))
    const restore = ['--restore', 'backup.snap', '--cluster-id', NEW_CLUSTER, '--initial-cluster', 'm1']
    const c = run(...restore, '--force-restore')
    assert.equal(c.restore, join(process.cwd(), 'backup.snap'))
    assert.equal(c.forceRestore, true)
    assert.equal(run().forceRestore, false)
    assert.throws(() => buildDaemonConfig({...parseRunArgs(['--id', 'm1', '--data-dir', dir, '--secret-file', secret]), 'force-restore': true}), refusal('BAD_USAGE', /--force-restore needs --restore/))
    assert.throws(() => run(...restore, '--force-new-cluster'), refusal('BAD_USAGE', /do not go together/))
  })
})
