/**
 * The messages between the dashboard server and its page (one WebSocket, JSON text frames).
 * The page (src/dashboard/static/app.js) is plain JavaScript and follows these shapes by hand;
 * the server validates every frame the page sends with {@link parseControl} before acting.
 */
import type {AdminEvent, ConsistencyAlarm, FaultInfo, NodeId, ProgressInfo} from '../admin/protocol.js'

/** One node as the page draws it: the `raftctl status` row plus what a picture needs. */
export interface DashNode {
  readonly id: NodeId
  readonly address: string
  /** `leader`, `follower`, `candidate`, `precandidate`, `learner`, or `down` (no answer). */
  readonly role: string
  /** `ok`, `lagging`, `rebuilding` (lost its data, catching up), `down` (no process), `paused` (SIGSTOP), `unreachable` (running, not answering). */
  readonly health: string
  readonly term: number | null
  readonly vote: NodeId | null
  readonly leader: NodeId | null
  readonly commitIndex: number | null
  readonly appliedIndex: number | null
  readonly lastIndex: number | null
  readonly voter: boolean | null
  readonly reachable: boolean
  readonly pid: number | null
  /** Entries behind the leader's last index (null: unknown). */
  readonly lag: number | null
  /** Milliseconds since the leader last heard from this node (null: unknown). */
  readonly lastContactMs: number | null
  /** Chaos faults active on this node (status `faults`). */
  readonly faults: readonly FaultInfo[]
  /** Leader only: the replication progress of every member. */
  readonly progress: readonly ProgressInfo[]
  /** Leader only: the target of a transfer in progress. */
  readonly transferee: NodeId | null
  readonly uptimeMs: number | null
  /** True while the server's event subscription to this node is open. */
  readonly subscribed: boolean
  /**
   * The election timer, when the daemon reports it (`electionElapsedMs` / `electionTimeoutMs`
   * in its status, which protocol v1 does not have yet): then the page draws it exactly; else
   * the page approximates it from the messages it sees and the leader's `lastContactMs`.
   */
  readonly electionElapsedMs?: number
  readonly electionTimeoutMs?: number
}

/** Whether the daemons serve the `chaos.*` admin requests. */
export type ChaosAvailability = 'available' | 'unavailable' | 'unknown'

/** One status snapshot (every poll). */
export interface StatusFrame {
  readonly type: 'status'
  /** Server wall clock, ms since the epoch. */
  readonly time: number
  readonly leader: NodeId | null
  readonly term: number
  readonly nodes: readonly DashNode[]
  readonly chaos: ChaosAvailability
  /** The consistency alarm a node raised (replicas whose state hashes differ); null: none. */
  readonly alarm: ConsistencyAlarm | null
}

/** A compact point of the history (for the timeline after a page (re)load). */
export interface HistoryPoint {
  readonly t: number
  readonly term: number
  readonly leader: NodeId | null
  /** The leader's commit index (null: no leader). */
  readonly commit: number | null
  /** Role of every node at that time (`down` / `paused` included). */
  readonly roles: Readonly<Record<NodeId, string>>
  /** Ids of the faults active anywhere. */
  readonly faults: readonly string[]
}

/** An admin event of one node, with the node's clock. */
export interface EventFrame {
  readonly type: 'event'
  readonly node: NodeId
  readonly event: AdminEvent
  readonly time: number
}

/** A commit-latency sample (ms): `put` is measured exactly, `replication` is approximated from sampled appends. */
export interface LatencySample {
  readonly time: number
  readonly ms: number
  readonly source: 'put' | 'replication'
}

/** Server → page frames. */
export type ServerFrame =
  | {
    readonly type: 'hello'
    readonly cluster: string
    readonly time: number
    /** Local cluster timing (from the manifest). */
    readonly timing: {readonly tickMs: number; readonly electionTicks: number; readonly heartbeatTicks: number; readonly electionTimeoutMs: number}
    readonly pollMs: number
    readonly history: readonly HistoryPoint[]
    readonly events: readonly Omit<EventFrame, 'type'>[]
    readonly latency: readonly LatencySample[]
  }
  | StatusFrame
  | EventFrame
  | {readonly type: 'latency'; readonly sample: LatencySample}
  | {readonly type: 'link'; readonly node: NodeId; readonly subscribed: boolean}
  | {readonly type: 'reply'; readonly id: number; readonly ok: boolean; readonly message: string; readonly code?: string}
  | {readonly type: 'notice'; readonly level: 'info' | 'warn'; readonly message: string}

/** A control the page asks for. Every one answers with a `reply` frame of the same `id`. */
export type Control =
  | {readonly id: number; readonly op: 'campaign' | 'kill' | 'start' | 'restart' | 'pause' | 'resume'; readonly node: NodeId}
  | {readonly id: number; readonly op: 'transfer'; readonly to: NodeId | null}
  | {readonly id: number; readonly op: 'partition'; readonly groups: readonly (readonly NodeId[])[]; readonly oneWay: boolean; readonly forMs: number | null}
  | {readonly id: number; readonly op: 'heal'; readonly fault: string | null}
  | {readonly id: number; readonly op: 'put'; readonly key: string; readonly value: string}

/** Control names. */
export type ControlOp = Control['op']

/** Largest frame the page may send (bytes). */
export const MAX_CONTROL_FRAME_BYTES = 64 * 1024

/** Longest key or value the page may put (characters); the daemon enforces its own byte limits too. */
export const MAX_PAGE_TEXT = 4096

const NODE_OPS = new Set(['campaign', 'kill', 'start', 'restart', 'pause', 'resume'])

/** A frame the page sent that cannot be acted on. `id` when it could be read. */
export class ControlError extends Error {
  constructor(readonly id: number | null, message: string) {
    super(message)
  }
}

/**
 * Validate one frame from the page. Throws {@link ControlError}. Node ids are checked only for
 * shape here; the bridge checks that they belong to the cluster.
 */
export function parseControl(frame: string): Control {
  let raw: unknown
  try {
    raw = JSON.parse(frame)
  } catch {
    throw new ControlError(null, 'not JSON')
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ControlError(null, 'not an object')
  const r = raw as Record<string, unknown>
  const id = r.id
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) throw new ControlError(null, 'id: must be an integer >= 0')
  const op = r.op
  if (typeof op !== 'string') throw new ControlError(id, 'op: must be a string')
  if (NODE_OPS.has(op)) return {id, op: op as 'campaign', node: nodeId(id, r.node, 'node')}
  switch (op) {
    case 'transfer':
      return {id, op, to: r.to === null || r.to === undefined ? null : nodeId(id, r.to, 'to')}
    case 'partition': {
      if (!Array.isArray(r.groups) || r.groups.length < 2 || r.groups.length > 16) throw new ControlError(id, 'groups: must be a list of 2 to 16 groups')
      const seen = new Set<string>()
      const groups = r.groups.map((g, i) => {
        if (!Array.isArray(g) || g.length === 0 || g.length > 64) throw new ControlError(id, `groups[${i}]: must be a non-empty list of node ids`)
        return g.map((n) => {
          const node = nodeId(id, n, `groups[${i}]`)
          if (seen.has(node)) throw new ControlError(id, `${node} is in two groups`)
          seen.add(node)
          return node
        })
      })
      if (r.oneWay !== undefined && typeof r.oneWay !== 'boolean') throw new ControlError(id, 'oneWay: must be a boolean')
      const forMs = r.forMs === undefined || r.forMs === null ? null : r.forMs
      if (forMs !== null && (typeof forMs !== 'number' || !Number.isSafeInteger(forMs) || forMs < 1 || forMs > 86_400_000)) {
        throw new ControlError(id, 'forMs: must be null or an integer from 1 to 86400000')
      }
      return {id, op, groups, oneWay: r.oneWay === true, forMs}
    }
    case 'heal':
      if (r.fault !== undefined && r.fault !== null && (typeof r.fault !== 'string' || r.fault.length === 0 || r.fault.length > 128)) {
        throw new ControlError(id, 'fault: must be null or a fault id')
      }
      return {id, op, fault: typeof r.fault === 'string' ? r.fault : null}
    case 'put':
      return {id, op, key: text(id, r.key, 'key', 1), value: text(id, r.value, 'value', 0)}
    default:
      throw new ControlError(id, `unknown op ${JSON.stringify(op).slice(0, 40)}`)
  }
}

function nodeId(id: number, value: unknown, field: string): NodeId {
  if (typeof value !== 'string' || value.length === 0 || value.length > 64) throw new ControlError(id, `${field}: must be a node id`)
  return value
}

function text(id: number, value: unknown, field: string, min: number): string {
  if (typeof value !== 'string' || value.length < min || value.length > MAX_PAGE_TEXT) {
    throw new ControlError(id, `${field}: must be a string of ${min} to ${MAX_PAGE_TEXT} characters`)
  }
  return value
}
