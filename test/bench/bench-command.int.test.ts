/**
 * `raftctl bench --json` against a real 3-node cluster for 2 s (run `npm run build` first): the
 * JSON shape of DESIGN.md §4 plus the extras; a cluster that bench had to create is destroyed
 * afterwards. Performance is not asserted here (DESIGN.md §5): only shapes and sanity.
 */
import {after, afterEach, before, test} from 'node:test'
import assert from 'node:assert/strict'
import {resetExitCode} from '../helpers.js'
import {cleanup, raftctl, trackPid, useTempHome, startCluster} from '../commands/cluster-helpers.js'
import {LocalCluster} from '../../src/cluster/index.js'

let home = ''

before(async () => {
  home = useTempHome()
  await startCluster('--cluster', 'b')
})
after(async () => cleanup(home))
afterEach(resetExitCode)

test('bench --json: {ops, seconds, throughput, latencyMs: {p50, p90, p99, max}, ...extras}', async () => {
  const r = await raftctl('bench', '--cluster', 'b', '--duration', '2s', '--warmup', '200ms', '--clients', '4', '--json')
  assert.equal(r.exit, 0, r.stderr)
  const doc = r.json()
  for (const k of ['ops', 'seconds', 'throughput']) assert.equal(typeof doc[k], 'number', k)
  for (const k of ['p50', 'p90', 'p99', 'max']) assert.equal(typeof doc.latencyMs[k], 'number', `latencyMs.${k}`)
  assert.ok(doc.ops > 0, 'some writes completed')
  assert.ok(doc.seconds > 1.5 && doc.seconds < 3, `seconds ${doc.seconds}`)
  assert.ok(doc.latencyMs.p50 <= doc.latencyMs.p90 && doc.latencyMs.p90 <= doc.latencyMs.p99 && doc.latencyMs.p99 <= doc.latencyMs.max)
  assert.equal(doc.writes, doc.ops)
  assert.equal(typeof doc.cpuMsPerOp.client, 'number')
  assert.equal(typeof doc.cpuMsPerOp.daemons, 'number')
  assert.deepEqual(Object.keys(doc.cpuMsPerOp.nodes).sort(), ['n1', 'n2', 'n3'])
  assert.deepEqual(doc.errors, {})
  // The cluster was running: bench leaves it running.
  const cluster = new LocalCluster('b', home)
  for (const n of cluster.manifest().nodes) assert.notEqual(cluster.pid(n.id), null, `${n.id} still runs`)
})

test('bench --json with linearizable reads through any node', async () => {
  const r = await raftctl('bench', '--cluster', 'b', '--duration', '2s', '--warmup', '0ms', '--clients', '3', '--read-ratio', '1', '--target', 'any', '--keys', '20', '--json')
  assert.equal(r.exit, 0, r.stderr)
  const doc = r.json()
  assert.ok(doc.ops > 0)
  assert.equal(doc.reads, doc.ops)
  assert.ok(doc.redirects > 0, 'clients homed on followers were redirected to the leader')
})

test('bench --workload range and watch: the same JSON fields; every put reaches every watcher', {timeout: 120_000}, async () => {
  const range = await raftctl('bench', '--cluster', 'b', '--workload', 'range', '--duration', '1s', '--warmup', '0ms', '--keys', '150', '--json')
  assert.equal(range.exit, 0, range.stderr)
  const r = range.json()
  assert.equal(r.workload, 'range')
  assert.ok(r.ops > 0 && r.latencyMs.p50 <= r.latencyMs.max)
  const watch = await raftctl('bench', '--cluster', 'b', '--workload', 'watch', '--watchers', '10', '--duration', '1s', '--warmup', '0ms', '--json')
  assert.equal(watch.exit, 0, watch.stderr)
  const w = watch.json()
  assert.equal(w.watchers, 10)
  assert.ok(w.writes > 0)
  assert.ok(w.ops >= w.writes * 10, `${w.ops} deliveries of ${w.writes} puts to 10 watchers`)
  assert.ok(w.latencyMs.p50 <= w.latencyMs.p99)
})

test('bench on a cluster that does not exist creates it and destroys it afterwards', async () => {
  const r = await raftctl('bench', '--cluster', 'fresh', '--duration', '2s', '--warmup', '0ms', '--clients', '2', '--json')
  assert.equal(r.exit, 0, r.stderr)
  assert.ok(r.json().ops > 0)
  assert.equal(new LocalCluster('fresh', home).exists(), false, 'the cluster bench created is gone')
})

test('bench --background 1: the run happens beside one spinning process and the JSON says so', async () => {
  const r = await raftctl('bench', '--cluster', 'b', '--duration', '1s', '--warmup', '0ms', '--clients', '2', '--background', '1', '--json')
  assert.equal(r.exit, 0, r.stderr)
  const doc = r.json()
  assert.equal(doc.background, 1)
  assert.ok(doc.ops > 0)
})

test('bench failover --trials 1 --background 1: a kill, a new leader, and where the time went', {timeout: 120_000}, async () => {
  const r = await raftctl('bench', 'failover', '--cluster', 'b', '--trials', '1', '--settle', '200ms', '--jitter', '200ms', '--clients', '2', '--background', '1', '--json')
  assert.equal(r.exit, 0, r.stderr)
  const doc = r.json()
  assert.equal(doc.background, 1)
  assert.equal(doc.trials.length, 1)
  const t = doc.trials[0]
  assert.equal(typeof t.failoverMs, 'number')
  assert.notEqual(t.newLeader, t.killed)
  // The phases come in order: an election starts, a leader is announced, then a write is acknowledged.
  if (t.detectMs !== null && t.electedMs !== null) assert.ok(t.detectMs <= t.electedMs, `${t.detectMs} <= ${t.electedMs}`)
  if (t.electedMs !== null) assert.ok(t.electedMs <= t.failoverMs + 50, `${t.electedMs} <= ${t.failoverMs} (+ clock granularity)`)
  for (const k of ['failoverMs', 'detectMs', 'electedMs']) assert.deepEqual(Object.keys(doc[k]).sort(), ['max', 'median', 'min', 'p99'], k)
})

test('bench: bad usage exits 2', async () => {
  const r = await raftctl('bench', '--cluster', 'b', '--read-ratio', '2', '--json')
  assert.equal(r.exit, 2)
  assert.equal(r.json().error.code, 'BAD_USAGE')
})
