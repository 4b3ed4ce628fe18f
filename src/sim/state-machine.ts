/**
 * The simulator's state machine: a running hash of every applied command. Two replicas that
 * applied the same commands in the same order have the same hash, so comparing hashes at equal
 * indexes checks state-machine safety, snapshots included.
 */
import type {StateMachine} from '../replica/ports.js'

/** FNV-1a over the command bytes, chained. */
export class HashStateMachine implements StateMachine {
  hash = 0x811c9dc5
  count = 0

  apply(_index: number, data: Uint8Array): Uint8Array {
    let h = this.hash
    for (let i = 0; i < data.length; i++) {
      h ^= data[i]!
      h = Math.imul(h, 0x01000193) >>> 0
    }
    this.hash = h
    this.count++
    const out = new Uint8Array(4)
    new DataView(out.buffer).setUint32(0, this.count)
    return out
  }

  /** The state hash a snapshot's bytes hold. */
  static hashOf(data: Uint8Array): number {
    const sm = new HashStateMachine()
    sm.restore(data)
    return sm.hash
  }

  snapshot(): Uint8Array {
    const out = new Uint8Array(8)
    const v = new DataView(out.buffer)
    v.setUint32(0, this.hash)
    v.setUint32(4, this.count)
    return out
  }

  restore(data: Uint8Array): void {
    if (data.length === 0) {
      this.hash = 0x811c9dc5
      this.count = 0
      return
    }
    if (data.length !== 8) throw new Error('bad sim snapshot')
    const v = new DataView(data.buffer, data.byteOffset, data.byteLength)
    this.hash = v.getUint32(0)
    this.count = v.getUint32(4)
  }
}
