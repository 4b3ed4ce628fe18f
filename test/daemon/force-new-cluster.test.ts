/**
 * `node run --force-new-cluster` before the node starts (src/daemon/force-new-cluster.ts): the
 * membership becomes the node alone, the new cluster id is recorded after it; another node's
 * folder, a folder that already carries the id and an empty folder are refused with nothing
 * written; `--force-new-cluster` needs `--cluster-id`. Also the offline reader `recover` uses.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {mkdirSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {forceNewClusterAtStart, readStoredPosition} from '../../src/daemon/force-new-cluster.js'
import {validateConfig, type DaemonConfig} from '../../src/daemon/config.js'
import {silentLogger} from '../../src/daemon/logger.js'
import {FileStorage} from '../../src/storage/file-storage.js'
import {readIdentity, writeIdentity} from '../../src/storage/identity.js'
import {bootstrapEntries} from '../../src/raft/node.js'
import {RaftctlError} from '../../src/common/errors.js'
import {testTempDir} from '../helpers.js'

/** A data folder of n1 in cluster `old`, three voters, 5 writes, commit 6 of 8. */
function survivorFolder(t: {after: (fn: () => void) => void}): string {
  const dataDir = testTempDir(t)
  writeIdentity(dataDir, {nodeId: 'n1', clusterId: 'old'})
  const store = new FileStorage({dir: join(dataDir, 'raft')})
  store.load()
  const enc = new TextEncoder()
  const writes = [4, 5, 6, 7, 8].map((index) => ({index, term: 2, type: 'normal' as const, data: enc.encode(`w${index}`)}))
  store.save({entries: [...bootstrapEntries({voters: ['n1', 'n2', 'n3'], learners: []}), ...writes], hardState: {term: 2, vote: 'n1', commit: 6}})
  store.close()
  return dataDir
}

function config(dataDir: string, over: Partial<DaemonConfig> = {}): DaemonConfig {
  return {
    id: 'n1', host: '127.0.0.1', port: 0, peers: {}, initialCluster: [], dataDir, secret: 's'.repeat(16), tickMs: 5, electionTicks: 30,
    heartbeatTicks: 6, snapshotEvery: 0, compactionLag: 0, snapshotEveryBytes: 0, compactionLagBytes: 0, segmentBytes: 1 << 20, walPreallocateBytes: 0, requestTimeoutMs: 5000,
    logLevel: 'info', unsafeNoFsync: false, unsafeFollowerReads: false, publicMetrics: false, consistencyCheckEveryMs: 0, watchHistory: 10_000, forceNewCluster: true, clusterId: 'new', ...over,
  }
}

/** Every file under `dir` with its bytes. */
function files(dir: string): Map<string, string> {
  const out = new Map<string, string>()
  const walk = (d: string): void => {
    for (const e of readdirSync(d, {withFileTypes: true})) {
      const p = join(d, e.name)
      if (e.isDirectory()) walk(p)
      else out.set(p, readFileSync(p).toString('hex'))
    }
  }
  walk(dir)
  return out
}

test('the survivor\'s membership becomes itself alone, its log committed, then the new cluster id is recorded', (t) => {
  const dataDir = survivorFolder(t)
  assert.deepEqual(readStoredPosition(dataDir), {term: 2, commitIndex: 6, lastIndex: 8, lastTerm: 2, voters: ['n1', 'n2', 'n3'], learners: []})
  const result = forceNewClusterAtStart(config(dataDir), join(dataDir, 'raft'), silentLogger)
  assert.deepEqual(result.appended, [{type: 'remove', node: 'n2'}, {type: 'remove', node: 'n3'}])
  assert.deepEqual(readIdentity(dataDir), {nodeId: 'n1', clusterId: 'new'})
  assert.deepEqual(readStoredPosition(dataDir), {term: 2, commitIndex: 10, lastIndex: 10, lastTerm: 2, voters: ['n1'], learners: []})
})

test('a survivor that was rebuilding (it had lost its data) stops rebuilding: its log is now the truth, and a one-voter cluster must elect it; its incarnation is kept', (t) => {
  const dataDir = survivorFolder(t)
  writeIdentity(dataDir, {nodeId: 'n1', clusterId: 'old', incarnation: 1234, rebuilding: true})
  forceNewClusterAtStart(config(dataDir), join(dataDir, 'raft'), silentLogger)
  assert.deepEqual(readIdentity(dataDir), {nodeId: 'n1', clusterId: 'new', incarnation: 1234})
})

test('refused, nothing written: another node\'s folder, a folder that already carries the id, an empty folder', (t) => {
  const dataDir = survivorFolder(t)
  const before = files(dataDir)
  assert.throws(() => forceNewClusterAtStart(config(dataDir, {id: 'n2'}), join(dataDir, 'raft'), silentLogger), (err: unknown) => err instanceof RaftctlError && err.code === 'IDENTITY_MISMATCH')
  assert.throws(() => forceNewClusterAtStart(config(dataDir, {clusterId: 'old'}), join(dataDir, 'raft'), silentLogger), (err: unknown) => err instanceof RaftctlError && err.code === 'BAD_USAGE' && /already belongs to cluster old/.test(err.message))
  assert.deepEqual(files(dataDir), before)
  const empty = testTempDir(t)
  mkdirSync(join(empty, 'raft'))
  assert.throws(() => forceNewClusterAtStart(config(empty), join(empty, 'raft'), silentLogger), (err: unknown) => err instanceof RaftctlError && err.code === 'BAD_INPUT')
  assert.deepEqual(readdirSync(empty), ['raft'])
})

test('--force-new-cluster needs --cluster-id', (t) => {
  assert.throws(() => validateConfig(config(testTempDir(t), {clusterId: undefined})), (err: unknown) => err instanceof RaftctlError && err.code === 'BAD_USAGE' && /requires --cluster-id/.test(err.message))
})
