/**
 * Pid files of local clusters (src/cluster/processes.ts): a stale pid file (its process is gone)
 * is removed, but an empty or partial one — a daemon writing it at this very moment — is left
 * alone (removing it would lose the daemon's pid for good: `raftctl verify` once saw a restarted
 * node run unsupervised, and the next start fail on its port).
 */
import assert from 'node:assert/strict'
import {existsSync, mkdirSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, test} from 'node:test'
import {ClusterPaths} from '../../src/cluster/manifest.js'
import {runningPid} from '../../src/cluster/processes.js'
import {tempDir} from '../helpers.js'

const home = tempDir('raftctl-pid-')
const paths = new ClusterPaths('c', home)
mkdirSync(join(paths.dir, 'pids'), {recursive: true})
after(() => rmSync(home, {recursive: true, force: true}))

test('no pid file: not running', () => {
  assert.equal(runningPid(paths, 'n1'), null)
})

test('a pid file being written (empty or partial) is left in place', () => {
  for (const text of ['', '\n', '12a']) {
    writeFileSync(paths.pidFile('n1'), text)
    assert.equal(runningPid(paths, 'n1'), null)
    assert.ok(existsSync(paths.pidFile('n1')), JSON.stringify(text))
  }
})

test('a stale pid file (the process is not a daemon of this node) is removed', () => {
  writeFileSync(paths.pidFile('n1'), `${process.pid}\n`) // this test process: alive, but not `node run --id n1`
  assert.equal(runningPid(paths, 'n1'), null)
  assert.equal(existsSync(paths.pidFile('n1')), false)
})
