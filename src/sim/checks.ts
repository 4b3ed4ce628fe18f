/**
 * The simulator's checks of each node after every event: they turn what the replicas do (role
 * changes, applied entries, logs, snapshots) into calls of the safety invariants
 * (./invariants.ts), and count elections and leaders.
 */
import type {RaftEvent, RaftStatus} from '../raft/index.js'
import type {NodeId} from '../raft/types.js'
import type {KvStateMachine} from '../kv/index.js'
import {Invariants, fingerprint, stateDigest, type NodeView} from './invariants.js'
import type {SimHost, SimNode} from './types.js'

/** What the checks see of the simulation. */
export type CheckHost = Pick<SimHost, 'stats' | 'log' | 'liveNodes'> & {readonly nodes: ReadonlyMap<NodeId, SimNode>}

/** The invariants, fed from the nodes. */
export class NodeChecks {
  readonly inv = new Invariants()
  /** Leaders whose completeness is checked once their Ready is handled. */
  private readonly pendingCompleteness = new Set<NodeId>()
  private readonly fpCache = new WeakMap<Uint8Array, number>()

  /** @param onCommitted called with the data fingerprint of each entry the first time it is applied anywhere. */
  constructor(private readonly host: CheckHost, private readonly onCommitted: (fp: number) => void) {}

  /** State-machine safety at each applied index: the same entry, and the same whole KV state (its digest), on every node. */
  onApplied(id: NodeId, sm: KvStateMachine, index: number, term: number, data: Uint8Array): void {
    const fp = this.fp(data)
    if (this.inv.checkApplied(id, index, term, fp, stateDigest(sm))) this.onCommitted(fp)
  }

  /** Trace and count a replica's event; a new leader is checked for election safety at once and for completeness after its Ready. */
  onRaftEvent(id: NodeId, e: RaftEvent): void {
    switch (e.type) {
      case 'roleChanged':
        this.host.log(`${id} ${e.from} -> ${e.to} term ${e.term} (${e.cause})`)
        if (e.to === 'leader') {
          this.host.stats.leaders++
          const node = this.host.nodes.get(id)!
          this.inv.checkLeader(id, e.term)
          // Leader completeness is checked once its Ready is handled (checkNode), when the log is settled.
          this.pendingCompleteness.add(node.id)
        }
        break
      case 'electionStarted':
        if (!e.pre) this.host.stats.elections++
        break
      case 'confChanged':
        this.host.log(`${id} conf voters=[${e.conf.voters.join(',')}] learners=[${e.conf.learners.join(',')}] at ${e.index}`)
        break
      case 'transferAborted':
        this.host.log(`${id} transfer to ${e.to} aborted`)
        break
      default:
        break
    }
  }

  /** After an event on `node`: election safety, commit index monotonic, leader completeness (new leaders), log matching. */
  checkNode(node: SimNode): void {
    if (node.replica === null) return
    const st = node.replica.status()
    if (st.role === 'leader') this.inv.checkLeader(node.id, st.term)
    this.inv.checkCommitMonotonic(node.id, st.commitIndex)
    const view = this.view(node, st)
    if (this.pendingCompleteness.delete(node.id) && st.role === 'leader') this.inv.checkLeaderCompleteness(view)
    this.inv.checkLogMatching(view)
  }

  /** Log matching over every live node (at the end of a run). */
  checkAllLogs(): void {
    for (const n of this.host.liveNodes()) this.inv.checkLogMatching(this.view(n))
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

  /** Fingerprint of entry data, cached per buffer. */
  fp(data: Uint8Array): number {
    let v = this.fpCache.get(data)
    if (v === undefined) {
      v = fingerprint(data)
      this.fpCache.set(data, v)
    }
    return v
  }
}
