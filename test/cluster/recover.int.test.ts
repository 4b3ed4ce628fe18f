/**
 * Disaster recovery through the real CLI (issue 16): two of three nodes are killed and their
 * data deleted; `recover --from` the survivor makes it a one-node cluster under a new cluster
 * id; `node add` grows it back to three; every write the survivor held is readable, new writes
 * commit, and `verify --duration 20s` on the recovered cluster is valid. Bad input: recover with
 * a quorum present (running, or stopped with intact data), an unknown node, a node without
 * data, no TTY without --yes: refused with stable codes, nothing changed. Fencing: a lost node's
 * folder that comes back cannot rejoin (refused at the handshake with the old id, refused to
 * start with the new one).
 * Real daemons: run `npm run build` first.
 */
import assert from 'node:assert/strict'
import {execFile, spawn} from 'node:child_process'
import {cpSync, readFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {after, test} from 'node:test'
import {DAEMON_ENTRY, LocalCluster} from '../../src/cluster/index.js'
import {readIdentity} from '../../src/storage/identity.js'
import {tempDir} from '../helpers.js'
import {killClusterDaemons, runCli, type CliRun} from './cli-process.js'
import {distBuilt} from '../daemon/harness.js'

const skip = distBuilt() ? false : 'dist/ is not built: run `npm run build` first (npm test does)'
const home = tempDir('raftctl-recover-')
/** Writes made before the disaster. */
const WRITES = 40

after(async () => {
  killClusterDaemons(home, ['r', 'q'], started)
  rmSync(home, {recursive: true, force: true})
})

function json<T>(run: CliRun): T {
  try {
    return JSON.parse(run.stdout) as T
  } catch {
    throw new Error(`not one JSON document (exit ${run.exit}):\n${run.stdout}\n${run.stderr}`)
  }
}

/** Pids of daemons this file started by hand (killed in `after`). */
const started: number[] = []

/** Until `check` holds (generous deadline: only bounds a hang). */
async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const end = Date.now() + 30_000
  while (Date.now() < end) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`${what}: not within 30 s`)
}

/** `node run` on the folder of a lost node, as it was before the disaster. */
function oldNodeArgs(cluster: LocalCluster, id: string, dataDir: string, clusterId: string, peers: string): string[] {
  return [DAEMON_ENTRY, 'node', 'run', '--id', id, '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--secret-file', cluster.paths.secret,
    '--peer-secret-file', cluster.paths.peerSecret, '--cluster-id', clusterId, '--peers', peers, '--tick', '5ms']
}

/** Until every node of `cluster` has applied `index` (generous deadline: only bounds a hang). */
async function waitApplied(cluster: LocalCluster, index: number): Promise<void> {
  const end = Date.now() + 30_000
  while (Date.now() < end) {
    const st = await cluster.status()
    if (st.nodes.every((n) => (n.appliedIndex ?? 0) >= index)) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`not every node applied ${index}`)
}

test('kill two of three and delete their data, recover --from the survivor, grow back with node add: the survivor\'s writes are readable, new writes commit, verify is valid', {skip, timeout: 300_000}, async () => {
  const cli = (...args: string[]): Promise<CliRun> => runCli(home, 'r', ...args)
  assert.equal((await cli('cluster', 'start', '--nodes', '3')).exit, 0)
  const cluster = new LocalCluster('r', home)
  const oldId = cluster.clusterId()!
  const kv = cluster.kv()
  let last = 0
  try {
    for (let i = 0; i < WRITES; i++) await kv.put(`k${i}`, `v${i}`)
    last = (await kv.get(`k${WRITES - 1}`)).index ?? 0
  } finally {
    await kv.close()
  }
  const leader = (await cluster.waitForLeader()).leader!
  await waitApplied(cluster, last)
  // The survivor: a follower (the harder case: it never led the lost cluster's last term).
  const survivor = ['n1', 'n2', 'n3'].find((n) => n !== leader)!
  const dead = ['n1', 'n2', 'n3'].filter((n) => n !== survivor)
  const cameBack = join(home, 'came-back')
  for (const id of dead) {
    assert.equal((await cli('node', 'kill', id)).exit, 0)
    if (id === dead[0]) cpSync(cluster.paths.dataDir(id), cameBack, {recursive: true})
    rmSync(cluster.paths.dataDir(id), {recursive: true, force: true})
  }

  const dry = await cli('recover', '--dry-run', '--json')
  assert.equal(dry.exit, 0, dry.stderr)
  const plan = json<{chosen: string; survivors: {id: string; state: string; position: {lastIndex: number} | null}[]; loss: {lostMembers: string[]}}>(dry)
  assert.equal(plan.chosen, survivor)
  assert.ok(plan.survivors.find((s) => s.id === survivor)!.position!.lastIndex >= last)
  assert.deepEqual(plan.survivors.filter((s) => s.state === 'lost').map((s) => s.id), dead)
  assert.deepEqual([...plan.loss.lostMembers].sort(), dead)

  const run = await cli('recover', '--from', survivor, '--yes', '--json')
  assert.equal(run.exit, 0, run.stderr)
  const result = json<{node: string; clusterId: string; previousClusterId: string; removed: string[]; lastIndex: number}>(run)
  assert.equal(result.node, survivor)
  assert.equal(result.previousClusterId, oldId)
  assert.notEqual(result.clusterId, oldId)
  assert.deepEqual(result.removed, dead)
  assert.equal(cluster.clusterId(), result.clusterId)
  const identity = readIdentity(cluster.paths.dataDir(survivor))
  assert.deepEqual([identity?.clusterId, identity?.nodeId, identity?.rebuilding], [result.clusterId, survivor, undefined])
  assert.match(readFileSync(cluster.paths.logFile(survivor), 'utf8'), /forced a new cluster/)

  // Fencing: the first lost node's disk comes back. Started as before (old id, the survivor as
  // peer), it is refused at the handshake and changes nothing; started with the new id, it refuses.
  const before = json<{leader: string; term: number}>(await cli('status', '--json'))
  const address = cluster.manifest().nodes.find((n) => n.id === survivor)!.address
  const old = spawn(process.execPath, oldNodeArgs(cluster, dead[0]!, cameBack, oldId, `${survivor}=${address}`), {stdio: 'ignore'})
  started.push(old.pid!)
  try {
    const refused = (line: string): boolean => line.includes('refused a peer of another cluster') && line.includes(`"peerClusterId":"${oldId}"`)
    await until('the survivor refuses the old node', () => readFileSync(cluster.paths.logFile(survivor), 'utf8').split('\n').some(refused))
    const now = json<{leader: string; term: number; nodes: {id: string}[]}>(await cli('status', '--json'))
    assert.equal(now.leader, survivor)
    assert.equal(now.term, before.term, 'the old node disturbed no election')
    assert.deepEqual(now.nodes.map((n) => n.id), [survivor])
  } finally {
    old.kill('SIGKILL')
  }
  const withNewId = await new Promise<{code: number; stderr: string}>((resolve) => {
    execFile(process.execPath, oldNodeArgs(cluster, dead[0]!, cameBack, result.clusterId, ''), {timeout: 60_000}, (error, _out, stderr) => resolve({code: typeof error?.code === 'number' ? error.code : 0, stderr}))
  })
  assert.equal(withNewId.code, 1)
  assert.match(withNewId.stderr, new RegExp(`IDENTITY_MISMATCH.*belongs to cluster ${oldId}`))

  for (let k = 0; k < 2; k++) {
    const add = await cli('node', 'add', '--json')
    assert.equal(add.exit, 0, add.stderr)
  }
  const status = json<{leader: string; nodes: {id: string; voter: boolean; reachable: boolean}[]}>(await cli('status', '--json'))
  assert.deepEqual(status.nodes.map((n) => n.id), [survivor, 'n4', 'n5'])
  assert.ok(status.nodes.every((n) => n.voter && n.reachable), JSON.stringify(status))

  const list = await cli('kv', 'list', '--json')
  assert.equal(list.exit, 0, list.stderr)
  const values = new Map(json<{kvs: {key: string; value: string}[]}>(list).kvs.map((x) => [x.key, x.value]))
  for (let i = 0; i < WRITES; i++) assert.equal(values.get(`k${i}`), `v${i}`, `k${i}`)

  assert.equal((await cli('kv', 'put', 'after', 'recovery')).exit, 0)
  const got = await cli('kv', 'get', 'after', '--json')
  assert.equal(json<{value: string}>(got).value, 'recovery')

  const verify = await cli('verify', '--duration', '20s', '--json')
  assert.equal(verify.exit, 0, `${verify.stdout}\n${verify.stderr}`)
  assert.equal(json<{valid: boolean}>(verify).valid, true)
})

test('bad input: a quorum present (running, or stopped with intact data), an unknown node, a node without data, no TTY without --yes', {skip, timeout: 120_000}, async () => {
  const cli = (...args: string[]): Promise<CliRun> => runCli(home, 'q', ...args)
  assert.equal((await cli('cluster', 'start', '--nodes', '3')).exit, 0)
  const cluster = new LocalCluster('q', home)
  const manifest = readFileSync(cluster.paths.manifest, 'utf8')

  const running = await cli('recover', '--yes', '--json')
  assert.equal(running.exit, 1)
  assert.equal(json<{error: {code: string}}>(running).error.code, 'QUORUM_PRESENT')
  assert.match(json<{error: {message: string}}>(running).error.message, /node remove/)

  // n2 and n3 stopped but intact: still a quorum (start them), not a disaster.
  assert.equal((await cli('node', 'kill', 'n2')).exit, 0)
  assert.equal((await cli('node', 'kill', 'n3')).exit, 0)
  const stopped = await cli('recover', '--yes', '--json')
  assert.equal(json<{error: {code: string}}>(stopped).error.code, 'QUORUM_PRESENT')
  assert.match(json<{error: {message: string}}>(stopped).error.message, /raftctl node start n2 n3/)

  rmSync(cluster.paths.dataDir('n2'), {recursive: true, force: true})
  rmSync(cluster.paths.dataDir('n3'), {recursive: true, force: true})
  const unknown = await cli('recover', '--from', 'n9', '--yes', '--json')
  assert.equal(unknown.exit, 1)
  assert.equal(json<{error: {code: string}}>(unknown).error.code, 'NODE_NOT_FOUND')
  const noData = await cli('recover', '--from', 'n2', '--yes', '--json')
  assert.equal(noData.exit, 1)
  assert.equal(json<{error: {code: string}}>(noData).error.code, 'NO_SURVIVOR')

  const pid = cluster.pid('n1')
  const noTty = await cli('recover')
  assert.equal(noTty.exit, 2, noTty.stderr)
  assert.match(noTty.stderr, /NEEDS_CONFIRMATION.*pass --yes/)
  assert.match(noTty.stdout, /LOST: any write that only n2, n3 held/)
  assert.equal(readFileSync(cluster.paths.manifest, 'utf8'), manifest, 'the manifest is unchanged')
  assert.equal(cluster.pid('n1'), pid, 'n1 still runs, untouched')
})
