/**
 * Nodes on separate hosts: three daemons in three network namespaces joined by veth pairs to a
 * bridge (itself in a fourth namespace, so nothing touches the host's network), each with its
 * own address. Cutting the leader's link with `ip link set … down` elects a new leader among
 * the other two; restoring it lets the old leader rejoin. Skips where namespaces cannot be
 * created (not root, no iproute2).
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {execFileSync, type ChildProcess} from 'node:child_process'
import {rmSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {sleep} from './harness.js'
import {TestNetwork, inNs, killDaemons, namespacesUnavailable, spawnDaemons, type Host} from './netns-net.js'
import {tempDir} from '../helpers.js'

const PROBE = fileURLToPath(new URL('./netns-probe.ts', import.meta.url))
const TAG = `r${process.pid % 10000}`
const SECRET = 'netns-secret-0123456789abcdef'

const reason = namespacesUnavailable(TAG)
const network = new TestNetwork(TAG, '10.231.0')
const BRIDGE_NS = network.bridgeNs

function probe(...args: string[]): unknown {
  const out = execFileSync('ip', ['netns', 'exec', BRIDGE_NS, process.execPath, '--import', 'tsx', PROBE, ...args], {
    encoding: 'utf8', env: {...process.env, RAFTCTL_TEST_SECRET: SECRET}, stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000,
  })
  return JSON.parse(out.trim().split('\n').at(-1)!)
}

type Health = {id: string; role: string; term: number; leader: string | null} | null

async function waitForLeader(hosts: Host[], among: Host[], timeoutMs = 20_000): Promise<{leader: string; term: number}> {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    const hs = probe('health', ...among.map((h) => h.url)) as Health[]
    const leaders = hs.filter((h) => h?.role === 'leader')
    if (leaders.length === 1 && hs.every((h) => h !== null && h.leader === leaders[0]!.id)) return {leader: leaders[0]!.id, term: leaders[0]!.term}
    await sleep(200)
  }
  throw new Error(`no leader among ${among.map((h) => h.id).join(',')} (of ${hosts.length})`)
}

test('three daemons in three network namespaces: cutting the leader\'s link elects a new leader; restoring it rejoins', {skip: reason ?? false, timeout: 120_000}, async () => {
  const hosts = network.create(3)
  const procs: ChildProcess[] = []
  const dir = tempDir('raftctl-netns-')
  try {
    procs.push(...spawnDaemons(hosts, dir, SECRET))
    const first = await waitForLeader(hosts, hosts)
    assert.deepEqual(probe('put', ...hosts.map((h) => h.url), 'before', 'cut'), {value: 'cut'})

    const cut = hosts.find((h) => h.id === first.leader)!
    inNs(BRIDGE_NS, 'ip', 'link', 'set', cut.bridgeEnd, 'down')
    const others = hosts.filter((h) => h !== cut)
    const second = await waitForLeader(hosts, others)
    assert.notEqual(second.leader, cut.id)
    assert.ok(second.term > first.term)
    assert.deepEqual(probe('put', ...others.map((h) => h.url), 'during', 'partition'), {value: 'partition'})

    inNs(BRIDGE_NS, 'ip', 'link', 'set', cut.bridgeEnd, 'up')
    const third = await waitForLeader(hosts, hosts)
    assert.ok(third.term >= second.term)
    const got = probe('get', ...hosts.map((h) => h.url), 'during') as {value: string}
    assert.equal(got.value, 'partition')
  } finally {
    await killDaemons(procs)
    network.destroy()
    rmSync(dir, {recursive: true, force: true})
  }
})
