/**
 * `raftctl member list`: the configuration (voters and learners) as the leader reports it, with
 * each member's replication progress.
 */
import {ClusterCommand} from '../../cli/cluster-command.js'
import {formatDuration, renderTable} from '../../cli/render.js'
import {listMembers, type MemberList as MemberListResult} from '../../cluster/membership.js'

export default class MemberList extends ClusterCommand {
  static override summary = 'List the members: voters and learners'
  static override description = `Prints the configuration as the leader reports it (without a leader: as the first node that answers reports it), including members on other hosts that are not in the local manifest. For each member: voter or learner, its address, and from the leader's replication progress its match index, lag behind the leader's last index, time since the leader last heard from it, and whether it is up (the leader heard from it within an election timeout and, for a node of the local cluster, it answers; the view "node remove" and the other membership commands count).`

  static override examples = [
    {description: 'Who is in the configuration?', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'The voter ids, for scripts', command: "<%= config.bin %> <%= command.id %> --json | jq -r '.voters[].id'"},
  ]

  async run(): Promise<MemberListResult> {
    const {flags} = await this.parse(MemberList)
    const cluster = await this.openHandle(flags)
    const list = listMembers(await cluster.status())
    if (!this.jsonEnabled()) {
      this.log(`Members of ${flags.cluster} as ${list.reportedBy} reports them (${list.reportedBy === list.leader ? `leader, term ${list.term}` : 'no leader known'}):`)
      this.log(await renderTable({
        head: ['ID', 'ROLE', 'ADDRESS', 'MATCH', 'LAG', 'CONTACT', 'UP'],
        rows: [...list.voters, ...list.learners].map((m) => [
          m.id, m.leader ? 'voter (leader)' : m.voter ? 'voter' : 'learner', m.address, m.match, m.lag,
          m.lastContactMs === null ? null : formatDuration(m.lastContactMs), m.live === null ? '?' : m.live ? 'yes' : 'no',
        ]),
        align: ['left', 'left', 'left', 'right', 'right', 'right', 'left'],
      }))
    }
    return list
  }
}
