/**
 * The leader a command last learned, kept between runs in the cluster's folder
 * (RAFTCTL_HOME/NAME/leader.json), so that a shell loop of `raftctl kv put` asks the leader first
 * instead of a follower that redirects it (KvClient's `leader` option): one connection and one round trip less per command
 * (docs/performance.md "CLI start-up"). A hint only: when it is wrong (the leader changed) the
 * node named answers NOT_LEADER and the client follows its hint, as without a cache; when that
 * node is down the client tries the next endpoint. Reading and writing never throw.
 */
import {readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import type {Endpoint} from '../client/index.js'
import {routeUrl} from '../client/index.js'

/** The name of the cache in a cluster's folder. */
export const LEADER_CACHE_FILE = 'leader.json'

/** What the cache holds. */
export interface CachedLeader {
  /** The node's id. */
  readonly id: string
  /** Its address as the cluster lists it (`ws://host:port`). */
  readonly address: string
}

/** The leader cached in folder `dir`, or undefined (none, unreadable, malformed). */
export function readCachedLeader(dir: string): CachedLeader | undefined {
  try {
    const cached = JSON.parse(readFileSync(join(dir, LEADER_CACHE_FILE), 'utf8')) as Partial<CachedLeader>
    return typeof cached.id === 'string' && typeof cached.address === 'string' ? {id: cached.id, address: cached.address} : undefined
  } catch {
    return undefined
  }
}

/**
 * Keep `leader` as folder `dir`'s cache when it differs from what is there (a temporary file of
 * this process renamed over it: concurrent writers never leave a torn file). Best effort: a
 * folder that does not exist or cannot be written is left as it is.
 */
export function writeCachedLeader(dir: string, leader: CachedLeader): void {
  const cached = readCachedLeader(dir)
  if (cached?.id === leader.id && cached.address === leader.address) return
  const file = join(dir, LEADER_CACHE_FILE)
  const temporary = `${file}.${process.pid}.tmp`
  try {
    writeFileSync(temporary, `${JSON.stringify({id: leader.id, address: leader.address})}\n`, {mode: 0o600})
    renameSync(temporary, file)
  } catch {
    // best effort (see above)
    rmSync(temporary, {force: true})
  }
}

/** The id of the endpoint of the cached `leader` (matched by id, or by address for endpoints named by URL), if one is. */
export function cachedLeaderEndpoint(endpoints: readonly Endpoint[], leader: CachedLeader | undefined): string | undefined {
  if (leader === undefined) return undefined
  return endpoints.find((e) => e.id === leader.id || sameAddress(e.url, leader.address))?.id
}

function sameAddress(a: string, b: string): boolean {
  try {
    return routeUrl(a, 'client') === routeUrl(b, 'client')
  } catch {
    return false
  }
}
