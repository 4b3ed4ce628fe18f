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

test('a cache file with one byte flipped inside is not used (V8 checks only its header and length): the run succeeds and writes a good one', (t) => {
  const home = testTempDir(t, 'raftctl-fast-')
  const first = raftctl(home, ['--version'])
  assert.equal(first.status, 0, first.stderr)
  const file = join(home, '.cache', cacheFiles(home)[0]!)
  let good = readFileSync(file)
  // Offsets past V8's header: before the checksum, flips at 28 and 1000 crashed the process
  // (a fatal error, a segfault) on every run, for good.
  for (const offset of [28, 1000, Math.floor(good.length / 2)]) {
    const damaged = Buffer.from(good)
    damaged[offset]! ^= 0x10
    writeFileSync(file, damaged)
    assert.deepEqual(raftctl(home, ['--version']), first, `byte ${offset} flipped`)
    const rewritten = readFileSync(file)
    assert.notDeepEqual(rewritten, damaged, `byte ${offset} flipped: the cache is written anew`)
    // The new cache is good: the next run uses it (same output) and leaves it as it is.
    assert.deepEqual(raftctl(home, ['--version']), first)
    assert.deepEqual(readFileSync(file), rewritten, 'a cache that passes its checksum is not written again')
    good = rewritten
  }
  assert.deepEqual(cacheFiles(home).filter((f) => f.endsWith('.tmp')), [], 'no temporary file left')
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
