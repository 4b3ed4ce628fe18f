/**
 * The snapshots a node holds for `raftctl snapshot save` (`snapshot.begin` / `snapshot.chunk` /
 * `snapshot.end`): each stream reads one durable local snapshot's data, the snapshot file the
 * node keeps a handle on (or bytes in memory, in tests), in chunks of SNAPSHOT_CHUNK_BYTES read
 * in the thread pool and base64-encoded in well under a millisecond, so a large state never
 * makes one giant frame, never sits whole in memory, nor blocks the event loop. A stream holds
 * its file open, so a newer snapshot deleting it does not cut the save. Bounded: at most
 * `maxStreams` open, each dropped (its file closed) after `idleMs` without a request (checked
 * when one opens).
 */
import {SNAPSHOT_CHUNK_BYTES} from '../admin/protocol.js'
import {RaftctlError} from '../common/errors.js'
import type {SnapshotData} from '../raft/types.js'
import {openSnapshotData, type SnapshotDataReader} from '../replica/snapshot-data.js'

/** Limits of {@link SnapshotStreams}. */
export interface SnapshotStreamLimits {
  /** Streams open at once; one more is refused with OVERLOADED. Default 4. */
  readonly maxStreams: number
  /** A stream not read for this long is dropped (its reader gets NOT_FOUND). Default 60 s. */
  readonly idleMs: number
}

/** Defaults of {@link SnapshotStreamLimits}. */
export const SNAPSHOT_STREAM_DEFAULTS: SnapshotStreamLimits = Object.freeze({maxStreams: 4, idleMs: 60_000})

interface Stream {
  readonly reader: SnapshotDataReader
  lastUsed: number
}

/** The open snapshot streams of one node. */
export class SnapshotStreams {
  private readonly streams = new Map<string, Stream>()
  private next = 1

  constructor(private readonly limits: SnapshotStreamLimits = SNAPSHOT_STREAM_DEFAULTS, private readonly now: () => number = Date.now) {}

  /**
   * Open a stream over `data` (never modified afterwards); resolves to its id. Rejects with
   * RaftctlError OVERLOADED when `maxStreams` are open, UNAVAILABLE when the snapshot's file
   * cannot be opened (a newer snapshot replaced it: start again).
   */
  async open(data: SnapshotData): Promise<string> {
    this.dropIdle()
    this.checkRoom()
    const reader = await new Promise<SnapshotDataReader>((resolve, reject) => openSnapshotData(data, (err, r) => {
      if (err !== null || r === null) reject(new RaftctlError('UNAVAILABLE', `cannot read the snapshot: ${err?.message ?? 'no reader'}; start again`))
      else resolve(r)
    }))
    try {
      this.checkRoom()
    } catch (err) {
      reader.close()
      throw err
    }
    const id = `s${this.next++}`
    this.streams.set(id, {reader, lastUsed: this.now()})
    return id
  }

  /** At most SNAPSHOT_CHUNK_BYTES bytes of stream `id` from `offset`, base64. NOT_FOUND for an unknown or expired stream, BAD_REQUEST past the end, UNAVAILABLE when the file cannot be read. */
  async chunk(id: string, offset: number): Promise<string> {
    const stream = this.streams.get(id)
    if (stream === undefined) throw new RaftctlError('NOT_FOUND', `no snapshot stream ${id} (it ended, or was idle for over ${this.limits.idleMs / 1000} s): start again`)
    const {reader} = stream
    if (offset >= reader.byteLength) throw new RaftctlError('BAD_REQUEST', `offset ${offset} is past the end of snapshot stream ${id} (${reader.byteLength} bytes)`)
    stream.lastUsed = this.now()
    const piece = await new Promise<Uint8Array>((resolve, reject) => reader.read(offset, Math.min(reader.byteLength - offset, SNAPSHOT_CHUNK_BYTES), (err, bytes) => {
      if (err !== null || bytes === null) reject(new RaftctlError('UNAVAILABLE', `cannot read snapshot stream ${id}: ${err?.message ?? 'no data'}`))
      else resolve(bytes)
    }))
    return Buffer.from(piece.buffer, piece.byteOffset, piece.length).toString('base64')
  }

  /** Release stream `id` and its file (unknown ids are ignored). */
  close(id: string): void {
    this.streams.get(id)?.reader.close()
    this.streams.delete(id)
  }

  /** Number of open streams. */
  get size(): number {
    return this.streams.size
  }

  private checkRoom(): void {
    if (this.streams.size >= this.limits.maxStreams) {
      throw new RaftctlError('OVERLOADED', `${this.streams.size} snapshot streams are open (at most ${this.limits.maxStreams}); retry when one ends or after ${this.limits.idleMs / 1000} s`)
    }
  }

  private dropIdle(): void {
    const now = this.now()
    for (const [id, s] of this.streams) if (now - s.lastUsed > this.limits.idleMs) this.close(id)
  }
}
