/**
 * Real daemons for integration tests: spawn `bin/run.js node run` processes on 127.0.0.1 with
 * free ports and a fresh data dir, track their pids, kill -9 / restart them, and stop every one
 * of them at the end, then remove the temp dir. Requires `npm run build` (bin/run.js loads dist/).
 */
import {spawn, type ChildProcess} from 'node:child_process'
import {mkdirSync, writeFileSync, readFileSync, existsSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {freePort} from '../../src/cluster/ports.js'
import {AdminClient, KvClient} from '../../src/client/index.js'
import type {NodeStatus} from '../../src/admin/protocol.js'
import {tempDir} from '../helpers.js'

export const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

/** Is dist/ built (bin/run.js needs it)? */
export function distBuilt(): boolean {
  return existsSync(fileURLToPath(new URL('../../dist/commands/node/run.js', import.meta.url)))
}

export interface DaemonSpec {
  readonly id: string
  readonly port: number
  readonly address: string
  readonly dataDir: string
  readonly logFile: string
}

export interface TestClusterOptions {
  readonly nodes?: number
  readonly extraArgs?: string[]
}

/** A set of real daemons under one temp dir. */
export class TestCluster {
  readonly dir = tempDir('raftctl-daemon-')
  readonly secretFile = join(this.dir, 'secret')
  readonly secret = 'test-secret-0123456789abcdef'
  /** The peer secret every daemon gets with --peer-secret-file (clients never send it). */
  readonly peerSecretFile = join(this.dir, 'peer-secret')
  readonly peerSecret = 'test-peer-secret-0123456789abcdef'
  readonly specs: DaemonSpec[] = []
  private readonly procs = new Map<string, ChildProcess>()
  private readonly exits = new Map<string, Promise<number | null>>()
  private readonly clients: {close(): Promise<void>}[] = []

  /** @param extraArgs flags for every daemon; @param scheme `wss` when the daemons serve TLS. */
  constructor(readonly extraArgs: string[] = [], readonly scheme: 'ws' | 'wss' = 'ws') {
    writeFileSync(this.secretFile, `${this.secret}\n`, {mode: 0o600})
    writeFileSync(this.peerSecretFile, `${this.peerSecret}\n`, {mode: 0o600})
  }

  /** Reserve ports and start `n` founders. */
  async start(n = 3): Promise<void> {
    for (let i = 1; i <= n; i++) await this.reserve(`n${i}`)
    const founders = this.specs.map((s) => s.id)
    await Promise.all(this.specs.map((s) => this.launch(s.id, founders)))
  }

  /** Reserve a port and data dir for a node id. */
  async reserve(id: string): Promise<DaemonSpec> {
    const port = await freePort()
    const spec: DaemonSpec = {id, port, address: `${this.scheme}://127.0.0.1:${port}`, dataDir: join(this.dir, id), logFile: join(this.dir, `${id}.log`)}
    mkdirSync(spec.dataDir, {recursive: true})
    this.specs.push(spec)
    return spec
  }

  spec(id: string): DaemonSpec {
    const s = this.specs.find((x) => x.id === id)
    if (!s) throw new Error(`no node ${id}`)
    return s
  }

  /** Start (or restart) a daemon and wait until it listens. */
  async launch(id: string, initialCluster: string[] = [], args: string[] = []): Promise<ChildProcess> {
    const s = this.spec(id)
    const peers = this.specs.filter((x) => x.id !== id).map((x) => `${x.id}=${x.address}`).join(',')
    const argv = [BIN, 'node', 'run', '--id', id, '--listen', `127.0.0.1:${s.port}`, '--data-dir', s.dataDir,
      '--secret-file', this.secretFile, '--peer-secret-file', this.peerSecretFile, '--log-file', s.logFile, '--announce', ...this.extraArgs, ...args]
    if (peers) argv.push('--peers', peers)
    if (initialCluster.length > 0) argv.push('--initial-cluster', initialCluster.join(','))
    const child = spawn(process.execPath, argv, {stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, OCLIF_SKIP_NEW_VERSION_CHECK: 'true'}})
    this.procs.set(id, child)
    this.exits.set(id, new Promise((r) => child.once('exit', (code) => r(code))))
    await new Promise<void>((resolve, reject) => {
      let out = ''
      let err = ''
      child.stdout!.on('data', (d) => {
        out += d
        if (out.includes('"ready":true')) resolve()
      })
      child.stderr!.on('data', (d) => { err += d })
      child.once('exit', (code) => reject(new Error(`${id} exited with ${code} before listening: ${err}`)))
    })
    return child
  }

  /** Run a daemon that is expected to fail at start; returns its exit code and stderr (killed, code null, if still running after `timeoutMs`). */
  launchExpectingFailure(id: string, timeoutMs = 15_000): Promise<{code: number | null; stderr: string}> {
    const s = this.spec(id)
    return this.runExpectingFailure(['--id', id, '--listen', `127.0.0.1:${s.port}`, '--data-dir', s.dataDir], timeoutMs)
  }

  /**
   * Run `node run ARGS` with this cluster's secrets, expected to fail at start: its exit code and
   * stderr. A node that starts after all must not hang the test, nor outlive it: it is SIGKILLed
   * (code null) after `timeoutMs`.
   */
  async runExpectingFailure(args: readonly string[], timeoutMs = 15_000): Promise<{code: number | null; stderr: string}> {
    const argv = [BIN, 'node', 'run', '--secret-file', this.secretFile, '--peer-secret-file', this.peerSecretFile, ...args]
    if (!args.includes('--listen')) argv.push('--listen', '127.0.0.1:0')
    const child = spawn(process.execPath, argv, {stdio: ['ignore', 'ignore', 'pipe'], env: {...process.env, OCLIF_SKIP_NEW_VERSION_CHECK: 'true'}})
    let stderr = ''
    child.stderr!.on('data', (d) => { stderr += d })
    const timer = setTimeout(() => {
      stderr += `\n(still running after ${timeoutMs} ms: killed by the test)`
      child.kill('SIGKILL')
    }, timeoutMs)
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)))
    clearTimeout(timer)
    return {code, stderr}
  }

  pid(id: string): number | undefined {
    return this.procs.get(id)?.pid
  }

  isRunning(id: string): boolean {
    const p = this.procs.get(id)
    return p !== undefined && p.exitCode === null && p.signalCode === null
  }

  /** kill -9 and wait for the exit. */
  async kill(id: string): Promise<void> {
    const p = this.procs.get(id)
    if (!p || !this.isRunning(id)) return
    p.kill('SIGKILL')
    await this.exits.get(id)
  }

  /** SIGTERM and wait; returns the exit code. */
  async terminate(id: string): Promise<number | null> {
    const p = this.procs.get(id)
    if (!p || !this.isRunning(id)) return p?.exitCode ?? null
    p.kill('SIGTERM')
    return this.exits.get(id)!
  }

  admin(id: string): AdminClient {
    const c = new AdminClient({url: this.spec(id).address, secret: this.secret, timeoutMs: 3000})
    this.clients.push(c)
    return c
  }

  kv(endpoints: string[] = this.specs.map((s) => s.id), clientId?: string): KvClient {
    const c = new KvClient({endpoints: endpoints.map((id) => ({id, url: this.spec(id).address})), secret: this.secret, timeoutMs: 3000, clientId})
    this.clients.push(c)
    return c
  }

  /** Status of a node, or null when unreachable. */
  async status(id: string): Promise<NodeStatus | null> {
    if (!this.isRunning(id)) return null
    const c = new AdminClient({url: this.spec(id).address, secret: this.secret, timeoutMs: 1000})
    try {
      return await c.status()
    } catch {
      return null
    } finally {
      await c.close()
    }
  }

  /** Wait until a leader is known to every running node (same term); returns its id and term. */
  async waitForLeader(timeoutMs = 15_000, exclude: string[] = []): Promise<{leader: string; term: number}> {
    const end = Date.now() + timeoutMs
    while (Date.now() < end) {
      const running = this.specs.filter((s) => this.isRunning(s.id) && !exclude.includes(s.id))
      const sts = await Promise.all(running.map((s) => this.status(s.id)))
      const leaders = sts.filter((s) => s?.role === 'leader')
      if (leaders.length === 1 && sts.every((s) => s !== null && s.leader === leaders[0]!.id && s.term === leaders[0]!.term)) {
        return {leader: leaders[0]!.id, term: leaders[0]!.term}
      }
      await sleep(50)
    }
    throw new Error('no leader agreed by all running nodes')
  }

  /** Partition `id` away from every other node (a chaos fault on each node) for `ms`, then heal it. */
  async isolate(id: string, ms: number): Promise<void> {
    const others = this.specs.map((s) => s.id).filter((x) => x !== id)
    for (const s of this.specs) await this.admin(s.id).chaosAdd({kind: 'partition', groups: [[id], others]}, {id: 'isolate'})
    await sleep(ms)
    for (const s of this.specs) await this.admin(s.id).chaosHeal({id: 'isolate'})
  }

  log(id: string): string {
    const f = this.spec(id).logFile
    return existsSync(f) ? readFileSync(f, 'utf8') : ''
  }

  /** Stop every daemon (SIGKILL), close clients, and remove the temp dir (data, logs, secret). */
  async shutdown(): Promise<void> {
    for (const c of this.clients) await c.close().catch(() => {})
    for (const id of this.procs.keys()) await this.kill(id)
    rmSync(this.dir, {recursive: true, force: true})
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

/** Resident memory of a pid in bytes (from /proc). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const m = /VmRSS:\s+(\d+) kB/.exec(status)
  return m ? Number(m[1]) * 1024 : 0
}
