/**
 * Admission of TCP connections to a NodeServer: two separate budgets, so that sockets nobody
 * has authenticated can never crowd out peers and clients.
 *
 * - PENDING sockets (accepted, not yet upgraded with a valid secret): at most `maxPending` in
 *   all and `maxPendingPerAddress` per remote address; each must authenticate within
 *   `authTimeoutMs` of its accept or it is destroyed. When a budget is full, a new socket
 *   evicts the OLDEST pending one (of its address, or of all): a flood of half-sent requests
 *   then costs each real client at most one eviction race, never a refusal.
 * - AUTHENTICATED sockets (an upgrade presented a valid secret): counted apart, limited by the
 *   server (`maxConnections`), untouched by evictions and deadlines.
 *
 * Sockets are keyed by their remote address and port, which the raw TCP socket and a TLS
 * socket wrapping it share.
 */
import type {Socket} from 'node:net'
import type {Duplex} from 'node:stream'

/** Limits of an {@link Admission}; see limits.ts for the defaults. */
export interface AdmissionLimits {
  readonly maxPending: number
  readonly maxPendingPerAddress: number
  readonly authTimeoutMs: number
}

/** Counters of an {@link Admission}. */
export interface AdmissionStats {
  /** Sockets accepted and not yet authenticated, now. */
  readonly pendingConnections: number
  /** Authenticated sockets open now. */
  readonly authenticatedConnections: number
  /** Pending sockets destroyed to make room for newer ones (budget full). */
  readonly pendingEvicted: number
  /** Pending sockets destroyed because they did not authenticate within `authTimeoutMs`. */
  readonly pendingTimedOut: number
}

interface Entry {
  readonly socket: Socket
  readonly address: string
  state: 'pending' | 'authenticated'
  timer: NodeJS.Timeout | undefined
}

/** The key shared by a raw socket and the TLS socket over it, or undefined once it is gone. */
function socketKey(socket: Duplex): string | undefined {
  const {remoteAddress, remotePort} = socket as Socket
  return remoteAddress === undefined || remotePort === undefined ? undefined : `${remoteAddress}|${remotePort}`
}

/** The pending and authenticated sockets of one server. */
export class Admission {
  /** Pending sockets in accept order (oldest first). */
  private readonly pending = new Map<string, Entry>()
  private readonly pendingByAddress = new Map<string, number>()
  private readonly authenticated = new Map<string, Entry>()
  private evicted = 0
  private timedOut = 0

  constructor(private readonly limits: AdmissionLimits) {}

  /** Admit a freshly accepted TCP socket as pending (evicting the oldest pending one if a budget is full). */
  admit(socket: Socket): void {
    const key = socketKey(socket)
    if (key === undefined) {
      socket.destroy()
      return
    }
    const address = socket.remoteAddress!
    if ((this.pendingByAddress.get(address) ?? 0) >= this.limits.maxPendingPerAddress) this.evictOldest(address)
    if (this.pending.size >= this.limits.maxPending) this.evictOldest()
    const entry: Entry = {socket, address, state: 'pending', timer: undefined}
    entry.timer = setTimeout(() => this.expire(key, entry), this.limits.authTimeoutMs).unref()
    this.pending.set(key, entry)
    this.pendingByAddress.set(address, (this.pendingByAddress.get(address) ?? 0) + 1)
    socket.once('close', () => this.forget(key, entry))
  }

  /** Authenticated sockets open now. */
  get authenticatedCount(): number {
    return this.authenticated.size
  }

  /**
   * Move the socket of an authenticated request from the pending budget to the authenticated
   * one (its deadline no longer applies). A no-op for a socket already authenticated or unknown.
   */
  promote(socket: Duplex): void {
    const key = socketKey(socket)
    const entry = key === undefined ? undefined : this.pending.get(key)
    if (key === undefined || entry === undefined) return
    this.removePending(key, entry)
    entry.state = 'authenticated'
    this.authenticated.set(key, entry)
  }

  /** Counters now. */
  stats(): AdmissionStats {
    return {
      pendingConnections: this.pending.size,
      authenticatedConnections: this.authenticated.size,
      pendingEvicted: this.evicted,
      pendingTimedOut: this.timedOut,
    }
  }

  /** Cancel every deadline (the server is closing and destroys the sockets itself). */
  clear(): void {
    for (const entry of this.pending.values()) clearTimeout(entry.timer)
  }

  /** Destroy the oldest pending socket (of `address`, when given). */
  private evictOldest(address?: string): void {
    for (const [key, entry] of this.pending) {
      if (address !== undefined && entry.address !== address) continue
      this.evicted++
      this.removePending(key, entry)
      entry.socket.destroy()
      return
    }
  }

  private expire(key: string, entry: Entry): void {
    if (this.pending.get(key) !== entry) return
    this.timedOut++
    this.removePending(key, entry)
    entry.socket.destroy()
  }

  private forget(key: string, entry: Entry): void {
    if (entry.state === 'authenticated') {
      if (this.authenticated.get(key) === entry) this.authenticated.delete(key)
      return
    }
    if (this.pending.get(key) === entry) this.removePending(key, entry)
  }

  private removePending(key: string, entry: Entry): void {
    clearTimeout(entry.timer)
    entry.timer = undefined
    this.pending.delete(key)
    const left = (this.pendingByAddress.get(entry.address) ?? 1) - 1
    if (left > 0) this.pendingByAddress.set(entry.address, left)
    else this.pendingByAddress.delete(entry.address)
  }
}
