/**
 * Disaster recovery's storage rewrite (etcd's `--force-new-cluster`, braft's `reset_peers`):
 * a survivor's log and state are kept whole and its membership becomes itself alone, by
 * appending configuration entries (one `remove` per other member, a `promote` of itself when it
 * is not a voter) and committing the whole log, in ONE batch of the Storage port: one
 * `fdatasync`, atomic on recovery (docs/storage.md, "Forcing a new cluster"). The same code runs
 * on the daemon's FileStorage (`node run --force-new-cluster`, `raftctl recover`) and on the
 * simulator's MemoryStorage. Also here: the survivor summary that `recover` compares.
 */
import {decodeConfChange, encodeConfChange, nextConf, type ConfChange, type ConfState, type Entry, type HardState, type NodeId} from '../raft/index.js'
import type {RecoveredState, Storage} from '../replica/ports.js'

/** What a survivor's storage holds, as `recover` compares survivors. */
export interface SurvivorSummary {
  readonly hardState: HardState
  /** Index and term of the last entry (the snapshot's when the log after it is empty). */
  readonly lastIndex: number
  readonly lastTerm: number
  readonly snapshotIndex: number
  /** Membership as of the last entry (the snapshot's plus every config entry after it). */
  readonly conf: ConfState
}

/** The outcome of {@link forceNewCluster}. */
export interface ForceNewClusterResult {
  readonly before: SurvivorSummary
  readonly after: SurvivorSummary
  /** The configuration entries appended (empty: the membership was this node alone already). */
  readonly appended: readonly ConfChange[]
}

/** Summarize a recovered state (pure). */
export function summarize(state: RecoveredState): SurvivorSummary {
  const meta = state.snapshot?.meta
  let conf: ConfState = meta?.conf ?? {voters: [], learners: []}
  for (const e of state.entries) if (e.type === 'config') conf = nextConf(conf, decodeConfChange(e.data))
  const last = state.entries.at(-1)
  return {
    hardState: state.hardState,
    lastIndex: last?.index ?? meta?.index ?? 0,
    lastTerm: last?.term ?? meta?.term ?? 0,
    snapshotIndex: meta?.index ?? 0,
    conf,
  }
}

/** The changes that make `conf` into `self` alone: remove every other member, then promote `self` unless it votes already. */
export function changesToAlone(conf: ConfState, self: NodeId): ConfChange[] {
  const changes: ConfChange[] = [...conf.voters, ...conf.learners].filter((id) => id !== self).map((node) => ({type: 'remove', node}))
  if (!conf.voters.includes(self)) changes.push({type: 'promote', node: self})
  return changes
}

/**
 * Rewrite the membership in `storage` to `self` alone, keeping the log and the state machine's
 * snapshot: load it, append the configuration entries of {@link changesToAlone} after the last
 * entry at the current term, and commit everything (the commit index becomes the new last
 * index: entries the survivor held but did not know committed are committed now, as the single
 * voter would commit them at its first election anyway). One `save`: durable and atomic. A store
 * whose membership is `self` alone already is left unchanged (idempotent). Throws StorageError
 * `CORRUPT` for a store that fails its checks (nothing written), and RangeError when it holds
 * nothing to recover from (no entry, no snapshot).
 */
export function forceNewCluster(storage: Storage, self: NodeId, state: RecoveredState = storage.load()): ForceNewClusterResult {
  const before = summarize(state)
  if (before.lastIndex === 0) throw new RangeError('the store holds no Raft log or snapshot: there is nothing to recover from')
  const appended = changesToAlone(before.conf, self)
  if (appended.length === 0) return {before, after: before, appended}
  const term = Math.max(before.hardState.term, before.lastTerm)
  const entries: Entry[] = appended.map((change, i) => ({term, index: before.lastIndex + 1 + i, type: 'config', data: encodeConfChange(change)}))
  const lastIndex = before.lastIndex + entries.length
  const hardState: HardState = {term, vote: before.hardState.vote, commit: lastIndex}
  storage.save({entries, hardState})
  let conf = before.conf
  for (const change of appended) conf = nextConf(conf, change)
  return {before, after: {hardState, lastIndex, lastTerm: term, snapshotIndex: before.snapshotIndex, conf}, appended}
}
