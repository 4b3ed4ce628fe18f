/**
 * `node run --force-new-cluster --cluster-id NEW` (what `raftctl recover` starts the survivor
 * with): before the node starts, rewrite its data folder's membership to itself alone, keeping
 * its log and state (src/storage/force-new-cluster.ts, one atomic WAL batch), then record the new
 * cluster id in its identity file. The identity is written LAST: a folder that carries the new
 * id always holds the rewritten membership, and the old members' folders, which keep the old id,
 * can never rejoin (their daemons refuse to start with the new id, and the new cluster's nodes
 * refuse them at the handshake). A crash in between leaves the old id: running the same command
 * again finishes the job (the rewrite is idempotent).
 */
import type {LogPosition} from '../common/log-position.js'
import {join} from 'node:path'
import {
  FileStorage, StorageError, dumpStorage, forceNewCluster, hasStoredData, readIdentity, summarizeSurvivor, writeIdentity, type ForceNewClusterResult,
} from '../storage/index.js'
import {RaftctlError} from '../common/errors.js'
import type {DaemonConfig} from './config.js'
import {planIdentity} from './identity.js'
import type {Logger} from './logger.js'
import {STORAGE_SUBDIR} from './wal-dump.js'

/**
 * Rewrite the folder for a new one-node cluster (see the file header). Throws
 * `IDENTITY_MISMATCH` for another node's folder, BAD_USAGE when the folder already belongs to
 * `config.clusterId` (recovered already, or not a new id), BAD_INPUT when it holds no Raft data,
 * StorageError `CORRUPT` for a damaged one; nothing is written in those cases.
 */
export function forceNewClusterAtStart(config: DaemonConfig, storageDir: string, logger: Logger): ForceNewClusterResult {
  const clusterId = config.clusterId!
  const recorded = readIdentity(config.dataDir)
  // Another node's folder: the same refusal, and message, as a normal start.
  planIdentity({nodeId: config.id, initialCluster: [], recorded, hasData: true})
  if (recorded?.clusterId === clusterId) {
    throw new RaftctlError('BAD_USAGE', `--force-new-cluster: this data folder already belongs to cluster ${clusterId}: the recovered cluster needs a NEW --cluster-id (the old members keep theirs and must never rejoin); if this node was recovered already, start it without --force-new-cluster`)
  }
  if (!hasStoredData(storageDir)) {
    throw new RaftctlError('BAD_INPUT', `--force-new-cluster: ${config.dataDir} holds no Raft log or snapshot: there is nothing to recover from`)
  }
  const storage = new FileStorage({dir: storageDir, syncMode: config.unsafeNoFsync ? 'none' : 'fdatasync', logger: (level, msg, fields) => logger[level === 'debug' ? 'debug' : level](msg, fields)})
  let result: ForceNewClusterResult
  try {
    result = forceNewCluster(storage, config.id)
  } finally {
    storage.close()
  }
  // The operator made this log the truth: a node that was rebuilding (it had lost its data) stops
  // rebuilding, else the one-voter cluster could never elect it. Its incarnation is kept.
  writeIdentity(config.dataDir, {nodeId: config.id, clusterId, ...(recorded?.incarnation !== undefined ? {incarnation: recorded.incarnation} : {})}, {sync: !config.unsafeNoFsync})
  logger.warn('forced a new cluster: the membership is this node alone, the whole log is committed', {
    previousClusterId: recorded?.clusterId ?? null,
    clusterId,
    removed: result.appended.filter((c) => c.type === 'remove').map((c) => c.node),
    membersBefore: result.before.conf,
    lastIndex: result.after.lastIndex,
    commitBefore: result.before.hardState.commit,
    commit: result.after.hardState.commit,
  })
  return result
}

/**
 * Read a STOPPED node's data folder offline, read-only (the `wal dump` reader: nothing is
 * written, a torn tail is left for recovery to cut): its hard state, last entry and membership.
 * Throws BAD_INPUT when it holds no Raft data and StorageError `CORRUPT` naming the first
 * problem recovery would refuse.
 */
export function readStoredPosition(dataDir: string): LogPosition {
  const storageDir = join(dataDir, STORAGE_SUBDIR)
  if (!hasStoredData(storageDir)) throw new RaftctlError('BAD_INPUT', `no Raft data in ${dataDir}`)
  const dump = dumpStorage(storageDir)
  const bad = dump.problems.find((p) => p.kind === 'corrupt')
  if (bad) throw new StorageError('CORRUPT', `corrupt storage: ${bad.file}${bad.offset === null ? '' : ` at byte offset ${bad.offset}`}: ${bad.message}`, {file: bad.file})
  const newest = dump.snapshots.find((s) => s.newest)
  const snapshot = newest ? {meta: newest.meta, data: new Uint8Array()} : null
  const entries = dump.entries.map((e) => e.entry).filter((e) => e.index > (newest?.meta.index ?? 0))
  const s = summarizeSurvivor({hardState: dump.hardState, snapshot, entries})
  return {term: s.hardState.term, commitIndex: s.hardState.commit, lastIndex: s.lastIndex, lastTerm: s.lastTerm, voters: s.conf.voters, learners: s.conf.learners}
}
