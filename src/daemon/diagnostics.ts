/**
 * What one daemon remembers for `raftctl doctor`: a bounded ring of its recent events (the
 * core's role changes, elections, votes, snapshots and membership changes with their causes,
 * plus the daemon's own: slow saves, peers falling silent and back, storage failures, alarms),
 * the durations of recent durable saves, when each peer's Raft messages last arrived, and the
 * consistency alarm. Read through the `events` and `diagnostics` admin requests.
 */
import {statSync, statfsSync} from 'node:fs'
import type {RaftEvent, RaftStatus} from '../raft/index.js'
import type {NodeId} from '../raft/types.js'
import type {
  ConsistencyAlarm, DiagnosticsResult, EventsResult, NodeEvent, PeerView, RecordedEvent, SaveLatency, SecretFileInfo,
} from '../admin/protocol.js'
import type {DaemonConfig} from './config.js'

/** The limits of what a daemon remembers (fixed; documented in docs/doctor.md). */
export const DIAGNOSTICS_DEFAULTS = {
  /** Events kept in the ring; older ones are overwritten (and counted as dropped). Below the protocol's list limit. */
  ringCapacity: 1000,
  /** A durable save (write + fsync) slower than this is recorded as a `slowSave` event, ms. */
  slowSaveMs: 100,
  /** Recent save durations kept for the percentiles. */
  saveSamples: 512,
  /** How often the peers' silence is checked, ms. */
  peerCheckMs: 250,
} as const

/** A bounded ring of events, oldest first. */
export class EventRing {
  private readonly items: RecordedEvent[] = []
  private head = 0
  private seq = 0

  constructor(readonly capacity: number) {}

  /** Events overwritten since start. */
  get dropped(): number {
    return Math.max(0, this.seq - this.capacity)
  }

  push(event: RecordedEvent['event'], time: number): void {
    const item = {seq: ++this.seq, time, event}
    if (this.items.length < this.capacity) this.items.push(item)
    else {
      this.items[this.head] = item
      this.head = (this.head + 1) % this.capacity
    }
  }

  /** The events at or after `since` (ms since the epoch), oldest first. */
  since(since = 0): RecordedEvent[] {
    const ordered = [...this.items.slice(this.head), ...this.items.slice(0, this.head)]
    return ordered.filter((e) => e.time >= since)
  }
}

/** What the diagnostics read from the node that composes them. */
export interface DiagnosticsParts {
  readonly config: Pick<DaemonConfig, 'id' | 'tickMs' | 'electionTicks' | 'heartbeatTicks' | 'dataDir' | 'secretFile' | 'peerSecretFile' | 'consistencyCheckEveryMs'>
  readonly version: string
  readonly status: () => RaftStatus
  readonly reachable: (peer: NodeId) => boolean
  readonly storageError: () => Error | null
  readonly now?: () => number
}

/** One daemon's diagnostics. */
export class Diagnostics {
  readonly ring = new EventRing(DIAGNOSTICS_DEFAULTS.ringCapacity)
  private readonly saves = new Float64Array(DIAGNOSTICS_DEFAULTS.saveSamples)
  private saveCount = 0
  private readonly lastHeard = new Map<NodeId, number>()
  private readonly silent = new Set<NodeId>()
  private timer: NodeJS.Timeout | null = null
  private readonly now: () => number
  /** Raised by the scheduled consistency check; kept until the daemon restarts. */
  alarm: ConsistencyAlarm | null = null

  constructor(private readonly parts: DiagnosticsParts) {
    this.now = parts.now ?? Date.now
  }

  /** Start checking the peers' silence (stopped by {@link stop}). */
  start(): void {
    this.timer = setInterval(() => this.checkPeers(), DIAGNOSTICS_DEFAULTS.peerCheckMs)
    this.timer.unref()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
  }

  /** Record an event of the core (every one but the sampled messages, which are not events of the core). */
  raft(e: RaftEvent): void {
    this.ring.push(e.type === 'confChanged' ? {type: 'confChanged', conf: {voters: e.conf.voters, learners: e.conf.learners}, index: e.index} : e, this.now())
  }

  /** Record an event of the daemon. */
  node(e: NodeEvent): void {
    this.ring.push(e, this.now())
  }

  /** A durable save took `ms`. */
  save(ms: number): void {
    this.saves[this.saveCount++ % this.saves.length] = ms
    if (ms >= DIAGNOSTICS_DEFAULTS.slowSaveMs) this.node({type: 'slowSave', ms: Math.round(ms)})
  }

  /** A Raft message from `peer` arrived. */
  heard(peer: NodeId): void {
    this.lastHeard.set(peer, this.now())
  }

  /** Raise the consistency alarm (and record it). */
  raise(alarm: ConsistencyAlarm): void {
    this.alarm = alarm
    this.node({type: 'consistencyAlarm', index: alarm.index, nodes: alarm.nodes})
  }

  /** The `events` request. */
  events(since?: number): EventsResult {
    return {node: this.parts.config.id, capacity: this.ring.capacity, dropped: this.ring.dropped, events: this.ring.since(since)}
  }

  /** The `diagnostics` request. */
  report(): DiagnosticsResult {
    const {config} = this.parts
    return {
      node: config.id,
      version: this.parts.version,
      tickMs: config.tickMs,
      electionTicks: config.electionTicks,
      heartbeatTicks: config.heartbeatTicks,
      secretFiles: this.secretFiles(),
      saveLatency: this.saveLatency(),
      disk: diskSpace(config.dataDir),
      storageError: this.parts.storageError()?.message ?? null,
      peers: this.peers(),
      alarm: this.alarm,
      consistencyCheckEveryMs: config.consistencyCheckEveryMs,
    }
  }

  /** p50, p99 and max of the recent saves. */
  saveLatency(): SaveLatency | null {
    const n = Math.min(this.saveCount, this.saves.length)
    if (n === 0) return null
    const sorted = Array.from(this.saves.subarray(0, n)).sort((a, b) => a - b)
    const at = (q: number): number => round(sorted[Math.min(n - 1, Math.floor(q * n))]!)
    return {count: this.saveCount, p50: at(0.5), p99: at(0.99), max: round(sorted[n - 1]!)}
  }

  private secretFiles(): SecretFileInfo[] {
    const {secretFile, peerSecretFile} = this.parts.config
    const files: SecretFileInfo[] = []
    if (secretFile) files.push({role: 'secret', path: secretFile, mode: modeOf(secretFile)})
    if (peerSecretFile) files.push({role: 'peerSecret', path: peerSecretFile, mode: modeOf(peerSecretFile)})
    return files
  }

  private peers(): PeerView[] {
    const st = this.parts.status()
    const now = this.now()
    return [...st.conf.voters, ...st.conf.learners].filter((id) => id !== st.id).map((id) => {
      const heard = this.lastHeard.get(id)
      return {id, lastHeardMs: heard === undefined ? null : now - heard, reachable: this.parts.reachable(id)}
    })
  }

  /**
   * The peers this node should hear from regularly — a leader: every member; a follower: its
   * leader — silent for longer than the election timeout become `peerSilent`; heard again, `peerHeard`.
   */
  private checkPeers(): void {
    const st = this.parts.status()
    const limit = this.parts.config.electionTicks * this.parts.config.tickMs
    const watched = st.role === 'leader' ? [...st.conf.voters, ...st.conf.learners].filter((id) => id !== st.id) : st.leader && st.leader !== st.id ? [st.leader] : []
    const now = this.now()
    for (const peer of watched) {
      const heard = this.lastHeard.get(peer)
      const quiet = heard === undefined ? null : now - heard
      if (quiet !== null && quiet > limit && !this.silent.has(peer)) {
        this.silent.add(peer)
        this.node({type: 'peerSilent', peer, ms: quiet})
      } else if (quiet !== null && quiet <= limit && this.silent.delete(peer)) {
        this.node({type: 'peerHeard', peer})
      }
    }
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100
}

function modeOf(path: string): number | null {
  try {
    return statSync(path).mode & 0o777
  } catch {
    return null
  }
}

function diskSpace(dir: string): DiagnosticsResult['disk'] {
  try {
    const s = statfsSync(dir)
    return {freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize}
  } catch {
    return null
  }
}
