/**
 * KvWatch: the client side of a `watch` (KvClient.watch): an async iterator of the changes of a
 * key or a prefix, in log order, that survives leader changes and node restarts. It holds one
 * connection of its own to one node at a time; when that connection closes, or the node ends
 * the watch with `COMPACTED` or `SHUTTING_DOWN`, it reconnects to the next endpoint and resumes
 * from the index after the last complete entry it received, so no change is skipped or repeated.
 * The node also sends progress (`watchProgress`, every second while it has nothing unsent): the
 * client then resumes from after the node's applied index, and leaves a node that has heard no
 * leader for longer than `leaderlessTimeoutMs` (a follower partitioned away would otherwise
 * hold the watch until the partition heals), resuming on the next endpoint. A watchdog leaves a
 * node from which nothing at all (no change, no progress, not a byte) arrives for
 * `silenceTimeoutMs` while this side reads: a node that hangs (SIGSTOP, `raftctl node pause`) or
 * a network that drops packets while the TCP connection stays open sends no progress either.
 * It fails only with `SLOW_CONSUMER` (the node cut it off: the consumer read too slowly),
 * `COMPACTED` from every endpoint, or an error a retry cannot mend (`UNAUTHORIZED`, …).
 *
 * Backpressure: at most `maxBufferedChanges` received changes, and about `maxBufferedBytes` of
 * their keys and values, wait for the consumer; beyond either the socket is paused, so the
 * node's send buffer fills, and the node, not this process, decides to cut the watch off
 * (docs/kv.md, Watch).
 */
import {setTimeout as sleep} from 'node:timers/promises'
import {WATCH_PROGRESS_MS, type AdminEvent, type ProtocolLimits, type WatchChange} from '../admin/protocol.js'
import type {ErrorCode} from '../common/errors.js'
import {isErrorCode} from '../common/errors.js'
import {Connection, type ClientTlsOptions} from './connection.js'
import {ClientError, toClientError} from './errors.js'

/** Default most received changes waiting for the consumer before the socket is paused. */
export const DEFAULT_WATCH_BUFFERED_CHANGES = 10_000

/**
 * Default most bytes of received changes waiting for the consumer before the socket is paused:
 * 16 MiB, counted as the node counts its history (keys and values as UTF-16, 2 bytes a
 * character). Without it, 10,000 buffered changes of 1 MiB values would be 10 GiB here.
 */
export const DEFAULT_WATCH_BUFFERED_BYTES = 16 * 1024 * 1024

/**
 * Default of {@link WatchOptions.leaderlessTimeoutMs}: a watch leaves a node that reports it
 * has heard no leader for longer than 3 s (about 10 default election timeouts: an election
 * ends well before; a node cut off from the others does not).
 */
export const DEFAULT_WATCH_LEADERLESS_MS = 3000

/**
 * Default of {@link WatchOptions.silenceTimeoutMs}: 3 s, three of the intervals at which a node
 * sends a caught-up watch its progress (`WATCH_PROGRESS_MS`, 1 s), so two lost or late
 * progress events (a GC pause, a busy machine) do not move the watch.
 */
export const DEFAULT_WATCH_SILENCE_MS = 3 * WATCH_PROGRESS_MS

/**
 * Least {@link WatchOptions.silenceTimeoutMs}: 2 s, two progress intervals; less would leave a
 * healthy node whose progress event came a little late.
 */
export const MIN_WATCH_SILENCE_MS = 2 * WATCH_PROGRESS_MS

/** One change of a watched key, with the index of the log entry that made it. */
export interface KvWatchEvent {
  readonly type: 'put' | 'delete'
  readonly key: string
  /** The new value (absent for a delete). */
  readonly value?: string
  /** The index of the entry that made the change; several changes may share one (a txn, a deletePrefix). */
  readonly index: number
}

/** What to watch: one key, or every key starting with `prefix` (`""`: every key). */
export type WatchSelector = {readonly key: string} | {readonly prefix: string}

/** Options of {@link KvClient.watch}. */
export interface WatchOptions {
  /** Stream changes from this index on (default: after the answering node's applied index). */
  readonly fromIndex?: number
  /** Most received changes waiting for the consumer. Default {@link DEFAULT_WATCH_BUFFERED_CHANGES}. */
  readonly maxBufferedChanges?: number
  /** Most bytes of received changes (keys and values, 2 bytes a character) waiting for the consumer. Default {@link DEFAULT_WATCH_BUFFERED_BYTES}. */
  readonly maxBufferedBytes?: number
  /** Leave a node (resuming on the next endpoint) once it reports no leader heard for longer than this. Default {@link DEFAULT_WATCH_LEADERLESS_MS}. */
  readonly leaderlessTimeoutMs?: number
  /**
   * Leave a node (resuming on the next endpoint) once nothing at all has arrived from it for this
   * long while the watch was reading: no change, no progress event, not a byte (the node hangs,
   * or the network drops its packets with the connection still open). At least
   * {@link MIN_WATCH_SILENCE_MS}. Default {@link DEFAULT_WATCH_SILENCE_MS}.
   */
  readonly silenceTimeoutMs?: number
}

/** What the watch needs of its client: where and how to connect. */
export interface WatchTargets {
  readonly urls: readonly string[]
  readonly secret: string
  readonly clusterId?: string
  readonly timeoutMs: number
  readonly tls?: ClientTlsOptions
  readonly limits: Partial<ProtocolLimits>
}

/** Codes after which another node is tried (a resumption). */
const RESUMABLE: ReadonlySet<string> = new Set(['UNAVAILABLE', 'TIMEOUT', 'SHUTTING_DOWN', 'COMPACTED', 'OVERLOADED', 'BAD_RESPONSE', 'FAILED'])

/** Back-off between reconnections, ms: doubling from the first to the last. */
const BACKOFF_MS = [25, 1000] as const

/** A running watch. Iterate it; {@link close} it when done (a `break` out of `for await` closes it too). */
export class KvWatch implements AsyncIterableIterator<KvWatchEvent> {
  private readonly queue: KvWatchEvent[] = []
  /** Bytes of the changes in {@link queue} ({@link changeBytes}). */
  private queuedBytes = 0
  /** Changes of the entry being received (its frames carry `more: true` until its last). */
  private partial: KvWatchEvent[] = []
  private waiter: {resolve: () => void} | null = null
  private failure: ClientError | null = null
  private closed = false
  private connection: Connection | null = null
  private resumeAt: number | undefined
  private last = 0
  private readonly maxBuffered: number
  private readonly maxBufferedBytes: number
  private readonly leaderlessMs: number
  private readonly silenceMs: number

  constructor(private readonly targets: WatchTargets, private readonly selector: WatchSelector, options: WatchOptions = {}) {
    this.resumeAt = options.fromIndex
    this.maxBuffered = options.maxBufferedChanges ?? DEFAULT_WATCH_BUFFERED_CHANGES
    if (!(this.maxBuffered >= 1)) throw new RangeError(`maxBufferedChanges must be at least 1, got ${this.maxBuffered}`)
    this.maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_WATCH_BUFFERED_BYTES
    if (!(this.maxBufferedBytes >= 1)) throw new RangeError(`maxBufferedBytes must be at least 1, got ${this.maxBufferedBytes}`)
    this.leaderlessMs = options.leaderlessTimeoutMs ?? DEFAULT_WATCH_LEADERLESS_MS
    if (!(this.leaderlessMs >= 0)) throw new RangeError(`leaderlessTimeoutMs must be at least 0, got ${this.leaderlessMs}`)
    this.silenceMs = options.silenceTimeoutMs ?? DEFAULT_WATCH_SILENCE_MS
    if (!(this.silenceMs >= MIN_WATCH_SILENCE_MS)) throw new RangeError(`silenceTimeoutMs must be at least ${MIN_WATCH_SILENCE_MS}, got ${this.silenceMs}`)
    void this.run()
  }

  /** The index of the last complete entry received (0: none yet); resume from the next one. */
  get lastIndex(): number {
    return this.last
  }

  [Symbol.asyncIterator](): this {
    return this
  }

  async next(): Promise<IteratorResult<KvWatchEvent>> {
    for (;;) {
      const event = this.queue.shift()
      if (event !== undefined) {
        this.queuedBytes -= changeBytes(event)
        if (this.queue.length <= this.maxBuffered / 2 && this.queuedBytes <= this.maxBufferedBytes / 2) this.connection?.resume()
        return {value: event, done: false}
      }
      if (this.failure !== null) throw this.failure
      if (this.closed) return {value: undefined, done: true}
      await new Promise<void>((resolve) => (this.waiter = {resolve}))
    }
  }

  async return(): Promise<IteratorResult<KvWatchEvent>> {
    await this.close()
    return {value: undefined, done: true}
  }

  /** Stop watching and close the connection. Idempotent. */
  async close(): Promise<void> {
    this.closed = true
    this.wake()
    await this.connection?.close()
  }

  // -------------------------------------------------------------------------------------------

  /** Connect, watch, and on a resumable end reconnect to the next endpoint, until closed or failed. */
  private async run(): Promise<void> {
    let failures = 0
    let compactedInARow = 0
    for (let node = 0; !this.closed; node++) {
      const before = this.last
      try {
        await this.watchOn(this.targets.urls[node % this.targets.urls.length]!)
      } catch (error) {
        const e = toClientError(error)
        if (this.closed) return
        if (!RESUMABLE.has(e.code)) return this.fail(e)
        compactedInARow = e.code === 'COMPACTED' && this.last === before ? compactedInARow + 1 : 0
        if (compactedInARow >= this.targets.urls.length) return this.fail(e)
      }
      failures = this.last === before ? failures + 1 : 0
      if (failures > 0) await sleep(Math.min(BACKOFF_MS[1], BACKOFF_MS[0] * 2 ** Math.min(failures - 1, 10)))
    }
  }

  /** One node: resolves or rejects when its connection or its watch ends. */
  private async watchOn(url: string): Promise<void> {
    const {secret, clusterId, timeoutMs, tls, limits} = this.targets
    const connection = await Connection.open({url, secret, clusterId, timeoutMs, tls, limits})
    this.connection = connection
    let watchdog: NodeJS.Timeout | undefined
    try {
      if (this.closed) return
      let silent: (error: ClientError) => void = () => undefined
      const ended = new Promise<void>((resolve, reject) => {
        connection.onEvent((event) => {
          const end = this.onEvent(event, connection, url)
          if (end !== undefined) reject(end)
        })
        connection.onClose((reason) => reject(reason))
        silent = reject
      })
      ended.catch(() => undefined)
      this.partial = []
      const params = {...this.selector, ...(this.resumeAt === undefined ? {} : {fromIndex: this.resumeAt})}
      const started = await connection.request('watch', params)
      this.resumeAt ??= started.fromIndex
      watchdog = this.watchdog(connection, url, silent)
      await ended
    } finally {
      clearInterval(watchdog)
      this.connection = null
      await connection.close()
    }
  }

  /**
   * Watch `connection` for silence: checked every quarter of the silence timeout, it calls
   * `silent` (UNAVAILABLE: resumed on the next node) once no byte has arrived for the whole
   * timeout while the socket was read. While this side has paused reading (a slow consumer),
   * nothing is expected, and the count starts again when reading resumes.
   */
  private watchdog(connection: Connection, url: string, silent: (error: ClientError) => void): NodeJS.Timeout {
    let bytes = connection.bytesReceived
    let heardAt = performance.now()
    const timer = setInterval(() => {
      const now = performance.now()
      if (connection.isPaused || connection.bytesReceived !== bytes) {
        bytes = connection.bytesReceived
        heardAt = now
      } else if (now - heardAt >= this.silenceMs) {
        clearInterval(timer)
        silent(new ClientError('UNAVAILABLE', `${url} sent nothing for ${Math.round(now - heardAt)} ms (no change, no progress; silence timeout ${this.silenceMs} ms): resuming the watch on another node`))
      }
    }, this.silenceMs / 4)
    timer.unref()
    return timer
  }

  /** Take one pushed event; returns the error that ends this connection's watch, if it does. */
  private onEvent(event: AdminEvent, connection: Connection, url: string): ClientError | undefined {
    if (event.type === 'watchEnd') {
      const code: ErrorCode = isErrorCode(event.code) ? event.code : 'FAILED'
      return new ClientError(code, event.message)
    }
    if (event.type === 'watchProgress') return this.onProgress(event.index, event.leaderSilentMs, url)
    if (event.type !== 'watch') return undefined
    if (this.resumeAt !== undefined && event.index < this.resumeAt) return undefined // a frame of an entry already complete
    for (const c of event.changes) this.partial.push(change(c, event.index))
    if (event.more === true) return undefined
    for (const e of this.partial) this.queuedBytes += changeBytes(e)
    this.queue.push(...this.partial)
    this.partial = []
    this.last = event.index
    this.resumeAt = event.index + 1
    if (this.queue.length > this.maxBuffered || this.queuedBytes > this.maxBufferedBytes) connection.pause()
    this.wake()
    return undefined
  }

  /**
   * The node sent every matching change up to `index`: resume from after it (none of a partial
   * entry can be pending: a node sends progress only between entries). A node that has heard no
   * leader for longer than the leaderless timeout is left (UNAVAILABLE: resumed on the next).
   */
  private onProgress(index: number, leaderSilentMs: number, url: string): ClientError | undefined {
    if (this.partial.length === 0 && index + 1 > (this.resumeAt ?? 0)) this.resumeAt = index + 1
    if (leaderSilentMs <= this.leaderlessMs) return undefined
    return new ClientError('UNAVAILABLE', `${url} has heard no leader for ${leaderSilentMs} ms (over ${this.leaderlessMs} ms): resuming the watch on another node`)
  }

  private fail(error: ClientError): void {
    this.failure = error
    this.wake()
  }

  private wake(): void {
    const waiter = this.waiter
    this.waiter = null
    waiter?.resolve()
  }
}

/** What a buffered change counts for: its key and value as UTF-16 (2 bytes a character) and 32 bytes. */
function changeBytes(e: KvWatchEvent): number {
  return 2 * (e.key.length + (e.value?.length ?? 0)) + 32
}

function change(c: WatchChange, index: number): KvWatchEvent {
  return c.value === undefined ? {type: c.type, key: c.key, index} : {type: c.type, key: c.key, value: c.value, index}
}
