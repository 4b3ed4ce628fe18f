/**
 * Network faults as plain data, and the pure decision of what a fault set does to one message.
 * The live chaos decorator (daemons) and the simulator use these same types and this same
 * function, so a fault means the same thing in both.
 */
import type {NodeId} from '../raft/types.js'

/** Where a fault applies: every link, or links from / to given nodes. Empty or absent = any. */
export interface LinkScope {
  readonly from?: readonly NodeId[]
  readonly to?: readonly NodeId[]
}

/** A network fault. `id` names it for listing and healing; `until` (ms, driver clock) heals it. */
export type Fault =
  | {readonly kind: 'partition'; readonly id: string; readonly groups: readonly (readonly NodeId[])[]; readonly oneWay?: boolean; readonly until?: number}
  | {readonly kind: 'drop'; readonly id: string; readonly rate: number; readonly scope?: LinkScope; readonly until?: number}
  | {readonly kind: 'delay'; readonly id: string; readonly ms: number; readonly jitter: number; readonly scope?: LinkScope; readonly until?: number}
  | {readonly kind: 'duplicate'; readonly id: string; readonly rate: number; readonly scope?: LinkScope; readonly until?: number}
  | {readonly kind: 'reorder'; readonly id: string; readonly rate: number; readonly ms: number; readonly scope?: LinkScope; readonly until?: number}

export type FaultKind = Fault['kind']

/** The network fault kinds, for validation. */
export const FAULT_KINDS: readonly FaultKind[] = ['partition', 'drop', 'delay', 'duplicate', 'reorder']

/** What happens to one message: dropped, or delivered `copies` times after the given delays (ms). */
export interface Fate {
  readonly delays: readonly number[]
}

/** Random numbers in [0, 1), injected so the simulator stays deterministic. */
export type Random = () => number

/**
 * True when a partition blocks `from` → `to`. Nodes in different groups cannot talk; a node in
 * no group is unaffected. With `oneWay`, only messages from a later group to an earlier group
 * are blocked (the earlier group is heard by the later one, but cannot hear it).
 */
export function partitionBlocks(fault: Extract<Fault, {kind: 'partition'}>, from: NodeId, to: NodeId): boolean {
  const gf = fault.groups.findIndex((g) => g.includes(from))
  const gt = fault.groups.findIndex((g) => g.includes(to))
  if (gf < 0 || gt < 0 || gf === gt) return false
  if (fault.oneWay) return gf > gt
  return true
}

function inScope(scope: LinkScope | undefined, from: NodeId, to: NodeId): boolean {
  if (!scope) return true
  if (scope.from && scope.from.length > 0 && !scope.from.includes(from)) return false
  if (scope.to && scope.to.length > 0 && !scope.to.includes(to)) return false
  return true
}

/**
 * Told which fault acted on a message (it blocked, dropped, delayed, duplicated or reordered
 * it). Optional; the live decorator uses it to count hits per fault.
 */
export type OnHit = (fault: Fault) => void

/**
 * Decide the fate of one message from `from` to `to` under `faults` (expired ones must already
 * be removed). `baseDelay` is the delay without faults. Draws randomness only from `random`
 * (the same draws with or without `onHit`, so the simulator's runs do not change).
 */
export function decideFate(faults: readonly Fault[], from: NodeId, to: NodeId, baseDelay: number, random: Random, onHit?: OnHit): Fate {
  let delay = baseDelay
  let copies = 1
  for (const f of faults) {
    if (f.kind === 'partition') {
      if (partitionBlocks(f, from, to)) {
        onHit?.(f)
        return {delays: []}
      }
      continue
    }
    if (!inScope(f.scope, from, to)) continue
    switch (f.kind) {
      case 'drop':
        if (random() < f.rate) {
          onHit?.(f)
          return {delays: []}
        }
        break
      case 'delay':
        delay += f.ms + (f.jitter > 0 ? random() * f.jitter : 0)
        onHit?.(f)
        break
      case 'duplicate':
        if (random() < f.rate) {
          copies++
          onHit?.(f)
        }
        break
      case 'reorder':
        if (random() < f.rate) {
          delay += random() * f.ms
          onHit?.(f)
        }
        break
    }
  }
  const delays: number[] = []
  for (let i = 0; i < copies; i++) delays.push(i === 0 ? delay : delay + random() * Math.max(1, delay))
  return {delays}
}

/** Faults still active at time `now` (ms). */
export function activeFaults(faults: readonly Fault[], now: number): Fault[] {
  return faults.filter((f) => f.until === undefined || f.until > now)
}

// ---------------------------------------------------------------------------------------------
// Fault specifications: the JSON form an operator (or `verify`) asks a daemon for. The admin
// protocol re-declares this type (src/admin/messages.ts `FaultSpec`); a compile-time test keeps
// the two equal.

/**
 * A fault as requested over the admin channel (`chaos.add`). Link faults apply to the messages
 * the receiving daemon SENDS; `peers` limits them to messages sent to those peers (absent or
 * empty: every peer). `disk` slows every durable save of that daemon.
 */
export type FaultSpec =
  | {readonly kind: 'partition'; readonly groups: readonly (readonly NodeId[])[]; readonly oneWay?: boolean}
  | {readonly kind: 'drop'; readonly rate: number; readonly peers?: readonly NodeId[]}
  | {readonly kind: 'delay'; readonly ms: number; readonly jitter?: number; readonly peers?: readonly NodeId[]}
  | {readonly kind: 'duplicate'; readonly rate: number; readonly peers?: readonly NodeId[]}
  | {readonly kind: 'reorder'; readonly rate: number; readonly ms: number; readonly peers?: readonly NodeId[]}
  | {readonly kind: 'disk'; readonly fsyncDelayMs: number}

/** Every kind a {@link FaultSpec} can have: the network kinds and `disk`. */
export type FaultSpecKind = FaultSpec['kind']

/** The fault kinds a daemon accepts, for validation and help texts. */
export const FAULT_SPEC_KINDS: readonly FaultSpecKind[] = [...FAULT_KINDS, 'disk']

/** Bounds of fault parameters, checked by {@link checkFaultSpec}. */
export const FAULT_SPEC_LIMITS = {
  /** Longest `delay.ms`, `delay.jitter`, `reorder.ms`: 60 s. */
  maxDelayMs: 60_000,
  /**
   * Longest `disk.fsyncDelayMs`: 10 s. The daemon's storage port is synchronous, so a slow
   * save blocks the whole daemon for that long (as a stuck fsync does).
   */
  maxFsyncDelayMs: 10_000,
  /** Most groups of a partition, and most node ids in `groups` or `peers`. */
  maxNodes: 1000,
} as const

/**
 * Check the values of a structurally valid spec: rates in [0, 1], delays within
 * {@link FAULT_SPEC_LIMITS}, a partition of at least two non-empty groups that share no node.
 * Returns a message naming the field, or null when the spec is valid.
 */
export function checkFaultSpec(spec: FaultSpec): string | null {
  const ms = (field: string, v: number | undefined, max: number): string | null =>
    v === undefined || (Number.isFinite(v) && v >= 0 && v <= max) ? null : `${field}: must be between 0 and ${max} ms, got ${v}`
  const rate = (v: number): string | null => (Number.isFinite(v) && v >= 0 && v <= 1 ? null : `rate: must be between 0 and 1, got ${v}`)
  switch (spec.kind) {
    case 'partition': {
      if (spec.groups.length < 2) return 'groups: a partition needs at least two groups'
      if (spec.groups.length > FAULT_SPEC_LIMITS.maxNodes) return `groups: at most ${FAULT_SPEC_LIMITS.maxNodes} groups`
      const seen = new Set<NodeId>()
      for (const [i, g] of spec.groups.entries()) {
        if (g.length === 0) return `groups[${i}]: must not be empty`
        for (const id of g) {
          if (seen.has(id)) return `groups: node ${JSON.stringify(id)} is in more than one group`
          seen.add(id)
        }
      }
      return null
    }
    case 'drop':
    case 'duplicate':
      return rate(spec.rate)
    case 'delay':
      return ms('ms', spec.ms, FAULT_SPEC_LIMITS.maxDelayMs) ?? ms('jitter', spec.jitter, FAULT_SPEC_LIMITS.maxDelayMs)
    case 'reorder':
      return rate(spec.rate) ?? ms('ms', spec.ms, FAULT_SPEC_LIMITS.maxDelayMs)
    case 'disk':
      return ms('fsyncDelayMs', spec.fsyncDelayMs, FAULT_SPEC_LIMITS.maxFsyncDelayMs)
  }
}

/**
 * The network {@link Fault} of a link-fault spec as one daemon applies it (its own sends:
 * `peers` becomes the scope's `to`), or null for `disk`. `until`: absolute expiry, driver clock.
 */
export function specToFault(spec: FaultSpec, id: string, until?: number): Fault | null {
  const scope = (peers: readonly NodeId[] | undefined): LinkScope | undefined => (peers && peers.length > 0 ? {to: peers} : undefined)
  const u = until === undefined ? {} : {until}
  switch (spec.kind) {
    case 'partition':
      return {kind: 'partition', id, groups: spec.groups, oneWay: spec.oneWay === true, ...u}
    case 'drop':
      return {kind: 'drop', id, rate: spec.rate, scope: scope(spec.peers), ...u}
    case 'delay':
      return {kind: 'delay', id, ms: spec.ms, jitter: spec.jitter ?? 0, scope: scope(spec.peers), ...u}
    case 'duplicate':
      return {kind: 'duplicate', id, rate: spec.rate, scope: scope(spec.peers), ...u}
    case 'reorder':
      return {kind: 'reorder', id, rate: spec.rate, ms: spec.ms, scope: scope(spec.peers), ...u}
    case 'disk':
      return null
  }
}

/**
 * A short human description: `partition n1,n2 | n3`, `partition n1,n2 -> n3 (one-way: n3 is
 * not heard)`, `drop 30% to n2`, `delay 100ms ±50ms`, `disk fsync +200ms`.
 */
export function describeFaultSpec(spec: FaultSpec): string {
  const to = (peers: readonly NodeId[] | undefined): string => (peers && peers.length > 0 ? ` to ${peers.join(',')}` : '')
  const pct = (r: number): string => `${Math.round(r * 1000) / 10}%`
  switch (spec.kind) {
    case 'partition': {
      const groups = spec.groups.map((g) => g.join(','))
      if (!spec.oneWay) return `partition ${groups.join(' | ')}`
      const one = spec.groups.length === 2 && spec.groups[1]!.length === 1
      const note = spec.groups.length === 2 ? `${groups[1]} ${one ? 'hears' : 'hear'} ${groups[0]}, ${one ? 'is' : 'are'} not heard` : 'later groups hear earlier ones, are not heard'
      return `partition ${groups.join(' -> ')} (one-way: ${note})`
    }
    case 'drop':
      return `drop ${pct(spec.rate)}${to(spec.peers)}`
    case 'delay':
      return `delay ${spec.ms}ms${spec.jitter ? ` ±${spec.jitter}ms` : ''}${to(spec.peers)}`
    case 'duplicate':
      return `duplicate ${pct(spec.rate)}${to(spec.peers)}`
    case 'reorder':
      return `reorder ${pct(spec.rate)} by up to ${spec.ms}ms${to(spec.peers)}`
    case 'disk':
      return `disk fsync +${spec.fsyncDelayMs}ms`
  }
}
