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
 * Decide the fate of one message from `from` to `to` under `faults` (expired ones must already
 * be removed). `baseDelay` is the delay without faults. Draws randomness only from `random`.
 */
export function decideFate(faults: readonly Fault[], from: NodeId, to: NodeId, baseDelay: number, random: Random): Fate {
  let delay = baseDelay
  let copies = 1
  for (const f of faults) {
    if (f.kind === 'partition') {
      if (partitionBlocks(f, from, to)) return {delays: []}
      continue
    }
    if (!inScope(f.scope, from, to)) continue
    switch (f.kind) {
      case 'drop':
        if (random() < f.rate) return {delays: []}
        break
      case 'delay':
        delay += f.ms + (f.jitter > 0 ? random() * f.jitter : 0)
        break
      case 'duplicate':
        if (random() < f.rate) copies++
        break
      case 'reorder':
        if (random() < f.rate) delay += random() * f.ms
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
