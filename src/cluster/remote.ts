/**
 * A remote cluster: nodes that run elsewhere, reached at the endpoints an operator gave (`cluster
 * attach` recorded them, or `--endpoints` on the command line). The CLI sees no process and no
 * manifest: the members are learned from the cluster's own configuration (the voters and
 * learners a node reports, at the addresses they advertise), so a member that no endpoint named
 * still shows in `status` and can be asked directly. Endpoints of two different clusters (two
 * cluster ids) are refused with `CLUSTER_MISMATCH`.
 */
import {AdminClient, routeUrl, type Endpoint, type NodeStatus} from '../client/index.js'
import {RaftctlError, type ErrorCode} from '../common/errors.js'
import {statusRow, type ClusterStatus, type NodeRow, type UnansweredEndpoint} from './cluster.js'
import {ClusterHandle, HANDLE_TIMEOUTS, type ClientAccess} from './handle.js'

/** How to reach a remote cluster. */
export interface RemoteTarget {
  /** The attached cluster's name, or a label for `--endpoints` (shown in status). */
  readonly name: string
  readonly kind: 'attached' | 'endpoints'
  /** Node addresses: `ws://host:port`, `wss://host:port` (validated by {@link parseEndpoints}). */
  readonly endpoints: readonly string[]
  readonly access: ClientAccess
  /**
   * Called with the member ids each time a status round learns the configuration (an attached
   * cluster keeps them for shell completion, which must not touch the network). Must not throw.
   */
  readonly onMembers?: (ids: readonly string[]) => void
  /** An attached cluster's folder (RAFTCTL_HOME/NAME), where the leader is kept between commands; none for `--endpoints`. */
  readonly cacheDir?: string
}

/** How long the members learned by a status round are used before {@link RemoteCluster.nodeIds} asks again (ms). */
export const MEMBERS_MAX_AGE_MS = 2000

/** What one node answered to a status request. */
interface Answer {
  readonly address: string
  readonly status?: NodeStatus
  readonly error?: {readonly code: string; readonly message: string}
}

/** Errors that no other endpoint can cure: reported as they are when no endpoint answered. */
const DECISIVE: readonly ErrorCode[] = ['UNAUTHORIZED', 'TLS_FAILED', 'CLUSTER_MISMATCH']

/**
 * Parse `--endpoints` (comma-separated). Each is a `ws://` or `wss://` URL with a port (also
 * `http(s)://`, mapped to ws(s)), or `HOST:PORT`. BAD_USAGE naming the bad one; duplicates dropped.
 */
export function parseEndpoints(text: string, flag = '--endpoints'): string[] {
  const items = text.split(',').map((s) => s.trim()).filter((s) => s.length > 0)
  if (items.length === 0) throw new RaftctlError('BAD_USAGE', `${flag} is empty: give node URLs separated by commas, e.g. ws://10.0.0.1:7001,ws://10.0.0.2:7001`)
  const out: string[] = []
  for (const item of items) {
    const address = normalizeEndpoint(item, flag)
    if (!out.includes(address)) out.push(address)
  }
  return out
}

function normalizeEndpoint(item: string, flag: string): string {
  const bad = (why: string): RaftctlError => new RaftctlError('BAD_USAGE', `${flag}: "${item}" is not a node URL (${why}); write ws://HOST:PORT or wss://HOST:PORT, e.g. ws://10.0.0.1:7001`)
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(item) ? item : `ws://${item}`
  let url: URL
  try {
    url = new URL(withScheme)
  } catch {
    throw bad('it does not parse as a URL')
  }
  const scheme = {'ws:': 'ws', 'wss:': 'wss', 'http:': 'ws', 'https:': 'wss'}[url.protocol]
  if (scheme === undefined) throw bad(`scheme ${url.protocol} is not ws: or wss:`)
  if (url.hostname === '') throw bad('no host')
  if (url.port === '') throw bad('no port')
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '' || url.username !== '') throw bad('only scheme, host and port are allowed')
  return `${scheme}://${url.host}`
}

/** The same node address however it is written (`host:port`, a trailing `/raft`, …). */
function sameAddress(a: string, b: string): boolean {
  try {
    return routeUrl(a, 'admin') === routeUrl(b, 'admin')
  } catch {
    return false
  }
}

/** A cluster whose nodes run elsewhere (see the file header). */
export class RemoteCluster extends ClusterHandle {
  readonly name: string
  readonly kind: 'attached' | 'endpoints'
  readonly endpoints: readonly string[]
  private readonly credentials: ClientAccess
  /** The cluster id the clients expect: recorded at attach, else learned from the first answers. */
  private expectedId: string | undefined
  /** Node id → address, from the last status (configuration and answers). */
  private readonly known = new Map<string, string>()
  /** When {@link known} was last learned (ms since the epoch; 0: never). */
  private learnedAt = 0
  private readonly onMembers: ((ids: readonly string[]) => void) | undefined
  private readonly folder: string | undefined

  constructor(target: RemoteTarget) {
    super()
    this.name = target.name
    this.kind = target.kind
    this.endpoints = target.endpoints
    this.credentials = target.access
    this.expectedId = target.access.clusterId
    this.onMembers = target.onMembers
    this.folder = target.cacheDir
  }

  protected override cacheDir(): string | undefined {
    return this.folder
  }

  access(): ClientAccess {
    return {...this.credentials, clusterId: this.expectedId}
  }

  addressOf(id: string): string {
    const address = this.known.get(id)
    if (address === undefined) {
      throw new RaftctlError('NODE_NOT_FOUND', `no node ${id} in cluster ${this.name} (members: ${[...this.known.keys()].join(', ') || 'none known'})`)
    }
    return address
  }

  /**
   * The members, learned by a status round when none are known yet or the last round is older
   * than {@link MEMBERS_MAX_AGE_MS} (a watcher such as the dashboard sees members come and go);
   * when that round fails, the members known before (the error when none are).
   */
  async nodeIds(): Promise<string[]> {
    if (this.known.size === 0 || Date.now() - this.learnedAt > MEMBERS_MAX_AGE_MS) {
      await this.liveStatus().catch((error: unknown) => {
        if (this.known.size === 0) throw error
      })
    }
    return [...this.known.keys()]
  }

  protected kvEndpoints(): Endpoint[] {
    if (this.known.size > 0) return [...this.known].map(([id, url]) => ({id, url}))
    return this.endpoints.map((url) => ({id: url, url}))
  }

  /**
   * Ask the endpoints for their status and check that they are nodes of one cluster: returns the
   * cluster id (undefined when no node knows one). CLUSTER_MISMATCH when they report two ids;
   * the error of {@link liveStatus} when none answers. Adopts the id, so every later connection
   * sends it and a node of another cluster refuses at the handshake.
   */
  async identify(timeoutMs: number = HANDLE_TIMEOUTS.status): Promise<string | undefined> {
    const answers = await this.ask(this.endpoints, timeoutMs)
    this.checkIdentity(answers)
    if (!answers.some((a) => a.status)) throw noAnswer(answers, timeoutMs)
    return this.expectedId
  }

  async liveStatus(timeoutMs?: number): Promise<ClusterStatus> {
    return this.status(timeoutMs)
  }

  /**
   * Every member's status: ask the endpoints, learn the configuration (the leader's, else the
   * one of the highest term reported), ask the members no endpoint named at their advertised
   * addresses, and make one row per member (members that do not answer are down, health
   * `unreachable`) plus one per answering node that is no member (e.g. a node started by hand,
   * not yet added). Endpoints that did not answer and are no member's address are listed in
   * `unanswered`. When no node answers: UNAUTHORIZED, TLS_FAILED or CLUSTER_MISMATCH when the
   * endpoints said so, else UNAVAILABLE naming each endpoint and why.
   */
  async status(timeoutMs: number = HANDLE_TIMEOUTS.status): Promise<ClusterStatus> {
    const first = await this.ask(this.endpoints, timeoutMs)
    this.checkIdentity(first)
    const members = configurationOf(first)
    const missing = members.filter((m) => m.address !== null && !first.some((a) => sameAddress(a.address, m.address!) || a.status?.id === m.id))
    const answers = [...first, ...(await this.ask(missing.map((m) => m.address!), timeoutMs))]
    const byId = new Map<string, NodeStatus>()
    for (const a of answers) if (a.status && !byId.has(a.status.id)) byId.set(a.status.id, a.status)
    if (byId.size === 0) throw noAnswer(first, timeoutMs)
    const leader = pickLeader([...byId.values()])
    const config = leader ? membersOf(leader) : members
    const rows: NodeRow[] = config.map((m) => {
      const st = byId.get(m.id) ?? null
      return statusRow({id: m.id, address: m.address ?? st?.address ?? 'unknown'}, st, leader, null)
    })
    for (const st of byId.values()) if (!config.some((m) => m.id === st.id)) rows.push(statusRow(st, st, leader, null))
    this.known.clear()
    for (const r of rows) if (r.address !== 'unknown') this.known.set(r.id, r.address)
    this.learnedAt = Date.now()
    this.onMembers?.(config.map((m) => m.id))
    const leaderRow = rows.find((r) => r.id === leader?.id && r.address !== 'unknown')
    if (leaderRow !== undefined) this.rememberLeader(leaderRow.id, leaderRow.address)
    const unanswered: UnansweredEndpoint[] = answers
      .filter((a) => a.error && !rows.some((r) => sameAddress(r.address, a.address)))
      .map((a) => ({endpoint: a.address, code: a.error!.code, message: a.error!.message}))
    const term = Math.max(0, ...[...byId.values()].map((s) => s.term))
    const alarm = [...byId.values()].find((st) => st.alarm)?.alarm ?? null
    return {cluster: this.name, clusterId: this.expectedId ?? null, leader: leader?.id ?? null, term, nodes: rows, alarm, ...(unanswered.length > 0 ? {unanswered} : {})}
  }

  /** Each address's status, in parallel. */
  private ask(addresses: readonly string[], timeoutMs: number): Promise<Answer[]> {
    return Promise.all(addresses.map(async (address): Promise<Answer> => {
      const client = new AdminClient({url: address, ...this.access(), timeoutMs})
      try {
        return {address, status: await client.status()}
      } catch (error) {
        const e = error as {code?: string; message?: string}
        return {address, error: {code: e.code ?? 'FAILED', message: e.message ?? String(error)}}
      } finally {
        await client.close()
      }
    }))
  }

  /**
   * CLUSTER_MISMATCH when the answers name two cluster ids (or one other than the expected), or
   * an endpoint refused the expected id at the handshake; otherwise adopt the id they report.
   */
  private checkIdentity(answers: readonly Answer[]): void {
    const ids = new Map<string, string[]>()
    if (this.expectedId !== undefined) ids.set(this.expectedId, [this.kind === 'attached' ? `cluster ${this.name} as attached` : 'expected'])
    for (const a of answers) {
      const id = a.status?.clusterId
      if (typeof id === 'string') ids.set(id, [...(ids.get(id) ?? []), a.address])
    }
    const refused = answers.filter((a) => a.error?.code === 'CLUSTER_MISMATCH')
    if (ids.size > 1 || refused.length > 0) {
      const named = [...ids].map(([id, where]) => `${id} (${where.join(', ')})`)
      const why = refused.map((a) => a.error!.message)
      throw new RaftctlError('CLUSTER_MISMATCH', `the endpoints are nodes of different clusters: ${[...named, ...why].join('; ')}; give the endpoints of one cluster`)
    }
    if (this.expectedId === undefined && ids.size === 1) this.expectedId = [...ids.keys()][0]
  }
}

/** A member of the configuration, with its advertised address (null: unknown to the reporter). */
interface Member {
  readonly id: string
  readonly address: string | null
}

function membersOf(st: NodeStatus): Member[] {
  return [...st.members.voters, ...st.members.learners].map((m) => ({id: m.id, address: m.address ?? (m.id === st.id ? st.address : null)}))
}

/** The configuration as the leader reports it, else as the node with the highest term (then last index) does. */
function configurationOf(answers: readonly Answer[]): Member[] {
  const statuses = answers.flatMap((a) => (a.status ? [a.status] : []))
  const source = pickLeader(statuses) ?? [...statuses].sort((a, b) => b.term - a.term || b.lastIndex - a.lastIndex)[0]
  return source ? membersOf(source) : []
}

function pickLeader(statuses: readonly NodeStatus[]): NodeStatus | null {
  let best: NodeStatus | null = null
  for (const s of statuses) if (s.role === 'leader' && (!best || s.term > best.term)) best = s
  return best
}

/** The error when no endpoint answered: a decisive refusal as it is, else UNAVAILABLE naming each endpoint. */
function noAnswer(answers: readonly Answer[], timeoutMs: number): RaftctlError {
  const codes = new Set(answers.map((a) => a.error?.code))
  const decisive = DECISIVE.find((c) => codes.has(c))
  const detail = answers.map((a) => `${a.address}: ${a.error?.message ?? 'no answer'}`).join('; ')
  if (decisive !== undefined) return new RaftctlError(decisive, detail)
  return new RaftctlError('UNAVAILABLE', `no endpoint answered within ${timeoutMs} ms: ${detail}`)
}
