/**
 * `raftctl check FILE`: check a recorded history (DESIGN.md §4 format) for linearizability.
 * Thin: parse flags, load the file, run the checker in src/verify, render the verdict.
 * Exit 0 linearizable, 1 `VIOLATION`, 2 `BAD_INPUT` / `BAD_USAGE`, 3 `UNDECIDED` (over budget).
 * The topic's other command, `check consistency` (./consistency.ts), takes precedence over a
 * FILE named `consistency` (write `./consistency` for that file).
 */
import {Args, Errors, Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base.js'
import {parseDurationFlag, parseSize} from '../../common/units.js'
import {RaftctlError} from '../../common/errors.js'
import type {CheckResult, Counterexample, OpRef} from '../../verify/checker.js'

/** What `check --json` prints: the checker's result plus the file and the budgets used. */
export type CheckReport = CheckResult & {file: string; limits: {timeLimitMs: number; maxStates: number; maxMemoryBytes: number}}

/** A verdict already printed under --json: exit with its code without printing an error document. */
class ReportedVerdict extends RaftctlError {}

/** How many ops of a counterexample the human report shows. */
const SHOWN_OPS = 12

export default class Check extends BaseCommand {
  static override summary = 'Check a recorded history for linearizability'

  static override description = [
    "Reads a history in raftctl's JSON-lines format (one operation per line: client, op, key, value, expected, output, ok, call, return), splits it by key and searches each key for a linearization against a string register. A violation is reported with the smallest failing prefix found.",
    'Over the time, state or memory budget the verdict is "unknown" (exit 3), never a pass. Exit codes: 0 linearizable, 1 not linearizable, 2 bad input, 3 undecided. See docs/checker.md.',
    '"raftctl check consistency" compares the replicas of a running cluster instead (a history file named "consistency" is read with "raftctl check ./consistency").',
  ].join('\n\n')

  static override examples = [
    {description: 'Check a history recorded by `raftctl verify`', command: '<%= config.bin %> check history.jsonl'},
    {description: 'Machine-readable verdict (also printed for violations)', command: '<%= config.bin %> check history.jsonl --json'},
    {description: 'Give a large history more time and states', command: '<%= config.bin %> check history.jsonl --time-limit 5m --max-states 20000000 --max-memory 2GiB'},
  ]

  static override args = {
    file: Args.string({description: 'history file (JSON lines)', required: true}),
  }

  static override flags = {
    'time-limit': Flags.string({description: 'time budget for the whole check (e.g. 500ms, 30s, 2m)', default: '30s'}),
    'max-states': Flags.integer({description: 'most configurations remembered per key', default: 1_000_000, min: 1}),
    'max-memory': Flags.string({description: 'most memory for remembered configurations per key (e.g. 256MiB, 1GiB)', default: '512MiB'}),
  }

  async run(): Promise<CheckReport> {
    const {args, flags} = await this.parse(Check)
    const limits = {timeLimitMs: parseDurationFlag(flags['time-limit'], '--time-limit', 'span'), maxStates: flags['max-states'], maxMemoryBytes: parseSize(flags['max-memory'])}
    const [{loadHistoryFile}, {checkHistory}] = await Promise.all([import('../../verify/history.js'), import('../../verify/checker.js')])
    const {ops, lines} = await loadHistoryFile(args.file)
    const report: CheckReport = {...checkHistory(ops, {...limits, lines}), file: args.file, limits}
    if (!this.jsonEnabled()) this.log(await renderReport(report, process.stdout.isTTY === true))
    if (report.valid === true) return report
    if (this.jsonEnabled()) this.logJson(report)
    throw verdictError(report)
  }

  protected override async catch(err: Error & {exitCode?: number; code?: string}): Promise<unknown> {
    if (err instanceof ReportedVerdict && this.jsonEnabled()) {
      process.exitCode = err.exitCode
      throw new Errors.ExitError(err.exitCode)
    }
    return super.catch(err)
  }
}

/** The error that sets the exit code of a failed or undecided check. */
function verdictError(report: CheckReport): RaftctlError {
  if (report.valid === false) {
    return new ReportedVerdict('VIOLATION', `history is not linearizable (key ${JSON.stringify(report.counterexample?.key)})`)
  }
  return new ReportedVerdict('UNDECIDED', `no verdict within the budget (${report.reason}): raise --time-limit, --max-states or --max-memory`)
}

// ---------------------------------------------------------------------------------------------
// Human output

async function renderReport(report: CheckReport, tty: boolean): Promise<string> {
  const {ok, failed, unknown} = report.counts
  const out = [
    `History:  ${report.ops} ops on ${report.keys} ${report.keys === 1 ? 'key' : 'keys'} (${ok} ok, ${failed} failed, ${unknown} unknown)`,
    `Checked:  in ${Math.round(report.elapsedMs)} ms, ${report.perKey.reduce((n, k) => n + k.states, 0)} states`,
    `Verdict:  ${verdictText(report)}`,
  ]
  if (report.counterexample) out.push('', ...(await renderCounterexample(report.counterexample, tty)))
  return out.join('\n')
}

function verdictText(report: CheckReport): string {
  if (report.valid === true) return 'LINEARIZABLE'
  if (report.valid === false) return 'NOT LINEARIZABLE'
  const undecided = report.perKey.filter((k) => k.valid === 'unknown').map((k) => JSON.stringify(k.key))
  const budget = {'time-limit': 'time', 'state-limit': 'state', 'memory-limit': 'memory'}[report.reason ?? 'time-limit']
  return `UNKNOWN: the ${budget} budget ran out on ${undecided.length === 1 ? 'key' : 'keys'} ${undecided.slice(0, 5).join(', ')}${undecided.length > 5 ? ', ...' : ''}`
}

async function renderCounterexample(cx: Counterexample, tty: boolean): Promise<string[]> {
  const lines = [
    `Key ${JSON.stringify(cx.key)}: the ops called up to time ${cx.at} cannot be linearized${cx.minimal ? ' (up to just before, they can)' : ''}.`,
    `The ${opLabel(cx.culprit)} returning at ${cx.at} cannot be placed; the longest partial linearization found has ${cx.linearized.length} ops.`,
  ]
  const shown = lastOpsWith(cx.ops, cx.culprit, SHOWN_OPS)
  if (shown.length < cx.ops.length) lines.push(`Last ${shown.length} of the ${cx.ops.length} ops of that prefix (--json lists all):`)
  else lines.push('Its ops:')
  lines.push(`(* marks the op that cannot be placed; ops still running at ${cx.at} count as unknown.)`)
  lines.push(await opsTable(shown, cx.culprit, tty))
  return lines
}

/** The last `n` ops by call time, always including `must`. */
function lastOpsWith(ops: readonly OpRef[], must: OpRef, n: number): OpRef[] {
  const tail = ops.slice(-n)
  if (tail.some((op) => op.index === must.index)) return tail
  return [must, ...tail.slice(1)].sort((a, b) => a.call - b.call || a.index - b.index)
}

function opLabel(op: OpRef): string {
  return `${op.op} on ${op.line !== undefined ? `line ${op.line}` : `op #${op.index}`} (client ${op.client})`
}

async function opsTable(ops: readonly OpRef[], culprit: OpRef, tty: boolean): Promise<string> {
  const {default: Table} = await import('cli-table3')
  const table = new Table({
    head: ['', 'line', 'client', 'op', 'arguments', 'output', 'ok', 'call', 'return'],
    style: tty ? {} : {head: [], border: []},
    chars: {mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': ''},
  })
  for (const op of ops) {
    table.push([op.index === culprit.index ? '*' : '', op.line ?? '', op.client, op.op, argumentsText(op), op.op === 'get' ? show(op.output) : '', String(op.ok), op.call, op.return ?? ''])
  }
  return table.toString()
}

function argumentsText(op: OpRef): string {
  if (op.op === 'cas') return `${show(op.expected)} -> ${show(op.value)}`
  if (op.op === 'get' || op.op === 'delete') return ''
  return show(op.value)
}

function show(value: string | null | undefined): string {
  return value === null || value === undefined ? 'absent' : JSON.stringify(value)
}
