/**
 * The simulator's disaster recovery (SimOptions.recover, src/sim/recovery.ts): seeds that lose
 * a majority for good and recover from the most up-to-date survivor pass every check, and the
 * invariants are relaxed only for the committed entries the survivor did not hold
 * (Invariants.rebase): what it held is still checked, and a survivor holding a committed entry
 * after one it lacks is a violation.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {runSeed} from '../../src/sim/cluster.js'
import {replayCommand, runSeeds} from '../../src/sim/run.js'
import {Invariants, Violation} from '../../src/sim/invariants.js'

test('seeds 1..60 with a disaster recovery pass every safety and liveness check; entries are really lost and the cluster grows back', () => {
  const batch = runSeeds(1, 60, {recover: true}, () => 0)
  assert.equal(batch.failures.length, 0, batch.failures.map((f) => `seed ${f.seed}: ${f.violation.split('\n')[0]} (${f.replay})`).join('\n'))
  let recoveries = 0
  let lost = 0
  let grown = 0
  for (let seed = 1; seed <= 60; seed++) {
    const r = runSeed({seed, recover: true, fullTrace: true})
    recoveries += r.stats.recoveries
    lost += r.stats.lostEntries
    if (r.trace.some((l) => l.includes('grow back: applied promote'))) grown++
  }
  assert.ok(recoveries >= 50, `only ${recoveries} of 60 seeds had a disaster`)
  assert.ok(lost > 0, 'no seed lost a committed entry: the relaxed path was never exercised')
  assert.ok(grown >= 40, `only ${grown} of 60 seeds grew back`)
})

/**
 * Seeds 806 and 888 (--recover) failed log-matching before a crash made the checker forget the
 * records of terms the node had not persisted: the recovered single voter led term 15, a torn
 * write kept its entries but not the term, and it led term 15 again (checked by hand: both
 * fail with Invariants.forgetUnpersistedTerms stubbed out).
 */
for (const seed of [806, 888]) {
  test(`regression seed ${seed} (--recover)`, () => {
    const r = runSeed({seed, recover: true})
    assert.equal(r.ok, true, r.violation?.message)
  })
}

test('a recovery seed reproduces its trace; the replay command says --recover', () => {
  const a = runSeed({seed: 6, recover: true, fullTrace: true})
  const b = runSeed({seed: 6, recover: true, fullTrace: true})
  assert.ok(a.trace.some((l) => l.includes('disaster:')))
  assert.deepEqual(a.trace, b.trace)
  assert.equal(replayCommand(6, {recover: true}), 'raftctl sim run --seed 6 --recover')
})

test('without --recover a seed\'s trace has no disaster', () => {
  const r = runSeed({seed: 6, fullTrace: true})
  assert.ok(!r.trace.some((l) => l.includes('disaster')))
  assert.equal(r.stats.recoveries, 0)
})

/** Invariants with entries 1..6 committed (term 1; fingerprint = index) and applied with state digest 100 + index. */
function committed(): Invariants {
  const inv = new Invariants()
  for (let i = 1; i <= 6; i++) inv.checkApplied('n1', i, 1, i, 100 + i)
  return inv
}

const isViolation = (property: string) => (err: unknown): boolean => err instanceof Violation && err.property === property

test('rebase forgets only the committed entries the survivor did not hold; what it held is still checked', () => {
  const inv = committed()
  // The survivor holds 1..4 as committed, and a different entry at 5.
  const held = (i: number) => (i <= 4 ? {term: 1, fp: i} : i === 5 ? {term: 2, fp: 55} : undefined)
  assert.equal(inv.rebase({id: 'n2', snapshotIndex: 0, lastIndex: 5, term: 2}, held), 5)
  assert.equal(inv.maxCommitted, 4)
  // Index 5 is free for the recovered cluster; 1..4 must still be what was committed, with the same states.
  inv.checkApplied('n2', 5, 2, 55, 999)
  assert.throws(() => inv.checkApplied('n2', 3, 1, 33, 103), isViolation('state-machine-safety'))
  assert.throws(() => inv.checkApplied('n2', 4, 1, 4, 777), isViolation('state-machine-safety'))
  assert.throws(() => inv.checkAcknowledged(2, 22), isViolation('acknowledged-write-lost'))
})

test('rebase over a snapshot: entries at or below the survivor\'s snapshot count as held', () => {
  const inv = committed()
  assert.equal(inv.rebase({id: 'n2', snapshotIndex: 4, lastIndex: 4, term: 1}, () => undefined), 5)
})

test('a survivor that holds a committed entry after one it lacks breaks log matching: a violation, not a loss', () => {
  const inv = committed()
  const held = (i: number) => (i === 3 ? undefined : {term: 1, fp: i})
  assert.throws(() => inv.rebase({id: 'n2', snapshotIndex: 0, lastIndex: 6, term: 1}, held), isViolation('log-matching'))
})

test('rebase forgets the leaders of later terms only (the lost nodes\' terms)', () => {
  const inv = committed()
  inv.checkLeader('n1', 3)
  inv.checkLeader('n3', 5)
  inv.rebase({id: 'n2', snapshotIndex: 0, lastIndex: 6, term: 4}, (i) => ({term: 1, fp: i}))
  inv.checkLeader('n2', 5)
  assert.throws(() => inv.checkLeader('n2', 3), isViolation('election-safety'))
})

/**
 * Seeds that lost liveness when disaster recovery met the rebuilding node (a node that lost its
 * disk does not vote until caught up). Seed 20 failed until grow-back promoted only a running,
 * caught-up learner (it promoted one whose disk was just lost into a two-voter cluster); 39, 76,
 * 598, 779 and 940 still failed with that in place, until three more rules: no disk is lost while
 * a recovered cluster grows back (39: a learner's disk lost mid grow-back), no voter is removed
 * while another rebuilds (76), and --force-new-cluster clears the survivor's rebuilding mark (940:
 * the survivor itself had lost its disk earlier).
 */
for (const seed of [20, 39, 76, 598, 779, 940]) {
  test(`regression seed ${seed} (--recover, with lost disks)`, () => {
    const r = runSeed({seed, recover: true})
    assert.equal(r.ok, true, r.violation?.message)
  })
}

/** Seed 422 (--recover, --disk sync): the nemesis removed a learner while the cluster grew back, and grow-back then added that retired node again; it never converged. */
test('regression seed 422 (--recover --disk sync)', () => {
  const r = runSeed({seed: 422, recover: true, disk: 'sync'})
  assert.equal(r.ok, true, r.violation?.message)
})
