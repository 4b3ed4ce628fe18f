/**
 * `raftctl check consistency`: compare the state machines of every node at one applied index
 * and name the odd one out. Thin: the workflow is src/cluster/consistency.ts. Exit 0 when
 * every node has the same hash, 1 (`VIOLATION`) when some differ, 3 when a node could not
 * answer (and the others agree).
 */
import {ReportedError} from '../../cli/base.js'
import {ClusterCommand, timeoutFlag} from '../../cli/cluster-command.js'
import {styles, useColor} from '../../cli/render.js'
import {adminTargets} from '../../cli/admin-targets.js'
import type {ConsistencyReport} from '../../cluster/index.js'

export default class CheckConsistency extends ClusterCommand {
  static override summary = 'Check that every replica holds the same state'

  static override description = `Every node computes the SHA-256 of its key-value state (its snapshot encoding: keys, values, modification indexes and client sessions) after applying the same log index, the highest commit index any node reports; nodes behind answer once they reach it. The hashes are compared and the nodes whose hash differs from the majority's are named, with the index. A node whose state moves past the index before it answers (writes meanwhile) makes the check ask again at a newer index, up to 5 rounds.

Exit 0 when all agree, 1 (VIOLATION) when some differ, 3 when a node could not answer. The daemons can run the same check on a schedule (node run --consistency-check-every) and raise an alarm that status and doctor show. The hash is defined in docs/doctor.md. (To check a history file that happens to be named "consistency", write "raftctl check ./consistency".)`

  static override examples = [
    {description: 'Compare every node of the default cluster', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'For scripts', command: '<%= config.bin %> <%= command.id %> --json | jq .consistent'},
  ]

  static override flags = {
    timeout: timeoutFlag('10s', 'how long each node may take to reach the index and hash its state'),
  }

  async run(): Promise<ConsistencyReport> {
    const {flags} = await this.parse(CheckConsistency)
    const timeoutMs = this.duration(flags.timeout, '--timeout', 'timeout')
    const cluster = await this.openHandle(flags)
    const {checkConsistency} = await import('../../cluster/index.js')
    const nodes = await adminTargets(cluster, timeoutMs)
    let report: ConsistencyReport
    try {
      report = await checkConsistency(nodes.targets, {timeoutMs})
    } finally {
      await nodes.close()
    }
    if (!this.jsonEnabled()) this.log(render(report, useColor()))
    const failed = report.nodes.filter((n) => n.hash === null)
    if (report.consistent && failed.length === 0) return report
    if (this.jsonEnabled()) this.logJson(report)
    if (!report.consistent) throw new ReportedError('VIOLATION', `at index ${report.index} ${report.odd.join(', ')} ${report.odd.length === 1 ? 'differs' : 'differ'} from the others`)
    throw new ReportedError('UNAVAILABLE', `${failed.map((n) => `${n.id} (${n.error?.code})`).join(', ')} could not answer; the others agree at index ${report.index}`)
  }
}

function render(report: ConsistencyReport, color: boolean): string {
  const s = styles(color)
  const answered = report.nodes.filter((n) => n.hash !== null).length
  const head = report.consistent
    ? s.green(`consistent: ${answered} of ${report.nodes.length} nodes hold the same state at index ${report.index}`)
    : s.red(`INCONSISTENT at index ${report.index}: ${report.odd.join(', ')} ${report.odd.length === 1 ? 'differs' : 'differ'} from the others`)
  const rows = report.nodes.map((n) => `  ${n.id.padEnd(4)} ${n.hash ?? `- ${n.error?.code}: ${n.error?.message}`}${report.odd.includes(n.id) ? s.red('  ← differs') : ''}`)
  return [head, ...rows].join('\n')
}
