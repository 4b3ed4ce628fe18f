/**
 * The simulator's workload: KV clients with sessions (clientId, seq), as the real KvClient
 * uses them. Each client has one request outstanding at a time; a request that times out, is
 * refused or is cut off by a crash is sent again with the SAME seq (and the same bytes),
 * usually to another node, so the state machine's session table must apply it once. Most
 * writes are appends of a token naming (clientId, seq), which the exactly-once check counts.
 */
import type {SeededRng} from '../raft/index.js'
import {encodeCommand, type KvResult, type KvWriteCommand} from '../kv/index.js'
import type {ProposalOutcome} from '../replica/replica.js'
import {commandTarget, fingerprint, type ExactlyOnce} from './invariants.js'
import type {RetryEvent, SimHost, SimNode} from './types.js'

/** Keys the clients append their tokens to (checked for exactly-once at the end). */
export const APPEND_KEYS: readonly string[] = ['a0', 'a1', 'a2', 'a3']
/** Keys of puts, compare-and-sets and deletes. */
const REGISTER_KEYS: readonly string[] = ['r0', 'r1', 'r2']
/** Key of the liveness phase's filler writes (no session). */
const FILL_KEY = 'fill'
/** Longest pause, virtual ms, before a refused or cut-off request is sent again. */
const MAX_RETRY_BACKOFF_MS = 50

/** Pace and size of the workload, drawn from the seed. */
export interface WorkloadProfile {
  /** Mean gap between client arrivals is about this many virtual ms. */
  readonly clientEvery: number
  /** Number of clients (sessions). */
  readonly clients: number
  /** A request unanswered this long (virtual ms) is sent again with the same seq. */
  readonly timeoutMs: number
}

/** A request and the bytes every attempt of it sends. */
interface Request {
  readonly seq: number
  readonly command: KvWriteCommand
  readonly data: Uint8Array
}

interface Client {
  /** The session's client id (a new one after a disaster recovery). */
  id: string
  /** Seq of the latest request issued (0: none yet). */
  seq: number
  /** The outstanding request, or null when idle. */
  request: Request | null
  /** Number of the latest attempt: answers and timers of older attempts are ignored. */
  attempt: number
}

/** Clients, their requests and their retries. */
export class Workload {
  private readonly clients: Client[] = []
  /** Data fingerprint of each request → how many times an entry carrying it was committed. */
  private readonly commits = new Map<number, number>()
  private fills = 0
  private stopped = false

  constructor(
    private readonly host: SimHost,
    private readonly rng: SeededRng,
    private readonly profile: WorkloadProfile,
    private readonly ledger: ExactlyOnce,
  ) {
    for (let k = 1; k <= profile.clients; k++) this.clients.push({id: `c${k}`, seq: 0, request: null, attempt: 0})
  }

  /** Queue the first arrival. */
  start(): void {
    this.host.schedule(this.profile.clientEvery, {kind: 'client'})
  }

  /** Faults stop: no new requests and no more retries (answers still count). */
  stop(): void {
    this.stopped = true
  }

  /** A client arrives (an idle one, if any) and issues its next request, mostly to the leader, some to stale leaders or any node. */
  onClient(): void {
    const index = this.idleClient(this.rng.int(this.clients.length))
    const client = this.clients[index]!
    if (client.request === null) {
      const target = this.chooseTarget()
      if (target) this.send(index, this.nextRequest(client), target)
    }
    // Now and then clients go quiet, so new leaders sit with only old entries for a while.
    const quiet = this.rng.int(40) === 0 ? 100 + this.rng.int(1000) : 0
    this.host.schedule(this.host.now() + 1 + quiet + this.rng.int(this.profile.clientEvery * 2), {kind: 'client'})
  }

  /** The first idle client from `start` on (round the ring), or `start` when all are busy. */
  private idleClient(start: number): number {
    for (let k = 0; k < this.clients.length; k++) {
      const index = (start + k) % this.clients.length
      if (this.clients[index]!.request === null) return index
    }
    return start
  }

  /** A client's timer: if its request is still unanswered, send it again (same seq) to the leader. */
  onRetry(ev: RetryEvent): void {
    const client = this.clients[ev.client]!
    if (this.stopped || client.request === null || client.attempt !== ev.attempt) return
    const target = this.host.leaderNode() ?? this.pick(this.host.liveNodes())
    if (!target) return this.retryLater(ev.client, ev.reason)
    this.host.stats.retries++
    // Retries of refused requests (no leader known yet) are counted, not traced: they would crowd the trace.
    if (ev.reason !== 'refused') this.host.log(`${client.id} retries seq ${client.request.seq} (${client.request.command.op} ${commandTarget(client.request.command)}) after ${ev.reason} via ${target.id}`)
    this.send(ev.client, client.request, target)
  }

  /**
   * After a disaster recovery the survivor may have lost the clients' sessions (a later seq of an
   * unknown session is SESSION_EXPIRED): every client starts a new session, as KvClient does,
   * and forgets its outstanding request (its outcome stays unknown; its timers are void).
   */
  newSessions(generation: number): void {
    for (const client of this.clients) {
      client.id = `${client.id.split('~')[0]}~${generation}`
      client.seq = 0
      client.request = null
      client.attempt++
    }
  }

  /** Liveness phase: propose `count` session-less puts on the leader (filler that moves its log on). */
  fill(leader: SimNode, count: number): void {
    for (let i = 0; i < count; i++) {
      const data = encodeCommand({op: 'put', key: FILL_KEY, value: String(++this.fills)})
      this.host.propose(leader, data)
    }
  }

  /** An entry was committed (seen for the first time at its index): count the requests committed twice. */
  onCommitted(fp: number): void {
    const n = this.commits.get(fp)
    if (n === undefined) return
    this.commits.set(fp, n + 1)
    if (n + 1 === 2) this.host.stats.deduplicated++
  }

  /** Most requests go to the newest leader; some to any node that believes it leads (stale leaders), some anywhere. */
  private chooseTarget(): SimNode | undefined {
    const roll = this.rng.int(8)
    // Mostly the newest leader; sometimes any node that believes it leads (a stale leader's
    // entries are what Figure 8 is about); sometimes any node at all.
    const target = roll === 0 ? this.pick(this.liveNodes())
      : roll <= 2 ? this.pick(this.liveNodes().filter((n) => n.replica!.status().role === 'leader'))
        : this.host.leaderNode()
    return target
  }

  private liveNodes(): SimNode[] {
    return this.host.liveNodes()
  }

  private pick<T>(items: readonly T[]): T | undefined {
    return items.length === 0 ? undefined : items[this.rng.int(items.length)]
  }

  /** The client's next request: an append of its token (mostly), a put, a compare-and-set or a delete. */
  private nextRequest(client: Client): Request {
    const seq = ++client.seq
    const session = {clientId: client.id, seq}
    const token = `${client.id}.${seq};`
    const roll = this.rng.int(20)
    const register = REGISTER_KEYS[this.rng.int(REGISTER_KEYS.length)]!
    const command: KvWriteCommand =
      roll < 12 ? {op: 'append', key: APPEND_KEYS[this.rng.int(APPEND_KEYS.length)]!, value: token, session}
        : roll < 16 ? {op: 'put', key: register, value: token, session}
          : roll < 19 ? {op: 'cas', key: register, expected: this.rng.int(2) === 0 ? null : token, value: token, session}
            : {op: 'delete', key: register, session}
    const data = encodeCommand(command)
    this.commits.set(fingerprint(data), 0)
    const request = {seq, command, data}
    client.request = request
    return request
  }

  /** Send one attempt of the client's request to `target` and arm its timeout. */
  private send(index: number, request: Request, target: SimNode): void {
    const client = this.clients[index]!
    const attempt = ++client.attempt
    this.host.propose(target, request.data, (outcome) => this.onOutcome(index, request, attempt, outcome))
    this.host.schedule(this.host.now() + this.profile.timeoutMs, {kind: 'retry', client: index, attempt, reason: 'timeout'})
  }

  /** An attempt's answer: acknowledged, or (if it is the latest attempt) sent again after a pause. */
  private onOutcome(index: number, request: Request, attempt: number, outcome: ProposalOutcome): void {
    const client = this.clients[index]!
    if (client.request !== request) return
    if (outcome.ok) {
      client.request = null
      this.ledger.acknowledged(client.id, request.seq, request.command, outcome.result as KvResult | null, outcome.index)
      return
    }
    if (client.attempt === attempt) this.retryLater(index, outcome.unknown ? 'cut off' : 'refused')
  }

  /** Send the client's request again after a short pause (a newer attempt: older timers are void). */
  private retryLater(index: number, reason: RetryEvent['reason']): void {
    if (this.stopped) return
    const client = this.clients[index]!
    const attempt = ++client.attempt
    this.host.schedule(this.host.now() + 1 + this.rng.int(MAX_RETRY_BACKOFF_MS), {kind: 'retry', client: index, attempt, reason})
  }
}
