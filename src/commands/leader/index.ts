/**
 * `raftctl leader`: the current leader and its term. Without a leader it exits 3 (`NO_LEADER`),
 * like every command that needs one; under --json it still prints `{"leader": null, "term"}`.
 */
import {ReportedError} from '../../cli/base.js'
import {ClusterCommand, timeoutFlag} from '../../cli/cluster-command.js'
import {leaderTerm} from '../../cluster/leadership.js'

/** `raftctl leader --json`: the leader (null: none, exit 3) and its term. */
export interface LeaderResult {
  readonly leader: string | null
  readonly term: number
}

export default class Leader extends ClusterCommand {
  static override summary = 'Show the leader and its term'
  static override description = `Asks every node for its status and prints the leader with the highest term and that term. Without a leader it says "no leader" and exits 3 (NO_LEADER), as every command that needs a leader does; under --json it still prints {"leader": null, "term"} with the highest term any node reports. With no node of the cluster running it fails at once with UNAVAILABLE (exit 3), naming each node. --wait waits up to the given time for one to be elected. Subcommand: "raftctl leader transfer" hands leadership to another node.`

  static override examples = [
    {description: 'Who leads?', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'For scripts', command: '<%= config.bin %> <%= command.id %> --json'},
    {description: 'Wait up to 5 s for a leader', command: '<%= config.bin %> <%= command.id %> --wait 5s'},
  ]

  static override flags = {
    wait: timeoutFlag('0ms', 'wait this long for a leader when there is none'),
  }

  async run(): Promise<LeaderResult> {
    const {flags} = await this.parse(Leader)
    const waitMs = this.duration(flags.wait, '--wait', 'none')
    const cluster = await this.openHandle(flags)
    let st = await cluster.liveStatus()
    if (st.leader === null && waitMs > 0) st = await cluster.waitForLeader(waitMs).catch(() => st)
    const term = leaderTerm(st)
    if (st.leader === null) {
      if (this.jsonEnabled()) this.logJson({leader: null, term} satisfies LeaderResult)
      const waited = waitMs > 0 ? ` within ${flags.wait}` : ''
      const why = st.nodes.some((n) => n.reachable)
        ? ` (highest term ${term}); an election may be in progress: retry, or pass --wait 5s`
        : `: no node is reachable (${st.nodes.map((n) => `${n.id} ${n.health}`).join(', ')})`
      throw new ReportedError('NO_LEADER', `no leader${waited}${why}`)
    }
    this.log(`${st.leader} (term ${term})`)
    return {leader: st.leader, term}
  }
}
