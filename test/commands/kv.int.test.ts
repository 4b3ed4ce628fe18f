/**
 * `kv get|put|delete|cas|append` against one real 3-node cluster (run `npm run build` first):
 * the JSON shapes of DESIGN.md §4, CAS mismatch (exit 1, CAS_MISMATCH, the document printed
 * once), bad usage (exit 2), and exit 3 when the cluster is unavailable (at once, naming every
 * node, when none is listening).
 */
import {after, afterEach, before, test} from 'node:test'
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {fileURLToPath} from 'node:url'
import {resetExitCode} from '../helpers.js'
import {cleanup, raftctl, trackPid, useTempHome, startCluster} from './cluster-helpers.js'

const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

let home = ''

/** Run `raftctl kv ARGS` in a child through `sh -c` (so the shell passes raw bytes); resolves to its exit code and stdout. */
function kvInShell(args: string): Promise<{exit: number | null; stdout: string}> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', `"$NODE" "$BIN" kv ${args} --cluster kv --json`], {env: {...process.env, NODE: process.execPath, BIN}, stdio: ['ignore', 'pipe', 'inherit']})
    let stdout = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
    })
    child.once('error', reject)
    child.once('close', (exit) => resolve({exit, stdout}))
  })
}

before(async () => {
  home = useTempHome()
  await startCluster('--cluster', 'kv')
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

test('a key or value that is not UTF-8 on the command line: exit 2, INVALID_UTF8, nothing written; a typed U+FFFD is a real character', async () => {
  const badKey = await kvInShell(`put "k$(printf '\\377')" v`)
  assert.equal(badKey.exit, 2, badKey.stdout)
  assert.equal(JSON.parse(badKey.stdout).error.code, 'INVALID_UTF8')
  assert.match(JSON.parse(badKey.stdout).error.message, /^key is not valid UTF-8/)
  const badValue = await kvInShell(`put k2 "$(printf 'a\\300b')"`)
  assert.equal(badValue.exit, 2, badValue.stdout)
  assert.match(JSON.parse(badValue.stdout).error.message, /^value is not valid UTF-8/)
  const absent = await kvInShell(`get "k$(printf '\\357\\277\\275')"`)
  assert.equal(absent.exit, 0, absent.stdout)
  assert.equal(JSON.parse(absent.stdout).value, null, 'nothing stored under the U+FFFD spelling')
  assert.equal((await kv('get', 'k2', '--json')).json().value, null)
  const typed = await kvInShell(`put "k$(printf '\\357\\277\\275')" v`)
  assert.equal(typed.exit, 0, typed.stdout)
  assert.deepEqual(JSON.parse(typed.stdout), {key: 'k\uFFFD', value: 'v'})
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

test('every node stopped: kv, leader and election commands fail at once with UNAVAILABLE naming each node, not after --timeout 60s', async () => {
  const everyNode = /^no node is listening: n1 at ws:\/\/127\.0\.0\.1:\d+, n2 at ws:\/\/127\.0\.0\.1:\d+, n3 at ws:\/\/127\.0\.0\.1:\d+/
  const put = await kv('put', 'y', '1', '--timeout', '60s', '--json')
  assert.equal(put.exit, 3, put.stdout)
  assert.equal(put.json().error.code, 'UNAVAILABLE')
  assert.match(put.json().error.message, everyNode)
  const get = await kv('get', 'y', '--timeout', '60s')
  assert.equal(get.exit, 3)
  assert.match(get.stderr, /^Error \[UNAVAILABLE\]: no node is listening: n1 at /)
  for (const command of [['leader', '--wait', '60s'], ['leader', 'transfer', '--timeout', '60s'], ['election', 'trigger', '--timeout', '60s']]) {
    const r = await raftctl(...command, '--json', '--cluster', 'kv')
    assert.equal(r.exit, 3, `${command.join(' ')}: ${r.stdout}`)
    assert.equal(r.json().error.code, 'UNAVAILABLE', command.join(' '))
    assert.match(r.json().error.message, everyNode, command.join(' '))
  }
})
