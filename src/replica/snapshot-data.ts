/**
 * The two forms of a snapshot's data (the core's opaque `SnapshotData`): the encoded bytes in
 * memory (the simulator, tests, a snapshot just received), or a {@link SnapshotSource}: a handle
 * on the durable snapshot file that holds them (the daemon's storage makes them,
 * `SnapshotFileData`: a node keeps no encoded snapshot in memory; at a million keys it is
 * ~122 MiB). Readers of either: whole bytes where a caller needs them in memory anyway, and
 * pieces read asynchronously for senders that stream them out. No I/O here: a source reads itself.
 */
import type {SnapshotData, SnapshotMeta} from '../raft/types.js'

/** Snapshot data held outside memory (a file), readable in pieces. Immutable. */
export interface SnapshotSource extends SnapshotData {
  /** Open for reading: a file opened now stays readable until the reader is closed, even once a newer snapshot deleted it. `done` gets an error (ENOENT: replaced meanwhile) or the reader. */
  openReader(done: (err: Error | null, reader: SnapshotDataReader | null) => void): void
  /** For messages: what holds the data (e.g. `file /path`). */
  describe(): string
  /**
   * Optional: nobody needs these data any more (a snapshot received from the leader that the core
   * did not keep, or that a newer one replaced before it was installed): a received temp file is
   * deleted. A no-op once the storage adopted the file as its snapshot, and when called again.
   */
  release?(): void
}

/** Release `data` when it is a source that can be released ({@link SnapshotSource.release}); bytes need nothing. */
export function releaseSnapshotData(data: SnapshotData): void {
  if (isSnapshotSource(data)) data.release?.()
}

/**
 * Where a snapshot received from the leader in chunks goes as it arrives (a temp file in the
 * daemon's snapshot folder), instead of one buffer of the whole message: the transport hands it
 * the data's bytes in order, then asks for the result once the last chunk is in.
 */
export interface SnapshotSink {
  /**
   * Append `bytes`, the next data bytes, in order. Written in the background (the thread pool);
   * `done` once they are (or with the error: the sink is then useless, {@link abort} it). The
   * caller leaves `bytes` unchanged until `done`. Several writes may be pending; they land in order.
   */
  write(bytes: Uint8Array, done: (err: Error | null) => void): void
  /**
   * Every data byte was written: check them (a checksum) and make them durable, then `done` gets
   * the snapshot's data (a handle on the file, never the bytes), or an error (a corrupt snapshot,
   * a failed sync: the file is removed).
   */
  finish(done: (err: Error | null, data: SnapshotData | null) => void): void
  /** Give up (connection lost, refused, stale): what was written is removed. Idempotent; also after a failure. */
  abort(): void
}

/** Opens a {@link SnapshotSink} for a snapshot with `meta` and `byteLength` bytes of data (the transport's `receiveSnapshot` option). */
export type OpenSnapshotSink = (meta: SnapshotMeta, byteLength: number) => SnapshotSink

/**
 * A check of a snapshot's data as they stream in (the state machine's own checksum, so a corrupt
 * transfer is refused before the core sees it): `update` with each piece in order, then `verify`
 * gives null when the data are whole and sound, else why not.
 */
export interface SnapshotDataCheck {
  update(piece: Uint8Array): void
  verify(): string | null
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
