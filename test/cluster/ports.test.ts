/**
 * Listening ports for local daemons (src/cluster/ports.ts): drawn from outside the kernel's
 * ephemeral range, so that an outgoing connection cannot take a daemon's port between the check
 * and the daemon's bind (seen as EADDRINUSE at a daemon's start in the test suite); never a port
 * in use, never an excluded one (a stopped node's), never one the process handed out in the last
 * minute (concurrent calls included); the kernel's pick only when the range is used up. And the
 * ports a new node must not take: those recorded in the manifests of RAFTCTL_HOME.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:net'
import {join} from 'node:path'
import {ephemeralRange, freePort, listenRange, PORT_QUARANTINE_MS, type PortRange} from '../../src/cluster/ports.js'
import {recordedPorts} from '../../src/cluster/cluster.js'
import {addNodeEntry, ClusterPaths, CLUSTER_DEFAULTS, createCluster} from '../../src/cluster/manifest.js'
import {testTempDir} from '../helpers.js'

function listen(port: number): Promise<Server | null> {
  return new Promise((resolve) => {
    const srv = createServer()
    srv.once('error', () => resolve(null))
    srv.listen(port, '127.0.0.1', () => resolve(srv))
  })
}

const close = (srv: Server): Promise<void> => new Promise((resolve) => srv.close(() => resolve()))

/** A draw that lands on `port` of `range`. */
const at = (range: PortRange, port: number): number => (port - range.low + 0.5) / (range.high - range.low + 1)

/** A port of `range` from `from` on that binds now (held until closed), or null. */
async function holdOne(range: PortRange, from: number): Promise<{port: number; server: Server} | null> {
  for (let p = from; p <= range.high; p++) {
    const server = await listen(p)
    if (server) return {port: p, server}
  }
  return null
}

test('ephemeralRange reads the kernel setting, and falls back to Linux default without it', (t) => {
  const dir = testTempDir(t, 'ports-')
  const file = join(dir, 'range')
  writeFileSync(file, '40000\t50000\n')
  assert.deepEqual(ephemeralRange(file), {low: 40_000, high: 50_000})
  writeFileSync(file, 'garbage\n')
  assert.deepEqual(ephemeralRange(file), {low: 32_768, high: 60_999})
  assert.deepEqual(ephemeralRange(join(dir, 'missing')), {low: 32_768, high: 60_999})
})

test('listenRange: 20000-32767 less the ephemeral range, on the larger side; null when covered', () => {
  assert.deepEqual(listenRange({low: 32_768, high: 60_999}), {low: 20_000, high: 32_767})
  assert.deepEqual(listenRange({low: 25_000, high: 60_999}), {low: 20_000, high: 24_999})
  assert.deepEqual(listenRange({low: 10_000, high: 19_999}), {low: 20_000, high: 32_767})
  assert.deepEqual(listenRange({low: 10_000, high: 21_000}), {low: 21_001, high: 32_767})
  assert.deepEqual(listenRange({low: 22_000, high: 31_000}), {low: 20_000, high: 21_999})
  assert.deepEqual(listenRange({low: 21_000, high: 31_000}), {low: 31_001, high: 32_767})
  assert.equal(listenRange({low: 1024, high: 65_535}), null)
})

test('freePort: a port of the range, outside the ephemeral range, that can be bound at once', async (t) => {
  const range = listenRange()
  if (range === null) return t.skip('this machine\'s ephemeral range covers 20000-32767')
  const ephemeral = ephemeralRange()
  for (let i = 0; i < 5; i++) {
    const port = await freePort()
    assert.ok(port >= range.low && port <= range.high, `${port} is in ${range.low}-${range.high}`)
    assert.ok(port < ephemeral.low || port > ephemeral.high, `${port} is outside the ephemeral range`)
    const server = await listen(port)
    assert.ok(server, `${port} binds`)
    await close(server)
  }
})

test('freePort skips a port in use, and a draw of 1 stays in the range', async (t) => {
  const range = listenRange()
  if (range === null) return t.skip('this machine\'s ephemeral range covers 20000-32767')
  const held = await holdOne(range, range.low + 4321)
  if (held === null) return t.skip('no port of the range could be bound')
  try {
    const next = await holdOne(range, held.port + 1)
    if (next === null) return t.skip('no second port of the range could be bound')
    await close(next.server)
    // The first candidate is the held port, the second the free one after it: that one comes back.
    const draws = [at(range, held.port), at(range, next.port)]
    assert.equal(await freePort('127.0.0.1', {random: () => draws.shift() ?? Math.random()}), next.port)
    const top = await freePort('127.0.0.1', {random: () => 1, range: {low: next.port + 1, high: next.port + 1}})
    assert.equal(top, next.port + 1)
  } finally {
    await close(held.server)
  }
})

test('freePort never returns an excluded port, nor one it handed out in the quarantine', async () => {
  const range = listenRange() ?? {low: 20_000, high: 32_767}
  const port = await freePort('127.0.0.1', {range})
  // Always drawing the same port: the quarantine turns it down, and so does the exclude set.
  const again = await freePort('127.0.0.1', {range, random: () => at(range, port)})
  assert.notEqual(again, port)
  const other = port === range.high ? port - 1 : port + 1
  const excluded = await freePort('127.0.0.1', {range, random: () => at(range, other), exclude: new Set([other])})
  assert.notEqual(excluded, other)
  // Once the quarantine is over, the port can come back.
  const later = Date.now() + PORT_QUARANTINE_MS + 1
  assert.equal(await freePort('127.0.0.1', {range: {low: port, high: port}, now: () => later}), port)
})

test('freePort: concurrent calls drawing the same candidates get different ports', async () => {
  const range = {low: 20_000, high: 32_767}
  // Each call draws low, low+1, low+2, … in the same order; every bind succeeds after a while (as
  // when one call's check is over before the next one's starts).
  const sequence = (): (() => number) => {
    let k = 0
    return () => (k++ + 0.5) / (range.high - range.low + 1)
  }
  const bind = async (_host: string, port: number): Promise<number> => {
    await new Promise((resolve) => setTimeout(resolve, 5))
    return port
  }
  const ports = await Promise.all([1, 2, 3].map(() => freePort('127.0.0.1', {range, random: sequence(), bind})))
  assert.deepEqual([...ports].sort(), [20_000, 20_001, 20_002])
})

test('freePort: with no range the kernel picks; a bind error other than "taken" is reported', async () => {
  const port = await freePort('127.0.0.1', {range: null})
  assert.ok(port > 0)
  await assert.rejects(freePort('203.0.113.7', {range: {low: 20_000, high: 20_010}}), /EADDRNOTAVAIL/)
})

test('recordedPorts: the ports of every node recorded in the clusters of a RAFTCTL_HOME', (t) => {
  const home = testTempDir(t, 'ports-home-')
  for (const [name, ports] of [['a', [21_001, 21_002]], ['b', [21_003]]] as const) {
    const paths = new ClusterPaths(name, home)
    const m = createCluster(paths, CLUSTER_DEFAULTS)
    for (const p of ports) addNodeEntry(paths, m, '127.0.0.1', p)
  }
  writeFileSync(join(home, 'not-a-cluster'), 'x')
  assert.deepEqual([...recordedPorts(home)].sort(), [21_001, 21_002, 21_003])
})
