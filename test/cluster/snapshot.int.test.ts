/**
 * Backup and restore through the real CLI (issue 16): write N keys, `snapshot save`, write more,
 * destroy the cluster, `snapshot restore` into a new cluster (a new cluster id), and read exactly
 * the first N keys' values; `snapshot inspect` names the index; a file with one flipped byte, a
 * truncated one, one of an unknown version and one that is no snapshot are refused by inspect
 * and restore with their codes, creating nothing; restore refuses a running cluster, and an
 * existing stopped one unless --force; a save while a client writes holds exactly a prefix of
 * its writes. Real daemons: run `npm run build` first.
 */
import assert from 'node:assert/strict'
import {existsSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, test} from 'node:test'
import {LocalCluster} from '../../src/cluster/index.js'
import {tempDir} from '../helpers.js'
import {killClusterDaemons, runCli, type CliRun} from './cli-process.js'
import {distBuilt} from '../daemon/harness.js'

const skip = distBuilt() ? false : 'dist/ is not built: run `npm run build` first (npm test does)'
const home = tempDir('raftctl-snapshot-')
const CLUSTERS = ['src', 'dst', 'bad']

after(async () => {
  killClusterDaemons(home, CLUSTERS)
  rmSync(home, {recursive: true, force: true})
})

/** Run the real CLI with this test's RAFTCTL_HOME on `cluster`. */
const cli = (cluster: string, ...args: string[]): Promise<CliRun> => runCli(home, cluster, ...args)

/** The JSON document of a run that must have succeeded. */
function ok(run: CliRun): any { // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal(run.exit, 0, `exit ${run.exit}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`)
  return JSON.parse(run.stdout)
}

/** The error of a run that must have failed with `code` and `exit`; returns its message. */
function refused(run: CliRun, code: string, exit: number): string {
  assert.equal(run.exit, exit, `stdout: ${run.stdout}\nstderr: ${run.stderr}`)
  const {error} = JSON.parse(run.stdout) as {error: {code: string; message: string}}
  assert.equal(error.code, code, error.message)
  return error.message
}

const N = 25
const file = join(home, 'backup.snap')

test('save, write more, destroy, restore into a new cluster: exactly the first N keys\' values; inspect names the index', {skip}, async () => {
  const started = ok(await cli('src', 'cluster', 'start', '--nodes', '3', '--json'))
  const kv = new LocalCluster('src', home).kv({timeoutMs: 10_000})
  let savedIndex = 0
  try {
    for (let i = 1; i <= N; i++) await kv.put(`k${i}`, `v${i}`)
    const saved = ok(await cli('src', 'snapshot', 'save', file, '--json'))
    assert.equal(saved.keys, N)
    savedIndex = saved.index
    assert.equal(saved.clusterId, started.clusterId)
    assert.equal(saved.node, started.leader)
    assert.deepEqual(saved.members.voters.map((m: {id: string}) => m.id).sort(), ['n1', 'n2', 'n3'])
    // Later writes: new keys and a changed value, none of them in the snapshot.
    for (let i = N + 1; i <= N + 10; i++) await kv.put(`k${i}`, `v${i}`)
    await kv.put('k1', 'changed after the save')

    const inspected = ok(await cli('src', 'snapshot', 'inspect', file, '--json'))
    assert.equal(inspected.index, saved.index)
    assert.equal(inspected.checksumVerified, true)
    assert.equal(inspected.contentHash, saved.contentHash)
    assert.equal(inspected.keys, N)
    const human = await cli('src', 'snapshot', 'inspect', file)
    assert.match(human.stdout, new RegExp(`index +${saved.index} \\(term ${saved.term}\\)`))
  } finally {
    await kv.close()
  }
  ok(await cli('src', 'cluster', 'destroy', '--yes', '--json'))

  const restored = ok(await cli('dst', 'snapshot', 'restore', file, '--json'))
  assert.notEqual(restored.leader, null)
  assert.match(restored.clusterId, /^[0-9a-f]{16}$/)
  assert.notEqual(restored.clusterId, started.clusterId)
  assert.equal(restored.restoredFrom.index, savedIndex)
  const listed = ok(await cli('dst', 'kv', 'list', '--json'))
  const expected = Array.from({length: N}, (_, k) => ({key: `k${k + 1}`, value: `v${k + 1}`})).sort((a, b) => (a.key < b.key ? -1 : 1))
  assert.deepEqual(listed.kvs.map((e: {key: string; value: string}) => ({key: e.key, value: e.value})), expected)
  // The restored cluster takes writes, at indexes after the snapshot's.
  ok(await cli('dst', 'kv', 'put', 'after', 'restore', '--json'))
  const after = ok(await cli('dst', 'kv', 'list', '--prefix', 'after', '--json'))
  assert.ok(after.kvs[0].modIndex > restored.restoredFrom.index, `modIndex ${after.kvs[0].modIndex}`)

  // Never into a running cluster, even with --force; a stopped one only with --force.
  refused(await cli('dst', 'snapshot', 'restore', file, '--force', '--json'), 'CLUSTER_RUNNING', 1)
  ok(await cli('dst', 'cluster', 'stop', '--json'))
  assert.match(refused(await cli('dst', 'snapshot', 'restore', file, '--json'), 'CLUSTER_EXISTS', 1), /--force/)
  const replaced = ok(await cli('dst', 'snapshot', 'restore', file, '--nodes', '1', '--force', '--json'))
  assert.equal(replaced.replaced, true)
  assert.equal(ok(await cli('dst', 'kv', 'get', 'after', '--json')).value, null)
  assert.equal(ok(await cli('dst', 'kv', 'get', `k${N}`, '--json')).value, `v${N}`)
})

test('a flipped byte, a truncated file, an unknown version and a foreign file are refused by inspect and restore, creating nothing', {skip}, async () => {
  assert.ok(existsSync(file), 'the first test saved the snapshot')
  const bytes = readFileSync(file)
  const flipped = Buffer.from(bytes)
  flipped[Math.floor(flipped.length / 2)] ^= 0x01
  const version = Buffer.from(bytes)
  version.writeUInt16BE(7, 6)
  const cases: [string, Buffer, string, number, RegExp][] = [
    ['flipped.snap', flipped, 'SNAPSHOT_CORRUPT', 1, /flipped\.snap is a damaged snapshot: checksum mismatch/],
    ['truncated.snap', bytes.subarray(0, bytes.length - 10), 'SNAPSHOT_TRUNCATED', 1, /truncated\.snap is truncated: it holds \d+ bytes, its header announces \d+/],
    ['version.snap', version, 'UNSUPPORTED_SNAPSHOT_VERSION', 2, /version 7 is unknown/],
    ['foreign.snap', Buffer.from('{"hello": "world"}\n'), 'NOT_A_SNAPSHOT', 2, /foreign\.snap is not a raftctl snapshot file/],
  ]
  for (const [name, content, code, exit, message] of cases) {
    const path = join(home, name)
    writeFileSync(path, content)
    assert.match(refused(await cli('bad', 'snapshot', 'inspect', path, '--json'), code, exit), message)
    assert.match(refused(await cli('bad', 'snapshot', 'restore', path, '--json'), code, exit), message)
    assert.equal(new LocalCluster('bad', home).exists(), false, `${name}: no cluster was created`)
    const human = await cli('bad', 'snapshot', 'inspect', path)
    assert.match(human.stderr, new RegExp(`Error \\[${code}\\]`))
  }
})

test('a save while a client keeps writing holds exactly a prefix of its writes: one index\'s state, never a mix', {skip}, async () => {
  const cluster = new LocalCluster('dst', home)
  assert.ok(cluster.exists(), 'the first test left the restored cluster dst running')
  const kv = cluster.kv({timeoutMs: 10_000})
  try {
    // About 1.2 MB of state: the node's background snapshot spans several pieces, written while
    // the next writes are applied.
    const fill = 'x'.repeat(1000)
    await Promise.all(Array.from({length: 8}, async (_, c) => {
      for (let i = c; i < 1200; i += 8) await kv.put(`fill-${i}`, fill)
    }))
    let stop = false
    let written = 0
    const writer = (async () => {
      while (!stop) await kv.put(`seq-${String(++written).padStart(6, '0')}`, String(written))
    })()
    const concurrent = join(home, 'concurrent.snap')
    const saved = await cli('dst', 'snapshot', 'save', concurrent, '--json')
    stop = true
    await writer
    ok(saved)
    const {loadSnapshotFile} = await import('../../src/backup/inspect.js')
    const {kv: state} = loadSnapshotFile(concurrent)
    const seq = state.range({range: {prefix: 'seq-'}, limit: 100_000, keysOnly: false, countOnly: false, maxBytes: 64 * 1024 * 1024}).kvs
    assert.ok(seq.length <= written, `${seq.length} of ${written} writes in it`)
    seq.forEach((e, k) => assert.deepEqual([e.key, e.value], [`seq-${String(k + 1).padStart(6, '0')}`, String(k + 1)]))
    assert.equal(state.range({range: {prefix: 'fill-'}, limit: 100_000, keysOnly: true, countOnly: true, maxBytes: 1024}).count, 1200)
  } finally {
    await kv.close()
  }
})
