/**
 * `kv put|append|cas` with the value from `--file F` or stdin (`-`) against one real 3-node
 * cluster (run `npm run build` first; stdin tests spawn bin/run.js and pipe into it): values
 * round-trip byte for byte (trailing newline kept), exactly one source (else BAD_USAGE), a missing
 * file is BAD_INPUT, bytes that are not UTF-8 are INVALID_UTF8 with the offset, and a value over
 * the limit is PAYLOAD_TOO_LARGE before any connection: with every node stopped it is still
 * PAYLOAD_TOO_LARGE (not UNAVAILABLE), and an endless stdin (`yes |`) is not read to its end.
 */
import {after, afterEach, before, test} from 'node:test'
import assert from 'node:assert/strict'
import {spawn, type ChildProcessWithoutNullStreams} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {RAFTCTL_BIN as BIN} from '../../src/cluster/index.js'
import {resetExitCode} from '../helpers.js'
import {cleanup, raftctl, trackPid, useTempHome, startCluster} from './cluster-helpers.js'

const CLUSTER = 'kvfile'
const LIMIT = 64 * 1024

let home = ''

interface Spawned {
  readonly exit: number | null
  readonly stdout: string
  readonly stderr: string
  json<T = any>(): T // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Run `sh -c SCRIPT` where `"$NODE" "$BIN"` is this build's CLI; `stdin` is written to it and closed. */
function shell(script: string, stdin: string | Buffer = ''): Promise<Spawned> {
  return run(spawn('sh', ['-c', script], {env: {...process.env, NODE: process.execPath, BIN}, stdio: ['pipe', 'pipe', 'pipe']}), stdin)
}

/** Feed `stdin` to `child` and collect its exit code and output. */
function run(child: ChildProcessWithoutNullStreams, stdin: string | Buffer): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.stdin.on('error', () => undefined) // EPIPE when the CLI stops reading early
    child.stdin.end(stdin)
    child.once('error', reject)
    child.once('close', (exit) => resolve({exit, stdout, stderr, json: () => JSON.parse(stdout)}))
  })
}

/** `raftctl ARGS` in a child process (no shell: arguments passed exactly) with `stdin` piped in. */
function cli(args: string[], stdin: string | Buffer = ''): Promise<Spawned> {
  return run(spawn(process.execPath, [BIN, ...args], {stdio: ['pipe', 'pipe', 'pipe']}), stdin)
}

/** `raftctl kv ARGS --cluster kvfile --json` in a child process with `stdin` piped in. */
const kvPiped = (args: string, stdin: string | Buffer) => shell(`"$NODE" "$BIN" kv ${args} --cluster ${CLUSTER} --json`, stdin)

const kv = (...args: string[]) => raftctl('kv', ...args, '--cluster', CLUSTER)

before(async () => {
  home = useTempHome()
  await startCluster('--cluster', CLUSTER)
})
after(async () => cleanup(home))
afterEach(resetExitCode)

test('put --file: a value exactly at the 64 KiB limit, multi-byte and ending in a newline, round-trips through kv get', async () => {
  const line = 'ünïcode ✓ line\n'
  const body = line.repeat(Math.floor(LIMIT / Buffer.byteLength(line)))
  const value = body + 'x'.repeat(LIMIT - Buffer.byteLength(body) - 1) + '\n'
  assert.equal(Buffer.byteLength(value), LIMIT)
  const file = join(home, 'value.txt')
  writeFileSync(file, value)
  const put = await kv('put', 'big', '--file', file, '--json')
  assert.equal(put.exit, 0, put.stdout + put.stderr)
  assert.equal(put.json().value, value)
  const get = await kv('get', 'big', '--json')
  assert.equal(get.json().value, value, 'the trailing newline and every byte kept')
})

test('put - reads stdin (spawned CLI, value piped in), trailing newline kept', async () => {
  const put = await kvPiped('put piped -', 'from stdin\n')
  assert.equal(put.exit, 0, put.stderr)
  assert.deepEqual(put.json(), {key: 'piped', value: 'from stdin\n'})
  assert.equal((await kv('get', 'piped', '--json')).json().value, 'from stdin\n')
  const empty = await kvPiped('put empty -', '')
  assert.deepEqual(empty.json(), {key: 'empty', value: ''})
})

test('stdin is read only for -: piped data is ignored with --file, and with no VALUE it is BAD_USAGE (oclif does not fill the argument from it)', async () => {
  const file = join(home, 'from-file.txt')
  writeFileSync(file, 'from the file\n')
  const withFile = await cli(['kv', 'put', 'src', '--file', file, '--cluster', CLUSTER, '--json'], 'piped data\n')
  assert.equal(withFile.exit, 0, withFile.stdout + withFile.stderr)
  assert.deepEqual(withFile.json(), {key: 'src', value: 'from the file\n'})
  const noValue = await cli(['kv', 'put', 'src2', '--cluster', CLUSTER, '--json'], 'piped data\n')
  assert.equal(noValue.exit, 2, noValue.stdout)
  assert.equal(noValue.json().error.code, 'BAD_USAGE')
  assert.match(noValue.json().error.message, /^no value given: use kv put KEY VALUE, kv put KEY --file F or kv put KEY - \(stdin\)/)
  const noNew = await cli(['kv', 'cas', 'src', 'from the file\n', '--cluster', CLUSTER, '--json'], 'piped data\n')
  assert.equal(noNew.exit, 2, noNew.stdout)
  assert.equal(noNew.json().error.code, 'BAD_USAGE')
  assert.equal((await kv('get', 'src', '--json')).json().value, 'from the file\n')
})

test('append and cas take NEW from stdin or --file too; EXPECTED stays an argument', async () => {
  const a = await kvPiped('append log -', 'one\n')
  assert.deepEqual(a.json(), {key: 'log', value: 'one\n'})
  const file = join(home, 'two.txt')
  writeFileSync(file, 'two\n')
  const b = await kv('append', 'log', '--file', file, '--json')
  assert.deepEqual(b.json(), {key: 'log', value: 'one\ntwo\n'})
  const swapped = await cli(['kv', 'cas', 'log', 'one\ntwo\n', '--file', file, '--cluster', CLUSTER, '--json'])
  assert.equal(swapped.exit, 0, swapped.stdout + swapped.stderr)
  assert.deepEqual(swapped.json(), {key: 'log', swapped: true, value: 'two\n'})
  const viaStdin = await cli(['kv', 'cas', 'log', 'two\n', '-', '--cluster', CLUSTER, '--json'], 'three\n')
  assert.deepEqual(viaStdin.json(), {key: 'log', swapped: true, value: 'three\n'})
  const lock = await kvPiped('cas lock --expect-absent -', 'holder\n')
  assert.deepEqual(lock.json(), {key: 'lock', swapped: true, value: 'holder\n'})
  const mismatch = await kvPiped('cas log nope -', 'four')
  assert.equal(mismatch.exit, 1)
  assert.equal(mismatch.json().error.code, 'CAS_MISMATCH')
  assert.equal((await kv('get', 'log', '--json')).json().value, 'three\n')
})

test('exactly one source: VALUE and --file, - and --file, or none, is BAD_USAGE (exit 2); a missing file is BAD_INPUT naming it', async () => {
  const file = join(home, 'two.txt')
  for (const args of [['put', 'k', 'v', '--file', file], ['put', 'k', '-', '--file', file], ['put', 'k'], ['append', 'k'], ['cas', 'k', 'old'], ['cas', 'k', 'old', 'new', '--file', file], ['cas', 'k', '--expect-absent', 'v', '--file', file]]) {
    const r = await kv(...args, '--json')
    assert.equal(r.exit, 2, args.join(' '))
    assert.equal(r.json().error.code, 'BAD_USAGE', args.join(' '))
  }
  assert.match((await kv('put', 'k', 'v', '--file', file, '--json')).json().error.message, /both a VALUE argument and --file/)
  const missing = join(home, 'no-such-file')
  const r = await kv('put', 'k', '--file', missing, '--json')
  assert.equal(r.exit, 2)
  assert.equal(r.json().error.code, 'BAD_INPUT')
  assert.equal(r.json().error.message, `cannot read --file ${missing}: no such file (ENOENT)`)
  assert.equal((await kv('get', 'k', '--json')).json().value, null, 'nothing written')
})

test('stdin that is not UTF-8: INVALID_UTF8 with the byte offset, exit 2, nothing written', async () => {
  const r = await kvPiped('put bin -', Buffer.from([0x61, 0x62, 0xff, 0x63]))
  assert.equal(r.exit, 2, r.stderr)
  assert.equal(r.json().error.code, 'INVALID_UTF8')
  assert.match(r.json().error.message, /^VALUE from stdin is not valid UTF-8 at byte offset 2 \(0xff\)/)
  assert.equal((await kv('get', 'bin', '--json')).json().value, null)
})

test('every node stopped: a 1 MB --file and an endless stdin are still PAYLOAD_TOO_LARGE (exit 2) naming limit and size, not UNAVAILABLE', {timeout: 120_000}, async () => {
  const stop = await raftctl('cluster', 'stop', '--cluster', CLUSTER)
  assert.equal(stop.exit, 0, stop.stderr)
  const file = join(home, 'one-mb.txt')
  writeFileSync(file, 'z'.repeat(1_000_000))
  const big = await kv('put', 'k', '--file', file, '--json')
  assert.equal(big.exit, 2, big.stdout)
  assert.equal(big.json().error.code, 'PAYLOAD_TOO_LARGE')
  assert.equal(big.json().error.message, `VALUE from file ${file} is 1000000 bytes, over the limit of 65536 bytes (maxValueBytes); nothing was sent`)
  // `yes` never ends: this returns only if the CLI stops reading at the limit.
  const endless = await shell(`yes | "$NODE" "$BIN" kv put k - --cluster ${CLUSTER} --json`)
  assert.equal(endless.exit, 2, endless.stdout + endless.stderr)
  assert.equal(endless.json().error.code, 'PAYLOAD_TOO_LARGE')
  assert.match(endless.json().error.message, /^VALUE from stdin is more than 65536 bytes \(reading stopped there\), over the limit of 65536 bytes/)
  const argument = await kv('append', 'k', 'x'.repeat(LIMIT + 1), '--json')
  assert.equal(argument.json().error.code, 'PAYLOAD_TOO_LARGE')
  assert.match(argument.json().error.message, /^VALUE is 65537 bytes, over the limit of 65536 bytes/)
})
