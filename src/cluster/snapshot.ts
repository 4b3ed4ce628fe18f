/**
 * Backup and restore of a local cluster (docs/operations.md):
 * - {@link saveSnapshot}: stream a consistent snapshot from the leader (or one node) over the
 *   admin channel, chunk by chunk, into a temporary file beside the target, checksummed as it
 *   arrives, fsynced, renamed into place, then read back and verified;
 * - {@link restoreSnapshot}: create a NEW local cluster (new cluster id, new nodes) whose nodes
 *   lay out their data from the file (`node run --restore`) and start.
 */
import {createHash} from 'node:crypto'
import {open, rename, rm, stat} from 'node:fs/promises'
import {basename, dirname, join, resolve} from 'node:path'
import {RaftctlError} from '../common/errors.js'
import {encodeBackupHead, inspectSnapshotFile, type BackupMeta, type SnapshotInspectResult} from '../backup/index.js'
import type {AdminClient} from '../client/index.js'
import type {LocalCluster} from './cluster.js'
import type {ClusterHandle} from './handle.js'
import {removeClusterFiles} from './manifest.js'

/** Options of {@link saveSnapshot}. */
export interface SaveSnapshotOptions {
  /** Save from this node instead of the leader (any node: its state is a consistent prefix). */
  readonly node?: string
  /** Give up on one request (the first one waits for the node's durable snapshot) after this long, ms. */
  readonly timeoutMs: number
  /** Told after each chunk: bytes of state received so far, of `total`. */
  readonly onProgress?: (received: number, total: number) => void
}

/** `raftctl snapshot save --json`: the saved file, as `snapshot inspect` reads it back. */
export type SnapshotSaveResult = SnapshotInspectResult & {
  /** Seconds from the request to the verified file. */
  readonly seconds: number
}

/**
 * Save a snapshot of `cluster` into `file` (replaced atomically if it exists). On any failure
 * the temporary file is removed and `file` is untouched. Errors: the node's or the client's
 * (NO_LEADER, UNAVAILABLE, TIMEOUT, …), BAD_RESPONSE for a chunk of the wrong size, BAD_INPUT
 * when `file` is a directory or cannot be written.
 */
export async function saveSnapshot(cluster: ClusterHandle, file: string, options: SaveSnapshotOptions): Promise<SnapshotSaveResult> {
  const started = performance.now()
  const path = resolve(file)
  if ((await stat(path).catch(() => null))?.isDirectory()) throw new RaftctlError('BAD_INPUT', `${path} is a directory: give a file name`)
  const fetch = (client: AdminClient): Promise<void> => streamInto(client, path, options)
  if (options.node === undefined) {
    await cluster.withLeader(fetch, options.timeoutMs)
  } else {
    const client = cluster.admin(options.node, options.timeoutMs)
    try {
      await fetch(client)
    } finally {
      await client.close()
    }
  }
  const verified = inspectSnapshotFile(path)
  return {...verified, seconds: (performance.now() - started) / 1000}
}

/** Read one node's snapshot stream into `path` through a temporary file. */
async function streamInto(client: AdminClient, path: string, options: SaveSnapshotOptions): Promise<void> {
  const begin = await client.request('snapshot.begin', {}, {timeoutMs: options.timeoutMs})
  const meta: BackupMeta = {
    clusterId: begin.clusterId, node: begin.node, index: begin.index, term: begin.term, members: begin.members,
    dataBytes: begin.bytes, createdAt: new Date().toISOString(), version: begin.version,
  }
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`)
  let fh: Awaited<ReturnType<typeof open>> | null = null
  try {
    fh = await open(temp, 'w', 0o600).catch((err: Error) => {
      throw new RaftctlError('BAD_INPUT', `cannot write ${temp}: ${err.message}`)
    })
    const hash = createHash('sha256')
    const write = async (bytes: Uint8Array): Promise<void> => {
      hash.update(bytes)
      await fh!.write(bytes)
    }
    await write(encodeBackupHead(meta))
    for (let offset = 0; offset < begin.bytes;) {
      const {data} = await client.request('snapshot.chunk', {stream: begin.stream, offset}, {timeoutMs: options.timeoutMs})
      const bytes = Buffer.from(data, 'base64')
      const expected = Math.min(begin.chunkBytes, begin.bytes - offset)
      if (bytes.length !== expected) throw new RaftctlError('BAD_RESPONSE', `${begin.node} sent ${bytes.length} bytes at offset ${offset}, expected ${expected}`)
      await write(bytes)
      offset += bytes.length
      options.onProgress?.(offset, begin.bytes)
    }
    await fh.write(hash.digest())
    await fh.datasync()
    await fh.close()
    fh = null
    await rename(temp, path)
    await syncDirectory(dirname(path))
  } catch (err) {
    await fh?.close().catch(() => undefined)
    await rm(temp, {force: true})
    throw err
  } finally {
    await client.request('snapshot.end', {stream: begin.stream}).catch(() => undefined)
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const fh = await open(dir, 'r')
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}

/** Options of {@link restoreSnapshot}. */
export interface RestoreSnapshotOptions {
  /** Voters of the new cluster (n1..nN). */
  readonly nodes: number
  /** Replace a stopped cluster of the same name (its data is deleted). */
  readonly force: boolean
}

/** What {@link restoreSnapshot} did (the command adds the status). */
export interface RestoreOutcome {
  /** The snapshot file, verified. */
  readonly from: SnapshotInspectResult
  /** The new cluster's id. */
  readonly clusterId: string
  /** The nodes started. */
  readonly nodes: string[]
  /** True when a stopped cluster of that name was replaced (`force`). */
  readonly replaced: boolean
}

/**
 * Verify `file`, then create the local cluster `cluster` from it: a new cluster id, `nodes`
 * founders each laying out its data from the file (`node run --restore`), started. Run it inside
 * {@link LocalCluster.exclusive}. Refuses, changing nothing: a bad file (its code), an existing
 * cluster of that name with a running node (CLUSTER_RUNNING, even with `force`), or without
 * `force` (CLUSTER_EXISTS). When a node fails to start (SPAWN_FAILED with its reason), the new
 * cluster is destroyed again.
 */
export async function restoreSnapshot(cluster: LocalCluster, file: string, options: RestoreSnapshotOptions): Promise<RestoreOutcome> {
  const path = resolve(file)
  const from = inspectSnapshotFile(path)
  const replaced = cluster.exists()
  if (replaced) {
    const running = cluster.manifest().nodes.filter((n) => cluster.pid(n.id) !== null).map((n) => n.id)
    if (running.length > 0) {
      throw new RaftctlError('CLUSTER_RUNNING', `cluster ${cluster.name} is running (${running.join(', ')}): a snapshot is never restored into a running cluster. Restore into a new name, or stop and destroy it first`)
    }
    if (!options.force) {
      throw new RaftctlError('CLUSTER_EXISTS', `cluster ${cluster.name} already exists in ${cluster.paths.home} and holds data: restore into a new name, or pass --force to delete it and restore`)
    }
    removeClusterFiles(cluster.paths)
  }
  let started: string[]
  try {
    started = (await cluster.start(options.nodes, {}, path)).started
  } catch (err) {
    // A node that could not lay out its data or start (its reason is in the error): the cluster
    // is new and holds nothing else, so remove it rather than leave it half-started.
    await cluster.destroy().catch(() => undefined)
    throw err
  }
  return {from, clusterId: cluster.clusterId()!, nodes: started, replaced}
}
