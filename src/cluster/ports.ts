/**
 * Listening ports for local daemons, chosen outside the kernel's ephemeral range.
 *
 * A port is found free by binding it and letting it go; the daemon binds it a moment later, and
 * again at every restart (the manifest keeps it). A port from the ephemeral range (Linux:
 * 32768–60999) can be taken in between as the local end of any outgoing connection on the
 * machine, including the cluster's own peer links; the daemon then fails with EADDRINUSE. Ports
 * outside that range are only ever taken by programs that ask for them.
 */
import {readFileSync} from 'node:fs'
import {createServer} from 'node:net'

/** The ports listening ports are drawn from, less the ephemeral range (inclusive). */
export const LISTEN_PORTS = {low: 20_000, high: 32_767} as const
/** Candidates tried before falling back to a kernel-chosen (ephemeral) port. */
export const PORT_ATTEMPTS = 64
/** A port handed out is not handed out again by this process for this long (ms). */
export const PORT_QUARANTINE_MS = 60_000

/** An inclusive port range. */
export interface PortRange {
  readonly low: number
  readonly high: number
}

/** The kernel's ephemeral port range (Linux's default when it cannot be read). */
export function ephemeralRange(file = '/proc/sys/net/ipv4/ip_local_port_range'): PortRange {
  try {
    const [low, high] = readFileSync(file, 'utf8').trim().split(/\s+/).map(Number)
    if (Number.isInteger(low) && Number.isInteger(high) && low! > 0 && high! >= low!) return {low: low!, high: high!}
  } catch {
    // not Linux, or no /proc: the default
  }
  return {low: 32_768, high: 60_999}
}

/**
 * The candidate range: the larger part of {@link LISTEN_PORTS} outside the ephemeral range
 * (below or above it); null when the ephemeral range covers all of it.
 */
export function listenRange(ephemeral: PortRange = ephemeralRange()): PortRange | null {
  const {low, high} = LISTEN_PORTS
  if (ephemeral.high < low || ephemeral.low > high) return {low, high}
  const below = {low, high: ephemeral.low - 1}
  const above = {low: ephemeral.high + 1, high}
  const size = (r: PortRange): number => r.high - r.low + 1
  const best = size(below) >= size(above) ? below : above
  return size(best) > 0 ? best : null
}

/** Options of {@link freePort}. */
export interface FreePortOptions {
  /** Ports never to return (e.g. those of stopped nodes, which are not bound but will be). */
  readonly exclude?: ReadonlySet<number>
  /** A number in [0, 1): picks the candidates. Default `Math.random`. */
  readonly random?: () => number
  /** The range to draw from. Default {@link listenRange}() (null: let the kernel pick). */
  readonly range?: PortRange | null
  /** The clock of the quarantine, ms. Default `Date.now`. */
  readonly now?: () => number
  /** Bind and release: the port bound, null when taken (tests replace the real one). */
  readonly bind?: (host: string, port: number) => Promise<number | null>
}

/** Ports this process handed out, with when: not handed out again for {@link PORT_QUARANTINE_MS}. */
const handedOut = new Map<number, number>()

/**
 * Bind `port` on `host` and let it go: the port bound (a kernel-chosen one for 0), or null when it
 * is taken (EADDRINUSE, EACCES). Any other error (e.g. an address this machine does not have)
 * rejects.
 */
function tryBind(host: string, port: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' || err.code === 'EACCES' ? resolve(null) : reject(err)))
    srv.listen({port, host, exclusive: true}, () => {
      const addr = srv.address()
      const bound = typeof addr === 'object' && addr ? addr.port : null
      srv.close(() => resolve(bound))
    })
  })
}

/**
 * A TCP port free on `host` now: a random one of the range that binds, is not excluded, and that
 * this process has not handed out in the last {@link PORT_QUARANTINE_MS} (concurrent calls never
 * get the same one). When there is no range, or {@link PORT_ATTEMPTS} candidates were taken, the
 * kernel picks one (from its ephemeral range: the EADDRINUSE risk this module avoids comes back,
 * so that only happens on a machine whose ephemeral range covers 20000–32767, or with the range
 * nearly full).
 */
export async function freePort(host = '127.0.0.1', options: FreePortOptions = {}): Promise<number> {
  const random = options.random ?? Math.random
  const now = (options.now ?? Date.now)()
  const exclude = options.exclude ?? new Set<number>()
  const bind = options.bind ?? tryBind
  for (const [port, at] of handedOut) if (now - at > PORT_QUARANTINE_MS) handedOut.delete(port)
  const range = options.range === undefined ? listenRange() : options.range
  for (let i = 0; range !== null && i < PORT_ATTEMPTS; i++) {
    const span = range.high - range.low + 1
    const port = range.low + Math.min(span - 1, Math.max(0, Math.floor(random() * span)))
    if (handedOut.has(port) || exclude.has(port)) continue
    handedOut.set(port, now) // reserved before the await: a concurrent call skips it
    let bound: number | null = null
    try {
      bound = await bind(host, port)
    } finally {
      if (bound === null) handedOut.delete(port)
    }
    if (bound !== null) return port
  }
  for (let i = 0; i < PORT_ATTEMPTS; i++) {
    const port = await bind(host, 0)
    if (port === null || handedOut.has(port) || exclude.has(port)) continue
    handedOut.set(port, now)
    return port
  }
  throw new Error(`no free TCP port on ${host}`)
}
