/**
 * The `raftctl wal dump` workflow (etcd-dump-logs): read a node's storage with the read-only
 * reader of src/storage/dump.ts, decode each entry (KV commands through src/kv, membership
 * changes through src/raft's codec), and render the report as JSON-ready data and as human
 * lines, one entry at a time so a big log streams. Lives in the daemon layer because it is the
 * one allowed to import both storage and kv (DESIGN.md §1).
 */
import {existsSync, statSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {RaftctlError} from '../common/errors.js'
import {decodeCommand, type KvCommand, type KvPayloadLimits} from '../kv/index.js'
import {decodeConfChange, type ConfChange, type HardState} from '../raft/index.js'
import {dumpStorage, type DumpEntry, type DumpProblem, type StorageDump} from '../storage/index.js'

/** Sub-folder of a node's data directory that holds its storage (src/daemon/node.ts). */
export const STORAGE_SUBDIR = 'raft'

/** Decoding accepts any size: the dump shows what is on disk, whatever the limits it was written under. */
const NO_LIMITS: KvPayloadLimits = {maxKeyBytes: Infinity, maxValueBytes: Infinity, maxClientIdBytes: Infinity, maxTxnOps: Infinity}

/** Kind of an entry as the dump shows it: the leader's no-op is a normal entry with empty data. */
export type DumpEntryType = 'normal' | 'config' | 'noop'

/** A KV command as the dump shows it: sizes rather than values (values may be large or secret). */
export interface DumpCommand {
  readonly op: KvCommand['op']
  /** The key written or read; for deletePrefix, the prefix (empty: every key); for txn, every key it compares or writes, comma-separated. */
  readonly key: string
  /** UTF-8 bytes of the value written (put, cas, append). */
  readonly valueBytes?: number
  /** cas only: UTF-8 bytes of the expected value, or null when the key must be absent. */
  readonly expectedBytes?: number | null
  readonly session?: {readonly clientId: string; readonly seq: number}
}

/** One entry of the report (the JSON `entries` items). */
export interface WalDumpEntry {
  readonly index: number
  readonly term: number
  readonly type: DumpEntryType
  /** Bytes of the entry's data. */
  readonly bytes: number
  readonly file: string
  readonly offset: number
  /** Normal entries: the decoded KV command (null when the data does not decode: see `error`). */
  readonly command?: DumpCommand | null
  /** Config entries: the membership change (null when it does not decode: see `error`). */
  readonly change?: ConfChange | null
  /** Why the data did not decode (the state machine would reject it the same way). */
  readonly error?: string
}

/** The report without its entries (they are streamed): the JSON document's other fields. */
export interface WalDumpHeader {
  /** The storage directory read. */
  readonly dir: string
  readonly hardState: HardState
  readonly snapshots: ReadonlyArray<{file: string; index: number; term: number; bytes: number; dataBytes: number; voters: readonly string[]; learners: readonly string[]; newest: boolean}>
  readonly segments: ReadonlyArray<{file: string; firstIndex: number; bytes: number; dataBytes: number; batches: number}>
  readonly problems: readonly DumpProblem[]
  /** No problem of any kind. */
  readonly clean: boolean
  /** Some problem is `corrupt` (recovery would refuse the directory): the command exits 1. */
  readonly corrupt: boolean
  /** Live entries in the log, and how many of them `--from`/`--to` keep. */
  readonly entryCount: number
  readonly shown: number
}

/** A report: the header, and the entries to show, decoded one at a time. */
export interface WalDump {
  readonly header: WalDumpHeader
  entries(): Iterable<WalDumpEntry>
}

/** Which entries to show: indexes in `[from, to]`. */
export interface WalDumpRange {
  readonly from?: number
  readonly to?: number
}

/**
 * The storage directory of `dir`: `dir/raft` when `dir` is a node's data directory, `dir`
 * itself when it holds `wal/` or `snapshots/`. NOT_FOUND when it is neither (or does not exist).
 */
export function resolveStorageDir(dir: string): string {
  const abs = resolve(dir)
  if (!existsSync(abs) || !statSync(abs).isDirectory()) throw new RaftctlError('NOT_FOUND', `${abs} is not a directory`)
  const holdsStorage = (d: string): boolean => existsSync(join(d, 'wal')) || existsSync(join(d, 'snapshots'))
  if (holdsStorage(join(abs, STORAGE_SUBDIR))) return join(abs, STORAGE_SUBDIR)
  if (holdsStorage(abs)) return abs
  throw new RaftctlError('NOT_FOUND', `no WAL in ${abs}: expected a node's data directory (holding ${STORAGE_SUBDIR}/wal) or a storage directory (holding wal/)`)
}

/** The dump's view of a KV command. */
export function describeCommand(command: KvCommand): DumpCommand {
  const utf8 = (s: string): number => Buffer.byteLength(s, 'utf8')
  switch (command.op) {
    case 'get':
      return {op: 'get', key: command.key}
    case 'delete':
      return {op: 'delete', key: command.key, ...session(command.session)}
    case 'deletePrefix':
      return {op: 'deletePrefix', key: command.prefix, ...session(command.session)}
    case 'put':
    case 'append':
      return {op: command.op, key: command.key, valueBytes: utf8(command.value), ...session(command.session)}
    case 'cas':
      return {op: 'cas', key: command.key, valueBytes: utf8(command.value), expectedBytes: command.expected === null ? null : utf8(command.expected), ...session(command.session)}
    case 'txn':
      return {op: 'txn', key: [...new Set([...command.compare, ...command.success, ...command.failure].map((x) => x.key))].join(','), ...session(command.session)}
  }
}

function session(s: {clientId: string; seq: number} | undefined): {session?: {clientId: string; seq: number}} {
  return s === undefined ? {} : {session: {clientId: s.clientId, seq: s.seq}}
}

function failure(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** Decode one entry for the report. Never throws: data that does not decode is shown with `error`. */
export function describeEntry(item: DumpEntry): WalDumpEntry {
  const {entry, file, offset} = item
  const base = {index: entry.index, term: entry.term, bytes: entry.data.length, file, offset}
  if (entry.type === 'config') {
    try {
      return {...base, type: 'config', change: decodeConfChange(entry.data)}
    } catch (err) {
      return {...base, type: 'config', change: null, error: `not a membership change (${failure(err)})`}
    }
  }
  if (entry.data.length === 0) return {...base, type: 'noop'}
  try {
    return {...base, type: 'normal', command: describeCommand(decodeCommand(entry.data, NO_LIMITS))}
  } catch (err) {
    return {...base, type: 'normal', command: null, error: `not a KV command (${failure(err)})`}
  }
}

function inRange(index: number, range: WalDumpRange): boolean {
  return index >= (range.from ?? 1) && index <= (range.to ?? Number.MAX_SAFE_INTEGER)
}

function headerOf(dump: StorageDump, shown: number): WalDumpHeader {
  return {
    dir: dump.dir,
    hardState: dump.hardState,
    snapshots: dump.snapshots.map((s) => ({file: s.file, index: s.meta.index, term: s.meta.term, bytes: s.bytes, dataBytes: s.dataBytes, voters: s.meta.conf.voters, learners: s.meta.conf.learners, newest: s.newest})),
    segments: dump.segments.map((s) => ({file: s.file, firstIndex: s.name, bytes: s.bytes, dataBytes: s.dataBytes, batches: s.batches})),
    problems: dump.problems,
    clean: dump.problems.length === 0,
    corrupt: dump.problems.some((p) => p.kind === 'corrupt'),
    entryCount: dump.entries.length,
    shown,
  }
}

/**
 * Read the storage of `dir` (a node's data directory or a storage directory, see
 * {@link resolveStorageDir}) read-only and return the report; the entries in `range` are
 * decoded lazily, as `entries()` is iterated. Throws NOT_FOUND when `dir` holds no storage.
 */
export function walDump(dir: string, range: WalDumpRange = {}): WalDump {
  const storageDir = resolveStorageDir(dir)
  const dump = dumpStorage(storageDir)
  const selected = dump.entries.filter((e) => inRange(e.entry.index, range))
  return {
    header: headerOf(dump, selected.length),
    *entries() {
      for (const item of selected) yield describeEntry(item)
    },
  }
}

// ---------------------------------------------------------------------------------------------
// Human output

function describeChange(change: ConfChange): string {
  return `${change.type} ${change.node}${change.address ? ` at ${change.address}` : ''}`
}

function describeKv(c: DumpCommand): string {
  const parts = [c.op, JSON.stringify(c.key)]
  if (c.expectedBytes !== undefined) parts.push(c.expectedBytes === null ? 'expected absent' : `expected ${c.expectedBytes} B`)
  if (c.valueBytes !== undefined) parts.push(`value ${c.valueBytes} B`)
  if (c.session) parts.push(`session ${JSON.stringify(c.session.clientId)}#${c.session.seq}`)
  return parts.join('  ')
}

/** One line of the human output for an entry: index, term, type and decoded command. */
export function formatEntryLine(e: WalDumpEntry): string {
  const what = e.error ?? (e.change ? describeChange(e.change) : e.command ? describeKv(e.command) : '')
  return `${String(e.index).padStart(8)}  ${String(e.term).padStart(5)}  ${e.type.padEnd(6)}  ${what}`.trimEnd()
}

/** The heading of the entry lines. */
export const ENTRY_HEADING = `${'INDEX'.padStart(8)}  ${'TERM'.padStart(5)}  ${'TYPE'.padEnd(6)}  COMMAND`

function problemLine(p: DumpProblem): string {
  const where = p.offset === null ? p.file : `${p.file} at byte offset ${p.offset}`
  return `  ${p.kind.padEnd(7)}  ${where}: ${p.message}`
}

/** The human lines before the entries: directory, hard state, snapshots, segments, problems. */
export function formatHeaderLines(h: WalDumpHeader): string[] {
  const hs = h.hardState
  const lines = [`storage: ${h.dir}`, `hard state: term ${hs.term}, vote ${hs.vote ?? '(none)'}, commit ${hs.commit}`]
  if (h.snapshots.length === 0) lines.push('snapshots: none')
  for (const s of h.snapshots) {
    const learners = s.learners.length > 0 ? `, learners ${s.learners.join(' ')}` : ''
    lines.push(`snapshot: index ${s.index}, term ${s.term}, ${s.bytes} bytes (data ${s.dataBytes}), voters ${s.voters.join(' ') || '(none)'}${learners}${s.newest ? '' : ' (older)'}  ${s.file}`)
  }
  if (h.segments.length === 0) lines.push('segments: none')
  for (const s of h.segments) lines.push(`segment: ${s.dataBytes} bytes of data, ${s.batches} batches  ${s.file}`)
  lines.push(h.problems.length === 0 ? 'problems: none' : `problems: ${h.problems.length}`)
  for (const p of h.problems) lines.push(problemLine(p))
  lines.push(`entries: ${h.entryCount} in the log, ${h.shown} shown`)
  return lines
}

/** The last human line: the verdict. */
export function formatVerdict(h: WalDumpHeader): string {
  if (h.corrupt) return 'verdict: CORRUPT (recovery would refuse this directory; see the problems above)'
  if (h.problems.some((p) => p.kind === 'torn')) return 'verdict: torn tail only (what a crash leaves; recovery repairs it at start-up)'
  return h.clean ? 'verdict: clean' : 'verdict: no corruption (unknown files only; recovery ignores them)'
}
