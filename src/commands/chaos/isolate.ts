/**
 * `raftctl chaos isolate NODE`: cut one node off from all the others.
 */
import {Flags} from '@oclif/core'
import {nodeArg} from '../../cli/cluster-command.js'
import {ChaosCommand, faultFlags, type AddedFaultJson} from '../../cli/chaos.js'

export default class ChaosIsolate extends ChaosCommand {
  static override summary = 'Cut one node off from all the others'
  static override description = `The same as "raftctl chaos partition NODE OTHERS…": NODE neither hears nor is heard by any other node. A leader that is isolated steps down after an election timeout (CheckQuorum) and the others elect a new one; an isolated follower does not disturb them when it comes back (PreVote).

--one-way: NODE still hears the others but is not heard by them (the partition "OTHERS… NODE --one-way").`

  static override examples = [
    {description: 'Isolate n1', command: '<%= config.bin %> <%= command.id %> n1'},
    {description: 'Isolate the leader for 5 seconds', command: '<%= config.bin %> <%= command.id %> $(<%= config.bin %> leader --json | jq -r .leader) --for 5s'},
  ]

  static override args = {node: nodeArg('the node to isolate')}

  static override flags = {
    'one-way': Flags.boolean({description: 'NODE hears the others but is not heard', default: false}),
    ...faultFlags('partition'),
  }

  async run(): Promise<AddedFaultJson> {
    const {args, flags} = await this.parse(ChaosIsolate)
    const {chaos} = await this.chaos(flags, flags.timeout)
    await chaos.checkNodes([args.node])
    const others = (await chaos.nodeIds()).filter((id) => id !== args.node)
    const groups = flags['one-way'] ? [others, [args.node]] : [[args.node], others]
    return this.addFault(flags, {kind: 'partition', groups, ...(flags['one-way'] ? {oneWay: true} : {})})
  }
}
