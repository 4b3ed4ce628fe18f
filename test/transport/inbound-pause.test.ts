/**
 * An inbound link paused because its snapshot sink is behind (SNAPSHOT_RECEIVE_QUEUE_BYTES) is
 * resumed before it closes: a paused socket reads neither the peer's close frame nor its FIN, so
 * a close (a newer connection from the peer, a refused frame) waited for ws's 30 s close timer on
 * both ends. A fake socket records the calls; real frames from the codec.
 */
import assert from 'node:assert/strict'
import {EventEmitter} from 'node:events'
import {describe, it} from 'node:test'
import type {WebSocket} from 'ws'
import {encodeChunk, encodeFrame, encodeSnapshotHead} from '../../src/transport/codec.js'
import {InboundLink, SNAPSHOT_RECEIVE_QUEUE_BYTES} from '../../src/transport/inbound.js'
import {DEFAULT_PEER_LIMITS, MiB} from '../../src/transport/limits.js'
import {newCounters} from '../../src/transport/stats.js'
import {silentLogger} from '../../src/transport/logger.js'
import type {SnapshotSink} from '../../src/replica/snapshot-data.js'

/** The calls a link makes on its socket, in order. */
class FakeSocket extends EventEmitter {
  readonly calls: string[] = []
  pause(): void {
    this.calls.push('pause')
  }
  resume(): void {
    this.calls.push('resume')
  }
  close(): void {
    this.calls.push('close')
  }
  ping(): void {}
  terminate(): void {
    this.calls.push('terminate')
  }
}

/** A sink on a disk that never finishes a write. */
function stalledSink(held: (() => void)[]): SnapshotSink {
  return {write: (_bytes, done) => void held.push(() => done(null)), finish: () => {}, abort: () => {}}
}

describe('InboundLink: a link paused behind its snapshot sink', () => {
  it('is resumed before it closes, so the close handshake can complete', () => {
    const ws = new FakeSocket()
    const held: (() => void)[] = []
    const link = new InboundLink(ws as unknown as WebSocket, 'a', {
      self: 'b', limits: DEFAULT_PEER_LIMITS, logger: silentLogger, now: () => 0, counters: newCounters(),
      deliver: () => {}, onClose: () => {}, receiveSnapshot: () => stalledSink(held),
    })
    const data = new Uint8Array(SNAPSHOT_RECEIVE_QUEUE_BYTES + 2 * MiB)
    const head = encodeSnapshotHead({type: 'snapshot', from: 'a', to: 'b', term: 3, snapshot: {meta: {index: 9, term: 2, conf: {voters: ['a', 'b'], learners: []}}, data}}, {maxBytes: DEFAULT_PEER_LIMITS.maxSnapshotBytes})
    const message = new Uint8Array(head.length + data.length)
    message.set(head)
    const total = message.length
    for (let offset = 0; offset < total && !ws.calls.includes('pause'); offset += MiB) {
      const frame = encodeFrame([encodeChunk({from: 'a', to: 'b', total, offset, data: message.subarray(offset, Math.min(total, offset + MiB))})])
      ws.emit('message', Buffer.from(frame), true)
    }
    assert.deepEqual(ws.calls, ['pause'], 'paused once the sink is behind by more than the queue limit')
    link.close(1000, 'replaced by a newer connection')
    assert.deepEqual(ws.calls, ['pause', 'resume', 'close'])
    for (const done of held) done()
    assert.deepEqual(ws.calls, ['pause', 'resume', 'close'], 'writes ending after the close change nothing')
  })
})
