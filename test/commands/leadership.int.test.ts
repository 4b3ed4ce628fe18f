/**
 * `election trigger`, `leader transfer`, `node add|remove`, `member list|add|remove|promote`
 * and the quorum refusal, against one real 3-node cluster (run `npm run build` first).
 */
import {after, afterEach, before, test} from 'node:test'
import assert from 'node:assert/strict'
import {resetExitCode} from '../helpers.js'
import {LocalCluster} from '../../src/cluster/index.js'
import {alive, cleanup, raftctl, trackPid, useTempHome, startCluster} from './cluster-helpers.js'

let home = ''

before(async () => {
  home = useTempHome()
  await startCluster('--cluster', 'lead')
})
after(async () => cleanup(home))
afterEach(resetExitCode)

async function leader(): Promise<{leader: string | null; term: number}> {
  const r = await raftctl('leader', '--json', '--cluster', 'lead')
  assert.equal(r.exit, 0, r.stderr)
  return r.json()
}

async function members(): Promise<{voters: string[]; learners: string[]}> {
  const r = await raftctl('member', 'list', '--json', '--cluster', 'lead')
  assert.equal(r.exit, 0, r.stderr)
  const doc = r.json()
  return {voters: doc.voters.map((v: {id: string}) => v.id), learners: doc.learners.map((l: {id: string}) => l.id)}
}

test('election trigger: a follower campaigns, the term rises and a leader is elected', async () => {
  const before = await leader()
  const r = await raftctl('election', 'trigger', '--json', '--cluster', 'lead')
  assert.equal(r.exit, 0, r.stderr)
  const doc = r.json()
  assert.notEqual(doc.node, before.leader)
  assert.deepEqual(doc.before, before)
  assert.ok(doc.after.term > before.term, `term ${doc.after.term} > ${before.term}`)
  assert.match(doc.after.leader, /^n\d$/)
  const now = await leader()
  assert.ok(now.term >= doc.after.term)
  assert.notEqual(now.leader, null)
})

test('election trigger NODE: that node campaigns; on the leader nothing changes (exit 0), as leader transfer to the leader', async () => {
  const {leader: current} = await leader()
  const follower = ['n1', 'n2', 'n3'].find((id) => id !== current)!
  const r = await raftctl('election', 'trigger', follower, '--cluster', 'lead')
  assert.equal(r.exit, 0, r.stderr)
  assert.match(r.stdout, /^Before: leader n\d, term \d+$/m)
  assert.match(r.stdout, /^After: +leader n\d, term \d+$/m)
  const now = await leader()
  const onLeader = await raftctl('election', 'trigger', now.leader!, '--json', '--cluster', 'lead')
  assert.equal(onLeader.exit, 0, onLeader.stdout + onLeader.stderr)
  assert.deepEqual(onLeader.json(), {node: now.leader, campaignTerm: null, campaigned: false, before: now, after: now, ...now})
  const human = await raftctl('election', 'trigger', now.leader!, '--cluster', 'lead')
  assert.equal(human.exit, 0, human.stderr)
  const transfer = await raftctl('leader', 'transfer', now.leader!, '--cluster', 'lead')
  assert.equal(transfer.exit, 0, transfer.stderr)
  const said = `${now.leader} is already the leader (term ${now.term}): nothing changed.\n`
  assert.equal(human.stdout, said)
  assert.equal(transfer.stdout, said)
  assert.deepEqual(await leader(), now)
})

test('leader transfer n2 makes n2 the leader', async () => {
  const before = await leader()
  if (before.leader === 'n2') {
    // Move it away first so the transfer to n2 is a real one.
    assert.equal((await raftctl('leader', 'transfer', 'n1', '--cluster', 'lead')).exit, 0)
  }
  const r = await raftctl('leader', 'transfer', 'n2', '--json', '--cluster', 'lead')
  assert.equal(r.exit, 0, r.stderr)
  const doc = r.json()
  assert.equal(doc.leader, 'n2')
  assert.equal(doc.transferred, true)
  assert.ok(doc.term > doc.previous.term)
  assert.equal((await leader()).leader, 'n2')
  const again = await raftctl('leader', 'transfer', 'n2', '--json', '--cluster', 'lead')
  assert.equal(again.exit, 0, again.stderr)
  assert.equal(again.json().transferred, false)
})

test('leader transfer without NODE and without a TTY picks the most caught-up follower', async () => {
  const before = await leader()
  const r = await raftctl('leader', 'transfer', '--json', '--cluster', 'lead')
  assert.equal(r.exit, 0, r.stderr)
  const doc = r.json()
  assert.notEqual(doc.leader, before.leader)
  assert.equal(doc.previous.leader, before.leader)
  assert.equal((await leader()).leader, doc.leader)
})

test('leader transfer to an unknown node: NODE_NOT_FOUND, exit 1', async () => {
  const r = await raftctl('leader', 'transfer', 'n9', '--json', '--cluster', 'lead')
  assert.equal(r.exit, 1)
  assert.equal(r.json().error.code, 'NODE_NOT_FOUND')
})

test('node add --dry-run prints the plan and changes nothing', async () => {
  const r = await raftctl('node', 'add', '--dry-run', '--json', '--cluster', 'lead')
  assert.equal(r.exit, 0, r.stderr)
  const doc = r.json()
  assert.equal(doc.dryRun, true)
  assert.equal(doc.id, 'n4')
  assert.deepEqual(doc.before, {voters: 3, quorum: 2, tolerates: 1, live: 3})
  assert.deepEqual(doc.after, {voters: 4, quorum: 3, tolerates: 1, live: 4})
  assert.equal(new LocalCluster('lead', home).manifest().nodes.length, 3)
  assert.deepEqual((await members()).voters.sort(), ['n1', 'n2', 'n3'])
})

test('node add: spawn, learner, catch up, promote: 4 voters', async () => {
  await raftctl('kv', 'put', 'before-add', 'x', '--cluster', 'lead')
  const r = await raftctl('node', 'add', '--json', '--cluster', 'lead')
  assert.equal(r.exit, 0, r.stderr)
  const doc = r.json()
  trackPid(doc.pid)
  assert.equal(doc.id, 'n4')
  assert.equal(doc.learner, false)
  assert.ok(doc.caughtUp.match >= doc.caughtUp.target)
  assert.ok(doc.promotedAt > doc.addedAt)
  assert.deepEqual(doc.members.voters.sort(), ['n1', 'n2', 'n3', 'n4'])
  assert.deepEqual(doc.after, {voters: 4, quorum: 3, tolerates: 1, live: 4})
  assert.deepEqual((await members()).voters.sort(), ['n1', 'n2', 'n3', 'n4'])
  const st = (await raftctl('status', '--json', '--cluster', 'lead')).json()
  assert.equal(st.nodes.length, 4)
  assert.equal(st.nodes.find((n: {id: string}) => n.id === 'n4').voter, true)
  const read = await raftctl('kv', 'get', 'before-add', '--serializable', '--json', '--cluster', 'lead')
  assert.equal(read.json().value, 'x')
})

test('node remove n4: 3 voters again, the node stopped and marked removed', async () => {
  const pid = new LocalCluster('lead', home).pid('n4')
  const r = await raftctl('node', 'remove', 'n4', '--json', '--cluster', 'lead')
  assert.equal(r.exit, 0, r.stderr)
  const doc = r.json()
  assert.deepEqual(doc.members.voters.sort(), ['n1', 'n2', 'n3'])
  assert.deepEqual(doc.before, {voters: 4, quorum: 3, tolerates: 1, live: 4})
  assert.deepEqual(doc.after, {voters: 3, quorum: 2, tolerates: 1, live: 3})
  assert.equal(doc.stopped, 'stopped')
  assert.equal(alive(pid!), false)
  assert.deepEqual((await members()).voters.sort(), ['n1', 'n2', 'n3'])
  const m = new LocalCluster('lead', home).manifest()
  assert.equal(m.nodes.find((n) => n.id === 'n4')?.removed, true)
  const st = (await raftctl('status', '--json', '--cluster', 'lead')).json()
  assert.deepEqual(st.nodes.map((n: {id: string}) => n.id), ['n1', 'n2', 'n3'])
  const again = await raftctl('node', 'remove', 'n4', '--json', '--cluster', 'lead')
  assert.equal(again.exit, 1)
  assert.equal(again.json().error.code, 'NODE_NOT_FOUND')
})

test('a change that would leave no quorum of live voters is refused (UNSAFE_CHANGE, exit 1) unless --force', async () => {
  const {leader: current} = await leader()
  const [down, victim] = ['n1', 'n2', 'n3'].filter((id) => id !== current) as [string, string]
  assert.equal((await raftctl('node', 'kill', down, '--cluster', 'lead')).exit, 0)
  try {
    const dry = await raftctl('node', 'remove', victim, '--dry-run', '--json', '--cluster', 'lead')
    assert.equal(dry.exit, 1)
    assert.equal(dry.json().error.code, 'UNSAFE_CHANGE')
    const r = await raftctl('node', 'remove', victim, '--json', '--cluster', 'lead')
    assert.equal(r.exit, 1)
    assert.equal(r.json().error.code, 'UNSAFE_CHANGE')
    assert.match(r.json().error.message, /--force/)
    const human = await raftctl('member', 'remove', victim, '--cluster', 'lead')
    assert.equal(human.exit, 1)
    assert.match(human.stdout, /before: 3 voters \(quorum 2, tolerates 1 failure\)/)
    assert.match(human.stderr, /UNSAFE_CHANGE/)
    // Removing the node that is down is fine: 2 voters, both up.
    const ok = await raftctl('member', 'remove', down, '--dry-run', '--json', '--cluster', 'lead')
    assert.equal(ok.exit, 0, ok.stderr)
    assert.equal(ok.json().safe, true)
    assert.deepEqual((await members()).voters.sort(), ['n1', 'n2', 'n3'])
  } finally {
    // node start returns once the leader hears the node (the membership checks count only voters
    // the leader hears), so a membership command right after it counts the node as up.
    const start = await raftctl('node', 'start', down, '--json', '--cluster', 'lead')
    assert.equal(start.exit, 0, start.stderr)
    assert.equal(start.json().heard, true)
    const list = (await raftctl('member', 'list', '--json', '--cluster', 'lead')).json()
    assert.deepEqual(list.voters.filter((v: {live: boolean}) => !v.live).map((v: {id: string}) => v.id), [], 'every voter up in the leader\'s view')
  }
})

test('member add --learner / promote --dry-run / remove: membership only', async () => {
  const add = await raftctl('member', 'add', 'x9', 'ws://127.0.0.1:9', '--learner', '--json', '--cluster', 'lead')
  assert.equal(add.exit, 0, add.stderr)
  assert.equal(add.json().reachable, false)
  assert.deepEqual(add.json().members.learners, ['x9'])
  const list = await raftctl('member', 'list', '--json', '--cluster', 'lead')
  const x9 = list.json().learners.find((l: {id: string}) => l.id === 'x9')
  assert.equal(x9.address, 'ws://127.0.0.1:9')
  assert.equal(x9.live, false)
  const promote = await raftctl('member', 'promote', 'x9', '--dry-run', '--json', '--cluster', 'lead')
  assert.equal(promote.exit, 0, promote.stderr)
  assert.deepEqual(promote.json().after, {voters: 4, quorum: 3, tolerates: 1, live: 3})
  const dup = await raftctl('member', 'add', 'x9', 'ws://127.0.0.1:9', '--json', '--cluster', 'lead')
  assert.equal(dup.exit, 2)
  const remove = await raftctl('member', 'remove', 'x9', '--json', '--cluster', 'lead')
  assert.equal(remove.exit, 0, remove.stderr)
  assert.deepEqual(remove.json().members.learners, [])
  assert.deepEqual((await members()).learners, [])
})
