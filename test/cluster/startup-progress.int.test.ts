/**
 * `node start` follows a starting daemon's status file (src/common/startup-status.ts): it keeps
 * waiting while the daemon's start-up steps move, however long that takes, gives up (killing the
 * daemon) only when they stop moving, and reports a daemon that exits before it is ready with
 * its reason. Driven with small stand-in daemons (node scripts whose command line looks like a
 * daemon's) so that the pace of their steps is the test's, not the machine's; the real daemon
 * writing the file is covered by test/cluster/full-disk.int.test.ts.
 */
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {mkdirSync, writeFileSync} from 'node:fs'
import {after, test} from 'node:test'
import {ClusterPaths} from '../../src/cluster/manifest.js'
import {hasExited, lastLineFailure, waitForPidFile, type SpawnedDaemon} from '../../src/cluster/processes.js'
import type {StartupStatus} from '../../src/common/startup-status.js'
import {tempDir} from '../helpers.js'
import {rmSync} from 'node:fs'

const home = tempDir('raftctl-progress-')
const paths = new ClusterPaths('c', home)
mkdirSync(paths.dir + '/pids', {recursive: true})
mkdirSync(paths.dir + '/logs', {recursive: true})
const started: number[] = []

after(() => {
  for (const pid of started) if (!hasExited(pid)) process.kill(pid, 'SIGKILL')
  rmSync(home, {recursive: true, force: true})
})

/**
 * A stand-in daemon: a node script run as `node -e SCRIPT run --id n1` (what isDaemon looks for)
 * that gets the status and pid file paths in its environment.
 */
function standIn(script: string): SpawnedDaemon {
  const child = spawn(process.execPath, ['-e', script, 'run', '--id', 'n1'], {
    stdio: 'ignore',
    env: {...process.env, STATUS_FILE: paths.statusFile('n1'), PID_FILE: paths.pidFile('n1')},
  })
  started.push(child.pid!)
  const exited = new Promise<{code: number | null; signal: string | null}>((done) => child.once('exit', (code, sig) => done({code, signal: sig})))
  return {pid: child.pid!, logOffset: 0, exited}
}

/** Script text: write status `phase`/`percent` atomically. */
const WRITE_STATUS = `
const fs = require('node:fs')
function status(phase, extra) {
  fs.writeFileSync(process.env.STATUS_FILE + '.tmp', JSON.stringify({pid: process.pid, phase, at: new Date().toISOString(), ...extra}))
  fs.renameSync(process.env.STATUS_FILE + '.tmp', process.env.STATUS_FILE)
}
`

/** Stall limit: above a node script's boot time on a busy machine, below the stand-in's total run. */
const STALL_MS = 2000

test('keeps waiting while the start-up steps move, long past the stall limit, and reports each step in order', async () => {
  // 16 steps 600 ms apart: 9.6 s in all, almost five times the stall limit, but never 2 s without a step.
  const child = standIn(`${WRITE_STATUS}
let step = 0
const timer = setInterval(() => {
  if (step < 15) return status('opening storage', {percent: Math.round((100 * step++) / 15)})
  clearInterval(timer)
  status('restoring state')
  fs.writeFileSync(process.env.PID_FILE, process.pid + '\\n')
  setInterval(() => {}, 1000)
}, 600)`)
  const seen: StartupStatus[] = []
  const pid = await waitForPidFile(paths, 'n1', child, STALL_MS, (s) => seen.push(s))
  assert.equal(pid, child.pid)
  const percents = seen.filter((s) => s.phase === 'opening storage').map((s) => s.percent!)
  assert.ok(percents.length >= 2, `several progress reports: ${JSON.stringify(seen)}`)
  assert.deepEqual([...percents].sort((a, b) => a - b), percents, 'in order')
  assert.ok(!hasExited(child.pid), 'the daemon was not killed')
  process.kill(child.pid, 'SIGKILL')
  rmSync(paths.pidFile('n1'), {force: true})
})

test('a daemon whose steps stop moving is killed after the stall limit, and the error names its last step', async () => {
  const child = standIn(`${WRITE_STATUS}
status('opening storage', {percent: 10})
setInterval(() => {}, 1000)`)
  await assert.rejects(waitForPidFile(paths, 'n1', child, STALL_MS), (err: Error & {code?: string}) => {
    assert.equal(err.code, 'SPAWN_FAILED')
    assert.match(err.message, /n1 made no progress for 2000 ms \(its last step: opening storage 10%\)/)
    assert.doesNotMatch(err.message, /did not start within/)
    return true
  })
  await child.exited
  assert.ok(hasExited(child.pid))
})

test('a daemon that exits before it is ready is reported with the reason from its status file when its log has none', async () => {
  const child = standIn(`${WRITE_STATUS}
status('failed', {code: 'STORAGE_FULL', error: 'no space left on device while appending'})
process.exit(1)`)
  await assert.rejects(waitForPidFile(paths, 'n1', child, 60_000), (err: Error & {code?: string}) => {
    assert.equal(err.code, 'SPAWN_FAILED')
    assert.match(err.message, /^n1 exited with code 1: STORAGE_FULL: no space left on device while appending/)
    return true
  })
})

test('lastLineFailure: a down node\'s reason is its log\'s last line when that is a fatal line or the entry\'s error line', () => {
  const file = `${paths.dir}/logs/reason.log`
  const json = (o: Record<string, unknown>): string => `${JSON.stringify(o)}\n`
  writeFileSync(file, json({level: 30, msg: 'node started'}) + json({level: 60, code: 'STORAGE_FULL', error: 'no space left', msg: 'stopped by a fatal error'}))
  assert.deepEqual(lastLineFailure(file), {code: 'STORAGE_FULL', message: 'no space left'})
  writeFileSync(file, json({level: 60, code: 'CORRUPT', error: 'bad', msg: 'failed to start'}) + 'Error [CORRUPT]: bad\n\n')
  assert.deepEqual(lastLineFailure(file), {code: 'CORRUPT', message: 'bad'})
  writeFileSync(file, json({level: 60, code: 'STORAGE_FULL', error: 'old', msg: 'x'}) + json({level: 30, msg: 'node stopped'}))
  assert.equal(lastLineFailure(file), null, 'a later clean line: the old failure is not the reason')
  assert.equal(lastLineFailure(`${paths.dir}/logs/missing.log`), null)
})
