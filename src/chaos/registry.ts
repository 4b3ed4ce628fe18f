/**
 * The faults active on one daemon: added and healed over the admin channel (`chaos.add`,
 * `chaos.heal`, `chaos.list`), each with an id, an optional expiry, and a count of the
 * messages (or saves) it hit. The chaos network decorator and the slow-disk decorator read
 * from it. Time comes from an injected clock; expired faults are removed lazily, on every
 * read, so a fault given `forMs` heals itself without a timer of its own.
 *
 * Faults live in memory only: a restarted daemon starts with none.
 */
import type {NodeId} from '../raft/types.js'
import {checkFaultSpec, specToFault, type Fault, type FaultSpec, type FaultSpecKind} from './faults.js'

/** Limits of a registry. */
export interface FaultRegistryLimits {
  /** Most faults active at once on one daemon. Default 64; one more is refused (`BAD_REQUEST`). */
  readonly maxFaults: number
  /** Longest `forMs`: 7 days. */
  readonly maxForMs: number
  /** Longest fault id, in characters (ids are 1..64 of `[A-Za-z0-9_.:-]`). */
  readonly maxIdLength: number
}

/** Defaults of {@link FaultRegistryLimits}. */
export const DEFAULT_REGISTRY_LIMITS: FaultRegistryLimits = {maxFaults: 64, maxForMs: 7 * 24 * 3_600_000, maxIdLength: 64}

const ID_PATTERN = /^[A-Za-z0-9_.:-]+$/

/** A fault refused by the registry (bad values, over a limit). The daemon answers `BAD_REQUEST`. */
export class ChaosError extends Error {
  readonly code = 'BAD_REQUEST' as const

  constructor(message: string) {
    super(message)
    this.name = 'ChaosError'
  }
}

/**
 * A fault as listed by `chaos.list` and `status.faults`: its id, its spec's fields, how long
 * until it heals itself (null: until healed), and how many messages (link faults) or saves
 * (`disk`) it has hit so far.
 */
export type FaultListing = FaultSpec & {readonly id: string; readonly remainingMs: number | null; readonly hits: number}

/** What happened to a fault, for logs. */
export type FaultChange = {readonly type: 'added' | 'healed' | 'expired'; readonly id: string; readonly spec: FaultSpec}

/** Options of a {@link FaultRegistry}. */
export interface FaultRegistryOptions {
  /** Milliseconds on any monotonic-enough clock (the daemon passes Date.now). */
  readonly now: () => number
  readonly limits?: Partial<FaultRegistryLimits>
  /** Told of every fault added, healed or expired (the daemon logs them). Must not throw. */
  readonly onChange?: (change: FaultChange) => void
}

/** Options of {@link FaultRegistry.add}. */
export interface AddFaultOptions {
  /** Heal by itself after this many ms (registry clock). Absent: until healed. */
  readonly forMs?: number
  /** The fault's id; an active fault with the same id is replaced. Default: generated (`f1`, `f2`, …). */
  readonly id?: string
}

/** Which faults {@link FaultRegistry.heal} removes: by id, by kind, or (neither) all. */
export interface HealFilter {
  readonly id?: string
  readonly kind?: FaultSpecKind
}

interface Entry {
  readonly id: string
  readonly spec: FaultSpec
  readonly until: number | null
  /** The network form, or null for `disk`. */
  readonly fault: Fault | null
  hits: number
}

/** The active faults of one daemon. */
export class FaultRegistry {
  readonly limits: FaultRegistryLimits
  private readonly now: () => number
  private readonly onChange: (change: FaultChange) => void
  private entries: Entry[] = []
  private readonly byFault = new Map<Fault, Entry>()
  /** The network faults, cached between changes (read on every message sent). */
  private network: readonly Fault[] = []
  /** Earliest expiry among the entries (Infinity: none). */
  private nextExpiry = Infinity
  private counter = 0

  constructor(options: FaultRegistryOptions) {
    this.now = options.now
    this.limits = {...DEFAULT_REGISTRY_LIMITS, ...options.limits}
    this.onChange = options.onChange ?? (() => {})
  }

  /**
   * Add (or, with the id of an active fault, replace) a fault. Returns its listing.
   * Throws {@link ChaosError} for bad values (`checkFaultSpec`), a bad id or `forMs`, or when
   * `maxFaults` faults are already active.
   */
  add(spec: FaultSpec, options: AddFaultOptions = {}): FaultListing {
    const problem = checkFaultSpec(spec)
    if (problem !== null) throw new ChaosError(problem)
    const {forMs} = options
    if (forMs !== undefined && !(Number.isFinite(forMs) && forMs > 0 && forMs <= this.limits.maxForMs)) {
      throw new ChaosError(`forMs: must be > 0 and at most ${this.limits.maxForMs} ms, got ${forMs}`)
    }
    if (options.id !== undefined && !(options.id.length <= this.limits.maxIdLength && ID_PATTERN.test(options.id))) {
      throw new ChaosError(`id: must be 1 to ${this.limits.maxIdLength} letters, digits, "_", ".", ":" or "-", got ${JSON.stringify(options.id)}`)
    }
    this.prune()
    const id = options.id ?? this.freshId()
    const replaced = this.entries.some((e) => e.id === id)
    if (!replaced && this.entries.length >= this.limits.maxFaults) {
      throw new ChaosError(`at most ${this.limits.maxFaults} faults may be active on one node (maxFaults); heal some first`)
    }
    const until = forMs === undefined ? null : this.now() + forMs
    const entry: Entry = {id, spec: copySpec(spec), until, fault: specToFault(spec, id, until ?? undefined), hits: 0}
    this.entries = [...this.entries.filter((e) => e.id !== id), entry]
    this.rebuild()
    this.onChange({type: 'added', id, spec: entry.spec})
    return this.listing(entry, this.now())
  }

  /** Remove the faults matching `filter` (no filter: all). Returns how many were removed. */
  heal(filter: HealFilter = {}): number {
    this.prune()
    const gone = this.entries.filter((e) => (filter.id === undefined || e.id === filter.id) && (filter.kind === undefined || e.spec.kind === filter.kind))
    if (gone.length === 0) return 0
    this.entries = this.entries.filter((e) => !gone.includes(e))
    this.rebuild()
    for (const e of gone) this.onChange({type: 'healed', id: e.id, spec: e.spec})
    return gone.length
  }

  /** The active faults, oldest first. */
  list(): FaultListing[] {
    this.prune()
    const now = this.now()
    return this.entries.map((e) => this.listing(e, now))
  }

  /** Number of active faults. */
  get size(): number {
    this.prune()
    return this.entries.length
  }

  /**
   * The active network faults, in the order they were added (as `decideFate` takes them).
   * The same array is returned until something changes: cheap to call per message.
   */
  networkFaults(): readonly Fault[] {
    this.prune()
    return this.network
  }

  /** Count one hit of a network fault (called by the decorator through `decideFate`'s onHit). */
  hit(fault: Fault): void {
    const entry = this.byFault.get(fault)
    if (entry) entry.hits++
  }

  /**
   * The extra time every durable save takes now: the largest `fsyncDelayMs` among the active
   * `disk` faults (0: none). Counts a hit on that fault when > 0.
   */
  fsyncDelayMs(): number {
    this.prune()
    let best: Entry | null = null
    for (const e of this.entries) {
      if (e.spec.kind === 'disk' && (best === null || e.spec.fsyncDelayMs > (best.spec as {fsyncDelayMs: number}).fsyncDelayMs)) best = e
    }
    if (best === null) return 0
    best.hits++
    return (best.spec as {fsyncDelayMs: number}).fsyncDelayMs
  }

  /** Drop expired entries (cheap when nothing is due). */
  private prune(): void {
    if (this.nextExpiry === Infinity) return
    const now = this.now()
    if (now < this.nextExpiry) return
    const expired = this.entries.filter((e) => e.until !== null && e.until <= now)
    this.entries = this.entries.filter((e) => !expired.includes(e))
    this.rebuild()
    for (const e of expired) this.onChange({type: 'expired', id: e.id, spec: e.spec})
  }

  private rebuild(): void {
    this.byFault.clear()
    const network: Fault[] = []
    let next = Infinity
    for (const e of this.entries) {
      if (e.fault) {
        network.push(e.fault)
        this.byFault.set(e.fault, e)
      }
      if (e.until !== null && e.until < next) next = e.until
    }
    this.network = network
    this.nextExpiry = next
  }

  private freshId(): string {
    let id: string
    do id = `f${++this.counter}`
    while (this.entries.some((e) => e.id === id))
    return id
  }

  private listing(e: Entry, now: number): FaultListing {
    return {id: e.id, ...e.spec, remainingMs: e.until === null ? null : Math.max(0, e.until - now), hits: e.hits}
  }
}

/** A deep copy of a spec, with only its own fields (no aliasing of the caller's arrays). */
function copySpec(spec: FaultSpec): FaultSpec {
  const peers = (p: readonly NodeId[] | undefined) => (p === undefined ? {} : {peers: [...p]})
  switch (spec.kind) {
    case 'partition':
      return {kind: 'partition', groups: spec.groups.map((g) => [...g]), ...(spec.oneWay === undefined ? {} : {oneWay: spec.oneWay})}
    case 'drop':
      return {kind: 'drop', rate: spec.rate, ...peers(spec.peers)}
    case 'delay':
      return {kind: 'delay', ms: spec.ms, ...(spec.jitter === undefined ? {} : {jitter: spec.jitter}), ...peers(spec.peers)}
    case 'duplicate':
      return {kind: 'duplicate', rate: spec.rate, ...peers(spec.peers)}
    case 'reorder':
      return {kind: 'reorder', rate: spec.rate, ms: spec.ms, ...peers(spec.peers)}
    case 'disk':
      return {kind: 'disk', fsyncDelayMs: spec.fsyncDelayMs}
  }
}
