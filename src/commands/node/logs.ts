/**
 * `raftctl node logs NODE [-f] [-n 50]`: the tail of a node's log file, readable by default.
 */
import {existsSync} from 'node:fs'
import {Flags} from '@oclif/core'
import {RaftctlError} from '../../common/errors.js'
import {ClusterCommand, nodeArg} from '../../cli/cluster-command.js'
import {followLines, formatLogLine, lastLines} from '../../cli/logs.js'
import {untilInterrupted, useColor} from '../../cli/render.js'

/** `raftctl node logs --json` (without --follow, which prints the lines as they come): the node, its log file, the last lines. */
export interface NodeLogsResult {
  readonly node: string
  readonly file: string
  readonly lines: string[]
}

export default class NodeLogs extends ClusterCommand {
  static override summary = "Show the tail of a node's log"
  static override description = `Prints the last --lines lines of the node's log file (RAFTCTL_HOME/<cluster>/logs/<node>.log). The daemon logs JSON lines; they are shown as "time level message key=value…" unless --raw. --follow keeps printing lines as they are written, until Ctrl-C (exit 0). With --json, prints {"node", "file", "lines": [...]} (the raw lines), or with --follow the raw JSON lines as they come.`

  static override examples = [
    {description: 'The last 50 lines of n1', command: '<%= config.bin %> <%= command.id %> n1'},
    {description: 'Follow the leader\'s log', command: '<%= config.bin %> <%= command.id %> $(<%= config.bin %> leader --json | jq -r .leader) -f'},
    {description: 'The last 200 raw JSON lines, for jq', command: '<%= config.bin %> <%= command.id %> n2 -n 200 --raw | jq -c \'select(.level >= 40)\''},
  ]

  static override args = {node: nodeArg()}

  static override flags = {
    follow: Flags.boolean({char: 'f', description: 'keep printing new lines until Ctrl-C', default: false}),
    lines: Flags.integer({char: 'n', description: 'how many of the last lines to print', default: 50, min: 0}),
    raw: Flags.boolean({description: 'print the JSON lines as written', default: false}),
  }

  async run(): Promise<NodeLogsResult | undefined> {
    const {args, flags} = await this.parse(NodeLogs)
    const cluster = await this.openCluster(flags.cluster)
    const {findNode} = await import('../../cluster/index.js')
    findNode(cluster.manifest(), args.node)
    const file = cluster.paths.logFile(args.node)
    if (!existsSync(file)) throw new RaftctlError('NOT_FOUND', `${args.node} has no log yet (${file}): it was never started`)
    const color = useColor()
    const show = (line: string): string => (flags.raw || this.jsonEnabled() ? line : formatLogLine(line, color))
    const {lines, size} = await lastLines(file, flags.lines)
    if (!flags.follow) {
      if (!this.jsonEnabled()) for (const line of lines) this.log(show(line))
      return {node: args.node, file, lines}
    }
    for (const line of lines) process.stdout.write(`${show(line)}\n`)
    const interrupted = untilInterrupted()
    try {
      await followLines(file, size, (more) => {
        for (const line of more) process.stdout.write(`${show(line)}\n`)
      }, interrupted.promise)
    } finally {
      interrupted.stop()
    }
    return undefined
  }
}
