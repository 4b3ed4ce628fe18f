/**
 * A node that lost its data (issue 19), through the real CLI on a local cluster of real
 * daemons: keys are written, a follower is stopped, its data folder emptied and it is started
 * again. It comes back "rebuilding" (a new incarnation in identity.json); with the leader stopped
 * it cannot campaign (REBUILDING) nor help the remaining node win an election (it refuses the
 * vote), and refuses serializable reads (REBUILDING) instead of answering "absent". Once the
 * old leader is back, a leader repairs it: its applied index reaches the leader's commit, the
 * keys read back serializably on it, and status shows it ok.
 * Real daemons: run `npm run build` first.
 */
import assert from 'node:assert/strict'
import {rmSync} from 'node:fs'
import {after, test} from 'node:test'
import {LocalCluster} from '../../src/cluster/index.js'
import {ClientError, KvClient} from '../../src/client/index.js'
import {readIdentity} from '../../src/storage/identity.js'
import {tempDir} from '../helpers.js'
import {killClusterDaemons, runCli, type CliRun} from './cli-process.js'
import {distBuilt} from '../daemon/harness.js'

const skip = distBuilt() ? false : 'dist/ is not built: run `npm run build` first (npm test does)'
const home = tempDir('raftctl-rebuild-')
const KEYS = 12

after(async () => {
  killClusterDaemons(home, ['r'])
  rmSync(home, {recursive: true, force: true})
})

const cli = (...args: string[]): Promise<CliRun> => runCli(home, 'r', ...args)

interface Row {id: string; role: string; health: string; appliedIndex: number | null; commitIndex: number | null; address: string}
interface Status {leader: string | null; nodes: Row[]}

async function status(): Promise<Status> {
  const run = await cli('status', '--json')
  return JSON.parse(run.stdout) as Status
}

function errorOf(run: CliRun): {code: string; message: string} {
  return (JSON.parse(run.stdout) as {error: {code: string; message: string}}).error
}

/** Poll `status` until `pred` holds (the give-up is generous: the assertion is the condition, not the time). */
async function until(pred: (st: Status) => boolean, what: string, giveUpMs = 60_000): Promise<Status> {
  const end = Date.now() + giveUpMs
  for (;;) {
    const st = await status()
    if (pred(st)) return st
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}: ${JSON.stringify(st)}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

test('an emptied data folder rejoins rebuilding: no vote, no serializable read, repaired by the leader, then ok', {skip, timeout: 240_000}, async () => {
  assert.equal((await cli('cluster', 'start', '--nodes', '3')).exit, 0)
  for (let i = 0; i < KEYS; i++) assert.equal((await cli('kv', 'put', `k${i}`, `v${i}`)).exit, 0)
  const before = await until((st) => st.leader !== null && st.nodes.every((n) => n.health === 'ok' && (n.appliedIndex ?? 0) >= KEYS), 'every node applied the keys')
  const leader = before.leader!
  const [lost, other] = before.nodes.map((n) => n.id).filter((id) => id !== leader) as [string, string]
  const cluster = new LocalCluster('r', home)
  const oldIncarnation = readIdentity(cluster.paths.dataDir(lost))!.incarnation!

  // The follower loses its disk; the leader is stopped too, so nobody can repair it yet.
  assert.equal((await cli('node', 'stop', lost)).exit, 0)
  rmSync(cluster.paths.dataDir(lost), {recursive: true, force: true})
  assert.equal((await cli('node', 'stop', leader)).exit, 0)
  assert.equal((await cli('node', 'start', lost)).exit, 0)
  const identity = readIdentity(cluster.paths.dataDir(lost))!
  assert.equal(identity.rebuilding, true)
  assert.ok(identity.incarnation! > oldIncarnation, 'a new incarnation')

  const rebuilding = await until((st) => st.nodes.find((n) => n.id === lost)?.health === 'rebuilding', `${lost} rebuilding`)
  assert.equal(rebuilding.leader, null)

  // It may not campaign, and the remaining node cannot win with it: it refuses the vote.
  const own = await cli('election', 'trigger', lost, '--json')
  assert.equal(own.exit, 3, own.stdout)
  assert.equal(errorOf(own).code, 'REBUILDING')
  const theirs = await cli('election', 'trigger', other, '--timeout', '3s', '--json')
  assert.equal(theirs.exit, 3, `${other} must not be elected with the vote of an empty node: ${theirs.stdout}`)
  const afterTrigger = await status()
  assert.equal(afterTrigger.leader, null)
  assert.equal(afterTrigger.nodes.find((n) => n.id === lost)!.health, 'rebuilding')

  // A serializable read there is refused, not answered "absent" (the library client, which can
  // name the node to read from; the CLI reads from the first node it reaches).
  const kv = new KvClient({endpoints: [{id: lost, url: afterTrigger.nodes.find((n) => n.id === lost)!.address}], secret: cluster.secret(), clusterId: cluster.clusterId() ?? undefined})
  try {
    await assert.rejects(kv.get('k0', {serializable: true, node: lost}), (err: unknown) => err instanceof ClientError && err.code === 'REBUILDING')
  } finally {
    await kv.close()
  }

  // The old leader comes back: a leader repairs the lost node, which then serves the keys and is ok.
  assert.equal((await cli('node', 'start', leader)).exit, 0)
  const repaired = await until((st) => {
    const row = st.nodes.find((n) => n.id === lost)
    const lead = st.nodes.find((n) => n.id === st.leader)
    return row !== undefined && lead !== undefined && row.health === 'ok' && row.appliedIndex !== null && row.appliedIndex >= (lead.commitIndex ?? Infinity)
  }, `${lost} repaired`)
  assert.notEqual(repaired.leader, null)
  const again = new KvClient({endpoints: [{id: lost, url: repaired.nodes.find((n) => n.id === lost)!.address}], secret: cluster.secret(), clusterId: cluster.clusterId() ?? undefined})
  try {
    for (let i = 0; i < KEYS; i++) assert.equal((await again.get(`k${i}`, {serializable: true, node: lost})).value, `v${i}`)
  } finally {
    await again.close()
  }
  assert.equal(readIdentity(cluster.paths.dataDir(lost))!.rebuilding, undefined)
  assert.equal((await cli('cluster', 'stop')).exit, 0)
})
