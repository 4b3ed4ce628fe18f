/**
 * Test helper: the largest binary buffer reachable from an object through its properties, Map
 * and Set members and array items (closures and `#private` fields are not followed; the store's
 * {@link KeyRecords}, which hold the state's values, are skipped). A
 * behavioural check that a replica keeps no encoded snapshot in memory, whatever the timing.
 */
import {KeyRecords} from '../../src/kv/key-records.js'

/** Bytes of the largest ArrayBuffer (or the buffer under a view) reachable from `root`. */
export function largestReachableBuffer(root: unknown, limit = 2_000_000): number {
  const seen = new Set<unknown>()
  const stack: unknown[] = [root]
  let largest = 0
  while (stack.length > 0 && seen.size < limit) {
    const value = stack.pop()
    if (typeof value !== 'object' || value === null || seen.has(value)) continue
    seen.add(value)
    // The store's own tables (its values, off the JavaScript heap) are the state, not bytes received.
    if (value instanceof KeyRecords) continue
    if (value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) {
      largest = Math.max(largest, value.byteLength)
      continue
    }
    if (ArrayBuffer.isView(value)) {
      largest = Math.max(largest, value.buffer.byteLength)
      continue
    }
    if (value instanceof Map) for (const [k, v] of value) stack.push(k, v)
    else if (value instanceof Set) for (const v of value) stack.push(v)
    for (const key of Reflect.ownKeys(value)) {
      const d = Object.getOwnPropertyDescriptor(value, key)
      if (d && 'value' in d) stack.push(d.value)
    }
  }
  if (stack.length > 0) throw new Error(`walked ${limit} objects without finishing`)
  return largest
}
