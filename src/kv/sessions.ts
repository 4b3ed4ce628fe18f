/**
 * Client sessions for exactly-once writes (Raft dissertation §6.3), created implicitly by a
 * client's first write (seq 1). Per session only the latest seq and its encoded result are
 * kept. The table is bounded by `maxSessions`: the session used least recently, by the log
 * index of its last use, is evicted first. Map order is kept equal to last-use order (a use
 * moves the session to the end), so eviction is O(1) and identical on every node.
 */
import {utf8Length} from './bytes.js'
import {errorResult, type KvErrorResult, type KvResult, type KvSession} from './commands.js'

/** Fixed per-session cost counted by {@link SessionTable.approximateBytes} (seq, index, map entry). */
const SESSION_OVERHEAD_BYTES = 32

/** What a session remembers. */
export interface SessionRecord {
  readonly clientId: string
  /** Highest seq applied for this client. */
  readonly seq: number
  /** Log index of the last use (apply of `seq` or of a retry of it). */
  readonly lastIndex: number
  /** The result of `seq`, returned again to a retry (encoded only into snapshots). */
  readonly result: KvResult
}

/** Outcome of {@link SessionTable.lookup} for a write carrying a session. */
export type SessionCheck =
  /** Not seen before: apply the command, then {@link SessionTable.record} its result. */
  | {readonly kind: 'new'}
  /** A retry of the latest seq: return `result` without applying. */
  | {readonly kind: 'duplicate'; readonly result: KvResult}
  /** Not applied: a stale seq, or an evicted session. */
  | {readonly kind: 'rejected'; readonly result: KvErrorResult}

/** The bounded table of client sessions. */
export class SessionTable {
  /** Invariant: iteration order is strictly increasing `lastIndex`; size ≤ maxSessions. */
  private readonly sessions = new Map<string, SessionRecord>()
  private bytes = 0
  /** `lastIndex` of the most recently used session (the last in map order), 0 when none yet. */
  private newestIndex = 0

  constructor(private readonly maxSessions: number) {}

  /** Number of sessions kept. */
  get size(): number {
    return this.sessions.size
  }

  /** Approximate memory of the table: client ids, cached results and a fixed overhead each. */
  get approximateBytes(): number {
    return this.bytes
  }

  /** Sessions in least-recently-used-first order. */
  records(): IterableIterator<SessionRecord> {
    return this.sessions.values()
  }

  /** Classify a write from `session`; changes nothing. */
  lookup(session: KvSession): SessionCheck {
    const record = this.sessions.get(session.clientId)
    if (record === undefined) return session.seq === 1 ? NEW : expired(session)
    if (session.seq === record.seq) return {kind: 'duplicate', result: record.result}
    if (session.seq < record.seq) return stale(session, record.seq)
    return NEW
  }

  /** Mark a known session used at `index` (a deduplicated retry): it becomes the most recent. */
  touch(clientId: string, index: number): void {
    const record = this.sessions.get(clientId)
    if (record !== undefined) this.put({...record, lastIndex: index})
  }

  /** Remember `result` as the outcome of `session.seq`, applied at `index`; evicts as needed. */
  record(session: KvSession, index: number, result: KvResult): void {
    this.put({clientId: session.clientId, seq: session.seq, lastIndex: index, result})
    this.evictOverflow()
  }

  /**
   * Add a session while loading a snapshot, in the snapshot's order. Returns false (and changes
   * nothing) when the client id is already present or `lastIndex` does not increase.
   */
  load(record: SessionRecord): boolean {
    if (this.sessions.has(record.clientId)) return false
    if (record.lastIndex <= this.newestIndex) return false
    this.put(record)
    return true
  }

  /** Evict the least recently used sessions until at most `maxSessions` remain. */
  evictOverflow(): void {
    while (this.sessions.size > this.maxSessions) {
      const oldest = this.sessions.keys().next().value as string
      this.remove(oldest)
    }
  }

  private put(record: SessionRecord): void {
    const old = this.sessions.get(record.clientId)
    if (old === undefined) this.bytes += recordBytes(record)
    else {
      // Same client id: only the results' bytes differ (the id's UTF-8 length is not measured again on every write).
      this.sessions.delete(record.clientId)
      this.bytes += resultBytes(record.result) - resultBytes(old.result)
    }
    this.sessions.set(record.clientId, record)
    this.newestIndex = record.lastIndex
  }

  private remove(clientId: string): void {
    const record = this.sessions.get(clientId)
    if (record === undefined) return
    this.sessions.delete(clientId)
    this.bytes -= recordBytes(record)
  }
}

/** {@link SessionTable.lookup}'s answer for a write to apply (one object: nothing allocated per write). */
const NEW: SessionCheck = Object.freeze({kind: 'new'})

function recordBytes(record: SessionRecord): number {
  return utf8Length(record.clientId) + resultBytes(record.result) + SESSION_OVERHEAD_BYTES
}

/** About what a result costs beyond what the store holds: its strings in UTF-16 units, plus a fixed 16. */
function resultBytes(result: KvResult): number {
  if (!result.ok) return 16 + result.code.length + result.message.length
  return 16 + ('value' in result && result.value !== null ? result.value.length : 0)
}

function expired(session: KvSession): SessionCheck {
  const message = `session ${JSON.stringify(session.clientId)} is unknown (expired or evicted) and seq ${session.seq} is not 1: start a new client id`
  return {kind: 'rejected', result: errorResult('SESSION_EXPIRED', message)}
}

function stale(session: KvSession, latest: number): SessionCheck {
  const message = `seq ${session.seq} of session ${JSON.stringify(session.clientId)} is older than its latest applied seq ${latest}`
  return {kind: 'rejected', result: errorResult('STALE_SEQUENCE', message)}
}
