/**
 * `raftctl node run`: one Raft daemon in the foreground (what `cluster start` spawns detached).
 */
import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base.js'
import {NODE_RUN_OPTIONS as O} from '../../daemon/run-options.js'

export default class NodeRun extends BaseCommand {
  static override enableJsonFlag = false
  static override summary = 'Run one Raft node in the foreground'
  static override description = `Starts a daemon that recovers its log from --data-dir, listens on --listen for peers
(/raft, authenticated with the peer secret of --peer-secret-file), clients (/client) and operators
(/admin, both with the client secret of --secret-file), and serves GET /health and GET /metrics (Prometheus) on the same port. SIGTERM or SIGINT stop it
gracefully (exit 0). A new cluster's founders all pass the same --initial-cluster; a node that
joins an existing cluster passes none and is added with "raftctl member add". Every node of one
cluster gets the same --cluster-id; the daemon records it (and --id) in the data dir and refuses
to start on a folder of another node or another cluster (IDENTITY_MISMATCH).

After losing a quorum for good, --force-new-cluster --cluster-id NEW starts a survivor as a
one-node cluster (its log kept and committed, the other members removed, the new id recorded so
the old members can never rejoin); then add nodes back with "raftctl member add". Run it once.
See docs/operations.md.

--restore FILE first lays out the data dir from a "raftctl snapshot save" file, as one node of a new cluster (docs/operations.md): give every node of the restored cluster the same file, the same NEW --cluster-id and the same --initial-cluster.`

  static override examples = [
    {
      description: 'Three founders on one machine (run each in its own terminal)',
      command: '<%= config.bin %> <%= command.id %> --id n1 --listen 127.0.0.1:7001 --data-dir ./n1 --secret-file ./secret --peer-secret-file ./peer-secret --initial-cluster n1,n2,n3 --peers n2=127.0.0.1:7002,n3=127.0.0.1:7003',
    },
    {
      description: 'A node on another host, with TLS',
      command: '<%= config.bin %> <%= command.id %> --id n4 --listen 0.0.0.0:7001 --advertise wss://10.0.0.4:7001 --data-dir /var/lib/raftctl --secret-file /etc/raftctl/secret --peer-secret-file /etc/raftctl/peer-secret --peers n1=wss://10.0.0.1:7001 --tls-cert node.pem --tls-key node-key.pem --tls-ca ca.pem',
    },
    {
      description: 'One of three nodes of a new cluster restored from a backup (the same file, --cluster-id and --initial-cluster on each)',
      command: '<%= config.bin %> <%= command.id %> --id h1 --listen 0.0.0.0:7001 --advertise ws://10.0.0.1:7001 --data-dir /var/lib/raftctl --secret-file /etc/raftctl/secret --peer-secret-file /etc/raftctl/peer-secret --peers h2=10.0.0.2:7001,h3=10.0.0.3:7001 --initial-cluster h1,h2,h3 --cluster-id 5c1e0a77d2b94f31 --restore /backups/prod.snap',
    },
    {
      description: 'Disaster recovery on a host whose two peers are gone for good: restart n1 alone under a new cluster id',
      command: '<%= config.bin %> <%= command.id %> --id n1 --listen 0.0.0.0:7001 --data-dir /var/lib/raftctl --secret-file /etc/raftctl/secret --peer-secret-file /etc/raftctl/peer-secret --force-new-cluster --cluster-id 5c1e0a9d7b2f4e31',
    },
  ]

  static override flags = {
    config: Flags.string({description: 'JSON file with any of these options (flags override it)'}),
    id: Flags.string({description: 'node id, e.g. n1'}),
    listen: Flags.string({description: 'HOST:PORT to listen on (port 0 picks a free port)', default: O.listen.default}),
    advertise: Flags.string({description: 'address peers and clients use (ws://HOST:PORT); default: the listen address'}),
    peers: Flags.string({description: 'known peers: ID=HOST:PORT,… (ws:// or wss:// URLs too)', default: O.peers.default}),
    'initial-cluster': Flags.string({description: 'founding voters of a NEW cluster: ID,ID,… (ignored once the data dir holds state)', default: O['initial-cluster'].default}),
    'cluster-id': Flags.string({description: 'the cluster id (status --json shows it): the data dir must belong to it, and peers and clients of another cluster are refused. Give every node of a cluster the same one; a new one-node --initial-cluster generates one without it'}),
    'force-new-cluster': Flags.boolean({description: 'disaster recovery: before starting, make this node\'s membership itself alone (its log and state kept, the whole log committed) and record the NEW --cluster-id; grow the cluster back with member add (raftctl recover does this for local clusters)', default: false}),
    rejoin: Flags.boolean({description: 'this node was a member before: if its data dir is new (its data was lost), it rebuilds and refuses to vote until it has caught up with the leader (status shows "rebuilding")', default: false}),
    'data-dir': Flags.string({description: 'where the WAL, snapshots and hard state live'}),
    'secret-file': Flags.string({description: 'file holding the client secret (first line, at least 16 characters)'}),
    'peer-secret-file': Flags.string({description: 'file holding the peer secret, the only credential /raft accepts (without it, any client can speak as a peer: a warning is logged)'}),
    tick: Flags.string({description: 'duration of one Raft tick', default: O.tick.default}),
    'election-ticks': Flags.integer({description: 'election timeout base T in ticks (timeouts drawn from [T, 2T))', default: O['election-ticks'].default}),
    'heartbeat-ticks': Flags.integer({description: 'heartbeat interval in ticks', default: O['heartbeat-ticks'].default}),
    'snapshot-every': Flags.integer({description: 'snapshot after this many applied entries (0: never)', default: O['snapshot-every'].default}),
    'compaction-lag': Flags.integer({description: 'entries kept behind a snapshot for slow followers', default: O['compaction-lag'].default}),
    'snapshot-every-bytes': Flags.string({description: 'also snapshot once the entries applied since the last snapshot hold this much data, e.g. 64MiB (bounds memory and WAL with large values; 0: no byte trigger)', default: O['snapshot-every-bytes'].default}),
    'compaction-lag-bytes': Flags.string({description: 'most entry data kept behind a snapshot, e.g. 16MiB: compaction keeps at most --compaction-lag entries and at most this much data (0: none)', default: O['compaction-lag-bytes'].default}),
    'watch-history': Flags.integer({description: 'changing entries whose changes are kept for watches to resume from (older: COMPACTED)', default: O['watch-history'].default}),
    'segment-size': Flags.string({description: 'WAL segment size', default: O['segment-size'].default}),
    'wal-preallocate': Flags.string({description: 'zero-filled space kept ahead of the WAL end, so appends do not grow the file (0: off)', default: O['wal-preallocate'].default}),
    'request-timeout': Flags.string({description: 'per-request timeout for client requests', default: O['request-timeout'].default}),
    'consistency-check-every': Flags.string({description: 'while leader, compare every member\'s state hash this often and raise an alarm when they differ (e.g. 1m; off: never)', default: O['consistency-check-every'].default}),
    'tls-cert': Flags.string({description: 'PEM certificate: serve wss:// and https://', dependsOn: ['tls-key']}),
    'tls-key': Flags.string({description: 'PEM private key', dependsOn: ['tls-cert']}),
    'tls-ca': Flags.string({description: 'PEM CA to verify peers'}),
    'tls-client-ca': Flags.string({description: 'PEM CA: every connection (peers, admin and KV clients, /health, /metrics) must present a client certificate signed by it (mutual TLS); peers present --tls-cert', dependsOn: ['tls-cert', 'tls-key']}),
    'log-file': Flags.string({description: 'JSON-lines log file (default: stderr)'}),
    'log-level': Flags.string({description: 'log level', default: O['log-level'].default, options: [...O['log-level'].choices]}),
    'pid-file': Flags.string({description: 'write the pid here once listening'}),
    'status-file': Flags.string({description: 'keep the start-up status here (JSON: phase, percent read, ready or failed with its code), replaced atomically at each step'}),
    announce: Flags.boolean({description: 'print one JSON line with the bound address once listening', default: false}),
    'public-metrics': Flags.boolean({description: 'serve /metrics without the secret', default: false}),
    'unsafe-no-fsync': Flags.boolean({description: 'UNSAFE: never fsync; acknowledged writes can be lost on a crash', default: false}),
    'unsafe-follower-reads': Flags.boolean({description: 'UNSAFE: followers serve linearizable reads locally without ReadIndex (stale reads)', default: false}),
    restore: Flags.string({description: 'lay out the data dir from this "raftctl snapshot save" file first, as a node of the NEW cluster --cluster-id with the voters of --initial-cluster (ignored once the folder holds this node\'s data of that cluster)', dependsOn: ['cluster-id', 'initial-cluster']}),
    // No default: oclif counts a default as given, and would then demand --restore of every run.
    'force-restore': Flags.boolean({description: 'with --restore: delete the data the data dir holds and restore (refused without --restore)'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(NodeRun)
    const {buildDaemonConfig} = await import('../../daemon/flags.js')
    const {runDaemon} = await import('../../daemon/main.js')
    const config = buildDaemonConfig(flags)
    const code = await runDaemon(config, {pidFile: flags['pid-file'], statusFile: flags['status-file'], announce: flags.announce})
    this.exit(code)
  }
}
