/**
 * Reading a snapshot file as `snapshot inspect`, `snapshot restore` and `node run --restore`
 * do: the file verified (format.ts), its data decoded and checked as the KV state machine
 * would restore them, and the content hash computed. The content hash is the one definition
 * shared with the live consistency check (docs/operations.md): SHA-256, hex, of the KV state
 * machine's snapshot encoding (`KvStateMachine.snapshot()`) of the state after applying the
 * index.
 */
import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {RaftctlError} from '../common/errors.js'
import {KvError, KvStateMachine} from '../kv/index.js'
import {decodeBackup, type BackupFile, type BackupMeta} from './format.js'

/** `raftctl snapshot inspect --json`: everything the file says, verified. */
export interface SnapshotInspectResult {
  readonly file: string
  readonly clusterId: string | null
  /** The node that produced the snapshot. */
  readonly node: string
  readonly index: number
  readonly term: number
  readonly members: BackupMeta['members']
  /** Keys in the state. */
  readonly keys: number
  /** Client sessions kept (exactly-once records). */
  readonly sessions: number
  /** Size of the file. */
  readonly bytes: number
  /** Size of the KV snapshot inside it. */
  readonly dataBytes: number
  /** True: the file's SHA-256 and the KV snapshot's own checks passed (any failure is an error instead). */
  readonly checksumVerified: true
  /** SHA-256 of the whole file but its last 32 bytes (hex): the checksum it stores. */
  readonly checksum: string
  /** SHA-256 (hex) of `KvStateMachine.snapshot()` of the state at `index`: equal to the live hash of that index. */
  readonly contentHash: string
  readonly createdAt: string
  /** raftctl version of the node that produced it. */
  readonly version: string
}

/** A verified snapshot file with its state decoded. */
export interface LoadedSnapshot {
  readonly file: BackupFile
  /** A state machine holding the snapshot's state. */
  readonly kv: KvStateMachine
}

/** {@link SnapshotInspectResult.contentHash} of a state machine's current state. */
export function contentHash(kv: KvStateMachine): string {
  return createHash('sha256').update(kv.snapshot()).digest('hex')
}

/**
 * Read and verify the snapshot file at `path` and restore its state into a fresh state machine.
 * Throws RaftctlError: `BAD_INPUT` (unreadable file), `NOT_A_SNAPSHOT`,
 * `UNSUPPORTED_SNAPSHOT_VERSION`, `SNAPSHOT_TRUNCATED`, `SNAPSHOT_CORRUPT`.
 */
export function loadSnapshotFile(path: string): LoadedSnapshot {
  let buf: Buffer
  try {
    buf = readFileSync(path)
  } catch (err) {
    throw new RaftctlError('BAD_INPUT', `cannot read snapshot file ${path}: ${(err as Error).message}`)
  }
  const file = decodeBackup(buf, path)
  const kv = new KvStateMachine()
  try {
    kv.restore(file.data)
  } catch (err) {
    if (!(err instanceof KvError)) throw err
    throw new RaftctlError('SNAPSHOT_CORRUPT', `${path} is a damaged snapshot: its key-value state is invalid: ${err.message}`)
  }
  if (kv.appliedIndex > file.meta.index) {
    throw new RaftctlError('SNAPSHOT_CORRUPT', `${path} is a damaged snapshot: its key-value state is at index ${kv.appliedIndex}, after the snapshot's index ${file.meta.index}`)
  }
  return {file, kv}
}

/** `snapshot inspect`: load `path` and summarize it (throws as {@link loadSnapshotFile}). */
export function inspectSnapshotFile(path: string): SnapshotInspectResult {
  const {file, kv} = loadSnapshotFile(path)
  const {meta} = file
  return {
    file: path, clusterId: meta.clusterId, node: meta.node, index: meta.index, term: meta.term, members: meta.members,
    keys: kv.size, sessions: kv.sessionCount, bytes: file.bytes, dataBytes: meta.dataBytes, checksumVerified: true,
    checksum: file.checksum, contentHash: contentHash(kv), createdAt: meta.createdAt, version: meta.version,
  }
}
