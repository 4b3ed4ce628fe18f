/**
 * `raftctl cluster destroy`: kill every node and delete the cluster's folder (manifest, secret,
 * data, logs). Asks first unless --yes; without a terminal it refuses (NEEDS_CONFIRMATION).
 */
import {Flags} from '@oclif/core'
import {RaftctlError} from '../../common/errors.js'
import {ClusterCommand} from '../../cli/cluster-command.js'
import {canPrompt, plural} from '../../cli/render.js'

/** `raftctl cluster destroy --json`. */
export interface ClusterDestroyResult {
  readonly cluster: string
  readonly destroyed: true
  /** Nodes that were running and were killed. */
  readonly killed: string[]
  /** The folder deleted. */
  readonly path: string
}

export default class ClusterDestroy extends ClusterCommand {
  static override summary = 'Kill every node and delete the cluster and all its data'
  static override description = `Sends SIGKILL to every running node of the cluster, then deletes RAFTCTL_HOME/<name>: the manifest, the secret, every node's data folder, logs and pid files. This cannot be undone, so the command asks for confirmation; --yes skips the question. Without a terminal (a script, CI) and without --yes it fails with NEEDS_CONFIRMATION (exit 2).`

  static override examples = [
    {description: 'Destroy the default cluster (asks first)', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'In a script: no question', command: '<%= config.bin %> <%= command.id %> --cluster big --yes'},
  ]

  static override flags = {
    yes: Flags.boolean({char: 'y', description: 'do not ask for confirmation', default: false}),
  }

  async run(): Promise<ClusterDestroyResult> {
    const {flags} = await this.parse(ClusterDestroy)
    const cluster = await this.openCluster(flags.cluster)
    const m = cluster.manifest()
    const running = m.nodes.map((n) => ({id: n.id, pid: cluster.pid(n.id)})).filter((n) => n.pid !== null)
    if (!flags.yes) {
      if (this.jsonEnabled() || !canPrompt()) {
        throw new RaftctlError('NEEDS_CONFIRMATION', `destroying cluster ${flags.cluster} deletes all its data: pass --yes to confirm (no terminal to ask on)`)
      }
      const {confirm} = await import('@inquirer/prompts')
      const question = `Destroy cluster "${flags.cluster}"? This kills ${plural(running.length, 'running node')} and deletes ${cluster.paths.dir} with all its data.`
      let ok = false
      try {
        ok = await confirm({message: question, default: false})
      } catch (error) {
        if ((error as Error).name !== 'ExitPromptError') throw error
      }
      if (!ok) throw new RaftctlError('FAILED', 'cancelled: nothing was destroyed')
    }
    await this.exclusive(cluster, () => cluster.destroy())
    this.log(`Destroyed cluster ${flags.cluster}: killed ${plural(running.length, 'node')}${running.length ? ` (${running.map((n) => n.id).join(', ')})` : ''}, deleted ${cluster.paths.dir}.`)
    return {cluster: flags.cluster, destroyed: true, killed: running.map((n) => n.id), path: cluster.paths.dir}
  }
}
