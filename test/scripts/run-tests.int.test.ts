/**
 * scripts/run-tests.mjs, the runner behind `npm test` and `npm run test:unit`, run as a program
 * on fixture test files: it fails a run that leaves anything in the temp directory and names
 * what was left, passes a tidy run, keeps Node's closing summary, removes its own temp folder,
 * under `--unit` makes a test that starts a process fail, and removes the temp folder of an
 * earlier run that was killed (its runner gone) and only that.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {mkdirSync, readdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {testTempDir} from '../helpers.js'

const RUNNER = fileURLToPath(new URL('../../scripts/run-tests.mjs', import.meta.url))
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const fixture = (name: string): string => `test/scripts/fixtures/${name}.fixture.ts`

/** Run the runner with TMPDIR = `tmp` (so its own folder can be looked for afterwards). */
function runner(tmp: string, ...args: string[]): {status: number | null; stdout: string; stderr: string} {
  const r = spawnSync(process.execPath, [RUNNER, ...args], {cwd: ROOT, env: {...process.env, TMPDIR: tmp}, encoding: 'utf8'})
  return {status: r.status, stdout: r.stdout, stderr: r.stderr}
}

/** What the runner left in `tmp`: only tsx's cache, which it shares on purpose. */
function leftByRunner(tmp: string): string[] {
  return readdirSync(tmp).filter((name) => !name.startsWith('tsx-'))
}

test('a passing test that leaves a folder and a file fails the run, and both are named', (t) => {
  const tmp = testTempDir(t, 'raftctl-runner-')
  const r = runner(tmp, fixture('leaves-temp'))
  assert.equal(r.status, 1, r.stderr)
  assert.match(r.stdout, /^# pass 1$/m, 'the test itself passed and node\'s summary is printed')
  assert.match(r.stdout, /^# fail 0$/m)
  assert.match(r.stderr, /left 2 entries in the temp directory/)
  assert.match(r.stderr, /raftctl-forgotten-\w+\/ \(folder: 1 entries: data\)/)
  assert.match(r.stderr, /forgotten\.txt \(file, 1 bytes\)/)
  assert.deepEqual(leftByRunner(tmp), [], 'the runner removed its temp folder, leftovers included')
})

test('a run that removes what it creates passes, with nothing reported', (t) => {
  const tmp = testTempDir(t, 'raftctl-runner-')
  const r = runner(tmp, fixture('cleans-temp'))
  assert.equal(r.status, 0, r.stderr)
  assert.match(r.stdout, /^# pass 1$/m)
  assert.doesNotMatch(r.stderr, /left/)
  assert.deepEqual(leftByRunner(tmp), [])
})

test('--unit: a test that starts a process fails, naming the convention', (t) => {
  const tmp = testTempDir(t, 'raftctl-runner-')
  const unit = runner(tmp, '--unit', fixture('spawns'))
  assert.equal(unit.status, 1)
  assert.match(unit.stdout, /^# fail 1$/m)
  assert.match(unit.stdout, /unit tests start no process/)
  const all = runner(tmp, fixture('spawns'))
  assert.equal(all.status, 0, 'outside the unit set it may')
})

test('a temp folder left by a killed run is removed at the next run; one whose runner lives, or with no pid file, is kept', (t) => {
  const tmp = testTempDir(t, 'raftctl-runner-')
  const gone = spawnSync(process.execPath, ['-e', '0']).pid
  const folder = (name: string, pid: number | null): void => {
    mkdirSync(join(tmp, name, 'raftctl-daemon-x'), {recursive: true})
    if (pid !== null) writeFileSync(join(tmp, name, 'runner.pid'), String(pid))
  }
  folder('raftctl-tests-killed', gone!)
  folder('raftctl-tests-running', process.pid)
  folder('raftctl-tests-unknown', null)
  const r = runner(tmp, fixture('cleans-temp'))
  assert.equal(r.status, 0, r.stderr)
  assert.match(r.stderr, /raftctl-tests-killed, left by an earlier run that was killed/)
  assert.deepEqual(leftByRunner(tmp).sort(), ['raftctl-tests-running', 'raftctl-tests-unknown'])
})
