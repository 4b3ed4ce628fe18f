/**
 * The base of every command that drives a local cluster: the `--cluster` flag (from
 * {@link clusterFlags}), a lazily loaded {@link LocalCluster}, and shared flag builders.
 * The cluster module (and with it ws and the clients) is imported inside `run()` only, so
 * `--help` and unrelated commands never pay for it.
 */
import {Args, Flags} from '@oclif/core'
import {BaseCommand, clusterFlags} from './base.js'
import {parseDurationFlag, type DurationKind} from '../common/units.js'
import type {ClusterLockOptions, HeldLock, LocalCluster} from '../cluster/index.js'
import type {AdminClient} from '../client/index.js'

/** A `--timeout` flag taking a duration (`500ms`, `5s`, `1m`). Parse it with `this.duration(text, '--timeout', 'timeout')`. */
export function timeoutFlag(defaultValue: string, description = 'how long to wait') {
  return Flags.string({description: `${description} (e.g. 500ms, 5s, 1m)`, default: defaultValue})
}

/** The NODE argument of node commands. */
export function nodeArg(description = 'node id, e.g. n2') {
  return Args.string({description, required: true})
}

/** Base class of cluster commands: `--cluster`, `--json`, and {@link ClusterCommand.openCluster}. */
export abstract class ClusterCommand extends BaseCommand {
  static override baseFlags = {...clusterFlags}

  /**
   * The named local cluster. With `mustExist` (default) a missing cluster is `CLUSTER_NOT_FOUND`
   * (exit 1) with a hint to start it.
   */
  protected async openCluster(name: string, mustExist = true): Promise<LocalCluster> {
    const {LocalCluster} = await import('../cluster/index.js')
    const cluster = new LocalCluster(name)
    if (mustExist) cluster.manifest() // throws CLUSTER_NOT_FOUND / CORRUPT
    return cluster
  }

  /** Run `fn` with the leader's admin client, trying again when the leader changed ({@link LocalCluster.onLeader}). */
  protected onLeader<T>(cluster: LocalCluster, fn: (client: AdminClient, leader: string) => Promise<T>, timeoutMs: number): Promise<T> {
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
    const {CLUSTER_LOCK_DEFAULTS} = await import('../cluster/index.js')
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
