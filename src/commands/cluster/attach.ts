/**
 * `raftctl cluster attach NAME`: record a cluster whose nodes run elsewhere (its endpoints, secret
 * file and TLS files) in RAFTCTL_HOME, so every command that speaks to nodes works on it with
 * `--cluster NAME`. Nothing runs here and no data is kept; the workflow is in src/cluster/attached.ts.
 */
import {Args, Flags} from '@oclif/core'
import {ClusterCommand} from '../../cli/cluster-command.js'
import {RaftctlError} from '../../common/errors.js'
import type {AttachResult} from '../../cluster/index.js'

/** `raftctl cluster attach --json`. */
export type ClusterAttachResult = AttachResult

export default class ClusterAttach extends ClusterCommand {
  static override summary = 'Record a cluster whose nodes run on other hosts'
  static override description = `Checks that the endpoints answer as nodes of one cluster (their status over the admin channel, with the secret of --secret-file), learns the cluster id and the members from the cluster's configuration, and records NAME in RAFTCTL_HOME/NAME/attached.json: the endpoints, the absolute paths of the secret file and TLS files (read again at every use), and the cluster id. Nothing is started and no data is kept.

Then every command that speaks to nodes works on it with --cluster NAME (or RAFTCTL_CLUSTER=NAME): status, leader, leader transfer, election trigger, member list|add|remove|promote, kv, chaos (live faults). Members that no endpoint names are reached at the address they advertise. Commands that need local processes (node start|stop|kill|…, node add, cluster stop|destroy) refuse with NOT_LOCAL (exit 2) and say what to use instead. "raftctl cluster detach NAME" forgets it.

The secret file must be private (mode 600): one that group or others can read is refused (INSECURE_FILE). Endpoints of two different clusters are refused (CLUSTER_MISMATCH). Without any flag of the command, --endpoints and --secret-file also work on every command for one-off use.`

  static override examples = [
    {description: 'Attach three nodes on other hosts', command: '<%= config.bin %> <%= command.id %> prod --endpoints ws://10.0.0.1:7001,ws://10.0.0.2:7001,ws://10.0.0.3:7001 --secret-file /etc/raftctl/secret'},
    {description: 'With TLS (wss) and a private CA', command: '<%= config.bin %> <%= command.id %> prod --endpoints wss://10.0.0.1:7001 --secret-file ./secret --tls-ca ./ca.pem'},
    {description: 'Then drive it', command: '<%= config.bin %> status --cluster prod'},
  ]

  static override args = {
    name: Args.string({description: 'name to give the cluster (letters, digits, ".", "_", "-")', required: true}),
  }

  static override flags = {
    endpoints: Flags.string({description: 'node URLs, comma-separated: ws://HOST:PORT or wss://HOST:PORT (one is enough: the others are learned)', env: 'RAFTCTL_ENDPOINTS'}),
    'secret-file': Flags.string({description: 'file holding the cluster\'s client secret (first line; mode 600)', env: 'RAFTCTL_SECRET_FILE'}),
  }

  async run(): Promise<ClusterAttachResult> {
    const {args, flags} = await this.parse(ClusterAttach)
    if (flags.endpoints === undefined) throw new RaftctlError('BAD_USAGE', 'cluster attach needs --endpoints URL,… (the nodes to reach)')
    if (flags['secret-file'] === undefined) throw new RaftctlError('BAD_USAGE', 'cluster attach needs --secret-file F (the file holding the cluster\'s client secret)')
    const {attachCluster} = await import('../../cluster/index.js')
    const result = await attachCluster(args.name, {
      endpoints: flags.endpoints,
      secretFile: flags['secret-file'],
      tls: {ca: flags['tls-ca'], cert: flags['tls-cert'], key: flags['tls-key']},
    })
    const leader = result.leader === null ? 'no leader' : `leader ${result.leader}, term ${result.term}`
    this.log(`Attached cluster ${result.cluster}${result.clusterId ? ` (id ${result.clusterId})` : ''}: ${result.members.join(', ')}; ${leader}.`)
    this.log(`Use it with: raftctl status --cluster ${result.cluster}   (forget it with: raftctl cluster detach ${result.cluster})`)
    return result
  }
}
