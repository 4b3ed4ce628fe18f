/**
 * Listening ports for local daemons (src/cluster/ports.ts): drawn from below the kernel's
 * ephemeral range, so that an outgoing connection cannot take a daemon's port between the check
 * and the daemon's bind (seen as EADDRINUSE at a daemon's start in the test suite), never a
 * port in use, never the same port twice in a row.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:net'
import {join} from 'node:path'
import {ephemeralRange, freePort, listenRange} from '../../src/cluster/ports.js'
import {tempDir} from '../helpers.js'

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(port, '127.0.0.1', () => resolve(srv))
  })
}

const close = (srv: Server): Promise<void> => new Promise((resolve) => srv.close(() => resolve()))

test('ephemeralRange reads the kernel setting, and falls back to Linux default without it', () => {
  const dir = tempDir('ports-')
  const file = join(dir, 'range')
  writeFileSync(file, '40000\t50000\n')
  assert.deepEqual(ephemeralRange(file), {low: 40_000, high: 50_000})
  writeFileSync(file, 'garbage\n')
  assert.deepEqual(ephemeralRange(file), {low: 32_768, high: 60_999})
  assert.deepEqual(ephemeralRange(join(dir, 'missing')), {low: 32_768, high: 60_999})
})

test('listenRange stays below the ephemeral range, and is empty when nothing is left', () => {
  assert.deepEqual(listenRange({low: 32_768, high: 60_999}), {low: 20_000, high: 32_767})
  assert.deepEqual(listenRange({low: 25_000, high: 60_999}), {low: 20_000, high: 24_999})
  assert.equal(listenRange({low: 1024, high: 65_535}), null)
})

test('freePort: a port below the ephemeral range that can be bound at once', async (t) => {
  const range = listenRange()
  if (range === null) return t.skip('this machine has no room below its ephemeral range')
  const ephemeral = ephemeralRange()
  for (let i = 0; i < 5; i++) {
    const port = await freePort()
    assert.ok(port >= range.low && port <= range.high, `${port} is in ${range.low}-${range.high}`)
    assert.ok(port < ephemeral.low || port > ephemeral.high, `${port} is outside the ephemeral range`)
    await close(await listen(port))
  }
})

test('freePort skips a port in use and never hands out the same port twice', async (t) => {
  const range = listenRange()
  if (range === null) return t.skip('this machine has no room below its ephemeral range')
  const span = range.high - range.low + 1
  const at = (port: number): number => (port - range.low + 0.5) / span
  // Find a port of the range that binds, and hold it.
  let held: Server | null = null
  let heldPort = 0
  for (let p = range.low + 4321; held === null; p++) {
    heldPort = p
    held = await listen(p).catch(() => null)
  }
  try {
    // The first candidate is the held port, the second the next one: the next one is chosen.
    const draws = [at(heldPort), at(heldPort + 1)]
    const first = await freePort('127.0.0.1', () => draws.shift() ?? Math.random())
    assert.notEqual(first, heldPort)
    // Always drawing the port just handed out: another one comes back.
    const second = await freePort('127.0.0.1', () => at(first))
    assert.notEqual(second, first)
  } finally {
    await close(held)
  }
})
