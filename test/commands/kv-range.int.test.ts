/**
 * `kv get --prefix | FROM --to TO`, `kv list` and `kv delete --prefix` against one real 3-node
 * cluster (run `npm run build` first; with OCLIF_TEST_ROOT=$PWD from a worktree): the JSON
 * shape {kvs: [{key, value, modIndex}], count, more, index}, keys in UTF-8 byte order, the
 * edges (a prefix with no keys, --limit with more, FROM >= TO, a range across deleted keys),
 * --keys-only / --count-only / --serializable, the human lines and the note on stderr, bad
 * usage (exit 2), and deleting every key: NEEDS_CONFIRMATION without a terminal unless --yes.
 */
import {after, afterEach, before, test} from 'node:test'
import assert from 'node:assert/strict'
import {resetExitCode} from '../helpers.js'
import {cleanup, raftctl, trackPid, useTempHome, startCluster} from './cluster-helpers.js'

let home = ''

before(async () => {
  home = useTempHome()
  await startCluster('--cluster', 'ranges')
})
after(async () => cleanup(home))
afterEach(resetExitCode)

const kv = (...args: string[]) => raftctl('kv', ...args, '--cluster', 'ranges')

interface Kv {
  key: string
  value?: string
  modIndex: number
}

async function put(key: string, value: string): Promise<void> {
  const r = await kv('put', key, value, '--json')
  assert.equal(r.exit, 0, r.stderr)
}

const ASTRAL = '😀' // U+1F600: before U+E000 in JavaScript string order, after it by UTF-8 bytes
const PRIVATE_USE = '\uE000'

test('kv list: every key in UTF-8 byte order, each with value and modIndex, count, more, index', async () => {
  for (const key of ['u/b', ASTRAL, 'u/a', PRIVATE_USE, 'u/c', 'v']) await put(key, `val-${key}`)
  const r = await kv('list', '--json')
  assert.equal(r.exit, 0, r.stderr)
  const doc = r.json()
  assert.deepEqual(doc.kvs.map((e: Kv) => e.key), ['u/a', 'u/b', 'u/c', 'v', PRIVATE_USE, ASTRAL])
  assert.deepEqual(Object.keys(doc).sort(), ['count', 'index', 'kvs', 'more'])
  assert.equal(doc.count, 6)
  assert.equal(doc.more, false)
  const byKey = new Map<string, Kv>(doc.kvs.map((e: Kv) => [e.key, e]))
  assert.equal(byKey.get('u/a')!.value, 'val-u/a')
  const order = ['u/b', ASTRAL, 'u/a', PRIVATE_USE, 'u/c', 'v'].map((k) => byKey.get(k)!.modIndex)
  assert.deepEqual([...order].sort((a, b) => a - b), order, 'modIndex grows in the order the keys were written')
  assert.ok(order.every((i) => i > 0 && i <= doc.index), `every modIndex is in 1..index (${doc.index})`)
  const human = await kv('list')
  assert.equal(human.stdout, ['u/a', 'u/b', 'u/c', 'v', PRIVATE_USE, ASTRAL].map((k) => `${k} = val-${k}\n`).join(''))
})

test('kv get --prefix: the keys under it; a prefix with no keys is empty (exit 0, a note on stderr)', async () => {
  const r = await kv('get', '--prefix', 'u/', '--json')
  assert.equal(r.exit, 0, r.stderr)
  assert.deepEqual(r.json().kvs.map((e: Kv) => e.key), ['u/a', 'u/b', 'u/c'])
  const all = await kv('get', '--prefix=', '--json')
  assert.equal(all.json().count, 6, 'an empty prefix is every key')
  const none = await kv('get', '--prefix', 'nothing/', '--json')
  assert.equal(none.exit, 0)
  const empty = none.json()
  assert.deepEqual([empty.kvs, empty.count, empty.more], [[], 0, false])
  const human = await kv('get', '--prefix', 'nothing/')
  assert.equal(human.stdout, '')
  assert.match(human.stderr, /\(no keys\)/)
})

test('--limit cuts the list: count is every key, more is true, and a note says so', async () => {
  const r = await kv('get', '--prefix', 'u/', '--limit', '2', '--json')
  assert.equal(r.exit, 0, r.stderr)
  const doc = r.json()
  assert.deepEqual(doc.kvs.map((e: Kv) => e.key), ['u/a', 'u/b'])
  assert.equal(doc.count, 3)
  assert.equal(doc.more, true)
  const human = await kv('list', '--limit', '1')
  assert.equal(human.stdout, 'u/a = val-u/a\n')
  assert.match(human.stderr, /1 of 6 keys shown; more after "u\/a"/)
  assert.equal((await kv('get', '--prefix', 'u/', '--limit', '3', '--json')).json().more, false)
})

test('FROM --to TO is half-open; FROM >= TO is empty', async () => {
  assert.deepEqual((await kv('get', 'u/a', '--to', 'u/c', '--json')).json().kvs.map((e: Kv) => e.key), ['u/a', 'u/b'])
  assert.deepEqual((await kv('get', 'u/', '--to', PRIVATE_USE, '--json')).json().kvs.map((e: Kv) => e.key), ['u/a', 'u/b', 'u/c', 'v'])
  for (const [from, to] of [['u/b', 'u/b'], ['v', 'u/a']]) {
    const doc = (await kv('get', from!, '--to', to!, '--json')).json()
    assert.deepEqual([doc.kvs, doc.count, doc.more], [[], 0, false], `${from} --to ${to}`)
  }
})

test('--keys-only drops values, --count-only lists nothing, --serializable reads too', async () => {
  const keys = (await kv('get', '--prefix', 'u/', '--keys-only', '--json')).json()
  assert.deepEqual(keys.kvs.map((e: Kv) => Object.keys(e).sort()), [['key', 'modIndex'], ['key', 'modIndex'], ['key', 'modIndex']])
  assert.equal((await kv('get', '--prefix', 'u/', '--keys-only')).stdout, 'u/a\nu/b\nu/c\n')
  const count = (await kv('list', '--count-only', '--json')).json()
  assert.deepEqual([count.kvs, count.count, count.more], [[], 6, false])
  assert.equal((await kv('list', '--count-only')).stdout, '6\n')
  const local = await kv('list', '--serializable', '--prefix', 'u/', '--json')
  assert.equal(local.exit, 0, local.stderr)
  assert.equal(local.json().count, 3)
})

test('a range across deleted keys lists the live ones only', async () => {
  assert.equal((await kv('delete', 'u/b', '--json')).json().deleted, true)
  const doc = (await kv('get', 'u/a', '--to', 'v', '--json')).json()
  assert.deepEqual(doc.kvs.map((e: Kv) => e.key), ['u/a', 'u/c'])
  assert.equal(doc.count, 2)
})

test('bad usage: exit 2', async () => {
  for (const args of [
    ['get', '--limit', '2'], ['get', 'k', '--limit', '2'], ['get', '--to', 'b'], ['get', 'a', '--prefix', 'p'],
    ['list', '--limit', '0'], ['list', '--keys-only', '--count-only'], ['delete'], ['delete', 'k', '--prefix', 'p'],
  ]) {
    const r = await kv(...args, '--json')
    assert.equal(r.exit, 2, `${args.join(' ')}: ${r.stdout}`)
    assert.equal(r.json().error.code, 'BAD_USAGE', args.join(' '))
  }
})

test('kv delete --prefix: {prefix, deleted: N}, the other keys stay', async () => {
  const r = await kv('delete', '--prefix', 'u/', '--json')
  assert.equal(r.exit, 0, r.stderr)
  assert.deepEqual(r.json(), {prefix: 'u/', deleted: 2})
  assert.deepEqual((await kv('list', '--keys-only', '--json')).json().kvs.map((e: Kv) => e.key), ['v', PRIVATE_USE, ASTRAL])
  const human = await kv('delete', '--prefix', 'u/')
  assert.equal(human.stdout, 'deleted 0 keys\n')
})

// runCommand splits its arguments on spaces, so an empty prefix is written `--prefix=` here.
test('kv delete --prefix "" (every key): NEEDS_CONFIRMATION without a terminal, nothing deleted; --yes deletes all', async () => {
  const refused = await kv('delete', '--prefix=', '--json')
  assert.equal(refused.exit, 2, refused.stdout)
  assert.equal(refused.json().error.code, 'NEEDS_CONFIRMATION')
  assert.match(refused.json().error.message, /--yes/)
  assert.equal((await kv('list', '--count-only', '--json')).json().count, 3)
  const done = await kv('delete', '--prefix=', '--yes', '--json')
  assert.equal(done.exit, 0, done.stdout)
  assert.deepEqual(done.json(), {prefix: '', deleted: 3})
  assert.deepEqual((await kv('list', '--json')).json().kvs, [])
})
