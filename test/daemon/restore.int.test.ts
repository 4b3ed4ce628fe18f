/**
 * `node run --restore` as on separate hosts (real daemons, each started by hand with the same
 * file, the same new --cluster-id and the same --initial-cluster): they elect a leader among
 * themselves and serve the snapshot's keys at the snapshot's index; a write after the restore
 * survives a restart with the same command line, which keeps the folder (the flag is ignored).
 * Requires `npm run build`.
 */
import {after, test} from 'node:test'
import assert from 'node:assert/strict'
import {statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {encodeCommand, KvStateMachine} from '../../src/kv/index.js'
import {encodeBackup} from '../../src/backup/index.js'
import {TestCluster, distBuilt} from './harness.js'

const skip = distBuilt() ? false : 'dist/ is not built: run `npm run build` first (npm test does)'
const NEW_CLUSTER = 'restored-0001'
const cluster = new TestCluster()

after(() => cluster.shutdown())

/** A snapshot file of keys k1..k10 at index 15, term 3, of another cluster. */
function snapshotFile(): string {
  const kv = new KvStateMachine()
  for (let i = 1; i <= 10; i++) kv.apply(i, encodeCommand({op: 'put', key: `k${i}`, value: `v${i}`, session: {clientId: 'old-client', seq: i}}))
  const data = kv.snapshot()
  const path = join(cluster.dir, 'backup.snap')
  writeFileSync(path, encodeBackup({
    clusterId: 'old-cluster-0001', node: 'n1', index: 15, term: 3, members: {voters: [{id: 'n1', address: 'ws://10.0.0.1:7001'}], learners: []},
    dataBytes: data.length, createdAt: new Date(0).toISOString(), version: '0.1.0',
  }, data))
  return path
}

test('three nodes restored by hand from one file elect a leader and serve its keys; a restart with the same flags keeps the data', {skip}, async () => {
  const file = snapshotFile()
  const ids = ['h1', 'h2', 'h3']
  for (const id of ids) await cluster.reserve(id)
  const restoreArgs = ['--cluster-id', NEW_CLUSTER, '--restore', file]
  await Promise.all(ids.map((id) => cluster.launch(id, ids, restoreArgs)))
  const {leader} = await cluster.waitForLeader()
  const st = (await cluster.status(leader))!
  assert.equal(st.clusterId, NEW_CLUSTER)
  assert.deepEqual(st.members.voters.map((m) => m.id).sort(), ids)
  assert.ok(st.commitIndex > 15, `the log continues after the snapshot's index: commit ${st.commitIndex}`)
  const kv = cluster.kv()
  for (let i = 1; i <= 10; i++) assert.equal((await kv.get(`k${i}`)).value, `v${i}`)
  await kv.put('written-after', 'the restore')

  const restarted = ids.find((id) => id !== leader)!
  const identity = join(cluster.spec(restarted).dataDir, 'identity.json')
  const laidOut = statSync(identity).mtimeMs
  assert.equal(await cluster.terminate(restarted), 0)
  await cluster.launch(restarted, ids, restoreArgs)
  assert.match(cluster.log(restarted), /--restore ignored: the data folder already holds this node's data of the restored cluster/)
  assert.equal(statSync(identity).mtimeMs, laidOut, 'the folder was not laid out again')
  await cluster.waitForLeader()
  assert.equal((await cluster.admin(restarted).status()).clusterId, NEW_CLUSTER)
  assert.equal((await kv.get('written-after')).value, 'the restore')
})
