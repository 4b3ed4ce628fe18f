/**
 * The cluster id in the peer hello (src/transport/protocol.ts CLUSTER_HEADER): a transport sends
 * its own, and one that knows its cluster id refuses a peer of another cluster before the
 * upgrade (409, CLUSTER_MISMATCH), logging both ids. An unknown id on either side is not checked.
 */
import assert from 'node:assert/strict'
import {afterEach, describe, it} from 'node:test'
import type {Message} from '../../src/raft/types.js'
import type {LogFields, TransportLogger} from '../../src/transport/logger.js'
import {dial, helloHeaders, startNode, waitFor} from './helpers.js'
import type {TestNode} from './helpers.js'

const heartbeat = (from: string, to: string, round: number): Message => ({type: 'heartbeat', from, to, term: 1, commit: 0, round})

let started: TestNode[] = []

async function start(id: string, clusterId: string | undefined, logger?: TransportLogger): Promise<TestNode> {
  const node = await startNode(id, {transport: {clusterId, logger}})
  started.push(node)
  return node
}

afterEach(async () => {
  await Promise.all(started.map((n) => n.close()))
  started = []
})

/** A logger that keeps its warnings. */
function recordingLogger(): TransportLogger & {warnings: {message: string; fields?: LogFields}[]} {
  const warnings: {message: string; fields?: LogFields}[] = []
  const noop = (): void => {}
  return {warnings, debug: noop, info: noop, error: noop, warn: (message, fields) => void warnings.push({message, fields})}
}

describe('PeerTransport: cluster id in the hello', () => {
  it('a peer of another cluster is refused and logged with both ids; nothing is delivered', async () => {
    const logger = recordingLogger()
    const a = await start('a', 'cluster-x')
    const b = await start('b', 'cluster-y', logger)
    a.transport.setPeer('b', b.server.url())
    a.transport.send(heartbeat('a', 'b', 1))
    a.transport.flush()
    await waitFor(() => logger.warnings.some((w) => w.message === 'refused a peer of another cluster'), 'the refusal is logged')
    const line = logger.warnings.find((w) => w.message === 'refused a peer of another cluster')!
    assert.deepEqual(line.fields, {peer: 'a', code: 'CLUSTER_MISMATCH', clusterId: 'cluster-y', peerClusterId: 'cluster-x'})
    assert.deepEqual(b.inbox, [])
  })

  it('a peer of the same cluster, or one whose cluster id is unknown, is delivered to', async () => {
    const a = await start('a', 'cluster-x')
    const b = await start('b', 'cluster-x')
    const c = await start('c', undefined)
    a.transport.setPeer('b', b.server.url())
    c.transport.setPeer('b', b.server.url())
    // Until both were delivered: a heartbeat of a's sent twice (its link reconnected) must not end the wait.
    for (let round = 1; new Set(b.inbox.map((m) => m.from)).size < 2 && round < 500; round++) {
      if (!b.inbox.some((m) => m.from === 'a')) a.transport.send(heartbeat('a', 'b', round))
      if (!b.inbox.some((m) => m.from === 'c')) c.transport.send(heartbeat('c', 'b', round))
      a.transport.flush()
      c.transport.flush()
      await new Promise((r) => setTimeout(r, 20))
    }
    assert.deepEqual(new Set(b.inbox.map((m) => m.from)), new Set(['a', 'c']))
  })

  it('the refusal is a 409 before the upgrade that names both ids and carries the code', async () => {
    const b = await start('b', 'cluster-y')
    const result = await dial(b.server.url('/raft'), {headers: {...helloHeaders('a', 'b'), 'x-raftctl-cluster': 'cluster-x'}})
    assert.equal(result.kind, 'refused')
    if (result.kind !== 'refused') return
    assert.equal(result.status, 409)
    assert.match(result.body, /CLUSTER_MISMATCH: this node is in cluster cluster-y; the request is for cluster cluster-x/)
  })
})
