/**
 * The peer secret of local clusters (issue 22, item 2): `cluster start` writes `peer-secret`
 * (0600) next to `secret` and every daemon gets it, so the client secret does not open /raft; a
 * cluster folder from before peer secrets keeps working (nodes started beside running ones keep
 * the shared secret) and moves to a peer secret at its next full start. Real daemons: needs
 * `npm run build` (they run dist/daemon/entry.js).
 */
import assert from 'node:assert/strict'
import {existsSync, readFileSync, rmSync, statSync} from 'node:fs'
import {after, test} from 'node:test'
import {WebSocket} from 'ws'
import {LocalCluster} from '../../src/cluster/index.js'
import {spawnDaemon, waitForPidFile} from '../../src/cluster/processes.js'
import {distBuilt} from '../daemon/harness.js'
import {tempDir} from '../helpers.js'

const skip = distBuilt() ? false : 'dist/ is not built: run `npm run build` first (npm test does)'
const home = tempDir('raftctl-peer-secret-')
const cluster = new LocalCluster('p', home)

after(async () => {
  if (cluster.exists()) await cluster.destroy()
  rmSync(home, {recursive: true, force: true})
})

/** The HTTP status refusing an upgrade to /raft with `secret`, or 101 when it opened. */
function raftUpgradeStatus(address: string, to: string, secret: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${address}/raft`, {headers: {authorization: `Bearer ${secret}`, 'x-raftctl-node': 'n99', 'x-raftctl-to': to}})
    ws.once('open', () => {
      ws.terminate()
      resolve(101)
    })
    ws.once('unexpected-response', (_req, res) => {
      ws.terminate()
      resolve(res.statusCode ?? 0)
    })
    ws.once('error', reject)
  })
}

/** Every node's `peerAuth`, once a leader is known. */
async function peerAuths(): Promise<(string | undefined)[]> {
  const status = await cluster.waitForLeader()
  return status.nodes.map((n) => n.detail?.peerAuth)
}

test('cluster start writes a peer secret (0600) apart from the client secret; /raft refuses the client secret', {skip}, async () => {
  await cluster.start(2)
  const {secret, peerSecret} = cluster.paths
  assert.equal(statSync(peerSecret).mode & 0o777, 0o600)
  assert.notEqual(readFileSync(peerSecret, 'utf8').trim(), readFileSync(secret, 'utf8').trim())
  assert.deepEqual(await peerAuths(), ['peer-secret', 'peer-secret'])
  const n1 = cluster.manifest().nodes[0]!
  assert.equal(await raftUpgradeStatus(n1.address, n1.id, cluster.secret()), 403)
  assert.equal(await raftUpgradeStatus(n1.address, n1.id, readFileSync(peerSecret, 'utf8').trim()), 101)
})

test('a cluster from before peer secrets keeps working, and gets one at its next full start', {skip}, async () => {
  await cluster.stop()
  rmSync(cluster.paths.peerSecret)
  // n1 as an older raftctl ran it: no peer secret file, so no --peer-secret-file.
  const m = cluster.manifest()
  const child = spawnDaemon(cluster.paths, m, m.nodes[0]!, [])
  await waitForPidFile(cluster.paths, 'n1', child, 15_000)
  await cluster.startNode('n2')
  assert.equal(existsSync(cluster.paths.peerSecret), false, 'not created while n1 runs on the shared secret')
  assert.deepEqual(await peerAuths(), ['shared-secret', 'shared-secret'], 'both voters talk: a leader is elected')
  assert.match(readFileSync(cluster.paths.logFile('n2'), 'utf8'), /no peer secret/)
  await cluster.stop()
  await cluster.start(2)
  assert.ok(existsSync(cluster.paths.peerSecret))
  assert.deepEqual(await peerAuths(), ['peer-secret', 'peer-secret'])
})
