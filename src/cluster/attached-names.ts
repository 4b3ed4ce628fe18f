/**
 * What RAFTCTL_HOME holds about attached clusters, read without loading any client (shell
 * completion reads it at every TAB and must never touch the network): the attachment record's
 * path (RAFTCTL_HOME/NAME/attached.json, written by attached.ts), the names of the attached
 * clusters, and the member cache beside each record (members.json: the member ids the last
 * status round against that cluster learned from its configuration).
 */
import {existsSync, readFileSync, renameSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {ClusterPaths, foldersHolding, raftctlHome} from './manifest.js'

/** Path of a cluster's attachment record. */
export function attachmentFile(name: string, home: string = raftctlHome()): string {
  return join(new ClusterPaths(name, home).dir, ATTACHMENT_FILE)
}

/** The name of an attached cluster's record in its folder. */
const ATTACHMENT_FILE = 'attached.json'

/** True when `name` is an attached cluster in `home`. */
export function isAttached(name: string, home: string = raftctlHome()): boolean {
  return existsSync(attachmentFile(name, home))
}

/** The member cache of an attached cluster, RAFTCTL_HOME/NAME/members.json. */
export interface MemberCache {
  readonly version: 1
  /** Member ids (voters and learners) of the configuration, as the last status round learned it. */
  readonly members: readonly string[]
  /** When they were learned (ISO 8601). */
  readonly learnedAt: string
}

const MEMBERS_FILE = 'members.json'

/**
 * The member ids of attached cluster `name` as last learned: by `cluster attach`, then by every
 * command whose status round learned the configuration. Empty when nothing is cached or the
 * cache cannot be read (never throws: shell completion reads it).
 */
export function cachedMembers(name: string, home: string = raftctlHome()): string[] {
  try {
    const cache = JSON.parse(readFileSync(join(new ClusterPaths(name, home).dir, MEMBERS_FILE), 'utf8')) as MemberCache
    return cache.version === 1 && Array.isArray(cache.members) ? cache.members.filter((id) => typeof id === 'string') : []
  } catch {
    return []
  }
}

/**
 * Keep `ids` as the member cache of attached cluster `name` when they differ from it (written
 * to a temp file, then renamed; mode 0600). Best effort: a cluster detached meanwhile, or a
 * folder that cannot be written, is left as it is, and no error reaches the command.
 */
export function rememberMembers(name: string, ids: readonly string[], home: string = raftctlHome()): void {
  const cached = cachedMembers(name, home)
  if (cached.length === ids.length && cached.every((id, i) => id === ids[i])) return
  if (!isAttached(name, home)) return
  const file = join(new ClusterPaths(name, home).dir, MEMBERS_FILE)
  const cache: MemberCache = {version: 1, members: [...ids], learnedAt: new Date().toISOString()}
  try {
    writeFileSync(`${file}.tmp`, `${JSON.stringify(cache)}\n`, {mode: 0o600})
    renameSync(`${file}.tmp`, file)
  } catch {
    // best effort (see above)
  }
}

/** Names of the attached clusters in `home`, sorted. */
export function listAttached(home: string = raftctlHome()): string[] {
  return foldersHolding(home, ATTACHMENT_FILE)
}
