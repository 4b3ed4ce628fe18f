/**
 * Test networks of "hosts" in network namespaces: each host a namespace with one address, joined
 * by veth pairs to a bridge in its own namespace, so nothing touches the host's network; with
 * `hostLink`, one more veth joins the root namespace to the bridge (an address in the test's
 * subnet), so a CLI run from the root namespace reaches the hosts as it would other machines.
 * Deleting the namespaces removes every link. Used by test/daemon/netns.int.test.ts and
 * test/commands/remote.int.test.ts.
 */
import {execFileSync, spawn, type ChildProcess} from 'node:child_process'
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {BIN, distBuilt} from './harness.js'

/** `ip ARGS…`, its stdout. */
export function ip(...args: string[]): string {
  return execFileSync('ip', args, {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
}

/** `ip netns exec NS ARGS…`, its stdout. */
export function inNs(ns: string, ...args: string[]): string {
  return ip('netns', 'exec', ns, ...args)
}

/** Why namespaces cannot be used here, or null when they can (`tag`: a prefix unique to the test). */
export function namespacesUnavailable(tag: string): string | null {
  if (!distBuilt()) return 'dist/ is not built: run `npm run build` first (npm test does)'
  if (process.getuid?.() !== 0) return 'network namespaces need root'
  try {
    ip('netns', 'add', `${tag}probe`)
    ip('netns', 'del', `${tag}probe`)
    return null
  } catch (err) {
    return `cannot create network namespaces here (ip netns add failed: ${(err as Error).message.split('\n')[0]})`
  }
}

/** One host: its namespace, address and the node URL on port 7001. */
export interface Host {
  readonly id: string
  readonly ns: string
  readonly address: string
  readonly url: string
  /** Its veth end on the bridge (set it down to cut the host off). */
  readonly bridgeEnd: string
}

/** A network of hosts `n1…` in `subnet` (`10.231.0`: hosts .1, .2, …; the bridge .254; the root namespace .253). */
export class TestNetwork {
  readonly bridgeNs: string
  readonly hosts: Host[] = []
  private readonly namespaces: string[] = []

  constructor(readonly tag: string, readonly subnet: string, readonly scheme: 'ws' | 'wss' = 'ws') {
    this.bridgeNs = `${tag}b`
  }

  /** Create the bridge and `n` hosts; with `hostLink`, link the root namespace to the bridge. */
  create(n: number, options: {hostLink?: boolean} = {}): Host[] {
    ip('netns', 'add', this.bridgeNs)
    this.namespaces.push(this.bridgeNs)
    inNs(this.bridgeNs, 'ip', 'link', 'add', 'br0', 'type', 'bridge')
    inNs(this.bridgeNs, 'ip', 'addr', 'add', `${this.subnet}.254/24`, 'dev', 'br0')
    inNs(this.bridgeNs, 'ip', 'link', 'set', 'br0', 'up')
    inNs(this.bridgeNs, 'ip', 'link', 'set', 'lo', 'up')
    if (options.hostLink) this.linkRoot()
    for (let i = 1; i <= n; i++) this.addHost()
    return this.hosts
  }

  /** One more host, `n<k>` at `<subnet>.<k>`. */
  addHost(): Host {
    const i = this.hosts.length + 1
    const ns = `${this.tag}n${i}`
    const a = `${this.tag}v${i}a`
    const b = `${this.tag}v${i}b`
    ip('netns', 'add', ns)
    this.namespaces.push(ns)
    ip('link', 'add', a, 'type', 'veth', 'peer', 'name', b)
    ip('link', 'set', a, 'netns', this.bridgeNs)
    ip('link', 'set', b, 'netns', ns)
    inNs(this.bridgeNs, 'ip', 'link', 'set', a, 'master', 'br0')
    inNs(this.bridgeNs, 'ip', 'link', 'set', a, 'up')
    inNs(ns, 'ip', 'addr', 'add', `${this.subnet}.${i}/24`, 'dev', b)
    inNs(ns, 'ip', 'link', 'set', b, 'up')
    inNs(ns, 'ip', 'link', 'set', 'lo', 'up')
    const host: Host = {id: `n${i}`, ns, address: `${this.subnet}.${i}`, url: `${this.scheme}://${this.subnet}.${i}:7001`, bridgeEnd: a}
    this.hosts.push(host)
    return host
  }

  /** A veth from the root namespace (`<subnet>.253`) to the bridge: removed with the bridge's namespace. */
  private linkRoot(): void {
    const a = `${this.tag}ha`
    const b = `${this.tag}hb`
    ip('link', 'add', a, 'type', 'veth', 'peer', 'name', b)
    ip('link', 'set', a, 'netns', this.bridgeNs)
    inNs(this.bridgeNs, 'ip', 'link', 'set', a, 'master', 'br0')
    inNs(this.bridgeNs, 'ip', 'link', 'set', a, 'up')
    ip('addr', 'add', `${this.subnet}.253/24`, 'dev', b)
    ip('link', 'set', b, 'up')
  }

  /** Delete every namespace (and with them every link) this network made. */
  destroy(): void {
    for (const ns of this.namespaces.splice(0).reverse()) {
      try {
        ip('netns', 'del', ns)
      } catch {
        // already gone
      }
    }
  }
}

/**
 * Start one founding daemon per host, in its namespace, listening on its address port 7001, with
 * data, logs and the client secret (`secret`) under `dir`. Stop them with {@link killDaemons}.
 */
export function spawnDaemons(hosts: readonly Host[], dir: string, secret: string): ChildProcess[] {
  const secretFile = join(dir, 'secret')
  writeFileSync(secretFile, `${secret}\n`, {mode: 0o600})
  return hosts.map((h) => {
    const dataDir = join(dir, h.id)
    mkdirSync(dataDir)
    const peers = hosts.filter((x) => x !== h).map((x) => `${x.id}=${x.url}`).join(',')
    return spawn('ip', ['netns', 'exec', h.ns, process.execPath, BIN, 'node', 'run', '--id', h.id,
      '--listen', `${h.address}:7001`, '--data-dir', dataDir, '--secret-file', secretFile, '--peers', peers,
      '--initial-cluster', hosts.map((x) => x.id).join(','), '--log-file', join(dir, `${h.id}.log`)], {stdio: 'ignore'})
  })
}

/** SIGKILL every daemon {@link spawnDaemons} started (`ip netns exec` runs the node in its own pid) and wait for each exit. */
export async function killDaemons(procs: readonly ChildProcess[]): Promise<void> {
  const exited = procs.map((p) => (p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise((r) => p.once('exit', r))))
  for (const p of procs) p.kill('SIGKILL')
  await Promise.all(exited)
}
