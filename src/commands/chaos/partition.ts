/**
 * `raftctl chaos partition GROUP GROUP… [--one-way]`: split the cluster into groups that cannot
 * talk to each other (or, one-way, that hear without being heard).
 */
import {Args, Flags} from '@oclif/core'
import {RaftctlError} from '../../common/errors.js'
import {ChaosCommand, faultFlags, parseNodeList, type AddedFaultJson} from '../../cli/chaos.js'

export default class ChaosPartition extends ChaosCommand {
  static override summary = 'Split the cluster into groups that cannot talk to each other'
  static override description = `Each GROUP is a comma-separated list of nodes ("n1,n2"). Messages between nodes of different groups are dropped; inside a group they flow. The fault is given to every node (each daemon drops what it sends across), so both directions are cut. One GROUP alone means that group against all the other nodes. A node listed in no group (with two or more groups given) is unaffected: it still talks to everyone, like a bridge.

--one-way cuts one direction only: messages from a LATER group to an EARLIER group are dropped. So "partition n1,n2 n3 --one-way" lets n3 hear n1 and n2 (their heartbeats and appends reach it) while n1 and n2 do not hear n3 (its votes and responses are lost). With PreVote and CheckQuorum (always on) this does not cause endless elections: a node that hears the leader never times out, and a leader that is not heard is replaced once, then hears the new leader and steps down.

The partition lasts until "raftctl chaos heal" (or --for). A restarted node forgets its faults.`

  static override examples = [
    {description: 'Cut n3 off from n1 and n2 (both directions)', command: '<%= config.bin %> <%= command.id %> n1,n2 n3'},
    {description: 'n3 hears n1 and n2 but is not heard, for 10 seconds', command: '<%= config.bin %> <%= command.id %> n1,n2 n3 --one-way --for 10s'},
    {description: 'Five nodes: a minority and a majority', command: '<%= config.bin %> <%= command.id %> n1,n2 n3,n4,n5'},
    {description: 'n1,n2 against everyone else', command: '<%= config.bin %> <%= command.id %> n1,n2'},
  ]

  static override strict = false

  static override args = {
    groups: Args.string({description: 'groups of nodes, each comma-separated (e.g. n1,n2 n3)', required: true}),
  }

  static override flags = {
    'one-way': Flags.boolean({description: 'drop only messages from a later group to an earlier one (the later group hears without being heard)', default: false}),
    ...faultFlags('partition'),
  }

  async run(): Promise<AddedFaultJson> {
    const {argv, flags} = await this.parse(ChaosPartition)
    const groups = (argv as string[]).map((g, i) => parseNodeList(g, `group ${i + 1}`)!)
    const {chaos} = await this.chaos(flags, flags.timeout)
    const all = await chaos.nodeIds()
    await chaos.checkNodes(groups.flat())
    const seen = new Set<string>()
    for (const id of groups.flat()) {
      if (seen.has(id)) throw new RaftctlError('BAD_USAGE', `${id} is in more than one group`)
      seen.add(id)
    }
    if (groups.length === 1) {
      const rest = all.filter((id) => !seen.has(id))
      if (rest.length === 0) throw new RaftctlError('BAD_USAGE', `the group ${groups[0]!.join(',')} holds every node: nothing to partition from`)
      groups.push(rest)
    } else {
      const bridges = all.filter((id) => !seen.has(id))
      if (bridges.length > 0) this.warnLine(`${bridges.join(', ')} ${bridges.length === 1 ? 'is' : 'are'} in no group: unaffected, still talking to every group`)
    }
    return this.addFault(flags, {kind: 'partition', groups, ...(flags['one-way'] ? {oneWay: true} : {})})
  }
}
