/**
 * The simulated network: decides, from its own seeded sequence, what happens to each message —
 * base delay, the seed's background loss and duplication, and the chaos faults in force
 * (src/chaos `decideFate`, the same function the daemon's live chaos uses). It holds the fault
 * set the nemesis changes; it delivers nothing itself (the simulation queues the deliveries).
 */
import type {SeededRng} from '../raft/index.js'
import type {Message, NodeId} from '../raft/types.js'
import {activeFaults, decideFate, partitionBlocks, type Fault} from '../chaos/faults.js'

/** Background network conditions of one run, drawn from the seed. */
export interface NetworkProfile {
  /** Probability that any message is lost. */
  readonly lossRate: number
  /** Probability that a delivered message arrives twice. */
  readonly dupRate: number
  /** Longest base delay in virtual ms (delays are drawn in [1, maxDelay]). */
  readonly maxDelay: number
}

/** Largest extra delay of a background duplicate, virtual ms. */
const MAX_DUPLICATE_LAG_MS = 20

/** Faults and the fate of each message. */
export class SimNetwork {
  /** Faults in force (the nemesis adds and heals them). */
  faults: Fault[] = []
  private healed = false
  /** Nodes armed to crash right after they grant their next vote. */
  private readonly crashAfterVote = new Set<NodeId>()

  constructor(private readonly rng: SeededRng, readonly profile: NetworkProfile) {}

  /**
   * Delivery delays of `m` in virtual ms, one per copy that arrives (empty: the message is lost).
   * After {@link heal} no message is lost, duplicated or held by a fault.
   */
  route(m: Message): number[] {
    const base = 1 + this.rng.int(this.profile.maxDelay)
    const random = (): number => this.rng.float()
    const lossy = this.healed ? [] : this.faults
    const fate = decideFate(lossy, m.from, m.to, base, random)
    if (!this.healed && this.rng.float() < this.profile.lossRate) return []
    let delays = fate.delays
    if (!this.healed && delays.length > 0 && this.rng.float() < this.profile.dupRate) delays = [...delays, delays[0]! + this.rng.int(MAX_DUPLICATE_LAG_MS)]
    return delays.map((d) => Math.max(1, Math.round(d)))
  }

  /** True when a partition in force stops messages from `from` to `to` (a connection between them is cut). */
  partitioned(from: NodeId, to: NodeId): boolean {
    return this.faults.some((f) => f.kind === 'partition' && partitionBlocks(f, from, to))
  }

  /** Drop the faults whose time is over. */
  expire(now: number): void {
    this.faults = activeFaults(this.faults, now)
  }

  /** Add a fault; a partition replaces the partition in force (one at a time). */
  add(fault: Fault): void {
    if (fault.kind === 'partition') this.faults = this.faults.filter((f) => f.kind !== 'partition')
    this.faults.push(fault)
  }

  /** Heal every fault now; returns false when none was in force. */
  healFaults(): boolean {
    if (this.faults.length === 0) return false
    this.faults = []
    return true
  }

  /** Arm `id` to crash right after it grants its next vote. */
  armCrashAfterVote(id: NodeId): void {
    this.crashAfterVote.add(id)
  }

  /** True (once) when `m` is the granted vote of a node armed to crash after voting. */
  takeVoteCrash(m: Message): boolean {
    return m.type === 'voteResp' && m.granted && !m.pre && this.crashAfterVote.delete(m.from)
  }

  /** The liveness phase: faults stop for good; messages are only delayed. */
  heal(): void {
    this.healed = true
    this.faults = []
    this.crashAfterVote.clear()
  }
}
