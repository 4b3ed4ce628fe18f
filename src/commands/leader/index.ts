/**
 * `raftctl leader`: the current leader and its term (null when there is none).
 */
import {ClusterCommand, timeoutFlag} from '../../cli/cluster-command.js'

export default class Leader extends ClusterCommand {
  static override summary = 'Show the leader and its term'
  static override description = `Asks every node for its status and prints the leader with the highest term and that term. Without a leader it prints "no leader" (JSON: "leader": null, and the highest term any node reports) and still exits 0; --wait waits up to the given time for one to be elected. Subcommand: "raftctl leader transfer" hands leadership to another node.`

  static override examples = [
    {description: 'Who leads?', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'For scripts', command: '<%= config.bin %> <%= command.id %> --json'},
    {description: 'Wait up to 5 s for a leader', command: '<%= config.bin %> <%= command.id %> --wait 5s'},
  ]

  static override flags = {
    wait: timeoutFlag('0ms', 'wait this long for a leader when there is none'),
  }

  async run(): Promise<{leader: string | null; term: number}> {
    const {flags} = await this.parse(Leader)
    const waitMs = this.duration(flags.wait, '--wait', 'none')
    const cluster = await this.openCluster(flags.cluster)
    let st = await cluster.liveStatus()
    if (st.leader === null && waitMs > 0) st = await cluster.waitForLeader(waitMs).catch(() => st)
    const term = st.nodes.find((n) => n.id === st.leader)?.term ?? st.term
    this.log(st.leader === null ? `no leader (highest term ${term})` : `${st.leader} (term ${term})`)
    return {leader: st.leader, term}
  }
}
