/**
 * Snapshot sends that take time, as the daemon's transport sends a snapshot larger than a frame:
 * in chunks over several event-loop turns (src/transport/peers.ts, snapshot-send.ts). While one
 * is on its way from a node to a peer, the sender's replica is told after every chunk written
 * (`Replica.reportSnapshotInFlight`, what the daemon's `onSnapshotProgress` does), so its core
 * does not send it again; another snapshot to that peer is dropped (`droppedSnapshotInFlight`);
 * a crash of either end or a partition between them cuts the send (nothing half-sent arrives);
 * after its last chunk the message goes through the network like any other. This module keeps
 * the sends and draws their lengths; the simulation (./cluster.ts) runs them on its clock.
 */
import type {SeededRng} from '../raft/index.js'
import type {Message, NodeId} from '../raft/types.js'

/** A snapshot message. */
export type SnapshotMessage = Extract<Message, {type: 'snapshot'}>

/**
 * Virtual ms between two chunks written of one send (the daemon reports every chunk; 1 MiB on
 * loopback takes about a millisecond): one report per tick of the default 10 ms is enough for
 * the core, which counts its snapshot wait in ticks.
 */
export const SNAPSHOT_CHUNK_EVERY_MS = 10

/**
 * Longest send drawn for a seed that sends snapshots slowly (virtual ms): four election
 * timeouts of the default 100 ms, so that most slow sends outlast the wait after which a leader
 * without reports sends the snapshot again.
 */
export const SLOW_SNAPSHOT_SEND_MAX_MS = 400

/** One snapshot on its way from `msg.from` to `msg.to`. */
export interface SnapshotSend {
  readonly id: number
  readonly msg: SnapshotMessage
  /** Epochs of the two ends when it began: a crash or restart of either ends it. */
  readonly fromEpoch: number
  readonly toEpoch: number
  /** Virtual time its last chunk is written. */
  readonly end: number
}

/** The snapshot sends in progress, at most one per (sender, receiver). */
export class SnapshotSends {
  private readonly sending = new Map<string, SnapshotSend>()
  private nextId = 1

  /**
   * @param rng draws each send's length (its own sequence)
   * @param maxMs longest send in virtual ms; 0: every snapshot is sent like any other message
   */
  constructor(private readonly rng: SeededRng, readonly maxMs: number) {}

  /** True when a snapshot from `from` to `to` is on its way (the daemon then drops another). */
  busy(from: NodeId, to: NodeId): boolean {
    return this.sending.has(key(from, to))
  }

  /**
   * Begin sending `msg` if it takes time: the send, whose first chunk is written
   * {@link SNAPSHOT_CHUNK_EVERY_MS} from `now`; null when it is sent at once (a snapshot small
   * enough for one frame, which the daemon sends like any other message).
   */
  begin(msg: SnapshotMessage, now: number, fromEpoch: number, toEpoch: number): SnapshotSend | null {
    if (this.maxMs === 0) return null
    const ms = this.rng.int(this.maxMs + 1)
    if (ms === 0) return null
    const send: SnapshotSend = {id: this.nextId++, msg, fromEpoch, toEpoch, end: now + ms}
    this.sending.set(key(msg.from, msg.to), send)
    return send
  }

  /** The send `id` from `from` to `to` if it is still in progress. */
  get(from: NodeId, to: NodeId, id: number): SnapshotSend | undefined {
    const send = this.sending.get(key(from, to))
    return send?.id === id ? send : undefined
  }

  /** The send ended (its last chunk written, or cut). */
  end(send: SnapshotSend): void {
    this.sending.delete(key(send.msg.from, send.msg.to))
  }

  /** Forget every send (a disaster: every connection is gone). */
  clear(): void {
    this.sending.clear()
  }
}

function key(from: NodeId, to: NodeId): string {
  return `${from}\u0000${to}`
}
