/**
 * `raftctl sim run`: the deterministic simulator. One seed replays one exact run; a batch of
 * seeds reports every failure with the command that replays it.
 */
import {writeFileSync} from 'node:fs'
import {Flags} from '@oclif/core'
import {servePlayground} from '../playground.js'
import {BaseCommand} from '../../cli/base.js'
import {RaftctlError} from '../../common/errors.js'
import type {SimStats} from '../../sim/types.js'
import type {SimFinalNode} from '../../sim/cluster.js'

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
  /** Every node's term, commit index and log (terms, run-length encoded) at the end of the run. */
  readonly final: readonly SimFinalNode[]
  /** With --open: the page that shows the run (printed at once; the command then serves until Ctrl-C). */
  readonly url?: string
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
(one-way too), disks that persist in the background (or at once, with --disk sync; a leader's
one-entry batches in its loop, as the daemon saves them, in about half the seeds), snapshots
that take time to send (reported in flight to the leader, as the daemon's transport does), crashes
that lose unsynced or tear writes, restarts, disks lost (a node restarted empty, rebuilding), KV clients whose timed-out writes are retried
with the same session seq, membership changes, leader
transfers, manual elections and snapshots. Safety is checked after every event (one leader per
term, log matching, leader completeness, state-machine safety, no acknowledged write lost, commit
index monotonic, exactly-once; with --recover, for what the survivor of a disaster held); then faults stop and a leader must be elected and all work committed within a
bound (liveness). A failure prints the seed, the property, the last events and the replay command.`

  static override examples = [
    {description: 'Replay one seed and print its trace', command: '<%= config.bin %> <%= command.id %> --seed 42'},
    {description: 'Run 2000 seeds, JSON summary', command: '<%= config.bin %> <%= command.id %> --seeds 2000 --json'},
    {description: 'Seeds 5000-5999', command: '<%= config.bin %> <%= command.id %> --seeds 1000 --first-seed 5000'},
    {description: 'Lose a majority for good in every seed and recover from a survivor', command: '<%= config.bin %> <%= command.id %> --seeds 1000 --recover'},
    {description: 'Watch seed 42 in the browser, a failure marked on the time line', command: '<%= config.bin %> <%= command.id %> --seed 42 --open'},
    {description: 'Save seed 42 as a trace (raftctl playground --trace FILE shows it)', command: '<%= config.bin %> <%= command.id %> --seed 42 --trace seed42.json'},
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
    recover: Flags.boolean({description: 'disaster recovery: once per seed a majority of the voters is lost for good (disks too) and the cluster is recovered from the most up-to-date survivor (the storage rewrite of raftctl recover), then grown back; the invariants hold for what the survivor held', default: false}),
    // No oclif dependsOn: it fires on a boolean's default too; run() checks that --seed is given.
    open: Flags.boolean({description: 'with --seed: serve the run in the playground view (127.0.0.1, a token) and open it in the browser; runs until Ctrl-C', default: false}),
    trace: Flags.string({description: 'with --seed: write the run as a trace file (raftctl playground --trace FILE shows it)'}),
    'loop-saves': Flags.boolean({description: 'with async disks, a batch the daemon\'s leader saves in its event loop (one entry of at most 64 KiB) is saved at once, its callback run before saveAsync returns, as in the daemon (default: drawn from the seed, about half the seeds; --no-loop-saves: never)', allowNo: true}),
    'snapshot-send-ms': Flags.integer({description: 'longest virtual time a snapshot takes to send: each takes 0..N ms, reported in flight to its sender every chunk and another to that peer dropped meanwhile, as the daemon\'s transport does; 0: snapshots are messages like any other (default: drawn from the seed, 0 or 400)', min: 0, max: 60_000}),
    'commit-notices': Flags.boolean({description: 'leaders tell followers a new commit index at once (--no-commit-notices: it rides on the next append or heartbeat, as in the daemon)', default: true, allowNo: true}),
  }

  async run(): Promise<SimRunResult | undefined> {
    const {flags} = await this.parse(SimRun)
    const {Simulation} = await import('../../sim/cluster.js')
    const {runSeeds, replayCommand} = await import('../../sim/run.js')
    const common = {
      nodes: flags.nodes, safetyMs: flags['safety-ms'], livenessMs: flags['liveness-ms'], disk: flags.disk as 'async' | 'sync',
      backgroundSaves: flags['background-saves'] as 'always' | 'leader', commitNotices: flags['commit-notices'], recover: flags.recover,
      loopSaves: flags['loop-saves'], snapshotSendMs: flags['snapshot-send-ms'],
    }
    if ((flags.open || flags.trace !== undefined) && flags.seed === undefined) throw new RaftctlError('BAD_USAGE', '--open and --trace show one run: pass --seed N')
    if (flags.seed !== undefined) {
      const watch = flags.open || flags.trace !== undefined
      const {TraceRecorder} = await import('../../playground/trace.js')
      const recorder = watch ? new TraceRecorder() : undefined
      const sim = new Simulation({...common, seed: flags.seed, fullTrace: !this.jsonEnabled(), observer: recorder})
      const r = sim.run()
      for (const line of r.trace) this.log(line)
      const replay = replayCommand(r.seed, common)
      const doc: SimSeedResult = {
        seeds: 1,
        failures: r.ok ? [] : [{seed: r.seed, property: r.violation!.property, violation: r.violation!.message, replay}],
        stats: r.stats,
        final: sim.finalNodes(),
      }
      if (!r.ok) {
        process.exitCode = 1
        if (!this.jsonEnabled()) this.logToStderr(`\nVIOLATION (seed ${r.seed}) ${r.violation!.message}\nReplay: ${replay}`)
      } else {
        this.log(`\nseed ${r.seed}: ok — ${summarize(r.stats)}`)
      }
      if (!recorder) return doc
      const trace = JSON.stringify(recorder.finish(r.seed, r.stats.virtualMs, r.violation, replay))
      if (flags.trace !== undefined) {
        writeFileSync(flags.trace, trace)
        if (!this.jsonEnabled()) this.log(`Trace written to ${flags.trace} (${(trace.length / 1e6).toFixed(1)} MB): raftctl playground --trace ${flags.trace}`)
      }
      if (!flags.open) return doc
      await servePlayground({trace, open: true}, (url) => {
        if (this.jsonEnabled()) process.stdout.write(`${JSON.stringify({...doc, url})}\n`)
        else this.log(`Watch seed ${r.seed} in the browser: ${url}\nCtrl-C to stop.`)
      })
      return undefined
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

/** `, 3 snapshot sends over time (1 cut, 2 re-sends dropped, 25 in-flight reports)`, or nothing without such sends. */
function sends(s: SimStats): string {
  if (s.snapshotSends === 0) return ''
  return `, ${s.snapshotSends} snapshot sends over time (${s.snapshotSendsCut} cut, ${s.snapshotsDroppedInFlight} re-sends dropped, ${s.snapshotInFlightReports} in-flight reports)`
}

function summarize(s: SimStats): string {
  const loop = s.loopSaves > 0 ? `, ${s.loopSaves} batches saved in the loop` : ''
  const recovered = s.recoveries > 0 ? `, ${s.recoveries} disaster recover${s.recoveries > 1 ? 'ies' : 'y'} (${s.lostEntries} committed entries lost)` : ''
  return `${s.nodes} nodes, ${s.events} events, ${s.elections} elections, ${s.leaders} leaders, ${s.acknowledged}/${s.proposals} writes acknowledged, ${s.retries} retries (${s.deduplicated} committed twice, applied once), ${s.crashes} crashes, ${s.diskLosses} disks lost, ${s.confChanges} membership changes, ${s.snapshots} snapshots${sends(s)}${loop}${recovered}`
}
