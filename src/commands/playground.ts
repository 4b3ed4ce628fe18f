/**
 * `raftctl playground`: serve, on 127.0.0.1, a page where the real Raft core runs in the
 * browser on a simulated network and a virtual clock, to watch, break and replay; print its
 * URL (with this run's token) and run until Ctrl-C.
 */
import {existsSync, readFileSync} from 'node:fs'
import {Flags} from '@oclif/core'
import {RaftctlError} from '../common/errors.js'
import {BaseCommand} from '../cli/base.js'
import {untilInterrupted} from '../cli/render.js'
import {openBrowser} from '../cli/browser.js'
import {GUIDED, guided} from '../playground/guided.js'
import {SCENARIO_LIMITS, ScenarioError, encodeLink, parseScenario} from '../playground/scenario.js'
import {parseTrace} from '../playground/trace.js'
import type {PlaygroundServerOptions} from '../dashboard/playground.js'

/** `raftctl playground --json`: one line once it serves (then nothing more on stdout). */
export interface PlaygroundStarted {
  /** The page to open, with its token (and the scenario, when one was given, after `#`). */
  readonly url: string
  readonly port: number
  readonly nodes: number
  readonly seed: number
  readonly scenario: string | null
  /** The simulator trace shown (--trace), if any. */
  readonly trace: string | null
}

export default class Playground extends BaseCommand {
  static override summary = 'Learn Raft in the browser: the real core on a simulated network you can break and replay'
  static override description = `Serves a page on 127.0.0.1 where raftctl's own Raft core (the code the daemons run, src/raft, built to dist/raft) runs in the browser on a simulated network and a virtual clock. Watch nodes (role, term, vote, election timer), messages in flight and every node's log; play, pause, step one event, change the speed (0.1x-10x) or scrub back in time (a replay: the run is deterministic). Click to stop or restart a node, make it time out now, partition (drag a box around nodes, one-way too), drop or delay a link, send a client request, add or remove a node, transfer leadership. Change the election timeout, heartbeat interval, PreVote and CheckQuorum. Copy a link (seed, settings and actions) that replays the same way, or download it as a scenario file. Guided scenarios: ${GUIDED.map((g) => g.name).join(', ')}.

The URL carries a random token for this run; any request without it gets 401. The page loads nothing from elsewhere and works offline. Runs until Ctrl-C. See docs/playground.md.`

  static override examples = [
    {description: 'Five nodes on a free port, opening the browser', command: '<%= config.bin %> <%= command.id %> --open'},
    {description: 'Three nodes, seed 42', command: '<%= config.bin %> <%= command.id %> --nodes 3 --seed 42'},
    {description: 'A guided scenario', command: '<%= config.bin %> <%= command.id %> --scenario split-vote'},
    {description: 'A scenario file downloaded from the page', command: '<%= config.bin %> <%= command.id %> --scenario my-run.json'},
  ]

  static override flags = {
    port: Flags.integer({char: 'p', description: 'TCP port on 127.0.0.1 (0: a free port)', default: 0, min: 0, max: 65_535}),
    open: Flags.boolean({description: 'open the URL in the default browser (xdg-open / open)', default: false}),
    nodes: Flags.integer({char: 'n', description: `cluster size (${SCENARIO_LIMITS.minNodes}-${SCENARIO_LIMITS.maxNodes})`, default: SCENARIO_LIMITS.defaultNodes, min: SCENARIO_LIMITS.minNodes, max: SCENARIO_LIMITS.maxNodes}),
    seed: Flags.integer({char: 's', description: 'seed of the run (default: a random one, shown on the page)', min: 0, max: SCENARIO_LIMITS.maxSeed}),
    trace: Flags.string({description: 'show a simulator trace written by "raftctl sim run --seed N --trace FILE" instead of a playground run'}),
    scenario: Flags.string({description: `a guided scenario (${GUIDED.map((g) => g.name).join(', ')}) or a scenario file downloaded from the page`}),
  }

  async run(): Promise<undefined> {
    const {flags} = await this.parse(Playground)
    const seed = flags.seed ?? Math.floor(Math.random() * 1_000_000)
    if (flags.scenario !== undefined && flags.trace !== undefined) throw new RaftctlError('BAD_USAGE', '--scenario and --trace cannot be used together')
    const fragment = flags.scenario === undefined ? '' : `#${scenarioFragment(flags.scenario)}`
    const trace = flags.trace === undefined ? undefined : readTrace(flags.trace)
    await servePlayground({port: flags.port, nodes: flags.nodes, seed, trace, fragment, open: flags.open}, (url, port) => {
      if (this.jsonEnabled()) {
        const started: PlaygroundStarted = {url, port, nodes: flags.nodes, seed, scenario: flags.scenario ?? null, trace: flags.trace ?? null}
        process.stdout.write(`${JSON.stringify(started)}\n`)
      } else {
        const what = flags.trace ? `trace ${flags.trace}` : flags.scenario ?? `${flags.nodes} nodes, seed ${seed}`
        this.log(`Raft playground (${what}): ${url}`)
        this.log('The page runs the real Raft core in your browser. Ctrl-C to stop.')
      }
    })
    if (!this.jsonEnabled()) this.log('Playground stopped.')
    return undefined
  }
}

/** Options of {@link servePlayground}. */
export interface ServeOptions extends PlaygroundServerOptions {
  /** Appended to the URL (`#…`: a scenario). */
  readonly fragment?: string
  /** Open the URL in the browser too. */
  readonly open?: boolean
}

/**
 * Serve the playground page until Ctrl-C (SIGINT / SIGTERM): `announce` gets its URL once it
 * listens. For `raftctl playground` and `raftctl sim run --open`.
 */
export async function servePlayground(options: ServeOptions, announce: (url: string, port: number) => void): Promise<void> {
  const {PlaygroundServer} = await import('../dashboard/playground.js')
  const server = await PlaygroundServer.start(options).catch((error: Error & {code?: string}) => {
    if (error.code === 'EADDRINUSE') throw new RaftctlError('BAD_USAGE', `port ${options.port ?? 0} on 127.0.0.1 is in use (pass --port 0 for a free one)`)
    throw error
  })
  const url = server.url + (options.fragment ?? '')
  const interrupted = untilInterrupted()
  try {
    announce(url, server.port)
    if (options.open) openBrowser(url, (message) => process.stderr.write(`${message}\n`))
    await interrupted.promise
  } finally {
    interrupted.stop()
    await server.close()
  }
}

/** A trace file's text, checked; a bad file is a usage error. */
function readTrace(file: string): string {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
    parseTrace(JSON.parse(text))
  } catch (error) {
    throw new RaftctlError('BAD_USAGE', `${file} is not a simulator trace: ${(error as Error).message}`)
  }
  return text
}

/** The URL fragment that opens `scenario`: a guided scenario's name, or a scenario file's contents as a link. */
function scenarioFragment(scenario: string): string {
  if (guided(scenario)) return `scenario=${scenario}`
  if (!existsSync(scenario)) {
    throw new RaftctlError('BAD_USAGE', `unknown scenario ${JSON.stringify(scenario)}: not a guided scenario (${GUIDED.map((g) => g.name).join(', ')}) nor a file`)
  }
  try {
    return encodeLink(parseScenario(JSON.parse(readFileSync(scenario, 'utf8'))))
  } catch (error) {
    const why = error instanceof ScenarioError ? error.message : `not JSON (${(error as Error).message})`
    throw new RaftctlError('BAD_USAGE', `${scenario} is not a playground scenario: ${why}`)
  }
}
