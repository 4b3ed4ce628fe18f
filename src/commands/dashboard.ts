/**
 * `raftctl dashboard`: serve a live web view of the local cluster on 127.0.0.1 and print its
 * URL (with this run's token); runs until Ctrl-C.
 */
import {Flags} from '@oclif/core'
import {RaftctlError} from '../common/errors.js'
import {ClusterCommand} from '../cli/cluster-command.js'
import {untilInterrupted} from '../cli/render.js'
import {openBrowser} from '../cli/browser.js'

/** `raftctl dashboard --json`: one line once it serves (the command then runs until Ctrl-C and prints nothing more). */
export interface DashboardStarted {
  /** The address to open, with its token. */
  readonly url: string
  readonly port: number
  readonly cluster: string
}

export default class Dashboard extends ClusterCommand {
  static override summary = 'Open a live web view of the cluster in the browser'
  static override description = `Serves a page on 127.0.0.1 that shows the local cluster live: every node (role, term, vote, election timer, commit / applied / last index, lag, last contact, health), the Raft messages between them as animated arrows (sampled), a timeline of terms, leaders, elections and chaos faults, throughput and commit-latency sparklines; and controls: trigger an election, transfer leadership, kill / restart / pause / resume a node, partition and heal, put a key. Destructive controls ask for confirmation on the page.

The URL carries a random token for this run; any request without it gets 401. Keep the URL to yourself: whoever has it can drive the cluster. Runs until Ctrl-C. With --json, prints one JSON line {"url", "port", "cluster"} once listening (and nothing else on stdout). See docs/dashboard.md.`

  static override examples = [
    {description: 'Serve the dashboard of the default cluster on a free port', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'On a fixed port, opening the browser', command: '<%= config.bin %> <%= command.id %> --port 8080 --open'},
  ]

  static override flags = {
    port: Flags.integer({char: 'p', description: 'TCP port on 127.0.0.1 (0: a free port)', default: 0, min: 0, max: 65_535}),
    open: Flags.boolean({description: 'open the URL in the default browser (xdg-open / open)', default: false}),
    interval: Flags.string({char: 'i', description: 'time between status polls (e.g. 250ms, 500ms)', default: '300ms'}),
  }

  async run(): Promise<undefined> {
    const {flags} = await this.parse(Dashboard)
    const pollMs = this.duration(flags.interval, '--interval', 'pollInterval')
    if (pollMs > 10_000) throw new RaftctlError('BAD_USAGE', `--interval must be at most 10s, got ${JSON.stringify(flags.interval)}`)
    const cluster = await this.openHandle(flags)
    const {DashboardServer} = await import('../dashboard/server.js')
    const json = this.jsonEnabled()
    const time = (): string => new Date().toTimeString().slice(0, 8)
    const server = await DashboardServer.start(cluster, {
      port: flags.port,
      pollMs,
      log: (line) => process.stderr.write(`${time()} ${line}\n`),
    }).catch((error: Error & {code?: string}) => {
      if (error.code === 'EADDRINUSE') throw new RaftctlError('BAD_USAGE', `port ${flags.port} on 127.0.0.1 is in use (pass --port 0 for a free one)`)
      throw error
    })
    const interrupted = untilInterrupted()
    try {
      if (json) {
        const started: DashboardStarted = {url: server.url, port: server.port, cluster: cluster.name}
        process.stdout.write(`${JSON.stringify(started)}\n`)
      } else {
        this.log(`Dashboard of cluster ${cluster.name}: ${server.url}`)
        this.log('Keep this URL to yourself: it carries the token that lets its holder drive the cluster. Ctrl-C to stop.')
      }
      if (flags.open) openBrowser(server.url, (message) => process.stderr.write(`${message}\n`))
      await interrupted.promise
    } finally {
      interrupted.stop()
      await server.close()
    }
    if (!json) this.log('Dashboard stopped.')
    return undefined
  }
}
