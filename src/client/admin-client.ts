/**
 * AdminClient: the admin channel of ONE node (route `/admin`): status, membership, leader
 * transfer, campaign, step-down, snapshot, ping, chaos faults, and an event subscription. No retries and no
 * redirects: an operator tool wants to know what this node says (a `NOT_LEADER` error carries
 * the leader hint for the caller to follow). The connection opens on first use and reopens on
 * the next call after it closed; a subscription ends when its connection closes.
 */
import type {
  AdminEvent, ChaosHealResult, ChaosListResult, DiagnosticsResult, EventsResult, HashResult, FaultInfo, FaultKind, FaultSpec, Members, MemberChangeResult, NodeId, NodeStatus, PingResult, ProtocolLimits, RequestParamsMap, RequestType,
  ResultMap, SnapshotResult, TermResult, TransferResult,
} from '../admin/protocol.js'
import {Connection, DEFAULT_TIMEOUT_MS, type ClientTlsOptions, type RequestOptions} from './connection.js'
import {routeUrl} from './endpoints.js'
import {ClientError} from './errors.js'

/** Options of {@link AdminClient}. */
export interface AdminClientOptions {
  /** The node's address: `ws://host:port`, `wss://host:port`, `host:port` (the `/admin` path is added). */
  readonly url: string
  /** The cluster secret. */
  readonly secret: string
  /** The cluster id expected of every node (see ConnectionOptions.clusterId); absent: any. */
  readonly clusterId?: string
  /** Default timeout of each request (and of opening the connection), ms. Default 5000. */
  readonly timeoutMs?: number
  readonly tls?: ClientTlsOptions
  readonly limits?: Partial<ProtocolLimits>
}

/** Options of {@link AdminClient.addMember}. */
export interface AddMemberOptions extends MemberChangeOptions {
  /** Add as a non-voting learner. Default false. */
  readonly learner?: boolean
}

/** Options of {@link AdminClient.removeMember} and {@link AdminClient.promoteMember}. */
export interface MemberChangeOptions extends RequestOptions {
  /**
   * Skip the leader's strict reconfiguration check. Default false: a change that would leave
   * fewer voters the leader recently heard from than a quorum is refused with `UNSAFE_CHANGE`.
   */
  readonly force?: boolean
}

/** Options of {@link AdminClient.chaosAdd}. */
export interface ChaosAddOptions extends RequestOptions {
  /** The fault heals itself after this many ms (the daemon's clock). Default: until healed. */
  readonly forMs?: number
  /** The fault's id (e.g. the same on every node for a cluster-wide fault). Default: the daemon generates one. */
  readonly id?: string
}

/** Which faults {@link AdminClient.chaosHeal} removes: by id and / or kind; neither: all. */
export interface ChaosHealFilter {
  readonly id?: string
  readonly kind?: FaultKind
}

/** A live event subscription. */
export interface Subscription {
  /** Stop receiving events (sends `unsubscribe` when the connection is still open). Idempotent. */
  unsubscribe(): Promise<void>
}

/** Receives the end of a subscription: the connection closed (`UNAVAILABLE`, …) or the client was closed. */
export type SubscriptionEndListener = (reason: ClientError) => void

/** The admin client of one node. Always {@link AdminClient.close} it. */
export class AdminClient {
  /** The `/admin` URL of the node. */
  readonly url: string
  private readonly options: AdminClientOptions
  private connection: Promise<Connection> | undefined
  private closed = false

  /** Throws ClientError `BAD_INPUT` for a bad address. */
  constructor(options: AdminClientOptions) {
    this.url = routeUrl(options.url, 'admin')
    this.options = options
  }

  /** Open the connection now (otherwise the first request does). Rejects like {@link Connection.open}. */
  async connect(): Promise<void> {
    await this.open()
  }

  /** The node's status. */
  async status(options?: RequestOptions): Promise<NodeStatus> {
    return (await this.request('status', {}, options)).status
  }

  /** The node's view of the configuration, with addresses. */
  members(options?: RequestOptions): Promise<Members> {
    return this.request('members', {}, options)
  }

  /** Add a voter (or a learner) at `address`. Leader only; answers once the change is committed. */
  addMember(node: NodeId, address: string, options: AddMemberOptions = {}): Promise<MemberChangeResult> {
    return this.request('member.add', {node, address, learner: options.learner === true, ...forceParam(options)}, options)
  }

  /** Remove a member. Leader only; answers once the change is committed. */
  removeMember(node: NodeId, options: MemberChangeOptions = {}): Promise<MemberChangeResult> {
    return this.request('member.remove', {node, ...forceParam(options)}, options)
  }

  /** Promote a learner to voter. Leader only; answers once the change is committed. */
  promoteMember(node: NodeId, options: MemberChangeOptions = {}): Promise<MemberChangeResult> {
    return this.request('member.promote', {node, ...forceParam(options)}, options)
  }

  /** Hand leadership to `to` (default: the most caught-up voter). Leader only; answers once the new leader took over. */
  transfer(to?: NodeId, options?: RequestOptions): Promise<TransferResult> {
    return this.request('transfer', to === undefined ? {} : {to}, options)
  }

  /** Make this node start an election now. */
  campaign(options?: RequestOptions): Promise<TermResult> {
    return this.request('campaign', {}, options)
  }

  /** Make this node (a leader) step down to follower. */
  stepDown(options?: RequestOptions): Promise<TermResult> {
    return this.request('stepdown', {}, options)
  }

  /** Make this node take a snapshot now. */
  snapshot(options?: RequestOptions): Promise<SnapshotResult> {
    return this.request('snapshot', {}, options)
  }

  /**
   * Add a chaos fault on this node (it applies to what this node sends, or to its disk).
   * Resolves with the fault's id and listing. A bad fault is `BAD_REQUEST`.
   */
  async chaosAdd(fault: FaultSpec, options: ChaosAddOptions = {}): Promise<{id: string; fault: FaultInfo}> {
    const params = {fault, ...(options.forMs === undefined ? {} : {forMs: options.forMs}), ...(options.id === undefined ? {} : {faultId: options.id})}
    const result = await this.request('chaos.add', params, options)
    return {id: result.fault.id, fault: result.fault}
  }

  /** Remove this node's faults matching `filter` (default: all of them). */
  chaosHeal(filter: ChaosHealFilter = {}, options?: RequestOptions): Promise<ChaosHealResult> {
    const params = {...(filter.id === undefined ? {} : {faultId: filter.id}), ...(filter.kind === undefined ? {} : {kind: filter.kind})}
    return this.request('chaos.heal', params, options)
  }

  /** The faults active on this node (`{id, kind, ...fields, remainingMs, hits}` each). */
  chaosList(options?: RequestOptions): Promise<ChaosListResult> {
    return this.request('chaos.list', {}, options)
  }

  /** The node's recent events (its bounded ring), those at or after `since` (ms since the epoch; absent: all kept). */
  events(since?: number, options?: RequestOptions): Promise<EventsResult> {
    return this.request('events', since === undefined ? {} : {since}, options)
  }

  /** The node's configuration, disk, peer view and consistency alarm (what `raftctl doctor` reads). */
  diagnostics(options?: RequestOptions): Promise<DiagnosticsResult> {
    return this.request('diagnostics', {}, options)
  }

  /**
   * SHA-256 (hex) of the node's KV state after applying `index` (absent: as applied now); see
   * docs/doctor.md. A node behind answers once it applied it; one past it fails with `INDEX_PASSED`.
   */
  hash(index?: number, options?: RequestOptions): Promise<HashResult> {
    return this.request('hash', index === undefined ? {} : {index}, options)
  }

  /** The node's id and clock: a cheap liveness check. */
  ping(options?: RequestOptions): Promise<PingResult> {
    return this.request('ping', {}, options)
  }

  /**
   * Receive the node's events (role, leader, election, configuration, transfer) until
   * `unsubscribe()`, {@link close}, or the connection closes (then `onEnd` is told why).
   * Events during a disconnection are lost: resubscribe and read `status` to catch up.
   */
  async subscribe(onEvent: (event: AdminEvent, time: number) => void, onEnd?: SubscriptionEndListener): Promise<Subscription> {
    const connection = await this.open()
    const stopEvents = connection.onEvent(onEvent)
    let active = true
    const stopClose = connection.onClose((reason) => {
      active = false
      stopEvents()
      onEnd?.(reason)
    })
    try {
      await connection.request('subscribe', {})
    } catch (error) {
      stopEvents()
      stopClose()
      throw error
    }
    return {
      unsubscribe: async () => {
        if (!active) return
        active = false
        stopEvents()
        stopClose()
        if (connection.isOpen) await connection.request('unsubscribe', {})
      },
    }
  }

  /**
   * Send any admin request (for types without a method, e.g. future `chaos.*`). Rejects with
   * ClientError: the node's error, or `TIMEOUT` / `UNAVAILABLE` (`unknown` for writes).
   */
  async request<T extends RequestType>(type: T, params: RequestParamsMap[T], options?: RequestOptions): Promise<ResultMap[T]> {
    const connection = await this.open()
    return connection.request(type, params, options)
  }

  /** Close the connection; requests in flight fail and subscriptions end. Idempotent. */
  async close(): Promise<void> {
    this.closed = true
    const pending = this.connection
    this.connection = undefined
    await pending?.then((c) => c.close(), () => undefined)
  }

  /** The open connection, opened (or reopened) as needed. */
  private async open(): Promise<Connection> {
    if (this.closed) throw new ClientError('UNAVAILABLE', `the admin client of ${this.url} is closed`)
    const current = this.connection
    if (current !== undefined) {
      const connection = await current.catch(() => undefined)
      if (connection?.isOpen) return connection
      if (this.connection === current) this.connection = undefined
      if (this.closed) throw new ClientError('UNAVAILABLE', `the admin client of ${this.url} is closed`)
    }
    this.connection ??= Connection.open({
      url: this.url,
      secret: this.options.secret,
      clusterId: this.options.clusterId,
      timeoutMs: this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      tls: this.options.tls,
      limits: this.options.limits,
    })
    const opening = this.connection
    try {
      return await opening
    } catch (error) {
      if (this.connection === opening) this.connection = undefined
      throw error
    }
  }
}

/** `{force: true}` when forced, else nothing: an unforced request is the same frame as before `force` existed. */
function forceParam(options: MemberChangeOptions): {force?: true} {
  return options.force === true ? {force: true} : {}
}
