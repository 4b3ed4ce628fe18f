/**
 * `raftctl cluster detach NAME`: forget an attached cluster (its record in RAFTCTL_HOME). Its
 * nodes, which run elsewhere, are not touched.
 */
import {Args} from '@oclif/core'
import {ClusterCommand} from '../../cli/cluster-command.js'

/** `raftctl cluster detach --json`. */
export interface ClusterDetachResult {
  readonly cluster: string
  readonly detached: true
  /** The folder removed (it held only the attachment record). */
  readonly path: string
}

export default class ClusterDetach extends ClusterCommand {
  static override summary = 'Forget an attached cluster (its nodes keep running)'
  static override description = `Removes the record "raftctl cluster attach" wrote in RAFTCTL_HOME/NAME. The nodes run elsewhere and are not touched; attach again to drive them. A local cluster is refused (BAD_USAGE): stop or destroy it instead.`

  static override examples = [{description: 'Forget "prod"', command: '<%= config.bin %> <%= command.id %> prod'}]

  static override args = {
    name: Args.string({description: 'the attached cluster', required: true}),
  }

  async run(): Promise<ClusterDetachResult> {
    const {args} = await this.parse(ClusterDetach)
    const {detachCluster} = await import('../../cluster/index.js')
    const path = detachCluster(args.name)
    this.log(`Detached cluster ${args.name} (its nodes were not touched).`)
    return {cluster: args.name, detached: true, path}
  }
}
