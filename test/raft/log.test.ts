/**
 * The in-memory Raft log (src/raft/log.ts): terms, follower appends with truncation, fast
 * backtracking lookups, compaction with an offset, byte-limited slices.
 */
import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import {RaftLog} from '../../src/raft/log.js'
import type {Entry, Snapshot} from '../../src/raft/types.js'
import {entriesWithTerms} from './harness.js'

const CONF = {voters: ['n1', 'n2', 'n3'], learners: []}

function snap(index = 0, term = 0): Snapshot {
  return {meta: {index, term, conf: CONF}, data: new Uint8Array()}
}

/** A log holding entries with `terms` from index `snapIndex + 1`, all persisted. */
function logOf(terms: number[], snapIndex = 0, snapTerm = 0, committed = 0): RaftLog {
  return new RaftLog(snap(snapIndex, snapTerm), entriesWithTerms(terms, snapIndex + 1), committed)
}

const terms = (log: RaftLog): number[] => {
  const out: number[] = []
  for (let i = log.firstIndex(); i <= log.lastIndex(); i++) out.push(log.term(i)!)
  return out
}

function sized(index: number, term: number, bytes: number): Entry {
  return {index, term, type: 'normal', data: new Uint8Array(bytes)}
}

describe('RaftLog: term()', () => {
  it('an empty log: term(0) is 0, anything else is unknown', () => {
    const log = logOf([])
    assert.equal(log.term(0), 0)
    assert.equal(log.term(1), undefined)
    assert.deepEqual([log.firstIndex(), log.lastIndex(), log.lastTerm()], [1, 0, 0])
  })

  it('after a snapshot: the snapshot index has its term; compacted indexes are unknown; 0 is 0', () => {
    const log = logOf([2, 3, 3], 5, 2)
    assert.deepEqual([log.firstIndex(), log.lastIndex(), log.lastTerm()], [6, 8, 3])
    assert.equal(log.term(5), 2)
    assert.equal(log.term(6), 2)
    assert.equal(log.term(8), 3)
    assert.equal(log.term(4), undefined)
    assert.equal(log.term(9), undefined)
    assert.equal(log.term(0), 0)
    assert.equal(log.entry(5), undefined)
    assert.equal(log.entry(6)?.index, 6)
  })

  it('§5.4.1 isUpToDate compares last term first, then length', () => {
    const log = logOf([1, 1, 2, 2])
    assert.equal(log.isUpToDate(4, 2), true)
    assert.equal(log.isUpToDate(5, 2), true)
    assert.equal(log.isUpToDate(3, 2), false)
    assert.equal(log.isUpToDate(100, 1), false)
    assert.equal(log.isUpToDate(1, 3), true)
  })
})

describe('RaftLog: appendFollower', () => {
  it('entries already held with the same term change nothing', () => {
    const log = logOf([1, 1, 2])
    assert.deepEqual(log.appendFollower(1, entriesWithTerms([1, 2], 2)), {changedFrom: 0, truncated: false})
    assert.deepEqual(terms(log), [1, 1, 2])
  })

  it('new entries after the end are appended; the unpersisted tail is reported', () => {
    const log = logOf([1, 1])
    assert.deepEqual(log.appendFollower(2, entriesWithTerms([2, 2], 3)), {changedFrom: 3, truncated: false})
    assert.deepEqual(terms(log), [1, 1, 2, 2])
    assert.equal(log.stableIndex, 2)
    assert.deepEqual(log.unstableEntries().map((e) => e.index), [3, 4])
  })

  it('§5.3 the suffix from the first conflicting entry is discarded and replaced', () => {
    const log = logOf([1, 1, 2, 2, 2], 0, 0, 2)
    assert.deepEqual(log.appendFollower(2, entriesWithTerms([2, 3], 3)), {changedFrom: 4, truncated: true})
    assert.deepEqual(terms(log), [1, 1, 2, 3], 'index 5 (term 2) is gone too')
    assert.equal(log.stableIndex, 3)
    assert.deepEqual(log.unstableEntries().map((e) => [e.index, e.term]), [[4, 3]])
  })

  it('a conflict at or below the commit index is refused loudly (it would lose a committed entry)', () => {
    const log = logOf([1, 1, 2], 0, 0, 3)
    assert.throws(() => log.appendFollower(2, entriesWithTerms([3], 3)), /conflict at committed index 3/)
  })

  it('entries at or below the log start (already compacted) are skipped', () => {
    const log = logOf([2, 2], 5, 2, 5)
    assert.deepEqual(log.appendFollower(3, entriesWithTerms([1, 2, 2, 2, 2, 3], 4)), {changedFrom: 8, truncated: false})
    assert.deepEqual(terms(log), [2, 2, 2, 3], 'indexes 4, 5 skipped; 6, 7 held; 8, 9 appended')
  })

  it('(planted bug noTruncate) overwrites in place and keeps the stale suffix', () => {
    const log = new RaftLog(snap(), entriesWithTerms([1, 1, 2, 2, 2]), 0, {noTruncate: true})
    log.appendFollower(2, entriesWithTerms([3], 3))
    assert.deepEqual(terms(log), [1, 1, 3, 2, 2])
  })

  it('property: matches a naive array model (skip matches, truncate at the first conflict, append)', () => {
    const step = fc.record({prevBack: fc.nat({max: 8}), terms: fc.array(fc.integer({min: 1, max: 4}), {maxLength: 6})})
    fc.assert(fc.property(fc.array(step, {maxLength: 25}), (steps) => {
      const log = logOf([])
      const model: number[] = [] // model[i] = term of index i + 1
      let term = 1
      for (const s of steps) {
        const prevIndex = Math.max(0, model.length - s.prevBack)
        // Terms of new entries never go below the term at prevIndex (logs have non-decreasing terms).
        const base = prevIndex === 0 ? 1 : model[prevIndex - 1]!
        term = Math.max(term, base)
        const ts = s.terms.map((t) => base + t - 1).sort((a, b) => a - b)
        const entries = entriesWithTerms(ts, prevIndex + 1)
        log.appendFollower(prevIndex, entries)
        for (const e of entries) {
          const have = model[e.index - 1]
          if (have === e.term) continue
          model.length = e.index - 1
          model.push(e.term)
        }
        assert.deepEqual(terms(log), model)
        assert.equal(log.lastIndex(), model.length)
      }
    }), {numRuns: 500})
  })
})

describe('RaftLog: findConflictByTerm (fast backtracking)', () => {
  // Figure 7 leader: 1 1 1 4 4 5 5 6 6 6
  const log = logOf([1, 1, 1, 4, 4, 5, 5, 6, 6, 6])

  it('the largest index <= index whose term <= term', () => {
    assert.equal(log.findConflictByTerm(10, 6), 10)
    assert.equal(log.findConflictByTerm(10, 5), 7)
    assert.equal(log.findConflictByTerm(10, 4), 5)
    assert.equal(log.findConflictByTerm(10, 3), 3)
    assert.equal(log.findConflictByTerm(10, 1), 3)
    assert.equal(log.findConflictByTerm(6, 6), 6)
    assert.equal(log.findConflictByTerm(10, 0), 0)
  })

  it('an index beyond the end is clamped to the last index', () => {
    assert.equal(log.findConflictByTerm(50, 6), 10)
    assert.equal(log.findConflictByTerm(50, 2), 3)
  })

  it('returns the log start when nothing after it qualifies', () => {
    const compacted = logOf([4, 4, 5], 3, 1)
    assert.equal(compacted.findConflictByTerm(6, 3), 3)
    assert.equal(compacted.findConflictByTerm(6, 4), 5)
  })

  it('property: equals a linear scan down from min(index, last)', () => {
    fc.assert(fc.property(
      fc.array(fc.integer({min: 1, max: 3}), {maxLength: 30}),
      fc.nat({max: 40}),
      fc.nat({max: 12}),
      (incs, index, term) => {
        let t = 1
        const ts = incs.map((d) => (t += d - 1))
        const l = logOf(ts)
        let expect = 0
        for (let i = Math.min(index, ts.length); i > 0; i--) {
          if (ts[i - 1]! <= term) {
            expect = i
            break
          }
        }
        assert.equal(l.findConflictByTerm(index, term), expect)
      },
    ))
  })
})

describe('RaftLog: compaction', () => {
  it('compact drops entries up to compactTo and keeps the term at the new start', () => {
    const log = logOf([1, 1, 2, 2, 3, 3], 0, 0, 6)
    log.applied = 5
    log.compact({meta: {index: 5, term: 3, conf: CONF}, data: new Uint8Array()}, 3)
    assert.deepEqual([log.firstIndex(), log.lastIndex(), log.snapshotIndex], [4, 6, 5])
    assert.equal(log.term(3), 2, 'term at the offset is kept')
    assert.equal(log.term(2), undefined)
    assert.equal(log.term(5), 3)
    assert.deepEqual(terms(log), [2, 3, 3])
    // Compacting further up to the snapshot index.
    log.compact({meta: {index: 5, term: 3, conf: CONF}, data: new Uint8Array()}, 5)
    assert.deepEqual([log.firstIndex(), log.lastIndex()], [6, 6])
    assert.equal(log.term(5), 3)
  })

  it('compaction never goes past the snapshot index, and a snapshot beyond applied is refused', () => {
    const log = logOf([1, 1, 2, 2], 0, 0, 4)
    log.applied = 2
    assert.throws(() => log.compact({meta: {index: 3, term: 2, conf: CONF}, data: new Uint8Array()}, 3), /beyond applied/)
    log.compact({meta: {index: 2, term: 1, conf: CONF}, data: new Uint8Array()}, 4)
    assert.equal(log.firstIndex(), 3)
  })

  it('restore replaces everything with a received snapshot and marks it pending for the driver', () => {
    const log = logOf([1, 1, 2], 0, 0, 1)
    const s: Snapshot = {meta: {index: 10, term: 4, conf: CONF}, data: new Uint8Array([1])}
    log.restore(s)
    assert.deepEqual([log.firstIndex(), log.lastIndex(), log.lastTerm(), log.committed, log.applied, log.stableIndex], [11, 10, 4, 10, 10, 10])
    assert.equal(log.pendingSnapshot, s)
    assert.deepEqual(log.unstableEntries(), [])
    assert.deepEqual(log.nextCommittedEntries(1000), [])
  })
})

describe('RaftLog: slices and commit', () => {
  it('slice returns at most maxBytes (data + 24 bytes per entry) but always at least one entry', () => {
    const log = new RaftLog(snap(), [sized(1, 1, 100), sized(2, 1, 100), sized(3, 1, 100), sized(4, 1, 1000)], 0)
    assert.deepEqual(log.slice(1, 4, 1_000_000).map((e) => e.index), [1, 2, 3, 4])
    assert.deepEqual(log.slice(1, 4, 248).map((e) => e.index), [1, 2], 'exactly two entries of 124')
    assert.deepEqual(log.slice(1, 4, 247).map((e) => e.index), [1])
    assert.deepEqual(log.slice(4, 4, 1).map((e) => e.index), [4], 'one entry even over the limit')
    assert.deepEqual(log.slice(3, 9, 1_000_000).map((e) => e.index), [3, 4], 'stops at the end')
    assert.deepEqual(log.slice(2, 3, 1_000_000).map((e) => e.index), [2, 3], 'stops at hi')
  })

  it('nextCommittedEntries hands out committed entries after applied, byte-limited', () => {
    const log = new RaftLog(snap(), [sized(1, 1, 100), sized(2, 1, 100), sized(3, 1, 100)], 3)
    assert.deepEqual(log.nextCommittedEntries(200).map((e) => e.index), [1])
    log.applied = 1
    assert.deepEqual(log.nextCommittedEntries(1000).map((e) => e.index), [2, 3])
    log.applied = 3
    assert.deepEqual(log.nextCommittedEntries(1000), [])
  })

  it('commitTo never lowers the commit index and refuses to go past the last index', () => {
    const log = logOf([1, 1, 2])
    assert.equal(log.commitTo(2), true)
    assert.equal(log.commitTo(1), false)
    assert.equal(log.committed, 2)
    assert.throws(() => log.commitTo(4), /beyond last index/)
  })

  it('a log rebuilt from durable state starts with everything persisted and applied at the snapshot', () => {
    const log = logOf([2, 2, 3], 5, 2, 100)
    assert.deepEqual([log.stableIndex, log.committed, log.applied], [8, 8, 5], 'commit is clamped to the last index')
  })
})
