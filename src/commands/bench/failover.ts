/**
 * `raftctl bench failover`: kill the leader under a write load, measure the time to the first
 * acknowledged write, count the elections it took; restart and repeat.
 */
import {Flags} from '@oclif/core'
import {ClusterCommand} from '../../cli/cluster-command.js'
import {isTTY, renderTable} from '../../cli/render.js'
import type {FailoverReport, FailoverTrial} from '../../bench/failover.js'
import {MAX_BACKGROUND_CORES} from '../../bench/background.js'

export default class BenchFailover extends ClusterCommand {
  static override summary = 'Measure leader failover under a write load'
  static override description = `With --clients writing clients running, SIGKILLs the leader at a random moment (after --settle plus up to --jitter once the cluster is stable) and measures the time from the kill to the first write acknowledged by another node. The elections each failover took are counted from the admin event streams of every node (a term in which some node started a real election, PreVote rounds apart); a trial that needed more than one election, or whose election ended without a leader, took a split vote. The old leader is then restarted and rejoins (elections it causes are reported as rejoin elections), and the next trial begins. A cluster that is not running is started (created) first and stopped (destroyed) afterwards, unless --keep. DETECTED and ELECTED split the time: from the kill to the first election (or PreVote) a survivor started, and to the new leader's announcement (daemon clocks). JSON: {"trials": [{"trial", "killed", "newLeader", "failoverMs", "detectMs", "electedMs", "elections", "preVotes", "splitVote", "rejoinElections", …}], "failoverMs": {"median", "p99", "max", "min"}, "splitVotes", "failed", "background", …}. --background N runs N spinning processes beside the cluster during the trials (a busy machine, measured rather than guessed).`

  static override examples = [
    {description: '10 kills', command: '<%= config.bin %> <%= command.id %>'},
    {description: '20 kills, JSON', command: '<%= config.bin %> <%= command.id %> --trials 20 --json'},
    {description: '20 kills with one busy core of other work', command: '<%= config.bin %> <%= command.id %> --trials 20 --background 1'},
  ]

  static override flags = {
    trials: Flags.integer({description: 'leader kills', default: 10, min: 1, max: 1000}),
    clients: Flags.integer({description: 'writing clients of the background load', default: 8, min: 1, max: 10_000}),
    settle: Flags.string({description: 'quiet time after the cluster is stable before a kill', default: '1s'}),
    jitter: Flags.string({description: 'the kill comes at a random moment within this long after --settle', default: '2s'}),
    timeout: Flags.string({description: 'longest wait for a write after a kill', default: '15s'}),
    nodes: Flags.integer({description: 'founding nodes when the cluster has to be created', default: 3, min: 3, max: 15}),
    keep: Flags.boolean({description: 'leave a cluster that bench started running'}),
    background: Flags.integer({description: 'busy cores of other work during the trials: one spinning process per core, started before the first kill and stopped after the last', default: 0, min: 0, max: MAX_BACKGROUND_CORES}),
  }

  async run(): Promise<FailoverReport> {
    const {flags} = await this.parse(BenchFailover)
    const [{ensureRunning}, {runFailover}, {startBackground}] = await Promise.all([import('../../bench/run.js'), import('../../bench/failover.js'), import('../../bench/background.js')])
    const cluster = await this.openCluster(flags.cluster, false)
    const lease = await ensureRunning(cluster, flags.nodes)
    if (lease.created) this.logToStderr(`created and started cluster ${flags.cluster} for the benchmark`)
    const live = !this.jsonEnabled() && isTTY(process.stderr)
    let report: FailoverReport
    const background = startBackground(flags.background)
    try {
      report = await runFailover(cluster, {
        background: background.cores,
        trials: flags.trials,
        clients: flags.clients,
        settleMs: this.duration(flags.settle, '--settle', 'none'),
        jitterMs: this.duration(flags.jitter, '--jitter', 'none'),
        trialTimeoutMs: this.duration(flags.timeout, '--timeout', 'timeout'),
        onTrial: live ? (t) => process.stderr.write(`${trialLine(t)}\n`) : undefined,
      })
    } finally {
      await background.stop()
      if (!flags.keep) await lease.release()
    }
    if (!this.jsonEnabled()) this.log(await renderFailover(report))
    return report
  }
}

function trialLine(t: FailoverTrial): string {
  const ms = t.failoverMs === null ? 'no write acknowledged' : `${t.failoverMs.toFixed(0)} ms`
  return `trial ${t.trial}: killed ${t.killed} (term ${t.termBefore}) -> ${t.newLeader ?? '-'}: ${ms}, ${t.elections} election(s)${t.splitVote ? ', SPLIT VOTE' : ''}`
}

async function renderFailover(r: FailoverReport): Promise<string> {
  const ms = (v: number | null): string => (v === null ? '-' : `${v.toFixed(0)} ms`)
  const trials = await renderTable({
    head: ['TRIAL', 'KILLED', 'NEW LEADER', 'FAILOVER', 'DETECTED', 'ELECTED', 'ELECTIONS', 'PREVOTES', 'SPLIT', 'REJOIN ELECTIONS'],
    rows: r.trials.map((t) => [t.trial, t.killed, t.newLeader, ms(t.failoverMs), ms(t.detectMs), ms(t.electedMs), t.elections, t.preVotes, t.splitVote ? 'yes' : 'no', t.rejoinElections]),
    align: ['right', 'left', 'left', 'right', 'right', 'right', 'right', 'right', 'left', 'right'],
  })
  const summary = await renderTable({
    head: ['METRIC', 'VALUE'],
    rows: [
      ['failover median', ms(r.failoverMs.median)],
      ['failover p99', ms(r.failoverMs.p99)],
      ['failover max', ms(r.failoverMs.max)],
      ['kill to first election started, median', ms(r.detectMs.median)],
      ['kill to new leader, median', ms(r.electedMs.median)],
      ['trials with one election', `${r.singleElection} of ${r.trials.length}`],
      ['split votes', String(r.splitVotes)],
      ['no write within the timeout', String(r.failed)],
      ['elections on rejoin', String(r.rejoinElections)],
      ['busy cores of other work (--background)', String(r.background)],
    ],
  })
  return `${trials}\n${summary}`
}
