/**
 * The start-up fast path (src/cli/fast-start.ts) as a user meets it: bin/run.js (built) in a
 * private RAFTCTL_HOME. The code cache is written once a command has succeeded, is used by the
 * next run, and a damaged or foreign cache file is refused by V8 and replaced, the output staying
 * the same; RAFTCTL_CODE_CACHE=0 writes none, and no home means no cache (a cache never creates it).
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {testTempDir} from '../helpers.js'

const BIN = resolve('bin/run.js')

function raftctl(home: string, argv: readonly string[], env: Record<string, string> = {}): {status: number | null; stdout: string; stderr: string} {
  const r = spawnSync(process.execPath, [BIN, ...argv], {env: {...process.env, RAFTCTL_HOME: home, ...env}, encoding: 'utf8'})
  return {status: r.status, stdout: r.stdout, stderr: r.stderr}
}

/** The cache files of RAFTCTL_HOME, by name. */
function cacheFiles(home: string): string[] {
  const folder = join(home, '.cache')
  return existsSync(folder) ? readdirSync(folder).sort() : []
}

test('a command writes its code cache once it succeeded; a damaged cache is refused and replaced, the output unchanged', (t) => {
  const home = testTempDir(t, 'raftctl-fast-')
  const first = raftctl(home, ['--version'])
  assert.equal(first.status, 0, first.stderr)
  assert.match(first.stdout, /^raftctl\/\d+\.\d+\.\d+ /)
  const files = cacheFiles(home)
  assert.equal(files.length, 1, files.join(' '))
  assert.match(files[0]!, /^cli-[0-9a-f]{16}-v\d+\.\d+\.\d+-\w+---version\.v8$/)
  const file = join(home, '.cache', files[0]!)
  const written = readFileSync(file)
  assert.deepEqual(raftctl(home, ['--version']), first)
  assert.deepEqual(readFileSync(file), written, 'a cache V8 accepted is not written again')
  writeFileSync(file, Buffer.from('not a V8 code cache'))
  assert.deepEqual(raftctl(home, ['--version']), first)
  assert.ok(readFileSync(file).length > 1000, 'the damaged cache was replaced')
})

test('a failing command writes no cache; RAFTCTL_CODE_CACHE=0 writes none; no home, no cache and no home created', (t) => {
  const home = testTempDir(t, 'raftctl-fast-')
  const failed = raftctl(home, ['status', '--bogus'])
  assert.equal(failed.status, 2)
  assert.match(failed.stderr, /Nonexistent flag: --bogus/)
  assert.deepEqual(cacheFiles(home), [])
  assert.equal(raftctl(home, ['--version'], {RAFTCTL_CODE_CACHE: '0'}).status, 0)
  assert.deepEqual(cacheFiles(home), [])
  const missing = join(home, 'not-yet')
  assert.equal(raftctl(missing, ['--version']).status, 0)
  assert.equal(existsSync(missing), false)
})
