/**
 * The consistency hash on real clusters (run `npm run build` first). With the test-only seam
 * (RAFTCTL_TEST_TAMPER_FILE + SIGUSR2: one value changed in one replica, outside the log),
 * `raftctl check consistency` names that node and the index, and the leader's scheduled check
 * raises the alarm that status, doctor and /metrics show. With the seam unused, 10,000 writes
 * under a schedule of kills and partitions leave every node with the same hash, and the
 * scheduled check, running all along, raises no alarm.
 */
import {after, afterEach, before, test} from 'node:test'
import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {resetExitCode} from '../helpers.js'
import {LocalCluster, type ClusterStatus, type ConsistencyReport, type DoctorReport} from '../../src/cluster/index.js'
import {cleanup, eventually, raftctl, trackPid, useTempHome} from './cluster-helpers.js'

let home = ''

before(() => {
  home = useTempHome()
})
after(async () => cleanup(home))
afterEach(resetExitCode)

async function startCluster(name: string, every: string, env: Record<string, string> = {}): Promise<LocalCluster> {
  Object.assign(process.env, env)
  try {
    const r = await raftctl('cluster', 'start', '--nodes', '3', '--consistency-check-every', every, '--json', '--cluster', name)
    assert.equal(r.exit, 0, r.stderr)
    for (const n of r.json().nodes) trackPid(n.pid)
  } finally {
    for (const k of Object.keys(env)) delete process.env[k]
  }
  return new LocalCluster(name, home)
}

/** `count` puts of `keys` distinct keys, `workers` at a time; `onAck(acked)` after each acknowledged one. Returns the acknowledged count. */
async function writeMany(cluster: LocalCluster, count: number, keys: number, workers: number, onAck: (acked: number) => void = () => {}): Promise<number> {
  const kv = cluster.kv({timeoutMs: 3000})
  let next = 0
  let acked = 0
  try {
    await Promise.all(Array.from({length: workers}, async () => {
      while (next < count) {
        const i = next++
        try {
          await kv.put(`key${i % keys}`, `value${i}`)
          onAck(++acked)
        } catch {
          // A write cut off by a kill or a partition: its outcome is unknown, and it does not matter here.
        }
      }
    }))
  } finally {
    await kv.close()
  }
  return acked
}

async function checkConsistency(name: string): Promise<{report: ConsistencyReport; exit: number; stdout: string}> {
  const r = await raftctl('check', 'consistency', '--json', '--cluster', name)
  return {report: r.json(), exit: r.exit, stdout: r.stdout}
}

test('the seam changes one value in one replica: check consistency names it and the index; the scheduled check raises the alarm status, doctor and /metrics show', async () => {
  const tamperFile = join(home, 'tamper.json')
  const cluster = await startCluster('seam', '500ms', {RAFTCTL_TEST_TAMPER_FILE: tamperFile})
  assert.equal(await writeMany(cluster, 100, 50, 8), 100)
  const clean = await checkConsistency('seam')
  assert.equal(clean.exit, 0)
  assert.equal(clean.report.consistent, true)
  assert.equal(new Set(clean.report.nodes.map((n) => n.hash)).size, 1)
  assert.ok(clean.report.index >= 100)

  const st = await cluster.waitForLeader()
  const victim = st.nodes.find((n) => n.id !== st.leader)!
  writeFileSync(tamperFile, JSON.stringify({key: 'key7', value: 'tampered'}))
  process.kill(victim.pid!, 'SIGUSR2')

  const {report, exit} = await eventually(async () => {
    const c = await checkConsistency('seam')
    return c.report.consistent ? null : c
  }, 10_000, 'check consistency sees the tampered replica')
  assert.equal(exit, 1)
  assert.deepEqual(report.odd, [victim.id])
  assert.ok(report.index >= clean.report.index)
  const human = await raftctl('check', 'consistency', '--cluster', 'seam')
  assert.equal(human.exit, 1)
  assert.match(human.stdout, new RegExp(`INCONSISTENT at index \\d+: ${victim.id} differs from the others`))
  assert.match(human.stderr, /VIOLATION/)

  // The leader's scheduled check (every 500 ms) raises the alarm.
  const status = await eventually(async () => {
    const r = await raftctl('status', '--json', '--cluster', 'seam')
    const s = r.json() as ClusterStatus
    return s.alarm ? s : null
  }, 20_000, 'the alarm in status')
  assert.deepEqual(status.alarm!.nodes, [victim.id])
  assert.match((await raftctl('status', '--cluster', 'seam')).stdout, new RegExp(`ALARM: replicas differ at index \\d+ \\(${victim.id}\\)`))
  const doctor = (await raftctl('doctor', '--json', '--cluster', 'seam')).json() as DoctorReport
  const check = doctor.checks.find((c) => c.name === 'consistency')!
  assert.equal(check.status, 'fail')
  assert.match(check.summary, new RegExp(`replicas diverged: ${victim.id}`))
  const alarms = await Promise.all(cluster.manifest().nodes.map(async (n) => {
    const res = await fetch(`${n.address.replace('ws:', 'http:')}/metrics`, {headers: {authorization: `Bearer ${cluster.secret()}`}})
    return /^raft_consistency_alarm (\d)$/m.exec(await res.text())?.[1]
  }))
  assert.deepEqual(alarms.filter((a) => a === '1').length, 1, `raft_consistency_alarm per node: ${alarms}`)
})

test('with the seam unused, 10,000 writes under kills and partitions leave identical hashes on every node, and no alarm', async () => {
  const cluster = await startCluster('load', '1s')
  let chain: Promise<void> = Promise.resolve()
  const at = async (what: string, ...args: string[]): Promise<void> => {
    const r = await raftctl(...args, '--cluster', 'load')
    assert.equal(r.exit, 0, `${what}: ${r.stderr}`)
    for (const n of cluster.manifest().nodes) trackPid(cluster.pid(n.id))
  }
  let step = 0
  const schedule: [number, () => Promise<void>][] = [
    [1500, async () => at('kill a follower', 'node', 'kill', await follower(cluster))],
    [3000, async () => at('restart it', 'cluster', 'start')],
    [4500, async () => at('isolate the leader', 'chaos', 'isolate', (await cluster.waitForLeader()).leader!, '--for', '2s')],
    [6500, async () => at('kill the leader', 'node', 'kill', (await cluster.waitForLeader()).leader!)],
    [8000, async () => at('restart it', 'cluster', 'start')],
  ]
  const acked = await writeMany(cluster, 10_000, 1000, 16, (n) => {
    // Each fault is injected once the writes reach its mark (a count, not a wall-clock time); they run one after another.
    while (step < schedule.length && n >= schedule[step]![0]) chain = chain.then(schedule[step++]![1])
  })
  await chain
  assert.equal(step, schedule.length, 'every fault was injected')
  assert.ok(acked > 9000, `${acked} writes acknowledged`)
  await at('every node up', 'cluster', 'start')
  await at('healed', 'chaos', 'heal')
  const {report, exit} = await eventually(async () => {
    const c = await checkConsistency('load')
    return c.report.nodes.every((n) => n.hash !== null) ? c : null
  }, 30_000, 'every node answers')
  assert.equal(exit, 0, JSON.stringify(report))
  assert.equal(report.consistent, true)
  assert.equal(new Set(report.nodes.map((n) => n.hash)).size, 1)
  const status = (await raftctl('status', '--json', '--cluster', 'load')).json() as ClusterStatus
  assert.equal(status.alarm, null)
})

async function follower(cluster: LocalCluster): Promise<string> {
  const st = await cluster.waitForLeader()
  return st.nodes.find((n) => n.id !== st.leader)!.id
}
