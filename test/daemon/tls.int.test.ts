/**
 * TLS end to end: three daemons with --tls-cert/--tls-key/--tls-ca serve wss:// and verify each
 * other against the CA; a client that trusts the CA writes and reads; one that does not is
 * refused. Certificates are made at test time with openssl (skips when it is missing).
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {TestCluster, distBuilt} from './harness.js'
import {KvClient} from '../../src/client/index.js'

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
}

const skip = !distBuilt() ? 'dist/ is not built: run `npm run build` first (npm test does)'
  : !hasOpenssl() ? 'openssl is not on PATH: cannot make test certificates' : false

/** A CA and one certificate for 127.0.0.1 signed by it. */
function makeCertificates(dir: string): {ca: string; cert: string; key: string} {
  const run = (...args: string[]): void => {
    execFileSync('openssl', args, {cwd: dir, stdio: 'ignore'})
  }
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=raftctl test CA')
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'node.key', '-out', 'node.csr', '-subj', '/CN=127.0.0.1')
  execFileSync('sh', ['-c', 'printf "subjectAltName=IP:127.0.0.1,DNS:localhost\\n" > san.ext'], {cwd: dir})
  run('x509', '-req', '-in', 'node.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'node.pem', '-days', '2', '-extfile', 'san.ext')
  return {ca: join(dir, 'ca.pem'), cert: join(dir, 'node.pem'), key: join(dir, 'node.key')}
}

test('daemons over wss:// elect a leader and replicate; clients must trust the CA', {skip}, async () => {
  const probe = new TestCluster()
  const certs = makeCertificates(probe.dir)
  const c = new TestCluster(['--tls-cert', certs.cert, '--tls-key', certs.key, '--tls-ca', certs.ca], 'wss')
  try {
    await c.start(3)
    const endpoints = c.specs.map((s) => ({id: s.id, url: s.address}))
    const trusted = new KvClient({endpoints, secret: c.secret, timeoutMs: 3000, tls: {ca: readFileSync(certs.ca)}})
    try {
      const end = Date.now() + 15_000
      let put: {value: string} | null = null
      while (put === null && Date.now() < end) {
        put = await trusted.put('secure', 'yes').catch(() => null)
      }
      assert.deepEqual(put, {value: 'yes'})
      assert.equal((await trusted.get('secure')).value, 'yes')
    } finally {
      await trusted.close()
    }
    const untrusted = new KvClient({endpoints, secret: c.secret, timeoutMs: 1000, deadlineMs: 2000, maxAttempts: 2})
    try {
      await assert.rejects(untrusted.get('secure'))
    } finally {
      await untrusted.close()
    }
  } finally {
    await c.shutdown()
    await probe.shutdown()
  }
})
