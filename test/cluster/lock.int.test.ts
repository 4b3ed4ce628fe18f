/**
 * The cluster lock (src/cluster/lock.ts): one holder at a time, within a process and across
 * processes; CLUSTER_BUSY names the holder (command line, pid, since when); a lock whose process
 * died is taken over, by exactly one of several contenders; a holder that exits releases it.
 */
import assert from 'node:assert/strict'
import {spawn, spawnSync, type ChildProcess} from 'node:child_process'
import {existsSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {hostname} from 'node:os'
import {join} from 'node:path'
import {createInterface} from 'node:readline'
import {fileURLToPath} from 'node:url'
import {after, test} from 'node:test'
import {acquireLock, isStale, readLockHolder, withLock} from '../../src/cluster/lock.js'
import {RaftctlError} from '../../src/common/errors.js'
import {tempDir} from '../helpers.js'

const dir = tempDir('raftctl-lock-')
const CHILD = fileURLToPath(new URL('./lock-child.ts', import.meta.url))
const children = new Set<ChildProcess>()
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  rmSync(dir, {recursive: true, force: true})
})

let n = 0
/** A fresh lock path (its folder does not exist yet). */
function lockPath(): string {
  return join(dir, `case${++n}`, '.locks', 'c.lock')
}

/** What a child reported after trying the lock. */
interface ChildReport {
  acquired: boolean
  pid: number
  code?: string
  message?: string
}

/** A started lock-child.ts and its next stdout line. */
interface Child {
  readonly proc: ChildProcess
  readonly line: () => Promise<string>
}

/** Start lock-child.ts on `file` (`onGo`: it tries only once told `go`; resolves once it is ready to). */
async function start(file: string, command: string, waitMs: number, onGo: boolean): Promise<Child> {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, file, command, String(waitMs), ...(onGo ? ['on-go'] : [])], {stdio: ['pipe', 'pipe', 'inherit']})
  children.add(proc)
  const lines = createInterface({input: proc.stdout!})[Symbol.asyncIterator]()
  const line = async (): Promise<string> => {
    const r = await lines.next()
    if (r.done) throw new Error(`lock child ${proc.pid} exited without a report`)
    return r.value
  }
  if (onGo) assert.equal(await line(), 'ready')
  return {proc, line}
}

/** Start lock-child.ts trying `file` at once; resolves with the child and its report. */
async function child(file: string, command: string, waitMs = 0): Promise<{proc: ChildProcess; report: ChildReport}> {
  const c = await start(file, command, waitMs, false)
  return {proc: c.proc, report: JSON.parse(await c.line()) as ChildReport}
}

/** Wait until `proc` has exited. */
function exited(proc: ChildProcess): Promise<void> {
  return proc.exitCode !== null || proc.signalCode !== null ? Promise.resolve() : new Promise((r) => proc.once('exit', () => r()))
}

/** A pid that is certainly dead: a process that ran and was reaped. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!
}

test('within one process: a second acquire fails with CLUSTER_BUSY naming the holder; after release it succeeds', async () => {
  const file = lockPath()
  const first = await acquireLock(file, {command: 'raftctl cluster start --nodes 3', waitMs: 0})
  const holder = readLockHolder(file)
  assert.equal(holder?.pid, process.pid)
  assert.equal(holder?.command, 'raftctl cluster start --nodes 3')
  await assert.rejects(acquireLock(file, {command: 'raftctl node stop n1', waitMs: 0}), (err: unknown) => {
    assert.ok(err instanceof RaftctlError)
    assert.equal(err.code, 'CLUSTER_BUSY')
    assert.equal(err.exitCode, 3)
    assert.match(err.message, /"raftctl cluster start --nodes 3" \(pid \d+ \(this process\)\) has held its lock since \d{4}-\d\d-\d\dT/)
    assert.ok(err.message.includes(holder!.since))
    return true
  })
  first.release()
  first.release() // idempotent
  assert.equal(existsSync(file), false)
  const second = await acquireLock(file, {waitMs: 0})
  second.release()
  assert.deepEqual(readdirSync(join(file, '..')), [], 'no temp or guard files are left')
})

test('withLock runs concurrent callers one after another, and a waiter is told who it waits for', async () => {
  const file = lockPath()
  const events: string[] = []
  const waitedFor: string[] = []
  const body = (name: string) => async () => {
    events.push(`${name} in`)
    await new Promise((r) => setTimeout(r, 30))
    events.push(`${name} out`)
  }
  await Promise.all([
    withLock(file, {command: 'A', waitMs: 60_000, pollMs: 5}, body('A')),
    withLock(file, {command: 'B', waitMs: 60_000, pollMs: 5, onWait: (h) => waitedFor.push(h.command)}, body('B')),
  ])
  assert.deepEqual(events, ['A in', 'A out', 'B in', 'B out'])
  assert.deepEqual(waitedFor, ['A'])
  assert.equal(existsSync(file), false)
})

test('withLock releases the lock when its function throws', async () => {
  const file = lockPath()
  await assert.rejects(withLock(file, {waitMs: 0}, async () => {
    throw new Error('boom')
  }), /boom/)
  assert.equal(existsSync(file), false)
})

test('a lock held by another process: CLUSTER_BUSY with its command line and pid; free once it exits (exit handler)', async () => {
  const file = lockPath()
  const holder = await child(file, 'raftctl node add')
  assert.equal(holder.report.acquired, true)
  await assert.rejects(acquireLock(file, {waitMs: 0}), (err: unknown) => {
    assert.ok(err instanceof RaftctlError && err.code === 'CLUSTER_BUSY')
    assert.match(err.message, new RegExp(`"raftctl node add" \\(pid ${holder.proc.pid}\\) has held its lock since `))
    assert.deepEqual((err.details?.holder as {pid: number}).pid, holder.proc.pid)
    return true
  })
  holder.proc.stdin!.end('exit\n')
  await exited(holder.proc)
  assert.equal(existsSync(file), false, 'released by the exit handler')
  ;(await acquireLock(file, {waitMs: 0})).release()
})

test('a waiting acquire gets the lock when the other process releases it', async () => {
  const file = lockPath()
  const holder = await child(file, 'raftctl cluster stop')
  const waiting = acquireLock(file, {waitMs: 120_000, pollMs: 10})
  holder.proc.stdin!.end('exit\n')
  const lock = await waiting
  assert.equal(readLockHolder(file)?.pid, process.pid)
  lock.release()
})

test('a holder killed with SIGKILL leaves a stale lock, which the next acquire takes over', async () => {
  const file = lockPath()
  const holder = await child(file, 'raftctl cluster start')
  holder.proc.kill('SIGKILL')
  await exited(holder.proc)
  const stale = readLockHolder(file)
  assert.equal(stale?.pid, holder.proc.pid, 'the killed holder could not release it')
  assert.equal(isStale(stale!), true)
  const lock = await acquireLock(file, {command: 'me', waitMs: 0})
  assert.equal(readLockHolder(file)?.command, 'me')
  lock.release()
})

test('stale locks: a dead pid, a reused pid (another start time) and an unreadable file are taken over; a live one is not', async () => {
  const file = lockPath()
  const base = {command: 'old', since: new Date(0).toISOString(), host: hostname(), token: 'old-token'}
  ;(await acquireLock(file, {waitMs: 0})).release() // creates the folder
  for (const content of [
    JSON.stringify({...base, pid: deadPid(), started: null}),
    JSON.stringify({...base, pid: process.pid, started: 'not-my-start-time'}),
    'garbage',
  ]) {
    writeFileSync(file, content)
    const lock = await acquireLock(file, {waitMs: 0})
    assert.equal(readLockHolder(file)?.pid, process.pid, content)
    lock.release()
  }
  const live = await child(file, 'live holder')
  assert.equal(live.report.acquired, true)
  assert.equal(isStale(readLockHolder(file)!), false)
  live.proc.stdin!.end('exit\n')
  await exited(live.proc)
})

test('several processes find the same stale lock at once: exactly one takes it over', async () => {
  const file = lockPath()
  ;(await acquireLock(file, {waitMs: 0})).release()
  writeFileSync(file, JSON.stringify({pid: deadPid(), command: 'dead', since: new Date(0).toISOString(), host: hostname(), started: null, token: 'stale'}))
  // Every child starts (tsx takes a while), then all are told to go at the same moment.
  const ready = await Promise.all([1, 2, 3, 4].map((i) => start(file, `contender ${i}`, 0, true)))
  for (const c of ready) c.proc.stdin!.write('go\n')
  const contenders = await Promise.all(ready.map(async (c) => ({proc: c.proc, report: JSON.parse(await c.line()) as ChildReport})))
  const winners = contenders.filter((c) => c.report.acquired)
  assert.equal(winners.length, 1, JSON.stringify(contenders.map((c) => c.report)))
  for (const c of contenders.filter((x) => !x.report.acquired)) {
    assert.equal(c.report.code, 'CLUSTER_BUSY')
    assert.match(c.report.message!, new RegExp(`"contender \\d" \\(pid ${winners[0]!.proc.pid}\\)`))
  }
  assert.equal(readLockHolder(file)?.pid, winners[0]!.proc.pid)
  for (const c of contenders) c.proc.stdin!.end('exit\n')
  await Promise.all(contenders.map((c) => exited(c.proc)))
  assert.equal(existsSync(file), false)
})
