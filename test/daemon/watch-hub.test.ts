/**
 * WatchHub over a real KvStateMachine, with an in-memory sink: the history keeps only the
 * entries' bytes and summaries, and a watcher that starts late (as a resumption on another
 * node does) still receives every change from its index on, rebuilt from them, in log order;
 * the history stays within `historyEntries` and older starts are COMPACTED.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {KvStateMachine, encodeCommand, type KvCommand} from '../../src/kv/index.js'
import {WatchHub, WatchRefused, type WatchSink} from '../../src/daemon/watch-hub.js'
import type {AdminEvent, WatchEvent} from '../../src/admin/protocol.js'

/** A socket that takes every frame at once and keeps the parsed events. */
function sink(): WatchSink & {events: AdminEvent[]} {
  const events: AdminEvent[] = []
  return {
    events,
    buffered: 0,
    send(frame, sent) {
      events.push((JSON.parse(frame) as {event: AdminEvent}).event)
      sent()
    },
    onClose() {},
  }
}

function applyAll(sm: KvStateMachine, commands: readonly KvCommand[], first = 1): void {
  commands.forEach((c, i) => sm.apply(first + i, encodeCommand(c)))
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('WatchHub', () => {
  it('a watch started after the writes, from an old index, gets every change rebuilt from the kept entries, in order', async () => {
    const sm = new KvStateMachine()
    const hub = new WatchHub(0, 100)
    sm.watchChanges(hub)
    applyAll(sm, [
      {op: 'put', key: 'p/a', value: '1'},
      {op: 'put', key: 'other', value: 'x'},
      {op: 'append', key: 'p/a', value: '2'},
      {op: 'delete', key: 'p/missing'},
      {op: 'cas', key: 'p/a', expected: '12', value: '3'},
      {op: 'txn', compare: [{key: 'p/a', value: '3'}], success: [{op: 'put', key: 'p/b', value: 'b'}, {op: 'delete', key: 'other'}], failure: []},
      {op: 'deletePrefix', prefix: 'p/'},
    ])
    assert.equal(hub.keptEntries, 6, 'the delete of an absent key changed nothing and is not kept')
    const s = sink()
    assert.equal(hub.watch(7, {prefix: 'p/', fromIndex: 1}, sm.appliedIndex, s), 1)
    await flush()
    const got = s.events.map((e) => [(e as WatchEvent).index, (e as WatchEvent).changes])
    assert.deepEqual(got, [
      [1, [{type: 'put', key: 'p/a', value: '1'}]],
      [3, [{type: 'put', key: 'p/a', value: '12'}]],
      [5, [{type: 'put', key: 'p/a', value: '3'}]],
      [6, [{type: 'put', key: 'p/b', value: 'b'}]],
      [7, [{type: 'delete', key: 'p/a'}, {type: 'delete', key: 'p/b'}]],
    ])
    // A live watcher and a late one read the same new entry.
    const live = sink()
    hub.watch(8, {key: 'p/c'}, sm.appliedIndex, live)
    await flush()
    applyAll(sm, [{op: 'put', key: 'p/c', value: 'c'}], 8)
    assert.deepEqual((live.events[0] as WatchEvent).changes, [{type: 'put', key: 'p/c', value: 'c'}])
    assert.deepEqual((s.events.at(-1) as WatchEvent).changes, [{type: 'put', key: 'p/c', value: 'c'}])
  })

  it('keeps the last historyEntries changing entries: the ring grows past its first size, drops the oldest, and names it in COMPACTED', async () => {
    const sm = new KvStateMachine()
    const history = 3000
    const hub = new WatchHub(0, history)
    sm.watchChanges(hub)
    const writes = 5000
    applyAll(sm, Array.from({length: writes}, (_, i): KvCommand => ({op: 'put', key: `k${i % 7}`, value: String(i)})))
    assert.equal(hub.keptEntries, history)
    assert.equal(hub.oldestIndex, writes - history + 1)
    assert.throws(() => hub.watch(1, {prefix: '', fromIndex: hub.oldestIndex - 1}, sm.appliedIndex, sink()),
      (e: unknown) => e instanceof WatchRefused && e.code === 'COMPACTED' && e.message.includes(`the oldest index still available is ${writes - history + 1}`))
    const s = sink()
    hub.watch(2, {prefix: ''}, sm.appliedIndex, s)
    const from = sink()
    assert.equal(hub.watch(4, {prefix: '', fromIndex: hub.oldestIndex}, sm.appliedIndex, from), writes - history + 1)
    await flush()
    const values = from.events.filter((e): e is WatchEvent => e.type === 'watch' && e.watchId === 4).map((e) => e.changes[0]!.value)
    assert.deepEqual(values, Array.from({length: history}, (_, i) => String(writes - history + i)), 'every kept change once, in order')
    assert.equal(s.events.length, 0, 'a watch from the applied index on has nothing yet')
  })

  it('progress goes only to a watch with nothing unsent, naming the applied index and the leader silence', () => {
    const sm = new KvStateMachine()
    const hub = new WatchHub(0, 10)
    sm.watchChanges(hub)
    applyAll(sm, [{op: 'put', key: 'a', value: '1'}, {op: 'put', key: 'b', value: '2'}])
    const behind = sink()
    const caughtUp = sink()
    hub.watch(1, {key: 'a', fromIndex: 1}, sm.appliedIndex, behind)
    hub.watch(2, {key: 'a'}, sm.appliedIndex, caughtUp)
    hub.progress(sm.appliedIndex, 1234)
    assert.deepEqual(caughtUp.events, [{type: 'watchProgress', watchId: 2, index: 2, leaderSilentMs: 1234}])
    assert.deepEqual(behind.events, [], 'entries from index 1 are still to be sent to watch 1 (its first pump has not run yet): no progress for it')
  })

  it('a restored snapshot forgets the history: earlier starts are COMPACTED at the snapshot index', () => {
    const sm = new KvStateMachine()
    const hub = new WatchHub(0, 10)
    sm.watchChanges(hub)
    applyAll(sm, [{op: 'put', key: 'a', value: '1'}])
    const other = new KvStateMachine()
    applyAll(other, [{op: 'put', key: 'a', value: '1'}, {op: 'put', key: 'b', value: '2'}])
    sm.restore(other.snapshot())
    assert.equal(hub.keptEntries, 0)
    assert.equal(hub.heldBytes, 0)
    assert.equal(hub.oldestIndex, 3)
  })
})
