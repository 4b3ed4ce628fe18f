/**
 * The lock of a local cluster: every command that changes a cluster's folder or processes
 * (`cluster start|stop|destroy`, `node start|stop|kill|restart|add|remove`) holds it, so two of
 * them never interleave (two concurrent `cluster start` runs once spawned duplicate daemons and
 * founders without `--initial-cluster`).
 *
 * The lock is a file, RAFTCTL_HOME/.locks/<cluster>.lock, holding JSON: who holds it (pid,
 * command line, since when, host, process start time) and a random token. It appears atomically
 * with its whole content: written to a temp file, then hard-linked to the lock's name (`link`
 * fails with EEXIST when the lock exists), so a reader never sees it empty or partial. A lock
 * whose holder is gone (its pid is dead, or now belongs to a process that started later) is
 * stale and is taken over; the takeover itself is serialised by a second file created with
 * `wx`, so two processes that find the same stale lock cannot both remove a fresh one. The lock
 * is released in `finally` and, if the process exits while holding it, by an exit handler; a
 * holder killed outright leaves a stale lock that the next command takes over.
 */
import {randomBytes} from 'node:crypto'
import {closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync} from 'node:fs'
import {hostname} from 'node:os'
import {dirname} from 'node:path'
import {RaftctlError} from '../common/errors.js'
import {createWhole} from './files.js'

/** Defaults of {@link ClusterLockOptions}. */
export const CLUSTER_LOCK_DEFAULTS = {
  /** How long a command waits for another one to release the cluster's lock before CLUSTER_BUSY. */
  waitMs: 10_000,
  /** How often a waiting command looks at the lock again. */
  pollMs: 50,
} as const

/** Who holds a lock: what {@link CLUSTER_BUSY} reports. */
export interface LockHolder {
  readonly pid: number
  /** The holder's command line, e.g. `raftctl cluster start --nodes 3`. */
  readonly command: string
  /** When it took the lock (ISO 8601). */
  readonly since: string
  readonly host: string
  /** The holder's start time in clock ticks since boot (/proc/PID/stat), to detect a reused pid; null when unknown. */
  readonly started: string | null
  /** Unique per acquisition: a holder removes only its own lock. */
  readonly token: string
}

/** Options of {@link acquireLock}. */
export interface ClusterLockOptions {
  /** What the lock guards, for messages (default `the lock's resource`), e.g. `cluster "default"`. */
  readonly resource?: string
  /** The holder's command line (default: this process's, as `raftctl ARGS`). */
  readonly command?: string
  /** Wait this long for the lock to be released (default {@link CLUSTER_LOCK_DEFAULTS}.waitMs; 0: fail at once). */
  readonly waitMs?: number
  /** Look again this often while waiting (default {@link CLUSTER_LOCK_DEFAULTS}.pollMs). */
  readonly pollMs?: number
  /** Called once when the lock is held by another and the caller starts waiting. */
  readonly onWait?: (holder: LockHolder) => void
}

/** A held lock. {@link HeldLock.release} is idempotent. */
export interface HeldLock {
  readonly file: string
  readonly holder: LockHolder
  release(): void
}

/** Locks this process holds, released by the exit handler if the process exits holding them. */
const held = new Map<string, LockHolder>()
let exitHandlerInstalled = false

/**
 * Take the lock `file` (its folder is created, mode 0700). Waits up to `waitMs` while another
 * live holder has it, then throws CLUSTER_BUSY (exit 3) naming the holder: its command line, pid
 * and since when. A stale lock is taken over. Another acquisition in this same process counts
 * as another holder (the lock is not re-entrant).
 */
export async function acquireLock(file: string, options: ClusterLockOptions = {}): Promise<HeldLock> {
  const waitMs = options.waitMs ?? CLUSTER_LOCK_DEFAULTS.waitMs
  const pollMs = options.pollMs ?? CLUSTER_LOCK_DEFAULTS.pollMs
  const me = newHolder(options.command ?? commandLine())
  const end = Date.now() + waitMs
  let announced = false
  let contended = 0
  for (;;) {
    const outcome = tryAcquire(file, me)
    if (outcome === 'acquired') return heldLock(file, me)
    if (outcome === 'contended') {
      // Another process is taking a stale lock over (a few system calls): look again shortly,
      // whatever waitMs says, so that the caller is told who won rather than who died.
      if (++contended > TAKEOVER.rounds) throw busy(file, null, waitMs, options.resource)
      await sleep(TAKEOVER.pauseMs)
      continue
    }
    if (Date.now() >= end) throw busy(file, outcome, waitMs, options.resource)
    if (!announced) {
      announced = true
      options.onWait?.(outcome)
    }
    await sleep(Math.min(pollMs, Math.max(1, end - Date.now())))
  }
}

/** Run `fn` holding the lock `file` ({@link acquireLock}); released when `fn` settles. */
export async function withLock<T>(file: string, options: ClusterLockOptions, fn: () => Promise<T>): Promise<T> {
  const lock = await acquireLock(file, options)
  try {
    return await fn()
  } finally {
    lock.release()
  }
}

/** The holder of the lock `file`, or null when it is free or unreadable. */
export function readLockHolder(file: string): LockHolder | null {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return null
  }
  try {
    const o = JSON.parse(text) as Partial<LockHolder>
    if (typeof o.pid !== 'number' || typeof o.token !== 'string') return null
    return {pid: o.pid, command: String(o.command ?? '?'), since: String(o.since ?? '?'), host: String(o.host ?? ''), started: typeof o.started === 'string' ? o.started : null, token: o.token}
  } catch {
    return null
  }
}

/**
 * Is the holder gone? Its pid is dead, or is now a process that started at another time (a
 * reused pid). A holder on another host is never stale (its pid cannot be checked from here).
 */
export function isStale(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return false
  try {
    process.kill(holder.pid, 0)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return true
  }
  const started = processStartTicks(holder.pid)
  return holder.started !== null && started !== null && started !== holder.started
}

/**
 * One attempt: `acquired` when `me` now holds the lock, else the live holder. A stale or
 * unreadable lock is removed (under the takeover guard) and the attempt repeated, a few times:
 * `contended` when the lock kept changing hands (the caller waits and tries again).
 */
function tryAcquire(file: string, me: LockHolder): 'acquired' | 'contended' | LockHolder {
  mkdirSync(dirname(file), {recursive: true, mode: 0o700})
  for (let attempt = 0; attempt < TAKEOVER.attempts; attempt++) {
    if (createWhole(file, `${JSON.stringify(me)}\n`)) return 'acquired'
    const other = readLockHolder(file)
    if (other !== null && !isStale(other)) return other
    removeStale(file, other)
  }
  return 'contended'
}

/**
 * Stale-lock takeover: removals tried in one attempt; then, while another process is taking the
 * lock over, up to `rounds` more attempts `pauseMs` apart before CLUSTER_BUSY.
 */
const TAKEOVER = {attempts: 3, rounds: 200, pauseMs: 5} as const

/**
 * Remove the lock `file` if it still is the stale one seen (`seen`; null: unreadable), under
 * the takeover guard `file.takeover` (created with `wx`): of the processes that saw the same
 * stale lock, the first removes it and the others then find the new holder's lock. A guard left
 * by a process that died inside this function (a few system calls) is removed when its pid is dead.
 */
function removeStale(file: string, seen: LockHolder | null): void {
  const guard = `${file}.takeover`
  let fd: number
  try {
    fd = openSync(guard, 'wx', 0o600)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    const guardPid = Number(readText(guard).trim())
    if (Number.isInteger(guardPid) && guardPid > 0 && !pidAlive(guardPid)) rmSync(guard, {force: true})
    return
  }
  try {
    writeSync(fd, `${process.pid}\n`)
    const now = readLockHolder(file)
    if (seen === null ? now === null || isStale(now) : now?.token === seen.token) rmSync(file, {force: true})
  } finally {
    closeSync(fd)
    rmSync(guard, {force: true})
  }
}

/** The held lock for `me`: recorded for the exit handler, released once. */
function heldLock(file: string, me: LockHolder): HeldLock {
  held.set(file, me)
  installExitHandler()
  return {
    file,
    holder: me,
    release: () => {
      if (held.get(file)?.token !== me.token) return
      held.delete(file)
      releaseFile(file, me.token)
    },
  }
}

/** Remove `file` if it is still the lock taken with `token` (never someone else's). */
function releaseFile(file: string, token: string): void {
  if (readLockHolder(file)?.token === token) rmSync(file, {force: true})
}

function installExitHandler(): void {
  if (exitHandlerInstalled) return
  exitHandlerInstalled = true
  process.on('exit', () => {
    for (const [file, holder] of held) releaseFile(file, holder.token)
    held.clear()
  })
}

/** CLUSTER_BUSY naming the holder (null: the lock kept changing hands). */
function busy(file: string, holder: LockHolder | null, waitMs: number, resource = "the lock's resource"): RaftctlError {
  if (holder === null) return new RaftctlError('CLUSTER_BUSY', `${resource} is busy: other commands kept taking its lock over (waited ${waitMs} ms). Retry (lock file: ${file})`, {holder: null, lockFile: file})
  const age = Date.now() - Date.parse(holder.since)
  const ago = Number.isFinite(age) ? `, ${(Math.max(0, age) / 1000).toFixed(1)} s ago` : ''
  const self = holder.pid === process.pid ? ' (this process)' : ''
  return new RaftctlError(
    'CLUSTER_BUSY',
    `${resource} is busy: "${holder.command}" (pid ${holder.pid}${self}) has held its lock since ${holder.since}${ago}; waited ${waitMs} ms. Retry when it has finished (lock file: ${file})`,
    {holder: {pid: holder.pid, command: holder.command, since: holder.since, host: holder.host}, lockFile: file},
  )
}

function newHolder(command: string): LockHolder {
  return {pid: process.pid, command, since: new Date().toISOString(), host: hostname(), started: processStartTicks(process.pid), token: randomBytes(8).toString('hex')}
}

/** This process's command line as a user typed it: `raftctl cluster start --nodes 3`. */
function commandLine(): string {
  return ['raftctl', ...process.argv.slice(2)].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ')
}

/** Field 22 of /proc/PID/stat (start time in clock ticks since boot); null without /proc. */
function processStartTicks(pid: number): string | null {
  const stat = readText(`/proc/${pid}/stat`)
  if (!stat) return null
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return ''
  }
}
