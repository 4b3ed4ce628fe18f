/**
 * `raftctl member list`: the configuration (voters and learners) as the leader reports it, with
 * each member's replication progress.
 */
import {RaftctlError} from '../../common/errors.js'
import {ClusterCommand} from '../../cli/cluster-command.js'
import {formatDuration, renderTable} from '../../cli/render.js'
import {replicationLag} from '../../cluster/index.js'

export default class MemberList extends ClusterCommand {
  static override summary = 'List the members: voters and learners'
  static override description = `Prints the configuration as the leader reports it (without a leader: as the first node that answers reports it), including members on other hosts that are not in the local manifest. For each member: voter or learner, its address, and from the leader's replication progress its match index, lag behind the leader's last index, time since the leader last heard from it, and whether it is up (the leader heard from it within an election timeout and, for a node of the local cluster, it answers; the view "node remove" and the other membership commands count).`

  static override examples = [
    {description: 'Who is in the configuration?', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'The voter ids, for scripts', command: "<%= config.bin %> <%= command.id %> --json | jq -r '.voters[].id'"},
  ]

  async run(): Promise<unknown> {
    const {flags} = await this.parse(MemberList)
    const cluster = await this.openCluster(flags.cluster)
    const st = await cluster.status()
    const source = st.nodes.find((n) => n.id === st.leader)?.detail ?? st.nodes.find((n) => n.detail)?.detail
    if (!source) throw new RaftctlError('UNAVAILABLE', `no node of cluster ${flags.cluster} answered`)
    const isLeader = source.role === 'leader'
    const rows = new Map(st.nodes.map((n) => [n.id, n]))
    const describe = (m: {id: string; address: string | null}, voter: boolean) => {
      const p = isLeader ? source.progress.find((x) => x.id === m.id) : undefined
      const row = rows.get(m.id)
      // The leader's view (as the membership checks count it); a local node must answer the CLI too.
      const live = m.id === source.id ? true : p ? p.recentActive && (row?.reachable ?? true) : row ? row.reachable : null
      return {
        id: m.id, address: m.address, voter, leader: m.id === st.leader, live,
        match: p?.match ?? null, lag: p ? replicationLag(source, m.id, row?.detail ?? null) : null, lastContactMs: p?.lastContactMs ?? null,
      }
    }
    const voters = source.members.voters.map((m) => describe(m, true))
    const learners = source.members.learners.map((m) => describe(m, false))
    if (!this.jsonEnabled()) {
      this.log(`Members of ${flags.cluster} as ${source.id} reports them (${isLeader ? `leader, term ${source.term}` : 'no leader known'}):`)
      this.log(await renderTable({
        head: ['ID', 'ROLE', 'ADDRESS', 'MATCH', 'LAG', 'CONTACT', 'UP'],
        rows: [...voters, ...learners].map((m) => [
          m.id, m.leader ? 'voter (leader)' : m.voter ? 'voter' : 'learner', m.address, m.match, m.lag,
          m.lastContactMs === null ? null : formatDuration(m.lastContactMs), m.live === null ? '?' : m.live ? 'yes' : 'no',
        ]),
        align: ['left', 'left', 'left', 'right', 'right', 'right', 'left'],
      }))
    }
    return {leader: st.leader, term: isLeader ? source.term : st.term, reportedBy: source.id, voters, learners}
  }
}
