/**
 * The hot commands' own bundles (src/cli/hot.ts, dist/cli/hot/*.cjs) as a user meets them: for
 * command lines that succeed, fail to parse, fail in the command, or are no hot command at all,
 * bin/run.js prints the same stdout and stderr and exits with the same code as oclif's whole
 * path (src/cli/execute.ts through oclif's `run`, no bundle), and the hot bundle is what ran
 * (its code cache is written under its own name); the leader that served a write is kept.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {pathToFileURL} from 'node:url'
import {testTempDir} from '../helpers.js'

const BIN = resolve('bin/run.js')

/** Runs oclif's whole path (as bin/run.js does when the fast path declines) on `argv`. */
const OCLIF_PATH = `import(${JSON.stringify(pathToFileURL(resolve('dist/cli/execute.js')).href)}).then((m) => m.executeCli({dir: ${JSON.stringify(pathToFileURL(BIN).href)}, argv: JSON.parse(process.env.ARGV)}))`

interface Outcome {
  readonly status: number | null
  readonly stdout: string
  readonly stderr: string
}

function run(args: readonly string[], env: Record<string, string>): Outcome {
  const r = spawnSync(process.execPath, args, {env: {...process.env, ...env}, encoding: 'utf8'})
  return {status: r.status, stdout: r.stdout, stderr: r.stderr}
}

test('hot commands print and exit as oclif\'s whole path does, for good and bad command lines', (t) => {
  const home = testTempDir(t, 'raftctl-hot-')
  const secret = join(home, 'secret')
  writeFileSync(secret, 'not-the-secret\n', {mode: 0o600})
  // No cluster in this home: CLUSTER_NOT_FOUND; an endpoint where nothing listens: UNAVAILABLE.
  const remote = ['--endpoints', 'ws://127.0.0.1:9', '--secret-file', secret, '--timeout', '300ms']
  const lines: (readonly string[])[] = [
    ['status', '--json'], ['status'], ['status', '--bogus'], ['status', 'extra'], ['status', '--timeout'], ['status', '--timeout', 'abc', '--json'],
    ['status', '--cluster=nope', '--json'], ['status', '-w', '--interval', '0s'], ['status', '--tls-cert', 'c.pem'],
    ['leader', '--json'], ['leader', '-w', '1x'], ['leader', 'n2'], ['leader', '--endpoints', 'ws://127.0.0.1:9'],
    ['kv', 'put'], ['kv', 'put', 'k'], ['kv', 'put', 'k', 'v', '--json'], ['kv', 'put', 'k', 'v', 'w'], ['kv', 'put', 'k', '--file', join(home, 'missing')],
    ['kv', 'get', '--prefix', 'a', 'b'], ['kv', 'get', '--limit', '3'], ['kv', 'get', 'k', ...remote], ['kv', 'get', 'k', ...remote, '--json'],
    ['kv', 'put', 'k', 'v', ...remote, '--json'],
  ]
  for (const argv of lines) {
    const env = {RAFTCTL_HOME: home, NO_COLOR: '1'}
    const hot = run([BIN, ...argv], env)
    const oclif = run(['--input-type=module', '-e', OCLIF_PATH], {...env, ARGV: JSON.stringify(argv)})
    assert.deepEqual(hot, oclif, `raftctl ${argv.join(' ')}`)
    assert.notEqual(hot.status, 0, `raftctl ${argv.join(' ')} fails here`)
  }
  // A code cache is written after a success only: none of these wrote one.
  assert.equal(existsSync(join(home, '.cache')), false, 'no cache after failures')
})

test('a hot command that succeeds writes its own code cache and uses it: the same output on the next run', (t) => {
  const home = testTempDir(t, 'raftctl-hot-')
  const env = {RAFTCTL_HOME: home, NO_COLOR: '1'}
  const started = run([BIN, 'cluster', 'start', '--nodes', '1', '--json'], env)
  assert.equal(started.status, 0, started.stderr)
  const pids = [...started.stdout.matchAll(/"pid": (\d+)/g)].map((m) => Number(m[1]))
  try {
    const first = run([BIN, 'kv', 'put', 'greeting', 'hello'], env)
    assert.deepEqual(first, {status: 0, stdout: 'OK\n', stderr: ''})
    // `cluster start` wrote the general bundle's cache; `kv put` its own bundle's.
    const caches = readdirSync(join(home, '.cache')).filter((f) => f.includes('kv-put'))
    assert.equal(caches.length, 1, caches.join(' '))
    assert.match(caches[0]!, /^cli-[0-9a-f]{16}-v\d+\.\d+\.\d+-\w+-hot-kv-put\.v8$/)
    assert.deepEqual(run([BIN, 'kv', 'put', 'greeting', 'hello'], env), first)
    // The leader that served the write is kept for the next command (src/cluster/leader-cache.ts).
    assert.equal(JSON.parse(readFileSync(join(home, 'default', 'leader.json'), 'utf8')).id, 'n1')
    for (const argv of [['kv', 'get', 'greeting', '--json'], ['kv', 'get', 'greeting'], ['leader', '--json']]) {
      const hot = run([BIN, ...argv], env)
      assert.equal(hot.status, 0, hot.stderr)
      assert.deepEqual(hot, run(['--input-type=module', '-e', OCLIF_PATH], {...env, ARGV: JSON.stringify(argv)}), `raftctl ${argv.join(' ')}`)
    }
  } finally {
    run([BIN, 'cluster', 'stop'], env)
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // already stopped
      }
    }
  }
})
