/**
 * Membership changes while a follower is cut off from the leader (`chaos isolate`), against one
 * real 3-node cluster (run `npm run build` first). The CLI still reaches the isolated node, but
 * the leader does not hear it: `node remove` of the other follower is refused (UNSAFE_CHANGE,
 * exit 1) by the CLI and by the leader itself, the membership unchanged; `node add` counts
 * "voters up" from the leader's view; `--force` gets past both checks. Every wait polls the
 * leader's view (member list) instead of sleeping.
 */
import {after, afterEach, before, test} from 'node:test'
import assert from 'node:assert/strict'
import {resetExitCode} from '../helpers.js'
import {LocalCluster} from '../../src/cluster/index.js'
import {alive, cleanup, eventually, raftctl, trackPid, useTempHome, startCluster} from './cluster-helpers.js'

const NAME = 'part'
let home = ''
/** The leader, the isolated follower, and the other follower (set by the first test). */
let leader = ''
let isolated = ''
let victim = ''

interface MemberDoc {
  readonly leader: string | null
  readonly voters: readonly {id: string; live: boolean | null}[]
  readonly learners: readonly {id: string; live: boolean | null}[]
}

before(async () => {
  home = useTempHome()
  await startCluster('--cluster', NAME)
})
after(async () => cleanup(home))
afterEach(resetExitCode)

async function memberList(): Promise<MemberDoc> {
  const r = await raftctl('member', 'list', '--json', '--cluster', NAME)
  assert.equal(r.exit, 0, r.stderr)
  return r.json()
}

const voterIds = (doc: MemberDoc): string[] => doc.voters.map((v) => v.id).sort()

test('a follower cut off from the leader: node remove of the other follower is refused (UNSAFE_CHANGE, exit 1) by the CLI and by the leader', async () => {
  const st = await new LocalCluster(NAME, home).waitForLeader(20_000, (s) => s.nodes.every((n) => n.reachable && n.leader === s.leader))
  isolated = ['n1', 'n2', 'n3'].find((id) => id !== st.leader)!
  assert.equal((await raftctl('chaos', 'isolate', isolated, '--cluster', NAME)).exit, 0)
  // Wait until the leader reports not hearing the isolated node (it keeps leading with the third).
  const doc = await eventually(async () => {
    const d = await memberList()
    const silent = d.voters.find((v) => v.id === isolated)?.live === false
    const othersUp = d.voters.filter((v) => v.id !== isolated).every((v) => v.live === true)
    return d.leader !== null && d.leader !== isolated && silent && othersUp ? d : null
  }, 30_000, `the leader no longer hears ${isolated}`)
  leader = doc.leader!
  victim = ['n1', 'n2', 'n3'].find((id) => id !== leader && id !== isolated)!
  // The CLI reaches the isolated node: that must not count.
  const status = (await raftctl('status', '--json', '--cluster', NAME)).json()
  assert.equal(status.nodes.find((n: {id: string}) => n.id === isolated).reachable, true)

  const dry = await raftctl('node', 'remove', victim, '--dry-run', '--json', '--cluster', NAME)
  assert.equal(dry.exit, 1)
  assert.equal(dry.json().error.code, 'UNSAFE_CHANGE')
  const r = await raftctl('node', 'remove', victim, '--json', '--cluster', NAME)
  assert.equal(r.exit, 1, r.stdout)
  assert.equal(r.json().error.code, 'UNSAFE_CHANGE')
  assert.match(r.json().error.message, new RegExp(`^refusing to remove ${victim}: ${isolated} has not been heard by the leader ${leader} for [^;]+; ` +
    `after removing ${victim} only 1 of 2 voters would be reachable, quorum 2; pass --force to do it anyway$`))
  const human = await raftctl('member', 'remove', victim, '--cluster', NAME)
  assert.equal(human.exit, 1)
  assert.match(human.stderr, /UNSAFE_CHANGE/)

  // The leader's own check, without the CLI's: the admin request straight to the leader.
  const cluster = new LocalCluster(NAME, home)
  const refused = await cluster.withLeader((client) => client.removeMember(victim, {timeoutMs: 10_000}), 20_000).then(
    () => assert.fail(`the leader removed ${victim}`),
    (error: {code?: string; message: string}) => error,
  )
  assert.equal(refused.code, 'UNSAFE_CHANGE', refused.message)
  assert.match(refused.message, new RegExp(`^${isolated} has not been heard by the leader ${leader} for \\d+ ticks .*; after removing ${victim} only 1 of 2 voters would be reachable, quorum 2$`))

  assert.deepEqual(voterIds(await memberList()), ['n1', 'n2', 'n3'])
  assert.equal(alive(cluster.pid(victim)!), true)
  assert.notEqual(cluster.manifest().nodes.find((n) => n.id === victim)?.removed, true)
})

test('node add with a voter cut off counts voters up from the leader\'s view: 2 → 3', async () => {
  assert.ok(leader, 'runs after the first test')
  const dry = await raftctl('node', 'add', '--dry-run', '--json', '--cluster', NAME)
  assert.equal(dry.exit, 0, dry.stderr)
  assert.deepEqual(dry.json().before, {voters: 3, quorum: 2, tolerates: 1, live: 2})
  assert.deepEqual(dry.json().after, {voters: 4, quorum: 3, tolerates: 1, live: 3})
  const r = await raftctl('node', 'add', '--cluster', NAME)
  assert.equal(r.exit, 0, r.stderr)
  trackPid(new LocalCluster(NAME, home).pid('n4'))
  // The leader hears the caught-up learner, so its own check lets the promotion through.
  assert.match(r.stdout, /^Done: voters 3 → 4 · quorum 2 → 3 · tolerates 1 failure · voters up 2 → 3$/m)
  assert.deepEqual(voterIds(await memberList()), ['n1', 'n2', 'n3', 'n4'])
})

test('--force gets past both checks: the leader appends the removal (the outcome is unknown while the partition lasts)', async () => {
  assert.ok(leader, 'runs after the first test')
  // Back to three voters (safe: the leader still hears two of {leader, isolated, victim}).
  const shrink = await raftctl('node', 'remove', 'n4', '--json', '--cluster', NAME)
  assert.equal(shrink.exit, 0, shrink.stdout)
  assert.deepEqual(shrink.json().after, {voters: 3, quorum: 2, tolerates: 1, live: 2})
  const forced = await raftctl('node', 'remove', victim, '--force', '--timeout', '2s', '--json', '--cluster', NAME)
  // {leader, isolated} cannot commit while the partition lasts: the outcome is unknown (exit 3), not a refusal.
  assert.equal(forced.exit, 3, forced.stdout)
  assert.notEqual(forced.json().error.code, 'UNSAFE_CHANGE')
  // The old leader adopted the new configuration when it appended the entry (dissertation §4.1).
  const admin = new LocalCluster(NAME, home).admin(leader, 10_000)
  try {
    const members = await admin.members()
    assert.deepEqual(members.voters.map((v) => v.id).sort(), [leader, isolated].sort())
  } finally {
    await admin.close()
  }
  // Whether it commits after the partition heals or a new leader overwrites it is Raft's choice:
  // heal, and wait for a leader before the cluster is destroyed.
  assert.equal((await raftctl('chaos', 'heal', '--cluster', NAME)).exit, 0)
  await eventually(async () => (await memberList()).leader, 30_000, 'a leader after healing')
})
