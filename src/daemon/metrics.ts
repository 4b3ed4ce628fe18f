/**
 * Prometheus metrics of one daemon (prom-client), served at GET /metrics on the node's port.
 */
import {Registry, Counter, Gauge, Histogram, collectDefaultMetrics} from 'prom-client'

/** The daemon's metrics. */
export class DaemonMetrics {
  readonly registry = new Registry()
  readonly term = new Gauge({name: 'raft_term', help: 'Current term', registers: [this.registry]})
  readonly isLeader = new Gauge({name: 'raft_is_leader', help: '1 if this node is the leader', registers: [this.registry]})
  readonly commitIndex = new Gauge({name: 'raft_commit_index', help: 'Commit index', registers: [this.registry]})
  readonly appliedIndex = new Gauge({name: 'raft_applied_index', help: 'Applied index', registers: [this.registry]})
  readonly lastIndex = new Gauge({name: 'raft_last_index', help: 'Last log index', registers: [this.registry]})
  readonly elections = new Counter({name: 'raft_elections_total', help: 'Elections this node started', labelNames: ['cause'], registers: [this.registry]})
  readonly leaderChanges = new Counter({name: 'raft_leader_changes_total', help: 'Leader changes seen', registers: [this.registry]})
  readonly proposals = new Counter({name: 'raft_proposals_total', help: 'Client writes by outcome', labelNames: ['outcome'], registers: [this.registry]})
  readonly reads = new Counter({name: 'raft_reads_total', help: 'Client reads by kind and outcome', labelNames: ['kind', 'outcome'], registers: [this.registry]})
  readonly consistencyAlarm = new Gauge({name: 'raft_consistency_alarm', help: '1 when this node\'s scheduled consistency check found replicas whose state hashes differ', registers: [this.registry]})
  readonly readyBatches = new Counter({name: 'raft_ready_total', help: 'Ready batches handled', registers: [this.registry]})
  readonly fsyncSeconds = new Histogram({
    name: 'raft_storage_save_seconds', help: 'Duration of one durable storage batch (write + fsync)',
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1], registers: [this.registry],
  })
  readonly watchers = new Gauge({name: 'raftctl_watchers', help: 'Watches open on this node', registers: [this.registry]})
  readonly watchHeldBytes = new Gauge({name: 'raftctl_watch_held_bytes', help: 'Bytes held for watches: the kept changes plus unsent frames', registers: [this.registry]})
  readonly writeSeconds = new Histogram({
    name: 'raft_write_seconds', help: 'Client write latency from request to applied',
    buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 5], registers: [this.registry],
  })

  constructor() {
    collectDefaultMetrics({register: this.registry})
  }

  /**
   * Per-peer snapshot counters of the transport, read at each scrape: snapshots sent in chunks
   * (`raftctl_peer_snapshots_sent_total`) and snapshots not sent because one to that peer was
   * still in flight (`raftctl_peer_snapshot_resends_dropped_total`: the core's re-sends while a
   * large snapshot is on its way). Counters of the transport, exposed as gauges set at each scrape.
   */
  peerSnapshots(read: () => readonly {readonly id: string; readonly snapshotsSent: number; readonly droppedSnapshotInFlight: number}[]): void {
    const fill = (gauge: Gauge, field: 'snapshotsSent' | 'droppedSnapshotInFlight'): void => {
      gauge.reset()
      for (const peer of read()) gauge.set({peer: peer.id}, peer[field])
    }
    new Gauge({
      name: 'raftctl_peer_snapshots_sent_total', help: 'Snapshots sent to each peer in chunks (last chunk written)', labelNames: ['peer'], registers: [this.registry],
      collect() {
        fill(this, 'snapshotsSent')
      },
    })
    new Gauge({
      name: 'raftctl_peer_snapshot_resends_dropped_total', help: 'Snapshots to each peer not sent because one to it was still being sent', labelNames: ['peer'], registers: [this.registry],
      collect() {
        fill(this, 'droppedSnapshotInFlight')
      },
    })
  }

  /** Prometheus text exposition. */
  async text(): Promise<string> {
    return this.registry.metrics()
  }
}
