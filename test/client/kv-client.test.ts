/**
 * KvClient and Connection against fake nodes (test/client/fake-node.ts) on 127.0.0.1: the
 * secret (401 → UNAUTHORIZED), leader discovery and NOT_LEADER redirects (by endpoint id and by
 * the hint's address), a timed-out write retried with the SAME seq and applied once, a
 * connection closed mid-request (unknown outcome for writes, not for reads), definite failures,
 * CAS mismatch as a result, session expiry, and failing at once when no node is listening. Every node and client is closed at the end.
 */
import assert from 'node:assert/strict'
import {subscribe, unsubscribe} from 'node:diagnostics_channel'
import {afterEach, beforeEach, describe, it} from 'node:test'
import {ClientError, Connection, KvClient, routeUrl, type KvClientOptions} from '../../src/client/index.js'
import {FakeNode, SECRET} from './fake-node.js'
import {DEFAULT_PROTOCOL_LIMITS} from '../../src/admin/limits.js'
import {ECHO_OMITTED_FROM} from '../../src/admin/protocol.js'

let nodes: FakeNode[] = []
let clients: {close(): Promise<void>}[] = []

async function startNodes(...ids: string[]): Promise<FakeNode[]> {
  const started = await Promise.all(ids.map((id) => FakeNode.start(id)))
  nodes.push(...started)
  return started
}

function client(options: Partial<KvClientOptions> & Pick<KvClientOptions, 'endpoints'>): KvClient {
  const kv = new KvClient({secret: SECRET, timeoutMs: 1000, minBackoffMs: 1, maxBackoffMs: 5, ...options})
  clients.push(kv)
  return kv
}

/** Run `fn`, expect a ClientError, return it. */
async function rejection(fn: () => Promise<unknown>): Promise<ClientError> {
  try {
    await fn()
  } catch (error) {
    assert.ok(error instanceof ClientError, `expected a ClientError, got ${String(error)}`)
    return error
  }
  assert.fail('expected a rejection')
}

beforeEach(() => {
  nodes = []
  clients = []
})

afterEach(async () => {
  await Promise.all(clients.map((c) => c.close()))
  await Promise.all(nodes.map((n) => n.stop()))
})

describe('Connection', () => {
  it('refuses a wrong secret with UNAUTHORIZED, definite (nothing sent)', async () => {
    const [n1] = await startNodes('n1')
    const error = await rejection(() => Connection.open({url: `${n1!.address}/client`, secret: 'wrong'}))
    assert.equal(error.code, 'UNAUTHORIZED')
    assert.equal(error.unknown, false)
    assert.equal(n1!.seen.length, 0)
  })

  it('reports an unreachable node as UNAVAILABLE, not unknown', async () => {
    const [n1] = await startNodes('n1')
    const url = `${n1!.address}/client`
    await n1!.stop()
    nodes = []
    const error = await rejection(() => Connection.open({url, secret: SECRET}))
    assert.equal(error.code, 'UNAVAILABLE')
    assert.equal(error.unknown, false)
  })

  it('correlates concurrent requests by id', async () => {
    const [n1] = await startNodes('n1')
    const connection = await Connection.open({url: `${n1!.address}/client`, secret: SECRET})
    clients.push(connection)
    const results = await Promise.all([
      connection.request('put', {key: 'a', value: '1'}),
      connection.request('put', {key: 'b', value: '2'}),
      connection.request('get', {key: 'a'}),
      connection.request('ping', {}),
    ])
    assert.deepEqual(results.slice(0, 3), [{value: '1'}, {value: '2'}, {value: '1', index: 2}])
    assert.equal((results[3] as {node: string}).node, 'n1')
  })

  it('fails a write in flight with UNAVAILABLE, unknown, when the connection closes; a read is not unknown', async () => {
    const [n1] = await startNodes('n1')
    n1!.misbehave = () => 'ignore'
    const connection = await Connection.open({url: `${n1!.address}/client`, secret: SECRET})
    clients.push(connection)
    const write = rejection(() => connection.request('put', {key: 'k', value: 'v'}))
    const read = rejection(() => connection.request('get', {key: 'k'}))
    await waitFor(() => n1!.seen.length === 2)
    n1!.dropConnections()
    const [w, r] = await Promise.all([write, read])
    assert.deepEqual([w.code, w.unknown, w.exitCode], ['UNAVAILABLE', true, 3])
    assert.deepEqual([r.code, r.unknown], ['UNAVAILABLE', false])
    assert.equal(connection.isOpen, false)
    const after = await rejection(() => connection.request('get', {key: 'k'}))
    assert.deepEqual([after.code, after.unknown], ['UNAVAILABLE', false])
  })

  it('times a request out: TIMEOUT, unknown for a write', async () => {
    const [n1] = await startNodes('n1')
    n1!.misbehave = () => 'ignore'
    const connection = await Connection.open({url: `${n1!.address}/client`, secret: SECRET, timeoutMs: 50})
    clients.push(connection)
    const error = await rejection(() => connection.request('append', {key: 'k', value: 'v'}))
    assert.deepEqual([error.code, error.unknown], ['TIMEOUT', true])
    assert.equal(connection.inFlight, 0)
  })

  it('refuses an invalid request before sending it (definite)', async () => {
    const [n1] = await startNodes('n1')
    const connection = await Connection.open({url: `${n1!.address}/client`, secret: SECRET, limits: {maxKeyBytes: 3}})
    clients.push(connection)
    const error = await rejection(() => connection.request('put', {key: 'long', value: 'v'}))
    assert.deepEqual([error.code, error.unknown], ['PAYLOAD_TOO_LARGE', false])
    assert.equal(n1!.seen.length, 0)
  })
})

describe('KvClient', () => {
  it('follows a NOT_LEADER hint to the leader by endpoint id and caches it', async () => {
    const [n1, n2] = await startNodes('n1', 'n2')
    n1!.leader = false
    n1!.hint = {id: 'n2', address: null}
    const kv = client({endpoints: [{id: 'n1', url: n1!.address}, {id: 'n2', url: n2!.address}]})
    assert.deepEqual(await kv.put('x', '1'), {value: '1'})
    assert.equal(kv.leader, 'n2')
    assert.deepEqual(await kv.get('x'), {value: '1', index: 1})
    assert.equal(n1!.seen.length, 1, 'only the first request went to the follower')
    assert.equal(n2!.seen.length, 2)
  })

  it('tells onLeader, once each, the node a NOT_LEADER hint names and the node that served a write or a linearizable read; a serializable read tells nothing', async () => {
    const [n1, n2] = await startNodes('n1', 'n2')
    n1!.leader = false
    n1!.hint = {id: 'n2', address: null}
    const told: {id: string; address: string}[] = []
    const redirected = client({endpoints: [{id: 'n1', url: n1!.address}, {id: 'n2', url: n2!.address}], onLeader: (l) => told.push(l)})
    await redirected.put('x', '1')
    await redirected.put('x', '2')
    assert.deepEqual(told, [{id: 'n2', address: n2!.address}], 'the hint, once')
    told.length = 0
    const direct = client({endpoints: [{id: 'n2', url: n2!.address}, {id: 'n1', url: n1!.address}], onLeader: (l) => told.push(l)})
    await direct.get('x', {serializable: true})
    assert.deepEqual(told, [], 'any node serves a serializable read')
    await direct.get('x')
    await direct.put('y', '1')
    assert.deepEqual(told, [{id: 'n2', address: n2!.address}], 'the first endpoint served a linearizable read: it leads')
    assert.equal(direct.leader, 'n2')
  })

  it('with a leader believed (the leader option), the first attempt goes to it: no redirect; a dead one costs the next endpoint', async () => {
    const [n1, n2, n3] = await startNodes('n1', 'n2', 'n3')
    n1!.leader = false
    n1!.hint = {id: 'n2', address: null}
    n3!.leader = false
    const endpoints = [{id: 'n1', url: n1!.address}, {id: 'n2', url: n2!.address}, {id: 'n3', url: n3!.address}]
    await client({endpoints, leader: 'n2'}).put('x', '1')
    assert.deepEqual([n1!.seen.length, n2!.seen.length, n3!.seen.length], [0, 1, 0])
    await n3!.stop()
    await client({endpoints, leader: 'n3'}).put('x', '2')
    assert.deepEqual([n1!.seen.length, n2!.seen.length], [1, 2], 'n3 refused: n1 next, which redirected to n2')
  })

  it('sends a large put with echo: false (the answer leaves the value out) and resolves to the value it sent', async () => {
    const [n1] = await startNodes('n1')
    const kv = client({endpoints: [{id: 'n1', url: n1!.address}]})
    const large = 'é'.repeat(ECHO_OMITTED_FROM)
    assert.deepEqual(await kv.put('big', large), {value: large})
    assert.deepEqual(await kv.put('small', 'x'.repeat(ECHO_OMITTED_FROM - 1)), {value: 'x'.repeat(ECHO_OMITTED_FROM - 1)})
    const puts = n1!.seen.map((s) => s.request).filter((r) => r.type === 'put') as Array<{key: string; echo?: boolean}>
    assert.deepEqual(puts.map((r) => [r.key, r.echo]), [['big', false], ['small', undefined]])
    assert.equal(n1!.store.get('big'), large)
  })

  it('get({node}) sends the first attempt to that node, then follows its redirect', async () => {
    const [n1, n2] = await startNodes('n1', 'n2')
    n1!.leader = false
    n1!.hint = {id: 'n2', address: null}
    const kv = client({endpoints: [{id: 'n1', url: n1!.address}, {id: 'n2', url: n2!.address}]})
    await kv.put('x', '1') // caches n2 as the leader
    const before = n1!.seen.length
    assert.deepEqual(await kv.get('x', {node: 'n1'}), {value: '1', index: 1})
    assert.equal(n1!.seen.length, before + 1, 'the read went to n1 first despite the cached leader')
    assert.equal(kv.leader, 'n2')
    const error = await rejection(() => kv.get('x', {node: 'n9'}))
    assert.equal(error.code, 'BAD_INPUT')
  })

  it('concurrent first requests share one connection per node (none leaks)', async () => {
    const [n1] = await startNodes('n1')
    const kv = client({endpoints: [{id: 'n1', url: n1!.address}]})
    await Promise.all(Array.from({length: 16}, (_, i) => kv.get(`k${i}`)))
    assert.equal(n1!.openSockets, 1)
    await kv.close()
    await waitFor(() => n1!.openSockets === 0)
  })

  it('reaches a leader that is not among the endpoints through the hint address', async () => {
    const [n1, n2] = await startNodes('n1', 'n2')
    n1!.leader = false
    n1!.hint = {id: 'n2', address: n2!.address}
    const kv = client({endpoints: [{id: 'n1', url: n1!.address}]})
    assert.deepEqual(await kv.append('log', 'a'), {value: 'a'})
    assert.equal(kv.leader, 'n2')
  })

  it('tries the next endpoint when one is down or has no leader', async () => {
    const [n1, n2, n3] = await startNodes('n1', 'n2', 'n3')
    const downUrl = n1!.address
    await n1!.stop()
    n2!.misbehave = () => ({error: {code: 'NO_LEADER', message: 'election in progress'}})
    const kv = client({endpoints: [{id: 'n1', url: downUrl}, {id: 'n2', url: n2!.address}, {id: 'n3', url: n3!.address}]})
    assert.deepEqual(await kv.put('k', 'v'), {value: 'v'})
    assert.equal(n3!.applied.length, 1)
    nodes = [n2!, n3!]
  })

  it('fails at once with UNAVAILABLE naming every endpoint when none is listening: one round, not until the deadline', async () => {
    const started = await startNodes('n1', 'n2', 'n3')
    const endpoints = started.map((n) => ({id: n.id, url: n.address}))
    await Promise.all(started.map((n) => n.stop()))
    nodes = []
    const kv = client({endpoints, timeoutMs: 30_000, deadlineMs: 60_000, maxAttempts: 1000})
    let sockets = 0
    const count = (): void => {
      sockets++
    }
    subscribe('net.client.socket', count)
    const error = await rejection(() => kv.put('k', 'v')).finally(() => unsubscribe('net.client.socket', count))
    assert.deepEqual([error.code, error.unknown, error.exitCode], ['UNAVAILABLE', false, 3])
    assert.equal(error.message, `no node is listening: ${endpoints.map((e) => `${e.id} at ${e.url}`).join(', ')}`)
    assert.equal(sockets, 3, 'one connection attempt per endpoint, then it gave up')
    const read = await rejection(() => kv.get('k'))
    assert.match(read.message, /^no node is listening: n1 at /)
  })

  it('keeps retrying while one node is listening (NO_LEADER during an election) and the others refuse', async () => {
    const [n1, n2, n3] = await startNodes('n1', 'n2', 'n3')
    const endpoints = [n1!, n2!, n3!].map((n) => ({id: n.id, url: n.address}))
    await Promise.all([n2!.stop(), n3!.stop()])
    nodes = [n1!]
    let asked = 0
    n1!.misbehave = () => (++asked <= 2 ? {error: {code: 'NO_LEADER', message: 'election in progress'}} : undefined)
    const kv = client({endpoints, maxAttempts: 20})
    assert.deepEqual(await kv.put('k', 'v'), {value: 'v'})
    assert.equal(asked, 3, 'two full rounds with refusals, then n1 led')
    assert.deepEqual(n1!.applied, ['put k'])
  })

  it('retries a timed-out write with the SAME seq, and the node applies it once', async () => {
    const [n1] = await startNodes('n1')
    let first = true
    n1!.misbehave = (request) => {
      if (request.type !== 'append' || !first) return undefined
      first = false
      return 'apply-silently' // applied, but the answer is lost
    }
    const kv = client({endpoints: [{id: 'n1', url: n1!.address}], timeoutMs: 100})
    assert.deepEqual(await kv.append('k', 'x'), {value: 'x'}, 'the cached result of the first application')
    const appends = n1!.requests('append') as {session?: {clientId: string; seq: number}}[]
    assert.equal(appends.length, 2)
    assert.deepEqual(appends[0]!.session, {clientId: kv.clientId, seq: 1})
    assert.deepEqual(appends[1]!.session, appends[0]!.session)
    assert.deepEqual(n1!.applied, ['append k'])
    assert.equal(n1!.store.get('k'), 'x')
    await kv.append('k', 'y')
    assert.deepEqual((n1!.requests('append').at(-1) as {session?: unknown}).session, {clientId: kv.clientId, seq: 2})
  })

  it('range sends the selector and options as given and returns the answer', async () => {
    const [n1] = await startNodes('n1')
    for (const [k, v] of [['a', '1'], ['p/1', '2'], ['p/2', '3'], ['q', '4']]) n1!.store.set(k!, v!)
    const kv = client({endpoints: [{id: 'n1', url: n1!.address}]})
    assert.deepEqual(await kv.range({prefix: 'p/'}, {limit: 1}), {kvs: [{key: 'p/1', value: '2', modIndex: 1}], count: 2, more: true, index: 0})
    assert.deepEqual(await kv.range({from: 'b', to: 'q'}, {keysOnly: true}), {kvs: [{key: 'p/1', modIndex: 1}, {key: 'p/2', modIndex: 1}], count: 2, more: false, index: 0})
    assert.deepEqual((await kv.range({from: 'b'}, {countOnly: true})).count, 3)
    const sent = n1!.requests('range').map(({v: _v, id: _id, type: _type, ...params}) => params)
    assert.deepEqual(sent, [{prefix: 'p/', limit: 1}, {from: 'b', to: 'q', keysOnly: true}, {from: 'b', countOnly: true}])
  })

  it('a linearizable range follows NOT_LEADER to the leader; a serializable one is answered by the first node', async () => {
    const [n1, n2] = await startNodes('n1', 'n2')
    n1!.leader = false
    n1!.hint = {id: 'n2', address: n2!.address}
    n2!.store.set('k', 'leader')
    n1!.store.set('k', 'stale')
    const kv = client({endpoints: [{id: 'n1', url: n1!.address}, {id: 'n2', url: n2!.address}]})
    assert.equal((await kv.range({prefix: ''})).kvs[0]!.value, 'leader')
    const local = client({endpoints: [{id: 'n1', url: n1!.address}]})
    assert.equal((await local.range({prefix: ''}, {serializable: true})).kvs[0]!.value, 'stale')
  })

  it('retries a timed-out deletePrefix with the SAME seq, and the node applies it once', async () => {
    const [n1] = await startNodes('n1')
    n1!.store.set('p/1', 'x')
    n1!.store.set('p/2', 'y')
    let first = true
    n1!.misbehave = (request) => {
      if (request.type !== 'deletePrefix' || !first) return undefined
      first = false
      return 'apply-silently'
    }
    const kv = client({endpoints: [{id: 'n1', url: n1!.address}], timeoutMs: 100})
    assert.deepEqual(await kv.deletePrefix('p/'), {deleted: 2}, 'the cached result of the first application')
    const sent = n1!.requests('deletePrefix') as {session?: {clientId: string; seq: number}}[]
    assert.equal(sent.length, 2)
    assert.deepEqual(sent[0]!.session, {clientId: kv.clientId, seq: 1})
    assert.deepEqual(sent[1]!.session, sent[0]!.session)
    assert.deepEqual(n1!.applied, ['deletePrefix p/'])
  })

  it('retries with the same seq after the connection closed mid-request', async () => {
    const [n1] = await startNodes('n1')
    let closes = 0
    n1!.misbehave = (request) => (request.type === 'put' && closes++ === 0 ? 'apply-and-close' : undefined)
    const kv = client({endpoints: [{id: 'n1', url: n1!.address}]})
    assert.deepEqual(await kv.put('k', 'v'), {value: 'v'})
    const puts = n1!.requests('put') as {session?: {seq: number}}[]
    assert.deepEqual(puts.map((p) => p.session?.seq), [1, 1])
    assert.deepEqual(n1!.applied, ['put k'])
  })

  it('throws unknown: true when every attempt loses the connection mid-request', async () => {
    const [n1] = await startNodes('n1')
    n1!.misbehave = (request) => (request.type === 'put' ? 'close' : undefined)
    const kv = client({endpoints: [{id: 'n1', url: n1!.address}], maxAttempts: 3})
    const error = await rejection(() => kv.put('k', 'v'))
    assert.deepEqual([error.code, error.unknown, error.exitCode], ['UNAVAILABLE', true, 3])
    assert.equal(n1!.requests('put').length, 3)
  })

  it('keeps unknown: true when a later attempt fails definitely (an earlier one may have applied)', async () => {
    const [n1] = await startNodes('n1')
    let attempts = 0
    n1!.misbehave = () => (attempts++ === 0 ? 'apply-silently' : {error: {code: 'NO_LEADER', message: 'no leader'}})
    const kv = client({endpoints: [{id: 'n1', url: n1!.address}], timeoutMs: 50, maxAttempts: 3})
    const error = await rejection(() => kv.put('k', 'v'))
    assert.deepEqual([error.code, error.unknown], ['NO_LEADER', true])
  })

  it('reports NO_LEADER as definite when nothing may have been applied', async () => {
    const [n1] = await startNodes('n1')
    n1!.misbehave = () => ({error: {code: 'NO_LEADER', message: 'no leader'}})
    const kv = client({endpoints: [{id: 'n1', url: n1!.address}], maxAttempts: 2})
    const error = await rejection(() => kv.put('k', 'v'))
    assert.deepEqual([error.code, error.unknown], ['NO_LEADER', false])
  })

  it('fails definitely, without retrying, on an invalid request', async () => {
    const [n1] = await startNodes('n1')
    const kv = client({endpoints: [{id: 'n1', url: n1!.address}]})
    const empty = await rejection(() => kv.put('', 'v'))
    assert.deepEqual([empty.code, empty.unknown, empty.exitCode], ['BAD_REQUEST', false, 2])
    const big = await rejection(() => kv.put('k', 'v'.repeat(DEFAULT_PROTOCOL_LIMITS.maxValueBytes + 1)))
    assert.deepEqual([big.code, big.unknown], ['PAYLOAD_TOO_LARGE', false])
    assert.equal(n1!.seen.length, 0)
  })

  it('refuses a lone surrogate (no UTF-8 form: it would be stored as U+FFFD) with INVALID_UTF8, exit 2, before sending', async () => {
    const [n1] = await startNodes('n1')
    const kv = client({endpoints: [{id: 'n1', url: n1!.address}]})
    for (const attempt of [() => kv.put('k\uD800', 'v'), () => kv.put('k', 'a\uDFFFb'), () => kv.cas('k', '\uD83D', 'v'), () => kv.get('\uDC00')]) {
      const error = await rejection(attempt)
      assert.deepEqual([error.code, error.unknown, error.exitCode], ['INVALID_UTF8', false, 2])
      assert.match(error.message, /lone surrogate/)
    }
    assert.equal(n1!.seen.length, 0)
    assert.deepEqual(await kv.put('k', '\uD83D\uDE00'), {value: '\uD83D\uDE00'}, 'a surrogate pair is fine, and the refused writes used no seq')
    assert.equal(kv.lastSeq, 1)
  })

  it('returns a failed CAS comparison as a result, not an error', async () => {
    const [n1] = await startNodes('n1')
    const kv = client({endpoints: [{id: 'n1', url: n1!.address}]})
    assert.deepEqual(await kv.cas('k', null, 'a'), {swapped: true, value: 'a'})
    assert.deepEqual(await kv.cas('k', 'b', 'c'), {swapped: false, value: 'a'})
    assert.deepEqual(await kv.cas('k', null, 'c'), {swapped: false, value: 'a'})
    assert.deepEqual(await kv.delete('k'), {deleted: true})
    assert.deepEqual(await kv.get('k'), {value: null, index: 4}, 'the fake counts every applied write')
  })

  it('sends writes one at a time, in call order, with increasing seqs', async () => {
    const [n1] = await startNodes('n1')
    const kv = client({endpoints: [{id: 'n1', url: n1!.address}]})
    await Promise.all(['a', 'b', 'c', 'd'].map((v) => kv.append('k', v)))
    assert.equal(n1!.store.get('k'), 'abcd')
    assert.deepEqual(n1!.requests('append').map((r) => (r as {session?: {seq: number}}).session?.seq), [1, 2, 3, 4])
  })

  it('sends serializable reads to any node, without a session', async () => {
    const [n1] = await startNodes('n1')
    n1!.leader = false
    const kv = client({endpoints: [{id: 'n1', url: n1!.address}]})
    assert.deepEqual(await kv.get('k', {serializable: true}), {value: null, index: 0})
    assert.deepEqual(n1!.seen[0]!.request, {v: 1, id: 1, type: 'get', key: 'k', serializable: true})
  })

  it('on SESSION_EXPIRED throws unknown and continues with a new client id from seq 1', async () => {
    const [n1] = await startNodes('n1')
    const kv = client({endpoints: [{id: 'n1', url: n1!.address}], clientId: 'mine'})
    await kv.put('a', '1')
    n1!.misbehave = (request) => (request.type === 'put' && request.key === 'b' ? {error: {code: 'SESSION_EXPIRED', message: 'evicted'}} : undefined)
    const error = await rejection(() => kv.put('b', '2'))
    assert.deepEqual([error.code, error.unknown], ['SESSION_EXPIRED', true])
    assert.notEqual(kv.clientId, 'mine')
    await kv.put('c', '3')
    assert.deepEqual((n1!.requests('put').at(-1) as {session?: unknown}).session, {clientId: kv.clientId, seq: 1})
  })

  it('fails fast with UNAUTHORIZED on a wrong secret', async () => {
    const [n1] = await startNodes('n1')
    const kv = client({endpoints: [{id: 'n1', url: n1!.address}], secret: 'nope'})
    const error = await rejection(() => kv.get('k'))
    assert.deepEqual([error.code, error.unknown], ['UNAUTHORIZED', false])
  })

  it('rejects calls after close', async () => {
    const [n1] = await startNodes('n1')
    const kv = client({endpoints: [{id: 'n1', url: n1!.address}]})
    await kv.put('k', 'v')
    await kv.close()
    const error = await rejection(() => kv.get('k'))
    assert.equal(error.code, 'UNAVAILABLE')
  })
})

describe('routeUrl', () => {
  it('normalises addresses to the route URL', () => {
    assert.equal(routeUrl('127.0.0.1:7001', 'client'), 'ws://127.0.0.1:7001/client')
    assert.equal(routeUrl('ws://127.0.0.1:7001/raft', 'admin'), 'ws://127.0.0.1:7001/admin')
    assert.equal(routeUrl('https://h.example:443/', 'client'), 'wss://h.example/client')
    assert.equal(routeUrl('http://[::1]:7001/prefix/', 'client'), 'ws://[::1]:7001/prefix/client')
    assert.throws(() => routeUrl('ftp://h:1', 'client'), (e: unknown) => e instanceof ClientError && e.code === 'BAD_INPUT')
    assert.throws(() => routeUrl('http://', 'client'), ClientError)
  })
})

/** Poll until `condition` holds; `timeoutMs` only bounds a hang (long enough for a busy machine). */
async function waitFor(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}
