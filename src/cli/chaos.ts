/**
 * Shared support of the `raftctl chaos` commands: the common flags (`--for`, `--id`, `--from`,
 * `--to`), parsing of node lists and rates, and {@link ChaosCommand}, whose `addFault` adds one
 * fault on the chosen nodes and reports it (one line, or the JSON document).
 */
import {Flags} from '@oclif/core'
import {RaftctlError} from '../common/errors.js'
import type {FaultSpec} from '../admin/protocol.js'
import type {AddResult, ClusterChaos, ClusterHandle, NodeOutcome} from '../cluster/index.js'
import type {ClusterFlagValues} from './base.js'
import {ReportedError} from './base.js'
import {ClusterCommand} from './cluster-command.js'
import {formatDuration} from './render.js'

/**
 * Flags of every fault-adding command. `kind` is the kind of fault the command adds: the
 * example id in `--id`'s help is of that kind (`partition-3fa2c1` for `chaos partition`), as
 * the generated ids are (`newFaultId` in src/cluster/chaos.ts).
 */
export function faultFlags(kind: FaultSpec['kind']) {
  return {
    for: Flags.string({description: 'heal by itself after this long (e.g. 10s, 2m); default: until "raftctl chaos heal"'}),
    id: Flags.string({description: `id of the fault (default: generated, e.g. ${kind}-3fa2c1); an active fault with this id is replaced`}),
    timeout: Flags.string({description: 'how long each node may take to answer (e.g. 3s)', default: '3s'}),
  }
}

/** `--from` / `--to` of the link faults (drop, delay, duplicate, reorder). */
export const linkFlags = {
  from: Flags.string({description: 'only messages sent BY these nodes (comma-separated, e.g. n1,n2; default: every node)'}),
  to: Flags.string({description: 'only messages sent TO these nodes (comma-separated; default: every peer)'}),
}

/** `n1,n2` → ['n1', 'n2'] (undefined stays undefined). BAD_USAGE for an empty list or a repeated node. */
export function parseNodeList(text: string | undefined, what = 'node list'): string[] | undefined {
  if (text === undefined) return undefined
  const ids = text.split(',').map((s) => s.trim()).filter((s) => s.length > 0)
  if (ids.length === 0) throw new RaftctlError('BAD_USAGE', `empty ${what}: give node ids separated by commas, e.g. n1,n2`)
  const dup = ids.find((id, i) => ids.indexOf(id) !== i)
  if (dup !== undefined) throw new RaftctlError('BAD_USAGE', `${dup} appears twice in the ${what} "${text}"`)
  return ids
}

/** A rate: `0.3` or `30%`, between 0 and 1. BAD_USAGE otherwise. */
export function parseRate(text: string, flag = '--rate'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(text)
  const rate = m ? Number(m[1]) / (m[2] ? 100 : 1) : NaN
  if (!(rate >= 0 && rate <= 1)) throw new RaftctlError('BAD_USAGE', `${flag} must be a number between 0 and 1 (or a percentage like 30%), got "${text}"`)
  return rate
}

/** A whole number of milliseconds >= 0 (`100`, or a duration such as `100ms`, `1s`). */
export function parseMillis(text: string, flag: string, parseDuration: (t: string) => number): number {
  if (/^\s*\d+\s*$/.test(text)) return Number(text)
  try {
    return parseDuration(text)
  } catch {
    throw new RaftctlError('BAD_USAGE', `${flag} must be milliseconds (e.g. 100) or a duration (e.g. 100ms, 1s), got "${text}"`)
  }
}

/** The JSON document of a fault-adding command. */
export interface AddedFaultJson {
  readonly id: string
  readonly fault: FaultSpec
  readonly forMs: number | null
  readonly nodes: readonly NodeOutcome[]
}

/** Base of the chaos commands. */
export abstract class ChaosCommand extends ClusterCommand {
  /** The cluster and its chaos driver. */
  protected async chaos(flags: ClusterFlagValues, timeout = '3s'): Promise<{cluster: ClusterHandle; chaos: ClusterChaos}> {
    const cluster = await this.openHandle(flags)
    const {ClusterChaos} = await import('../cluster/index.js')
    return {cluster, chaos: new ClusterChaos(cluster, {timeoutMs: this.duration(timeout, '--timeout', 'timeout')})}
  }

  /**
   * Add `fault` on `nodes` (default: every node) with the common flags, print what was done,
   * and return the JSON document. Exit 1 (after printing) when some running node refused it.
   */
  protected async addFault(
    flags: ClusterFlagValues & {for?: string; id?: string; timeout: string},
    fault: FaultSpec,
    nodes?: readonly string[],
  ): Promise<AddedFaultJson> {
    const forMs = flags.for === undefined ? undefined : this.positiveDuration(flags.for, '--for')
    const {chaos} = await this.chaos(flags, flags.timeout)
    const result = await chaos.add(fault, {nodes, forMs, id: flags.id})
    const doc: AddedFaultJson = {id: result.id, fault: result.fault, forMs: result.forMs, nodes: result.nodes}
    const {describeFaultSpec} = await import('../chaos/faults.js')
    const on = result.nodes.filter((n) => n.ok).map((n) => n.id)
    const heal = forMs === undefined ? `; heal it with: raftctl chaos heal --id ${result.id}` : ` for ${formatDuration(forMs)}, then it heals by itself`
    this.log(`Added ${result.id}: ${describeFaultSpec(fault)} on ${on.join(', ')}${heal}.`)
    this.reportOutcomes(result)
    const failed = result.nodes.filter((n) => n.error)
    if (failed.length > 0) {
      if (this.jsonEnabled()) this.logJson({...doc, error: {code: 'FAILED', message: `not added on ${failed.map((n) => n.id).join(', ')}`}})
      throw new ReportedError('FAILED', `the fault was not added on ${failed.map((n) => `${n.id} (${n.error!.message})`).join(', ')}`)
    }
    return doc
  }

  /** Warn (stderr) about nodes skipped because they are down or paused, or that failed. */
  protected reportOutcomes(result: {nodes: readonly NodeOutcome[]}): void {
    for (const n of result.nodes) {
      if (n.skipped) this.warnLine(`${n.id} skipped: it is ${n.skipped} (a node that is not running gets no fault; a restarted node starts with none)`)
      else if (n.error) this.warnLine(`${n.id}: ${n.error.code}: ${n.error.message}`)
    }
  }

  /** One line on stderr, unless --json. */
  protected warnLine(text: string): void {
    if (!this.jsonEnabled()) process.stderr.write(`Warning: ${text}\n`)
  }

  /** A duration flag that must be > 0 (the `span` minimum of DURATION_MINIMUMS: at least 1ms). */
  protected positiveDuration(text: string, flag: string): number {
    return this.duration(text, flag, 'span')
  }
}

/** The result type re-exported for commands. */
export type {AddResult}
