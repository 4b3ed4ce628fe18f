/**
 * Cluster identity on real daemons (issue 16, "Cluster identity"): a node started on another
 * node's data folder, or on another cluster's, refuses to start naming both ids and changes
 * nothing in the folder; a peer or a client of another cluster is refused at the handshake with
 * CLUSTER_MISMATCH; a folder from before identities (no identity file) is adopted.
 */
import {after, before, test} from 'node:test'
import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {cpSync, readdirSync, readFileSync, rmSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {WebSocket} from 'ws'
import {AdminClient} from '../../src/client/index.js'
import {TestCluster, distBuilt, sleep} from './harness.js'

const skip = distBuilt() ? false : 'dist/ is not built: run `npm run build` first (npm test does)'

const CLUSTER_A = 'clusterA0000aaaa'
const CLUSTER_B = 'clusterB0000bbbb'

/** Every file and folder under `dir` with its size, mtime and (files) content hash, sorted. */
function fingerprint(dir: string): string[] {
  const out: string[] = []
  const walk = (path: string, rel: string): void => {
    const st = statSync(path)
    if (st.isDirectory()) {
      out.push(`${rel}/ mtime=${st.mtimeMs}`)
      for (const name of readdirSync(path).sort()) walk(join(path, name), `${rel}/${name}`)
    } else {
      out.push(`${rel} size=${st.size} mtime=${st.mtimeMs} sha256=${createHash('sha256').update(readFileSync(path)).digest('hex')}`)
    }
  }
  walk(dir, '.')
  return out
}

/** How a WebSocket dial ended: open (then closed), or refused with an HTTP status and headers. */
function dial(url: string, headers: Record<string, string>): Promise<{open: boolean; status?: number; headers?: Record<string, unknown>; error?: string}> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, {headers, perMessageDeflate: false})
    ws.on('error', (error) => resolve({open: false, error: error.message}))
    ws.once('open', () => {
      ws.close()
      resolve({open: true})
    })
    ws.once('unexpected-response', (_req, res) => {
      resolve({open: false, status: res.statusCode, headers: res.headers})
      ws.terminate()
    })
  })
}

let a: TestCluster

before(async () => {
  if (skip) return
  a = new TestCluster(['--cluster-id', CLUSTER_A])
  await a.start(3)
  await a.waitForLeader()
  await a.kv().put('k', 'v')
})

after(async () => {
  await a?.shutdown()
})

test('status reports the cluster id of the node\'s data; a client that expects it gets through', {skip}, async () => {
  const client = new AdminClient({url: a.spec('n1').address, secret: a.secret, clusterId: CLUSTER_A, timeoutMs: 5000})
  try {
    assert.equal((await client.status()).clusterId, CLUSTER_A)
  } finally {
    await client.close()
  }
})

test('a client that expects another cluster is refused with CLUSTER_MISMATCH naming both ids', {skip}, async () => {
  const client = new AdminClient({url: a.spec('n1').address, secret: a.secret, clusterId: CLUSTER_B, timeoutMs: 5000})
  try {
    await assert.rejects(client.status(), (err: Error & {code?: string}) => {
      assert.equal(err.code, 'CLUSTER_MISMATCH')
      assert.match(err.message, new RegExp(CLUSTER_A))
      assert.match(err.message, new RegExp(CLUSTER_B))
      return true
    })
  } finally {
    await client.close()
  }
})

test('a peer of another cluster dialling /raft is refused (409, CLUSTER_MISMATCH) and logged with both ids; one of this cluster is not', {skip}, async () => {
  const url = `${a.spec('n1').address}/raft`
  const hello = {authorization: `Bearer ${a.peerSecret}`, 'x-raftctl-node': 'n9', 'x-raftctl-to': 'n1'}
  const other = await dial(url, {...hello, 'x-raftctl-cluster': CLUSTER_B})
  assert.equal(other.status, 409, `expected a 409 refusal, got ${JSON.stringify(other)}`)
  assert.equal(other.headers?.['x-raftctl-error'], 'CLUSTER_MISMATCH')
  const same = await dial(url, {...hello, 'x-raftctl-cluster': CLUSTER_A})
  assert.equal(same.open, true, `the same cluster's peer should get through: ${JSON.stringify(same)}`)
  // The refusal is logged with both ids (the log is written asynchronously: poll it).
  let line: Record<string, unknown> | undefined
  for (let i = 0; i < 100 && line === undefined; i++) {
    line = a.log('n1').split('\n').filter((l) => l.includes('refused a peer of another cluster')).map((l) => JSON.parse(l) as Record<string, unknown>)[0]
    if (line === undefined) await sleep(50)
  }
  assert.ok(line, 'n1 logs the refused peer')
  assert.equal(line.code, 'CLUSTER_MISMATCH')
  assert.equal(line.clusterId, CLUSTER_A)
  assert.equal(line.peerClusterId, CLUSTER_B)
})

test('n3 started on a copy of n2\'s data folder refuses naming both node ids; nothing in either folder changes', {skip}, async () => {
  assert.equal(await a.terminate('n2'), 0)
  assert.equal(await a.terminate('n3'), 0)
  const n2 = a.spec('n2').dataDir
  const n3 = a.spec('n3').dataDir
  rmSync(n3, {recursive: true, force: true})
  cpSync(n2, n3, {recursive: true, preserveTimestamps: true})
  const before = [fingerprint(n2), fingerprint(n3)]
  const r = await a.runExpectingFailure(['--id', 'n3', '--data-dir', n3, '--cluster-id', CLUSTER_A, '--initial-cluster', 'n1,n2,n3'])
  assert.equal(r.code, 1, r.stderr)
  assert.match(r.stderr, /IDENTITY_MISMATCH/)
  assert.match(r.stderr, /\bn2\b/)
  assert.match(r.stderr, /\bn3\b/)
  assert.deepEqual([fingerprint(n2), fingerprint(n3)], before)
})

test('a node started on another cluster\'s data folder refuses naming both cluster ids; nothing in the folder changes', {skip}, async () => {
  const b = new TestCluster(['--cluster-id', CLUSTER_B])
  try {
    await b.start(1)
    await b.waitForLeader()
    assert.equal(await b.terminate('n1'), 0)
    const folder = b.spec('n1').dataDir
    const before = fingerprint(folder)
    const r = await a.runExpectingFailure(['--id', 'n1', '--data-dir', folder, '--cluster-id', CLUSTER_A, '--peers', `n2=${a.spec('n2').address}`])
    assert.equal(r.code, 1, r.stderr)
    assert.match(r.stderr, /IDENTITY_MISMATCH/)
    assert.match(r.stderr, new RegExp(CLUSTER_A))
    assert.match(r.stderr, new RegExp(CLUSTER_B))
    assert.deepEqual(fingerprint(folder), before)
  } finally {
    await b.shutdown()
  }
})

test('a data folder from before identities (no identity file) is adopted: it starts, logs it, records the identity and keeps its data', {skip}, async () => {
  const c = new TestCluster()
  try {
    await c.start(1)
    await c.waitForLeader()
    await c.kv(['n1']).put('old', 'data')
    assert.equal(await c.terminate('n1'), 0)
    rmSync(join(c.spec('n1').dataDir, 'identity.json'))
    await c.launch('n1', [], ['--cluster-id', CLUSTER_A])
    await c.waitForLeader()
    assert.equal((await c.kv(['n1']).get('old')).value, 'data')
    assert.match(c.log('n1'), /adopted a data folder without an identity file/)
    assert.deepEqual(JSON.parse(readFileSync(join(c.spec('n1').dataDir, 'identity.json'), 'utf8')).nodeId, 'n1')
    assert.equal((await c.status('n1'))?.clusterId, CLUSTER_A)
  } finally {
    await c.shutdown()
  }
})
