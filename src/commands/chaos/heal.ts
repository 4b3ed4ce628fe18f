/**
 * `raftctl chaos heal [--id ID] [--kind KIND] [--node NODE]`: remove faults.
 */
import {Flags} from '@oclif/core'
import {ChaosCommand, parseNodeList} from '../../cli/chaos.js'
import type {HealResult} from '../../cluster/index.js'

const KINDS = ['partition', 'drop', 'delay', 'duplicate', 'reorder', 'disk'] as const

export default class ChaosHeal extends ChaosCommand {
  static override summary = 'Remove chaos faults (all of them by default)'
  static override description = `Without flags, removes every fault from every node that is running. --id removes one fault (the same id on every node), --kind every fault of a kind, --node limits the healing to those nodes. Process faults are not faults of a daemon: resume a paused node with "raftctl node resume", start a killed one with "raftctl node start". Nodes that are down or paused are skipped (a down node has no faults; a paused one keeps its faults until it is resumed and healed).`

  static override examples = [
    {description: 'Heal everything', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Remove one fault', command: '<%= config.bin %> <%= command.id %> --id partition-3fa2c1'},
    {description: 'Remove every delay', command: '<%= config.bin %> <%= command.id %> --kind delay'},
  ]

  static override flags = {
    id: Flags.string({description: 'only the fault with this id'}),
    kind: Flags.string({description: 'only faults of this kind', options: [...KINDS]}),
    node: Flags.string({description: 'only on these nodes (comma-separated; default: every node)'}),
    timeout: Flags.string({description: 'how long each node may take to answer (e.g. 3s)', default: '3s'}),
  }

  async run(): Promise<HealResult> {
    const {flags} = await this.parse(ChaosHeal)
    const {chaos} = await this.chaos(flags, flags.timeout)
    const filter = {...(flags.id ? {id: flags.id} : {}), ...(flags.kind ? {kind: flags.kind as (typeof KINDS)[number]} : {})}
    const result = await chaos.heal(filter, parseNodeList(flags.node, '--node list'))
    const healed = result.nodes.filter((n) => n.ok)
    this.log(`Removed ${result.removed} fault${result.removed === 1 ? '' : 's'} (${healed.map((n) => `${n.id}: ${n.removed}`).join(', ') || 'no node answered'}).`)
    this.reportOutcomes(result)
    return result
  }
}
