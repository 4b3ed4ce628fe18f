/**
 * `raftctl sim run`: the deterministic simulator. One seed replays one exact run; a batch of
 * seeds reports every failure with the command that replays it.
 */
import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base.js'
import {RaftctlError} from '../../common/errors.js'
import type {SimStats} from '../../sim/types.js'

/** A seed that broke an invariant, and the command that replays it. */
export interface SimFailure {
  readonly seed: number
  readonly property: string
  readonly violation: string
  readonly replay: string
}

/** `raftctl sim run --seed N --json`. */
export interface SimSeedResult {
  readonly seeds: 1
  readonly failures: SimFailure[]
  readonly stats: SimStats
}

/** `raftctl sim run --seeds N --json`. */
export interface SimBatchJson {
  readonly seeds: number
  readonly firstSeed: number
  readonly failures: SimFailure[]
  readonly seconds: number
  readonly seedsPerSecond: number
  /** Events simulated over all seeds. */
  readonly events: number
}

/** `raftctl sim run --json`. */
export type SimRunResult = SimSeedResult | SimBatchJson

export default class SimRun extends BaseCommand {
  static override summary = 'Run the deterministic Raft simulator'
  static override description = `Runs real Raft replicas with the real KV state machine (client sessions included) and in-memory
storage on a virtual clock, with a simulated network and disks. One seed decides
everything: cluster size (3-7), message delay, loss, duplication and reordering, partitions
(one-way too), disks that persist in the background (or at once, with --disk sync), crashes
that lose unsynced or tear writes, restarts, KV clients whose timed-out writes are retried
with the same session seq, membership changes, leader
transfers, manual elections and snapshots. Safety is checked after every event (one leader per
term, log matching, leader completeness, state-machine safety, no acknowledged write lost, commit
index monotonic, exactly-once); then faults stop and a leader must be elected and all work committed within a
bound (liveness). A failure prints the seed, the property, the last events and the replay command.`

  static override examples = [
    {description: 'Replay one seed and print its trace', command: '<%= config.bin %> <%= command.id %> --seed 42'},
    {description: 'Run 2000 seeds, JSON summary', command: '<%= config.bin %> <%= command.id %> --seeds 2000 --json'},
    {description: 'Seeds 5000-5999', command: '<%= config.bin %> <%= command.id %> --seeds 1000 --first-seed 5000'},
  ]

  static override flags = {
    seed: Flags.integer({description: 'run this one seed and print its full trace', exclusive: ['seeds'], min: 0}),
    seeds: Flags.integer({description: 'run this many seeds (starting at --first-seed)', min: 1}),
    'first-seed': Flags.integer({description: 'first seed of a batch', default: 1, min: 0}),
    nodes: Flags.integer({description: 'founding cluster size (default: drawn from the seed, 3-7)', min: 1, max: 9}),
    'safety-ms': Flags.integer({description: 'virtual milliseconds of faults and workload', default: 6000, min: 0}),
    'liveness-ms': Flags.integer({description: 'bound on virtual milliseconds to recover after healing', default: 8000, min: 100}),
    disk: Flags.string({description: 'async: batches become durable 0-3 virtual ms later while the node goes on, as in the daemon; sync: at once', options: ['async', 'sync'], default: 'async'}),
    'background-saves': Flags.string({description: 'with async disks, which nodes sync in the background: always (every node) or leader (followers sync in their loop, as the daemon does)', options: ['always', 'leader'], default: 'always'}),
    'commit-notices': Flags.boolean({description: 'leaders tell followers a new commit index at once (--no-commit-notices: it rides on the next append or heartbeat, as in the daemon)', default: true, allowNo: true}),
  }

  async run(): Promise<SimRunResult> {
    const {flags} = await this.parse(SimRun)
    const {runSeed} = await import('../../sim/cluster.js')
    const {runSeeds, replayCommand} = await import('../../sim/run.js')
    const common = {
      nodes: flags.nodes, safetyMs: flags['safety-ms'], livenessMs: flags['liveness-ms'], disk: flags.disk as 'async' | 'sync',
      backgroundSaves: flags['background-saves'] as 'always' | 'leader', commitNotices: flags['commit-notices'],
    }
    if (flags.seed !== undefined) {
      const r = runSeed({...common, seed: flags.seed, fullTrace: !this.jsonEnabled()})
      for (const line of r.trace) this.log(line)
      const doc: SimSeedResult = {
        seeds: 1,
        failures: r.ok ? [] : [{seed: r.seed, property: r.violation!.property, violation: r.violation!.message, replay: replayCommand(r.seed, common)}],
        stats: r.stats,
      }
      if (!r.ok) {
        process.exitCode = 1
        if (!this.jsonEnabled()) this.logToStderr(`\nVIOLATION (seed ${r.seed}) ${r.violation!.message}\nReplay: ${replayCommand(r.seed, common)}`)
      } else {
        this.log(`\nseed ${r.seed}: ok — ${summarize(r.stats)}`)
      }
      return doc
    }
    if (flags.seeds === undefined) throw new RaftctlError('BAD_USAGE', 'pass --seed N to replay one seed or --seeds N to run a batch')
    const first = flags['first-seed']
    let done = 0
    const batch = runSeeds(first, flags.seeds, common, () => performance.now(), (r) => {
      done++
      if (!r.ok && !this.jsonEnabled()) {
        this.logToStderr(`seed ${r.seed}: VIOLATION ${r.violation!.message.split('\n')[0]}\n  last events:\n    ${r.lastEvents.join('\n    ')}\n  replay: ${replayCommand(r.seed, common)}`)
      }
      if (!this.jsonEnabled() && process.stderr.isTTY && done % 50 === 0) process.stderr.write(`\r${done}/${flags.seeds} seeds`)
    })
    if (process.stderr.isTTY && !this.jsonEnabled()) process.stderr.write('\r')
    if (batch.failures.length > 0) process.exitCode = 1
    this.log(`${batch.seeds} seeds (${first}..${first + batch.seeds - 1}): ${batch.failures.length} failed, ${batch.seconds.toFixed(1)} s, ${batch.seedsPerSecond.toFixed(1)} seeds/s`)
    return {
      seeds: batch.seeds,
      firstSeed: first,
      failures: batch.failures.map((f) => ({seed: f.seed, property: f.property, violation: f.violation, replay: f.replay})),
      seconds: batch.seconds,
      seedsPerSecond: batch.seedsPerSecond,
      events: batch.events,
    }
  }
}

function summarize(s: {events: number; elections: number; leaders: number; acknowledged: number; proposals: number; retries: number; deduplicated: number; crashes: number; confChanges: number; snapshots: number; walSegmentsDeleted: number; nodes: number}): string {
  return `${s.nodes} nodes, ${s.events} events, ${s.elections} elections, ${s.leaders} leaders, ${s.acknowledged}/${s.proposals} writes acknowledged, ${s.retries} retries (${s.deduplicated} committed twice, applied once), ${s.crashes} crashes, ${s.confChanges} membership changes, ${s.snapshots} snapshots, ${s.walSegmentsDeleted} WAL segments deleted`
}
