/**
 * `cluster start|stop|destroy|list`, `status`, `leader`, `node start|stop|kill|restart|pause|
 * resume|logs` against one real 3-node cluster (run `npm run build` first: daemons load dist/).
 */
import {after, afterEach, before, test} from 'node:test'
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {existsSync, readFileSync, readlinkSync, realpathSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {fileURLToPath} from 'node:url'
import {listenRange} from '../../src/cluster/ports.js'
import {resetExitCode} from '../helpers.js'
import {alive, cleanup, eventually, keys, raftctl, trackPid, useTempHome} from './cluster-helpers.js'

const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))
const STATUS_ROW_KEYS = ['address', 'appliedIndex', 'commitIndex', 'health', 'id', 'lag', 'lastContactMs', 'lastIndex', 'leader', 'pid', 'reachable', 'role', 'term', 'voter']

let home = ''

before(() => {
  home = useTempHome()
})
after(async () => cleanup(home))
afterEach(resetExitCode)

interface Row {
  id: string
  role: string
  leader: string | null
  term: number | null
  reachable: boolean
  pid: number | null
  health: string
}
interface StatusDoc {
  cluster: string
  clusterId: string | null
  leader: string | null
  term: number
  nodes: Row[]
  alarm: unknown
}

async function status(): Promise<StatusDoc> {
  const r = await raftctl('status', '--json')
  assert.equal(r.exit, 0, r.stderr)
  return r.json<StatusDoc>()
}

test('status of a cluster that does not exist: exit 1, CLUSTER_NOT_FOUND', async () => {
  const r = await raftctl('status', '--json')
  assert.equal(r.exit, 1)
  assert.equal(r.json().error.code, 'CLUSTER_NOT_FOUND')
  assert.match(r.json().error.message, /^no cluster default in /, 'names are bare, as everywhere')
})

test('cluster start creates a 3-node cluster, waits for a leader, prints the status document', async () => {
  const r = await raftctl('cluster', 'start', '--json')
  assert.equal(r.exit, 0, r.stderr)
  const doc = r.json()
  assert.equal(doc.cluster, 'default')
  assert.equal(doc.created, true)
  assert.deepEqual(doc.started, ['n1', 'n2', 'n3'])
  assert.equal(doc.alreadyRunning, false)
  assert.ok(['n1', 'n2', 'n3'].includes(doc.leader))
  assert.equal(doc.nodes.length, 3)
  for (const n of doc.nodes) trackPid(n.pid)
  if (process.env.RAFTCTL_DAEMON_NODE_FLAGS === undefined) {
    for (const n of doc.nodes) {
      const argv = readFileSync(`/proc/${n.pid}/cmdline`, 'utf8').split('\0')
      assert.ok(argv.includes('--max-semi-space-size=8') && argv.includes('--heap-growing-percent=100'), `daemon flags: ${argv.join(' ')}`)
    }
  }
  const dir = join(home, 'default')
  for (const n of doc.nodes) {
    // Daemons run in the cluster's folder, on ports below the ephemeral range (src/cluster/ports.ts).
    assert.equal(readlinkSync(`/proc/${n.pid}/cwd`), realpathSync(dir))
    const port = Number(new URL(n.address).port)
    const range = listenRange()
    if (range !== null) assert.ok(port >= range.low && port <= range.high, `${n.id} listens on ${port}`)
  }
  assert.equal(statSync(join(dir, 'secret')).mode & 0o777, 0o600)
  assert.equal(statSync(dir).mode & 0o777, 0o700)
  assert.ok(existsSync(join(dir, 'manifest.json')))
})

test('cluster start on a running cluster says so and changes nothing', async () => {
  const before = await status()
  const r = await raftctl('cluster', 'start')
  assert.equal(r.exit, 0, r.stderr)
  assert.match(r.stdout, /already running \(3 nodes\); nothing changed/)
  const afterwards = await status()
  assert.deepEqual(afterwards.nodes.map((n) => n.pid), before.nodes.map((n) => n.pid))
})

test('status --json: the DESIGN.md shape, without "detail" unless --verbose', async () => {
  const doc = await status()
  assert.deepEqual(keys(doc), ['alarm', 'cluster', 'clusterId', 'leader', 'nodes', 'term'])
  assert.equal(doc.alarm, null, 'no consistency alarm')
  assert.equal(doc.cluster, 'default')
  assert.match(doc.clusterId ?? '', /^[0-9a-f]{16}$/, 'cluster start generates a random cluster id')
  assert.equal(typeof doc.term, 'number')
  for (const n of doc.nodes) {
    assert.deepEqual(keys(n), STATUS_ROW_KEYS)
    assert.ok(['leader', 'follower', 'candidate', 'precandidate', 'learner', 'down'].includes(n.role))
    assert.equal(n.reachable, true)
  }
  assert.equal(doc.nodes.filter((n) => n.role === 'leader').length, 1)
  const verbose = (await raftctl('status', '--json', '--verbose')).json()
  assert.ok(verbose.nodes.every((n: {detail?: {members: unknown}}) => n.detail?.members))
  assert.deepEqual(verbose.nodes.map((n: {detail?: {clusterId?: string}}) => n.detail?.clusterId), doc.nodes.map(() => doc.clusterId), 'every node\'s data records the cluster id')
})

test('status: one table, a row per node, no colour codes when piped', async () => {
  const r = await raftctl('status')
  assert.equal(r.exit, 0)
  assert.match(r.stdout, /cluster default: leader n\d, term \d+ · 3\/3 nodes up · 3 voters \(3 up\): quorum 2, tolerates 1 failure/)
  for (const col of ['ID', 'ROLE', 'TERM', 'LEADER', 'COMMIT', 'APPLIED', 'LAST', 'LAG', 'CONTACT', 'PID', 'ADDRESS', 'HEALTH']) assert.match(r.stdout, new RegExp(`\\b${col}\\b`))
  for (const id of ['n1', 'n2', 'n3']) assert.match(r.stdout, new RegExp(`│ ${id} `))
  assert.doesNotMatch(r.stdout, /\u001B\[/)
})

test('status --timeout 0s (below the 10ms minimum) and --interval 50ms: exit 2, BAD_USAGE naming the flag and its minimum', async () => {
  const zero = await raftctl('status', '--timeout', '0s', '--json')
  assert.equal(zero.exit, 2, zero.stdout)
  assert.deepEqual(zero.json().error, {code: 'BAD_USAGE', message: '--timeout must be at least 10ms, got "0s"'})
  const human = await raftctl('status', '--watch', '--interval', '50ms')
  assert.equal(human.exit, 2)
  assert.match(human.stderr, /Error \[BAD_USAGE\]: --interval must be at least 100ms, got "50ms"/)
  const put = await raftctl('kv', 'put', 'k', 'v', '--timeout', '1ms', '--json')
  assert.equal(put.exit, 2)
  assert.match(put.json().error.message, /--timeout must be at least 10ms/)
  assert.equal((await status()).nodes.filter((n) => n.reachable).length, 3, 'the minimum still lets status see every node')
})

test('leader --json: {leader, term}', async () => {
  const st = await status()
  const r = await raftctl('leader', '--json')
  assert.equal(r.exit, 0)
  assert.deepEqual(r.json(), {leader: st.leader, term: st.nodes.find((n) => n.id === st.leader)!.term})
  const human = await raftctl('leader')
  assert.match(human.stdout, /^n\d \(term \d+\)$/m)
})

test('cluster list shows the cluster, its nodes, running count and leader', async () => {
  const r = await raftctl('cluster', 'list', '--json')
  assert.equal(r.exit, 0)
  const doc = r.json()
  assert.equal(doc.home, home)
  assert.equal(doc.clusters.length, 1)
  const c = doc.clusters[0]
  assert.equal(c.name, 'default')
  assert.equal(c.nodes, 3)
  assert.equal(c.running, 3)
  assert.equal(c.current, true)
  assert.match(c.leader, /^n\d$/)
})

test('node kill of the leader: status shows a new leader and the killed node as down', async () => {
  const before = await status()
  const old = before.leader!
  const r = await raftctl('node', 'kill', old, '--json')
  assert.equal(r.exit, 0, r.stderr)
  assert.equal(r.json().killed, true)
  const st = await eventually(async () => {
    const s = await status()
    return s.leader !== null && s.leader !== old ? s : null
  }, 15_000, 'a new leader')
  const killed = st.nodes.find((n) => n.id === old)!
  assert.equal(killed.role, 'down')
  assert.equal(killed.reachable, false)
  assert.equal(killed.health, 'down')
  assert.equal(killed.pid, null)
  assert.ok(st.term > before.term)
  const table = await raftctl('status')
  assert.match(table.stdout, new RegExp(`│ ${old} +│ down `))
})

test('node start brings the killed node back; starting it again changes nothing', async () => {
  const down = (await status()).nodes.find((n) => n.role === 'down')!
  const r = await raftctl('node', 'start', down.id, '--json')
  assert.equal(r.exit, 0, r.stderr)
  const doc = r.json()
  assert.equal(doc.started, true)
  trackPid(doc.pid)
  assert.equal(doc.heard, true, 'node start returns once the leader hears the node')
  assert.equal((await status()).nodes.find((n) => n.id === down.id)?.reachable, true)
  const again = await raftctl('node', 'start', down.id, '--json')
  assert.deepEqual(again.json(), {id: down.id, pid: doc.pid, started: false, heard: true})
})

test('node pause shows the node as paused; resume brings it back', async () => {
  const r = await raftctl('node', 'pause', 'n3', '--json')
  assert.equal(r.exit, 0, r.stderr)
  try {
    const row = (await status()).nodes.find((n) => n.id === 'n3')!
    assert.equal(row.reachable, false)
    assert.equal(row.health, 'paused')
    assert.equal(row.pid, r.json().pid)
  } finally {
    const resumed = await raftctl('node', 'resume', 'n3')
    assert.equal(resumed.exit, 0)
  }
  await eventually(async () => (await status()).nodes.find((n) => n.id === 'n3')?.reachable, 10_000, 'n3 reachable')
})

test('node restart gives a new pid; node stop stops gracefully', async () => {
  const r = await raftctl('node', 'restart', 'n2', '--json')
  assert.equal(r.exit, 0, r.stderr)
  const doc = r.json()
  trackPid(doc.pid)
  assert.equal(doc.stopped, 'stopped')
  assert.notEqual(doc.pid, doc.previousPid)
  assert.equal(alive(doc.previousPid), false)
  const stop = await raftctl('node', 'stop', 'n2', '--json')
  assert.equal(stop.json().outcome, 'stopped')
  assert.equal(alive(doc.pid), false)
  assert.equal((await raftctl('node', 'start', 'n2')).exit, 0)
})

test('node logs: the last lines, readable or raw JSON', async () => {
  const r = await raftctl('node', 'logs', 'n1', '-n', '3', '--json')
  assert.equal(r.exit, 0, r.stderr)
  const doc = r.json()
  assert.equal(doc.node, 'n1')
  assert.equal(doc.lines.length, 3)
  for (const line of doc.lines) assert.equal(JSON.parse(line).node, 'n1')
  const human = await raftctl('node', 'logs', 'n1', '-n', '2')
  const lines = human.stdout.trim().split('\n')
  assert.equal(lines.length, 2)
  for (const line of lines) assert.match(line, /^\d\d:\d\d:\d\d\.\d{3} (INFO|WARN|DEBUG|ERROR) /)
})

test('an unknown node: exit 1, NODE_NOT_FOUND listing the nodes', async () => {
  const r = await raftctl('node', 'kill', 'n9', '--json')
  assert.equal(r.exit, 1)
  assert.equal(r.json().error.code, 'NODE_NOT_FOUND')
  assert.equal(r.json().error.message, 'no node n9 in cluster default (nodes: n1, n2, n3)')
})

test('status --watch redraws until Ctrl-C, marks changes, exits 0', async () => {
  const child = spawn(process.execPath, [BIN, 'status', '--watch', '--interval', '300ms'], {env: {...process.env}, stdio: ['ignore', 'pipe', 'pipe']})
  let out = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  try {
    await eventually(async () => out.includes('Ctrl-C to quit'), 10_000, 'the first frame')
    const r = await raftctl('node', 'kill', 'n3')
    assert.equal(r.exit, 0)
    await eventually(async () => /│ n3 +│ down\* /.test(out), 10_000, 'n3 marked as changed to down')
  } finally {
    child.kill('SIGINT')
  }
  assert.equal(await exited, 0)
  assert.ok(out.split('Ctrl-C to quit').length > 2, 'several frames')
  assert.equal((await raftctl('node', 'start', 'n3')).exit, 0)
})

test('status --watch --json ends by itself, exit 0, once its reader is gone (EPIPE), with no stack', async () => {
  const child = spawn(process.execPath, [BIN, 'status', '--watch', '--json', '--interval', '200ms'], {env: {...process.env}, stdio: ['ignore', 'pipe', 'pipe']})
  let err = ''
  child.stderr.on('data', (d: Buffer) => (err += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const bound = new AbortController()
  try {
    // Read two frames (JSON lines), then close the pipe as `head -n 2` does.
    let out = ''
    await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      if (out.split('\n').length > 2) resolve()
    }))
    child.stdout.destroy()
    // A generous bound, not a timing assertion: without the fix the watch never ends.
    assert.equal(await Promise.race([exited, sleep(30_000, 'still running 30 s after its reader left', {signal: bound.signal}).catch(() => 'aborted')]), 0)
    assert.doesNotMatch(err, /EPIPE|Error|\n\s+at /, err)
  } finally {
    bound.abort()
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
})

test('cluster stop stops every node and reports it; the data stays', async () => {
  const before = await status()
  const r = await raftctl('cluster', 'stop', '--json')
  assert.equal(r.exit, 0, r.stderr)
  const doc = r.json()
  assert.deepEqual(doc.nodes.map((n: {id: string}) => n.id), ['n1', 'n2', 'n3'])
  assert.ok(doc.nodes.every((n: {outcome: string}) => n.outcome === 'stopped'))
  for (const n of before.nodes) assert.equal(alive(n.pid!), false)
  const st = await status()
  assert.equal(st.leader, null)
  assert.ok(st.nodes.every((n) => n.role === 'down'))
  assert.ok(existsSync(join(home, 'default', 'nodes', 'n1')))
})

test('leader with every node stopped: exit 3, UNAVAILABLE naming each node (no node is listening)', async () => {
  const r = await raftctl('leader', '--json')
  assert.equal(r.exit, 3, r.stderr)
  assert.equal(r.json().error.code, 'UNAVAILABLE')
  assert.match(r.json().error.message, /^no node is listening: n1 at ws:\/\/127\.0\.0\.1:\d+, n2 at .*, n3 at /)
})

test('leader without a leader (one of three nodes up): exit 3, NO_LEADER; --json still prints {leader: null, term}', async () => {
  const start = await raftctl('node', 'start', 'n1', '--json')
  assert.equal(start.exit, 0, start.stderr)
  trackPid(start.json().pid)
  try {
    const r = await raftctl('leader', '--json')
    assert.equal(r.exit, 3, r.stderr)
    assert.deepEqual(keys(r.json()), ['leader', 'term'])
    assert.equal(r.json().leader, null)
    const human = await raftctl('leader')
    assert.equal(human.exit, 3)
    assert.equal(human.stdout, '')
    assert.match(human.stderr, /^Error \[NO_LEADER\]: no leader \(highest term \d+\); an election may be in progress: retry, or pass --wait 5s\n$/)
  } finally {
    const stop = await raftctl('node', 'stop', 'n1')
    assert.equal(stop.exit, 0, stop.stderr)
  }
})

test('cluster destroy without --yes and without a TTY: exit 2, NEEDS_CONFIRMATION, nothing deleted', async () => {
  const start = await raftctl('cluster', 'start', '--json')
  assert.equal(start.exit, 0, start.stderr)
  assert.deepEqual(start.json().started, ['n1', 'n2', 'n3'])
  for (const n of start.json().nodes) trackPid(n.pid)
  const r = await raftctl('cluster', 'destroy', '--json')
  assert.equal(r.exit, 2)
  assert.equal(r.json().error.code, 'NEEDS_CONFIRMATION')
  assert.match(r.json().error.message, /--yes/)
  const human = await raftctl('cluster', 'destroy')
  assert.equal(human.exit, 2)
  assert.match(human.stderr, /NEEDS_CONFIRMATION.*--yes/)
  assert.ok(existsSync(join(home, 'default', 'manifest.json')))
})

test('cluster destroy --yes leaves nothing running and nothing on disk', async () => {
  const st = await status()
  const pids = st.nodes.map((n) => n.pid!).filter(Boolean)
  assert.equal(pids.length, 3)
  const r = await raftctl('cluster', 'destroy', '--yes', '--json')
  assert.equal(r.exit, 0, r.stderr)
  assert.deepEqual(r.json().killed, ['n1', 'n2', 'n3'])
  for (const pid of pids) assert.equal(alive(pid), false, `pid ${pid} still runs`)
  assert.equal(existsSync(join(home, 'default')), false)
  const list = await raftctl('cluster', 'list', '--json')
  assert.deepEqual(list.json().clusters, [])
})
