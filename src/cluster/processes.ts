/**
 * Daemon processes of a local cluster: free ports, spawning detached `node run` daemons (through
 * the lean daemon entry) with their own log files, pid files with stale-pid detection, signals,
 * waiting for a start while following its status file, and the reason a daemon gave when it
 * exited during start-up, or stopped (read from its log).
 */
import {closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, rmSync} from 'node:fs'
import {resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {createRequire} from 'node:module'
import {RaftctlError} from '../common/errors.js'
import {describeStartupStatus, parseStartupStatus, type StartupStatus} from '../common/startup-status.js'
import type {ClusterPaths, Manifest, NodeEntry} from './manifest.js'

/** The raftctl CLI entry point. */
export const RAFTCTL_BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

/**
 * The lean daemon entry daemons are spawned with (`node DAEMON_ENTRY node run …`: the options
 * of `raftctl node run`, without loading oclif; src/daemon/entry.ts). Built into dist/ as one
 * bundled ES module (scripts/bundle.mjs): about 5 MiB less resident per idle daemon than
 * linking ~120 modules (docs/performance.md "Memory").
 */
export const DAEMON_ENTRY = fileURLToPath(new URL('../../dist/daemon/entry.js', import.meta.url))

/**
 * The same daemon entry as tsc built it, one file per module (dist/daemon/entry-modules.js): for
 * CPU profiles whose time by module should name raftctl's modules (`npm run bench:profile`).
 */
export const DAEMON_MODULES_ENTRY = fileURLToPath(new URL('../../dist/daemon/entry-modules.js', import.meta.url))

/**
 * V8 flags spawned daemons get by default: an 8 MiB semi-space (instead of 16) and an old space
 * that grows by 2x between major collections (instead of V8's adaptive factor, up to 4x). The
 * daemon's old space is mostly log entries that die at compaction, so a large growth factor only
 * keeps garbage resident. Measured (docs/performance.md, 64 clients, 15 s runs alternated):
 * 113–125 MiB resident instead of 166–181 MiB, for about 6% fewer writes per second. A 4 MiB
 * semi-space took another 7 MiB off under load on a busy machine (117 against 124.5 MiB), but
 * on a quiet machine it cost the write path about 5% of its throughput and 7% more daemon CPU
 * per write (64 clients, alternated rounds; docs/performance.md "Memory"), so 8 it stays.
 */
export const DEFAULT_DAEMON_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8', '--heap-growing-percent=100']

/**
 * Node/V8 flags for spawned daemons: RAFTCTL_DAEMON_NODE_FLAGS (space-separated) when it is
 * set, even empty (no flags at all), else {@link DEFAULT_DAEMON_NODE_FLAGS}.
 */
export const DAEMON_NODE_FLAGS: readonly string[] = process.env.RAFTCTL_DAEMON_NODE_FLAGS === undefined
  ? DEFAULT_DAEMON_NODE_FLAGS
  : process.env.RAFTCTL_DAEMON_NODE_FLAGS.split(' ').filter(Boolean)

/**
 * glibc malloc's `MALLOC_MMAP_THRESHOLD_` in spawned daemons: 4 MiB. Every large value passes
 * through several buffers of its size per write (socket reads, the request frame, the WAL batch,
 * each peer's append). A block of at least this size is `mmap`ed, and costs a page fault per
 * 4 KiB written, every time: at the former 64 KiB a 256 KiB buffer cost about 160 µs of CPU
 * instead of 30, and every 64 KiB socket read buffer was an `mmap` too (docs/performance.md,
 * "Large values"). 4 MiB is above the largest value (the KV `maxValueBytes`, 1 MiB) and a
 * peer's largest append (1 MiB).
 */
export const DAEMON_MMAP_THRESHOLD_BYTES = 4 * 1024 * 1024

/**
 * glibc malloc's `MALLOC_TRIM_THRESHOLD_` in spawned daemons: 1 MiB free at the top of the heap
 * is given back to the system (and faulted in again when next used). At 64 KiB a freed 256 KiB
 * buffer at the top was given back at once; at 4 MiB idle daemons kept 3–4 MiB more resident
 * (issue 23's idle target is 64 MiB). So blocks up to about 512 KiB are reused wherever they
 * are freed; larger ones, when freed at the top of the heap, are faulted in again.
 */
export const DAEMON_TRIM_THRESHOLD_BYTES = 1024 * 1024

/**
 * Environment defaults for spawned daemons (the caller's environment overrides them): glibc
 * malloc with 2 arenas keeps a daemon's resident memory near its live data (measured: 127–145
 * MiB instead of 150–190 MiB after 220k writes; docs/performance.md), and large blocks are
 * reused rather than mapped afresh each time ({@link DAEMON_MMAP_THRESHOLD_BYTES},
 * {@link DAEMON_TRIM_THRESHOLD_BYTES}).
 */
export const DAEMON_ENV: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_TRIM_THRESHOLD_: String(DAEMON_TRIM_THRESHOLD_BYTES),
  MALLOC_MMAP_THRESHOLD_: String(DAEMON_MMAP_THRESHOLD_BYTES),
}

/** Is `pid` a live raftctl daemon for `id` (not a stale pid reused by another process)? */
export function isDaemon(pid: number, id: string): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
    const i = cmdline.indexOf('--id')
    return cmdline.includes('run') && i >= 0 && cmdline[i + 1] === id
  } catch {
    return true // no /proc: trust the signal check
  }
}

/** The daemon's pid if it runs; a stale pid file is removed. */
export function runningPid(paths: ClusterPaths, id: string): number | null {
  const file = paths.pidFile(id)
  let text: string
  try {
    text = readFileSync(file, 'utf8').trim()
  } catch {
    return null
  }
  // An empty or partial file is a daemon writing it right now (writeFileSync truncates, then
  // writes): deleting it here would lose the pid for good, and the daemon would run unsupervised.
  if (!/^\d+$/.test(text) || Number(text) <= 0) return null
  const pid = Number(text)
  if (isDaemon(pid, id)) return pid
  rmSync(file, {force: true})
  return null
}

/** The process state letter from /proc (R, S, T, Z, …), or null when unknown. */
function processState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? null
  } catch {
    return null
  }
}

/** Is the process stopped (SIGSTOP)? */
export function isPaused(pid: number): boolean {
  const state = processState(pid)
  return state === 'T' || state === 't'
}

/**
 * Has `pid` exited? A zombie counts as exited: a detached daemon's parent is init, which may
 * take seconds to reap it (in some containers and VMs), and signal 0 still reaches a zombie.
 */
export function hasExited(pid: number): boolean {
  return !signal(pid, 0) || processState(pid) === 'Z'
}

/** A daemon just spawned, before it is known to be ready. */
export interface SpawnedDaemon {
  readonly pid: number
  /** Size of the node's log file before the spawn: what this daemon writes comes after it. */
  readonly logOffset: number
  /** Settles when the process exits: its exit code, or the signal that ended it. */
  readonly exited: Promise<{code: number | null; signal: string | null}>
}

/**
 * node:child_process, loaded when a daemon is first spawned: the commands that only speak to a
 * cluster (status, kv) never load it, nor dgram and the rest it loads (docs/performance.md
 * "CLI start-up").
 */
function childProcess(): typeof import('node:child_process') {
  return createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process')
}

/**
 * Spawn a detached daemon for `node`. The daemon writes its pid file once listening. It runs in the cluster's folder (every path it gets is absolute): what a process
 * leaves in its working directory (V8 logs of `--prof`, core files) stays with the cluster, and
 * the caller's directory is not held busy by a daemon. It gets `--peer-secret-file` when the
 * cluster has a peer secret (clusters created before peer secrets may not: see LocalCluster),
 * and `--cluster-id` when the manifest records one; `--rejoin` when `rejoin` (the node was a
 * member before: on an emptied data folder it rebuilds without voting); `extraArgs` go last
 * (e.g. `--force-new-cluster`, `--restore FILE`).
 */
export function spawnDaemon(paths: ClusterPaths, m: Manifest, node: NodeEntry, initialCluster: readonly string[], rejoin = false, extraArgs: readonly string[] = []): SpawnedDaemon {
  const peers = m.nodes.filter((n) => !n.removed && n.id !== node.id).map((n) => `${n.id}=${n.address}`).join(',')
  const o = m.options
  const args = [
    DAEMON_ENTRY, 'node', 'run',
    '--id', node.id,
    '--listen', `${node.host}:${node.port}`,
    '--data-dir', resolve(paths.dataDir(node.id)),
    '--secret-file', resolve(paths.secret),
    '--log-file', resolve(paths.logFile(node.id)),
    '--pid-file', resolve(paths.pidFile(node.id)),
    '--status-file', resolve(paths.statusFile(node.id)),
    '--tick', o.tick,
    '--election-ticks', String(o.electionTicks),
    '--heartbeat-ticks', String(o.heartbeatTicks),
    '--snapshot-every', String(o.snapshotEvery),
    '--compaction-lag', String(o.compactionLag),
  ]
  if (existsSync(paths.peerSecret)) args.push('--peer-secret-file', resolve(paths.peerSecret))
  if (peers) args.push('--peers', peers)
  if (initialCluster.length > 0) args.push('--initial-cluster', initialCluster.join(','))
  if (m.clusterId !== undefined) args.push('--cluster-id', m.clusterId)
  if (rejoin) args.push('--rejoin')
  if (o.unsafeFollowerReads) args.push('--unsafe-follower-reads')
  if (o.unsafeNoFsync) args.push('--unsafe-no-fsync')
  if (o.consistencyCheckEvery !== undefined) args.push('--consistency-check-every', o.consistencyCheckEvery)
  if (o.snapshotEveryBytes !== undefined) args.push('--snapshot-every-bytes', String(o.snapshotEveryBytes))
  if (o.compactionLagBytes !== undefined) args.push('--compaction-lag-bytes', String(o.compactionLagBytes))
  if (o.watchHistory !== undefined) args.push('--watch-history', String(o.watchHistory))
  args.push(...extraArgs)
  const out = openSync(paths.logFile(node.id), 'a')
  try {
    const logOffset = fstatSync(out).size
    const child = childProcess().spawn(process.execPath, [...DAEMON_NODE_FLAGS, ...args], {detached: true, cwd: resolve(paths.dir), stdio: ['ignore', out, out], env: {...DAEMON_ENV, ...process.env, OCLIF_SKIP_NEW_VERSION_CHECK: 'true'}})
    child.unref()
    if (child.pid === undefined) throw new RaftctlError('SPAWN_FAILED', `could not start ${node.id}`)
    const exited = new Promise<{code: number | null; signal: string | null}>((done) => child.once('exit', (code, sig) => done({code, signal: sig})))
    return {pid: child.pid, logOffset, exited}
  } finally {
    closeSync(out)
  }
}

/** Send `signal` to a pid; false if it is gone. */
export function signal(pid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, sig)
    return true
  } catch {
    return false
  }
}

/** Wait until `pid` exits or `timeoutMs` passes; true if it exited. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    if (hasExited(pid)) return true
    await sleep(25)
  }
  return hasExited(pid)
}

/** How much of what a failed daemon wrote to its log is searched for its reason (the end of it). */
export const FAILURE_LOG_TAIL_BYTES = 64 * 1024

/** The start-up status `pid` wrote to `file`, or null (none yet, another process's, unreadable). */
export function readStartupStatus(file: string, pid: number): StartupStatus | null {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return null
  }
  const status = parseStartupStatus(text)
  return status !== null && status.pid === pid ? status : null
}

/**
 * Wait until the daemon's pid file names a live daemon; returns the pid. Meanwhile the daemon's
 * start-up status file (src/common/startup-status.ts) is followed: each change goes to
 * `onProgress`, and the wait goes on as long as the status moves, however long recovery takes.
 * When the daemon exits first, fail at once with SPAWN_FAILED carrying its own reason, read
 * from its log ({@link startupFailure}), else from its status file: "n2 exited with code 1:
 * CORRUPT: corrupt storage: …". When `stallMs` pass with no change of status, kill it and fail
 * with SPAWN_FAILED naming the last step it reported.
 */
export async function waitForPidFile(paths: ClusterPaths, id: string, child: SpawnedDaemon, stallMs: number, onProgress?: (status: StartupStatus) => void): Promise<number> {
  let exit: {code: number | null; signal: string | null} | null = null
  void child.exited.then((e) => (exit = e))
  let last: StartupStatus | null = null
  let deadline = Date.now() + stallMs
  while (Date.now() < deadline) {
    const pid = runningPid(paths, id)
    if (pid !== null) return pid
    if (exit !== null || !signal(child.pid, 0)) throw exitedEarly(paths, id, child, exit)
    const status = readStartupStatus(paths.statusFile(id), child.pid)
    if (status !== null && (last === null || describeStartupStatus(status) !== describeStartupStatus(last))) {
      last = status
      deadline = Date.now() + stallMs
      onProgress?.(status)
    }
    await Promise.race([sleep(25), child.exited])
  }
  // Give up for good: a daemon that finishes starting later must not run unsupervised.
  signal(child.pid, 'SIGKILL')
  const where = last === null ? 'it reported no start-up step' : `its last step: ${describeStartupStatus(last)}`
  throw new RaftctlError('SPAWN_FAILED', `${id} made no progress for ${stallMs} ms (${where}); it was killed; see its log: ${paths.logFile(id)}`)
}

/** SPAWN_FAILED for a daemon that exited before it was ready, with its reason when its log (or its status file) has one. */
function exitedEarly(paths: ClusterPaths, id: string, child: SpawnedDaemon, exit: {code: number | null; signal: string | null} | null): RaftctlError {
  const how = exit?.signal ? `was killed by ${exit.signal}` : exit?.code != null ? `exited with code ${exit.code}` : 'exited'
  const status = readStartupStatus(paths.statusFile(id), child.pid)
  const failed = status?.phase === 'failed' ? {code: status.code ?? 'FAILED', message: status.error ?? ''} : null
  const reason = startupFailure(paths.logFile(id), child.logOffset, child.pid) ?? failed
  const log = paths.logFile(id)
  const message = reason ? `${id} ${how}: ${reason.code}: ${reason.message} (its log: ${log})` : `${id} ${how} before it was ready; see its log: ${log}`
  return new RaftctlError('SPAWN_FAILED', message, {node: id, exitCode: exit?.code ?? null, signal: exit?.signal ?? null, reason, log})
}

/** How much of the end of a log {@link lastLineFailure} reads. */
const LAST_LINE_BYTES = 8 * 1024

/**
 * Why a node that is down stopped, when the last line of its log says so: a `fatal` JSON line
 * with a code (src/daemon/main.ts), or the daemon entry's `Error [CODE]: message`; null when the
 * last line is anything else (a clean stop, a kill, no log).
 */
export function lastLineFailure(logFile: string): StartupFailure | null {
  const lines = readTail(logFile, 0, LAST_LINE_BYTES).split('\n').map((l) => l.trim()).filter(Boolean)
  const line = lines.at(-1)
  if (line === undefined) return null
  const parsed = parseLogLine(line)
  if (parsed) return parsed.level >= 60 ? parsed.failure : null
  const plain = /^Error \[([A-Z][A-Z0-9_]*)\]: (.*)$/.exec(line)
  return plain ? {code: plain[1]!, message: plain[2]!} : null
}

/** Why a daemon failed: the stable code and message of its last failure line. */
export interface StartupFailure {
  readonly code: string
  readonly message: string
}

/**
 * The reason a daemon gave for exiting, from what it appended to `logFile` after `offset`
 * (the last {@link FAILURE_LOG_TAIL_BYTES} of it): its last `fatal` JSON line of process `pid`
 * (`{"level":60,"pid",…,"code","error"}`, src/daemon/main.ts), else its last `error` line
 * with a code, else the entry's stderr line `Error [CODE]: message`; null when there is none.
 */
export function startupFailure(logFile: string, offset: number, pid: number): StartupFailure | null {
  const lines = readTail(logFile, offset, FAILURE_LOG_TAIL_BYTES).split('\n').reverse()
  let errorLine: StartupFailure | null = null
  let stderrLine: StartupFailure | null = null
  for (const line of lines) {
    const parsed = parseLogLine(line)
    if (parsed && parsed.pid === pid && parsed.level >= 60) return parsed.failure
    if (parsed && parsed.pid === pid && parsed.level >= 50) errorLine ??= parsed.failure
    const plain = /^Error \[([A-Z][A-Z0-9_]*)\]: (.*)$/.exec(line.trim())
    if (plain) stderrLine ??= {code: plain[1]!, message: plain[2]!}
  }
  return errorLine ?? stderrLine
}

/** A pino JSON line with a string `code`: its level, pid and failure; null for anything else. */
function parseLogLine(line: string): {level: number; pid: unknown; failure: StartupFailure} | null {
  if (!line.startsWith('{')) return null
  try {
    const o = JSON.parse(line) as Record<string, unknown>
    if (typeof o.level !== 'number' || typeof o.code !== 'string') return null
    const message = typeof o.error === 'string' ? o.error : typeof o.msg === 'string' ? o.msg : ''
    return {level: o.level, pid: o.pid, failure: {code: o.code, message}}
  } catch {
    return null
  }
}

/** The text of `file` from `offset` on, at most its last `maxBytes`; '' when unreadable. */
function readTail(file: string, offset: number, maxBytes: number): string {
  let fd: number
  try {
    fd = openSync(file, 'r')
  } catch {
    return ''
  }
  try {
    const size = fstatSync(fd).size
    const from = Math.max(offset, size - maxBytes)
    const buf = Buffer.alloc(Math.max(0, size - from))
    const n = readSync(fd, buf, 0, buf.length, from)
    return buf.subarray(0, n).toString('utf8')
  } finally {
    closeSync(fd)
  }
}

/** Promise-based sleep. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}
