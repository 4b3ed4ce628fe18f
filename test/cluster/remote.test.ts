/**
 * Remote clusters without processes: parsing `--endpoints`, the secret file's mode, the
 * NOT_LOCAL wording, and RemoteCluster over in-process fake nodes (test/client/fake-node.ts):
 * members learned from the configuration (a member no endpoint named is asked at its advertised
 * address; one that does not answer is a down row), endpoints of two clusters refused, no
 * answer at all named per endpoint.
 */
import assert from 'node:assert/strict'
import {after, describe, it} from 'node:test'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {FakeNode, SECRET} from '../client/fake-node.js'
import {testTempDir} from '../helpers.js'
import {RemoteCluster, notLocalError, parseEndpoints, readSecretFile} from '../../src/cluster/index.js'
import {RaftctlError} from '../../src/common/errors.js'

const code = (fn: () => unknown): string | undefined => {
  try {
    fn()
    return undefined
  } catch (error) {
    return (error as RaftctlError).code
  }
}

describe('parseEndpoints', () => {
  it('takes ws/wss URLs and HOST:PORT, maps http(s), drops duplicates', () => {
    assert.deepEqual(parseEndpoints('ws://10.0.0.1:7001, 10.0.0.2:7001,https://h:7443,ws://10.0.0.1:7001'), ['ws://10.0.0.1:7001', 'ws://10.0.0.2:7001', 'wss://h:7443'])
  })

  it('refuses what is not a node URL with BAD_USAGE naming it', () => {
    for (const bad of ['not-a-url', 'ws://h', 'ftp://h:21', 'ws://h:7001/admin', 'ws://', '', ' , ']) {
      assert.equal(code(() => parseEndpoints(bad)), 'BAD_USAGE', bad)
    }
    assert.throws(() => parseEndpoints('ws://a:1,oops'), /"oops" is not a node URL/)
  })
})

describe('readSecretFile', () => {
  it('reads the first line of a private file; refuses one others may read, saying chmod 600', (t) => {
    const dir = testTempDir(t, 'raftctl-secret-')
    const file = join(dir, 'secret')
    writeFileSync(file, `${SECRET}\nignored\n`, {mode: 0o600})
    assert.equal(readSecretFile(file), SECRET)
    const open = join(dir, 'open')
    writeFileSync(open, `${SECRET}\n`, {mode: 0o644})
    assert.throws(() => readSecretFile(open), (e: RaftctlError) => e.code === 'INSECURE_FILE' && e.message.includes(`chmod 600 ${open}`))
    assert.equal(code(() => readSecretFile(join(dir, 'missing'))), 'BAD_INPUT')
    const empty = join(dir, 'empty')
    writeFileSync(empty, '\n', {mode: 0o600})
    assert.equal(code(() => readSecretFile(empty)), 'BAD_INPUT')
  })
})

describe('notLocalError', () => {
  it('is NOT_LOCAL (exit 2) and says what to use instead', () => {
    const e = notLocalError('prod', 'attached', 'node add')
    assert.equal(e.code, 'NOT_LOCAL')
    assert.equal(e.exitCode, 2)
    assert.match(e.message, /cluster prod is attached.*"raftctl node add".*member add ID ADDRESS/)
    assert.match(notLocalError('prod', 'attached', 'cluster destroy').message, /cluster detach prod/)
    assert.match(notLocalError('x', 'endpoints', 'node:kill').message, /--endpoints.*chaos isolate/)
  })
})

describe('RemoteCluster over fake nodes', () => {
  const nodes: FakeNode[] = []
  after(async () => Promise.all(nodes.map((n) => n.stop())))
  const start = async (id: string): Promise<FakeNode> => {
    const n = await FakeNode.start(id)
    nodes.push(n)
    return n
  }
  const remote = (endpoints: string[]): RemoteCluster => new RemoteCluster({name: 'far', kind: 'attached', endpoints, access: {secret: SECRET}})

  it('learns the members from the configuration: one endpoint, every member a row; a silent member is down', async () => {
    const [a, b] = [await start('a'), await start('b')]
    const gone = await start('c')
    const goneAddress = gone.address
    await gone.stop()
    b.leader = false
    const members = {voters: [{id: 'a', address: a.address}, {id: 'b', address: b.address}, {id: 'c', address: goneAddress}], learners: []}
    a.members = members
    b.members = members
    a.clusterId = 'cid-1'
    b.clusterId = 'cid-1'
    const cluster = remote([a.address])
    const st = await cluster.status(1000)
    assert.deepEqual(st.nodes.map((n) => [n.id, n.role, n.reachable, n.health]), [['a', 'leader', true, 'ok'], ['b', 'follower', true, 'ok'], ['c', 'down', false, 'unreachable']])
    assert.equal(st.leader, 'a')
    assert.equal(st.clusterId, 'cid-1')
    assert.equal(cluster.addressOf('b'), b.address)
    assert.equal(b.requests('status').length, 1, 'b was asked at its advertised address')
    assert.deepEqual(await cluster.nodeIds(), ['a', 'b', 'c'])
    assert.equal(cluster.access().clusterId, 'cid-1', 'the id learned is expected of every later connection')
  })

  it('refuses endpoints of two clusters with CLUSTER_MISMATCH naming both ids', async () => {
    const [x, y] = [await start('x'), await start('y')]
    x.clusterId = 'one'
    y.clusterId = 'two'
    await assert.rejects(remote([x.address, y.address]).status(1000), (e: RaftctlError) => e.code === 'CLUSTER_MISMATCH' && /one/.test(e.message) && /two/.test(e.message))
  })

  it('no endpoint answering: UNAVAILABLE naming each endpoint', async () => {
    const n = await start('z')
    const address = n.address
    await n.stop()
    await assert.rejects(remote([address]).status(500), (e: RaftctlError) => e.code === 'UNAVAILABLE' && e.message.includes(address))
  })

  it('a wrong secret: UNAUTHORIZED after one attempt', async () => {
    const n = await start('w')
    const cluster = new RemoteCluster({name: 'far', kind: 'endpoints', endpoints: [n.address], access: {secret: 'wrong-secret-0123456789'}})
    await assert.rejects(cluster.status(1000), (e: RaftctlError) => e.code === 'UNAUTHORIZED' && e.exitCode === 1)
  })
})
