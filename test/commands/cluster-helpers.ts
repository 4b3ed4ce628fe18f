/**
 * Helpers of the operator-command tests, which run against REAL daemons: LocalCluster spawns
 * them from bin/run.js, which loads dist/ — run `npm run build` first. Each test file uses its
 * own RAFTCTL_HOME (a temporary folder) and one cluster, and calls {@link cleanup} in `after()`:
 * every cluster is destroyed and every daemon pid the tests saw is killed.
 */
import {readFileSync, rmSync} from 'node:fs'
import {setTimeout as sleep} from 'node:timers/promises'
import {runCommand} from '@oclif/test'
import {beforeCommand, tempDir} from '../helpers.js'
import {LocalCluster, listClusters} from '../../src/cluster/index.js'

/** Every daemon pid seen in a command's output. */
const seenPids = new Set<number>()

/** A fresh RAFTCTL_HOME for this test file (sets the environment variable). */
export function useTempHome(): string {
  const home = tempDir('raftctl-cmd-')
  process.env.RAFTCTL_HOME = home
  delete process.env.RAFTCTL_CLUSTER
  return home
}

/** The outcome of one command. */
export interface Ran {
  readonly stdout: string
  readonly stderr: string
  readonly exit: number
  readonly result: unknown
  /** stdout parsed as ONE JSON document (fails the test otherwise). */
  json<T = any>(): T // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Run `raftctl ARGS` in-process (runCommand; arguments must not contain spaces). */
export async function raftctl(...args: string[]): Promise<Ran> {
  await beforeCommand()
  const {stdout, stderr, error, result} = await runCommand(args)
  const exit = error ? ((error as {oclif?: {exit?: number}}).oclif?.exit ?? 1) : 0
  for (const m of stdout.matchAll(/"pid": (\d+)/g)) seenPids.add(Number(m[1]))
  return {
    stdout, stderr, exit, result,
    json() {
      try {
        return JSON.parse(stdout)
      } catch {
        throw new Error(`stdout is not one JSON document:\n${stdout}\nstderr:\n${stderr}\n${error?.stack ?? ''}`)
      }
    },
  }
}

/** Poll `fn` until it returns a truthy value (returned) or `timeoutMs` passes (the last error is thrown). */
export async function eventually<T>(fn: () => Promise<T | null | undefined | false>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const end = Date.now() + timeoutMs
  let lastError: unknown
  while (Date.now() < end) {
    try {
      const v = await fn()
      if (v) return v
    } catch (error) {
      lastError = error
    }
    await sleep(100)
  }
  throw new Error(`${what} not reached within ${timeoutMs} ms${lastError ? `: ${(lastError as Error).message}` : ''}`)
}

/** Is `pid` alive? A zombie (exited, not yet reaped by init) is not. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] !== 'Z'
  } catch {
    return true
  }
}

/** True when `pid` still runs a raftctl daemon (its command line has `run`), so a reused pid is never killed. */
export function isRaftctlDaemon(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('run')
  } catch {
    return alive(pid)
  }
}

/** Remember a daemon pid to kill at the end. */
export function trackPid(pid: number | null | undefined): void {
  if (pid) seenPids.add(pid)
}

/**
 * `raftctl cluster start --json ARGS` that must succeed: every daemon it started is tracked for
 * {@link cleanup}. Returns the command's JSON result.
 */
export async function startCluster(...args: string[]): Promise<{nodes: Array<{id: string; pid: number}>}> {
  const r = await raftctl('cluster', 'start', '--json', ...args)
  if (r.exit !== 0) throw new Error(`cluster start ${args.join(' ')} failed (exit ${r.exit}): ${r.stderr}`)
  const result = r.json()
  for (const n of result.nodes) trackPid(n.pid)
  return result
}

/** Destroy every cluster in `home`, kill every daemon seen, delete `home`. */
export async function cleanup(home: string): Promise<void> {
  for (const name of listClusters(home)) {
    const cluster = new LocalCluster(name, home)
    for (const n of cluster.manifest().nodes) trackPid(cluster.pid(n.id))
    await cluster.destroy().catch(() => undefined)
  }
  for (const pid of seenPids) {
    if (alive(pid) && isRaftctlDaemon(pid)) {
      try {
        process.kill(pid, 'SIGCONT')
        process.kill(pid, 'SIGKILL')
      } catch {
        // gone already
      }
    }
  }
  seenPids.clear()
  rmSync(home, {recursive: true, force: true})
}

/** Keys of an object, sorted. */
export function keys(o: object): string[] {
  return Object.keys(o).sort()
}
