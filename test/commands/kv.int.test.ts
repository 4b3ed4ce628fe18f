/**
 * `kv get|put|delete|cas|append` against one real 3-node cluster (run `npm run build` first):
 * the JSON shapes of DESIGN.md §4, CAS mismatch (exit 1, CAS_MISMATCH, the document printed
 * once), bad usage (exit 2), and exit 3 when the cluster is unavailable.
 */
import {after, afterEach, before, test} from 'node:test'
import assert from 'node:assert/strict'
import {resetExitCode} from '../helpers.js'
import {cleanup, raftctl, trackPid, useTempHome} from './cluster-helpers.js'

let home = ''

before(async () => {
  home = useTempHome()
  const r = await raftctl('cluster', 'start', '--json', '--cluster', 'kv')
  assert.equal(r.exit, 0, r.stderr)
  for (const n of r.json().nodes) trackPid(n.pid)
})
after(async () => cleanup(home))
afterEach(resetExitCode)

const kv = (...args: string[]) => raftctl('kv', ...args, '--cluster', 'kv')

test('put then get: {key, value}', async () => {
  const put = await kv('put', 'x', '1', '--json')
  assert.equal(put.exit, 0, put.stderr)
  assert.deepEqual(put.json(), {key: 'x', value: '1'})
  const get = await kv('get', 'x', '--json')
  assert.equal(get.exit, 0)
  const doc = get.json()
  assert.equal(doc.key, 'x')
  assert.equal(doc.value, '1')
  assert.equal(typeof doc.index, 'number')
  const human = await kv('get', 'x')
  assert.equal(human.stdout, '1\n')
  const serializable = await kv('get', 'x', '--serializable', '--json')
  assert.equal(serializable.json().value, '1')
})

test('get of an absent key: value null, exit 0, a note on stderr', async () => {
  const r = await kv('get', 'nothing-here', '--json')
  assert.equal(r.exit, 0)
  assert.equal(r.json().value, null)
  const human = await kv('get', 'nothing-here')
  assert.equal(human.exit, 0)
  assert.equal(human.stdout, '')
  assert.match(human.stderr, /absent/)
})

test('cas swapped: exit 0, {key, swapped: true, value: NEW}', async () => {
  const r = await kv('cas', 'x', '1', '2', '--json')
  assert.equal(r.exit, 0, r.stderr)
  assert.deepEqual(r.json(), {key: 'x', swapped: true, value: '2'})
})

test('cas mismatch: exit 1, one document {key, swapped: false, value, error: CAS_MISMATCH}, nothing written', async () => {
  const r = await kv('cas', 'x', '1', '3', '--json')
  assert.equal(r.exit, 1)
  const doc = r.json()
  assert.equal(doc.key, 'x')
  assert.equal(doc.swapped, false)
  assert.equal(doc.value, '2')
  assert.equal(doc.error.code, 'CAS_MISMATCH')
  const human = await kv('cas', 'x', '1', '3')
  assert.equal(human.exit, 1)
  assert.match(human.stderr, /Error \[CAS_MISMATCH\]: "x" is "2", not "1"/)
  assert.equal((await kv('get', 'x', '--json')).json().value, '2')
})

test('cas --expect-absent: swaps only when the key is absent', async () => {
  const first = await kv('cas', 'lock', '--expect-absent', 'me', '--json')
  assert.equal(first.exit, 0, first.stderr)
  assert.deepEqual(first.json(), {key: 'lock', swapped: true, value: 'me'})
  const second = await kv('cas', 'lock', '--expect-absent', 'you', '--json')
  assert.equal(second.exit, 1)
  assert.equal(second.json().value, 'me')
  assert.equal(second.json().error.code, 'CAS_MISMATCH')
})

test('cas bad usage: exit 2', async () => {
  const extra = await kv('cas', 'lock', '--expect-absent', 'a', 'b', '--json')
  assert.equal(extra.exit, 2)
  assert.equal(extra.json().error.code, 'BAD_USAGE')
  const missing = await kv('cas', 'lock', 'a', '--json')
  assert.equal(missing.exit, 2)
  assert.equal(missing.json().error.code, 'BAD_USAGE')
  const timeout = await kv('get', 'x', '--timeout', 'soon', '--json')
  assert.equal(timeout.exit, 2)
})

test('append: the new value; absent counts as empty', async () => {
  const a = await kv('append', 'log', 'a', '--json')
  assert.equal(a.exit, 0, a.stderr)
  assert.deepEqual(a.json(), {key: 'log', value: 'a'})
  const b = await kv('append', 'log', ',b', '--json')
  assert.deepEqual(b.json(), {key: 'log', value: 'a,b'})
})

test('delete: {key, deleted}', async () => {
  const r = await kv('delete', 'log', '--json')
  assert.equal(r.exit, 0, r.stderr)
  assert.deepEqual(r.json(), {key: 'log', deleted: true})
  const again = await kv('delete', 'log', '--json')
  assert.deepEqual(again.json(), {key: 'log', deleted: false})
  assert.equal((await kv('get', 'log', '--json')).json().value, null)
})

test('a cluster that is down: exit 3 (unavailable / outcome unknown)', async () => {
  const stop = await raftctl('cluster', 'stop', '--cluster', 'kv')
  assert.equal(stop.exit, 0)
  const put = await kv('put', 'y', '1', '--timeout', '600ms', '--json')
  assert.equal(put.exit, 3, put.stdout)
  assert.ok(['UNAVAILABLE', 'TIMEOUT', 'NO_LEADER'].includes(put.json().error.code), put.stdout)
  const get = await kv('get', 'y', '--timeout', '600ms')
  assert.equal(get.exit, 3)
  assert.match(get.stderr, /^Error \[[A-Z_]+\]: /)
})
