/**
 * Randomized but deterministic schedules for the bare core (each seed replays exactly): random
 * proposals, crashes and restarts, partitions, message loss, duplication, reordering and delay,
 * compactions, leader transfers, manual campaigns, membership changes and ReadIndex, under
 * several option sets. Checked after every step:
 *
 * - the harness's invariants (one leader per term, gapless in-order apply, every node applies
 *   the same entry at each index — state-machine safety, hence log matching of committed
 *   prefixes);
 * - leader completeness (§5.4): a leader holds every entry known committed when it was elected;
 * - ReadIndex safety: a released read index is at least the highest index known committed when
 *   the read was requested;
 * then, after healing, liveness: a leader emerges, a last proposal commits, every member
 * applies the same sequence.
 *
 * A failure names the seed; rerun one with `SEED=<n> node --import tsx --test test/raft/random.test.ts`.
 */
import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import {SeededRng, type Message, type NodeId} from '../../src/raft/index.js'
import {Harness, type NodeOptions} from './harness.js'

const VARIANTS: readonly NodeOptions[] = [
  {},
  {preVote: false},
  {checkQuorum: false},
  {maxInflight: 1, maxAppendBytes: 40},
  {batchAppends: false, heartbeatTicks: 3},
  {commitNotices: false, heartbeatTicks: 3},
]

/** Membership changes are forced: the schedules explore the changes the strict reconfiguration check would refuse too. */
const FORCE = {force: true} as const

function shuffle<T>(xs: T[], rng: SeededRng): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = rng.int(i + 1)
    ;[xs[i], xs[j]] = [xs[j]!, xs[i]!]
  }
  return xs
}

function runSeed(seed: number, steps: number): void {
  const node = VARIANTS[seed % VARIANTS.length]!
  const h = Harness.cluster(3 + (seed % 3), {seed, node})
  const rng = new SeededRng(seed * 7 + 3)
  let nextId = h.nodeIds.length + 1
  let dropP = 0
  let chaos = false
  let held: Message[] = []
  h.dropIf = () => dropP > 0 && rng.float() < dropP
  h.network = (batch) => {
    if (!chaos) {
      const out = [...held, ...batch]
      held = []
      return out
    }
    const out: Message[] = []
    const keep: Message[] = []
    for (const m of held) (rng.int(3) === 0 ? keep : out).push(m)
    held = keep
    for (const m of batch) {
      const r = rng.int(10)
      if (r === 0) held.push(m)
      else if (r === 1) out.push(m, m)
      else out.push(m)
    }
    return shuffle(out, rng)
  }
  const knownCommitted = (): number => Math.max(0, ...h.appliedAt.keys())
  const electedWith = new Map<number, number>()
  const reads = new Map<number, number>()
  const readsSeen = new Map<NodeId, number>()
  let readId = 1

  for (let step = 0; step < steps; step++) {
    const where = `seed ${seed} step ${step}`
    const r = rng.int(20)
    const live = h.liveIds
    const leader = h.leader()
    if (r < 5) {
      if (leader) h.propose(leader, `v${step}`)
    } else if (r === 5 && live.length > 2) {
      h.crash(live[rng.int(live.length)]!)
    } else if (r === 6) {
      for (const id of h.nodeIds) if (!h.isUp(id) && rng.int(2) === 0) h.restart(id)
    } else if (r === 7) {
      const all = shuffle(h.nodeIds, rng)
      const k = 1 + rng.int(all.length - 1)
      h.partition(all.slice(0, k), all.slice(k))
    } else if (r === 8) {
      h.heal()
    } else if (r === 9) {
      dropP = [0, 0, 0.1, 0.3][rng.int(4)]!
      chaos = rng.int(2) === 0
    } else if (r === 10 && live.length > 0) {
      const id = live[rng.int(live.length)]!
      const applied = h.appliedIndex(id)
      if (applied > h.status(id).snapshotIndex + 2) h.compact(id, applied, applied - rng.int(3))
    } else if (r === 11 && leader) {
      const others = h.status(leader).conf.voters.filter((v) => v !== leader)
      if (others.length > 0) h.transfer(leader, others[rng.int(others.length)]!)
    } else if (r === 12 && live.length > 0) {
      h.campaign(live[rng.int(live.length)]!)
    } else if (r === 13 && leader) {
      const conf = h.status(leader).conf
      const c = rng.int(4)
      if (c === 0 && h.nodeIds.length < 8) {
        const id = `n${nextId++}`
        h.addNode(id)
        h.proposeConfChange(leader, {type: 'addLearner', node: id}, FORCE)
      } else if (c === 1 && conf.learners.length > 0) {
        h.proposeConfChange(leader, {type: 'promote', node: conf.learners[0]!}, FORCE)
      } else if (c === 2 && conf.voters.length > 3) {
        h.proposeConfChange(leader, {type: 'remove', node: conf.voters[rng.int(conf.voters.length)]!}, FORCE)
      } else if (c === 3 && conf.learners.length > 0) {
        h.proposeConfChange(leader, {type: 'remove', node: conf.learners[0]!}, FORCE)
      }
    } else if (r === 14 && leader) {
      const id = readId++
      if (h.readIndex(leader, id).ok) reads.set(id, knownCommitted())
    }
    h.tick(1 + rng.int(5))

    for (const id of h.nodeIds) {
      const released = h.readStates(id)
      for (const rs of released.slice(readsSeen.get(id) ?? 0)) {
        const min = reads.get(rs.id)
        assert.ok(min !== undefined, `${where}: unknown read ${rs.id}`)
        assert.ok(rs.index >= min, `${where}: stale read ${rs.id} on ${id} at ${rs.index}, ${min} was committed before`)
      }
      readsSeen.set(id, released.length)
    }
    for (const term of h.leaders.keys()) if (!electedWith.has(term)) electedWith.set(term, knownCommitted())
    for (const id of h.liveIds) {
      const s = h.status(id)
      if (s.role !== 'leader') continue
      const committedBefore = electedWith.get(s.term) ?? 0
      for (const [index, e] of h.appliedAt) {
        if (index > committedBefore || index < s.firstIndex) continue
        assert.equal(h.node(id).termAt(index), e.term, `${where}: leader ${id} of term ${s.term} lacks committed ${index}/${e.term}`)
      }
    }
  }

  // Liveness once every fault is gone.
  dropP = 0
  chaos = false
  h.heal()
  for (const id of h.nodeIds) if (!h.isUp(id)) h.restart(id)
  h.tickUntil(() => h.leader() !== null, 500)
  let ok = h.propose(h.leader()!, 'final').ok
  for (let i = 0; i < 5 && !ok; i++) {
    h.tick(20)
    const l = h.leader()
    ok = l !== null && h.propose(l, 'final').ok
  }
  assert.ok(ok, `seed ${seed}: the final proposal was never accepted`)
  h.tick(60)
  const leader = h.leader()!
  const expected = h.applied(leader)
  assert.equal(expected.at(-1), 'final', `seed ${seed}: final not applied`)
  const {voters, learners} = h.status(leader).conf
  for (const id of [...voters, ...learners]) assert.deepEqual(h.applied(id), expected, `seed ${seed}: ${id} state machine`)
  assert.ok(h.leaders.size >= 2, `seed ${seed}: the schedule caused elections`)
}

describe('randomized schedules (deterministic seeds)', () => {
  const only = process.env.SEED
  const seeds = only !== undefined ? [Number(only)] : Array.from({length: 100}, (_, i) => i + 1)
  for (const seed of seeds) {
    it(`seed ${seed} (${JSON.stringify(VARIANTS[seed % VARIANTS.length])}): safety at every step, liveness after healing`, () => {
      runSeed(seed, 300)
    })
  }
})
