/**
 * `raftctl wal dump DIR|NODE [--from N] [--to N] [--json]`: print a stopped node's WAL and
 * snapshots read-only, with every problem (etcd-dump-logs). The workflow is src/daemon/wal-dump.ts.
 */
import {existsSync, statSync} from 'node:fs'
import {Args, Flags} from '@oclif/core'
import {RaftctlError} from '../../common/errors.js'
import {ReportedError} from '../../cli/base.js'
import {ClusterCommand} from '../../cli/cluster-command.js'
import {StreamOutput} from '../../cli/stream-output.js'
import type {WalDump as WalDumpReport} from '../../daemon/wal-dump.js'

function isDirectory(path: string): boolean {
  return statSync(path, {throwIfNoEntry: false})?.isDirectory() ?? false
}

/** One JSON document, the entries written one by one as they are decoded. */
async function printJson(dump: WalDumpReport, out: StreamOutput): Promise<void> {
  await out.write(`${JSON.stringify(dump.header).slice(0, -1)},"entries":[`)
  let first = true
  for (const e of dump.entries()) {
    if (out.gone) return
    await out.write(`${first ? '\n' : ',\n'}${JSON.stringify(e)}`)
    first = false
  }
  await out.write(']}\n')
}

/** The header lines, one line per entry, the verdict. */
async function printHuman(dump: WalDumpReport, out: StreamOutput): Promise<void> {
  const {formatHeaderLines, formatEntryLine, formatVerdict, ENTRY_HEADING} = await import('../../daemon/wal-dump.js')
  for (const line of formatHeaderLines(dump.header)) await out.write(`${line}\n`)
  if (dump.header.shown > 0) await out.write(`${ENTRY_HEADING}\n`)
  for (const e of dump.entries()) {
    if (out.gone) return
    await out.write(`${formatEntryLine(e)}\n`)
  }
  await out.write(`${formatVerdict(dump.header)}\n`)
}

export default class WalDump extends ClusterCommand {
  static override summary = "Print a node's write-ahead log and snapshots, and every problem in them (read-only)"
  static override description = `Reads a node's storage without changing a byte: the hard state (term, vote, commit), each snapshot file (index, term, size, members), each WAL segment, then every entry of the log (index, term, type normal/config/noop, and the decoded command: for KV writes the op, key, value size and session; for config entries the membership change). It lists every problem with its file and byte offset: "corrupt" (a checksum failure or other damage recovery would refuse), "torn" (a torn tail a crash leaves; recovery truncates it), "unknown" (a file that is not storage's).

DIR is a node's data directory (holding raft/wal) or a storage directory (holding wal/); NODE is the id of a node of the local cluster --cluster. A name without "/" that is not an existing directory is a NODE (write ./n1 for a folder named n1). A running node is refused (NODE_RUNNING): reading is safe, but its files change under the reader; stop it first or pass --force.

Exit 0 for a clean log or one whose only problems are a torn tail or unknown files, 1 when corruption is found. JSON: {"dir", "hardState", "snapshots": [...], "segments": [...], "problems": [{"kind", "file", "offset", "message"}], "clean", "corrupt", "entryCount", "shown", "entries": [{"index", "term", "type", "bytes", "file", "offset", "command"|"change", "error"?}]}, one document, written as it is read.`

  static override examples = [
    {description: 'The log of n1 of the default cluster (stopped)', command: '<%= config.bin %> <%= command.id %> n1'},
    {description: 'Entries 100 to 200 of a data directory', command: '<%= config.bin %> <%= command.id %> /var/lib/raftctl/n2 --from 100 --to 200'},
    {description: 'Problems only, for scripts', command: "<%= config.bin %> <%= command.id %> n3 --json | jq '.problems'"},
  ]

  static override args = {target: Args.string({description: "a node's data directory, or a node id of the local cluster", required: true})}

  static override flags = {
    from: Flags.integer({description: 'first entry index to print', min: 1}),
    to: Flags.integer({description: 'last entry index to print', min: 1}),
    force: Flags.boolean({description: 'read a running node anyway (the output may mix states)', default: false}),
  }

  async run(): Promise<undefined> {
    const {args, flags} = await this.parse(WalDump)
    if (flags.from !== undefined && flags.to !== undefined && flags.from > flags.to) throw new RaftctlError('BAD_USAGE', `--from ${flags.from} is after --to ${flags.to}`)
    const dir = await this.dataDir(args.target, flags.cluster, flags.force)
    const {walDump} = await import('../../daemon/wal-dump.js')
    const dump = walDump(dir, {from: flags.from, to: flags.to})
    const {header} = dump
    const out = new StreamOutput()
    try {
      if (this.jsonEnabled()) await printJson(dump, out)
      else await printHuman(dump, out)
    } finally {
      out.close()
    }
    if (header.corrupt) {
      const n = header.problems.filter((p) => p.kind === 'corrupt').length
      throw new ReportedError('CORRUPT', `${n} corruption problem(s) in ${header.dir} (listed above)`)
    }
    return undefined
  }

  /** The data directory of `target`: a path, or a node of the local cluster; NODE_RUNNING when its daemon runs (unless forced). */
  private async dataDir(target: string, clusterName: string, force: boolean): Promise<string> {
    const {LocalCluster, findNode, localNodeOfDir} = await import('../../cluster/index.js')
    const isPath = target.includes('/') || isDirectory(target)
    let node: {cluster: string; id: string} | null
    let dir = target
    if (isPath) {
      node = localNodeOfDir(target)
    } else {
      const cluster = await this.openCluster(clusterName)
      findNode(cluster.manifest(), target)
      node = {cluster: clusterName, id: target}
      dir = cluster.paths.dataDir(target)
      if (!existsSync(dir)) throw new RaftctlError('NOT_FOUND', `${target} has no data yet (${dir}): it was never started`)
    }
    if (node === null || force) return dir
    const pid = new LocalCluster(node.cluster).pid(node.id)
    if (pid !== null) {
      throw new RaftctlError('NODE_RUNNING', `${node.id} of cluster ${node.cluster} is running (pid ${pid}): reading its WAL is safe, but the files change as it runs, so the output would be a moving target. Stop it first (raftctl node stop ${node.id} --cluster ${node.cluster}), or pass --force to read it anyway`)
    }
    return dir
  }
}
