/**
 * A node that fails at start-up (issue 22, item 10): `raftctl node start` on a node whose WAL is
 * corrupt must fail at once with the daemon's own reason (`SPAWN_FAILED: n1 exited with code 1:
 * CORRUPT: …`), not a misleading "did not start within 15000 ms", and the daemon must leave its
 * structured failure line in its log (it used to crash on exit with "sonic boom is not ready
 * yet" before the line was written). Real daemons and the real CLI: run `npm run build` first.
 */
import assert from 'node:assert/strict'
import {readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, test} from 'node:test'
import {LocalCluster} from '../../src/cluster/index.js'
import {startupFailure} from '../../src/cluster/processes.js'
import {endOfData} from '../../src/storage/wal.js'
import {tempDir} from '../helpers.js'
import {killClusterDaemons, runCli, type CliRun} from './cli-process.js'
import {distBuilt} from '../daemon/harness.js'

const skip = distBuilt() ? false : 'dist/ is not built: run `npm run build` first (npm test does)'
const home = tempDir('raftctl-startfail-')
const pids = new Set<number>()

after(async () => {
  killClusterDaemons(home, ['c'], pids)
  rmSync(home, {recursive: true, force: true})
})

/** Run the real CLI with this test's RAFTCTL_HOME, on cluster c. */
const cli = (...args: string[]): Promise<CliRun> => runCli(home, 'c', ...args)

test('node start of a node with a corrupt WAL: exit 1 at once with the daemon\'s CORRUPT reason; its log holds the fatal line', {skip}, async () => {
  const cluster = new LocalCluster('c', home)
  await cluster.start(1)
  pids.add(cluster.pid('n1') ?? 0)
  await cluster.waitForLeader()
  const kv = cluster.kv()
  try {
    for (let i = 0; i < 40; i++) await kv.put(`k${i}`, 'x'.repeat(200))
  } finally {
    await kv.close()
  }
  assert.equal(await cluster.stopNode('n1'), 'stopped')

  // A byte flipped in the middle of the segment: valid records follow it, so it is corruption
  // (docs/storage.md), not a torn tail.
  const walDir = join(cluster.paths.dataDir('n1'), 'raft', 'wal')
  const segment = join(walDir, readdirSync(walDir).filter((f) => f.endsWith('.log')).sort().at(-1)!)
  const bytes = readFileSync(segment)
  const middle = Math.floor(endOfData(bytes) / 2)
  bytes[middle] = bytes[middle]! ^ 0xff
  writeFileSync(segment, bytes)

  const run = await cli('node', 'start', 'n1')
  assert.equal(run.exit, 1, run.stderr)
  assert.match(run.stderr, /SPAWN_FAILED/)
  assert.match(run.stderr, /n1 exited with code 1: CORRUPT: corrupt storage: .* at byte offset \d+/)
  assert.ok(run.stderr.includes(segment), `names the segment: ${run.stderr}`)
  assert.doesNotMatch(run.stderr, /did not start within/)

  const log = readFileSync(cluster.paths.logFile('n1'), 'utf8')
  assert.doesNotMatch(log, /sonic boom/i)
  const fatal = log.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>).filter((o) => o.level === 60)
  assert.equal(fatal.length, 1, `one fatal line in the log:\n${log.slice(-2000)}`)
  assert.equal(fatal[0]!.code, 'CORRUPT')
  assert.equal(fatal[0]!.msg, 'failed to start')
  assert.ok(String(fatal[0]!.error).includes(segment))
})

test('startupFailure reads the failing process\'s last fatal line after the offset, not an older run\'s', () => {
  const file = join(home, 'reason.log')
  const line = (pid: number, level: number, code: string, error: string): string => `${JSON.stringify({level, pid, code, error, msg: 'x'})}\n`
  const before = line(100, 60, 'STORAGE_FULL', 'an older run')
  writeFileSync(file, before + line(200, 50, 'STORAGE_IO', 'an error line') + line(300, 60, 'EADDRINUSE', 'another process') + line(200, 60, 'CORRUPT', 'the reason') + 'Error [CORRUPT]: the reason\n')
  assert.deepEqual(startupFailure(file, before.length, 200), {code: 'CORRUPT', message: 'the reason'})
  assert.deepEqual(startupFailure(file, 0, 100), {code: 'STORAGE_FULL', message: 'an older run'})
  assert.equal(startupFailure(file, before.length, 100)?.code, 'CORRUPT', 'no JSON line of the pid: the entry\'s stderr line')
  writeFileSync(file, 'nothing useful\n')
  assert.equal(startupFailure(file, 0, 200), null)
  assert.equal(startupFailure(join(home, 'missing.log'), 0, 200), null)
})
