/**
 * Types shared by the simulator's parts (cluster, nemesis, workload): a simulated node, the
 * events of the virtual clock, the run's counters, and what the nemesis and the workload may
 * ask of the simulation they run in.
 */
import type {Message, NodeId} from '../raft/types.js'
import type {KvStateMachine} from '../kv/index.js'
import type {ProposalOutcome, Replica} from '../replica/replica.js'
import type {SimDisk} from './disk.js'

/** One simulated machine: its disk survives crashes; its state machine and replica do not. */
export interface SimNode {
  readonly id: NodeId
  /** Replaced by a new, empty one when the machine loses its disk. */
  disk: SimDisk
  /** Incarnation of the disk's data: 1 for the first disk, one more for each disk lost. */
  incarnation: number
  /** The real KV state machine of the current incarnation. */
  sm: KvStateMachine
  replica: Replica | null
  /** Bumped at every start and crash: events of an older incarnation are ignored. */
  epoch: number
  /** Removed from the cluster for good (stopped by the "operator"). */
  retired: boolean
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
  /** Client writes sent again with the same session seq (after a timeout, a crash or a refusal). */
  retries: number
  /** Client writes committed more than once (a retry and its original) whose session applied them once. */
  deduplicated: number
  crashes: number
  /** Disks lost (a node's storage wiped while down; it restarts empty and rebuilds). */
  diskLosses: number
  confChanges: number
  snapshots: number
  /** Snapshot messages sent over time, in chunks (SimOptions.snapshotSendMs; ./snapshot-sends.ts). */
  snapshotSends: number
  /** ... of those cut by a crash of either end or a partition before their last chunk. */
  snapshotSendsCut: number
  /** Snapshots not sent because another one to that peer was on its way (the daemon's `droppedSnapshotInFlight`). */
  snapshotsDroppedInFlight: number
  /** Reports to a leader that its snapshot to a peer is still on its way (`Replica.reportSnapshotInFlight`). */
  snapshotInFlightReports: number
  /** Batches handed to `saveAsync` that were written and synced at once, in the loop (SimOptions.loopSaves). */
  loopSaves: number
  /** Disaster recoveries (SimOptions.recover): a majority lost for good, recovered from one survivor. */
  recoveries: number
  /** Committed entries the recoveries lost (the survivor did not hold them). */
  lostEntries: number
  /** WAL segments deleted below snapshots, over every node's disk (./wal-model.ts). */
  walSegmentsDeleted: number
  virtualMs: number
}

/** A client's timer: the request of `attempt` is sent again if still unanswered. */
export interface RetryEvent {
  readonly kind: 'retry'
  readonly client: number
  readonly attempt: number
  /** Why: its answer did not come in time, it was refused (e.g. not the leader), or cut off by a crash or a snapshot (outcome unknown). */
  readonly reason: 'timeout' | 'refused' | 'cut off'
}

/** Events on the virtual clock. */
export type SimEvent =
  | {readonly kind: 'tick'; readonly node: NodeId; readonly epoch: number}
  | {readonly kind: 'deliver'; readonly msg: Message}
  | {readonly kind: 'client'}
  | RetryEvent
  | {readonly kind: 'nemesis'}
  | {readonly kind: 'restart'; readonly node: NodeId}
  | {readonly kind: 'crash'; readonly node: NodeId; readonly restartAfter: number}
  | {readonly kind: 'persisted'; readonly node: NodeId; readonly epoch: number; readonly complete: () => void}
  /** The next chunk of snapshot send `id` from `from` to `to` is written (./snapshot-sends.ts). */
  | {readonly kind: 'snapshotChunk'; readonly from: NodeId; readonly to: NodeId; readonly id: number}
  | {readonly kind: 'disaster'}
  /** The operator's next step of growing a recovered cluster back to `voters` voters. */
  | {readonly kind: 'grow'; readonly voters: number}

/** What the nemesis and the workload see of the simulation. */
export interface SimHost {
  readonly stats: SimStats
  /** Virtual time now, ms. */
  now(): number
  /** Queue `event` at virtual time `at`. */
  schedule(at: number, event: SimEvent): void
  /** Append a line to the trace. */
  log(line: string): void
  /** Nodes whose replica runs. */
  liveNodes(): SimNode[]
  /** The live node that believes it leads in the highest term. */
  leaderNode(): SimNode | undefined
  /** Propose `data` on `target`, tracked until its outcome (checked against the committed log when acknowledged). */
  propose(target: SimNode, data: Uint8Array, cb?: (outcome: ProposalOutcome) => void): void
}
