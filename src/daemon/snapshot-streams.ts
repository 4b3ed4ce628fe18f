/**
 * The snapshots a node holds for `raftctl snapshot save` (`snapshot.begin` / `snapshot.chunk` /
 * `snapshot.end`): each stream keeps a reference to the bytes of one durable local snapshot (an
 * immutable buffer, usually the one the Raft core keeps for followers: no copy) and hands them
 * out in chunks of SNAPSHOT_CHUNK_BYTES, each base64-encoded in well under a millisecond, so a
 * large state never makes one giant frame nor blocks the event loop. Bounded: at most
 * `maxStreams` open, each dropped after `idleMs` without a request (checked when one opens).
 */
import {SNAPSHOT_CHUNK_BYTES} from '../admin/protocol.js'
import {RaftctlError} from '../common/errors.js'

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
  readonly data: Uint8Array
  lastUsed: number
}

/** The open snapshot streams of one node. */
export class SnapshotStreams {
  private readonly streams = new Map<string, Stream>()
  private next = 1

  constructor(private readonly limits: SnapshotStreamLimits = SNAPSHOT_STREAM_DEFAULTS, private readonly now: () => number = Date.now) {}

  /** Open a stream over `data` (never modified afterwards); returns its id. Throws RaftctlError OVERLOADED when `maxStreams` are open. */
  open(data: Uint8Array): string {
    this.dropIdle()
    if (this.streams.size >= this.limits.maxStreams) {
      throw new RaftctlError('OVERLOADED', `${this.streams.size} snapshot streams are open (at most ${this.limits.maxStreams}); retry when one ends or after ${this.limits.idleMs / 1000} s`)
    }
    const id = `s${this.next++}`
    this.streams.set(id, {data, lastUsed: this.now()})
    return id
  }

  /** At most SNAPSHOT_CHUNK_BYTES bytes of stream `id` from `offset`, base64. NOT_FOUND for an unknown or expired stream, BAD_REQUEST past the end. */
  chunk(id: string, offset: number): string {
    const stream = this.streams.get(id)
    if (stream === undefined) throw new RaftctlError('NOT_FOUND', `no snapshot stream ${id} (it ended, or was idle for over ${this.limits.idleMs / 1000} s): start again`)
    if (offset >= stream.data.length) throw new RaftctlError('BAD_REQUEST', `offset ${offset} is past the end of snapshot stream ${id} (${stream.data.length} bytes)`)
    stream.lastUsed = this.now()
    const piece = stream.data.subarray(offset, Math.min(stream.data.length, offset + SNAPSHOT_CHUNK_BYTES))
    return Buffer.from(piece.buffer, piece.byteOffset, piece.length).toString('base64')
  }

  /** Release stream `id` (unknown ids are ignored). */
  close(id: string): void {
    this.streams.delete(id)
  }

  /** Number of open streams. */
  get size(): number {
    return this.streams.size
  }

  private dropIdle(): void {
    const now = this.now()
    for (const [id, s] of this.streams) if (now - s.lastUsed > this.limits.idleMs) this.streams.delete(id)
  }
}
