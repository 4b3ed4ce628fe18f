/**
 * Listening ports for local daemons, chosen outside the kernel's ephemeral range.
 *
 * A port is found free by binding it and letting it go; the daemon binds it a moment later, and
 * again at every restart (the manifest keeps it). A port from the ephemeral range (Linux:
 * 32768–60999) can be taken in between as the local end of any outgoing connection on the
 * machine, including the cluster's own peer links; the daemon then fails with EADDRINUSE. Ports
 * below that range are only ever taken by programs that ask for them.
 */
import {readFileSync} from 'node:fs'
import {createServer} from 'node:net'

/** The range listening ports are drawn from when the ephemeral range allows (inclusive). */
export const LISTEN_PORTS = {low: 20_000, high: 32_767} as const
/** Candidates tried before falling back to a kernel-chosen (ephemeral) port. */
export const PORT_ATTEMPTS = 64
/** A port handed out is not handed out again by this process for this long (ms). */
export const PORT_QUARANTINE_MS = 60_000

/** The kernel's ephemeral port range (Linux's default when it cannot be read). */
export function ephemeralRange(file = '/proc/sys/net/ipv4/ip_local_port_range'): {low: number; high: number} {
  try {
    const [low, high] = readFileSync(file, 'utf8').trim().split(/\s+/).map(Number)
    if (Number.isInteger(low) && Number.isInteger(high) && low! > 0 && high! >= low!) return {low: low!, high: high!}
  } catch {
    // not Linux, or no /proc: the default
  }
  return {low: 32_768, high: 60_999}
}

/**
 * The candidate range: {@link LISTEN_PORTS} cut below the ephemeral range; null when nothing of
 * it is left (an ephemeral range that starts at 20,000 or lower).
 */
export function listenRange(ephemeral = ephemeralRange()): {low: number; high: number} | null {
  const high = Math.min(LISTEN_PORTS.high, ephemeral.low - 1)
  return high >= LISTEN_PORTS.low ? {low: LISTEN_PORTS.low, high} : null
}

const handedOut = new Map<number, number>()

/** Can `port` be bound on `host` right now? (0 binds a kernel-chosen port: resolves with it.) */
function tryBind(host: string, port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const srv = createServer()
    srv.once('error', () => resolve(null))
    srv.listen({port, host, exclusive: true}, () => {
      const addr = srv.address()
      const bound = typeof addr === 'object' && addr ? addr.port : null
      srv.close(() => resolve(bound))
    })
  })
}

/**
 * A TCP port free on `host` now: a random one of {@link listenRange} that binds and that this
 * process has not handed out in the last {@link PORT_QUARANTINE_MS}, else (no range, or
 * {@link PORT_ATTEMPTS} candidates taken) one the kernel picks. `random` is injectable for tests.
 */
export async function freePort(host = '127.0.0.1', random: () => number = Math.random): Promise<number> {
  const now = Date.now()
  for (const [port, at] of handedOut) if (now - at > PORT_QUARANTINE_MS) handedOut.delete(port)
  const range = listenRange()
  for (let i = 0; range !== null && i < PORT_ATTEMPTS; i++) {
    const port = range.low + Math.floor(random() * (range.high - range.low + 1))
    if (handedOut.has(port)) continue
    if ((await tryBind(host, port)) === null) continue
    handedOut.set(port, now)
    return port
  }
  const port = await tryBind(host, 0)
  if (port === null) throw new Error(`no free TCP port on ${host}`)
  handedOut.set(port, now)
  return port
}
