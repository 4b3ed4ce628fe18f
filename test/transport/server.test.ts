/**
 * NodeServer tests on real sockets (127.0.0.1, port 0): authentication before the upgrade
 * (401 and the handler never runs), 404 for unknown paths, route verification, the plain HTTP
 * handler with public and protected paths, oversized frames (1009, the server survives), and
 * close() releasing every connection.
 */
import assert from 'node:assert/strict'
import {request} from 'node:http'
import {after, before, describe, it} from 'node:test'
import type {WebSocket} from 'ws'
import {NodeServer} from '../../src/transport/server.js'
import {closeCode, dial, SECRET} from './helpers.js'

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
