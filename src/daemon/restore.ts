/**
 * `node run --restore FILE`: lay out this node's data folder from a snapshot file of
 * `raftctl snapshot save` before the node starts, as one node of a NEW cluster: the identity of
 * `--cluster-id` (which must differ from the snapshot's cluster id, so the old nodes can never
 * talk to it) and `--id`, and a storage holding only the snapshot, at its index and term, with
 * the voters of `--initial-cluster` as its membership. Every node of the restored cluster is
 * laid out the same way (same file, same --cluster-id, same --initial-cluster), so they start
 * with equal logs and elect a leader among themselves. See docs/operations.md.
 *
 * Idempotent for a service manager that restarts the node with the same command line: a folder
 * that already holds this node's data of this cluster is left as it is (the flag is then
 * ignored, as `--initial-cluster` is). Any other data is refused with DATA_EXISTS unless
 * `--force-restore`. The storage is written in a staging folder and renamed into place, so a
 * crash half-way leaves a folder the next start lays out again.
 */
import {existsSync, mkdirSync, renameSync, rmSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {RaftctlError} from '../common/errors.js'
import {loadSnapshotFile} from '../backup/inspect.js'
import {FileStorage, hasStoredData, IDENTITY_FILE, nodeFs, readIdentity, writeIdentity, type DataIdentity} from '../storage/index.js'
import {fsyncDir} from '../storage/fs-ops.js'
import {PEERS_FILE} from './address-book.js'
import type {DaemonConfig} from './config.js'
import type {Logger} from './logger.js'

/** Suffix of the staging folder the restored storage is written in before it is renamed into place. */
const STAGING_SUFFIX = '.restoring'

/** What {@link restoreDataDir} did. */
export type RestoreOutcome = 'restored' | 'kept'

/**
 * Lay out `config.dataDir` (storage in `storageDir`) from `config.restore` (see the file
 * header). Throws RaftctlError: BAD_USAGE (no --cluster-id or --initial-cluster, or the
 * snapshot's own cluster id), DATA_EXISTS, BAD_INPUT / NOT_A_SNAPSHOT /
 * UNSUPPORTED_SNAPSHOT_VERSION / SNAPSHOT_TRUNCATED / SNAPSHOT_CORRUPT for the file; nothing in
 * the folder is changed by any of these.
 */
export function restoreDataDir(config: DaemonConfig & {restore: string}, storageDir: string, logger: Logger): RestoreOutcome {
  const {dataDir, clusterId, id} = config
  if (clusterId === undefined) {
    throw new RaftctlError('BAD_USAGE', '--restore needs --cluster-id: the id of the NEW cluster, the same on every node restored from the snapshot (e.g. from "openssl rand -hex 8")')
  }
  if (config.initialCluster.length === 0) throw new RaftctlError('BAD_USAGE', '--restore needs --initial-cluster: the voters of the restored cluster, the same list on every node')
  const recorded = readRecorded(dataDir, config.forceRestore === true)
  const ours = recorded?.clusterId === clusterId && recorded.nodeId === id
  const hasData = hasStoredData(storageDir)
  if (hasData && ours) {
    logger.info('--restore ignored: the data folder already holds this node\'s data of the restored cluster', {clusterId, file: config.restore})
    return 'kept'
  }
  if ((hasData || (recorded !== null && !ours)) && config.forceRestore !== true) {
    const whose = recorded === null ? 'data' : `the data of node ${recorded.nodeId} of cluster ${recorded.clusterId ?? '(unknown)'}`
    throw new RaftctlError('DATA_EXISTS', `${dataDir} already holds ${whose}: --restore does not replace it. Use an empty folder, or pass --force-restore to delete it and restore`)
  }
  const {file, kv} = loadSnapshotFile(config.restore)
  if (file.meta.clusterId !== null && file.meta.clusterId === clusterId) {
    throw new RaftctlError('BAD_USAGE', `the snapshot comes from cluster ${clusterId}: a restored cluster needs a NEW --cluster-id, so that nodes of the old cluster can never talk to it`)
  }
  const sync = !config.unsafeNoFsync
  clearFolder(dataDir, storageDir)
  writeIdentity(dataDir, {clusterId, nodeId: id}, {sync})
  const staging = storageDir + STAGING_SUFFIX
  const storage = new FileStorage({dir: staging, syncMode: sync ? 'fdatasync' : 'none'})
  storage.load()
  const {index, term} = file.meta
  storage.save({snapshot: {meta: {index, term, conf: {voters: [...config.initialCluster], learners: []}}, data: file.data}, entries: [], hardState: {term, vote: null, commit: index}})
  storage.close()
  renameSync(staging, storageDir)
  if (sync) fsyncDir(nodeFs, dirname(storageDir))
  logger.info('restored the data folder from a snapshot', {
    file: config.restore, fromCluster: file.meta.clusterId, clusterId, index, term, keys: kv.size, voters: config.initialCluster,
  })
  return 'restored'
}

/** The folder's identity; a damaged one is CORRUPT unless it is about to be replaced (`force`). */
function readRecorded(dataDir: string, force: boolean): DataIdentity | null {
  if (!existsSync(dataDir)) return null
  try {
    return readIdentity(dataDir)
  } catch (err) {
    if (force) return {clusterId: null, nodeId: '(unreadable identity file)'}
    throw err
  }
}

/** Remove what a restore replaces: the storage (and a staging leftover), the identity and the address book. */
function clearFolder(dataDir: string, storageDir: string): void {
  for (const path of [storageDir, storageDir + STAGING_SUFFIX, join(dataDir, IDENTITY_FILE), join(dataDir, PEERS_FILE)]) rmSync(path, {recursive: true, force: true})
  mkdirSync(dataDir, {recursive: true, mode: 0o700})
}
