/**
 * The leader's save policy (src/storage/save-policy.ts): which batches it syncs in its loop, and
 * that a replica whose `saveAsync` completes at once for those (as the daemon's port does) and in
 * the background for the others commits every write exactly once, in order, on every node.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {SeededRng, type Entry, type Message} from '../../src/raft/index.js'
import {Replica, type ProposalOutcome} from '../../src/replica/replica.js'
import {withSaveAsync, type StorageWrite} from '../../src/replica/ports.js'
import {MemoryStorage} from '../../src/storage/index.js'
import {KvStateMachine, encodeCommand} from '../../src/kv/index.js'
import {LOOP_SAVE_MAX_BYTES, LOOP_SAVE_MAX_ENTRIES, savesInLoop} from '../../src/storage/save-policy.js'

function entries(n: number, bytes = 10): Entry[] {
  return Array.from({length: n}, (_, i) => ({index: i + 1, term: 1, type: 'normal', data: new Uint8Array(bytes)}) as Entry)
}

test('a leader syncs in its loop only small batches without a snapshot, and never under a chaos disk delay', () => {
  assert.equal(LOOP_SAVE_MAX_ENTRIES, 1)
  assert.equal(savesInLoop({entries: entries(1)}, 0), true, 'one small entry: in the loop')
  assert.equal(savesInLoop({entries: [], hardState: {term: 2, vote: 'n1', commit: 0}}, 0), true, 'a hard state alone: in the loop')
  assert.equal(savesInLoop({entries: entries(2)}, 0), false, 'two entries (concurrent clients): in the background')
  assert.equal(savesInLoop({entries: entries(1, LOOP_SAVE_MAX_BYTES)}, 0), true, 'at the byte limit: in the loop')
  assert.equal(savesInLoop({entries: entries(1, LOOP_SAVE_MAX_BYTES + 1)}, 0), false, 'a large value: in the background')
  assert.equal(savesInLoop({entries: entries(1)}, 50), false, 'a chaos fsync delay: in the background (the loop keeps its heartbeats)')
  const snapshot = {meta: {index: 5, term: 1, conf: {voters: ['n1'], learners: []}}, data: new Uint8Array(0)}
  assert.equal(savesInLoop({entries: [], snapshot} as StorageWrite, 0), false, 'a snapshot: in the background')
})

test('three replicas whose leader syncs one-entry batches at once and larger ones later commit every write once, in order', () => {
  const ids = ['n1', 'n2', 'n3']
  const inbox: Message[] = []
  const held: (() => void)[] = []
  let inLoop = 0
  let background = 0
  const machines = new Map<string, KvStateMachine>()
  const replicas = new Map<string, Replica>()
  for (const [k, id] of ids.entries()) {
    const disk = new MemoryStorage()
    const port = withSaveAsync(disk, (write, done) => {
      if (savesInLoop(write, 0)) {
        inLoop++
        disk.save(write)
        return done(null)
      }
      background++
      held.push(() => {
        disk.save(write)
        done(null)
      })
    })
    const sm = new KvStateMachine()
    machines.set(id, sm)
    replicas.set(id, new Replica({
      raft: {id, rng: new SeededRng(k + 1), electionTicks: 10, heartbeatTicks: 1},
      storage: port, network: {send: (m) => inbox.push(m)}, stateMachine: sm,
      initialConf: {voters: ids, learners: []}, snapshotEvery: 0,
    }))
  }
  const pump = (): void => {
    for (let rounds = 0; rounds < 1000 && (inbox.length > 0 || held.length > 0); rounds++) {
      for (const m of inbox.splice(0)) replicas.get(m.to)!.receive(m)
      for (const r of replicas.values()) r.process()
      held.shift()?.()
    }
  }
  const leader = replicas.get('n1')!
  leader.campaign()
  leader.process()
  pump()
  assert.equal(leader.status().role, 'leader')
  const outcomes: ProposalOutcome[] = []
  let seq = 0
  const put = (): void => {
    seq++
    leader.propose(encodeCommand({op: 'put', key: `k${seq}`, value: `v${seq}`, session: {clientId: 'c', seq}}), (o) => outcomes.push(o))
  }
  // One write at a time (one-entry batches), then bursts of three (background syncs), interleaved.
  for (let round = 0; round < 20; round++) {
    const burst = round % 2 === 0 ? 1 : 3
    for (let i = 0; i < burst; i++) put()
    leader.process()
    pump()
  }
  for (let i = 0; i < 50; i++) {
    for (const r of replicas.values()) r.tick()
    pump()
  }
  assert.ok(inLoop > 0 && background > 0, `both paths taken (in the loop ${inLoop}, in the background ${background})`)
  assert.equal(outcomes.length, seq, 'every proposal answered once')
  assert.ok(outcomes.every((o) => o.ok), 'every write committed')
  const indexes = outcomes.map((o) => (o.ok ? o.index : -1))
  assert.deepEqual(indexes, [...indexes].sort((a, b) => a - b), 'answered in log order')
  for (const [id, sm] of machines) {
    for (let s = 1; s <= seq; s++) assert.equal(sm.read(`k${s}`), `v${s}`, `${id} holds write ${s}`)
  }
})
