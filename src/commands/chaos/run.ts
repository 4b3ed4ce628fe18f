/**
 * `raftctl chaos run`: a random, seeded schedule of faults against a local cluster, printed as
 * it is applied, healed at the end (and on Ctrl-C).
 */
import {Flags} from '@oclif/core'
import {RaftctlError} from '../../common/errors.js'
import {ReportedError} from '../../cli/base.js'
import {ChaosCommand} from '../../cli/chaos.js'
import {formatDuration, untilInterrupted} from '../../cli/render.js'
import type {AppliedAction, ChaosFaultName, ScheduledFault} from '../../chaos/schedule.js'

/** The options a chaos run was planned from (the same give the same schedule). */
export interface ChaosRunOptions {
  readonly seed: number
  readonly durationMs: number
  readonly intervalMs: number
  readonly faults: ChaosFaultName[]
  readonly nodes: string[]
}

/** One action as applied: the planned fault, when it happened, how long it took, whether it worked. */
export type AppliedActionJson = ScheduledFault & {elapsedMs: number; tookMs: number; ok: boolean; error?: string}

/** `raftctl chaos run --dry-run --json`: the plan. */
export type ChaosRunPlan = ChaosRunOptions & {readonly dryRun: true; readonly schedule: ScheduledFault[]}

/** `raftctl chaos run --json`: the schedule as applied (a failed heal adds an `error` field, printed by the command). */
export type ChaosRunReport = ChaosRunOptions & {readonly interrupted: boolean; readonly elapsedMs: number; readonly schedule: AppliedActionJson[]}

/** `raftctl chaos run --json`. */
export type ChaosRunResult = ChaosRunPlan | ChaosRunReport

/** Fault families that act on the daemon processes (only on a local cluster). */
const PROCESS_FAULTS: ReadonlySet<string> = new Set(['kill', 'pause', 'restart'])

export default class ChaosRun extends ChaosCommand {
  static override summary = 'Run a random, seeded schedule of faults'
  static override description = `Plans a schedule from --seed (the same seed, duration, interval, faults and nodes give the same schedule) and applies it: every --interval one fault picked from --faults starts, lasts 40–70% of the interval, and is healed, leaving calm time before the next. Each action is printed with the time it happened. At the end, or on Ctrl-C, everything is healed: paused nodes resumed, killed nodes started, every network and disk fault removed.

Faults: partition (a minority | majority split, an isolated node, or a one-way partition), kill (SIGKILL a minority, start them again later), pause (SIGSTOP a minority, then SIGCONT), restart (graceful stop and start of one node), delay, drop, duplicate, reorder (on every node or on one), disk (a slow fsync on one node). "all" means every one of them.

--json prints one document at the end: the seed, the options and the schedule as applied (planned and actual times, outcome of each action). --dry-run prints the plan without applying it.`

  static override examples = [
    {description: 'A minute of partitions, kills, pauses and delays', command: '<%= config.bin %> <%= command.id %> --duration 60s --faults partition,kill,pause,delay --seed 7'},
    {description: 'Every kind of fault, one every 3 seconds', command: '<%= config.bin %> <%= command.id %> --duration 2m --faults all --interval 3s'},
    {description: 'Only show what seed 7 would do', command: '<%= config.bin %> <%= command.id %> --seed 7 --dry-run'},
  ]

  static override flags = {
    duration: Flags.string({description: 'length of the run (e.g. 60s, 5m)', default: '60s'}),
    faults: Flags.string({description: 'comma-separated faults to draw from: partition, kill, pause, restart, delay, drop, duplicate, reorder, disk, or all', default: 'partition,kill,pause,delay'}),
    seed: Flags.integer({description: 'seed of the schedule (default: random, printed)', min: 0, max: 2 ** 31 - 1}),
    interval: Flags.string({description: 'time between faults (e.g. 5s)', default: '5s'}),
    'dry-run': Flags.boolean({description: 'print the planned schedule, apply nothing', default: false}),
    timeout: Flags.string({description: 'how long each node may take to answer a chaos request (e.g. 3s)', default: '3s'}),
  }

  async run(): Promise<ChaosRunResult> {
    const {flags} = await this.parse(ChaosRun)
    const durationMs = this.positiveDuration(flags.duration, '--duration')
    const intervalMs = this.duration(flags.interval, '--interval', 'faultInterval')
    const {planSchedule, parseFaultNames, runSchedule} = await import('../../chaos/schedule.js')
    let faults
    try {
      faults = parseFaultNames(flags.faults)
    } catch (error) {
      throw new RaftctlError('BAD_USAGE', `--faults: ${(error as Error).message}`)
    }
    const seed = flags.seed ?? Math.floor(Math.random() * 2 ** 31)
    const {cluster, chaos} = await this.chaos(flags, flags.timeout)
    const processFaults = faults.filter((f) => PROCESS_FAULTS.has(f))
    if (cluster.kind !== 'local' && processFaults.length > 0) {
      throw new RaftctlError('NOT_LOCAL', `--faults ${processFaults.join(',')} need the node processes on this machine, and cluster ${cluster.name} runs elsewhere: pick live faults, e.g. --faults partition,delay,drop`)
    }
    const nodes = await chaos.nodeIds()
    const schedule = planSchedule({durationMs, faults, seed, intervalMs, nodes})
    const options: ChaosRunOptions = {seed, durationMs, intervalMs, faults, nodes}
    const replay = `raftctl chaos run --seed ${seed} --duration ${flags.duration} --interval ${flags.interval} --faults ${faults.join(',')}${flags.cluster === 'default' ? '' : ` --cluster ${flags.cluster}`}`
    if (flags['dry-run']) {
      this.log(`Plan of seed ${seed} (${formatDuration(durationMs)}, one fault every ${formatDuration(intervalMs)}, nodes ${nodes.join(', ')}):`)
      for (const step of schedule) this.log(`${stamp(step.atMs)} ${step.description}`)
      return {...options, dryRun: true, schedule}
    }
    this.log(`Chaos run: seed ${seed}, ${formatDuration(durationMs)}, faults ${faults.join(',')}, one every ${formatDuration(intervalMs)}, on ${nodes.join(', ')}. Ctrl-C heals and stops.`)
    this.log(`Replay with: ${replay}`)
    const abort = new AbortController()
    const interrupted = untilInterrupted(abort.signal)
    void interrupted.promise.then(() => abort.abort())
    let run
    try {
      run = await runSchedule(schedule, chaos, {durationMs, signal: abort.signal, onAction: (a) => this.log(line(a))})
    } finally {
      interrupted.stop()
    }
    const failed = run.applied.filter((a) => !a.ok)
    const healed = run.applied.at(-1)
    this.log(`${run.interrupted ? 'Interrupted' : 'Done'} after ${formatDuration(run.elapsedMs)}: ${run.applied.length - 1} actions, ${failed.filter((a) => a !== healed).length} failed.`)
    const doc: ChaosRunReport = {...options, interrupted: run.interrupted, elapsedMs: run.elapsedMs, schedule: run.applied.map(jsonOf)}
    if (healed && !healed.ok) {
      if (this.jsonEnabled()) this.logJson({...doc, error: {code: 'FAILED', message: `healing failed: ${healed.error}`}})
      throw new ReportedError('FAILED', `healing failed: ${healed.error}; check with "raftctl status" and "raftctl chaos inspect"`)
    }
    return doc
  }
}

/** `[  12.3s]` */
function stamp(ms: number): string {
  return `[${(ms / 1000).toFixed(1).padStart(6)}s]`
}

function line(a: AppliedAction): string {
  return `${stamp(a.elapsedMs)} ${a.description}${a.ok ? '' : `  FAILED: ${a.error}`}`
}

function jsonOf(a: AppliedAction): AppliedActionJson {
  return a
}
