/**
 * NodeServer tests on real sockets (127.0.0.1, port 0): authentication before the upgrade
 * (401 and the handler never runs), 404 for unknown paths, route verification, the plain HTTP
 * handler with public and protected paths, oversized frames (1009, the server survives),
 * close() releasing every connection, the peer secret (only it opens peer-only routes), and the
 * separate budget and deadline of unauthenticated sockets.
 */
import assert from 'node:assert/strict'
import {request} from 'node:http'
import {connect} from 'node:net'
import type {Socket} from 'node:net'
import {after, before, describe, it} from 'node:test'
import type {WebSocket} from 'ws'
import {NodeServer} from '../../src/transport/server.js'
import {closeCode, dial, SECRET, waitFor} from './helpers.js'

interface HttpResult {
  status: number
  body: string
}

function httpGet(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request(url, {method, headers}, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        body += chunk
      })
      res.on('end', () => resolve({status: res.statusCode ?? 0, body}))
    })
    req.on('error', reject)
    req.end()
  })
}

const auth = {authorization: `Bearer ${SECRET}`}

describe('NodeServer: upgrades', () => {
  let server: NodeServer
  const accepted: string[] = []
  const open: WebSocket[] = []

  before(async () => {
    server = await NodeServer.listen({secret: SECRET})
    server.route('/echo', (ws) => {
      accepted.push('echo')
      ws.on('message', (data) => ws.send(data))
    }, {maxPayload: 1024})
    server.route('/picky', () => accepted.push('picky'), {
      verify: (req) => (req.headers['x-ok'] === 'yes' ? undefined : {status: 403, message: 'not ok'}),
    })
  })

  after(async () => {
    for (const ws of open) ws.terminate()
    await server.close()
  })

  it('binds 127.0.0.1 on a free port', () => {
    assert.equal(server.host, '127.0.0.1')
    assert.ok(server.port > 0)
    assert.equal(server.url('/echo'), `ws://127.0.0.1:${server.port}/echo`)
  })

  it('refuses an upgrade without a secret with 401 and never calls the handler', async () => {
    const result = await dial(server.url('/echo'))
    assert.equal(result.kind, 'refused')
    assert.equal(result.kind === 'refused' && result.status, 401)
    assert.deepEqual(accepted, [])
  })

  it('refuses wrong secrets (both headers, longer/shorter/empty) with 401', async () => {
    const wrong: Record<string, string>[] = [
      {authorization: 'Bearer nope'},
      {authorization: `Bearer ${SECRET}x`},
      {authorization: `Bearer ${SECRET.slice(0, -1)}`},
      {authorization: SECRET},
      {'x-raftctl-secret': 'nope'},
      {'x-raftctl-secret': ''},
    ]
    for (const headers of wrong) {
      const result = await dial(server.url('/echo'), {headers})
      assert.equal(result.kind === 'refused' && result.status, 401, JSON.stringify(headers))
    }
    assert.deepEqual(accepted, [])
    assert.ok((server.stats().upgradesRejected[401] ?? 0) >= 7)
  })

  it('refuses an unknown path with 404 (after auth)', async () => {
    const result = await dial(server.url('/nowhere'), {headers: auth})
    assert.equal(result.kind === 'refused' && result.status, 404)
  })

  it('applies the route verify hook before the upgrade', async () => {
    const refused = await dial(server.url('/picky'), {headers: auth})
    assert.equal(refused.kind === 'refused' && refused.status, 403)
    assert.deepEqual(accepted, [])
  })

  it('accepts the secret as Bearer or x-raftctl-secret and routes by path', async () => {
    for (const headers of [auth, {'x-raftctl-secret': SECRET}, {authorization: `bearer   ${SECRET}`}] as Record<string, string>[]) {
      const result = await dial(server.url('/echo?x=1'), {headers})
      assert.equal(result.kind, 'open')
      if (result.kind === 'open') open.push(result.ws)
    }
    assert.deepEqual(accepted, ['echo', 'echo', 'echo'])
  })

  it('closes an oversized frame with 1009, stays up and serves the next request', async () => {
    const first = await dial(server.url('/echo'), {headers: auth})
    assert.equal(first.kind, 'open')
    if (first.kind !== 'open') return
    const code = closeCode(first.ws)
    first.ws.send(new Uint8Array(4096))
    assert.equal(await code, 1009)
    const second = await dial(server.url('/echo'), {headers: auth})
    assert.equal(second.kind, 'open')
    if (second.kind !== 'open') return
    const echoed = new Promise<Buffer>((resolve) => second.ws.once('message', (data) => resolve(data as Buffer)))
    second.ws.send(Buffer.from('ping'))
    assert.equal((await echoed).toString(), 'ping')
    second.ws.terminate()
  })

  it('refuses a duplicate route', () => {
    assert.throws(() => server.route('/echo', () => {}), /already registered/)
    assert.throws(() => server.route('relative', () => {}), /must start with/)
  })
})

describe('NodeServer: plain HTTP', () => {
  let server: NodeServer
  let calls: string[]

  before(async () => {
    calls = []
    server = await NodeServer.listen({
      secret: SECRET,
      httpHandler: (req, res) => {
        calls.push(req.url ?? '')
        if (req.url === '/boom') throw new Error('boom')
        if (req.url === '/async-boom') return Promise.reject(new Error('async boom'))
        res.end(`ok ${req.url}`)
      },
    })
  })

  after(() => server.close())

  const base = (): string => `http://127.0.0.1:${server.port}`

  it('serves /health without the secret', async () => {
    assert.deepEqual(await httpGet(`${base()}/health`), {status: 200, body: 'ok /health'})
  })

  it('requires the secret for /metrics and everything else', async () => {
    assert.equal((await httpGet(`${base()}/metrics`)).status, 401)
    assert.equal((await httpGet(`${base()}/metrics`, {authorization: 'Bearer wrong'})).status, 401)
    assert.deepEqual(await httpGet(`${base()}/metrics`, auth), {status: 200, body: 'ok /metrics'})
    assert.equal(calls.filter((c) => c === '/metrics').length, 1)
  })

  it('answers 404 to non-GET methods without calling the handler', async () => {
    const before = calls.length
    assert.equal((await httpGet(`${base()}/metrics`, auth, 'POST')).status, 404)
    assert.equal(calls.length, before)
  })

  it('answers 500 when the handler throws or rejects, and keeps serving', async () => {
    assert.equal((await httpGet(`${base()}/boom`, auth)).status, 500)
    assert.equal((await httpGet(`${base()}/async-boom`, auth)).status, 500)
    assert.equal((await httpGet(`${base()}/health`)).status, 200)
    assert.equal(server.stats().handlerErrors, 2)
  })

  it('answers 404 when no handler is installed, and publicHttpPaths opens /metrics', async () => {
    const other = await NodeServer.listen({secret: SECRET, publicHttpPaths: ['/health', '/metrics']})
    try {
      const url = `http://127.0.0.1:${other.port}`
      assert.equal((await httpGet(`${url}/metrics`)).status, 404)
      other.setHttpHandler((_req, res) => {
        res.end('m')
      })
      assert.deepEqual(await httpGet(`${url}/metrics`), {status: 200, body: 'm'})
      assert.equal((await httpGet(`${url}/admin`)).status, 401)
    } finally {
      await other.close()
    }
  })
})

describe('NodeServer: lifecycle', () => {
  it('refuses an empty secret', async () => {
    await assert.rejects(NodeServer.listen({secret: ''}), /non-empty secret/)
  })

  it('reports EADDRINUSE', async () => {
    const first = await NodeServer.listen({secret: SECRET})
    try {
      await assert.rejects(NodeServer.listen({secret: SECRET, port: first.port}), /EADDRINUSE/)
    } finally {
      await first.close()
    }
  })

  it('close() terminates accepted sockets and is idempotent', async () => {
    const server = await NodeServer.listen({secret: SECRET})
    server.route('/x', () => {})
    const result = await dial(server.url('/x'), {headers: auth})
    assert.equal(result.kind, 'open')
    if (result.kind !== 'open') return
    const code = closeCode(result.ws)
    await Promise.all([server.close(), server.close()])
    assert.equal(await code, 1006)
  })
})

const PEER_SECRET = 'peer-secret-0123456789abcdef'

describe('NodeServer: the peer secret', () => {
  it('opens peer-only routes; the client secret gets 403 there and opens the others', async () => {
    const server = await NodeServer.listen({secret: SECRET, peerSecret: PEER_SECRET})
    const accepted: string[] = []
    const sockets: WebSocket[] = []
    server.route('/raft', (ws) => {
      accepted.push('raft')
      sockets.push(ws)
    }, {peersOnly: true})
    server.route('/client', (ws) => {
      accepted.push('client')
      sockets.push(ws)
    })
    try {
      assert.equal(server.peerAuth, 'peer-secret')
      const client = await dial(server.url('/raft'), {headers: auth})
      assert.equal(client.kind === 'refused' && client.status, 403)
      assert.deepEqual(accepted, [])
      const peer = await dial(server.url('/raft'), {headers: {authorization: `Bearer ${PEER_SECRET}`}})
      assert.equal(peer.kind, 'open')
      for (const secret of [SECRET, PEER_SECRET]) {
        const result = await dial(server.url('/client'), {headers: {'x-raftctl-secret': secret}})
        assert.equal(result.kind, 'open', `the ${secret === SECRET ? 'client' : 'peer'} secret opens /client`)
      }
      const wrong = await dial(server.url('/raft'), {headers: {authorization: 'Bearer nope'}})
      assert.equal(wrong.kind === 'refused' && wrong.status, 401)
      assert.deepEqual(accepted, ['raft', 'client', 'client'])
      assert.deepEqual(server.stats().upgradesRejected, {401: 1, 403: 1})
    } finally {
      for (const ws of sockets) ws.terminate()
      await server.close()
    }
  })

  it('without a peer secret (or with the same one) the client secret opens peer-only routes: shared-secret mode', async () => {
    for (const peerSecret of [undefined, SECRET]) {
      const server = await NodeServer.listen({secret: SECRET, peerSecret})
      server.route('/raft', (ws) => ws.close(), {peersOnly: true})
      try {
        assert.equal(server.peerAuth, 'shared-secret')
        const result = await dial(server.url('/raft'), {headers: auth})
        assert.equal(result.kind, 'open')
      } finally {
        await server.close()
      }
    }
  })
})

/** A raw TCP socket that sent the start of a request line and nothing more (`closed` turns true on close). */
async function halfSent(port: number): Promise<Socket> {
  const socket = connect({host: '127.0.0.1', port})
  socket.on('error', () => {})
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve())
    socket.once('error', reject)
  })
  socket.write('GET /client HTT')
  return socket
}

describe('NodeServer: unauthenticated sockets', () => {
  const opened: Socket[] = []
  const servers: NodeServer[] = []

  async function listen(options: Partial<Parameters<typeof NodeServer.listen>[0]>): Promise<NodeServer> {
    const server = await NodeServer.listen({secret: SECRET, ...options})
    server.route('/client', (ws) => ws.on('message', (data) => ws.send(data)))
    servers.push(server)
    return server
  }

  /** Open half-sent sockets one by one, each admitted before the next (so accept order is known). */
  async function openHalfSent(server: NodeServer, count: number): Promise<Socket[]> {
    const sockets: Socket[] = []
    for (let i = 0; i < count; i++) {
      const before = server.stats()
      const socket = await halfSent(server.port)
      opened.push(socket)
      sockets.push(socket)
      await waitFor(() => {
        const now = server.stats()
        return now.pendingConnections + now.pendingEvicted > before.pendingConnections + before.pendingEvicted
      }, `socket ${i} admitted`)
    }
    return sockets
  }

  after(async () => {
    for (const socket of opened) socket.destroy()
    await Promise.all(servers.map((server) => server.close()))
  })

  it('a full per-address budget evicts the oldest half-sent socket: a real client still connects', async () => {
    const server = await listen({maxPendingPerAddress: 3, authTimeoutMs: 600_000})
    const sockets = await openHalfSent(server, 5)
    await waitFor(() => sockets[0]!.closed && sockets[1]!.closed, 'the two oldest evicted')
    assert.equal(server.stats().pendingConnections, 3)
    assert.equal(server.stats().pendingEvicted, 2)
    assert.deepEqual(sockets.map((s) => s.closed).slice(2), [false, false, false])
    const client = await dial(server.url('/client'), {headers: auth})
    assert.equal(client.kind, 'open', 'an authenticated client gets in despite the full budget')
    if (client.kind !== 'open') return
    await waitFor(() => sockets[2]!.closed, 'the oldest remaining one evicted for it')
    const stats = server.stats()
    assert.equal(stats.authenticatedConnections, 1)
    assert.equal(stats.pendingConnections, 2)
    const echoed = new Promise((resolve) => client.ws.once('message', (data) => resolve(String(data))))
    client.ws.send('still here')
    assert.equal(await echoed, 'still here')
    client.ws.terminate()
  })

  it('the total budget holds across addresses: the oldest pending socket goes first', async () => {
    const server = await listen({maxPendingConnections: 2, authTimeoutMs: 600_000})
    const sockets = await openHalfSent(server, 4)
    await waitFor(() => sockets[0]!.closed && sockets[1]!.closed, 'the two oldest evicted')
    assert.equal(server.stats().pendingConnections, 2)
    assert.deepEqual(sockets.map((s) => s.closed).slice(2), [false, false])
  })

  it('a socket that does not authenticate in time is destroyed; an authenticated one opened after it stays', async () => {
    const server = await listen({authTimeoutMs: 300})
    const [slow] = await openHalfSent(server, 1)
    const client = await dial(server.url('/client'), {headers: auth})
    assert.equal(client.kind, 'open')
    if (client.kind !== 'open') return
    await waitFor(() => slow!.closed, 'the half-sent socket destroyed at its deadline')
    assert.equal(server.stats().pendingTimedOut, 1)
    assert.equal(client.ws.readyState, client.ws.OPEN)
    const echoed = new Promise((resolve) => client.ws.once('message', (data) => resolve(String(data))))
    client.ws.send('after the deadline')
    assert.equal(await echoed, 'after the deadline')
    client.ws.terminate()
  })

  it('authenticated connections have their own limit (503 beyond it), apart from pending sockets', async () => {
    const server = await listen({maxConnections: 2, maxPendingConnections: 4, authTimeoutMs: 600_000})
    await openHalfSent(server, 4)
    const first = await dial(server.url('/client'), {headers: auth})
    const second = await dial(server.url('/client'), {headers: auth})
    assert.equal(first.kind, 'open')
    assert.equal(second.kind, 'open')
    const third = await dial(server.url('/client'), {headers: auth})
    assert.equal(third.kind === 'refused' && third.status, 503)
    for (const result of [first, second]) if (result.kind === 'open') result.ws.terminate()
    await waitFor(() => server.stats().authenticatedConnections === 0, 'authenticated sockets released')
    const fourth = await dial(server.url('/client'), {headers: auth})
    assert.equal(fourth.kind, 'open')
    if (fourth.kind === 'open') fourth.ws.terminate()
  })
})
