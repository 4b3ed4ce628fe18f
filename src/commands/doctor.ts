/**
 * `raftctl doctor`: one report of checks (quorum, leader, links, replicas, disk, configuration,
 * chaos, consistency), each ok, warn or fail with evidence and a suggested action, and the
 * recent timeline merged from every node's event ring. Thin: the checks are src/cluster/doctor.ts.
 * Exit 0 when no check fails, 1 when one does, 3 when some node could not be reached.
 */
import {Flags} from '@oclif/core'
import {ReportedError} from '../cli/base.js'
import {ClusterCommand, timeoutFlag} from '../cli/cluster-command.js'
import {useColor} from '../cli/render.js'
import {renderDoctor} from '../cli/doctor-view.js'
import {adminTargets} from '../cli/admin-targets.js'
import type {DoctorReport} from '../cluster/index.js'

/** `doctor --json`: the report (checks, timeline, unreachable nodes) and the cluster's name. */
export type DoctorJson = DoctorReport & {readonly cluster: string}

export default class Doctor extends ClusterCommand {
  static override summary = 'Say why the cluster is unhealthy and what to do'

  static override description = `Asks every node for its status, its configuration, disk and peer view, and its recent Raft events (each node keeps a bounded ring of them, with causes), then runs the checks:

  quorum         voters up against voters needed, and what one more failure would do
  leader         none (who hears whom, who campaigns and why they lose, a rising term) or unstable (each change in the window with its cause)
  links          one-way partitions: a node that hears the leader while the leader does not hear it, and the reverse
  replicas       lagging followers and learners, followers stuck on snapshots, learners not caught up
  disk           p99 of durable saves (write + fsync), free space, storage failures
  configuration  election / heartbeat settings that differ or are too close, version skew, secret files readable by others
  chaos          faults still active, on which nodes, and those without an end (a forgotten --for)
  consistency    the alarm of the scheduled consistency check

Each is OK, WARN or FAIL with its evidence and an action. The timeline merges every node's events since --since. Exit 0 when no check fails, 1 when one does, 3 when some node could not be reached (the report still covers the others). See docs/doctor.md.`

  static override examples = [
    {description: 'Check the default cluster', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Only the last two minutes of events', command: '<%= config.bin %> <%= command.id %> --since 2m'},
    {description: 'For scripts: the failing checks', command: "<%= config.bin %> <%= command.id %> --json | jq '.checks[] | select(.status == \"fail\")'"},
  ]

  static override flags = {
    since: Flags.string({description: 'how far back the timeline and the event-based checks look (e.g. 10m, 1h)', default: '10m'}),
    timeout: timeoutFlag('2s', 'how long to wait for each node'),
    'learner-catch-up': Flags.string({description: 'a learner still behind this long after joining is reported (e.g. 1m)', default: '1m'}),
  }

  async run(): Promise<DoctorJson> {
    const {flags} = await this.parse(Doctor)
    const windowMs = this.duration(flags.since, '--since', 'span')
    const timeoutMs = this.duration(flags.timeout, '--timeout', 'timeout')
    const learnerCatchUpMs = this.duration(flags['learner-catch-up'], '--learner-catch-up', 'span')
    const cluster = await this.openHandle(flags)
    const {gatherDoctor, diagnose, doctorExitCode} = await import('../cluster/index.js')
    const nodes = await adminTargets(cluster, timeoutMs)
    const now = Date.now()
    const since = now - windowMs
    let reports
    try {
      reports = await gatherDoctor(nodes.targets, {since, timeoutMs})
    } finally {
      await nodes.close()
    }
    const report: DoctorJson = {cluster: cluster.name, ...diagnose(reports, {since, now, thresholds: {learnerCatchUpMs}})}
    if (!this.jsonEnabled()) this.log(renderDoctor(report, cluster.name, useColor()))
    const exit = doctorExitCode(report)
    if (exit === 0) return report
    if (this.jsonEnabled()) this.logJson(report)
    if (exit === 3) {
      const none = report.reachable === 0
      throw new ReportedError('UNAVAILABLE', none
        ? `no node of cluster ${cluster.name} answered (${report.unreachable.map((u) => u.id).join(', ')}): is it running? raftctl cluster start`
        : `${report.unreachable.length} of ${report.nodes} nodes did not answer: ${report.unreachable.map((u) => u.id).join(', ')}`)
    }
    throw new ReportedError('FAILED', `failing checks: ${report.checks.filter((c) => c.status === 'fail').map((c) => c.name).join(', ')}`)
  }
}
