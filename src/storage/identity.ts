/**
 * The identity file of a node's data folder: which cluster the data belongs to and which node
 * wrote it (`<dataDir>/identity.json`). A daemon reads it before it opens anything else in the
 * folder and refuses to start on another node's or another cluster's data (the caller compares;
 * this file only reads, checks and writes). Written once, atomically (temp file, fsync, rename,
 * fsync of the folder), before the first hard state; rewritten only to record a cluster id that
 * was unknown, or whether the node is rebuilding. It also records the folder's incarnation: a
 * number chosen when the folder is created empty, higher each time (see
 * src/raft/README.md "A node that lost its data"). A torn or corrupt file is `CORRUPT`, never silently replaced: a folder whose
 * identity cannot be read is not proven to be this node's. See docs/storage.md.
 */
import {existsSync, readdirSync} from 'node:fs'
import {crc32} from 'node:zlib'
import {join} from 'node:path'
import {corrupt, StorageError, toStorageError} from './errors.js'
import {fsyncDir, nodeFs, writeFully, type FsOps} from './fs-ops.js'
import {storagePaths} from './recovery.js'
import {IDENTITY_FILE} from '../common/defaults.js'

/** Name of the identity file inside a node's data directory (one constant, in src/common, that local clusters read too). */
export {IDENTITY_FILE}

/** Format version of the identity file. */
export const IDENTITY_VERSION = 1

/** What a data folder says about itself. */
export interface DataIdentity {
  /** The cluster the data belongs to; null when it is not known (a folder adopted without `--cluster-id`). */
  readonly clusterId: string | null
  /** The node id that owns the data. */
  readonly nodeId: string
  /**
   * The incarnation of the data: chosen when the folder was created empty (milliseconds since
   * the epoch at creation), so a folder emptied and created again has a higher one. Absent in
   * files written before incarnations (read as 0).
   */
  readonly incarnation?: number
  /**
   * True while the node rebuilds: its folder was created empty although it was a member, and it
   * has not yet caught up with a leader. It refuses to vote until then, across restarts.
   * Absent: false.
   */
  readonly rebuilding?: boolean
}

/** Path of the identity file of `dataDir`. */
export function identityPath(dataDir: string): string {
  return join(dataDir, IDENTITY_FILE)
}

/**
 * The bytes that the checksum covers: the identity as canonical JSON (fixed key order). The
 * incarnation and rebuilding fields are written only when set, so files written before them
 * keep their checksum.
 */
function body(identity: DataIdentity): string {
  const extra: {incarnation?: number; rebuilding?: boolean} = {}
  if (identity.incarnation !== undefined) extra.incarnation = identity.incarnation
  if (identity.rebuilding === true) extra.rebuilding = true
  return JSON.stringify({version: IDENTITY_VERSION, clusterId: identity.clusterId, nodeId: identity.nodeId, ...extra})
}

/** The file's text: the body with its crc32 appended as a last field. */
export function encodeIdentity(identity: DataIdentity): string {
  const text = body(identity)
  return `${text.slice(0, -1)},"crc32":${crc32(Buffer.from(text, 'utf8'))}}\n`
}

/**
 * Parse the file's text. Throws StorageError `CORRUPT` naming `file` for anything but a whole,
 * checksummed identity of a known version (torn writes, flipped bytes, hand edits).
 */
export function decodeIdentity(text: string, file: string): DataIdentity {
  let value: Record<string, unknown>
  try {
    value = JSON.parse(text) as Record<string, unknown>
  } catch (err) {
    throw corrupt(file, 0, `identity file is not JSON (torn or damaged): ${(err as Error).message}`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw corrupt(file, 0, 'identity file does not hold an object')
  if (value.version !== IDENTITY_VERSION) throw corrupt(file, 0, `identity file has unknown version ${JSON.stringify(value.version)}`)
  const {clusterId, nodeId, incarnation, rebuilding} = value
  if (typeof nodeId !== 'string' || nodeId === '') throw corrupt(file, 0, 'identity file has no node id')
  if (clusterId !== null && (typeof clusterId !== 'string' || clusterId === '')) throw corrupt(file, 0, 'identity file has an invalid cluster id')
  if (incarnation !== undefined && (typeof incarnation !== 'number' || !Number.isSafeInteger(incarnation) || incarnation < 1)) throw corrupt(file, 0, 'identity file has an invalid incarnation')
  if (rebuilding !== undefined && rebuilding !== true) throw corrupt(file, 0, 'identity file has an invalid rebuilding mark')
  const identity: DataIdentity = {clusterId, nodeId, ...(incarnation !== undefined ? {incarnation} : {}), ...(rebuilding === true ? {rebuilding} : {})}
  if (value.crc32 !== crc32(Buffer.from(body(identity), 'utf8'))) throw corrupt(file, 0, 'identity file checksum mismatch')
  return identity
}

/**
 * The identity recorded in `dataDir`, or null when the folder has no identity file (a new
 * folder, or one written before identities existed). Reads only. Throws StorageError
 * `CORRUPT` for a damaged file and `STORAGE_IO` when it cannot be read.
 */
export function readIdentity(dataDir: string, ops: FsOps = nodeFs): DataIdentity | null {
  const file = identityPath(dataDir)
  let bytes: Buffer
  try {
    bytes = ops.readFileSync(file)
  } catch (err) {
    if ((err as {code?: unknown}).code === 'ENOENT') return null
    throw toStorageError(err, 'reading', file)
  }
  return decodeIdentity(bytes.toString('utf8'), file)
}

/**
 * Record `identity` in `dataDir` atomically and durably: write a temp file, fsync it, rename it
 * over the identity file, fsync the folder. A crash leaves the old file or the new one, never a
 * mix. With `sync: false` (the daemon's `--unsafe-no-fsync`) nothing is fsynced.
 */
export function writeIdentity(dataDir: string, identity: DataIdentity, options: {readonly sync?: boolean; readonly fs?: FsOps} = {}): void {
  const ops = options.fs ?? nodeFs
  const sync = options.sync ?? true
  const file = identityPath(dataDir)
  const tmp = `${file}.tmp`
  try {
    const fd = ops.openSync(tmp, 'w')
    try {
      writeFully(ops, fd, Buffer.from(encodeIdentity(identity), 'utf8'), 0)
      if (sync) ops.fsyncSync(fd)
    } finally {
      ops.closeSync(fd)
    }
    ops.renameSync(tmp, file)
    if (sync) fsyncDir(ops, dataDir)
  } catch (err) {
    throw err instanceof StorageError ? err : toStorageError(err, 'writing', tmp)
  }
}

/**
 * True when the FileStorage directory `storageDir` holds Raft data (a WAL segment or a
 * snapshot file, or anything else in their folders): a data folder from before identity files
 * is told from a new one by this. Reads only.
 */
export function hasStoredData(storageDir: string): boolean {
  const {walDir, snapDir} = storagePaths(storageDir)
  return [walDir, snapDir].some((dir) => existsSync(dir) && readdirSync(dir).length > 0)
}
