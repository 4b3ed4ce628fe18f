/**
 * `kv txn` and `kv watch` as a user runs them, against one real 3-node cluster (run `npm run
 * build` first; with OCLIF_TEST_ROOT=$PWD from a worktree): a txn from a file moves value
 * between two keys and then, its compares no longer holding, runs its failure branch; malformed
 * transactions are exit 2 with nothing written; `kv watch --prefix --json` (a spawned process,
 * stopped with SIGINT: exit 0) prints every change in log order, a txn's two puts at one index,
 * a delete --prefix as one delete per key; `--from-index 1` replays the same lines;
 * `cluster start --watch-history N` records N and gives it to the nodes it starts; a watch whose
 * node is paused (`node pause`) goes on from another node, each change once, in order, and bad
 * `--leaderless-timeout`/`--silence-timeout` values are BAD_USAGE (exit 2).
 */
import {after, afterEach, before, test} from 'node:test'
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {resetExitCode, testTempDir} from '../helpers.js'
import {BIN} from '../daemon/harness.js'
import {cleanup, eventually, raftctl, trackPid, useTempHome, startCluster} from './cluster-helpers.js'

let home = ''

before(async () => {
  home = useTempHome()
  await startCluster('--cluster', 'tw')
})
after(async () => cleanup(home))
afterEach(resetExitCode)

const kv = (...args: string[]) => raftctl('kv', ...args, '--cluster', 'tw')

/** A running `raftctl kv watch ARGS --json` process: the lines it printed so far; SIGINT when `until` holds (killed after 60 s). */
function watchProcess(args: string[], until: (lines: number) => boolean): {lines: () => unknown[]; ended: Promise<{lines: unknown[]; exit: number | null}>} {
  const child = spawn(process.execPath, [BIN, 'kv', 'watch', ...args, '--json', '--cluster', 'tw'], {env: {...process.env, RAFTCTL_HOME: home, OCLIF_SKIP_NEW_VERSION_CHECK: 'true'}, stdio: ['ignore', 'pipe', 'pipe']})
  let out = ''
  let err = ''
  const lines = (): unknown[] => out.split('\n').filter(Boolean).map((l) => JSON.parse(l))
  const give = setTimeout(() => child.kill('SIGKILL'), 60_000)
  // One Ctrl-C, as a user presses it: a second one (sent on output that came after the first)
  // finds the handler gone and kills the process (exit null), as a second Ctrl-C should.
  let interrupted = false
  const ended = new Promise<{lines: unknown[]; exit: number | null}>((resolve) => {
    child.stdout.on('data', (d) => {
      out += d
      if (interrupted || !until(out.split('\n').filter(Boolean).length)) return
      interrupted = true
      child.kill('SIGINT')
    })
    child.stderr.on('data', (d) => { err += d })
    child.once('exit', (code) => {
      clearTimeout(give)
      if (code !== 0) console.error(err)
      resolve({lines: lines(), exit: code})
    })
  })
  return {lines, ended}
}

/** `raftctl kv watch ARGS --json` as a process, until `lines` lines came; then SIGINT. */
function watchLines(args: string[], lines: number): Promise<{lines: unknown[]; exit: number | null}> {
  return watchProcess(args, (n) => n >= lines).ended
}

test('kv txn moves value atomically, then runs the failure branch; kv watch shows each change once, in log order', {timeout: 120_000}, async (t) => {
  const dir = testTempDir(t)
  // From the entry after the applied index now: no race with the watch process's start-up (slow on a busy machine).
  const {index} = (await kv('list', '--json')).json()
  const watching = watchLines(['--prefix', 'acct/', '--from-index', String(index + 1)], 5)
  assert.equal((await kv('put', 'acct/a', '50')).exit, 0)
  assert.equal((await kv('put', 'acct/b', '0')).exit, 0)
  const move = join(dir, 'move.json')
  writeFileSync(move, JSON.stringify({
    compare: [{key: 'acct/a', value: '50'}, {key: 'acct/b', value: '0'}],
    success: [{op: 'put', key: 'acct/a', value: '40'}, {op: 'put', key: 'acct/b', value: '10'}],
    failure: [{op: 'put', key: 'log', value: 'retry'}],
  }))
  const first = await kv('txn', '--file', move, '--json')
  assert.equal(first.exit, 0, first.stderr)
  assert.deepEqual(first.json(), {succeeded: true})
  const second = await kv('txn', '--file', move)
  assert.equal(second.exit, 0)
  assert.equal(second.stdout.trim(), 'FAILURE')
  const values = (await kv('list', '--json')).json().kvs.map((e: {key: string; value: string}) => `${e.key}=${e.value}`)
  assert.deepEqual(values, ['acct/a=40', 'acct/b=10', 'log=retry'])
  assert.equal((await kv('delete', '--prefix', 'acct/')).exit, 0)

  const {lines, exit} = await watching
  assert.equal(exit, 0, 'Ctrl-C ends a watch with exit 0')
  const shown = (lines as Array<{type: string; key: string; value?: string; index: number}>).map((l) => `${l.type} ${l.key}${l.value === undefined ? '' : `=${l.value}`}`)
  assert.deepEqual(shown.slice(0, 5), ['put acct/a=50', 'put acct/b=0', 'put acct/a=40', 'put acct/b=10', 'delete acct/a'])
  const idx = (lines as Array<{index: number}>).map((l) => l.index)
  assert.equal(idx[2], idx[3], 'the txn\'s two puts share its index')
  assert.ok(idx[0]! < idx[1]! && idx[1]! < idx[2]! && idx[3]! < idx[4]!)
  // From index 1: the same changes, replayed from the node's history.
  const replay = await watchLines(['--prefix', 'acct/', '--from-index', '1'], 6)
  assert.deepEqual(replay.lines.slice(0, 5), lines.slice(0, 5))
})

test('a malformed transaction is exit 2 and writes nothing', {timeout: 60_000}, async (t) => {
  const dir = testTempDir(t)
  const file = (name: string, text: string): string => {
    writeFileSync(join(dir, name), text)
    return join(dir, name)
  }
  const cases: Array<[string, string, RegExp]> = [
    ['json.txt', '{"compare": [', /not valid JSON/],
    ['extra.json', '{"compare": [], "then": []}', /unknown field "then"/],
    ['both.json', '{"compare": [{"key": "x", "value": "1", "absent": true}], "success": [{"op": "put", "key": "x", "value": "2"}]}', /exactly one of value, absent: true, modIndex/],
    ['twice.json', '{"success": [{"op": "put", "key": "x", "value": "1"}, {"op": "delete", "key": "x"}]}', /writes the key "x" twice/],
  ]
  for (const [name, text, message] of cases) {
    const r = await kv('txn', '--file', file(name, text), '--json')
    assert.equal(r.exit, 2, `${name}: ${r.stdout}`)
    assert.match(r.json().error.message, message)
  }
  assert.equal((await kv('get', 'x', '--json')).json().value, null, 'nothing was written')
})

test('cluster start --watch-history is recorded in the manifest and given to the nodes: older starts are COMPACTED', {timeout: 120_000}, async () => {
  const start = await raftctl('cluster', 'start', '--json', '--cluster', 'twh', '--nodes', '1', '--watch-history', '3')
  assert.equal(start.exit, 0, start.stderr)
  for (const n of start.json().nodes) trackPid(n.pid)
  const manifest = JSON.parse(readFileSync(join(start.json().path, 'manifest.json'), 'utf8'))
  assert.equal(manifest.options.watchHistory, 3)
  for (let i = 0; i < 6; i++) assert.equal((await raftctl('kv', 'put', 'k', String(i), '--cluster', 'twh')).exit, 0)
  const {index} = (await raftctl('kv', 'get', 'k', '--json', '--cluster', 'twh')).json()
  // The node keeps the last 3 changing entries (the default would keep all 6).
  const watch = await raftctl('kv', 'watch', 'k', '--from-index', '1', '--json', '--cluster', 'twh')
  assert.equal(watch.exit, 1, watch.stdout + watch.stderr)
  assert.equal(watch.json().error.code, 'COMPACTED')
  assert.match(watch.json().error.message, new RegExp(`the oldest index still available is ${index - 2}\\b`))
})

test('kv watch goes on from another node while its node is paused, each change once, in order', {timeout: 120_000}, async () => {
  const {index} = (await kv('list', '--json')).json()
  // n1 first: a local cluster's endpoints are in manifest order, so the watch runs on n1.
  const watch = watchProcess(['--prefix', 'hang/', '--from-index', String(index + 1), '--silence-timeout', '2s'], (n) => n >= 5)
  const seen = (n: number) => eventually(async () => watch.lines().length >= n, 60_000, `${n} lines`)
  assert.equal((await kv('put', 'hang/1', '1')).exit, 0)
  await seen(1)
  assert.equal((await raftctl('node', 'pause', 'n1', '--cluster', 'tw')).exit, 0)
  try {
    for (const v of ['2', '3', '4']) assert.equal((await kv('put', `hang/${v}`, v)).exit, 0)
    await seen(4)
  } finally {
    assert.equal((await raftctl('node', 'resume', 'n1', '--cluster', 'tw')).exit, 0)
  }
  assert.equal((await kv('put', 'hang/5', '5')).exit, 0)
  const {lines, exit} = await watch.ended
  assert.equal(exit, 0)
  const got = lines as Array<{key: string; value: string; index: number}>
  assert.deepEqual(got.map((l) => l.value), ['1', '2', '3', '4', '5'], 'each change once, in order')
  assert.ok(got.every((l, i) => i === 0 || l.index > got[i - 1]!.index), 'indexes increase')
})

test('kv watch: a bad --leaderless-timeout or --silence-timeout is BAD_USAGE, exit 2', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--leaderless-timeout', '3'], /invalid duration "3"/],
    [['--leaderless-timeout', '0s'], /--leaderless-timeout must be at least 10ms/],
    [['--silence-timeout', '1s'], /--silence-timeout must be at least 2s/],
    [['--silence-timeout', 'soon'], /invalid duration "soon"/],
  ]
  for (const [flags, message] of cases) {
    const r = await kv('watch', 'k', ...flags, '--json')
    assert.equal(r.exit, 2, `${flags.join(' ')}: ${r.stdout}`)
    assert.equal(r.json().error.code, 'BAD_USAGE')
    assert.match(r.json().error.message, message)
  }
})
