/**
 * Operating a cluster that runs elsewhere: daemons in network namespaces (other "hosts"),
 * attached from the root namespace with `cluster attach`, then driven by the commands of the
 * tour (status, leader transfer, election trigger, member add/remove of a node started by hand,
 * kv, a chaos partition and heal), over ws and over wss with a CA the test makes with openssl.
 * Bad input on loopback daemons: an endpoint that is not a URL, an unreachable endpoint, a wrong
 * secret (one attempt, no retry loop), a wrong CA, a secret file others can read, endpoints of
 * two clusters, and commands that need local processes on an attached cluster; verify (live
 * faults only) and the dashboard (process controls refused) on an attached cluster.
 * The namespace tests skip where `ip netns` is unavailable (not root, no iproute2).
 */
import {test, after, afterEach} from 'node:test'
import assert from 'node:assert/strict'
import {execFileSync, spawn, type ChildProcess} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {createServer, type Server} from 'node:http'
import {get as httpsGet} from 'node:https'
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {createInterface} from 'node:readline'
import {WebSocket} from 'ws'
import {BIN, distBuilt} from '../daemon/harness.js'
import {TestNetwork, namespacesUnavailable, type Host} from '../daemon/netns-net.js'
import {resetExitCode, testTempDir} from '../helpers.js'
import {cleanup, eventually, raftctl, useTempHome} from './cluster-helpers.js'
import {cachedMembers, freePort} from '../../src/cluster/index.js'
import {NodeServer} from '../../src/transport/index.js'

const home = useTempHome()
after(() => cleanup(home))
afterEach(resetExitCode)

const TAG = `m${process.pid % 10000}`
const netnsReason = namespacesUnavailable(TAG)
/** A /24 of 10.0.0.0/8 per test process, so that two runs on one machine do not meet. */
const SUBNET_BASE = `10.${232 + (process.pid % 3)}`
const SECRET = 'remote-test-secret-0123456789abcdef'

let opensslReason: string | null = null
try {
  execFileSync('openssl', ['version'], {stdio: 'ignore'})
} catch {
  opensslReason = 'openssl is not installed'
}

/** Every daemon the running test started, SIGKILLed (by pid) when it ends: see {@link stopDaemons}. */
const daemons: ChildProcess[] = []

/** SIGKILL every daemon started so far and wait for each to exit. */
async function stopDaemons(): Promise<void> {
  await Promise.all(daemons.splice(0).map(stopDaemon))
}
after(stopDaemons)

async function stopDaemon(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return
  const exited = new Promise((resolve) => p.once('exit', resolve))
  p.kill('SIGKILL')
  await exited
}

/** Secret and peer-secret files (0600) in `dir`. */
function secrets(dir: string, secret = SECRET): {secretFile: string; peerSecretFile: string} {
  const secretFile = join(dir, 'secret')
  const peerSecretFile = join(dir, 'peer-secret')
  writeFileSync(secretFile, `${secret}\n`, {mode: 0o600})
  writeFileSync(peerSecretFile, 'remote-test-peer-secret-0123456789\n', {mode: 0o600})
  return {secretFile, peerSecretFile}
}

/** TLS files of a daemon; with `clientCa`, it requires client certificates signed by it (`--tls-client-ca`). */
interface DaemonTls {cert: string; key: string; ca: string; clientCa?: string}

/** `raftctl node run` for `id`, in namespace `ns` (or here when null), with `extra` options and `env` added. */
function runDaemon(ns: string | null, args: {id: string; listen: string; advertise?: string; dir: string; secretFile: string; peerSecretFile: string; clusterId: string; peers?: string; initial?: string; tls?: DaemonTls; extra?: readonly string[]; env?: Record<string, string>}): ChildProcess {
  const dataDir = join(args.dir, args.id)
  mkdirSync(dataDir, {recursive: true})
  const daemon = [
    process.execPath, BIN, 'node', 'run', '--id', args.id, '--listen', args.listen, '--data-dir', dataDir,
    '--secret-file', args.secretFile, '--peer-secret-file', args.peerSecretFile, '--cluster-id', args.clusterId,
    '--log-file', join(args.dir, `${args.id}.log`),
    ...(args.advertise ? ['--advertise', args.advertise] : []),
    ...(args.peers ? ['--peers', args.peers] : []),
    ...(args.initial ? ['--initial-cluster', args.initial] : []),
    ...(args.tls ? ['--tls-cert', args.tls.cert, '--tls-key', args.tls.key, '--tls-ca', args.tls.ca] : []),
    ...(args.tls?.clientCa ? ['--tls-client-ca', args.tls.clientCa] : []),
    ...(args.extra ?? []),
  ]
  const options = {stdio: 'ignore' as const, env: {...process.env, ...args.env}}
  const child = ns === null ? spawn(daemon[0]!, daemon.slice(1), options) : spawn('ip', ['netns', 'exec', ns, ...daemon], options)
  daemons.push(child)
  return child
}

/** Start the founders `hosts` (port 7001 each, in their namespaces). */
function startFounders(hosts: readonly Host[], dir: string, files: {secretFile: string; peerSecretFile: string}, clusterId: string, tls?: DaemonTls): void {
  for (const h of hosts) {
    const peers = hosts.filter((x) => x !== h).map((x) => `${x.id}=${x.url}`).join(',')
    runDaemon(h.ns, {id: h.id, listen: `${h.address}:7001`, advertise: h.url, dir, ...files, clusterId, peers, initial: hosts.map((x) => x.id).join(','), tls})
  }
}

interface StatusDoc {
  cluster: string
  clusterId: string | null
  leader: string | null
  term: number
  nodes: {id: string; role: string; reachable: boolean; address: string; leader: string | null; term: number | null}[]
}

/** `status --json` of `cluster` once every node in `ids` answers and names one leader (that `accept` likes). */
async function settled(cluster: string, ids: readonly string[], accept: (s: StatusDoc) => boolean = () => true, timeoutMs = 60_000): Promise<StatusDoc> {
  return eventually(async () => {
    const r = await raftctl('status', '--cluster', cluster, '--json')
    if (r.exit !== 0) return null
    const st = r.json<StatusDoc>()
    const named = ids.every((id) => st.nodes.some((n) => n.id === id && n.reachable && n.leader === st.leader))
    return st.leader !== null && named && accept(st) ? st : null
  }, timeoutMs, `a leader named by ${ids.join(', ')} in cluster ${cluster}`)
}

/** Start `raftctl dashboard` on `cluster`, send `controls` once a status frame names a leader, and return the replies (then stop it by pid). */
async function dashboardReplies(cluster: string, controls: readonly object[]): Promise<{id: number; ok: boolean; code?: string}[]> {
  const child = spawn(process.execPath, [BIN, 'dashboard', '--cluster', cluster, '--json'], {stdio: ['ignore', 'pipe', 'ignore'], env: {...process.env, OCLIF_SKIP_NEW_VERSION_CHECK: 'true'}})
  daemons.push(child)
  try {
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({input: child.stdout!}).once('line', resolve)
      child.once('exit', (code) => reject(new Error(`the dashboard exited with ${code}`)))
    })
    const url = new URL((JSON.parse(line) as {url: string}).url)
    const ws = new WebSocket(`ws://${url.host}/ws?token=${encodeURIComponent(url.searchParams.get('token')!)}`)
    const replies: {id: number; ok: boolean; code?: string}[] = []
    await new Promise<void>((resolve, reject) => {
      let sent = false
      ws.on('error', reject)
      ws.on('message', (data) => {
        const frame = JSON.parse(data.toString()) as {type: string; leader?: string | null; id?: number; ok?: boolean; code?: string}
        if (frame.type === 'status' && frame.leader && !sent) {
          sent = true
          for (const c of controls) ws.send(JSON.stringify(c))
        }
        if (frame.type === 'reply') {
          replies.push({id: frame.id!, ok: frame.ok!, ...(frame.code ? {code: frame.code} : {})})
          if (replies.length === controls.length) resolve()
        }
      })
    })
    ws.close()
    return replies.sort((x, y) => x.id - y.id)
  } finally {
    await stopDaemon(child)
  }
}

/**
 * A CA, one node certificate for every address in `ips`, and one client certificate (for nodes
 * that require mutual TLS), all ECDSA P-256, made by openssl in `dir`.
 */
function makeCertificates(dir: string, name: string, ips: readonly string[]): {ca: string; cert: string; key: string; clientCert: string; clientKey: string} {
  const ca = join(dir, `${name}-ca.pem`)
  const caKey = join(dir, `${name}-ca.key`)
  const ext = join(dir, `${name}-ext.cnf`)
  const ossl = (...args: string[]): void => void execFileSync('openssl', args, {stdio: 'ignore', cwd: dir})
  ossl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', caKey, '-out', ca, '-days', '1', '-subj', `/CN=${name} test CA`)
  const leaf = (role: string, extfile?: string): {cert: string; key: string} => {
    const [cert, key, csr] = [join(dir, `${name}-${role}.pem`), join(dir, `${name}-${role}.key`), join(dir, `${name}-${role}.csr`)]
    ossl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=raftctl ${role}`)
    ossl('x509', '-req', '-in', csr, '-CA', ca, '-CAkey', caKey, '-CAcreateserial', '-out', cert, '-days', '1', ...(extfile ? ['-extfile', extfile] : []))
    return {cert, key}
  }
  writeFileSync(ext, `subjectAltName=${ips.map((a) => `IP:${a}`).join(',')}\n`)
  const node = leaf('node', ext)
  const client = leaf('client')
  return {ca, cert: node.cert, key: node.key, clientCert: client.cert, clientKey: client.key}
}

/**
 * The tour on an attached cluster of three namespaced hosts, attached through ONE endpoint:
 * the others are learned from the configuration.
 */
async function tour(network: TestNetwork, name: string, dir: string, files: {secretFile: string; peerSecretFile: string}, clusterId: string, tls?: DaemonTls): Promise<void> {
  const hosts = network.hosts
  const first = hosts[0]!
  const tlsFlags = tls ? ['--tls-ca', tls.ca] : []
  // The daemons come up: a one-off --endpoints status answers with a leader.
  await eventually(async () => {
    const r = await raftctl('leader', '--endpoints', first.url, '--secret-file', files.secretFile, ...tlsFlags, '--json')
    return r.exit === 0 && r.json<{leader: string | null}>().leader !== null
  }, 60_000, 'a leader through --endpoints')

  const attached = await raftctl('cluster', 'attach', name, '--endpoints', first.url, '--secret-file', files.secretFile, ...tlsFlags, '--json')
  assert.equal(attached.exit, 0, attached.stderr)
  const doc = attached.json<{members: string[]; clusterId: string; kind: string}>()
  assert.deepEqual([...doc.members].sort(), ['n1', 'n2', 'n3'])
  assert.equal(doc.clusterId, clusterId)

  // status --json names every member, at its advertised address, though one endpoint was given.
  let st = await settled(name, ['n1', 'n2', 'n3'])
  assert.equal(st.clusterId, clusterId)
  assert.deepEqual(st.nodes.map((n) => [n.id, n.address]), hosts.map((h) => [h.id, h.url]))

  const listed = await raftctl('cluster', 'list', '--json')
  const row = listed.json<{clusters: {name: string; kind: string; nodes: number}[]}>().clusters.find((c) => c.name === name)
  assert.deepEqual(row && {kind: row.kind, nodes: row.nodes}, {kind: 'attached', nodes: 3})

  // leader transfer to a follower.
  const target = st.nodes.find((n) => n.id !== st.leader)!.id
  const moved = await raftctl('leader', 'transfer', target, '--cluster', name, '--json')
  assert.equal(moved.exit, 0, moved.stderr)
  assert.equal(moved.json<{leader: string}>().leader, target)

  // election trigger: another node campaigns and a higher term follows.
  st = await settled(name, ['n1', 'n2', 'n3'])
  const campaigner = st.nodes.find((n) => n.id !== st.leader)!.id
  const elected = await raftctl('election', 'trigger', campaigner, '--cluster', name, '--json')
  assert.equal(elected.exit, 0, elected.stderr)
  const e = elected.json<{campaigned: boolean; before: {term: number}; after: {term: number}}>()
  assert.ok(e.campaigned && e.after.term > e.before.term, elected.stdout)

  // kv put / get / cas.
  assert.equal((await raftctl('kv', 'put', 'greeting', 'hello', '--cluster', name)).exit, 0)
  assert.equal((await raftctl('kv', 'get', 'greeting', '--cluster', name, '--json')).json<{value: string}>().value, 'hello')
  const swapped = await raftctl('kv', 'cas', 'greeting', 'hello', 'bye', '--cluster', name, '--json')
  assert.equal(swapped.json<{swapped: boolean}>().swapped, true)
  const mismatch = await raftctl('kv', 'cas', 'greeting', 'hello', 'again', '--cluster', name, '--json')
  assert.equal(mismatch.exit, 1)
  assert.equal(mismatch.json<{swapped: boolean}>().swapped, false)

  // A chaos partition isolates the leader: the other two elect one; heal, and all agree again.
  st = await settled(name, ['n1', 'n2', 'n3'])
  const isolated = st.leader!
  const cut = await raftctl('chaos', 'isolate', isolated, '--cluster', name, '--json')
  assert.equal(cut.exit, 0, cut.stderr)
  const others = ['n1', 'n2', 'n3'].filter((id) => id !== isolated)
  const during = await eventually(async () => {
    const r = await raftctl('status', '--cluster', name, '--json')
    const s = r.exit === 0 ? r.json<StatusDoc>() : null
    const newLeader = s?.nodes.find((n) => others.includes(n.id) && n.role === 'leader')
    return newLeader && s!.nodes.filter((n) => others.includes(n.id)).every((n) => n.leader === newLeader.id) ? newLeader.id : null
  }, 60_000, 'a leader among the majority side')
  assert.notEqual(during, isolated)
  assert.equal((await raftctl('chaos', 'heal', '--cluster', name)).exit, 0)
  await settled(name, ['n1', 'n2', 'n3'])

  // member add: a fourth daemon started by hand on a new host; it shows in status though no endpoint names it.
  const fourth = network.addHost()
  const peers = hosts.filter((h) => h !== fourth).map((h) => `${h.id}=${h.url}`).join(',')
  runDaemon(fourth.ns, {id: fourth.id, listen: `${fourth.address}:7001`, advertise: fourth.url, dir, ...files, clusterId, peers, tls})
  await eventually(async () => (await raftctl('status', '--endpoints', fourth.url, '--secret-file', files.secretFile, ...tlsFlags, '--json')).exit === 0, 60_000, 'n4 answering')
  const added = await raftctl('member', 'add', 'n4', fourth.url, '--learner', '--cluster', name, '--json')
  assert.equal(added.exit, 0, added.stderr)
  // n4 names the leader as soon as it hears from it, but calls itself a learner only once it has
  // the configuration entry that added it (a loaded machine showed it as `follower` in between).
  st = await settled(name, ['n1', 'n2', 'n3', 'n4'], (s) => s.nodes.find((n) => n.id === 'n4')?.role === 'learner')
  assert.deepEqual(st.nodes.map((n) => n.id), ['n1', 'n2', 'n3', 'n4'])
  assert.deepEqual(cachedMembers(name, home), ['n1', 'n2', 'n3', 'n4'], 'the status round refreshed the member cache completion reads')
  assert.equal(st.nodes.find((n) => n.id === 'n4')!.role, 'learner')
  const removed = await raftctl('member', 'remove', 'n4', '--cluster', name, '--json')
  assert.equal(removed.exit, 0, removed.stderr)
  st = await settled(name, ['n1', 'n2', 'n3'])
  assert.deepEqual(st.nodes.map((n) => n.id), ['n1', 'n2', 'n3'])
  assert.deepEqual(cachedMembers(name, home), ['n1', 'n2', 'n3'])

  // A command that needs local processes refuses, and says what to use instead.
  const kill = await raftctl('node', 'kill', 'n1', '--cluster', name)
  assert.equal(kill.exit, 2)
  assert.match(kill.stderr, /NOT_LOCAL.*chaos isolate/)
}

test('an attached cluster of three hosts in network namespaces: the tour from the root namespace', {skip: netnsReason ?? false, timeout: 300_000}, async (t) => {
  const network = new TestNetwork(`${TAG}a`, `${SUBNET_BASE}.${(process.pid >> 2) % 250}`)
  t.after(() => network.destroy())
  const dir = testTempDir(t, 'raftctl-remote-')
  const files = secrets(dir)
  const clusterId = randomBytes(8).toString('hex')
  startFounders(network.create(3, {hostLink: true}), dir, files, clusterId)
  try {
    await tour(network, 'far', dir, files, clusterId)
  } finally {
    await stopDaemons()
  }
})

test('the same tour over TLS (wss, a CA made with openssl); a wrong CA is a named TLS error', {skip: netnsReason ?? opensslReason ?? false, timeout: 300_000}, async (t) => {
  const network = new TestNetwork(`${TAG}t`, `${SUBNET_BASE}.${((process.pid >> 2) + 1) % 250}`, 'wss')
  t.after(() => network.destroy())
  const dir = testTempDir(t, 'raftctl-remote-tls-')
  const files = secrets(dir)
  const clusterId = randomBytes(8).toString('hex')
  const hosts = network.create(3, {hostLink: true})
  const tls = makeCertificates(dir, 'good', [...hosts.map((h) => h.address), `${network.subnet}.4`])
  startFounders(hosts, dir, files, clusterId, tls)
  try {
    await tour(network, 'secure', dir, files, clusterId, tls)
    const other = makeCertificates(dir, 'other', ['127.0.0.1'])
    const wrong = await raftctl('status', '--endpoints', hosts[0]!.url, '--secret-file', files.secretFile, '--tls-ca', other.ca, '--json')
    assert.equal(wrong.exit, 1)
    const error = wrong.json<{error: {code: string; message: string}}>().error
    assert.equal(error.code, 'TLS_FAILED')
    assert.ok(error.message.includes(hosts[0]!.url), error.message)
  } finally {
    await stopDaemons()
  }
})

/** GET `path` of an https node with the CA `ca` (and a client certificate when given): the HTTP status. */
function httpsStatus(url: string, path: string, ca: string, client?: {cert: string; key: string}): Promise<number> {
  return new Promise((resolve, reject) => {
    const target = new URL(path, url.replace(/^wss:/, 'https:'))
    const tlsFiles = {ca: readFileSync(ca), ...(client ? {cert: readFileSync(client.cert), key: readFileSync(client.key)} : {})}
    httpsGet(target, tlsFiles, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    }).on('error', reject)
  })
}

test('mutual TLS (node run --tls-client-ca): peers and clients with a certificate of the CA work; no certificate, or one of another CA, is TLS_FAILED after one attempt', {skip: distBuilt() ? opensslReason ?? false : 'dist/ is not built: run `npm run build` first', timeout: 180_000}, async (t) => {
  const dir = testTempDir(t, 'raftctl-remote-mtls-')
  const files = secrets(dir)
  const certs = makeCertificates(dir, 'mutual', ['127.0.0.1'])
  const rogue = makeCertificates(dir, 'rogue', ['127.0.0.1'])
  const tls = {cert: certs.cert, key: certs.key, ca: certs.ca, clientCa: certs.ca}
  const ports = [await freePort(), await freePort(), await freePort()]
  const ids = ['s1', 's2', 's3']
  const urls = ports.map((p) => `wss://127.0.0.1:${p}`)
  const clusterId = randomBytes(8).toString('hex')
  const tamperFile = join(dir, 'tamper.json')
  try {
    // The consistency check runs too: its hash requests to the other members need the node's own certificate.
    const started = ids.map((id, i) => runDaemon(null, {
      id, listen: `127.0.0.1:${ports[i]}`, advertise: urls[i], dir, ...files, clusterId, tls, initial: ids.join(','),
      peers: ids.map((p, j) => `${p}=${urls[j]}`).filter((_, j) => j !== i).join(','),
      extra: ['--consistency-check-every', '500ms'], env: {RAFTCTL_TEST_TAMPER_FILE: tamperFile},
    }))
    const withCert = ['--tls-ca', certs.ca, '--tls-cert', certs.clientCert, '--tls-key', certs.clientKey]
    await eventually(async () => {
      const r = await raftctl('leader', '--endpoints', urls[0]!, '--secret-file', files.secretFile, ...withCert, '--json')
      return r.exit === 0 && r.json<{leader: string | null}>().leader !== null
    }, 60_000, 'a leader through --endpoints with a client certificate')
    const attached = await raftctl('cluster', 'attach', 'mutual', '--endpoints', urls[0]!, '--secret-file', files.secretFile, ...withCert, '--json')
    assert.equal(attached.exit, 0, attached.stderr)
    // Every member names the leader: the peers reached one another with their certificates.
    await settled('mutual', ids)
    assert.equal((await raftctl('kv', 'put', 'k', 'v', '--cluster', 'mutual')).exit, 0)
    assert.equal((await raftctl('kv', 'get', 'k', '--cluster', 'mutual', '--json')).json<{value: string}>().value, 'v')

    // No client certificate: TLS_FAILED (exit 1), saying what to pass; attach refuses the same way.
    const bare = await raftctl('status', '--endpoints', urls[0]!, '--secret-file', files.secretFile, '--tls-ca', certs.ca, '--json')
    assert.equal(bare.exit, 1)
    const none = bare.json<{error: {code: string; message: string}}>().error
    assert.equal(none.code, 'TLS_FAILED')
    assert.match(none.message, /requires a client certificate.*none was presented.*--tls-cert/)
    assert.ok(none.message.includes(urls[0]!), none.message)
    const noAttach = await raftctl('cluster', 'attach', 'nocert', '--endpoints', urls[0]!, '--secret-file', files.secretFile, '--tls-ca', certs.ca)
    assert.equal(noAttach.exit, 1)
    assert.match(noAttach.stderr, /TLS_FAILED/)
    // A certificate of another CA: TLS_FAILED naming the verification failure.
    const wrong = await raftctl('kv', 'get', 'k', '--endpoints', urls[1]!, '--secret-file', files.secretFile, '--tls-ca', certs.ca, '--tls-cert', rogue.clientCert, '--tls-key', rogue.clientKey, '--json')
    assert.equal(wrong.exit, 1)
    const refused = wrong.json<{error: {code: string; message: string}}>().error
    assert.equal(refused.code, 'TLS_FAILED')
    assert.match(refused.message, /refused the client certificate \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\).*--tls-client-ca/)
    // Plain HTTP too: /health needs no secret but does need the certificate.
    assert.equal(await httpsStatus(urls[2]!, '/health', certs.ca), 403)
    assert.equal(await httpsStatus(urls[2]!, '/health', certs.ca, {cert: certs.clientCert, key: certs.clientKey}), 200)

    // The scheduled consistency check reaches the other members over mutual TLS: a value planted in
    // one replica raises the alarm naming it (a leader that cannot ask the others sees no difference).
    writeFileSync(tamperFile, JSON.stringify({key: 'k', value: 'planted'}))
    started[1]!.kill('SIGUSR2')
    const alarmed = await eventually(async () => {
      const r = await raftctl('status', '--cluster', 'mutual', '--json')
      const alarm = r.exit === 0 ? r.json<{alarm: {nodes: string[]} | null}>().alarm : null
      return alarm ?? null
    }, 60_000, 'the consistency alarm in status')
    assert.deepEqual(alarmed.nodes, ['s2'])
  } finally {
    await stopDaemons()
  }
})

test('mutual TLS: a client without a certificate makes ONE attempt (the node counts the refusals)', {skip: opensslReason ?? false, timeout: 60_000}, async (t) => {
  const dir = testTempDir(t, 'raftctl-remote-mtls-once-')
  const files = secrets(dir)
  const certs = makeCertificates(dir, 'once', ['127.0.0.1'])
  const server = await NodeServer.listen({
    secret: SECRET, tls: {cert: readFileSync(certs.cert), key: readFileSync(certs.key), clientCa: readFileSync(certs.ca)},
  })
  t.after(() => server.close())
  server.route('/admin', (ws) => ws.close())
  server.route('/client', (ws) => ws.close())
  const put = await raftctl('kv', 'put', 'k', 'v', '--endpoints', server.url(), '--secret-file', files.secretFile, '--tls-ca', certs.ca, '--timeout', '30s', '--json')
  assert.equal(put.exit, 1)
  assert.equal(put.json<{error: {code: string}}>().error.code, 'TLS_FAILED')
  assert.equal(server.stats().clientCertRefused, 1)
})

test('bad input: not a URL, unreachable, wrong secret (one attempt), insecure secret file, two clusters, process commands on an attached cluster; verify and the dashboard on it', {skip: distBuilt() ? false : 'dist/ is not built: run `npm run build` first', timeout: 180_000}, async (t) => {
  const dir = testTempDir(t, 'raftctl-remote-bad-')
  const files = secrets(dir)
  const [portA, portB, closed] = [await freePort(), await freePort(), await freePort()]
  const one = randomBytes(8).toString('hex')
  const two = randomBytes(8).toString('hex')
  try {
    runDaemon(null, {id: 'a1', listen: `127.0.0.1:${portA}`, dir, ...files, clusterId: one, initial: 'a1'})
    runDaemon(null, {id: 'b1', listen: `127.0.0.1:${portB}`, dir, ...files, clusterId: two, initial: 'b1'})
    const a = `ws://127.0.0.1:${portA}`
    const b = `ws://127.0.0.1:${portB}`
    const oneOff = (...args: string[]) => raftctl(...args, '--secret-file', files.secretFile, '--json')
    for (const url of [a, b]) {
      await eventually(async () => {
        const r = await oneOff('leader', '--endpoints', url)
        return r.exit === 0 && r.json<{leader: string | null}>().leader !== null
      }, 60_000, `${url} leading`)
    }

    const notUrl = await oneOff('status', '--endpoints', 'not-a-url')
    assert.equal(notUrl.exit, 2)
    assert.equal(notUrl.json<{error: {code: string}}>().error.code, 'BAD_USAGE')

    const unreachable = await oneOff('status', '--endpoints', `ws://127.0.0.1:${closed}`)
    assert.equal(unreachable.exit, 3)
    const u = unreachable.json<{error: {code: string; message: string}}>().error
    assert.equal(u.code, 'UNAVAILABLE')
    assert.ok(u.message.includes(`ws://127.0.0.1:${closed}`), u.message)

    const twoClusters = await oneOff('status', '--endpoints', `${a},${b}`)
    assert.equal(twoClusters.exit, 1)
    const m = twoClusters.json<{error: {code: string; message: string}}>().error
    assert.equal(m.code, 'CLUSTER_MISMATCH')
    assert.ok(m.message.includes(one) && m.message.includes(two), m.message)

    const open = join(dir, 'open-secret')
    writeFileSync(open, `${SECRET}\n`, {mode: 0o644})
    const insecure = await raftctl('kv', 'get', 'k', '--endpoints', a, '--secret-file', open)
    assert.equal(insecure.exit, 2)
    assert.match(insecure.stderr, /INSECURE_FILE.*chmod 600/)

    // A wrong secret is UNAUTHORIZED (exit 1) after ONE attempt: a server that refuses every upgrade counts them.
    const wrongFile = join(dir, 'wrong-secret')
    writeFileSync(wrongFile, 'not-the-secret-0123456789\n', {mode: 0o600})
    const real = await raftctl('status', '--endpoints', a, '--secret-file', wrongFile, '--json')
    assert.equal(real.exit, 1)
    assert.equal(real.json<{error: {code: string}}>().error.code, 'UNAUTHORIZED')
    let upgrades = 0
    const refuser: Server = createServer((_req, res) => res.writeHead(404).end())
    refuser.on('upgrade', (_req, socket) => {
      upgrades++
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n')
    })
    await new Promise<void>((resolve) => refuser.listen(0, '127.0.0.1', resolve))
    t.after(() => refuser.close())
    const port = (refuser.address() as {port: number}).port
    const put = await raftctl('kv', 'put', 'k', 'v', '--endpoints', `ws://127.0.0.1:${port}`, '--secret-file', wrongFile, '--timeout', '30s', '--json')
    assert.equal(put.exit, 1)
    assert.equal(put.json<{error: {code: string}}>().error.code, 'UNAUTHORIZED')
    assert.equal(upgrades, 1)

    // Attached: commands that need local processes refuse (exit 2) and say what to use instead.
    assert.equal((await raftctl('cluster', 'attach', 'near', '--endpoints', a, '--secret-file', files.secretFile)).exit, 0)
    // verify and the dashboard work on it too: live faults only, and process controls refused.
    const verified = await raftctl('verify', '--cluster', 'near', '--duration', '2s', '--faults', 'delay,kill', '--fault-interval', '1s', '--clients', '2', '--json')
    assert.equal(verified.exit, 0, verified.stdout)
    const v = verified.json<{valid: boolean; faultKinds: {scheduled: string[]; skipped: string[]}; warnings: string[]}>()
    assert.deepEqual([v.valid, v.faultKinds.scheduled, v.faultKinds.skipped], [true, ['delay'], ['kill']])
    assert.ok(v.warnings.some((w) => w.includes('no full restart')), v.warnings.join('\n'))
    const replies = await dashboardReplies('near', [{id: 1, op: 'kill', node: 'a1'}, {id: 2, op: 'put', key: 'from-dashboard', value: 'yes'}])
    assert.deepEqual(replies.map((r) => [r.id, r.ok, r.code]), [[1, false, 'NOT_LOCAL'], [2, true, undefined]])
    assert.equal((await raftctl('kv', 'get', 'from-dashboard', '--cluster', 'near', '--json')).json<{value: string}>().value, 'yes')

    const add = await raftctl('node', 'add', '--cluster', 'near')
    assert.equal(add.exit, 2)
    assert.match(add.stderr, /NOT_LOCAL.*member add/)
    const destroy = await raftctl('cluster', 'destroy', '--cluster', 'near', '--yes')
    assert.equal(destroy.exit, 2)
    assert.match(destroy.stderr, /cluster detach near/)
    const oneOffKill = await raftctl('node', 'kill', 'a1', '--endpoints', a, '--secret-file', files.secretFile)
    assert.equal(oneOffKill.exit, 2)
    const kinds = (await raftctl('cluster', 'list', '--json')).json<{clusters: {name: string; kind: string}[]}>().clusters
    assert.equal(kinds.find((c) => c.name === 'near')?.kind, 'attached')
    assert.equal((await raftctl('cluster', 'detach', 'near')).exit, 0)
    assert.equal((await raftctl('cluster', 'list', '--json')).json<{clusters: {name: string}[]}>().clusters.some((c) => c.name === 'near'), false)
  } finally {
    await stopDaemons()
  }
})

test('the commands added later work on an attached cluster too: kv txn and kv watch, doctor, check consistency, snapshot save', {skip: distBuilt() ? false : 'dist/ is not built: run `npm run build` first', timeout: 180_000}, async (t) => {
  const dir = testTempDir(t, 'raftctl-remote-later-')
  const files = secrets(dir)
  const port = await freePort()
  const clusterId = randomBytes(8).toString('hex')
  try {
    runDaemon(null, {id: 'c1', listen: `127.0.0.1:${port}`, dir, ...files, clusterId, initial: 'c1'})
    const url = `ws://127.0.0.1:${port}`
    await eventually(async () => {
      const r = await raftctl('leader', '--endpoints', url, '--secret-file', files.secretFile, '--json')
      return r.exit === 0 && r.json<{leader: string | null}>().leader !== null
    }, 60_000, 'c1 leading')
    assert.equal((await raftctl('cluster', 'attach', 'later', '--endpoints', url, '--secret-file', files.secretFile)).exit, 0)
    // attach caches the members for completion, which then offers them without a connection.
    assert.deepEqual(cachedMembers('later', home), ['c1'])
    const completed = execFileSync(process.execPath, [BIN, '__complete', '--', 'member', 'remove', '--cluster', 'later', ''], {env: {...process.env, RAFTCTL_HOME: home}, encoding: 'utf8'})
    assert.equal(completed, 'c1\n')

    assert.equal((await raftctl('kv', 'put', 'acct/a', '50', '--cluster', 'later')).exit, 0)
    const txnFile = join(dir, 'txn.json')
    writeFileSync(txnFile, JSON.stringify({compare: [{key: 'acct/a', value: '50'}], success: [{op: 'put', key: 'acct/a', value: '40'}, {op: 'put', key: 'acct/b', value: '10'}]}))
    const txn = await raftctl('kv', 'txn', '--file', txnFile, '--cluster', 'later', '--json')
    assert.equal(txn.exit, 0, txn.stderr)
    assert.equal(txn.json<{succeeded: boolean}>().succeeded, true)

    // kv watch from index 1 replays the changes so far (a real process: it streams until stopped).
    const watcher = spawn(process.execPath, [BIN, 'kv', 'watch', '--prefix', 'acct/', '--from-index', '1', '--json', '--cluster', 'later'], {stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, RAFTCTL_HOME: home}})
    t.after(() => void watcher.kill('SIGKILL'))
    const seen: {type: string; key: string; value?: string}[] = []
    for await (const line of createInterface({input: watcher.stdout!})) {
      seen.push(JSON.parse(line) as {type: string; key: string; value?: string})
      if (seen.length === 3) break
    }
    watcher.kill('SIGTERM')
    assert.deepEqual(seen.map((e) => [e.type, e.key, e.value]), [['put', 'acct/a', '50'], ['put', 'acct/a', '40'], ['put', 'acct/b', '10']])

    const doctor = await raftctl('doctor', '--cluster', 'later', '--json')
    assert.equal(doctor.exit, 0, doctor.stdout + doctor.stderr)
    assert.equal(doctor.json<{reachable: number}>().reachable, 1)
    const consistent = await raftctl('check', 'consistency', '--cluster', 'later', '--json')
    assert.equal(consistent.exit, 0, consistent.stdout + consistent.stderr)

    const snap = join(dir, 'later.snap')
    const saved = await raftctl('snapshot', 'save', snap, '--cluster', 'later', '--json')
    assert.equal(saved.exit, 0, saved.stderr)
    const inspected = await raftctl('snapshot', 'inspect', snap, '--json')
    assert.equal(inspected.exit, 0, inspected.stderr)
    assert.deepEqual([inspected.json<{clusterId: string; keys: number}>().clusterId, inspected.json<{keys: number}>().keys], [clusterId, 2])
    assert.equal((await raftctl('cluster', 'detach', 'later')).exit, 0)
  } finally {
    await stopDaemons()
  }
})
