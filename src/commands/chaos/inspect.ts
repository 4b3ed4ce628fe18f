/**
 * `raftctl chaos inspect`: every active fault on every node.
 */
import {ChaosCommand} from '../../cli/chaos.js'
import {formatDuration, renderTable, useColor} from '../../cli/render.js'
import type {NodeFaults} from '../../cluster/index.js'

/** `raftctl chaos inspect --json`: the faults each node has in place. */
export interface ChaosInspectResult {
  readonly nodes: NodeFaults[]
}

export default class ChaosInspect extends ChaosCommand {
  static override summary = 'Show every active fault on every node'
  static override description = `Asks every node for its faults. One row per fault and node: its id, kind, what it does, how long until it heals by itself ("-": until healed) and how many messages (or disk writes) it has hit so far. A node that does not answer is shown as down, paused or unreachable. Process faults (a killed or paused node) show in "raftctl status".

--json: {"nodes": [{"id", "reachable", "health", "faults": [{"id", "kind", ...the fault's fields, "remainingMs", "hits"}]}]}`

  static override examples = [
    {description: 'The table', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'For scripts: ids of the faults on n1', command: `<%= config.bin %> <%= command.id %> --json | jq -r '.nodes[] | select(.id == "n1") | .faults[].id'`},
  ]

  async run(): Promise<ChaosInspectResult> {
    const {flags} = await this.parse(ChaosInspect)
    const {chaos} = await this.chaos(flags)
    const doc = await chaos.inspect()
    if (!this.jsonEnabled()) {
      const {describeFaultSpec} = await import('../../chaos/faults.js')
      const rows: (string | number | null)[][] = []
      for (const n of doc.nodes) {
        if (!n.reachable) rows.push([n.id, '-', n.health, '-', '-', '-'])
        else if (n.faults.length === 0) rows.push([n.id, '-', 'none', '-', '-', '-'])
        for (const f of n.faults) {
          const remaining = typeof f.remainingMs === 'number' ? formatDuration(f.remainingMs) : 'until healed'
          rows.push([n.id, f.id, f.kind, describeFaultSpec(f as never), remaining, typeof f.hits === 'number' ? f.hits : null])
        }
      }
      this.log(await renderTable({head: ['NODE', 'ID', 'KIND', 'FAULT', 'HEALS IN', 'HITS'], rows, align: ['left', 'left', 'left', 'left', 'right', 'right'], color: useColor()}))
      const total = doc.nodes.reduce((s, n) => s + n.faults.length, 0)
      const ids = new Set(doc.nodes.flatMap((n) => n.faults.map((f) => f.id)))
      this.log(total === 0 ? 'No active faults.' : `${ids.size} fault${ids.size === 1 ? '' : 's'} active (${total} on nodes). Remove them with: raftctl chaos heal`)
    }
    return doc
  }
}
