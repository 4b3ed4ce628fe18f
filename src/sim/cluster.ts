/**
 * The simulated cluster, the simulator's composition root: real Replica drivers (the daemon's
 * code) applying to the real KvStateMachine (src/kv, client sessions included) and persisting
 * to the real MemoryStorage (src/storage) behind a disk with crash hooks (./disk.ts), on a
 * virtual clock. The other parts are separate: the network (./network.ts), the nemesis's fault
 * schedule (./nemesis.ts), the KV clients with sessions and retries (./workload.ts), the safety
 * invariants (./invariants.ts, checked after every event) and the liveness phase
 * (./liveness.ts); with `recover`, a disaster that loses a majority for good and recovers from
 * the most up-to-date survivor (./recovery.ts). Snapshots may take time to send, reported in
 * flight to their sender as the daemon's transport does (./snapshot-sends.ts), and a leader's
 * one-entry batches may be saved in its loop as the daemon's are (`loopSaves`). One seed decides
 * everything.
 */
import {SeededRng} from '../raft/index.js'
import type {Message, NodeId} from '../raft/types.js'
import type {RaftStatus} from '../raft/index.js'
import {KvStateMachine} from '../kv/index.js'
import {Replica, type ProposalOutcome} from '../replica/replica.js'
import {snapshotBytes} from '../replica/snapshot-data.js'
import {EventQueue} from './queue.js'
import {SimCrash, SimDisk} from './disk.js'
import {SimNetwork} from './network.js'
import {Nemesis, type NemesisHost} from './nemesis.js'
import {Workload} from './workload.js'
import {runLiveness, type LivenessHost} from './liveness.js'
import {withKvBugs} from './planted.js'
import {ExactlyOnce, Violation, fingerprint, stateDigest} from './invariants.js'
import {NodeChecks} from './checks.js'
import {resolveOptions, type ResolvedSimOptions, type SimOptions, type SimResult} from './options.js'
import {GROW_BACK_EVERY_MS, byUpToDate, drawSurvivors, growBack, positions} from './recovery.js'
import {forceNewCluster} from '../storage/index.js'
import {savesInLoop} from '../storage/save-policy.js'
import {SLOW_SNAPSHOT_SEND_MAX_MS, SNAPSHOT_CHUNK_EVERY_MS, SnapshotSends, type SnapshotMessage, type SnapshotSend} from './snapshot-sends.js'
import {quorumOf} from '../common/quorum.js'
import type {SimEvent, SimNode, SimStats} from './types.js'

/** One seeded simulation. */
export class Simulation implements NemesisHost, LivenessHost {
  readonly seed: number
  private readonly o: ResolvedSimOptions
  private readonly rng: SeededRng
  /** Disk latencies (async disks only; its own sequence). */
  private readonly diskRng: SeededRng
  private readonly queue = new EventQueue<SimEvent>()
  readonly nodes = new Map<NodeId, SimNode>()
  private readonly checks: NodeChecks
  private readonly ledger = new ExactlyOnce()
  private readonly network: SimNetwork
  private readonly snapshotSends: SnapshotSends
  /** SimOptions.loopSaves as the seed drew it. */
  private readonly loopSaves: boolean
  private readonly nemesis: Nemesis
  private readonly workload: Workload
  private clock = 0
  private nextNodeNumber = 1
  private proposalCounter = 0
  /** Proposals not yet resolved, as node#n (for liveness reports). */
  private readonly pendingSet = new Set<string>()
  private healed = false
  /** Decisions of the disaster (SimOptions.recover), apart from the main generator. */
  private recoveryRng: SeededRng | null = null
  /** The node being added back after a disaster, until its addition commits. */
  private readonly growing: {joining?: NodeId} = {}
  /** A disaster recovery happened and the cluster is not yet grown back to its voter count. */
  private regrowing = false
  private readonly trace: string[] = []
  private readonly recent: string[] = []
  readonly stats: SimStats = {
    nodes: 0, events: 0, messages: 0, dropped: 0, elections: 0, leaders: 0, proposals: 0,
    acknowledged: 0, retries: 0, deduplicated: 0, crashes: 0, diskLosses: 0, confChanges: 0, snapshots: 0,
    snapshotSends: 0, snapshotSendsCut: 0, snapshotsDroppedInFlight: 0, snapshotInFlightReports: 0, loopSaves: 0,
    recoveries: 0, lostEntries: 0, walSegmentsDeleted: 0, virtualMs: 0,
  }

  constructor(options: SimOptions) {
    this.seed = options.seed
    this.o = resolveOptions(options)
    this.checks = new NodeChecks(this, (fp) => this.workload.onCommitted(fp))
    this.rng = new SeededRng(options.seed)
    const netRng = this.rng.fork()
    this.diskRng = new SeededRng(options.seed * 31 + 7)
    // The daemon's ways (in-loop saves, snapshots sent over time): their own sequence, so that
    // the main one draws the same cluster, network, nemesis and workload with them or without.
    const daemonRng = new SeededRng(options.seed * 53 + 29)
    this.loopSaves = this.o.loopSaves ?? daemonRng.int(2) === 0
    const slowSnapshots = daemonRng.int(3) !== 0
    this.snapshotSends = new SnapshotSends(daemonRng.fork(), this.o.snapshotSendMs ?? (slowSnapshots ? SLOW_SNAPSHOT_SEND_MAX_MS : 0))
    const n = options.nodes ?? 3 + this.rng.int(5)
    this.network = new SimNetwork(netRng, {lossRate: this.rng.float() * 0.15, dupRate: this.rng.float() * 0.05, maxDelay: 1 + this.rng.int(20)})
    const clientEvery = 2 + this.rng.int(20)
    const mix = this.rng.int(3) === 0 ? 'elections' : 'mixed'
    const nemesisEvery = mix === 'elections' ? 20 + this.rng.int(100) : 60 + this.rng.int(500)
    this.nemesis = new Nemesis(this, this.network, this.rng, {every: nemesisEvery, mix})
    const workRng = this.rng.fork()
    const clients = 2 + workRng.int(7)
    this.workload = new Workload(this, workRng, {clientEvery, clients, timeoutMs: 100 + workRng.int(400)}, this.ledger)
    const founders: NodeId[] = []
    for (let i = 0; i < n; i++) founders.push(this.newNodeId())
    for (const id of founders) this.startNode(id, {voters: founders, learners: []})
    this.stats.nodes = n
    const p = this.network.profile
    const saves = this.o.disk === 'async' ? ` loop-saves=${this.loopSaves ? 'on' : 'off'}` : ''
    this.log(`start seed=${options.seed} nodes=${n} clients=${clients} nemesis=${mix} loss=${p.lossRate.toFixed(3)} dup=${p.dupRate.toFixed(3)} delay<=${p.maxDelay}ms` +
      ` snapshot-send<=${this.snapshotSends.maxMs}ms${saves}`)
  }

  /** Run the safety phase then the liveness phase. Never throws: violations become the result. */
  run(): SimResult {
    try {
      this.workload.start()
      this.nemesis.start()
      // Its own generator: the runs without a disaster keep their traces.
      if (this.o.recover) this.recoveryRng = new SeededRng(this.seed * 97 + 13)
      if (this.recoveryRng) this.queue.push(Math.floor(this.o.safetyMs * (0.2 + 0.4 * this.recoveryRng.float())), {kind: 'disaster'})
      this.runUntil(this.o.safetyMs)
      this.heal()
      runLiveness(this, this.workload, this.ledger, this.o.livenessMs)
      this.checks.checkAllLogs()
      return this.result()
    } catch (err) {
      if (err instanceof Violation) return this.result({property: err.property, message: err.message})
      const e = err as Error
      return this.result({property: 'crash', message: `${e.message}\n${e.stack ?? ''}`})
    }
  }

  // ------------------------------------------------------------------ event loop

  /** Handle every queued event up to virtual time `end`. */
  runUntil(end: number): void {
    while (this.queue.peekTime() <= end) {
      const {time, value} = this.queue.pop()!
      this.clock = time
      this.stats.events++
      try {
        this.handle(value)
      } finally {
        // Also after an event that broke an invariant: the observer sees the state it left.
        this.o.observer?.afterEvent(time, this.nodes.values(), this.network.faults)
      }
    }
    this.clock = end
    this.stats.virtualMs = end
  }

  private handle(ev: SimEvent): void {
    switch (ev.kind) {
      case 'tick': return this.onTick(ev.node, ev.epoch)
      case 'deliver': return this.onDeliver(ev.msg)
      case 'client': return this.workload.onClient()
      case 'retry': return this.workload.onRetry(ev)
      case 'nemesis': return this.nemesis.onNemesis()
      case 'restart': return this.restart(ev.node)
      case 'crash': return this.crashNow(ev.node, ev.restartAfter)
      case 'persisted': return this.onPersisted(ev)
      case 'snapshotChunk': return this.onSnapshotChunk(ev)
      case 'disaster': return this.disaster()
      case 'grow': return this.onGrow(ev.voters)
    }
  }

  private onTick(id: NodeId, epoch: number): void {
    const node = this.nodes.get(id)!
    if (node.epoch !== epoch || node.replica === null) return
    this.queue.push(this.clock + this.o.tickMs, {kind: 'tick', node: id, epoch})
    this.guard(node, (r) => r.tick())
  }

  private onDeliver(msg: Message): void {
    const node = this.nodes.get(msg.to)
    if (!node || node.replica === null) return
    this.guard(node, (r) => r.deliver(msg))
  }

  /** A batch of an async disk becomes durable, unless its node crashed since (the disk then lost it). */
  private onPersisted(ev: Extract<SimEvent, {kind: 'persisted'}>): void {
    const node = this.nodes.get(ev.node)!
    if (node.epoch !== ev.epoch || node.replica === null) return
    this.guard(node, () => ev.complete())
  }

  /** Run `fn` on a live replica; a torn-write crash inside it takes the node down. Then check it. */
  guard(node: SimNode, fn: (r: Replica) => void): void {
    try {
      fn(node.replica!)
    } catch (err) {
      if (!(err instanceof SimCrash)) throw err
      this.crash(node, err.during)
      return
    }
    this.checks.checkNode(node)
  }

  // ------------------------------------------------------------------ host of the parts

  now(): number {
    return this.clock
  }

  schedule(at: number, event: SimEvent): void {
    this.queue.push(at, event)
  }

  liveNodes(): SimNode[] {
    return [...this.nodes.values()].filter((n) => n.replica !== null)
  }

  allNodeIds(): NodeId[] {
    return [...this.nodes.keys()]
  }

  newNodeId(): NodeId {
    return `n${this.nextNodeNumber++}`
  }

  /** The live node that believes it leads in the highest term. */
  leaderNode(): SimNode | undefined {
    let best: SimNode | undefined
    for (const n of this.liveNodes()) {
      const st = n.replica!.status()
      if (st.role === 'leader' && (!best || st.term > best.replica!.status().term)) best = n
    }
    return best
  }

  propose(target: SimNode, data: Uint8Array, cb?: (outcome: ProposalOutcome) => void): void {
    const fp = this.checks.fp(data)
    this.stats.proposals++
    const key = `${target.id}#${++this.proposalCounter}`
    this.pendingSet.add(key)
    target.replica!.propose(data, (outcome) => {
      this.pendingSet.delete(key)
      if (outcome.ok) {
        this.stats.acknowledged++
        this.checks.inv.checkAcknowledged(outcome.index, fp)
      }
      cb?.(outcome)
    })
  }

  pending(): {count: number; some: string[]} {
    return {count: this.pendingSet.size, some: [...this.pendingSet].slice(0, 5)}
  }

  snapshotTaken(node: SimNode, index: number): void {
    this.stats.snapshots++
    this.log(`${node.id} snapshot at ${index}`)
    const snap = node.disk.load().snapshot
    if (snap && snap.meta.index === index) this.checks.inv.checkSnapshotState(node.id, index, fingerprint(snapshotBytes(snap.data)))
  }

  // ------------------------------------------------------------------ nodes

  /** Start a node with an empty disk (a founder with `initialConf`, or a future learner). */
  startNode(id: NodeId, initialConf?: {voters: NodeId[]; learners: NodeId[]}): void {
    const node: SimNode = {id, disk: this.newDisk(id), incarnation: 1, sm: new KvStateMachine(), replica: null, epoch: 0, retired: false}
    this.nodes.set(id, node)
    this.startReplica(node, initialConf)
  }

  /**
   * An empty disk for node `id` (its background syncs complete on the simulation's clock; with
   * loop saves, the batches the daemon's leader saves in its loop are saved at once).
   */
  private newDisk(id: NodeId): SimDisk {
    if (this.o.disk === 'sync') return new SimDisk()
    const schedule = (complete: () => void): void => {
      const at = this.clock + this.diskRng.int(this.o.maxDiskMs + 1)
      this.queue.push(at, {kind: 'persisted', node: id, epoch: this.nodes.get(id)!.epoch, complete})
    }
    if (!this.loopSaves) return new SimDisk(schedule)
    // No chaos disk delay in the simulator: its slow disks are the seeded sync latencies.
    return new SimDisk(schedule, (write) => {
      const inLoop = savesInLoop(write, 0)
      if (inLoop) this.stats.loopSaves++
      return inLoop
    })
  }

  /**
   * The machine of `node` loses its disk: it crashes, its storage is replaced by an empty one
   * with the next incarnation, marked rebuilding (the node knows it was a member), and it
   * restarts later. Refused (returns false) while another node rebuilds: losing a second copy
   * before the first is repaired may lose committed entries, which no protocol prevents.
   */
  loseDisk(node: SimNode): boolean {
    if (node.replica === null || node.retired) return false
    if ([...this.nodes.values()].some((n) => n !== node && !n.retired && n.disk.rebuilding)) return false
    // Until a recovered cluster has grown back, its one or two voters are all it has: losing a disk then is losing a majority again.
    if (this.regrowing || !this.quorumSurvivesDiskLoss(node)) return false
    this.crash(node, 'disk lost')
    node.disk = this.newDisk(node.id)
    node.disk.rebuilding = true
    node.incarnation++
    this.stats.diskLosses++
    this.log(`${node.id} lost its disk: restarts empty, incarnation ${node.incarnation}, rebuilding`)
    return true
  }

  growingBack(): boolean {
    return this.regrowing
  }

  someoneRebuilding(): boolean {
    return [...this.nodes.values()].some((n) => !n.retired && n.disk.rebuilding)
  }

  /**
   * Whether every configuration a running node holds keeps a quorum of voters with their data
   * once `node` loses its disk. A rebuilding node does not vote until a leader has caught it up,
   * so a loss that leaves fewer (e.g. either voter of a two-voter cluster) would leave no leader
   * for good: that is a majority lost, which only a disaster recovery helps (`--recover`), not a
   * fault the cluster must survive.
   */
  private quorumSurvivesDiskLoss(node: SimNode): boolean {
    const intact = (id: NodeId): boolean => {
      const n = this.nodes.get(id)
      return n !== undefined && n !== node && !n.retired && !n.disk.rebuilding
    }
    for (const n of this.nodes.values()) {
      const voters = n.replica?.status().conf.voters
      if (!voters?.includes(node.id)) continue
      if (voters.filter(intact).length < quorumOf(voters.length)) return false
    }
    return true
  }

  addNode(id: NodeId): void {
    this.startNode(id)
  }

  private startReplica(node: SimNode, initialConf?: {voters: NodeId[]; learners: NodeId[]}): void {
    node.sm = new KvStateMachine()
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
        incarnation: node.incarnation,
        bugs: this.o.bugs,
      },
      rebuilding: node.disk.rebuilding,
      storage: node.disk,
      network: {send: (m) => this.send(m)},
      stateMachine: withKvBugs(sm, this.o.kvBugs),
      initialConf,
      snapshotEvery: 0,
      compactionLag: this.rng.int(20),
      backgroundSaves: this.o.backgroundSaves,
      onEvent: (e) => {
        if (e.type === 'rebuildingChanged') node.disk.rebuilding = e.rebuilding
        this.checks.onRaftEvent(node.id, e)
      },
      onApplied: (index, term, data) => this.checks.onApplied(node.id, sm, index, term, data),
      onSnapshotInstalled: (index) => this.checks.inv.checkSnapshotState(node.id, index, stateDigest(sm)),
    }))
    if (replica === null) return
    node.replica = replica
    const snap = node.disk.load().snapshot
    if (snap && snap.meta.index > 0) this.checks.inv.checkSnapshotState(node.id, snap.meta.index, fingerprint(snapshotBytes(snap.data)))
    // Ticks of different nodes are out of phase, like real clocks.
    this.queue.push(this.clock + 1 + this.rng.int(this.o.tickMs), {kind: 'tick', node: node.id, epoch: node.epoch})
  }

  /** Build a replica; a torn write during its first Ready crashes the node again. */
  private construct(node: SimNode, make: () => Replica): Replica | null {
    try {
      return make()
    } catch (err) {
      if (!(err instanceof SimCrash)) throw err
      node.replica = null
      node.disk.crash()
      this.checks.inv.forgetUnpersistedTerms(node.id, node.disk.load().hardState.term)
      this.stats.crashes++
      this.log(`${node.id} crashes while starting (${err.during})`)
      if (!this.healed) this.queue.push(this.clock + 50 + this.rng.int(1500), {kind: 'restart', node: node.id})
      return null
    }
  }

  crash(node: SimNode, why: string, restartAfter = 50 + this.rng.int(800)): void {
    if (node.replica === null) return
    node.replica.stop()
    node.replica = null
    node.epoch++
    const lost = node.disk.crash()
    this.stats.crashes++
    this.checks.inv.resetCommit(node.id)
    this.checks.inv.forgetUnpersistedTerms(node.id, node.disk.load().hardState.term)
    this.log(`${node.id} crashes (${why})${lost > 0 ? `, ${lost} unsynced batch${lost > 1 ? 'es' : ''} lost` : ''}`)
    if (!this.healed && !node.retired) this.queue.push(this.clock + restartAfter, {kind: 'restart', node: node.id})
  }

  private crashNow(id: NodeId, restartAfter: number): void {
    const node = this.nodes.get(id)
    if (node && node.replica !== null) this.crash(node, 'right after voting', restartAfter)
  }

  private restart(id: NodeId): void {
    const node = this.nodes.get(id)!
    if (node.replica !== null || node.retired) return
    this.log(`${id} restarts`)
    this.startReplica(node)
    this.checks.checkNode(node)
  }

  /** An operator stops a node once its removal is committed. */
  retire(id: NodeId): void {
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

  /**
   * The disaster of SimOptions.recover (docs/testing.md): every node stops (unsynced writes are
   * lost); a majority of the voters is lost for good with its disks, and everything in flight
   * is dropped (the new cluster id fences the old nodes). The most up-to-date survivor's storage
   * is rewritten to itself alone (the daemon's code), the invariants forget only the committed
   * entries it did not hold, the clients start new sessions, the other survivors are retired
   * (as `raftctl recover` removes them), and the survivor restarts and elects itself.
   */
  private disaster(): void {
    const members = [...this.nodes.values()].filter((n) => !n.retired)
    const survivors = drawSurvivors(members, this.recoveryRng!)
    if (survivors === null) return this.log('disaster skipped: no voter could survive it')
    const voters = positions(members).sort(byUpToDate)[0]!.position.conf.voters.length
    for (const n of this.nodes.values()) {
      n.disk.cancelTear()
      if (n.replica === null) continue
      n.replica.stop()
      n.replica = null
      n.epoch++
      n.disk.crash()
      this.checks.inv.forgetUnpersistedTerms(n.id, n.disk.load().hardState.term)
    }
    this.queue.removeWhere((e) => e.kind === 'deliver' || e.kind === 'restart' || e.kind === 'crash' || e.kind === 'persisted' || e.kind === 'snapshotChunk')
    this.snapshotSends.clear()
    const [chosen] = positions(survivors.map((id) => this.nodes.get(id)!)).sort(byUpToDate)
    const {node, position} = chosen!
    const log = new Map(node.disk.load().entries.map((e) => [e.index, e]))
    const maxCommitted = this.checks.inv.maxCommitted
    const lost = this.checks.inv.rebase({id: node.id, snapshotIndex: position.snapshotIndex, lastIndex: position.lastIndex, term: position.hardState.term}, (i) => {
      const e = log.get(i)
      return e ? {term: e.term, fp: this.checks.fp(e.data)} : undefined
    })
    const forgotten = this.ledger.forgetFrom(lost)
    this.stats.recoveries++
    this.stats.lostEntries += maxCommitted - (lost - 1)
    this.workload.newSessions(this.stats.recoveries)
    const rewrite = forceNewCluster(node.disk, node.id)
    node.disk.rebuilding = false // its log is now the truth (as the daemon's --force-new-cluster clears the mark)
    this.regrowing = true
    for (const n of this.nodes.values()) if (n !== node) n.retired = true
    this.log(`disaster: a majority is lost for good; survivors ${survivors.join(',')}; recover from ${node.id} (last ${position.lastIndex} term ${position.lastTerm}, commit ${position.hardState.commit}): ` +
      `${rewrite.appended.map((c) => `${c.type} ${c.node}`).join(', ')}; ${lost > maxCommitted ? 'no committed entry lost' : `committed entries ${lost}..${maxCommitted} lost (${forgotten} acknowledged appends)`}`)
    this.startReplica(node)
    this.checks.checkNode(node)
    this.queue.push(this.clock + GROW_BACK_EVERY_MS, {kind: 'grow', voters})
  }

  /** The operator grows the recovered cluster back to its former voter count, one change at a time. */
  private onGrow(voters: number): void {
    if (this.healed || growBack(this, voters, this.growing)) {
      this.regrowing = false
      return
    }
    this.queue.push(this.clock + GROW_BACK_EVERY_MS, {kind: 'grow', voters})
  }

  private send(m: Message): void {
    this.stats.messages++
    if (this.network.takeVoteCrash(m)) {
      this.queue.push(this.clock, {kind: 'crash', node: m.from, restartAfter: 1 + this.rng.int(10)})
    }
    if (m.type === 'snapshot' && this.sendSnapshot(m)) return
    this.route(m)
  }

  /** The network's fate of `m`, its copies queued for delivery. */
  private route(m: Message): void {
    const delays = this.network.route(m)
    this.o.observer?.onSend(this.clock, m, delays)
    if (delays.length === 0) this.stats.dropped++
    for (const d of delays) this.queue.push(this.clock + d, {kind: 'deliver', msg: m})
  }

  /**
   * A snapshot as the daemon's transport sends it: dropped while another one to that peer is on
   * its way; else, if the seed makes it take time, begun in chunks (true: it is handled here).
   */
  private sendSnapshot(m: SnapshotMessage): boolean {
    if (this.snapshotSends.busy(m.from, m.to)) {
      this.stats.snapshotsDroppedInFlight++
      this.o.observer?.onSend(this.clock, m, [])
      return true
    }
    const to = this.nodes.get(m.to)
    const send = this.snapshotSends.begin(m, this.clock, this.nodes.get(m.from)!.epoch, to?.epoch ?? -1)
    if (send === null) return false
    this.stats.snapshotSends++
    this.log(`${m.from} sends snapshot ${m.snapshot.meta.index} to ${m.to} over ${send.end - this.clock}ms`)
    this.queue.push(Math.min(this.clock + SNAPSHOT_CHUNK_EVERY_MS, send.end), {kind: 'snapshotChunk', from: m.from, to: m.to, id: send.id})
    return true
  }

  /**
   * A chunk of a snapshot send is written: the send is cut if either end crashed or restarted
   * or a partition now separates them (nothing half-sent arrives, as a connection closed
   * mid-snapshot delivers nothing); else its sender is told it is in flight, as the daemon's
   * transport tells after every chunk, and after the last chunk the message goes through the
   * network like any other.
   */
  private onSnapshotChunk(ev: Extract<SimEvent, {kind: 'snapshotChunk'}>): void {
    const send = this.snapshotSends.get(ev.from, ev.to, ev.id)
    if (send === undefined) return
    const from = this.nodes.get(ev.from)!
    if (this.sendCut(send, from)) {
      this.snapshotSends.end(send)
      this.stats.snapshotSendsCut++
      this.o.observer?.onSend(this.clock, send.msg, [])
      return this.log(`snapshot ${send.msg.snapshot.meta.index} from ${ev.from} to ${ev.to} cut`)
    }
    const last = this.clock >= send.end
    if (last) {
      this.snapshotSends.end(send)
      this.route(send.msg)
    } else {
      this.queue.push(Math.min(this.clock + SNAPSHOT_CHUNK_EVERY_MS, send.end), ev)
    }
    this.stats.snapshotInFlightReports++
    this.guard(from, (r) => r.reportSnapshotInFlight(ev.to, send.msg.snapshot.meta.index, send.msg.term))
  }

  /** Whether `send`'s connection is gone: an end crashed or restarted since it began, or a partition cuts it now. */
  private sendCut(send: SnapshotSend, from: SimNode): boolean {
    const to = this.nodes.get(send.msg.to)
    if (from.replica === null || from.epoch !== send.fromEpoch) return true
    if (to === undefined || to.replica === null || to.epoch !== send.toEpoch) return true
    return this.network.partitioned(send.msg.from, send.msg.to)
  }

  /** Faults and the workload stop, every node restarts: the liveness phase begins. */
  private heal(): void {
    this.healed = true
    this.network.heal()
    this.workload.stop()
    this.queue.removeWhere((e) => e.kind === 'client' || e.kind === 'retry' || e.kind === 'nemesis' || e.kind === 'restart' || e.kind === 'crash' || e.kind === 'disaster')
    for (const n of this.nodes.values()) {
      n.disk.cancelTear()
      if (n.replica === null && !n.retired) this.restart(n.id)
    }
    this.log('heal: faults stop, every node restarts; liveness phase')
  }

  // ------------------------------------------------------------------ trace

  log(line: string): void {
    const text = `t=${String(this.clock).padStart(5)} ${line}`
    this.o.observer?.onLog(this.clock, text)
    if (this.o.fullTrace) this.trace.push(text)
    this.recent.push(text)
    if (this.recent.length > this.o.lastEvents) this.recent.shift()
  }

  private result(violation?: {property: string; message: string}): SimResult {
    if (violation) this.log(`VIOLATION ${violation.message.split('\n')[0]}`)
    this.stats.virtualMs = this.clock
    this.stats.walSegmentsDeleted = [...this.nodes.values()].reduce((n, node) => n + node.disk.wal.deletedSegments, 0)
    return {seed: this.o.seed, ok: violation === undefined, violation, trace: this.trace, lastEvents: this.recent.slice(), stats: this.stats}
  }

  /**
   * Every node's state and log at the end of the run (`sim run --seed N --json`): the log's
   * terms from its first index, run-length encoded as [term, count] pairs. Down nodes: no log.
   */
  finalNodes(): SimFinalNode[] {
    return [...this.nodes.values()].map((n) => {
      const st = n.replica?.status()
      if (!st) return {id: n.id, up: false, role: null, term: null, commitIndex: null, firstIndex: null, lastIndex: null, terms: []}
      const terms: [number, number][] = []
      for (let i = st.firstIndex; i <= st.lastIndex; i++) {
        const term = n.replica!.entryAt(i)?.term ?? 0
        const last = terms[terms.length - 1]
        if (last && last[0] === term) last[1]++
        else terms.push([term, 1])
      }
      return {id: n.id, up: true, role: st.role, term: st.term, commitIndex: st.commitIndex, firstIndex: st.firstIndex, lastIndex: st.lastIndex, terms}
    })
  }
}

/** A node at the end of a run: its term, commit index and log (terms run-length encoded from `firstIndex`); nulls when down. */
export interface SimFinalNode {
  readonly id: NodeId
  readonly up: boolean
  readonly role: RaftStatus['role'] | null
  readonly term: number | null
  readonly commitIndex: number | null
  readonly firstIndex: number | null
  readonly lastIndex: number | null
  /** `[term, count]` runs covering firstIndex..lastIndex. */
  readonly terms: readonly (readonly [number, number])[]
}

/** Run one seed. */
export function runSeed(options: SimOptions): SimResult {
  return new Simulation(options).run()
}
