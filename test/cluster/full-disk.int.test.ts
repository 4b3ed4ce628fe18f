/**
 * A full disk, then freed (issue 19): a node whose data folder fills up stops with STORAGE_FULL;
 * `status` says why it is down; `node start` on the still-full disk fails at once with that reason
 * (never "Started" and exit 0, then a daemon that dies seconds later); once space is freed, `node
 * start` brings it back and every acknowledged write is there. The data folder is a small tmpfs
 * mounted over the node's folder: the test needs root and mount(8), and skips without them.
 * Real daemon and real CLI: run `npm run build` first.
 */
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {closeSync, cpSync, mkdtempSync, openSync, rmSync, writeSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, test} from 'node:test'
import {LocalCluster} from '../../src/cluster/index.js'
import {errnoCode} from '../../src/storage/errors.js'
import {distBuilt} from '../daemon/harness.js'
import {tempDir} from '../helpers.js'
import {killClusterDaemons, runCli, type CliRun} from './cli-process.js'

/** Can this process mount a tmpfs? (root with mount(8) and the capability; containers may refuse.) */
function canMountTmpfs(): boolean {
  const probe = mkdtempSync(join(tmpdir(), 'raftctl-mount-probe-'))
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], {stdio: 'ignore'})
    execFileSync('umount', [probe], {stdio: 'ignore'})
    return true
  } catch {
    return false
  } finally {
    rmSync(probe, {recursive: true, force: true})
  }
}

const skip = !distBuilt() ? 'dist/ is not built: run `npm run build` first (npm test does)'
  : !canMountTmpfs() ? 'cannot mount a tmpfs here (needs root and mount(8)): a small disk to fill is what this test uses' : false
const home = tempDir('raftctl-fulldisk-')
const mounts: string[] = []

after(() => {
  killClusterDaemons(home, ['c'])
  for (const dir of mounts) {
    try {
      execFileSync('umount', ['-l', dir], {stdio: 'ignore'})
    } catch {
      // not mounted
    }
  }
  rmSync(home, {recursive: true, force: true})
})

const cli = (...args: string[]): Promise<CliRun> => runCli(home, 'c', ...args)

/** Put `dir`'s current contents on a fresh tmpfs of `bytes` mounted over it. */
function moveOntoTmpfs(dir: string, bytes: number): void {
  const copy = `${dir}.copy`
  cpSync(dir, copy, {recursive: true})
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir])
  mounts.push(dir)
  cpSync(copy, dir, {recursive: true})
  rmSync(copy, {recursive: true, force: true})
}

/** Fill the file system of `dir` with the file `filler`, to the last byte it takes. */
function fill(filler: string): void {
  const fd = openSync(filler, 'w')
  try {
    for (const chunk of [1 << 16, 4096, 512, 1]) {
      const buf = Buffer.alloc(chunk, 1)
      for (;;) {
        try {
          writeSync(fd, buf)
        } catch (err) {
          if (errnoCode(err) === 'ENOSPC') break
          throw err
        }
      }
    }
  } finally {
    closeSync(fd)
  }
}

async function waitUntilDown(cluster: LocalCluster, id: string): Promise<void> {
  const give = Date.now() + 60_000
  while (cluster.pid(id) !== null) {
    if (Date.now() > give) throw new Error(`${id} still runs a minute after its disk filled`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

test('full disk: the node stops with STORAGE_FULL, status says why, node start fails with the reason; freed: it resumes with every acknowledged write', {skip}, async () => {
  const cluster = new LocalCluster('c', home)
  await cluster.start(1)
  await cluster.waitForLeader()
  assert.equal(await cluster.stopNode('n1'), 'stopped')
  const dataDir = cluster.paths.dataDir('n1')
  moveOntoTmpfs(dataDir, 8 * 1024 * 1024)
  await cluster.startNode('n1')
  await cluster.waitForLeader()

  const filler = join(dataDir, 'filler')
  fill(filler)
  const acknowledged = new Map<string, string>()
  const kv = cluster.kv()
  let refused: unknown = null
  try {
    for (let i = 0; i < 5000 && refused === null; i++) {
      const value = `${i}:`.padEnd(2000, 'v')
      try {
        await kv.put(`key${i}`, value)
        acknowledged.set(`key${i}`, value)
      } catch (err) {
        refused = err
      }
    }
  } finally {
    await kv.close()
  }
  assert.ok(refused !== null, 'writes stop being acknowledged once the disk is full')
  await waitUntilDown(cluster, 'n1')

  const status = await cli('status')
  assert.match(status.stdout, /n1 is down: STORAGE_FULL: no space left on device/, status.stdout + status.stderr)
  const json = JSON.parse((await cli('status', '--json')).stdout) as {nodes: {id: string; downReason?: string}[]}
  assert.match(json.nodes[0]!.downReason ?? '', /^STORAGE_FULL: /)

  const stillFull = await cli('node', 'start', 'n1')
  assert.equal(stillFull.exit, 1, stillFull.stdout + stillFull.stderr)
  assert.doesNotMatch(stillFull.stdout, /Started/)
  assert.match(stillFull.stderr, /SPAWN_FAILED.*n1 exited with code 1: STORAGE_FULL: no space left on device/)
  assert.equal(cluster.pid('n1'), null)

  rmSync(filler)
  const freed = await cli('node', 'start', 'n1')
  assert.equal(freed.exit, 0, freed.stdout + freed.stderr)
  assert.match(freed.stdout, /Started n1/)
  await cluster.waitForLeader()
  const reader = cluster.kv()
  try {
    for (const [key, value] of acknowledged) assert.equal((await reader.get(key))?.value, value, `acknowledged ${key} is there`)
    await reader.put('after', 'freed')
  } finally {
    await reader.close()
  }
  assert.ok(acknowledged.size > 0)
})
