/**
 * The two forms of a snapshot's data (the core's opaque `SnapshotData`): the encoded bytes in
 * memory (the simulator, tests, a snapshot just received), or a {@link SnapshotSource}: a handle
 * on the durable snapshot file that holds them (the daemon's storage makes them,
 * `SnapshotFileData`: a node keeps no encoded snapshot in memory; at a million keys it is
 * ~122 MiB). Readers of either: whole bytes where a caller needs them in memory anyway, and
 * pieces read asynchronously for senders that stream them out. No I/O here: a source reads itself.
 */
import type {SnapshotData} from '../raft/types.js'

/** Snapshot data held outside memory (a file), readable in pieces. Immutable. */
export interface SnapshotSource extends SnapshotData {
  /** Open for reading: a file opened now stays readable until the reader is closed, even once a newer snapshot deleted it. `done` gets an error (ENOENT: replaced meanwhile) or the reader. */
  openReader(done: (err: Error | null, reader: SnapshotDataReader | null) => void): void
  /** For messages: what holds the data (e.g. `file /path`). */
  describe(): string
}

/** True when `data` is a {@link SnapshotSource}. */
export function isSnapshotSource(data: SnapshotData): data is SnapshotSource {
  return typeof (data as Partial<SnapshotSource>).openReader === 'function'
}

/** The data as bytes; throws when they are only in a source (callers that can stream use {@link openSnapshotData}). */
export function snapshotBytes(data: SnapshotData): Uint8Array {
  if (data instanceof Uint8Array) return data
  throw new Error(`snapshot data of ${data.byteLength} bytes is not in memory (${describe(data)})`)
}

/** Reads pieces of one snapshot's data; {@link close} when done (a file stays readable while open, even once a newer snapshot deleted it). */
export interface SnapshotDataReader {
  /** Size of the data. */
  readonly byteLength: number
  /**
   * Bytes [at, at + length) of the data (at + length ≤ byteLength): a view of immutable bytes in
   * memory, or read from the file into `into` (its first `length` bytes; at least that long) when
   * given, else into a fresh buffer. A caller that passes `into` must not touch it until `done`.
   */
  read(at: number, length: number, done: (err: Error | null, bytes: Uint8Array | null) => void, into?: Uint8Array): void
  /** Release the file (idempotent). */
  close(): void
}

/** Open `data` for reading in pieces: bytes in memory are read at once, a source reads itself (see {@link SnapshotSource.openReader}). */
export function openSnapshotData(data: SnapshotData, done: (err: Error | null, reader: SnapshotDataReader | null) => void): void {
  if (data instanceof Uint8Array) return done(null, bytesReader(data))
  if (isSnapshotSource(data)) return data.openReader(done)
  done(new Error(`cannot read snapshot data (${describe(data)})`), null)
}

function bytesReader(bytes: Uint8Array): SnapshotDataReader {
  return {
    byteLength: bytes.length,
    read: (at, length, done) => done(null, bytes.subarray(at, at + length)),
    close: () => {},
  }
}

function describe(data: SnapshotData): string {
  return isSnapshotSource(data) ? data.describe() : typeof data
}
