/**
 * Three `raftctl cluster start` at once on one fresh RAFTCTL_HOME (issue 22, item 9): without
 * the cluster lock they created the cluster together, spawned daemons twice and started
 * founders without `--initial-cluster` (no leader ever). Now exactly one creates the cluster and
 * starts n1..n3, one daemon process each, every founder with `--initial-cluster n1,n2,n3`; the
 * others either wait and find it running, or fail with CLUSTER_BUSY naming the holder. And a
 * creation that stopped half-way is completed with every founder on `--initial-cluster`. Real
 * CLI processes and daemons (run `npm run build` first); every daemon is killed by pid.
 */
import assert from 'node:assert/strict'
import {readdirSync, readFileSync, rmSync} from 'node:fs'
import {after, test} from 'node:test'
import {CLUSTER_DEFAULTS, LocalCluster, createCluster, freePort, loadManifest, ClusterPaths} from '../../src/cluster/index.js'
import {runCli, type CliRun} from './cli-process.js'
import {tempDir} from '../helpers.js'
import {distBuilt} from '../daemon/harness.js'

const skip = distBuilt() ? false : 'dist/ is not built: run `npm run build` first (npm test does)'
const home = tempDir('raftctl-concurrent-')

/** A daemon of this test's RAFTCTL_HOME found in /proc. */
interface Daemon {
  readonly pid: number
  readonly id: string
  readonly args: string[]
}

/** Every live process whose command line is a daemon (`node run --id …`) under this test's home. */
function daemons(): Daemon[] {
  const found: Daemon[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    let args: string[]
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')
      if (readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.startsWith('Z')) continue
    } catch {
      continue // exited meanwhile
    }
    const i = args.indexOf('--id')
    if (i < 0 || !args.includes('run') || !args.some((a) => a.startsWith(home))) continue
    found.push({pid: Number(entry), id: args[i + 1]!, args})
  }
  return found
}

after(() => {
  for (const d of daemons()) try { process.kill(d.pid, 'SIGKILL') } catch { /* gone */ }
  rmSync(home, {recursive: true, force: true})
})

/** Run `raftctl cluster start --json` with this test's home. */
const clusterStart = (cluster = 'default'): Promise<CliRun> => runCli(home, cluster, 'cluster', 'start', '--nodes', '3', '--json')

test('three concurrent cluster starts: one creates and starts n1..n3 once each, founders with --initial-cluster; the others find it running or get CLUSTER_BUSY', {skip}, async () => {
  const runs = await Promise.all([clusterStart(), clusterStart(), clusterStart()])
  const docs = runs.map((r) => JSON.parse(r.stdout) as Record<string, any>) // eslint-disable-line @typescript-eslint/no-explicit-any
  const detail = JSON.stringify(runs, null, 1)

  const creators = docs.filter((d) => d.created === true)
  assert.equal(creators.length, 1, `exactly one run created the cluster: ${detail}`)
  assert.deepEqual(creators[0]!.started, ['n1', 'n2', 'n3'], detail)
  assert.equal(runs[docs.indexOf(creators[0]!)]!.exit, 0, detail)
  for (const [i, d] of docs.entries()) {
    if (d === creators[0]) continue
    if (d.error) {
      assert.equal(runs[i]!.exit, 3, detail)
      assert.equal(d.error.code, 'CLUSTER_BUSY', detail)
      assert.match(d.error.message, /"raftctl cluster start --nodes 3 --json" \(pid \d+\) has held its lock since /)
    } else {
      assert.equal(runs[i]!.exit, 0, detail)
      assert.equal(d.created, false, detail)
      assert.deepEqual(d.started, [], `found it running, started nothing: ${detail}`)
      assert.equal(d.leader !== null, true, detail)
    }
  }

  const m = loadManifest(new ClusterPaths('default', home))
  assert.deepEqual(m.nodes.map((n) => n.id), ['n1', 'n2', 'n3'])
  assert.equal(m.nextNode, 4)
  const running = daemons()
  assert.deepEqual(running.map((d) => d.id).sort(), ['n1', 'n2', 'n3'], `one daemon per node: ${JSON.stringify(running.map((d) => [d.pid, d.id]))}`)
  for (const d of running) {
    const i = d.args.indexOf('--initial-cluster')
    assert.equal(d.args[i + 1], 'n1,n2,n3', `${d.id} (pid ${d.pid}) was started with --initial-cluster n1,n2,n3: ${d.args.join(' ')}`)
    assert.equal(readFileSync(new ClusterPaths('default', home).pidFile(d.id), 'utf8').trim(), String(d.pid))
  }
})

test('a creation that stopped half-way (manifest written, only n2 started): cluster start starts n1 and n3 as founders, and a leader is elected', {skip}, async () => {
  const paths = new ClusterPaths('half', home)
  const ports = [await freePort(), await freePort(), await freePort()]
  createCluster(paths, CLUSTER_DEFAULTS, ports.map((port) => ({host: '127.0.0.1', port})))
  await new LocalCluster('half', home).startNode('n2') // what the interrupted run got done

  const run = await clusterStart('half')
  assert.equal(run.exit, 0, run.stdout + run.stderr)
  const doc = JSON.parse(run.stdout) as {created: boolean; started: string[]; leader: string | null}
  assert.equal(doc.created, false)
  assert.deepEqual(doc.started, ['n1', 'n3'])
  assert.notEqual(doc.leader, null)
  const running = daemons().filter((d) => d.args.some((a) => a.startsWith(paths.dir)))
  assert.deepEqual(running.map((d) => d.id).sort(), ['n1', 'n2', 'n3'])
  for (const d of running) assert.equal(d.args[d.args.indexOf('--initial-cluster') + 1], 'n1,n2,n3', `${d.id}: ${d.args.join(' ')}`)
})
