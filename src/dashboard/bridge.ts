/**
 * The bridge between a cluster (local or remote: any ClusterHandle) and the dashboard page: one admin connection per node,
 * kept subscribed to the node's events (reconnected as nodes die and come back), a status poll
 * every `pollMs`, a short history for pages that open late, and the controls the page may ask
 * for (campaign, transfer, kill / start / restart / pause / resume, partition / heal, put; the
 * process controls only on a local cluster: NOT_LOCAL on a remote one).
 * It knows nothing about HTTP: the server hands its frames to the page.
 */
import {randomBytes} from 'node:crypto'
import {performance} from 'node:perf_hooks'
import {RaftctlError, isErrorCode} from '../common/errors.js'
import type {AdminEvent, NodeStatus} from '../admin/protocol.js'
import {AdminClient, type KvClient, type Subscription} from '../client/index.js'
import {LAGGING_ENTRIES, LocalCluster, asLocal, replicationLag, type ClientAccess, type ClusterHandle} from '../cluster/index.js'
import {NODE_DEFAULTS} from '../common/defaults.js'
import type {
  ChaosAvailability, Control, DashNode, EventFrame, HistoryPoint, LatencySample, ServerFrame, StatusFrame,
} from './protocol.js'

/** Options of {@link ClusterBridge}. */
export interface BridgeOptions {
  /** Time between status polls, ms. Default 300. */
  readonly pollMs?: number
  /** Time a node has to answer `status`, ms. Default 800. */
  readonly statusTimeoutMs?: number
  /** Time between attempts to resubscribe to a node that went away, ms. Default 500. */
  readonly reconnectMs?: number
  /** Time a control (transfer, chaos, put) may take, ms. Default 10000. */
  readonly controlTimeoutMs?: number
}

/** Limits of what the bridge keeps in memory. */
export const BRIDGE_LIMITS = {
  /** Status points kept for late pages (at 300 ms: 15 minutes). */
  historyPoints: 3000,
  /** Non-message events kept for late pages. */
  events: 500,
  /** Latency samples kept for late pages. */
  latencySamples: 600,
  /** Sampled appends remembered per link while waiting for their response. */
  pendingAppends: 32,
  /** How long a sampled append waits for its response before it is forgotten, ms. */
  pendingAppendMs: 2000,
  /** Time between probes of whether the daemons serve `chaos.*`, ms. */
  chaosProbeMs: 5000,
} as const

type Listener = (frame: ServerFrame) => void

/** The admin connection of one node and its event subscription. */
class NodeWatcher {
  readonly client: AdminClient
  subscribed = false
  private subscribing = false
  private subscription: Subscription | null = null
  private nextTry = 0
  private closed = false

  constructor(
    readonly entry: NodeRef,
    access: ClientAccess,
    timeoutMs: number,
    private readonly reconnectMs: number,
    private readonly onEvent: (node: string, event: AdminEvent, time: number) => void,
    private readonly onLink: (node: string, subscribed: boolean) => void,
  ) {
    this.client = new AdminClient({url: entry.address, ...access, timeoutMs})
  }

  /** Subscribe unless subscribed, subscribing, or a recent attempt failed. Never throws. */
  ensureSubscribed(): void {
    if (this.closed || this.subscribed || this.subscribing || Date.now() < this.nextTry) return
    this.subscribing = true
    this.client
      .subscribe(
        (event, time) => this.onEvent(this.entry.id, event, time),
        () => {
          this.subscribed = false
          this.subscription = null
          this.nextTry = Date.now() + this.reconnectMs
          if (!this.closed) this.onLink(this.entry.id, false)
        },
      )
      .then((subscription) => {
        if (this.closed) {
          void subscription.unsubscribe().catch(() => undefined)
          return
        }
        this.subscription = subscription
        this.subscribed = true
        this.onLink(this.entry.id, true)
      })
      .catch(() => {
        this.nextTry = Date.now() + this.reconnectMs
      })
      .finally(() => {
        this.subscribing = false
      })
  }

  async close(): Promise<void> {
    this.closed = true
    this.subscribed = false
    await this.subscription?.unsubscribe().catch(() => undefined)
    await this.client.close()
  }
}

/** A cluster seen live, for the dashboard. Call {@link start}, then {@link stop} at the end. */
export class ClusterBridge {
  readonly pollMs: number
  readonly electionTimeoutMs: number
  readonly tickMs: number
  private readonly statusTimeoutMs: number
  private readonly reconnectMs: number
  private readonly controlTimeoutMs: number
  private readonly watchers = new Map<string, NodeWatcher>()
  private readonly listeners = new Set<Listener>()
  private readonly history: HistoryPoint[] = []
  private readonly events: Omit<EventFrame, 'type'>[] = []
  private readonly latency: LatencySample[] = []
  private readonly pendingAppends = new Map<string, number[]>()
  private readonly waiters = new Set<(s: StatusFrame) => void>()
  private last: StatusFrame | null = null
  private chaos: ChaosAvailability = 'unknown'
  private lastChaosProbe = 0
  private readonly access: ClientAccess
  private timer: NodeJS.Timeout | undefined
  private polling: Promise<void> | null = null
  private stopped = false
  private kvClient: KvClient | null = null

  private readonly timing: {readonly electionTicks: number; readonly heartbeatTicks: number}

  constructor(readonly cluster: ClusterHandle, options: BridgeOptions = {}) {
    this.pollMs = Math.max(50, options.pollMs ?? 300)
    this.statusTimeoutMs = options.statusTimeoutMs ?? 800
    this.reconnectMs = options.reconnectMs ?? 500
    this.controlTimeoutMs = options.controlTimeoutMs ?? 10_000
    // A local cluster's manifest says how its daemons tick; a remote cluster's daemons are assumed to run the defaults.
    const o = cluster instanceof LocalCluster ? cluster.manifest().options : null
    this.tickMs = o ? durationMs(o.tick) : NODE_DEFAULTS.tickMs
    this.timing = {electionTicks: o?.electionTicks ?? NODE_DEFAULTS.electionTicks, heartbeatTicks: o?.heartbeatTicks ?? NODE_DEFAULTS.heartbeatTicks}
    this.electionTimeoutMs = this.tickMs * this.timing.electionTicks
    this.access = cluster.access()
  }

  /** Start polling (the first poll runs at once). */
  start(): void {
    this.schedule(0)
  }

  /** Resolves after the first status snapshot. */
  async ready(): Promise<StatusFrame> {
    return this.last ?? this.nextStatus(10_000)
  }

  /** Stop polling, close every connection. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    await this.polling?.catch(() => undefined)
    await Promise.all([...this.watchers.values()].map((w) => w.close()))
    this.watchers.clear()
    await this.kvClient?.close().catch(() => undefined)
    this.kvClient = null
    this.listeners.clear()
  }

  /** Receive every frame for pages. Returns the function that stops it. */
  onFrame(listener: Listener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** The first frames a new page gets: hello (with the history) and the latest status. */
  greeting(): ServerFrame[] {
    const hello: ServerFrame = {
      type: 'hello',
      cluster: this.cluster.name,
      time: Date.now(),
      timing: {tickMs: this.tickMs, ...this.timing, electionTimeoutMs: this.electionTimeoutMs},
      pollMs: this.pollMs,
      history: this.history,
      events: this.events,
      latency: this.latency,
    }
    return this.last ? [hello, this.last] : [hello]
  }

  /** The latest status snapshot, if any. */
  get latest(): StatusFrame | null {
    return this.last
  }

  // ------------------------------------------------------------------ polling

  private schedule(delay: number): void {
    if (this.stopped) return
    this.timer = setTimeout(() => {
      this.polling = this.poll()
        .catch((error) => this.emit({type: 'notice', level: 'warn', message: `status poll failed: ${(error as Error).message}`}))
        .finally(() => {
          this.polling = null
          this.schedule(this.pollMs)
        })
    }, delay)
  }

  private async poll(): Promise<void> {
    const nodes = (await this.cluster.nodeIds()).map((id) => ({id, address: this.cluster.addressOf(id)}))
    this.syncWatchers(nodes)
    const seen = await Promise.all(nodes.map((n) => this.observe(n)))
    if (this.stopped) return
    const leader = pickLeader(seen.map((s) => s.status))
    const rows = seen.map((s) => this.row(s, leader))
    const frame: StatusFrame = {
      type: 'status',
      time: Date.now(),
      leader: leader?.id ?? null,
      term: seen.reduce((m, s) => Math.max(m, s.status?.term ?? 0), 0),
      nodes: rows,
      chaos: this.chaos,
      alarm: seen.find((s) => s.status?.alarm)?.status?.alarm ?? null,
    }
    this.last = frame
    this.record(frame, leader)
    this.emit(frame)
    for (const waiter of [...this.waiters]) waiter(frame)
    if (Date.now() - this.lastChaosProbe >= BRIDGE_LIMITS.chaosProbeMs) void this.probeChaos(rows)
  }

  private syncWatchers(nodes: readonly NodeRef[]): void {
    const ids = new Set(nodes.map((n) => n.id))
    for (const [id, w] of this.watchers) {
      if (!ids.has(id)) {
        this.watchers.delete(id)
        void w.close()
      }
    }
    for (const n of nodes) {
      const existing = this.watchers.get(n.id)
      if (existing && existing.entry.address === n.address) continue
      if (existing) void existing.close()
      this.watchers.set(n.id, new NodeWatcher(n, this.access, this.statusTimeoutMs, this.reconnectMs,
        (node, event, time) => this.onEvent(node, event, time),
        (node, subscribed) => this.emit({type: 'link', node, subscribed})))
    }
  }

  private async observe(n: NodeRef): Promise<Observed> {
    const state = this.cluster.processState(n.id)
    const pid = this.cluster instanceof LocalCluster ? this.cluster.pid(n.id) : null
    const w = this.watchers.get(n.id)!
    if (state !== 'up') return {entry: n, pid, state, status: null, subscribed: w.subscribed}
    w.ensureSubscribed()
    const status = await w.client.status({timeoutMs: this.statusTimeoutMs}).catch(() => null)
    return {entry: n, pid, state, status, subscribed: w.subscribed}
  }

  private row(s: Observed, leader: NodeStatus | null): DashNode {
    const st = s.status
    if (st === null) {
      return {
        id: s.entry.id, address: s.entry.address, role: 'down', health: s.state === 'up' ? 'unreachable' : s.state,
        term: null, vote: null, leader: null, commitIndex: null, appliedIndex: null, lastIndex: null,
        voter: leader ? leader.members.voters.some((v) => v.id === s.entry.id) : null, reachable: false, pid: s.pid,
        lag: null, lastContactMs: null, faults: [], progress: [], transferee: null, uptimeMs: null, subscribed: s.subscribed,
      }
    }
    const progress = leader?.progress.find((p) => p.id === st.id)
    const lag = leader ? replicationLag(leader, st.id, st) : null
    return {
      id: s.entry.id, address: st.address, role: st.role, health: st.rebuilding === true ? 'rebuilding' : lag !== null && lag > LAGGING_ENTRIES ? 'lagging' : 'ok',
      term: st.term, vote: st.vote, leader: st.leader, commitIndex: st.commitIndex, appliedIndex: st.appliedIndex,
      lastIndex: st.lastIndex, voter: st.voter, reachable: true, pid: st.pid, lag, lastContactMs: progress ? progress.lastContactMs : null,
      faults: Array.isArray(st.faults) ? st.faults : [], progress: st.progress, transferee: st.transferee, uptimeMs: st.uptimeMs,
      subscribed: s.subscribed, electionElapsedMs: st.electionElapsedMs, electionTimeoutMs: st.electionTimeoutMs,
    }
  }

  private record(frame: StatusFrame, leader: NodeStatus | null): void {
    const roles: Record<string, string> = {}
    const faults = new Set<string>()
    for (const n of frame.nodes) {
      roles[n.id] = n.role === 'down' ? n.health : n.role
      for (const f of n.faults) faults.add(f.id)
    }
    push(this.history, {t: frame.time, term: frame.term, leader: frame.leader, commit: leader?.commitIndex ?? null, roles, faults: [...faults]}, BRIDGE_LIMITS.historyPoints)
  }

  /** The next status snapshot that satisfies `accept`, or null after `timeoutMs`. */
  private waitForStatus(accept: (s: StatusFrame) => boolean, timeoutMs: number): Promise<StatusFrame | null> {
    return new Promise((resolve) => {
      const done = (s: StatusFrame | null): void => {
        clearTimeout(timer)
        this.waiters.delete(waiter)
        resolve(s)
      }
      const waiter = (s: StatusFrame): void => {
        if (accept(s)) done(s)
      }
      const timer = setTimeout(() => done(null), timeoutMs)
      this.waiters.add(waiter)
    })
  }

  private async nextStatus(timeoutMs: number): Promise<StatusFrame> {
    const s = await this.waitForStatus(() => true, timeoutMs)
    if (s === null) throw new RaftctlError('TIMEOUT', `no status of cluster ${this.cluster.name} within ${timeoutMs} ms`)
    return s
  }

  // ------------------------------------------------------------------ events

  private onEvent(node: string, event: AdminEvent, time: number): void {
    if (this.stopped) return
    if (event.type === 'message') {
      this.trackReplication(event, time)
    } else {
      push(this.events, {node, event, time}, BRIDGE_LIMITS.events)
    }
    this.emit({type: 'event', node, event, time})
  }

  /**
   * Approximate commit latency from the sampled messages: a leader's append that carries
   * entries, paired with the next successful response from that follower. In a 3-node cluster
   * one follower's acknowledgement commits, so this round trip is close to the commit latency
   * (it leaves out the leader's own fsync, which runs in parallel). Sampling loses pairs; a
   * response paired with a later append than its own reads short, never long.
   */
  private trackReplication(e: Extract<AdminEvent, {type: 'message'}>, time: number): void {
    if (e.kind === 'append' && e.entries > 0 && e.from === this.last?.leader) {
      const key = `${e.from}>${e.to}`
      const list = (this.pendingAppends.get(key) ?? []).filter((t) => time - t < BRIDGE_LIMITS.pendingAppendMs)
      list.push(time)
      if (list.length > BRIDGE_LIMITS.pendingAppends) list.shift()
      this.pendingAppends.set(key, list)
    } else if (e.kind === 'appendResp' && e.ok) {
      const key = `${e.to}>${e.from}`
      const list = this.pendingAppends.get(key)
      if (!list || list.length === 0) return
      let sent: number | undefined
      while (list.length > 0 && list[0]! <= time) sent = list.shift()
      if (sent === undefined || time - sent >= BRIDGE_LIMITS.pendingAppendMs) return
      this.addLatency({time, ms: time - sent, source: 'replication'})
    }
  }

  private addLatency(sample: LatencySample): void {
    push(this.latency, sample, BRIDGE_LIMITS.latencySamples)
    this.emit({type: 'latency', sample})
  }

  private emit(frame: ServerFrame): void {
    for (const listener of this.listeners) {
      try {
        listener(frame)
      } catch {
        // a page that cannot take a frame is the server's business
      }
    }
  }

  // ------------------------------------------------------------------ chaos availability

  private async probeChaos(rows: readonly DashNode[]): Promise<void> {
    this.lastChaosProbe = Date.now()
    const target = rows.find((r) => r.reachable)
    if (!target) return
    try {
      await this.chaosRequest(target.id, 'chaos.list', {})
      this.chaos = 'available'
    } catch (error) {
      if (isUnknownType(error)) this.chaos = 'unavailable'
    }
  }

  private chaosRequest(node: string, type: string, params: Record<string, unknown>): Promise<unknown> {
    const w = this.watchers.get(node)
    if (!w) throw new RaftctlError('NODE_NOT_FOUND', `no node ${node}`)
    // Typed loosely on purpose: a daemon (or a protocol build) without chaos.* answers UNKNOWN_TYPE,
    // and the page then shows chaos as unavailable.
    return w.client.request(type as never, params as never, {timeoutMs: Math.min(this.controlTimeoutMs, 3000)})
  }

  // ------------------------------------------------------------------ controls

  /** Carry out one control from the page. Resolves with a sentence for the page; rejects with a RaftctlError. */
  async control(c: Control): Promise<string> {
    switch (c.op) {
      case 'campaign':
        return this.campaign(await this.node(c.node))
      case 'transfer':
        return this.transfer(c.to === null ? null : await this.node(c.to))
      case 'kill': {
        const local = asLocal(this.cluster, 'node kill')
        const id = await this.node(c.node)
        const pid = local.pid(id)
        return (await local.killNode(id)) ? `killed ${id} (pid ${pid})` : `${id} was not running`
      }
      case 'start': {
        const local = asLocal(this.cluster, 'node start')
        const id = await this.node(c.node)
        const was = local.pid(id)
        const pid = await local.startNode(id)
        return was === null ? `started ${id} (pid ${pid})` : `${id} was running already (pid ${pid})`
      }
      case 'restart': {
        const local = asLocal(this.cluster, 'node restart')
        const id = await this.node(c.node)
        const stopped = await local.stopNode(id)
        const pid = await local.startNode(id)
        return `restarted ${id}: ${stopped}, now pid ${pid}`
      }
      case 'pause':
      case 'resume': {
        const local = asLocal(this.cluster, `node ${c.op}`)
        const id = await this.node(c.node)
        const pid = local.pauseNode(id, c.op === 'pause')
        return `${c.op === 'pause' ? 'paused' : 'resumed'} ${id} (pid ${pid}, ${c.op === 'pause' ? 'SIGSTOP' : 'SIGCONT'})`
      }
      case 'partition':
        return this.partition(await Promise.all(c.groups.map((g) => Promise.all(g.map((n) => this.node(n))))), c.oneWay, c.forMs)
      case 'heal':
        return this.heal(c.fault)
      case 'put':
        return this.put(c.key, c.value)
    }
  }

  /** A node of the cluster (not removed; a remote cluster's member), or NODE_NOT_FOUND. */
  private async node(id: string): Promise<string> {
    const nodes = await this.cluster.nodeIds()
    if (!nodes.includes(id)) {
      throw new RaftctlError('NODE_NOT_FOUND', `no node ${id} in cluster ${this.cluster.name} (nodes: ${nodes.join(', ')})`)
    }
    return id
  }

  private client(id: string): AdminClient {
    const w = this.watchers.get(id)
    if (!w) throw new RaftctlError('NODE_NOT_FOUND', `no node ${id}`)
    return w.client
  }

  /**
   * As `raftctl election trigger NODE`: the node campaigns (the core's manual campaign is
   * forced: it skips PreVote and the followers' leader lease), then wait for a leader of a
   * higher term.
   */
  private async campaign(id: string): Promise<string> {
    const before = this.last ?? (await this.nextStatus(5000))
    const row = before.nodes.find((n) => n.id === id)
    if (!row || !row.reachable) throw new RaftctlError('UNAVAILABLE', `${id} is ${row?.health ?? 'unknown'}: it cannot campaign`)
    if (row.voter === false) throw new RaftctlError('NOT_VOTER', `${id} is a learner: only voters campaign`)
    if (before.leader === id) throw new RaftctlError('BAD_USAGE', `${id} is the leader already; pick a follower (or transfer leadership)`)
    const beforeTerm = leaderTerm(before)
    const {term} = await this.client(id).campaign({timeoutMs: this.controlTimeoutMs})
    const after = await this.waitForStatus((s) => s.leader !== null && leaderTerm(s) > beforeTerm, this.controlTimeoutMs)
    if (after === null) throw new RaftctlError('TIMEOUT', `${id} campaigned (term ${term}) but no leader of a higher term appeared within ${this.controlTimeoutMs} ms`)
    return `${id} campaigned (term ${term}): leader ${after.leader}, term ${leaderTerm(after)}`
  }

  private async transfer(to: string | null): Promise<string> {
    const now = this.last ?? (await this.nextStatus(5000))
    if (now.leader === null) throw new RaftctlError('NO_LEADER', 'no leader is known: there is nothing to transfer')
    if (to === now.leader) return `${to} is the leader already (term ${leaderTerm(now)})`
    const from = now.leader
    const result = await this.client(from).transfer(to ?? undefined, {timeoutMs: this.controlTimeoutMs})
    return `leadership transferred: ${from} → ${result.leader} (term ${result.term})`
  }

  private async partition(groups: string[][], oneWay: boolean, forMs: number | null): Promise<string> {
    const id = `dash-${randomBytes(3).toString('hex')}`
    const fault = {kind: 'partition', groups, ...(oneWay ? {oneWay: true} : {})}
    const params = {fault, faultId: id, ...(forMs !== null ? {forMs} : {})}
    const {done, skipped} = await this.everyNode((node) => this.chaosRequest(node, 'chaos.add', params))
    const text = groups.map((g) => g.join(' ')).join(oneWay ? ' → ' : ' | ')
    return `partition ${id} (${text}${forMs !== null ? `, for ${forMs} ms` : ''}) added on ${done.join(', ')}${skipped}`
  }

  private async heal(fault: string | null): Promise<string> {
    let removed = 0
    const {done, skipped} = await this.everyNode(async (node) => {
      const r = (await this.chaosRequest(node, 'chaos.heal', fault === null ? {} : {faultId: fault})) as {removed?: unknown}
      removed += Array.isArray(r.removed) ? r.removed.length : typeof r.removed === 'number' ? r.removed : 0
    })
    return `${fault === null ? 'healed every fault' : `healed ${fault}`} on ${done.join(', ')} (${removed} removed)${skipped}`
  }

  /**
   * Send a chaos request to every reachable node. All refused with UNKNOWN_TYPE: chaos is
   * unavailable (rejects). Some failed: resolves, naming them.
   */
  private async everyNode(send: (node: string) => Promise<unknown>): Promise<{done: string[]; skipped: string}> {
    const now = this.last ?? (await this.nextStatus(5000))
    const reachable = now.nodes.filter((n) => n.reachable).map((n) => n.id)
    const down = now.nodes.filter((n) => !n.reachable).map((n) => `${n.id} (${n.health})`)
    if (reachable.length === 0) throw new RaftctlError('UNAVAILABLE', 'no node is reachable')
    const outcomes = await Promise.allSettled(reachable.map((n) => send(n)))
    const failed = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [{node: reachable[i]!, error: o.reason as Error & {code?: string}}] : []))
    if (failed.length === reachable.length) {
      if (failed.every((f) => isUnknownType(f.error))) {
        this.chaos = 'unavailable'
        throw new RaftctlError('UNKNOWN_TYPE', 'the daemons do not serve chaos.* requests (this build has no live chaos)')
      }
      const first = failed[0]!.error
      throw new RaftctlError(isErrorCode(first.code) ? first.code : 'FAILED', failed.map((f) => `${f.node}: ${f.error.message}`).join('; '))
    }
    this.chaos = 'available'
    const done = reachable.filter((_, i) => outcomes[i]!.status === 'fulfilled')
    const notes = [...failed.map((f) => `${f.node} (${f.error.code ?? 'FAILED'}: ${f.error.message})`), ...down]
    return {done, skipped: notes.length > 0 ? `; not on ${notes.join(', ')}` : ''}
  }

  private async put(key: string, value: string): Promise<string> {
    this.kvClient ??= this.cluster.kv({timeoutMs: this.controlTimeoutMs, clientId: `dashboard-${randomBytes(4).toString('hex')}`})
    const started = performance.now()
    await this.kvClient.put(key, value)
    const ms = performance.now() - started
    this.addLatency({time: Date.now(), ms, source: 'put'})
    return `put ${JSON.stringify(key)} = ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)} in ${ms.toFixed(1)} ms`
  }
}

/** A node the bridge watches: its id and address. */
interface NodeRef {
  readonly id: string
  readonly address: string
}

interface Observed {
  readonly entry: NodeRef
  /** The process (local clusters; null: not running, or a remote node). */
  readonly pid: number | null
  /** As {@link ClusterHandle.processState}: a remote node is always `up` (asked). */
  readonly state: 'up' | 'down' | 'paused'
  readonly status: NodeStatus | null
  readonly subscribed: boolean
}

/** The leader of the highest term among the statuses, or null. */
function pickLeader(statuses: readonly (NodeStatus | null)[]): NodeStatus | null {
  let best: NodeStatus | null = null
  for (const s of statuses) if (s && s.role === 'leader' && (!best || s.term > best.term)) best = s
  return best
}

/** The leader's term (the highest term seen when there is no leader). */
function leaderTerm(s: StatusFrame): number {
  return s.nodes.find((n) => n.id === s.leader)?.term ?? s.term
}

function isUnknownType(error: unknown): boolean {
  return (error as {code?: unknown} | null)?.code === 'UNKNOWN_TYPE'
}

function push<T>(list: T[], item: T, max: number): void {
  list.push(item)
  if (list.length > max) list.splice(0, list.length - max)
}

/** `10ms`, `1s`, `1m`, or a bare number of ms (the manifest's `tick`). */
export function durationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim())
  if (!m) throw new RaftctlError('CORRUPT', `bad duration in the manifest: ${JSON.stringify(text)}`)
  const n = Number(m[1])
  return m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n
}
