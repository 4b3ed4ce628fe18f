/**
 * §7 InstallSnapshot that takes longer than an election timeout to arrive (a large snapshot sent
 * in chunks by the driver's network): while the driver reports it still on its way
 * (`reportSnapshotInFlight`), the leader does not send it again; without reports it re-probes
 * after an election timeout, the follower (still without the snapshot) refuses the probe, and
 * the leader sends the snapshot again — what a lost snapshot needs, and a slow one does not.
 */
import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import type {Message} from '../../src/raft/types.js'
import {Harness} from './harness.js'

/** n1 leads n1..n3; n3 missed entries that n1 then compacted away, so it needs a snapshot. */
function needsSnapshot(): {h: Harness; index: number} {
  const h = Harness.cluster(3)
  assert.deepEqual(h.campaign('n1'), {ok: true})
  h.stabilize()
  h.isolate('n3')
  for (let i = 0; i < 5; i++) h.propose('n1', `k${i}=v`)
  h.stabilize()
  const snap = h.compact('n1', h.appliedIndex('n1'))
  h.heal()
  return {h, index: snap.meta.index}
}

/** Hold back every snapshot message (it is "on its way"); everything else is delivered. Returns the held ones. */
function holdSnapshots(h: Harness): Message[] {
  const held: Message[] = []
  h.network = (batch) => batch.filter((m) => {
    if (m.type !== 'snapshot') return true
    held.push(m)
    return false
  })
  return held
}

/** Tick every node and deliver, `ticks` times (5 election timeouts of the harness's 10 ticks), calling `each` after every tick. */
function run(h: Harness, each: () => void, ticks = 50): void {
  for (let i = 0; i < ticks; i++) {
    h.tick()
    h.deliverRound()
    each()
  }
}

const snapshotsSentTo = (h: Harness, to: string): number => h.events('n1').filter((e) => e.type === 'snapshotSent' && e.to === to).length

describe('§7 a snapshot still on its way', () => {
  it('is not sent again while the driver reports it in flight, then completes the follower', () => {
    const {h, index} = needsSnapshot()
    const held = holdSnapshots(h)
    run(h, () => h.node('n1').reportSnapshotInFlight('n3', index, h.status('n1').term))
    assert.equal(snapshotsSentTo(h, 'n3'), 1, 'sent once')
    assert.equal(held.length, 1)
    h.network = null
    h.queue.push(...held)
    h.stabilize()
    assert.equal(h.status('n1').progress.find((p) => p.id === 'n3')?.match, h.status('n1').lastIndex, 'the follower caught up from the snapshot')
  })

  it('is sent again after an election timeout without reports (the snapshot may have been lost)', () => {
    const {h} = needsSnapshot()
    holdSnapshots(h)
    run(h, () => undefined)
    assert.ok(snapshotsSentTo(h, 'n3') >= 2, `re-sent: ${snapshotsSentTo(h, 'n3')}`)
  })

  it('a report for another index, of another term, or from a node that is not the leader, changes nothing', () => {
    const {h, index} = needsSnapshot()
    holdSnapshots(h)
    run(h, () => {
      const term = h.status('n1').term
      h.node('n1').reportSnapshotInFlight('n3', index + 1, term)
      h.node('n1').reportSnapshotInFlight('n3', index, term - 1)
      h.node('n2').reportSnapshotInFlight('n3', index, term)
    })
    assert.ok(snapshotsSentTo(h, 'n3') >= 2, `re-sent: ${snapshotsSentTo(h, 'n3')}`)
  })
})
