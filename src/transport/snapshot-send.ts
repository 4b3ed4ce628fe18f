/**
 * SnapshotSend: one snapshot message too large for a frame, on its way to one peer as chunk
 * items made one at a time from the snapshot's own bytes (its encoded head, then slices of its
 * data: no encoded copy of the whole message). The outbound link pulls the next chunk only while
 * its window of chunks in flight has room (limits.ts, `snapshotWindowBytes`).
 */
import type {NodeId, SnapshotRequest} from '../raft/types.js'
import {encodeChunk} from './codec.js'

/** The chunks of one snapshot message, produced in order by {@link next}. */
export class SnapshotSend {
  /** The receiving peer. */
  readonly to: NodeId
  /** The snapshot's index (meta). */
  readonly index: number
  /** The snapshot's term (meta). */
  readonly term: number
  /** The term of the message (the leader's term when it sent it). */
  readonly messageTerm: number
  /** Bytes of the whole encoded message (head + data). */
  readonly total: number
  /** Bytes of the message handed out as chunks so far. */
  private offset = 0
  private readonly from: NodeId
  private readonly data: Uint8Array

  /**
   * @param message the snapshot message; its data is referenced, never changed (the core's snapshots are immutable)
   * @param head `encodeSnapshotHead(message)`
   * @param chunkBytes data bytes per chunk (≥ 1)
   */
  constructor(message: SnapshotRequest, private readonly head: Uint8Array, private readonly chunkBytes: number) {
    this.from = message.from
    this.to = message.to
    this.index = message.snapshot.meta.index
    this.term = message.snapshot.meta.term
    this.messageTerm = message.term
    this.data = message.snapshot.data
    this.total = head.length + this.data.length
  }

  /** True once every chunk was handed out. */
  get done(): boolean {
    return this.offset >= this.total
  }

  /** Bytes of the message handed out so far. */
  get sentBytes(): number {
    return this.offset
  }

  /** True when `message` is this same snapshot, sent in the same term. */
  sameAs(message: SnapshotRequest): boolean {
    return message.snapshot.meta.index === this.index && message.snapshot.meta.term === this.term && message.term === this.messageTerm
  }

  /** The next chunk item (an input of encodeFrame). Call only while not {@link done}. */
  next(): Uint8Array {
    const offset = this.offset
    const end = Math.min(offset + this.chunkBytes, this.total)
    this.offset = end
    return encodeChunk({from: this.from, to: this.to, total: this.total, offset, data: this.slice(offset, end)})
  }

  /** Bytes [start, end) of head + data (a view of the data, or a small copy where the head ends). */
  private slice(start: number, end: number): Uint8Array {
    const headBytes = this.head.length
    if (start >= headBytes) return this.data.subarray(start - headBytes, end - headBytes)
    const piece = new Uint8Array(end - start)
    piece.set(this.head.subarray(start, Math.min(end, headBytes)))
    if (end > headBytes) piece.set(this.data.subarray(0, end - headBytes), headBytes - start)
    return piece
  }
}
