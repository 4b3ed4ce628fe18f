/**
 * TLS: a throw-away CA and a server certificate for 127.0.0.1 are generated with `openssl` at
 * test time (skipped, saying why, when openssl is not on PATH). Peers connect over wss://
 * verifying against that CA; without the CA the dial fails certificate verification.
 */
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {readFileSync, rmSync, writeFileSync} from 'node:fs'
import {request} from 'node:https'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import type {Message} from '../../src/raft/types.js'
import {tempDir} from '../helpers.js'
import {startNode, waitFor} from './helpers.js'
import type {TestNode} from './helpers.js'

interface Pki {
  ca: string
  cert: string
  key: string
}

/** Why TLS tests cannot run here, or undefined when openssl works. */
function opensslMissing(): string | undefined {
  try {
    execFileSync('openssl', ['version'], {stdio: 'ignore'})
    return undefined
  } catch {
    return 'openssl is not on PATH: cannot generate a test certificate'
  }
}

function makePki(dir: string): Pki {
  const run = (...args: string[]): void => {
    execFileSync('openssl', args, {cwd: dir, stdio: 'ignore'})
  }
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  run('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=raftctl test CA')
  run('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost')
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n')
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '1', '-extfile', 'ext.cnf')
  const read = (name: string): string => readFileSync(join(dir, name), 'utf8')
  return {ca: read('ca.crt'), cert: read('server.crt'), key: read('server.key')}
}

const skip = opensslMissing()

describe('TLS (wss)', {skip}, () => {
  let dir: string
  let pki: Pki
  const nodes: TestNode[] = []

  before(() => {
    dir = tempDir('raftctl-tls-')
    pki = makePki(dir)
  })

  after(async () => {
    await Promise.all(nodes.map((n) => n.close()))
    rmSync(dir, {recursive: true, force: true})
  })

  async function tlsNode(id: string, ca?: string): Promise<TestNode> {
    const node = await startNode(id, {
      server: {tls: {cert: pki.cert, key: pki.key}},
      transport: {tls: ca === undefined ? undefined : {ca}},
    })
    nodes.push(node)
    return node
  }

  it('peers exchange messages over wss verified against the CA', async () => {
    const a = await tlsNode('a', pki.ca)
    const b = await tlsNode('b', pki.ca)
    assert.match(b.server.url(), /^wss:\/\/127\.0\.0\.1:\d+\/$/)
    a.transport.setPeer('b', b.server.url())
    b.transport.setPeer('a', a.server.url())
    await waitFor(() => a.transport.isReachable('b') && b.transport.isReachable('a'), 'wss links up')
    const message: Message = {type: 'heartbeat', from: 'a', to: 'b', term: 2, commit: 1, round: 9}
    a.transport.send(message)
    await waitFor(() => b.inbox.length === 1, 'delivery over wss')
    assert.deepStrictEqual(b.inbox[0], message)
    // The TLS socket of an authenticated upgrade leaves the unauthenticated budget (and its deadline).
    assert.equal(b.server.stats().authenticatedConnections, 1)
    assert.equal(b.server.stats().pendingConnections, 0)
  })

  it('a peer without the CA fails certificate verification and never connects', async () => {
    const b = await tlsNode('b2', pki.ca)
    const c = await tlsNode('c') // system trust store only
    c.transport.setPeer('b2', b.server.url())
    await waitFor(() => (c.transport.stats().peers[0]?.lastError ?? '') !== '', 'a dial error')
    assert.match(c.transport.stats().peers[0]?.lastError ?? '', /certificate|self[- ]signed|verify/i)
    assert.equal(c.transport.isReachable('b2'), false)
  })

  it('serves HTTPS GET /health with the same certificate', async () => {
    const b = await tlsNode('b3', pki.ca)
    b.server.setHttpHandler((_req, res) => {
      res.end('healthy')
    })
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(`https://127.0.0.1:${b.server.port}/health`, {ca: pki.ca}, (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          text += chunk
        })
        res.on('end', () => resolve(text))
      })
      req.on('error', reject)
      req.end()
    })
    assert.equal(body, 'healthy')
  })
})
