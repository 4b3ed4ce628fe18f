/**
 * The workload of `raftctl verify`: concurrent clients doing get / put / cas / append against a
 * live cluster, each with its own KvClient (its own session, so retries of a write are applied at
 * most once), every operation recorded in the history format of DESIGN.md §4 on one monotonic
 * clock.
 *
 * Keys. There are `keys` key SLOTS; even slots hold registers (get, put, cas), odd slots hold
 * append logs (get, append). Client `c` works on slot `c mod keys`, so each key is shared by
 * about `clients / keys` clients (5 with the defaults: 10 clients, 2 slots). A slot moves on to
 * a fresh key (`r0.1`, `r0.2`, …) after `opsPerKey` operations. Both limits keep each key's
 * history within the checker's budgets: its cost grows with the concurrency on one key (append
 * keys especially, where several orders of concurrent appends stay open until a read shows
 * one), far more than with the number of keys.
 *
 * Values. Every write is unique: puts and cas write `v<client>.<n>`, appends add the token
 * `a<client>.<n>;` (the `;` separates tokens; the durability check splits on it).
 *
 * Reads go to a node chosen at random for each read: a follower redirects a linearizable read
 * to the leader, or answers from its own state in the daemons' unsafe follower-read mode.
 *
 * Outcomes, per DESIGN.md §4: a completed write is `ok: true`; a cas is `ok: false` only when it
 * completed with its comparison failing (`swapped: false`, what `kv cas` reports as
 * CAS_MISMATCH); a write error is `ok: "unknown"` (no `return`) whenever the request may have
 * reached a leader (the client says so with `ClientError.unknown`; anything that is not a
 * ClientError counts as unknown too). A write that certainly did not take effect for any other
 * reason (refused before it was proposed: `NOT_LEADER` before the append, `UNAUTHORIZED`, bad
 * input, …) is left OUT of the history and counted in {@link WorkloadResult.rejected}: recorded
 * as `ok: false`, a cas would read as "the comparison failed", a constraint on the key's value
 * that nothing observed. A failed get is `ok: false` and constrains nothing.
 */
import {setTimeout as sleep} from 'node:timers/promises'
import {ClientError, KvClient, type ClientTlsOptions, type Endpoint} from '../client/index.js'
import type {HistoryOp, OpKind} from './history.js'
import {pick, seededRandom} from './random.js'

/** One clock for the whole run: nanoseconds since it was created, as safe integers. */
export class MonotonicClock {
  private readonly origin = process.hrtime.bigint()

  /** Nanoseconds since the clock was created (below 2^53 for 104 days). */
  now(): number {
    return Number(process.hrtime.bigint() - this.origin)
  }
}

/** Default number of concurrent clients. */
export const DEFAULT_CLIENTS = 10
/** Default operations on one key before its slot moves on to a fresh key. */
export const DEFAULT_OPS_PER_KEY = 200
/** Default time one attempt of an operation (one request to one node) may take, ms. */
export const DEFAULT_OP_TIMEOUT_MS = 1000
/** Default time one operation may take over all its attempts, ms. */
export const DEFAULT_OP_DEADLINE_MS = 2500
/** Default most operations per second per client (each client waits so as not to exceed it). */
export const DEFAULT_CLIENT_RATE = 100

/**
 * What the clients do: `kv` single-key ops (registers: get, put, cas; logs: get, append),
 * `range` range reads of a register slot's keys among the register ops, `txn` slots of two keys
 * `t<slot>.<n>/a` and `/b` read together by a range read and written together by txns
 * comparing both with what was read.
 */
export type WorkloadKind = 'kv' | 'range' | 'txn'

/** Every {@link WorkloadKind}. */
export const WORKLOAD_KINDS: readonly WorkloadKind[] = ['kv', 'range', 'txn']

/** The fewest key slots `workloads` need: one per kind of slot (register, log, pair). */
export function workloadSlots(workloads: readonly WorkloadKind[]): number {
  return (workloads.includes('kv') ? 2 : workloads.includes('range') ? 1 : 0) + (workloads.includes('txn') ? 1 : 0)
}

/** Default number of key slots for `clients` clients: one per 5 clients, at least 2 (a register and a log). */
export function defaultKeys(clients: number): number {
  return Math.max(2, Math.round(clients / 5))
}

/** Options of {@link runWorkload}. */
export interface WorkloadOptions {
  /** The nodes (every client may read from any of them). */
  readonly endpoints: readonly Endpoint[]
  readonly secret: string
  /** The cluster id expected of every node, and TLS material for `wss://` (a remote cluster's). */
  readonly clusterId?: string
  readonly tls?: ClientTlsOptions
  readonly clock: MonotonicClock
  /** How long clients start new operations, ms. */
  readonly durationMs: number
  /** Seeds each client's choice of keys, operations and read nodes. */
  readonly seed: number
  /** Concurrent clients. Default {@link DEFAULT_CLIENTS}. */
  readonly clients?: number
  /** Key slots. Default {@link defaultKeys}. */
  readonly keys?: number
  /**
   * Put before every key (e.g. `v1kx2m3-`): a run on a cluster that earlier runs wrote to must
   * start from absent keys, as the history format assumes. Default none.
   */
  readonly keyPrefix?: string
  /** Operations per key before a slot moves on to a fresh key. Default {@link DEFAULT_OPS_PER_KEY}. */
  readonly opsPerKey?: number
  /** Time one attempt may take, ms. Default {@link DEFAULT_OP_TIMEOUT_MS}. */
  readonly opTimeoutMs?: number
  /** Time one operation may take over its retries, ms. Default {@link DEFAULT_OP_DEADLINE_MS}. */
  readonly opDeadlineMs?: number
  /** Most operations per second per client. Default {@link DEFAULT_CLIENT_RATE}. */
  readonly clientRate?: number
  /** Stops the workload early (in-flight operations still complete and are recorded). */
  readonly signal?: AbortSignal
  /** What the clients do. Default `['kv']`. */
  readonly workloads?: readonly WorkloadKind[]
}

/** What the history format does not hold but the report shows. */
export interface OpDetail {
  /** The node a read was sent to first. */
  node?: string
  /** The error code of a failed or unknown op. */
  error?: string
  /** When the client stopped waiting for an unknown op (ns; the op itself has no `return`). */
  gaveUp?: number
}

/** A write left out of the history: it failed with an error that says it was never proposed. */
export interface RejectedOp {
  readonly client: number
  readonly op: Exclude<OpKind, 'get'>
  readonly key: string
  /** The error code (e.g. `UNAUTHORIZED`, `BAD_REQUEST`). */
  readonly error: string
}

/** The recorded run. */
export interface WorkloadResult {
  /** The history, in order of completion. */
  readonly ops: HistoryOp[]
  /** `details[i]` belongs to `ops[i]`. */
  readonly details: OpDetail[]
  /** Every key used, with its kind. */
  readonly keys: ReadonlyMap<string, 'register' | 'append'>
  /** Writes that certainly did not take effect (refused with an error before being proposed): not in `ops`. */
  readonly rejected: RejectedOp[]
  readonly clients: number
  /** When the first client started and the last op ended, ns. */
  readonly started: number
  readonly ended: number
}

/** The key slots shared by the clients. */
class KeySpace {
  private readonly generation: number[]
  private readonly started: number[]
  readonly used = new Map<string, 'register' | 'append'>()
  /** The kind of each slot in turn: registers and logs (kv or range), pairs (txn). */
  private readonly kinds: readonly SlotKind[]

  constructor(readonly slots: number, private readonly opsPerKey: number, workloads: readonly WorkloadKind[], private readonly prefix = '') {
    this.generation = Array.from({length: slots}, () => 0)
    this.started = Array.from({length: slots}, () => 0)
    const kv = workloads.includes('kv') ? ['register', 'append'] as const : workloads.includes('range') ? ['register'] as const : []
    this.kinds = [...kv, ...(workloads.includes('txn') ? ['pair'] as const : [])]
    if (this.kinds.length !== workloadSlots(workloads)) throw new Error('slot kinds out of step with workloadSlots')
  }

  /** How many kinds of slot there are (the fewest slots that use each). */
  get kindCount(): number {
    return this.kinds.length
  }

  kindOf(slot: number): SlotKind {
    return this.kinds[slot % this.kinds.length]!
  }

  /** The prefix of every key the slot has used and will use (`r0.` for `r0.1`, `r0.2`, …). */
  slotPrefix(slot: number): string {
    return `${this.prefix}${KEY_LETTER[this.kindOf(slot)]}${slot}.`
  }

  /** The two keys of a pair slot for one more operation (as {@link take}), and their common prefix. */
  takePair(slot: number): {prefix: string; a: string; b: string} {
    const prefix = `${this.take(slot)}/`
    const pair = {prefix, a: `${prefix}a`, b: `${prefix}b`}
    this.used.set(pair.a, 'register')
    this.used.set(pair.b, 'register')
    return pair
  }

  /** The key of `slot` for one more operation (moving on to a fresh key when the current one is full). */
  take(slot: number): string {
    if (this.started[slot]! >= this.opsPerKey) {
      this.generation[slot]!++
      this.started[slot] = 0
    }
    this.started[slot]!++
    const kind = this.kindOf(slot)
    const key = `${this.slotPrefix(slot)}${this.generation[slot]}`
    if (kind !== 'pair') this.used.set(key, kind)
    return key
  }
}

/** A slot holds a register, an append log, or a pair of registers written by txns. */
type SlotKind = 'register' | 'append' | 'pair'

const KEY_LETTER: Readonly<Record<SlotKind, string>> = {register: 'r', append: 'a', pair: 't'}

/**
 * Run the clients until `durationMs` passes (or `signal` aborts), then wait for the operations in
 * flight (bounded by the op deadline). Never rejects for operation errors: they are recorded.
 */
export async function runWorkload(options: WorkloadOptions): Promise<WorkloadResult> {
  const clients = options.clients ?? DEFAULT_CLIENTS
  const slots = options.keys ?? defaultKeys(clients)
  if (!Number.isInteger(clients) || clients < 1) throw new RangeError(`clients must be a positive integer, got ${clients}`)
  if (!Number.isInteger(slots) || slots < 1) throw new RangeError(`keys must be a positive integer, got ${slots}`)
  const workloads = options.workloads ?? ['kv']
  if (workloads.length === 0) throw new RangeError('workloads must name at least one of kv, range, txn')
  const space = new KeySpace(slots, options.opsPerKey ?? DEFAULT_OPS_PER_KEY, workloads, options.keyPrefix)
  if (slots < space.kindCount) throw new RangeError(`keys must be at least ${space.kindCount} for the workloads ${workloads.join(',')}`)
  const ops: HistoryOp[] = []
  const details: OpDetail[] = []
  const rejected: RejectedOp[] = []
  const started = options.clock.now()
  const endAt = started + options.durationMs * 1e6
  const record: Recorder = {
    op: (op, detail) => {
      ops.push(op)
      details.push(detail)
    },
    rejected: (op) => rejected.push(op),
  }
  await Promise.all(Array.from({length: clients}, (_, c) => runClient(c, options, space, endAt, record)))
  return {ops, details, keys: space.used, rejected, clients, started, ended: options.clock.now()}
}

/** Where a client's operations go: into the history, or (never proposed) into the rejected list. */
interface Recorder {
  op(op: HistoryOp, detail: OpDetail): void
  rejected(op: RejectedOp): void
}

/** One client's loop: one operation at a time, at most `clientRate` per second. */
async function runClient(c: number, options: WorkloadOptions, space: KeySpace, endAt: number, record: Recorder): Promise<void> {
  const {clock} = options
  const random = seededRandom((options.seed * 7919 + c * 104_729) >>> 0)
  const timeoutMs = options.opTimeoutMs ?? DEFAULT_OP_TIMEOUT_MS
  const kv = new KvClient({
    endpoints: options.endpoints,
    secret: options.secret,
    clusterId: options.clusterId,
    tls: options.tls,
    timeoutMs,
    deadlineMs: options.opDeadlineMs ?? DEFAULT_OP_DEADLINE_MS,
    clientId: `verify-${c}-${options.seed}-${Date.now().toString(36)}`,
  })
  const slot = c % space.slots
  const minGapNs = 1e9 / (options.clientRate ?? DEFAULT_CLIENT_RATE)
  const lastSeen = new Map<string, string | null>()
  let n = 0
  try {
    const ranges = (options.workloads ?? ['kv']).includes('range')
    while (clock.now() < endAt && !options.signal?.aborted) {
      if (space.kindOf(slot) === 'pair') {
        const call = clock.now()
        await performPair(kv, c, space.takePair(slot), `v${c}.${++n}`, call, lastSeen, random, options, record)
        const waitNs = call + minGapNs - clock.now()
        if (waitNs > 0) await sleep(waitNs / 1e6)
        continue
      }
      if (ranges && space.kindOf(slot) === 'register' && random() < 0.2) {
        const call = clock.now()
        await performRange(kv, c, {prefix: space.slotPrefix(slot)}, call, lastSeen, options, record)
        const waitNs = call + minGapNs - clock.now()
        if (waitNs > 0) await sleep(waitNs / 1e6)
        continue
      }
      const key = space.take(slot)
      const kind = chooseOp(space.kindOf(slot) as 'register' | 'append', random)
      const value = kind === 'append' ? `a${c}.${++n};` : `v${c}.${++n}`
      const call = clock.now()
      await perform(kv, c, kind, key, value, call, lastSeen, random, options, record)
      const waitNs = call + minGapNs - clock.now()
      if (waitNs > 0) await sleep(waitNs / 1e6)
    }
  } finally {
    await kv.close()
  }
}

/** Registers: 40% get, 30% put, 30% cas. Logs: 40% get, 60% append. */
function chooseOp(kind: 'register' | 'append', random: () => number): OpKind {
  const r = random()
  if (kind === 'append') return r < 0.4 ? 'get' : 'append'
  return r < 0.4 ? 'get' : r < 0.7 ? 'put' : 'cas'
}

async function perform(
  kv: KvClient, client: number, kind: OpKind, key: string, value: string, call: number, lastSeen: Map<string, string | null>,
  random: () => number, options: WorkloadOptions, record: Recorder,
): Promise<void> {
  const {clock} = options
  if (kind === 'get') {
    const node = pick(random, options.endpoints).id
    try {
      const r = await kv.get(key, {node})
      lastSeen.set(key, r.value)
      record.op({client, op: 'get', key, output: r.value, ok: true, call, return: clock.now()}, {node})
    } catch (error) {
      record.op({client, op: 'get', key, ok: false, call, return: clock.now()}, {node, error: codeOf(error)})
    }
    return
  }
  // cas compares against what this client last saw of the key (often current, sometimes stale).
  const expected = kind === 'cas' ? (lastSeen.has(key) ? lastSeen.get(key)! : null) : undefined
  try {
    let ok = true
    if (kind === 'put') await kv.put(key, value)
    else if (kind === 'append') lastSeen.set(key, (await kv.append(key, value)).value)
    else {
      const r = await kv.cas(key, expected ?? null, value)
      ok = r.swapped
      lastSeen.set(key, r.value)
    }
    if (kind === 'put') lastSeen.set(key, value)
    const op: HistoryOp = {client, op: kind, key, value, ok, call, return: clock.now()}
    if (kind === 'cas') op.expected = expected ?? null
    record.op(op, {})
  } catch (error) {
    if (neverProposed(error)) {
      record.rejected({client, op: kind, key, error: codeOf(error)})
      return
    }
    const op: HistoryOp = {client, op: kind, key, value, ok: 'unknown', call}
    if (kind === 'cas') op.expected = expected ?? null
    record.op(op, {error: codeOf(error), gaveUp: clock.now()})
  }
}

/**
 * A linearizable range read, recorded with every key it listed (it must be complete: a list
 * cut by the daemon's limits is recorded as a failed read, which constrains nothing).
 */
async function performRange(kv: KvClient, client: number, range: {prefix: string}, call: number, lastSeen: Map<string, string | null>, options: WorkloadOptions, record: Recorder): Promise<void> {
  try {
    const r = await kv.range(range)
    if (r.more) return record.op({client, op: 'range', key: '', ...range, ok: false, call, return: options.clock.now()}, {error: 'MORE'})
    const kvs = r.kvs.map((e) => ({key: e.key, value: e.value ?? ''}))
    for (const e of kvs) lastSeen.set(e.key, e.value)
    record.op({client, op: 'range', key: '', ...range, kvs, ok: true, call, return: options.clock.now()}, {})
  } catch (error) {
    record.op({client, op: 'range', key: '', ...range, ok: false, call, return: options.clock.now()}, {error: codeOf(error)})
  }
}

/**
 * One op on a pair: a range read of both keys (40%, and whenever the client has not read them
 * yet), or a txn that compares both with what the client last saw and puts unique values to both.
 */
async function performPair(
  kv: KvClient, client: number, pair: {prefix: string; a: string; b: string}, value: string, call: number, lastSeen: Map<string, string | null>,
  random: () => number, options: WorkloadOptions, record: Recorder,
): Promise<void> {
  if (!lastSeen.has(pair.a) || random() < 0.4) {
    lastSeen.set(pair.a, null)
    lastSeen.set(pair.b, null)
    return performRange(kv, client, {prefix: pair.prefix}, call, lastSeen, options, record)
  }
  const compare = [pair.a, pair.b].map((key) => {
    const seen = lastSeen.get(key) ?? null
    return seen === null ? {key, absent: true as const} : {key, value: seen}
  })
  const success = [{op: 'put' as const, key: pair.a, value: `${value}a`}, {op: 'put' as const, key: pair.b, value: `${value}b`}]
  const op: HistoryOp = {client, op: 'txn', key: '', compare, success, failure: [], ok: true, call}
  try {
    const r = await kv.txn({compare, success, failure: []})
    if (r.succeeded) for (const w of success) lastSeen.set(w.key, w.value)
    else lastSeen.delete(pair.a)
    record.op({...op, succeeded: r.succeeded, return: options.clock.now()}, {})
  } catch (error) {
    lastSeen.delete(pair.a)
    if (neverProposed(error)) return record.rejected({client, op: 'txn', key: pair.prefix, error: codeOf(error)})
    record.op({...op, ok: 'unknown'}, {error: codeOf(error), gaveUp: options.clock.now()})
  }
}

/**
 * Whether a write's error says it certainly never took effect: a ClientError the client did not
 * mark `unknown` (no attempt may have reached a leader's log). Anything else may have been
 * proposed, so its outcome is unknown.
 */
function neverProposed(error: unknown): boolean {
  return error instanceof ClientError && !error.unknown
}

function codeOf(error: unknown): string {
  return error instanceof ClientError ? error.code : (error as Error)?.name ?? 'Error'
}
