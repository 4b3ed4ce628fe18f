/**
 * Per-follower replication progress (src/raft/progress.ts): probe / replicate / snapshot states
 * and the bounded in-flight window.
 */
import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import {Progress} from '../../src/raft/progress.js'

describe('Progress: probe', () => {
  it('starts in probe with match 0; one append in flight pauses it until answered', () => {
    const p = new Progress(5, 3)
    assert.deepEqual([p.state, p.match, p.next, p.isPaused()], ['probe', 0, 5, false])
    p.sentEntries(7, 3)
    assert.equal(p.probeSent, true)
    assert.equal(p.isPaused(), true)
    assert.equal(p.next, 5, 'probe does not move next optimistically')
    assert.equal(p.maybeUpdate(7), true)
    assert.deepEqual([p.match, p.next, p.probeSent, p.isPaused()], [7, 8, false, false])
  })

  it('a stale or duplicate acknowledgement changes nothing and returns false', () => {
    const p = new Progress(5, 3)
    p.maybeUpdate(7)
    p.sentEntries(9, 2)
    assert.equal(p.maybeUpdate(6), false)
    assert.equal(p.maybeUpdate(7), false)
    assert.deepEqual([p.match, p.next, p.probeSent], [7, 8, true])
  })

  it('a rejection of the append in flight moves next back to min(rejected, hint), never below match + 1', () => {
    const p = new Progress(11, 3)
    p.sentEntries(11, 1) // prevIndex 10
    assert.equal(p.maybeDecrease(10, 4), true)
    assert.deepEqual([p.next, p.probeSent], [4, false])
    p.sentEntries(4, 1) // prevIndex 3
    assert.equal(p.maybeDecrease(3, 9), true, 'a hint above the rejected index is capped by it')
    assert.equal(p.next, 3)
    const q = new Progress(11, 3)
    q.maybeUpdate(6)
    q.becomeProbe()
    q.sentEntries(11, 5)
    assert.equal(q.maybeDecrease(6, 2), true)
    assert.equal(q.next, 7, 'never below match + 1')
  })

  it('a rejection that is not for the append in flight is stale', () => {
    const p = new Progress(11, 3)
    p.sentEntries(11, 1)
    assert.equal(p.maybeDecrease(8, 2), false)
    assert.deepEqual([p.next, p.probeSent], [11, true])
  })
})

describe('Progress: replicate', () => {
  it('becomeReplicate resends from match + 1 and pipelines up to maxInflight appends', () => {
    const p = new Progress(5, 3)
    p.maybeUpdate(4)
    p.becomeReplicate()
    assert.deepEqual([p.state, p.next, p.inflight], ['replicate', 5, []])
    p.sentEntries(6, 2)
    p.sentEntries(8, 2)
    assert.deepEqual([p.next, p.inflight, p.isPaused()], [9, [6, 8], false])
    p.sentEntries(10, 2)
    assert.equal(p.isPaused(), true, 'window of 3 is full')
    p.sentEntries(10, 0)
    assert.deepEqual(p.inflight, [6, 8, 10], 'an empty append takes no slot')
    assert.equal(p.maybeUpdate(8), true)
    assert.deepEqual([p.match, p.inflight, p.isPaused()], [8, [10], false])
    p.freeFirstInflight()
    assert.deepEqual(p.inflight, [])
  })

  it('a rejection at or below match is stale; above it falls back to probe from the hint', () => {
    const p = new Progress(5, 3)
    p.maybeUpdate(6)
    p.becomeReplicate()
    p.sentEntries(9, 2)
    p.sentEntries(12, 3)
    assert.equal(p.maybeDecrease(6, 1), false)
    assert.equal(p.state, 'replicate')
    assert.equal(p.maybeDecrease(9, 8), true)
    assert.deepEqual([p.state, p.next, p.inflight, p.probeSent], ['probe', 8, [], false])
  })
})

describe('Progress: snapshot', () => {
  it('snapshot state pauses sends until the snapshot is acknowledged; re-probing resumes after it', () => {
    const p = new Progress(20, 3)
    p.maybeUpdate(2)
    p.becomeSnapshot(15)
    assert.deepEqual([p.state, p.pendingSnapshot, p.isPaused()], ['snapshot', 15, true])
    p.becomeProbe()
    assert.deepEqual([p.state, p.next, p.pendingSnapshot], ['probe', 16, 0], 'next after the snapshot that was sent')
  })

  it('leaving snapshot state clears the window and the pending snapshot', () => {
    const p = new Progress(20, 3)
    p.becomeSnapshot(15)
    assert.equal(p.maybeUpdate(15), true)
    p.becomeReplicate()
    assert.deepEqual([p.state, p.next, p.pendingSnapshot, p.snapshotTicks], ['replicate', 16, 0, 0])
  })
})

describe('Progress: invariants under random operations', () => {
  it('property: match < next, match never decreases, the window is ascending and bounded when the sender respects isPaused', () => {
    type Op =
      | {k: 'send'; n: number}
      | {k: 'ack'; back: number}
      | {k: 'reject'; back: number; hint: number}
      | {k: 'probe'} | {k: 'replicate'} | {k: 'snapshot'} | {k: 'free'}
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({k: fc.constant('send' as const), n: fc.nat({max: 4})}),
      fc.record({k: fc.constant('ack' as const), back: fc.nat({max: 6})}),
      fc.record({k: fc.constant('reject' as const), back: fc.nat({max: 6}), hint: fc.nat({max: 30})}),
      fc.constant({k: 'probe' as const}),
      fc.constant({k: 'replicate' as const}),
      fc.constant({k: 'snapshot' as const}),
      fc.constant({k: 'free' as const}),
    )
    fc.assert(fc.property(fc.integer({min: 1, max: 4}), fc.array(op, {maxLength: 80}), (maxInflight, ops) => {
      const p = new Progress(1, maxInflight)
      let last = 0 // the leader's last index
      let sentUpTo = 0 // highest index ever sent
      for (const o of ops) {
        const matchBefore = p.match
        switch (o.k) {
          case 'send':
            last += o.n
            if (!p.isPaused() && p.state !== 'snapshot') {
              const count = Math.max(0, last - p.next + 1)
              p.sentEntries(p.next - 1 + count, count)
              sentUpTo = Math.max(sentUpTo, p.next - 1)
            }
            break
          case 'ack': {
            const idx = Math.max(0, Math.min(sentUpTo, sentUpTo - o.back))
            p.maybeUpdate(idx)
            break
          }
          case 'reject':
            p.maybeDecrease(Math.max(0, p.next - 1 - o.back), o.hint)
            break
          case 'probe': p.becomeProbe(); break
          case 'replicate': p.becomeReplicate(); break
          case 'snapshot': p.becomeSnapshot(last); sentUpTo = Math.max(sentUpTo, last); break
          case 'free': p.freeFirstInflight(); break
        }
        assert.ok(p.match < p.next, `match ${p.match} < next ${p.next}`)
        assert.ok(p.match >= matchBefore, 'match never decreases')
        assert.ok(p.inflight.length <= maxInflight, 'window bounded')
        for (let i = 1; i < p.inflight.length; i++) assert.ok(p.inflight[i - 1]! < p.inflight[i]!)
        if (p.state !== 'replicate') assert.equal(p.inflight.length, 0)
      }
    }), {numRuns: 500})
  })
})
