/**
 * WatchHub: the daemon's side of `kv watch`. It listens to the KV state machine's changes (a
 * {@link KvChangeListener}), keeps the recent ones as a bounded history, and streams them to
 * watchers, each from its own index, in log order, one entry's changes at a time.
 *
 * History rule: the changes of the last `historyEntries` entries that changed anything (and at
 * most {@link WATCH_HISTORY_MAX_BYTES}), never from before the node's last restore of a
 * snapshot (at start-up, or one installed from the leader): those changes are unknown to it. A
 * watch may start at any index from `oldestIndex` on; older is `COMPACTED`.
 *
 * Cost on the write path: the history keeps, per changing entry, its index, a reference to its
 * command bytes (the Raft log holds them anyway) and the state machine's {@link KvChangeSummary}
 * (null for a put, delete or cas), and its byte count, in preallocated rings: an apply allocates
 * nothing here, and dropping the oldest entry reads only the rings (not that entry's objects,
 * long out of the CPU's caches by then). The
 * change list is decoded from the bytes only when a watcher reads the entry ({@link changesOf};
 * the last one decoded is cached, as watchers that keep up all read the newest entry).
 *
 * Backpressure: a watcher's frames go to its socket only while the socket holds fewer than
 * {@link WATCH_BUFFER_BYTES} unsent bytes; otherwise the watcher waits (its cursor in the
 * shared history is all it holds) and resumes when the socket drains. A watcher whose cursor
 * falls out of the history (it stopped reading, or reads slower than the writes come) is ended
 * with `SLOW_CONSUMER`. So the hub's memory is the history plus, per watcher, at most one
 * buffer's worth of frames and one entry.
 */
import {changesOf, type KvChange, type KvChangeListener, type KvChangeSummary} from '../kv/index.js'
import {formatEvent, WATCH_FRAME_CHANGES, type WatchChange, type WatchParams} from '../admin/protocol.js'
import type {ErrorCode} from '../common/errors.js'

/** Default of `--watch-history`: changes of the last 10,000 changing entries are kept. */
export const DEFAULT_WATCH_HISTORY_ENTRIES = 10_000
/** Most bytes (keys and values, UTF-16 length × 2 as an estimate) of kept changes: 64 MiB. */
export const WATCH_HISTORY_MAX_BYTES = 64 * 1024 * 1024
/** Unsent bytes one watcher's socket may hold before the hub stops sending to it: 1 MiB. */
export const WATCH_BUFFER_BYTES = 1024 * 1024
/** Most watchers on one node: 1,000 (more are refused with `OVERLOADED`). */
export const MAX_WATCHERS = 1000
/** How often a node tells each caught-up watch its progress (defined with the protocol: clients rely on it). */
export {WATCH_PROGRESS_MS} from '../admin/protocol.js'

/** Where a watcher's frames go: its client's socket. */
export interface WatchSink {
  /** Send one text frame; `sent` is called once it is handed to the OS (or the socket failed). */
  send(frame: string, sent: () => void): void
  /** Bytes given to `send` not yet handed to the OS. */
  readonly buffered: number
  /** Be told once when the socket closes. */
  onClose(listener: () => void): void
}

/** A watch refused at its start (the service answers it as an error). */
export class WatchRefused extends Error {
  constructor(readonly code: ErrorCode, message: string) {
    super(message)
  }
}

/** Bytes counted per kept entry besides its command bytes and summary (the ring slots). */
const ENTRY_OVERHEAD_BYTES = 64
/** First capacity of the history's rings (doubled as needed, up to `historyEntries`). */
const INITIAL_RING_CAPACITY = 1024

interface Watcher {
  readonly id: number
  readonly sink: WatchSink
  readonly matches: (key: string) => boolean
  /** The index of the next entry to send (entries before it were sent or had no match). */
  next: number
  /** Waiting for the socket to drain. */
  waiting: boolean
  ended: boolean
}

/** The watches of one node. */
export class WatchHub implements KvChangeListener {
  /** The kept entries, a ring of parallel slots: the `count` oldest-first from position `start`. */
  private indexes = new Float64Array(INITIAL_RING_CAPACITY)
  /** Each kept entry's {@link entryBytes}, counted once when it comes (dropping it reads no old object). */
  private sizes = new Float64Array(INITIAL_RING_CAPACITY)
  private datas: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(INITIAL_RING_CAPACITY).fill(undefined)
  private summaries: (KvChangeSummary | undefined)[] = new Array<KvChangeSummary | undefined>(INITIAL_RING_CAPACITY).fill(undefined)
  private start = 0
  private count = 0
  private bytes = 0
  /** The change list decoded last, for the entry at `decodedIndex` (every watcher that keeps up reads the same one). */
  private decodedIndex = -1
  private decoded: readonly KvChange[] = []
  /** Every change at an index from here on is known (kept or streamed). */
  private oldest: number
  private readonly watchers = new Set<Watcher>()

  /**
   * @param appliedIndex the state machine's applied index when the hub starts listening.
   * @param historyEntries how many changing entries to keep (`--watch-history`).
   */
  constructor(appliedIndex: number, private readonly historyEntries = DEFAULT_WATCH_HISTORY_ENTRIES, private readonly label = 'this node') {
    this.oldest = appliedIndex + 1
  }

  /** The oldest index a watch may start from. */
  get oldestIndex(): number {
    return this.oldest
  }

  /** Watchers open now. */
  get size(): number {
    return this.watchers.size
  }

  /** Bytes held: the history plus what every watcher's socket has not sent yet (for the metric). */
  get heldBytes(): number {
    let total = this.bytes
    for (const w of this.watchers) total += w.sink.buffered
    return total
  }

  /** Changing entries kept now. */
  get keptEntries(): number {
    return this.count
  }

  /**
   * Start watch `id` on `sink` from `params.fromIndex` (default `appliedIndex + 1`); returns
   * the first index it streams. Throws {@link WatchRefused} `COMPACTED` when that index is older
   * than {@link oldestIndex}, `OVERLOADED` over {@link MAX_WATCHERS}.
   */
  watch(id: number, params: WatchParams, appliedIndex: number, sink: WatchSink): number {
    const from = params.fromIndex ?? appliedIndex + 1
    if (from < this.oldest) {
      throw new WatchRefused('COMPACTED', `index ${from} is compacted on ${this.label}: the oldest index still available is ${this.oldest}`)
    }
    if (this.watchers.size >= MAX_WATCHERS) throw new WatchRefused('OVERLOADED', `${MAX_WATCHERS} watches are open on ${this.label} (MAX_WATCHERS)`)
    const {key, prefix} = params
    const matches = key !== undefined ? (k: string) => k === key : (k: string) => k.startsWith(prefix!)
    const watcher: Watcher = {id, sink, matches, next: from, waiting: false, ended: false}
    this.watchers.add(watcher)
    sink.onClose(() => this.remove(watcher))
    // After the answer to the request: the first frames follow it.
    queueMicrotask(() => this.pump(watcher))
    return from
  }

  changed(index: number, data: Uint8Array, summary: KvChangeSummary): void {
    if (this.count === this.indexes.length) this.grow()
    const at = (this.start + this.count) % this.indexes.length
    this.indexes[at] = index
    this.datas[at] = data
    this.summaries[at] = summary
    const size = entryBytes(data, summary)
    this.sizes[at] = size
    this.count++
    this.bytes += size
    this.trim()
    if (this.watchers.size > 0) for (const w of this.watchers) if (!w.waiting) this.pump(w)
  }

  restored(appliedIndex: number): void {
    while (this.count > 0) this.dropOldest()
    this.bytes = 0
    this.decodedIndex = -1
    this.decoded = []
    this.oldest = appliedIndex + 1
    for (const w of this.watchers) {
      if (w.next < this.oldest) this.end(w, 'COMPACTED', `${this.label} installed a snapshot at index ${appliedIndex}: changes before ${this.oldest} are no longer known here`)
    }
  }

  /**
   * Tell every watcher that has nothing unsent (no kept entry from its cursor on, its socket not
   * full) that every change up to `appliedIndex` was sent, and that the node has heard no
   * leader for `leaderSilentMs` (a `watchProgress` frame). Called every {@link WATCH_PROGRESS_MS}.
   */
  progress(appliedIndex: number, leaderSilentMs: number): void {
    if (this.watchers.size === 0) return
    const now = Date.now()
    for (const w of this.watchers) {
      if (w.waiting || w.ended || this.firstAtOrAfter(w.next) < this.count) continue
      w.next = Math.max(w.next, appliedIndex + 1)
      w.sink.send(formatEvent({type: 'watchProgress', watchId: w.id, index: w.next - 1, leaderSilentMs: Math.max(0, Math.round(leaderSilentMs))}, now), noop)
    }
  }

  /** End every watch (the node is stopping). */
  close(): void {
    for (const w of this.watchers) this.end(w, 'SHUTTING_DOWN', `${this.label} is shutting down`)
  }

  // -------------------------------------------------------------------------------------------

  /** Double the rings' capacity (up to what `historyEntries` needs), keeping the entries in order. */
  private grow(): void {
    const capacity = this.indexes.length * 2
    const indexes = new Float64Array(capacity)
    const sizes = new Float64Array(capacity)
    const datas = new Array<Uint8Array | undefined>(capacity).fill(undefined)
    const summaries = new Array<KvChangeSummary | undefined>(capacity).fill(undefined)
    for (let i = 0; i < this.count; i++) {
      const at = (this.start + i) % this.indexes.length
      indexes[i] = this.indexes[at]!
      sizes[i] = this.sizes[at]!
      datas[i] = this.datas[at]
      summaries[i] = this.summaries[at]
    }
    this.indexes = indexes
    this.sizes = sizes
    this.datas = datas
    this.summaries = summaries
    this.start = 0
  }

  /** Forget the oldest kept entry (its references too, so its bytes can be collected). */
  private dropOldest(): void {
    const at = this.start
    this.bytes -= this.sizes[at]!
    this.oldest = this.indexes[at]! + 1
    this.datas[at] = undefined
    this.summaries[at] = undefined
    this.start = (at + 1) % this.indexes.length
    this.count--
  }

  /** Drop the oldest entries beyond the limits; end the watchers that still needed them. */
  private trim(): void {
    const before = this.oldest
    while (this.count > this.historyEntries || (this.bytes > WATCH_HISTORY_MAX_BYTES && this.count > 1)) this.dropOldest()
    if (this.oldest === before || this.watchers.size === 0) return
    for (const w of this.watchers) {
      if (w.next < this.oldest) this.end(w, 'SLOW_CONSUMER', `the watch fell more than ${this.historyEntries} changing entries behind on ${this.label} (--watch-history): read faster, or resume from the oldest index still available, ${this.oldest}`)
    }
  }

  /**
   * Send `w` the kept entries from its cursor on while its socket has room: after an entry that
   * leaves the socket's buffer at or over {@link WATCH_BUFFER_BYTES}, wait for that entry's
   * last frame to be handed to the OS (so the buffer exceeds the limit by at most one entry).
   */
  private pump(w: Watcher): void {
    if (w.ended) return
    for (let i = this.firstAtOrAfter(w.next); i < this.count; i++) {
      const index = this.indexes[(this.start + i) % this.indexes.length]!
      const last = this.sendEntry(w, index, this.changesAt(i, index))
      w.next = index + 1
      if (last === null) continue
      if (w.sink.buffered >= WATCH_BUFFER_BYTES) {
        // Resume from the last frame's completion: the socket has drained some by then.
        w.waiting = true
        w.sink.send(last, () => {
          w.waiting = false
          this.pump(w)
        })
        return
      }
      w.sink.send(last, noop)
    }
  }

  /** The change list of the kept entry at ring offset `i` (whose index is `index`): decoded once, then cached until another is decoded. */
  private changesAt(i: number, index: number): readonly KvChange[] {
    if (this.decodedIndex !== index) {
      const at = (this.start + i) % this.indexes.length
      this.decoded = changesOf(this.datas[at]!, this.summaries[at]!)
      this.decodedIndex = index
    }
    return this.decoded
  }

  /** Send every frame of the entry at `index`'s matching changes but the last, which is returned (null: none matched). */
  private sendEntry(w: Watcher, index: number, changes: readonly KvChange[]): string | null {
    const matching: WatchChange[] = []
    for (const c of changes) {
      if (w.matches(c.key)) matching.push(c.value === null ? {type: 'delete', key: c.key} : {type: 'put', key: c.key, value: c.value})
    }
    if (matching.length === 0) return null
    for (let from = 0; ; from += WATCH_FRAME_CHANGES) {
      const more = from + WATCH_FRAME_CHANGES < matching.length
      const frame = formatEvent({type: 'watch', watchId: w.id, index, changes: matching.slice(from, from + WATCH_FRAME_CHANGES), ...(more ? {more} : {})}, Date.now())
      if (!more) return frame
      w.sink.send(frame, noop)
    }
  }

  /** Ring offset (0: the oldest) of the first kept entry with index ≥ `index` (binary search). */
  private firstAtOrAfter(index: number): number {
    let lo = 0
    let hi = this.count
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.indexes[(this.start + mid) % this.indexes.length]! < index) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  private end(w: Watcher, code: ErrorCode, message: string): void {
    if (w.ended) return
    w.ended = true
    this.watchers.delete(w)
    w.sink.send(formatEvent({type: 'watchEnd', watchId: w.id, code, message, oldestIndex: this.oldest}, Date.now()), noop)
  }

  private remove(w: Watcher): void {
    w.ended = true
    this.watchers.delete(w)
  }
}

function noop(): void {}

/**
 * Bytes one kept entry holds: its command bytes (shared with the Raft log while the log keeps
 * the entry), its summary (strings counted as UTF-16) and {@link ENTRY_OVERHEAD_BYTES}.
 */
function entryBytes(data: Uint8Array, summary: KvChangeSummary): number {
  let bytes = ENTRY_OVERHEAD_BYTES + data.byteLength
  if (typeof summary === 'string') bytes += 2 * summary.length
  else if (summary !== null) for (const c of summary) bytes += 2 * (c.key.length + (c.value?.length ?? 0)) + 32
  return bytes
}
