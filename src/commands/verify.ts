/**
 * `raftctl verify`: Jepsen-style verification of a live local cluster. Thin: parse the flags,
 * run src/verify/run.ts, print the report. Exit 0 valid, 1 `VIOLATION` (not linearizable or not
 * durable), 2 bad usage, 3 `UNDECIDED` (a budget ran out, or the cluster did not recover).
 */
import {Flags} from '@oclif/core'
import {ClusterCommand} from '../cli/cluster-command.js'
import {ReportedError} from '../cli/base.js'
import {parseDurationFlag, parseSize} from '../common/units.js'
import {styles, useColor} from '../cli/render.js'
import {RaftctlError} from '../common/errors.js'
import {NEMESIS_KINDS, type NemesisKind} from '../verify/nemesis.js'
import type {VerifyResult} from '../verify/result.js'
import {WORKLOAD_KINDS, type WorkloadKind} from '../verify/workload.js'

const KINDS: readonly string[] = NEMESIS_KINDS

export default class Verify extends ClusterCommand {
  static override summary = 'Run clients and faults against a cluster, then check linearizability and durability'

  static override description = [
    'Uses the named local cluster if it exists (starting it if stopped), else creates one (and destroys it at the end). An attached cluster (or one given by --endpoints) is used as it is: it must run with a leader, the faults that need its processes (kill, pause, restart) are left out with a warning, and the full restart of the durability check is skipped (final values are read after healing only). Concurrent clients do get / put / cas / append on shared keys (a unique value for every write, a session per client, reads sent to random nodes) while a seeded schedule of faults runs. Then every fault is healed, killed nodes are restarted, and once a leader is back every key is read; every node is then killed and restarted and every key read again.',
    'The history (JSON lines, the format `raftctl check` reads) is checked for linearizability, and the final values for durability: every acknowledged write must still be visible (docs/verify.md states the exact rule). The report lists the operations (ok / failed / unknown), the faults with their times, the throughput and the verdict, with the smallest failing piece of history for a violation; an HTML report draws every operation on a time line with the fault windows shaded.',
    'The fault schedule is the one `raftctl chaos run` plans for the same --seed, --faults and --fault-interval. Network and disk faults (partition, delay, drop, duplicate, reorder, disk) need the daemons\' live chaos; without it they are left out with a warning. Exit codes: 0 valid, 1 violation, 2 bad usage, 3 undecided.',
  ].join('\n\n')

  static override examples = [
    {description: 'One minute with partitions, kills, pauses and delays', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'What CI runs', command: '<%= config.bin %> <%= command.id %> --duration 30s --faults partition,kill --json'},
    {description: 'Show that unsafe follower reads are not linearizable', command: '<%= config.bin %> <%= command.id %> --duration 10s --faults partition --unsafe-follower-reads'},
    {description: 'Replay a schedule, keep the files', command: '<%= config.bin %> <%= command.id %> --seed 42 --history run.jsonl --report run.html'},
  ]

  static override flags = {
    duration: Flags.string({char: 'd', description: 'how long the clients run (e.g. 30s, 2m)', default: '60s'}),
    faults: Flags.string({description: `fault kinds, comma-separated (the names of "chaos run": ${KINDS.join(', ')}), "all", or "none"`, default: 'partition,kill,pause,delay'}),
    'fault-interval': Flags.string({description: 'time between fault starts (each fault lasts 40-70% of it)', default: '5s'}),
    workload: Flags.string({description: 'what the clients do, comma-separated: kv (get, put, cas, append), range (range reads of register keys), txn (pairs of keys read by range and written by txn)', default: 'kv'}),
    clients: Flags.integer({description: 'concurrent clients, each with its own session', default: 10, min: 1, max: 1000}),
    keys: Flags.integer({description: 'key slots used at once (even: registers, odd: append logs) [default: clients/5, at least 2]', min: 1, max: 10_000}),
    history: Flags.string({description: 'history file to write [default: <cluster folder>/verify/<time>/history.jsonl]'}),
    report: Flags.string({description: 'HTML report to write [default: next to the history]; the logs of a cluster verify created and destroys are copied next to it, into <report name>.logs/'}),
    seed: Flags.integer({description: 'seed of the fault schedule and the clients\' choices [default: random, printed]', min: 0, max: 2 ** 31 - 1}),
    nodes: Flags.integer({char: 'n', description: 'nodes of a cluster verify creates', default: 3, min: 1, max: 15}),
    'unsafe-follower-reads': Flags.boolean({description: 'run on a FRESH cluster whose followers answer reads from local state (expected: not linearizable)', default: false}),
    'keep-cluster': Flags.boolean({description: 'leave a cluster verify created or started running at the end', default: false}),
    'ops-per-key': Flags.integer({description: 'operations on one key before its slot moves on to a fresh key', default: 200, min: 1}),
    'op-timeout': Flags.string({description: 'time one attempt of an operation may take', default: '1s'}),
    'op-deadline': Flags.string({description: 'time one operation may take over its retries', default: '2500ms'}),
    'client-rate': Flags.integer({description: 'most operations per second per client', default: 100, min: 1}),
    'recovery-timeout': Flags.string({description: 'time to wait for a leader with every node up (start, after healing, after the restart)', default: '60s'}),
    'check-time-limit': Flags.string({description: 'time budget of the linearizability check', default: '2m'}),
    'max-states': Flags.integer({description: 'most configurations the checker remembers per key', default: 1_000_000, min: 1}),
    'max-memory': Flags.string({description: 'most memory for the checker\'s remembered configurations per key', default: '512MiB'}),
  }

  async run(): Promise<VerifyResult> {
    const {flags} = await this.parse(Verify)
    const faults = parseFaults(flags.faults)
    const durationMs = parseDurationFlag(flags.duration, '--duration', 'span')
    if (durationMs < 1000) throw new RaftctlError('BAD_USAGE', '--duration must be at least 1s')
    const json = this.jsonEnabled()
    const [{runVerify}, {renderText}] = await Promise.all([import('../verify/run.js'), import('../verify/report.js')])
    // First Ctrl-C: stop the clients and judge what was recorded (healing and cleanup included); second: quit.
    const interrupt = new AbortController()
    const onSigint = (): void => {
      if (interrupt.signal.aborted) process.exit(130)
      process.stderr.write('verify: interrupted: stopping the clients, then healing, checking and cleaning up (Ctrl-C again to quit at once)\n')
      interrupt.abort()
    }
    process.on('SIGINT', onSigint)
    // An attached cluster, or --endpoints: used as it is (live faults only, no full restart).
    const handle = flags.endpoints !== undefined || (await import('../cluster/index.js')).isAttached(flags.cluster) ? await this.openHandle(flags) : undefined
    const {result} = await runVerify({
      signal: interrupt.signal,
      cluster: flags.cluster,
      remote: handle,
      nodes: flags.nodes,
      durationMs,
      faults,
      workloads: parseWorkloads(flags.workload),
      clients: flags.clients,
      keys: flags.keys,
      seed: flags.seed,
      historyFile: flags.history,
      reportFile: flags.report,
      unsafeFollowerReads: flags['unsafe-follower-reads'],
      keepCluster: flags['keep-cluster'],
      opsPerKey: flags['ops-per-key'],
      opTimeoutMs: parseDurationFlag(flags['op-timeout'], '--op-timeout', 'timeout'),
      opDeadlineMs: parseDurationFlag(flags['op-deadline'], '--op-deadline', 'timeout'),
      clientRate: flags['client-rate'],
      faultIntervalMs: parseDurationFlag(flags['fault-interval'], '--fault-interval', 'faultInterval'),
      recoveryTimeoutMs: parseDurationFlag(flags['recovery-timeout'], '--recovery-timeout', 'timeout'),
      checkTimeLimitMs: parseDurationFlag(flags['check-time-limit'], '--check-time-limit', 'span'),
      maxStates: flags['max-states'],
      maxMemoryBytes: parseSize(flags['max-memory']),
      onProgress: json ? undefined : (line) => process.stderr.write(`verify: ${line}\n`),
    }).finally(() => process.off('SIGINT', onSigint))
    if (!json) this.log(renderText(result, styles(useColor())))
    if (result.verdict === 'valid') return result
    if (json) this.logJson(result)
    if (result.verdict === 'violation') throw new ReportedError('VIOLATION', `verification failed: ${violationText(result)} (see ${result.report})`)
    throw new ReportedError('UNDECIDED', `no verdict: ${result.linearizable.valid === 'unknown' ? `the checker's ${result.linearizable.reason} ran out` : result.durable.reason ?? 'some final values could not be read'}`)
  }
}

function violationText(result: VerifyResult): string {
  const parts: string[] = []
  if (result.linearizable.valid === false) parts.push(`not linearizable (key ${JSON.stringify(result.linearizable.counterexample?.key)})`)
  if (result.durable.valid === false) parts.push(`not durable (${result.durable.violations.length} keys)`)
  return parts.join(', ')
}

/** `partition,kill` → kinds; `all` → every kind; `none` or empty → none. BAD_USAGE for an unknown kind. */
function parseWorkloads(text: string): WorkloadKind[] {
  const names = text.split(',').map((s) => s.trim()).filter((s) => s !== '')
  for (const name of names) {
    if (!(WORKLOAD_KINDS as readonly string[]).includes(name)) throw new RaftctlError('BAD_USAGE', `unknown workload ${JSON.stringify(name)}: use ${WORKLOAD_KINDS.join(', ')} (comma-separated)`)
  }
  if (names.length === 0) throw new RaftctlError('BAD_USAGE', `--workload needs at least one of ${WORKLOAD_KINDS.join(', ')}`)
  return [...new Set(names)] as WorkloadKind[]
}

function parseFaults(text: string): NemesisKind[] {
  const names = text.split(',').map((s) => s.trim()).filter((s) => s !== '' && s !== 'none')
  const out: string[] = []
  for (const name of names) {
    if (name === 'all') out.push(...KINDS)
    else if (KINDS.includes(name)) out.push(name)
    else throw new RaftctlError('BAD_USAGE', `unknown fault kind ${JSON.stringify(name)}: use ${KINDS.join(', ')} (comma-separated), all, or none`)
  }
  return [...new Set(out)] as NemesisKind[]
}
