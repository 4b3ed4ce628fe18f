/**
 * SnapshotSend: one snapshot message on its way to one peer as chunk items made one at a time
 * (its encoded head, then slices of its data: no encoded copy of the whole message). The data
 * are the snapshot's bytes, or the snapshot file a node keeps a handle on, read a chunk ahead in
 * the thread pool into one buffer reused for every chunk (a chunk item is a copy: the buffer is
 * free again once its chunk is encoded): at most one chunk read ahead plus the window in flight
 * are in memory, and a send allocates no read buffer per chunk. The
 * outbound link pulls the next chunk only while its window of chunks in flight has room
 * (limits.ts, `snapshotWindowBytes`); a chunk not read yet wakes the link when it is.
 */
import type {NodeId, SnapshotRequest} from '../raft/types.js'
import {openSnapshotData, type SnapshotDataReader} from '../replica/snapshot-data.js'
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
  /** Why the data could not be read (the send is then over, unfinished), or null. */
  error: Error | null = null
  /** Bytes of the message handed out as chunks so far. */
  private offset = 0
  private readonly from: NodeId
  private readonly message: SnapshotRequest
  private reader: SnapshotDataReader | null = null
  /** The next chunk's bytes (head and/or data), read ahead. */
  private ahead: Uint8Array | null = null
  private fetching = false
  private released = false
  /** True while {@link next} runs: a read finishing then needs no wake-up. */
  private inNext = false
  /** Where chunks of a file are read, reused (allocated at the first read). */
  private readBuffer: Uint8Array | null = null

  /**
   * @param message the snapshot message; its data (bytes or a file handle) are read, never changed (the core's snapshots are immutable)
   * @param head `encodeSnapshotHead(message)`
   * @param chunkBytes message bytes per chunk (≥ 1)
   */
  constructor(message: SnapshotRequest, private readonly head: Uint8Array, private readonly chunkBytes: number) {
    this.message = message
    this.from = message.from
    this.to = message.to
    this.index = message.snapshot.meta.index
    this.term = message.snapshot.meta.term
    this.messageTerm = message.term
    this.total = head.length + message.snapshot.data.byteLength
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

  /**
   * The next chunk item (an input of encodeFrame), or null when its bytes are still being read:
   * then `wake` is called once they are (or once reading failed: {@link error}). Call only while
   * not {@link done} and without an error.
   */
  next(wake: () => void): Uint8Array | null {
    this.inNext = true
    try {
      if (this.ahead === null) this.fetch(wake)
      const piece = this.ahead
      if (piece === null) return null
      this.ahead = null
      const offset = this.offset
      this.offset += piece.length
      // Encode (a copy) before the next read may reuse the buffer `piece` is in.
      const item = encodeChunk({from: this.from, to: this.to, total: this.total, offset, data: piece})
      if (this.done) this.release()
      else this.fetch(wake)
      return item
    } finally {
      this.inNext = false
    }
  }

  /** Close the data's file (the send ended or was dropped): now, or once a read in progress ends. Idempotent. */
  release(): void {
    this.released = true
    this.ahead = null
    this.readBuffer = null
    if (!this.fetching) this.closeReader()
  }

  private closeReader(): void {
    this.reader?.close()
    this.reader = null
  }

  /** Read the chunk at {@link offset} ahead, unless one is read or being read. */
  private fetch(wake: () => void): void {
    if (this.fetching || this.ahead !== null || this.error !== null || this.released || this.done) return
    const start = this.offset
    const end = Math.min(start + this.chunkBytes, this.total)
    const headBytes = this.head.length
    if (end <= headBytes) return void (this.ahead = this.head.subarray(start, end))
    this.fetching = true
    this.withReader(wake, (reader) => {
      const dataStart = Math.max(0, start - headBytes)
      this.readBuffer ??= new Uint8Array(this.chunkBytes)
      reader.read(dataStart, end - headBytes - dataStart, (err, bytes) => {
        if (err !== null || bytes === null) return this.fail(err ?? new Error('no data read'), wake)
        if (start >= headBytes) return this.fetched(bytes, wake)
        const piece = new Uint8Array(end - start)
        piece.set(this.head.subarray(start))
        piece.set(bytes, headBytes - start)
        this.fetched(piece, wake)
      }, this.readBuffer)
    })
  }

  private withReader(wake: () => void, use: (reader: SnapshotDataReader) => void): void {
    if (this.reader !== null) return use(this.reader)
    openSnapshotData(this.message.snapshot.data, (err, reader) => {
      if (err !== null || reader === null) return this.fail(err ?? new Error('no reader'), wake)
      if (this.released) {
        this.fetching = false
        return reader.close()
      }
      this.reader = reader
      use(reader)
    })
  }

  private fetched(piece: Uint8Array, wake: () => void): void {
    this.fetching = false
    if (this.released) return this.closeReader()
    this.ahead = piece
    if (!this.inNext) wake()
  }

  private fail(err: Error, wake: () => void): void {
    this.fetching = false
    if (this.released) return this.closeReader()
    this.error = err
    this.release()
    if (!this.inNext) wake()
  }
}
