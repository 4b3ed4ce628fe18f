/** Checks shared by the watch tests on real daemons (test/daemon/watch.int.test.ts, netns-watch.int.test.ts). */
import assert from 'node:assert/strict'
import type {KvWatchEvent} from '../../src/client/index.js'

/**
 * The events from position `from` on are exactly the values `written` (each once, in the order
 * written), and every event's index is above the one before it (one put per entry: no repeat).
 */
export function assertOnceInOrder(received: readonly KvWatchEvent[], from: number, written: readonly string[]): void {
  assert.deepEqual(received.slice(from).map((e) => e.value), written, 'every write once, in order')
  const indexes = received.map((e) => e.index)
  assert.ok(indexes.every((x, i) => i === 0 || x > indexes[i - 1]!), `indexes strictly increase (no repeat): ${indexes.join(',')}`)
}
