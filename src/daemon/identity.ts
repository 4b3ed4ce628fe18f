/**
 * The daemon's identity check at start-up, before anything in the data folder is opened or
 * written: the folder's identity file (src/storage/identity.ts) must name this node and, when
 * both are known, this cluster; otherwise the daemon refuses with `IDENTITY_MISMATCH` naming
 * both ids and leaves the folder untouched. A new folder records the identity with a new
 * incarnation (higher than any earlier folder of this node had), marked rebuilding when the node
 * was a member (`--rejoin`); a folder from before identities existed (data, no identity file)
 * is adopted with a log line.
 */
import {randomBytes} from 'node:crypto'
import {existsSync, mkdirSync} from 'node:fs'
import {RaftctlError} from '../common/errors.js'
import {hasStoredData, readIdentity, writeIdentity, type DataIdentity} from '../storage/identity.js'
import type {DaemonConfig} from './config.js'
import type {Logger} from './logger.js'

/** Bytes of randomness in a generated cluster id (shown as hex: 16 characters). */
export const CLUSTER_ID_BYTES = 8

/** A new random cluster id: {@link CLUSTER_ID_BYTES} random bytes in hex. */
export function newClusterId(): string {
  return randomBytes(CLUSTER_ID_BYTES).toString('hex')
}

/** What to do with the data folder's identity, decided from what it holds and the config. */
export type IdentityPlan =
  /** The file matches; nothing to write. */
  | {readonly action: 'keep'; readonly identity: DataIdentity}
  /** A new folder: record the identity. */
  | {readonly action: 'record'; readonly identity: DataIdentity}
  /** A folder with data from before identities: record the identity (adopt it). */
  | {readonly action: 'adopt'; readonly identity: DataIdentity}
  /** The file's cluster id was unknown and the config gives one: record it. */
  | {readonly action: 'learn'; readonly identity: DataIdentity}

/** The inputs of {@link planIdentity}: the config's ids and what the folder holds. */
export interface IdentityInputs {
  readonly nodeId: string
  /** `--cluster-id`, if given. */
  readonly clusterId?: string
  /** `--initial-cluster`: a founder of a one-node cluster without `--cluster-id` generates an id. */
  readonly initialCluster: readonly string[]
  /** The identity file's content, null when absent. */
  readonly recorded: DataIdentity | null
  /** The folder already holds Raft data (a WAL or snapshots). */
  readonly hasData: boolean
  /** Source of a new cluster id. Default {@link newClusterId}. */
  readonly generate?: () => string
  /** `--rejoin`: the node was a member; a new folder means its data was lost. Default false. */
  readonly rejoin?: boolean
  /** The incarnation of a new folder. Default {@link newIncarnation}. */
  readonly incarnation?: () => number
}

/**
 * The incarnation of a data folder created now: milliseconds since the epoch. A folder emptied
 * and created again later gets a higher one, which is all leaders compare (a clock set back
 * by more than the time between the two creations would give a lower one: the leader then
 * ignores the node until the next election, which starts its records afresh).
 */
export function newIncarnation(): number {
  return Date.now()
}

/**
 * Decide (pure): throws RaftctlError `IDENTITY_MISMATCH` naming both ids when the folder is
 * another node's, or another cluster's (both cluster ids known and different).
 */
export function planIdentity(input: IdentityInputs): IdentityPlan {
  const {recorded, nodeId, clusterId} = input
  if (recorded !== null) {
    if (recorded.nodeId !== nodeId) {
      throw mismatch(`this data folder belongs to node ${recorded.nodeId}, not to node ${nodeId} (recorded node id ${recorded.nodeId}, --id ${nodeId}): start ${recorded.nodeId} on it, or give ${nodeId} its own folder`, {recordedNodeId: recorded.nodeId, nodeId})
    }
    if (clusterId !== undefined && recorded.clusterId !== null && recorded.clusterId !== clusterId) {
      throw mismatch(`this data folder belongs to cluster ${recorded.clusterId}, not to cluster ${clusterId} (recorded cluster id ${recorded.clusterId}, --cluster-id ${clusterId})`, {recordedClusterId: recorded.clusterId, clusterId})
    }
    if (recorded.clusterId === null && clusterId !== undefined) return {action: 'learn', identity: {...recorded, clusterId}}
    return {action: 'keep', identity: recorded}
  }
  if (input.hasData) return {action: 'adopt', identity: {nodeId, clusterId: clusterId ?? null}}
  const founderAlone = input.initialCluster.length === 1 && input.initialCluster[0] === nodeId
  const generated = clusterId ?? (founderAlone ? (input.generate ?? newClusterId)() : null)
  const incarnation = (input.incarnation ?? newIncarnation)()
  return {action: 'record', identity: {nodeId, clusterId: generated, incarnation, ...(input.rejoin === true ? {rebuilding: true} : {})}}
}

function mismatch(message: string, details: Record<string, unknown>): RaftctlError {
  return new RaftctlError('IDENTITY_MISMATCH', message, details)
}

/**
 * Check the data folder's identity against the config and record it when needed; returns the
 * identity the node runs with. Throws `IDENTITY_MISMATCH` (writing nothing) or StorageError
 * `CORRUPT` for a damaged identity file. Call before opening anything else in the folder.
 */
export function checkIdentity(config: DaemonConfig, storageDir: string, logger: Logger): DataIdentity {
  const recorded = existsSync(config.dataDir) ? readIdentity(config.dataDir) : null
  const plan = planIdentity({
    nodeId: config.id,
    clusterId: config.clusterId,
    initialCluster: config.initialCluster,
    rejoin: config.rejoin,
    recorded,
    hasData: recorded === null && hasStoredData(storageDir),
  })
  if (plan.action === 'record') mkdirSync(config.dataDir, {recursive: true, mode: 0o700})
  if (plan.action !== 'keep') writeIdentity(config.dataDir, plan.identity, {sync: !config.unsafeNoFsync})
  const fields = {nodeId: plan.identity.nodeId, clusterId: plan.identity.clusterId, incarnation: plan.identity.incarnation ?? 0}
  if (plan.action === 'adopt') logger.warn('adopted a data folder without an identity file: recorded its identity', fields)
  else if (plan.action === 'record') logger.info('recorded the identity of a new data folder', fields)
  else if (plan.action === 'learn') logger.info('recorded the cluster id of this data folder', fields)
  if (plan.action === 'record' && plan.identity.rebuilding === true) logger.warn('this member started on an empty data folder (its data was lost): rebuilding, no votes until it has caught up with the leader', fields)
  else if (plan.identity.rebuilding === true) logger.warn('still rebuilding (its data was lost): no votes until it has caught up with the leader', fields)
  if (plan.identity.clusterId === null) logger.warn('the cluster id is unknown (no --cluster-id): peers and clients of other clusters are not refused', fields)
  return plan.identity
}
