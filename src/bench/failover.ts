/**
 * `raftctl bench failover`: with a write load running, SIGKILL the leader at a random moment
 * and measure the time from the kill to the first write acknowledged by another node; count
 * the elections each failover took (from the admin `subscribe` events of every node); restart
 * the old leader, wait until the cluster is stable again, repeat.
 *
 * An election is a term in which some node started a real (not PreVote) election
 * (`electionStarted` with `pre: false`). A trial took a split vote when it needed more than one
 * election, or when a term's election ended without a leader for that term.
 */
import {readFileSync} from 'node:fs'
import {performance} from 'node:perf_hooks'
import type {AdminEvent} from '../admin/protocol.js'
import type {AdminClient, Subscription} from '../client/index.js'
import {activeNodes, type LocalCluster, type ClusterStatus} from '../cluster/index.js'
import {LoadGenerator, type Ack} from './loadgen.js'

/** Options of {@link runFailover}. */
export interface FailoverOptions {
  readonly trials: number
  /** Writing clients of the background load. Default 8. */
  readonly clients?: number
  readonly valueSize?: number
  readonly keys?: number
  /** Quiet time after the cluster is stable before the kill may come, ms. Default 1000. */
  readonly settleMs?: number
  /** The kill comes at a uniformly random moment within this long after the settle time, ms. Default 2000. */
  readonly jitterMs?: number
  /** Longest wait for the first acknowledged write after a kill, ms. Default 15000. */
  readonly trialTimeoutMs?: number
  /** Called after each trial. */
  readonly onTrial?: (t: FailoverTrial) => void
  /** Busy cores of other work the caller runs beside the cluster (src/bench/background.ts), for the report. Default 0. */
  readonly background?: number
}

/** One kill. */
export interface FailoverTrial {
  readonly trial: number
  readonly killed: string
  readonly termBefore: number
  /** The node that acknowledged the first write after the kill (null: none within the timeout). */
  readonly newLeader: string | null
  readonly termAfter: number | null
  /** Kill to first acknowledged write, ms (null: none within the timeout). */
  readonly failoverMs: number | null
  /**
   * Where the failover's time went, ms after the kill by the daemons' event times (wall clock,
   * same machine): `detectMs` to the first election or PreVote a survivor started (the election
   * timeout running out), `electedMs` to the new leader's `leaderChanged`; the rest, up to
   * `failoverMs`, is the new leader's first commit and the clients finding it. Null when no node
   * reported the event.
   */
  readonly detectMs: number | null
  readonly electedMs: number | null
  /** Real elections (terms campaigned in) between the kill and the first acknowledged write. */
  readonly elections: number
  /** PreVote rounds started in the same window. */
  readonly preVotes: number
  readonly splitVote: boolean
  /** Elections after the old leader was restarted, until the next trial's kill (0 expected: PreVote). */
  rejoinElections: number
}

/** Median, p99, max and min of some milliseconds (null when there are none). */
export interface MsSummary {readonly median: number | null; readonly p99: number | null; readonly max: number | null; readonly min: number | null}

/** Result of {@link runFailover}. */
export interface FailoverReport {
  readonly trials: FailoverTrial[]
  /** Over the trials that recovered. */
  readonly failoverMs: MsSummary
  /** The phases of {@link FailoverTrial}, over the trials that reported them. */
  readonly detectMs: MsSummary
  readonly electedMs: MsSummary
  readonly failed: number
  readonly splitVotes: number
  /** Trials that took exactly one election. */
  readonly singleElection: number
  readonly rejoinElections: number
  /** Writes acknowledged during the whole run. */
  readonly writes: number
  /** Busy cores of other work during the trials (`--background`). */
  readonly background: number
}

/** An admin event of one node, with the daemon's time (wall-clock ms). */
export interface LoggedEvent {
  readonly node: string
  readonly time: number
  readonly event: AdminEvent
}

/** Event subscriptions to every node, re-opened after a node restarts. */
class EventLog {
  readonly events: LoggedEvent[] = []
  private readonly subs = new Map<string, {client: AdminClient; sub: Subscription | null}>()

  constructor(private readonly cluster: LocalCluster) {}

  async subscribe(node: string): Promise<void> {
    await this.close(node)
    const client = this.cluster.admin(node, 3000)
    const entry: {client: AdminClient; sub: Subscription | null} = {client, sub: null}
    this.subs.set(node, entry)
    try {
      entry.sub = await client.subscribe((event, time) => {
        if (event.type === 'electionStarted' || event.type === 'leaderChanged' || event.type === 'roleChanged') this.events.push({node, time, event})
      })
    } catch {
      // The node may be down: its events are missed (the others still report theirs).
    }
  }

  async close(node: string): Promise<void> {
    const entry = this.subs.get(node)
    if (!entry) return
    this.subs.delete(node)
    await entry.sub?.unsubscribe().catch(() => undefined)
    await entry.client.close().catch(() => undefined)
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.subs.keys()].map((n) => this.close(n)))
  }

  /** Events with daemon time in [from, to] (wall-clock ms). */
  between(from: number, to: number): LoggedEvent[] {
    return this.events.filter((e) => e.time >= from && e.time <= to)
  }
}

/** Elections, PreVotes and split votes among `events`. */
export function countElections(events: readonly {event: AdminEvent}[]): {elections: number; preVotes: number; splitVote: boolean; terms: number[]} {
  const campaigned = new Set<number>()
  const won = new Set<number>()
  let preVotes = 0
  for (const {event} of events) {
    if (event.type === 'electionStarted') {
      if (event.pre) preVotes++
      else campaigned.add(event.term)
    } else if (event.type === 'leaderChanged' && event.leader !== null) {
      won.add(event.term)
    }
  }
  const terms = [...campaigned].sort((a, b) => a - b)
  const splitVote = terms.length > 1 || terms.some((t) => !won.has(t))
  return {elections: terms.length, preVotes, splitVote, terms}
}

/** Kill to the first election started and to the first leader elected among `events` (daemon time), ms. */
export function failoverPhases(events: readonly LoggedEvent[], killWall: number, killed: string): {detectMs: number | null; electedMs: number | null} {
  const since = (e: LoggedEvent | undefined): number | null => (e === undefined ? null : Math.max(0, e.time - killWall))
  return {
    detectMs: since(events.find((e) => e.event.type === 'electionStarted')),
    electedMs: since(events.find((e) => e.event.type === 'leaderChanged' && e.event.leader !== null && e.event.leader !== killed)),
  }
}

/** The nearest-rank percentile of `values` (null when empty). */
export function percentileOf(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.max(0, Math.ceil((q / 100) * sorted.length) - 1)]!
}

/** Run the failover trials against a running cluster. */
export async function runFailover(cluster: LocalCluster, options: FailoverOptions): Promise<FailoverReport> {
  const settleMs = options.settleMs ?? 1000
  const jitterMs = options.jitterMs ?? 2000
  const trialTimeoutMs = options.trialTimeoutMs ?? 15_000
  const nodes = activeNodes(cluster.manifest())
  const first = await stable(cluster)
  const state: {waiter: {killed: string; after: number; resolve: (ack: Ack) => void} | null} = {waiter: null}
  let writes = 0
  const gen = new LoadGenerator({
    endpoints: nodes.map((n) => ({id: n.id, url: n.address})),
    secret: cluster.secret(),
    clients: options.clients ?? 8,
    durationMs: 24 * 3600 * 1000,
    valueSize: options.valueSize ?? 100,
    keys: options.keys ?? 1000,
    readRatio: 0,
    leaderHint: first.leader ?? undefined,
    requestTimeoutMs: 2000,
    opDeadlineMs: trialTimeoutMs,
    onAck: (ack) => {
      writes++
      const w = state.waiter
      if (w !== null && ack.node !== w.killed && ack.endedAt > w.after) {
        state.waiter = null
        w.resolve(ack)
      }
    },
  })
  const log = new EventLog(cluster)
  const load = gen.run()
  const trials: FailoverTrial[] = []
  try {
    await Promise.all(nodes.map((n) => log.subscribe(n.id)))
    let lastRestart: number | null = null
    for (let trial = 1; trial <= options.trials; trial++) {
      await stable(cluster)
      await sleep(settleMs + Math.random() * jitterMs)
      const st = await stable(cluster)
      const leader = st.leader!
      const pid = cluster.pid(leader)
      if (pid === null) throw new Error(`the leader ${leader} has no pid`)
      const termBefore = st.nodes.find((n) => n.id === leader)?.term ?? st.term
      if (lastRestart !== null && trials.length > 0) trials[trials.length - 1]!.rejoinElections = countElections(log.between(lastRestart, Date.now())).elections
      const acked = new Promise<Ack | null>((resolve) => {
        const timer = setTimeout(() => {
          state.waiter = null
          resolve(null)
        }, trialTimeoutMs)
        state.waiter = {killed: leader, after: Number.POSITIVE_INFINITY, resolve: (ack) => {
          clearTimeout(timer)
          resolve(ack)
        }}
      })
      const wallKill = Date.now()
      const killAt = performance.now()
      if (state.waiter) state.waiter.after = killAt
      process.kill(pid, 'SIGKILL')
      const ack = await acked
      const ackWall = ack === null ? Date.now() : wallKill + (ack.endedAt - killAt)
      await sleep(300) // late events of this failover
      const window = log.between(wallKill, ackWall + 50)
      const counted = countElections(window)
      const after = ack === null ? null : await cluster.status().catch(() => null as ClusterStatus | null)
      const result: FailoverTrial = {
        trial, killed: leader, termBefore,
        newLeader: ack?.node ?? null,
        termAfter: after?.nodes.find((n) => n.id === ack?.node)?.term ?? null,
        failoverMs: ack === null ? null : Math.round((ack.endedAt - killAt) * 10) / 10,
        ...failoverPhases(window, wallKill, leader),
        elections: counted.elections, preVotes: counted.preVotes, splitVote: counted.splitVote,
        rejoinElections: 0,
      }
      trials.push(result)
      // Bring the old leader back and wait until it has rejoined.
      await waitForExitOf(pid)
      await restart(cluster, leader)
      lastRestart = Date.now()
      await log.subscribe(leader)
      options.onTrial?.(result)
    }
    if (lastRestart !== null && trials.length > 0) {
      await stable(cluster)
      await sleep(settleMs)
      trials[trials.length - 1]!.rejoinElections = countElections(log.between(lastRestart, Date.now())).elections
    }
  } finally {
    gen.stop()
    await load.catch(() => undefined)
    await log.closeAll()
  }
  return {
    trials,
    failoverMs: summarize(trials.map((t) => t.failoverMs)),
    detectMs: summarize(trials.map((t) => t.detectMs)),
    electedMs: summarize(trials.map((t) => t.electedMs)),
    failed: trials.filter((t) => t.failoverMs === null).length,
    splitVotes: trials.filter((t) => t.splitVote).length,
    singleElection: trials.filter((t) => t.elections === 1).length,
    rejoinElections: trials.reduce((s, t) => s + t.rejoinElections, 0),
    writes,
    background: options.background ?? 0,
  }
}

function summarize(values: readonly (number | null)[]): MsSummary {
  const v = values.filter((x): x is number => x !== null)
  return {median: percentileOf(v, 50), p99: percentileOf(v, 99), max: v.length ? Math.max(...v) : null, min: v.length ? Math.min(...v) : null}
}

/** Start a killed node again; on failure, the error carries the end of its log. */
async function restart(cluster: LocalCluster, id: string): Promise<void> {
  try {
    await cluster.startNode(id)
  } catch (error) {
    let tail = ''
    try {
      tail = readFileSync(cluster.paths.logFile(id), 'utf8').split('\n').slice(-15).join('\n')
    } catch {
      // no log
    }
    const e = error as Error
    e.message = `${e.message} (restarting ${id} after the kill)${tail ? `\nlast lines of its log:\n${tail}` : ''}`
    throw e
  }
}

/** Wait until every node runs, answers, and follows one leader with little lag. */
async function stable(cluster: LocalCluster): Promise<ClusterStatus> {
  return cluster.waitForLeader(30_000, (s) => s.nodes.every((n) => n.reachable && n.leader === s.leader && (n.lag ?? 0) < 1000))
}

async function waitForExitOf(pid: number): Promise<void> {
  const end = Date.now() + 5000
  while (Date.now() < end) {
    try {
      process.kill(pid, 0)
    } catch {
      return
    }
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return
    } catch {
      return
    }
    await sleep(10)
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
