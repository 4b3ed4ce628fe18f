/**
 * The simulator's nemesis: the fault schedule. At a seed-chosen pace it picks one fault or
 * operator action — partitions (one-way too), network faults, kills, torn writes, flaps,
 * crashes right after a vote, lost disks, membership changes, leader transfers, manual elections, election
 * storms, snapshots — and asks the simulation or the network to carry it out.
 */
import type {SeededRng} from '../raft/index.js'
import type {ConfChange, NodeId} from '../raft/types.js'
import type {Replica} from '../replica/replica.js'
import type {Fault} from '../chaos/faults.js'
import type {SimNetwork} from './network.js'
import type {SimHost, SimNode} from './types.js'

/** Which faults a run draws: every kind (`mixed`) or those that contest elections. */
export type NemesisMix = 'mixed' | 'elections'

/** What the nemesis may do to the simulation, beyond what every part sees. */
export interface NemesisHost extends SimHost {
  /** Crash `node` (its unsynced writes are lost); it restarts after `restartAfter` ms (default: seeded). */
  crash(node: SimNode, why: string, restartAfter?: number): void
  /** `node` loses its disk: crashes, restarts empty with a new incarnation, rebuilding. False when refused (another node still rebuilds). */
  loseDisk(node: SimNode): boolean
  /** Whether a recovered cluster is still being grown back to its voter count (SimOptions.recover). */
  growingBack(): boolean
  /** Whether a member (running or down) lost its disk and has not caught up again. */
  someoneRebuilding(): boolean
  /** Start a new, empty node named `id` (to be added as a learner). */
  addNode(id: NodeId): void
  /** Every node ever started, retired ones included. */
  allNodeIds(): NodeId[]
  /** The next unused node name. */
  newNodeId(): NodeId
  /** The operator stops `id` for good (its removal is committed). */
  retire(id: NodeId): void
  /** Run `fn` on the node's live replica, then check the node. */
  guard(node: SimNode, fn: (r: Replica) => void): void
  /** `node` took a local snapshot at `index`. */
  snapshotTaken(node: SimNode, index: number): void
}

/** Largest cluster the nemesis grows to with membership changes. */
const MAX_MEMBERS = 7
/** Smallest voter count the nemesis shrinks to. */
const MIN_VOTERS = 3

/** The fault schedule of one run. */
export class Nemesis {
  private faultCounter = 0

  constructor(
    private readonly host: NemesisHost,
    private readonly network: SimNetwork,
    private readonly rng: SeededRng,
    private readonly pace: {readonly every: number; readonly mix: NemesisMix},
  ) {}

  /** Queue the first action. */
  start(): void {
    this.host.schedule(this.pace.every, {kind: 'nemesis'})
  }

  /** One fault or operator action, then the next one queued. */
  onNemesis(): void {
    this.network.expire(this.host.now())
    if (this.pace.mix === 'elections') this.electionAction()
    else this.mixedAction()
    this.host.schedule(this.host.now() + 1 + this.rng.int(this.pace.every * 2), {kind: 'nemesis'})
  }

  private mixedAction(): void {
    const roll = this.rng.int(100)
    if (roll < 18) this.actPartition()
    else if (roll < 30) this.actNetworkFault()
    else if (roll < 40) this.actHealPartitions()
    else if (roll < 47) this.actCrash()
    else if (roll < 50) this.actLoseDisk()
    else if (roll < 56) this.actFlap()
    else if (roll < 68) this.actConfChange()
    else if (roll < 76) this.actTransfer()
    else if (roll < 82) this.actCampaign()
    else if (roll < 88) this.actStorm()
    else this.actSnapshot()
  }

  /** A nemesis that contests elections: storms, flaps, kills, delays and partitions. */
  private electionAction(): void {
    const roll = this.rng.int(100)
    if (roll < 10) this.actArmVoteCrash()
    else if (roll < 20) this.actStorm()
    else if (roll < 45) this.actFlap()
    else if (roll < 60) this.actCrash()
    else if (roll < 72) this.actNetworkFault()
    else if (roll < 85) this.actPartition()
    else this.actHealPartitions()
  }

  private pick<T>(items: readonly T[]): T | undefined {
    return items.length === 0 ? undefined : items[this.rng.int(items.length)]
  }

  private liveNodes(): SimNode[] {
    return this.host.liveNodes()
  }

  private actPartition(): void {
    const ids = this.host.allNodeIds()
    const cut = 1 + this.rng.int(Math.max(1, ids.length - 1))
    const shuffled = ids.map((id) => ({id, k: this.rng.float()})).sort((a, b) => a.k - b.k).map((x) => x.id)
    const groups = [shuffled.slice(0, cut), shuffled.slice(cut)]
    const oneWay = this.rng.int(3) === 0
    const until = this.host.now() + 100 + this.rng.int(2000)
    this.network.add({kind: 'partition', id: this.faultId(), groups, oneWay, until})
    this.host.log(`partition ${groups.map((g) => g.join(',')).join(oneWay ? ' -/-> ' : ' | ')} until t=${until}`)
  }

  private actNetworkFault(): void {
    const until = this.host.now() + 100 + this.rng.int(1500)
    const id = this.faultId()
    const which = this.rng.int(4)
    const fault: Fault =
      which === 0 ? {kind: 'drop', id, rate: 0.2 + this.rng.float() * 0.5, until}
        : which === 1 ? {kind: 'delay', id, ms: 5 + this.rng.int(60), jitter: this.rng.int(50), until}
          : which === 2 ? {kind: 'duplicate', id, rate: this.rng.float() * 0.5, until}
            : {kind: 'reorder', id, rate: 0.5, ms: 10 + this.rng.int(80), until}
    this.network.add(fault)
    this.host.log(`fault ${fault.kind} until t=${until}`)
  }

  private faultId(): string {
    return `f${++this.faultCounter}`
  }

  private actHealPartitions(): void {
    if (this.network.healFaults()) this.host.log('heal network')
  }

  private actCrash(): void {
    const node = this.pick(this.liveNodes())
    if (!node) return
    const how = this.rng.int(6)
    if (how < 2) {
      // Crash inside the node's next write, keeping a random prefix of it.
      node.disk.tearNextSave(this.rng.int(3))
      this.host.log(`${node.id} will crash during its next write`)
      return
    }
    if (how === 2) {
      // Crash in the middle of deleting old WAL segments after its next snapshot.
      const count = this.rng.int(3)
      node.disk.crashDuringNextDeletion(count)
      this.host.log(`${node.id} will crash after deleting ${count} old WAL segment(s)`)
      return
    }
    this.host.crash(node, 'kill')
  }

  /** A machine loses its disk: its node restarts empty and must rebuild without voting. */
  private actLoseDisk(): void {
    const node = this.pick(this.liveNodes())
    if (node) this.host.loseDisk(node)
  }

  private actConfChange(): void {
    const leader = this.host.leaderNode()
    if (!leader || this.host.growingBack()) return // the operator grows a recovered cluster back first
    const st = leader.replica!.status()
    const {voters, learners} = st.conf
    const roll = this.rng.int(3)
    let change: ConfChange
    if (roll === 0 && voters.length + learners.length < MAX_MEMBERS) {
      const id = this.host.newNodeId()
      this.host.addNode(id)
      change = {type: 'addLearner', node: id}
    } else if (roll === 1 && learners.length > 0) {
      change = {type: 'promote', node: this.pick(learners)!}
    } else if (voters.length > MIN_VOTERS && !this.host.someoneRebuilding()) {
      // Not while a member rebuilds: it does not vote until caught up, so a removal then (still
      // in flight on some nodes) can leave no quorum that votes; an operator waits for it first.
      change = {type: 'remove', node: this.pick(voters)!}
    } else return
    this.host.log(`propose ${change.type} ${change.node} via ${leader.id}`)
    // Forced: the simulator explores every change, including those the leader's strict
    // reconfiguration check refuses by default.
    leader.replica!.proposeConfChange(change, (o) => {
      if (o.ok) {
        this.host.stats.confChanges++
        this.host.log(`applied ${change.type} ${change.node}`)
        if (change.type === 'remove') this.host.retire(change.node)
      }
    }, {force: true})
  }

  private actTransfer(): void {
    const leader = this.host.leaderNode()
    if (!leader) return
    const st = leader.replica!.status()
    const to = this.pick(st.conf.voters.filter((v) => v !== leader.id))
    if (!to) return
    this.host.log(`transfer ${leader.id} -> ${to}`)
    leader.replica!.transferLeader(to)
    this.host.guard(leader, (r) => r.process())
  }

  /** Crash a node and bring it back almost at once (messages to it are still in flight). */
  private actFlap(): void {
    const node = this.pick(this.liveNodes())
    if (!node) return
    this.host.crash(node, 'flap', 1 + this.rng.int(30))
  }

  /** Arm a node to crash (and restart at once) right after it grants its next vote. */
  private actArmVoteCrash(): void {
    const node = this.pick(this.liveNodes())
    if (!node) return
    this.network.armCrashAfterVote(node.id)
    this.host.log(`${node.id} will crash right after its next vote`)
  }

  /** Every live voter campaigns at once: contested elections in the same term. */
  private actStorm(): void {
    this.host.log('election storm: every node campaigns')
    for (const node of this.liveNodes()) {
      if (node.replica === null) continue
      node.replica.campaign()
      this.host.guard(node, (r) => r.process())
    }
  }

  private actCampaign(): void {
    const node = this.pick(this.liveNodes())
    if (!node) return
    this.host.log(`${node.id} campaign (manual)`)
    node.replica!.campaign()
    this.host.guard(node, (r) => r.process())
  }

  private actSnapshot(): void {
    const node = this.pick(this.liveNodes())
    if (!node) return
    const replica = node.replica!
    // Under the guard: a crash armed in the deletion of old WAL segments takes the node down.
    this.host.guard(node, () => replica.snapshotWhenIdle((index) => {
      if (node.replica !== replica || index === null) return
      this.host.snapshotTaken(node, index)
    }))
  }
}
