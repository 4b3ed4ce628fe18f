/**
 * The base of every command that speaks to a cluster: the cluster flags (from
 * {@link clusterFlags}: `--cluster`, or one-off `--endpoints` with `--secret-file` and the TLS
 * flags), {@link ClusterCommand.openHandle} for commands that speak to nodes (a local, attached or
 * one-off cluster alike), {@link ClusterCommand.openCluster} for commands that need the local
 * processes (refused on a remote cluster with NOT_LOCAL, exit 2), and shared flag builders.
 * The cluster modules (and with them ws and the clients) are imported inside `run()` only, so
 * `--help` and unrelated commands never pay for them; each module by itself, not the folder's
 * index, so that a command's bundle (src/cli/hot.ts) holds and evaluates only those it uses.
 */
import {Args, Flags} from '@oclif/core'
import {BaseCommand, clusterFlags, type ClusterFlagValues} from './base.js'
import {RaftctlError} from '../common/errors.js'
import {parseDurationFlag, type DurationKind} from '../common/units.js'
import type {ClusterHandle, ClusterLockOptions, HeldLock, LocalCluster} from '../cluster/index.js'
import type {AdminClient} from '../client/index.js'

/** A `--timeout` flag taking a duration (`500ms`, `5s`, `1m`). Parse it with `this.duration(text, '--timeout', 'timeout')`. */
export function timeoutFlag(defaultValue: string, description = 'how long to wait') {
  return Flags.string({description: `${description} (e.g. 500ms, 5s, 1m)`, default: defaultValue})
}

/** The NODE argument of node commands. */
export function nodeArg(description = 'node id, e.g. n2') {
  return Args.string({description, required: true})
}

/** Base class of cluster commands: the cluster flags, `--json`, {@link ClusterCommand.openHandle} and {@link ClusterCommand.openCluster}. */
export abstract class ClusterCommand extends BaseCommand {
  static override baseFlags = {...clusterFlags}

  /**
   * The cluster the flags name, for a command that speaks to nodes: the one-off cluster of
   * `--endpoints` (needs `--secret-file`; its endpoints must be nodes of one cluster), else the
   * attached cluster `--cluster`, else the local one (with `mustExist`, the default,
   * CLUSTER_NOT_FOUND when there is none).
   */
  protected openHandle(flags: ClusterFlagValues, mustExist = true): Promise<ClusterHandle> {
    this.handle ??= this.resolveHandle(flags, mustExist)
    return this.handle
  }

  /** The handle of this run ({@link openHandle} opens it once: a remote cluster's members are learned once). */
  private handle: Promise<ClusterHandle> | undefined

  private async resolveHandle(flags: ClusterFlagValues, mustExist: boolean): Promise<ClusterHandle> {
    const [{openEndpoints, openAttached}, {isAttached}] = await Promise.all([import('../cluster/attached.js'), import('../cluster/attached-names.js')])
    if (flags.endpoints !== undefined) {
      const secretFile = flags['secret-file']
      if (secretFile === undefined) throw new RaftctlError('BAD_USAGE', '--endpoints needs --secret-file F (or RAFTCTL_SECRET_FILE): the file holding the cluster\'s client secret')
      return openEndpoints({endpoints: flags.endpoints, secretFile, tls: {ca: flags['tls-ca'], cert: flags['tls-cert'], key: flags['tls-key']}})
    }
    if (isAttached(flags.cluster)) return openAttached(flags.cluster)
    return this.openCluster(flags.cluster, mustExist)
  }

  /**
   * The named local cluster, for a command that needs its processes or files. NOT_LOCAL (exit 2,
   * saying what to use instead) when the flags name a remote cluster: `--endpoints`, or an attached
   * cluster. With `mustExist` (default) a missing cluster is `CLUSTER_NOT_FOUND` (exit 1) with a
   * hint to start it.
   */
  protected async openCluster(name: string, mustExist = true): Promise<LocalCluster> {
    const [{LocalCluster}, {isAttached}, {notLocalError}] = await Promise.all([import('../cluster/cluster.js'), import('../cluster/attached-names.js'), import('../cluster/handle.js')])
    const {flags} = await this.parse()
    const command = (this.id ?? '').replaceAll(':', ' ')
    if ((flags as Partial<ClusterFlagValues>).endpoints !== undefined) throw notLocalError(name, 'endpoints', command)
    if (isAttached(name)) throw notLocalError(name, 'attached', command)
    const cluster = new LocalCluster(name)
    if (mustExist) cluster.manifest() // throws CLUSTER_NOT_FOUND / CORRUPT
    return cluster
  }

  /** Run `fn` with the leader's admin client, trying again when the leader changed ({@link ClusterHandle.onLeader}). */
  protected onLeader<T>(cluster: ClusterHandle, fn: (client: AdminClient, leader: string) => Promise<T>, timeoutMs: number): Promise<T> {
    return cluster.onLeader(fn, timeoutMs)
  }

  /**
   * Run `fn` holding the cluster's lock ({@link LocalCluster.exclusive}): what every command that
   * changes a local cluster does. While another command holds it, a warning on stderr names that
   * command; after the wait, CLUSTER_BUSY (exit 3).
   */
  protected async exclusive<T>(cluster: LocalCluster, fn: () => Promise<T>): Promise<T> {
    return cluster.exclusive(fn, await this.lockOptions(cluster))
  }

  /** Take the cluster's lock as {@link exclusive} does; the caller releases it in `finally`. */
  protected async lock(cluster: LocalCluster): Promise<HeldLock> {
    return cluster.lock(await this.lockOptions(cluster))
  }

  /** While another command holds the lock, say which on stderr. */
  private async lockOptions(cluster: LocalCluster): Promise<ClusterLockOptions> {
    const {CLUSTER_LOCK_DEFAULTS} = await import('../cluster/lock.js')
    const waitS = CLUSTER_LOCK_DEFAULTS.waitMs / 1000
    return {onWait: (h) => this.warn(`cluster ${cluster.name} is busy: "${h.command}" (pid ${h.pid}) has held its lock since ${h.since}; waiting up to ${waitS} s`)}
  }

  /**
   * Parse the value of the duration flag `flag`, at least the minimum of `kind` (src/common/units.ts
   * DURATION_MINIMUMS). BAD_USAGE on bad text or a value below the minimum, naming the flag.
   */
  protected duration(text: string, flag: string, kind: DurationKind): number {
    return parseDurationFlag(text, flag, kind)
  }
}
