/**
 * The simulated cluster: real Replica drivers (the daemon's code) on a virtual clock, a
 * simulated network with the chaos fault types, simulated disks that survive crashes, and a
 * seeded workload. One seed decides everything; the invariants are checked after every event.
 */
import {SeededRng, type PlantedBugs, type RaftEvent, type RaftStatus} from '../raft/index.js'
import type {ConfChange, Message, NodeId} from '../raft/types.js'
import {Replica} from '../replica/replica.js'
import {withSaveAsync, type Storage, type StorageWrite} from '../replica/ports.js'
import {activeFaults, decideFate, type Fault} from '../chaos/faults.js'
import {EventQueue} from './queue.js'
import {SimCrash, SimDisk} from './disk.js'
import {HashStateMachine} from './state-machine.js'
import {Invariants, Violation, fingerprint, type NodeView} from './invariants.js'

/** Options of one simulation run. Every default is documented; the seed decides the rest. */
export interface SimOptions {
  readonly seed: number
  /** Founding cluster size; default: drawn from the seed in [3, 7]. */
  readonly nodes?: number
  /** Virtual milliseconds of faults and workload (the safety phase). Default 6000. */
  readonly safetyMs?: number
  /** Bound on virtual milliseconds for the liveness phase after healing. Default 8000. */
  readonly livenessMs?: number
  /** Milliseconds per tick. Default 10. */
  readonly tickMs?: number
  /** Election timeout base in ticks. Default 10. */
  readonly electionTicks?: number
  /** Heartbeat interval in ticks. Default 2. */
  readonly heartbeatTicks?: number
  /**
   * How the simulated disks persist: `async` (default) like the daemon, each batch becoming
   * durable after a seeded 0..`maxDiskMs` virtual ms while the node keeps taking inputs (a crash
   * meanwhile loses the batch); `sync` durable at once, blocking nothing (the first simulator's mode).
   */
  readonly disk?: 'sync' | 'async'
  /** Longest virtual time a batch takes to become durable with `disk: 'async'`. Default 3. */
  readonly maxDiskMs?: number
  /**
   * With async disks, which nodes sync in the background: `always` (default: every node, the
   * most interleavings) or only the `leader`, followers syncing in their Ready loop (the daemon's
   * mode; replica option `backgroundSaves`).
   */
  readonly backgroundSaves?: 'always' | 'leader'
  /**
   * Whether leaders send commit notices at once (the core's `commitNotices`). Default true;
   * the daemon runs with false (the commit index rides on the next append or heartbeat).
   */
  readonly commitNotices?: boolean
  /** Planted bugs (tests of the simulator only). */
  readonly bugs?: PlantedBugs
  /** Keep every trace line (for `sim run --seed`). Default false: only the last ones. */
  readonly fullTrace?: boolean
  /** How many recent trace lines a failure report keeps. Default 40. */
  readonly lastEvents?: number
}

/** Defaults of {@link SimOptions}. */
export const SIM_DEFAULTS = {
  safetyMs: 6000,
  livenessMs: 8000,
  tickMs: 10,
  electionTicks: 10,
  heartbeatTicks: 2,
  disk: 'async',
  maxDiskMs: 3,
  backgroundSaves: 'always',
  commitNotices: true,
  lastEvents: 40,
} as const

/** Outcome of one seed. */
export interface SimResult {
  readonly seed: number
  readonly ok: boolean
  readonly violation?: {readonly property: string; readonly message: string}
  /** Every trace line (with `fullTrace`), else empty. */
  readonly trace: readonly string[]
  /** The last trace lines before the end or the violation. */
  readonly lastEvents: readonly string[]
  readonly stats: SimStats
}

/** Counters of one run. */
export interface SimStats {
  nodes: number
  events: number
  messages: number
  dropped: number
  elections: number
  leaders: number
  proposals: number
  acknowledged: number
  crashes: number
  confChanges: number
  snapshots: number
  virtualMs: number
}

type SimEvent =
  | {readonly kind: 'tick'; readonly node: NodeId; readonly epoch: number}
  | {readonly kind: 'deliver'; readonly msg: Message}
  | {readonly kind: 'client'}
  | {readonly kind: 'nemesis'}
  | {readonly kind: 'restart'; readonly node: NodeId}
  | {readonly kind: 'crash'; readonly node: NodeId; readonly restartAfter: number}
  | {readonly kind: 'persisted'; readonly node: NodeId; readonly epoch: number; readonly write: StorageWrite; readonly done: (err: Error | null) => void}

interface SimNode {
  readonly id: NodeId
  readonly disk: SimDisk
  sm: HashStateMachine
  replica: Replica | null
  epoch: number
  /** Removed from the cluster for good (stopped by the "operator"). */
  retired: boolean
}

/** One seeded simulation. */
export class Simulation {
  private readonly o: Required<Omit<SimOptions, 'bugs' | 'nodes'>> & {bugs: PlantedBugs}
  private readonly rng: SeededRng
  private readonly netRng: SeededRng
  /** Disk latencies (async disks only; its own sequence, so sync runs draw exactly as before). */
  private readonly diskRng: SeededRng
  private readonly queue = new EventQueue<SimEvent>()
  private readonly nodes = new Map<NodeId, SimNode>()
  private readonly inv = new Invariants()
  private faults: Fault[] = []
  private now = 0
  private nextNodeNumber = 1
  private faultCounter = 0
  private writeCounter = 0
  private pendingProposals = 0
  private steps = 0
  private healed = false
  private readonly trace: string[] = []
  private readonly recent: string[] = []
  private readonly fpCache = new WeakMap<Uint8Array, number>()
  /** Workload mix and fault intensity, drawn from the seed. */
  private readonly profile: {lossRate: number; dupRate: number; maxDelay: number; clientEvery: number; nemesisEvery: number; mix: 'mixed' | 'elections'}
  readonly stats: SimStats = {
    nodes: 0, events: 0, messages: 0, dropped: 0, elections: 0, leaders: 0, proposals: 0,
    acknowledged: 0, crashes: 0, confChanges: 0, snapshots: 0, virtualMs: 0,
  }

  constructor(options: SimOptions) {
    this.o = {...SIM_DEFAULTS, fullTrace: false, bugs: {}, ...stripUndefined(options)} as Simulation['o']
    this.rng = new SeededRng(options.seed)
    this.netRng = this.rng.fork()
    this.diskRng = new SeededRng(options.seed * 31 + 7)
    const n = options.nodes ?? 3 + this.rng.int(5)
    this.profile = {
      lossRate: this.rng.float() * 0.15,
      dupRate: this.rng.float() * 0.05,
      maxDelay: 1 + this.rng.int(20),
      clientEvery: 2 + this.rng.int(20),
      nemesisEvery: 60 + this.rng.int(500),
      mix: this.rng.int(3) === 0 ? 'elections' : 'mixed',
    }
    if (this.profile.mix === 'elections') this.profile.nemesisEvery = 20 + this.rng.int(100)
    const founders: NodeId[] = []
    for (let i = 0; i < n; i++) founders.push(`n${this.nextNodeNumber++}`)
    for (const id of founders) this.addNode(id, {voters: founders, learners: []})
    this.stats.nodes = n
    this.log(`start seed=${options.seed} nodes=${n} nemesis=${this.profile.mix} loss=${this.profile.lossRate.toFixed(3)} dup=${this.profile.dupRate.toFixed(3)} delay<=${this.profile.maxDelay}ms`)
  }

  /** Run the safety phase then the liveness phase. Never throws: violations become the result. */
  run(): SimResult {
    try {
      this.queue.push(this.profile.clientEvery, {kind: 'client'})
      this.queue.push(this.profile.nemesisEvery, {kind: 'nemesis'})
      this.runUntil(this.o.safetyMs)
      this.heal()
      this.runLiveness()
      this.checkAllLogs()
      return this.result()
    } catch (err) {
      if (err instanceof Violation) return this.result({property: err.property, message: err.message})
      const e = err as Error
      return this.result({property: 'crash', message: `${e.message}\n${e.stack ?? ''}`})
    }
  }

  // ------------------------------------------------------------------ event loop

  private runUntil(end: number): void {
    while (this.queue.peekTime() <= end) {
      const {time, value} = this.queue.pop()!
      this.now = time
      this.steps++
      this.stats.events++
      this.handle(value)
    }
    this.now = end
    this.stats.virtualMs = end
  }

  private handle(ev: SimEvent): void {
    switch (ev.kind) {
      case 'tick': return this.onTick(ev.node, ev.epoch)
      case 'deliver': return this.onDeliver(ev.msg)
      case 'client': return this.onClient()
      case 'nemesis': return this.onNemesis()
      case 'restart': return this.restart(ev.node)
      case 'crash': return this.crashNow(ev.node, ev.restartAfter)
      case 'persisted': return this.onPersisted(ev)
    }
  }

  private onTick(id: NodeId, epoch: number): void {
    const node = this.nodes.get(id)!
    if (node.epoch !== epoch || node.replica === null) return
    this.queue.push(this.now + this.o.tickMs, {kind: 'tick', node: id, epoch})
    this.guard(node, (r) => r.tick())
  }

  private onDeliver(msg: Message): void {
    const node = this.nodes.get(msg.to)
    if (!node || node.replica === null) return
    this.guard(node, (r) => r.deliver(msg))
  }

  /** A batch of an async disk becomes durable, unless its node crashed since (the batch is then lost). */
  private onPersisted(ev: Extract<SimEvent, {kind: 'persisted'}>): void {
    const node = this.nodes.get(ev.node)!
    if (node.epoch !== ev.epoch || node.replica === null) return
    this.guard(node, () => {
      node.disk.save(ev.write)
      ev.done(null)
    })
  }

  /** The storage port a replica sees: the disk itself, or (async disks) the disk behind a delayed saveAsync. */
  private storagePort(node: SimNode): Storage {
    if (this.o.disk === 'sync') return node.disk
    return withSaveAsync(node.disk, (write, done) => {
      const at = this.now + this.diskRng.int(this.o.maxDiskMs + 1)
      this.queue.push(at, {kind: 'persisted', node: node.id, epoch: node.epoch, write, done})
    })
  }

  /** Run `fn` on a live replica; a torn-write crash inside it takes the node down. Then check it. */
  private guard(node: SimNode, fn: (r: Replica) => void): void {
    try {
      fn(node.replica!)
    } catch (err) {
      if (!(err instanceof SimCrash)) throw err
      this.crash(node, 'torn write')
      return
    }
    this.checkNode(node)
  }

  // ------------------------------------------------------------------ nodes

  private addNode(id: NodeId, initialConf?: {voters: NodeId[]; learners: NodeId[]}): SimNode {
    const node: SimNode = {id, disk: new SimDisk(), sm: new HashStateMachine(), replica: null, epoch: 0, retired: false}
    this.nodes.set(id, node)
    this.startReplica(node, initialConf)
    return node
  }

  private startReplica(node: SimNode, initialConf?: {voters: NodeId[]; learners: NodeId[]}): void {
    node.sm = new HashStateMachine()
    node.epoch++
    const sm = node.sm
    const replica = this.construct(node, () => new Replica({
      raft: {
        id: node.id,
        rng: this.rng.fork(),
        electionTicks: this.o.electionTicks,
        heartbeatTicks: this.o.heartbeatTicks,
        maxInflight: 8,
        maxAppendBytes: 256,
        commitNotices: this.o.commitNotices,
        bugs: this.o.bugs,
      },
      storage: this.storagePort(node),
      network: {send: (m) => this.send(m)},
      stateMachine: sm,
      initialConf,
      snapshotEvery: 0,
      compactionLag: this.rng.int(20),
      backgroundSaves: this.o.backgroundSaves,
      onEvent: (e) => this.onRaftEvent(node.id, e),
      onApplied: (index, term, data) => this.inv.checkApplied(node.id, index, term, this.fp(data), sm.hash),
      onSnapshotInstalled: (index) => this.inv.checkSnapshotState(node.id, index, sm.hash),
    }))
    if (replica === null) return
    node.replica = replica
    const snap = node.disk.load().snapshot
    if (snap && snap.meta.index > 0) this.inv.checkSnapshotState(node.id, snap.meta.index, HashStateMachine.hashOf(snap.data))
    // Ticks of different nodes are out of phase, like real clocks.
    this.queue.push(this.now + 1 + this.rng.int(this.o.tickMs), {kind: 'tick', node: node.id, epoch: node.epoch})
  }

  /** Build a replica; a torn write during its first Ready crashes the node again. */
  private construct(node: SimNode, make: () => Replica): Replica | null {
    try {
      return make()
    } catch (err) {
      if (!(err instanceof SimCrash)) throw err
      node.replica = null
      this.stats.crashes++
      this.log(`${node.id} crashes while starting (torn write)`)
      if (!this.healed) this.queue.push(this.now + 50 + this.rng.int(1500), {kind: 'restart', node: node.id})
      return null
    }
  }

  private crash(node: SimNode, why: string, restartAfter = 50 + this.rng.int(800)): void {
    if (node.replica === null) return
    node.replica.stop()
    node.replica = null
    node.epoch++
    this.stats.crashes++
    this.inv.resetCommit(node.id)
    this.log(`${node.id} crashes (${why})`)
    if (!this.healed && !node.retired) this.queue.push(this.now + restartAfter, {kind: 'restart', node: node.id})
  }

  private restart(id: NodeId): void {
    const node = this.nodes.get(id)!
    if (node.replica !== null || node.retired) return
    this.log(`${id} restarts`)
    this.startReplica(node)
    this.checkNode(node)
  }

  // ------------------------------------------------------------------ network

  /** Nodes armed to crash right after they grant their next vote. */
  private readonly crashAfterVote = new Set<NodeId>()

  private crashNow(id: NodeId, restartAfter: number): void {
    const node = this.nodes.get(id)
    if (node && node.replica !== null) this.crash(node, 'right after voting', restartAfter)
  }

  private send(m: Message): void {
    this.stats.messages++
    if (m.type === 'voteResp' && m.granted && !m.pre && this.crashAfterVote.delete(m.from)) {
      this.queue.push(this.now, {kind: 'crash', node: m.from, restartAfter: 1 + this.rng.int(10)})
    }
    const base = 1 + this.netRng.int(this.profile.maxDelay)
    const random = (): number => this.netRng.float()
    const lossy = this.healed ? [] : this.faults
    const fate = decideFate(lossy, m.from, m.to, base, random)
    if (!this.healed && this.netRng.float() < this.profile.lossRate) {
      this.stats.dropped++
      return
    }
    if (fate.delays.length === 0) this.stats.dropped++
    let delays = fate.delays
    if (!this.healed && delays.length > 0 && this.netRng.float() < this.profile.dupRate) delays = [...delays, delays[0]! + this.netRng.int(20)]
    for (const d of delays) this.queue.push(this.now + Math.max(1, Math.round(d)), {kind: 'deliver', msg: m})
  }

  // ------------------------------------------------------------------ workload and faults

  /** Client traffic: mostly writes to the leader, some to random nodes. */
  private onClient(): void {
    this.actPropose()
    // Now and then clients go quiet, so new leaders sit with only old entries for a while.
    const quiet = this.rng.int(40) === 0 ? 100 + this.rng.int(1000) : 0
    this.queue.push(this.now + 1 + quiet + this.rng.int(this.profile.clientEvery * 2), {kind: 'client'})
  }

  /** The nemesis: one fault or operator action at a time, at a seed-chosen pace. */
  private onNemesis(): void {
    this.faults = activeFaults(this.faults, this.now)
    if (this.profile.mix === 'elections') return this.onElectionNemesis()
    const roll = this.rng.int(100)
    if (roll < 18) this.actPartition()
    else if (roll < 30) this.actNetworkFault()
    else if (roll < 40) this.actHealPartitions()
    else if (roll < 50) this.actCrash()
    else if (roll < 56) this.actFlap()
    else if (roll < 68) this.actConfChange()
    else if (roll < 76) this.actTransfer()
    else if (roll < 82) this.actCampaign()
    else if (roll < 88) this.actStorm()
    else this.actSnapshot()
    this.queue.push(this.now + 1 + this.rng.int(this.profile.nemesisEvery * 2), {kind: 'nemesis'})
  }

  /** A nemesis that contests elections: storms, flaps, kills, delays and partitions. */
  private onElectionNemesis(): void {
    const roll = this.rng.int(100)
    if (roll < 10) this.actArmVoteCrash()
    else if (roll < 20) this.actStorm()
    else if (roll < 45) this.actFlap()
    else if (roll < 60) this.actCrash()
    else if (roll < 72) this.actNetworkFault()
    else if (roll < 85) this.actPartition()
    else this.actHealPartitions()
    this.queue.push(this.now + 1 + this.rng.int(this.profile.nemesisEvery * 2), {kind: 'nemesis'})
  }

  private liveNodes(): SimNode[] {
    return [...this.nodes.values()].filter((n) => n.replica !== null)
  }

  private pick<T>(items: readonly T[]): T | undefined {
    return items.length === 0 ? undefined : items[this.rng.int(items.length)]
  }

  /** The live node that believes it leads in the highest term. */
  private leaderNode(): SimNode | undefined {
    let best: SimNode | undefined
    for (const n of this.liveNodes()) {
      const st = n.replica!.status()
      if (st.role === 'leader' && (!best || st.term > best.replica!.status().term)) best = n
    }
    return best
  }

  private actPropose(): void {
    const roll = this.rng.int(8)
    // Mostly the newest leader; sometimes any node that believes it leads (a stale leader's
    // entries are what Figure 8 is about); sometimes any node at all.
    const target = roll === 0 ? this.pick(this.liveNodes())
      : roll <= 2 ? this.pick(this.liveNodes().filter((n) => n.replica!.status().role === 'leader'))
        : this.leaderNode()
    if (!target) return
    this.proposeTo(target)
  }

  private proposeTo(target: SimNode): void {
    const data = new TextEncoder().encode(`w${this.o.seed}-${++this.writeCounter}`)
    const fp = this.fp(data)
    this.stats.proposals++
    this.pendingProposals++
    const key = `${target.id}#${this.writeCounter}`
    this.pendingSet.add(key)
    target.replica!.propose(data, (outcome) => {
      this.pendingSet.delete(key)
      this.pendingProposals--
      if (outcome.ok) {
        this.stats.acknowledged++
        this.inv.checkAcknowledged(outcome.index, fp)
      }
    })
  }

  private actPartition(): void {
    const ids = [...this.nodes.keys()]
    const cut = 1 + this.rng.int(Math.max(1, ids.length - 1))
    const shuffled = ids.map((id) => ({id, k: this.rng.float()})).sort((a, b) => a.k - b.k).map((x) => x.id)
    const groups = [shuffled.slice(0, cut), shuffled.slice(cut)]
    const oneWay = this.rng.int(3) === 0
    const until = this.now + 100 + this.rng.int(2000)
    const id = `f${++this.faultCounter}`
    // One partition at a time: a new one replaces the old.
    this.faults = this.faults.filter((f) => f.kind !== 'partition')
    this.faults.push({kind: 'partition', id, groups, oneWay, until})
    this.log(`partition ${groups.map((g) => g.join(',')).join(oneWay ? ' -/-> ' : ' | ')} until t=${until}`)
  }

  private actNetworkFault(): void {
    const until = this.now + 100 + this.rng.int(1500)
    const id = `f${++this.faultCounter}`
    const which = this.rng.int(4)
    const fault: Fault =
      which === 0 ? {kind: 'drop', id, rate: 0.2 + this.rng.float() * 0.5, until}
        : which === 1 ? {kind: 'delay', id, ms: 5 + this.rng.int(60), jitter: this.rng.int(50), until}
          : which === 2 ? {kind: 'duplicate', id, rate: this.rng.float() * 0.5, until}
            : {kind: 'reorder', id, rate: 0.5, ms: 10 + this.rng.int(80), until}
    this.faults.push(fault)
    this.log(`fault ${fault.kind} until t=${until}`)
  }

  private actHealPartitions(): void {
    if (this.faults.length === 0) return
    this.faults = []
    this.log('heal network')
  }

  private actCrash(): void {
    const node = this.pick(this.liveNodes())
    if (!node) return
    if (this.rng.int(3) === 0) {
      // Crash inside the node's next write, keeping a random prefix of it.
      node.disk.tearNextSave(this.rng.int(3))
      this.log(`${node.id} will crash during its next write`)
      return
    }
    this.crash(node, 'kill')
  }

  private actConfChange(): void {
    const leader = this.leaderNode()
    if (!leader) return
    const st = leader.replica!.status()
    const {voters, learners} = st.conf
    const roll = this.rng.int(3)
    let change: ConfChange
    if (roll === 0 && voters.length + learners.length < 7) {
      const id = `n${this.nextNodeNumber++}`
      this.addNode(id)
      change = {type: 'addLearner', node: id}
    } else if (roll === 1 && learners.length > 0) {
      change = {type: 'promote', node: this.pick(learners)!}
    } else if (voters.length > 3) {
      change = {type: 'remove', node: this.pick(voters)!}
    } else return
    this.log(`propose ${change.type} ${change.node} via ${leader.id}`)
    // Forced: the simulator explores every change, including those the leader's strict
    // reconfiguration check refuses by default (and replays of old seeds stay the same).
    leader.replica!.proposeConfChange(change, (o) => {
      if (o.ok) {
        this.stats.confChanges++
        this.log(`applied ${change.type} ${change.node}`)
        if (change.type === 'remove') this.retire(change.node)
      }
    }, {force: true})
  }

  /** An operator stops a node once its removal is committed. */
  private retire(id: NodeId): void {
    const node = this.nodes.get(id)
    if (!node || node.retired) return
    node.retired = true
    if (node.replica) {
      node.replica.stop()
      node.replica = null
      node.epoch++
    }
    this.log(`${id} retired`)
  }

  private actTransfer(): void {
    const leader = this.leaderNode()
    if (!leader) return
    const st = leader.replica!.status()
    const to = this.pick(st.conf.voters.filter((v) => v !== leader.id))
    if (!to) return
    this.log(`transfer ${leader.id} -> ${to}`)
    leader.replica!.transferLeader(to)
    this.guard(leader, (r) => r.process())
  }

  /** Crash a node and bring it back almost at once (messages to it are still in flight). */
  private actFlap(): void {
    const node = this.pick(this.liveNodes())
    if (!node) return
    this.crash(node, 'flap', 1 + this.rng.int(30))
  }

  /** Arm a node to crash (and restart at once) right after it grants its next vote. */
  private actArmVoteCrash(): void {
    const node = this.pick(this.liveNodes())
    if (!node) return
    this.crashAfterVote.add(node.id)
    this.log(`${node.id} will crash right after its next vote`)
  }

  /** Every live voter campaigns at once: contested elections in the same term. */
  private actStorm(): void {
    this.log('election storm: every node campaigns')
    for (const node of this.liveNodes()) {
      if (node.replica === null) continue
      node.replica.campaign()
      this.guard(node, (r) => r.process())
    }
  }

  private actCampaign(): void {
    const node = this.pick(this.liveNodes())
    if (!node) return
    this.log(`${node.id} campaign (manual)`)
    node.replica!.campaign()
    this.guard(node, (r) => r.process())
  }

  private actSnapshot(): void {
    const node = this.pick(this.liveNodes())
    if (!node) return
    const replica = node.replica!
    replica.snapshotWhenIdle((index) => {
      if (node.replica !== replica || index === null) return
      this.stats.snapshots++
      this.log(`${node.id} snapshot at ${index}`)
    })
  }

  // ------------------------------------------------------------------ liveness

  private heal(): void {
    this.healed = true
    this.faults = []
    this.crashAfterVote.clear()
    this.queue.removeWhere((e) => e.kind === 'client' || e.kind === 'nemesis' || e.kind === 'restart' || e.kind === 'crash')
    for (const n of this.nodes.values()) {
      n.disk.cancelTear()
      if (n.replica === null && !n.retired) this.restart(n.id)
    }
    this.log('heal: faults stop, every node restarts; liveness phase')
  }

  private runLiveness(): void {
    const deadline = this.now + this.o.livenessMs
    const finalWrite = {state: 'none' as 'none' | 'pending' | 'done'}
    while (this.now < deadline) {
      this.runUntil(Math.min(deadline, this.now + 50))
      const leader = this.stableLeader()
      if (!leader) continue
      this.retireNonMembers(leader)
      if (finalWrite.state === 'none') {
        finalWrite.state = 'pending'
        const data = new TextEncoder().encode(`final-${this.o.seed}`)
        this.pendingProposals++
        leader.replica!.propose(data, (o) => {
          this.pendingProposals--
          finalWrite.state = o.ok ? 'done' : 'none'
        })
        continue
      }
      // Proposals left on former leaders resolve only when their index is applied: fill the log until then.
      if (finalWrite.state === 'done' && this.pendingProposals > 0) this.fillLog(leader)
      if (finalWrite.state === 'done' && this.pendingProposals === 0 && this.converged(leader)) {
        this.log(`liveness: leader ${leader.id}, all members applied ${leader.replica!.applied}`)
        return
      }
    }
    const leader = this.stableLeader()
    const why = !leader ? 'no leader elected' : finalWrite.state !== 'done' ? 'a write after healing did not commit'
      : this.pendingProposals > 0 ? `${this.pendingProposals} proposals never resolved (${[...this.pendingSet].slice(0, 5).join(' ')})` : 'members did not converge'
    throw new Violation('liveness', `${why} within ${this.o.livenessMs} ms after healing; ${this.describeNodes()}`)
  }

  /** Propose filler writes until the leader's log reaches the highest index anyone waits on. */
  private fillLog(leader: SimNode): void {
    let target = 0
    for (const n of this.liveNodes()) target = Math.max(target, n.replica!.maxPendingIndex())
    const last = leader.replica!.status().lastIndex
    for (let i = Math.max(1, Math.min(500, target - last)); i > 0; i--) this.proposeTo(leader)
  }

  /** The operator stops nodes that are not members of the leader's committed configuration. */
  private retireNonMembers(leader: SimNode): void {
    const st = leader.replica!.status()
    if (st.commitIndex < st.lastIndex) return
    const members = new Set([...st.conf.voters, ...st.conf.learners])
    for (const n of this.nodes.values()) if (!members.has(n.id) && !n.retired) this.retire(n.id)
  }

  /** A leader whose term every live member shares. */
  private stableLeader(): SimNode | undefined {
    const leader = this.leaderNode()
    if (!leader) return undefined
    const st = leader.replica!.status()
    const members = [...st.conf.voters, ...st.conf.learners]
    for (const id of members) {
      const n = this.nodes.get(id)
      if (!n || n.replica === null) continue
      const s = n.replica.status()
      if (s.term !== st.term || s.leader !== leader.id) return undefined
    }
    return leader
  }

  private converged(leader: SimNode): boolean {
    const st = leader.replica!.status()
    if (leader.replica!.applied !== st.lastIndex || st.commitIndex !== st.lastIndex) return false
    for (const id of [...st.conf.voters, ...st.conf.learners]) {
      const n = this.nodes.get(id)
      if (!n || n.replica === null) return false
      if (n.replica.applied !== st.lastIndex) return false
    }
    return true
  }

  /** One line per node: role, term, leader, indexes and (on a leader) follower progress. */
  private describeNodes(): string {
    const parts: string[] = []
    for (const n of this.nodes.values()) {
      if (n.replica === null) {
        parts.push(`${n.id}: ${n.retired ? 'retired' : 'down'}`)
        continue
      }
      const st = n.replica.status()
      const pr = st.progress.map((p) => `${p.id}:${p.state}/m${p.match}/n${p.next}/i${p.inflight}`).join(' ')
      parts.push(`${n.id}: ${st.role} t${st.term} leader=${st.leader} commit=${st.commitIndex} applied=${n.replica.applied} last=${st.lastIndex} snap=${st.snapshotIndex} first=${st.firstIndex} voters=${st.conf.voters.join(',')} learners=${st.conf.learners.join(',')}${pr ? ` [${pr}]` : ''}`)
    }
    return parts.join('\n  ')
  }

  // ------------------------------------------------------------------ checks

  private onRaftEvent(id: NodeId, e: RaftEvent): void {
    switch (e.type) {
      case 'roleChanged':
        this.log(`${id} ${e.from} -> ${e.to} term ${e.term} (${e.cause})`)
        if (e.to === 'leader') {
          this.stats.leaders++
          const node = this.nodes.get(id)!
          this.inv.checkLeader(id, e.term)
          // Leader completeness is checked once its Ready is handled (checkNode), when the log is settled.
          this.pendingCompleteness.add(node.id)
        }
        break
      case 'electionStarted':
        if (!e.pre) this.stats.elections++
        break
      case 'confChanged':
        this.log(`${id} conf voters=[${e.conf.voters.join(',')}] learners=[${e.conf.learners.join(',')}] at ${e.index}`)
        break
      case 'transferAborted':
        this.log(`${id} transfer to ${e.to} aborted`)
        break
      default:
        break
    }
  }

  private readonly pendingCompleteness = new Set<NodeId>()
  /** Proposals not yet resolved, as node#write (for liveness reports). */
  private readonly pendingSet = new Set<string>()

  private checkNode(node: SimNode): void {
    if (node.replica === null) return
    const st = node.replica.status()
    if (st.role === 'leader') this.inv.checkLeader(node.id, st.term)
    this.inv.checkCommitMonotonic(node.id, st.commitIndex)
    const view = this.view(node, st)
    if (this.pendingCompleteness.delete(node.id) && st.role === 'leader') this.inv.checkLeaderCompleteness(view)
    this.inv.checkLogMatching(view)
  }

  private checkAllLogs(): void {
    for (const n of this.liveNodes()) this.inv.checkLogMatching(this.view(n))
  }

  private view(node: SimNode, st: RaftStatus = node.replica!.status()): NodeView {
    const replica = node.replica!
    return {
      id: node.id,
      role: st.role,
      term: st.term,
      commitIndex: st.commitIndex,
      firstIndex: st.firstIndex,
      lastIndex: st.lastIndex,
      snapshotIndex: st.snapshotIndex,
      entry: (i) => {
        const e = replica.entryAt(i)
        return e ? {term: e.term, fp: this.fp(e.data)} : undefined
      },
    }
  }

  private fp(data: Uint8Array): number {
    let v = this.fpCache.get(data)
    if (v === undefined) {
      v = fingerprint(data)
      this.fpCache.set(data, v)
    }
    return v
  }

  // ------------------------------------------------------------------ trace

  private log(line: string): void {
    const text = `t=${String(this.now).padStart(5)} ${line}`
    if (this.o.fullTrace) this.trace.push(text)
    this.recent.push(text)
    if (this.recent.length > this.o.lastEvents) this.recent.shift()
  }

  private result(violation?: {property: string; message: string}): SimResult {
    if (violation) this.log(`VIOLATION ${violation.message.split('\n')[0]}`)
    this.stats.virtualMs = this.now
    return {seed: this.o.seed, ok: violation === undefined, violation, trace: this.trace, lastEvents: this.recent.slice(), stats: this.stats}
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {}
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v
  return out
}

/** Run one seed. */
export function runSeed(options: SimOptions): SimResult {
  return new Simulation(options).run()
}
