/**
 * The leader's view of one follower's replication (§5.3 nextIndex/matchIndex) plus flow
 * control: probe (one append in flight until answered), replicate (optimistic pipelining with a
 * bounded in-flight window) and snapshot (waiting for an InstallSnapshot to land).
 */

/** Replication state of one follower as seen by the leader. */
export type ProgressState = 'probe' | 'replicate' | 'snapshot'

/** Per-follower replication progress. */
export class Progress {
  /** Highest index known replicated on the follower. Invariant: match < next. */
  match = 0
  /** Next index to send. */
  next: number
  state: ProgressState = 'probe'
  /** In probe state: an append was sent and not yet answered (pauses further sends). */
  probeSent = false
  /** In snapshot state: the index of the snapshot being sent. */
  pendingSnapshot = 0
  /** Ticks spent in snapshot state; the leader re-probes after an election timeout. */
  snapshotTicks = 0
  /** Set on any message from the follower; reset by the leader's CheckQuorum every election timeout. */
  recentActive = false
  /** Ticks since the follower was last heard from (counted from this progress's creation until it is). */
  ticksSinceContact = 0
  /** Heard from at least once since this progress was created (this leadership, or since the member joined). */
  heard = false
  /** Highest commit index sent to the follower (avoids empty appends that tell nothing new). */
  commitSent = 0
  /** Highest heartbeat round the follower acknowledged (ReadIndex). */
  ackedRound = 0
  /** Heartbeat responses in a row in which match did not move while behind (stall detection). */
  stalledHeartbeats = 0
  /**
   * The follower's incarnation as last heard (0: none heard, or data from before incarnations).
   * Only ever raised; answers from a lower incarnation are from a previous life and ignored.
   */
  incarnation = 0
  /** The follower said it is rebuilding (lost its data): its answers confirm nothing. */
  rebuilding = false
  /** Last index of each append in flight, oldest first. Bounded by maxInflight. */
  readonly inflight: number[] = []

  /** @param next first index to send; @param maxInflight bound on appends in flight in replicate state. */
  constructor(next: number, readonly maxInflight: number) {
    this.next = next
  }

  /** Switch to probe: resend from match + 1, one append at a time. */
  becomeProbe(): void {
    if (this.state === 'snapshot') {
      this.next = Math.max(this.match + 1, this.pendingSnapshot + 1)
    } else {
      this.next = this.match + 1
    }
    this.reset('probe')
  }

  /** Switch to replicate: pipeline appends optimistically from match + 1. */
  becomeReplicate(): void {
    this.next = this.match + 1
    this.reset('replicate')
  }

  /** Switch to snapshot: stop sending appends until the snapshot at `index` is acknowledged. */
  becomeSnapshot(index: number): void {
    this.reset('snapshot')
    this.pendingSnapshot = index
  }

  /**
   * Forget the follower's match (it lost data it had acknowledged): match 0, probe from `next`.
   * Lowering match is safe: commit never goes back, and the follower's new acknowledgements
   * count only for what it holds now.
   */
  forget(next: number): void {
    this.match = 0
    this.commitSent = 0
    this.reset('probe')
    this.next = Math.max(1, next)
  }

  private reset(state: ProgressState): void {
    this.state = state
    this.probeSent = false
    this.pendingSnapshot = 0
    this.snapshotTicks = 0
    this.stalledHeartbeats = 0
    this.inflight.length = 0
  }

  /**
   * Record an acknowledgement up to `index`. Returns true if match moved forward
   * (stale or duplicate acknowledgements return false and change nothing but the probe pause).
   */
  maybeUpdate(index: number): boolean {
    let updated = false
    if (this.match < index) {
      this.match = index
      updated = true
      this.probeSent = false
      this.stalledHeartbeats = 0
    }
    if (this.next < index + 1) this.next = index + 1
    this.freeInflightUpTo(index)
    return updated
  }

  /**
   * Handle a rejection of the append at `rejected` with a probe hint. Returns false if the
   * rejection is stale (it refers to an append we no longer care about).
   */
  maybeDecrease(rejected: number, probeFrom: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false
      this.becomeProbe()
      this.next = Math.max(this.match + 1, Math.min(rejected, probeFrom))
      return true
    }
    if (this.next - 1 !== rejected) return false
    this.next = Math.max(this.match + 1, Math.min(rejected, probeFrom))
    this.probeSent = false
    return true
  }

  /** Note an append whose last index is `last` was sent. */
  sentEntries(last: number, count: number): void {
    if (this.state === 'replicate') {
      if (count > 0) {
        this.next = last + 1
        this.inflight.push(last)
      }
    } else if (this.state === 'probe') {
      this.probeSent = true
    }
  }

  /** True when no more appends may be sent now. */
  isPaused(): boolean {
    switch (this.state) {
      case 'probe': return this.probeSent
      case 'replicate': return this.inflight.length >= this.maxInflight
      case 'snapshot': return true
    }
  }

  private freeInflightUpTo(index: number): void {
    let n = 0
    while (n < this.inflight.length && this.inflight[n]! <= index) n++
    if (n > 0) this.inflight.splice(0, n)
  }

  /** Free the oldest in-flight slot (used when a heartbeat shows the follower is alive but the window is full). */
  freeFirstInflight(): void {
    this.inflight.shift()
  }
}
