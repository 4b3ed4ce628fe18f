/**
 * The simulator's options, their defaults and the result of one seed (the `sim run --json`
 * shape of a single run).
 */
import type {PlantedBugs} from '../raft/index.js'
import type {PlantedKvBugs} from './planted.js'
import type {Message} from '../raft/types.js'
import type {Fault} from '../chaos/faults.js'
import type {SimNode, SimStats} from './types.js'

/**
 * Watches a run as it happens (the playground's trace recorder, `sim run --trace`): told of
 * every message sent, every trace line, and after every event the nodes. It must not change
 * anything: the run is the same with or without it.
 */
export interface SimObserver {
  /** `m` was sent at `time`; a copy arrives after each of `delays` ms (none: it is lost). */
  onSend(time: number, m: Message, delays: readonly number[]): void
  /** A line of the run's trace (what `sim run --seed N` prints), at `time`. */
  onLog(time: number, line: string): void
  /** After every event handled at `time`: the nodes, and the network faults in force. */
  afterEvent(time: number, nodes: Iterable<SimNode>, faults: readonly Fault[]): void
}

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
   * meanwhile loses the batch, see ./disk.ts); `sync` durable at once, blocking nothing.
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
   * With async disks, a batch that the daemon's leader would write and sync in its event loop
   * (src/storage/save-policy.ts `savesInLoop`: one entry of at most 64 KiB) is saved at once
   * inside `saveAsync`, whose callback then runs before it returns, as in the daemon (whoever
   * saves through `saveAsync`: the leader only with `backgroundSaves: 'leader'`, as there). Default:
   * drawn from the seed (about half the seeds).
   */
  readonly loopSaves?: boolean
  /**
   * Longest virtual time a snapshot message takes to send (./snapshot-sends.ts): each one takes
   * a seeded 0..this ms, reported in flight to its sender every chunk as the daemon's transport
   * does, another snapshot to that peer meanwhile dropped. 0: snapshots are messages like any
   * other. Default: drawn from the seed (0 for about a third of the seeds, else
   * SLOW_SNAPSHOT_SEND_MAX_MS).
   */
  readonly snapshotSendMs?: number
  /**
   * Whether leaders send commit notices at once (the core's `commitNotices`). Default true;
   * the daemon runs with false (the commit index rides on the next append or heartbeat).
   */
  readonly commitNotices?: boolean
  /**
   * Disaster recovery: once, at a seed-drawn time of the safety phase, a majority of the voters
   * is lost for good (their disks too) and the cluster is recovered from the most up-to-date
   * survivor with the storage rewrite the daemon runs (src/storage/force-new-cluster.ts); the
   * nemesis grows it back. Default false.
   */
  readonly recover?: boolean
  /** Planted bugs (tests of the simulator only). */
  readonly bugs?: PlantedBugs
  /** Planted state-machine bugs (tests of the simulator only), e.g. sessions ignored. */
  readonly kvBugs?: PlantedKvBugs
  /** Keep every trace line (for `sim run --seed`). Default false: only the last ones. */
  readonly fullTrace?: boolean
  /** How many recent trace lines a failure report keeps. Default 40. */
  readonly lastEvents?: number
  /** Watches the run (no default: nobody). */
  readonly observer?: SimObserver
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
  recover: false,
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

/** Options with every default filled in. */
export type ResolvedSimOptions = Required<Omit<SimOptions, 'bugs' | 'kvBugs' | 'nodes' | 'observer' | 'loopSaves' | 'snapshotSendMs'>> & {readonly observer?: SimObserver} & {readonly bugs: PlantedBugs; readonly kvBugs: PlantedKvBugs}
  & Pick<SimOptions, 'loopSaves' | 'snapshotSendMs'>

/** `options` with the defaults of {@link SIM_DEFAULTS} (and no planted bugs) where absent. */
export function resolveOptions(options: SimOptions): ResolvedSimOptions {
  return {...SIM_DEFAULTS, fullTrace: false, bugs: {}, kvBugs: {}, ...stripUndefined(options)} as ResolvedSimOptions
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {}
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v
  return out
}
