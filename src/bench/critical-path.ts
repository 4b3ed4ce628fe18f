/**
 * The critical path of a write at low load, from latency trace marks (src/trace/latency.ts):
 * how long each stage took, client → leader → a follower's fdatasync → leader → client, as
 * medians over the writes of one run. Used by `npm run bench:latency`; pure (no I/O).
 *
 * It needs one client with one request in flight at a time (each write is then the window
 * between two `client.send` marks), and tells frames that carry entries from acknowledgements,
 * heartbeats and commit notices by size: a frame of at least `entryFrameBytes` carries entries.
 */

/** One mark: a label, a size in bytes (0 when none) and a time in microseconds. */
export interface TraceMark {
  readonly label: string
  readonly size: number
  readonly us: number
}

/** The marks of one process. */
export interface ProcessTrace {
  readonly pid: string
  readonly marks: readonly TraceMark[]
}

/** One stage of the path, in microseconds over the writes where it could be measured. */
export interface StageFigure {
  readonly stage: string
  readonly medianUs: number
  readonly p90Us: number
  readonly writes: number
}

/** What {@link criticalPath} found. */
export interface CriticalPath {
  /** The stages in path order, then the leader's own fdatasync (off the path when a follower is faster) and the total. */
  readonly stages: StageFigure[]
  /** Writes measured (those where every mark of the path was found). */
  readonly writes: number
  /** Share of those writes answered only after the second follower's acknowledgement arrived (0..1). */
  readonly answeredAfterBothAcks: number
  /** Roles found: pids of the client, the leader and the followers. */
  readonly roles: {readonly client: string; readonly leader: string; readonly followers: readonly string[]}
}

/** Options of {@link criticalPath}. */
export interface CriticalPathOptions {
  /** A peer frame of at least this many bytes carries entries (use the written value size). */
  readonly entryFrameBytes: number
  /** Share of the first writes left out (warm-up). Default 0.1. */
  readonly skipFraction?: number
}

/** Parse a `.trace` file's text (`label size nanoseconds` per line). */
export function parseTrace(pid: string, text: string): ProcessTrace {
  const marks: TraceMark[] = []
  for (const line of text.split('\n')) {
    const [label, size, ns] = line.split(' ')
    if (!label || ns === undefined || label === 'dropped') continue
    marks.push({label, size: Number(size), us: Number(BigInt(ns) / 1000n)})
  }
  return {pid, marks}
}

const STAGES = [
  'client → leader (request received)',
  'leader: request → first append sent',
  'append → fastest follower (received)',
  'follower: received → fdatasync starts',
  'follower: fdatasync',
  'follower: fdatasync → acknowledgement sent',
  'acknowledgement → leader (received)',
  'leader: acknowledgement → answer',
  'answer → client (received)',
] as const

/** Cursor over one process's marks, in time order, for consecutive windows. */
class Marks {
  private start = 0
  constructor(private readonly marks: readonly TraceMark[]) {}

  /** Marks in [from, to) (windows must be asked for in increasing order). */
  window(from: number, to: number): TraceMark[] {
    while (this.start < this.marks.length && this.marks[this.start]!.us < from) this.start++
    const out: TraceMark[] = []
    for (let i = this.start; i < this.marks.length && this.marks[i]!.us < to; i++) out.push(this.marks[i]!)
    return out
  }
}

function first(marks: readonly TraceMark[], after: number, test: (m: TraceMark) => boolean): number | undefined {
  return marks.find((m) => m.us >= after && test(m))?.us
}

function has(p: ProcessTrace, label: string): boolean {
  return p.marks.some((m) => m.label === label)
}

function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN
}

/** A follower's part of one write: when the append arrived, its fdatasync, its acknowledgement. */
interface FollowerLeg {
  readonly received: number
  readonly syncStart: number
  readonly syncEnd: number
  readonly acked: number
}

function followerLeg(marks: readonly TraceMark[], after: number, entryFrameBytes: number): FollowerLeg | undefined {
  const received = first(marks, after, (m) => m.label === 'peer.recv' && m.size >= entryFrameBytes)
  if (received === undefined) return undefined
  const syncStart = first(marks, received, (m) => m.label === 'disk.sync.start' || m.label === 'disk.async.start')
  if (syncStart === undefined) return undefined
  const syncEnd = first(marks, syncStart, (m) => m.label === 'disk.sync.end' || m.label === 'disk.async.end')
  if (syncEnd === undefined) return undefined
  const acked = first(marks, syncEnd, (m) => m.label === 'peer.send')
  return acked === undefined ? undefined : {received, syncStart, syncEnd, acked}
}

/**
 * Measure each stage of every write in the traces of one client, one leader and its followers.
 * Throws when the roles cannot be told (no process with `client.send`, or none with `server.answer`).
 */
export function criticalPath(traces: readonly ProcessTrace[], options: CriticalPathOptions): CriticalPath {
  const client = traces.find((p) => has(p, 'client.send'))
  const leader = traces.find((p) => p !== client && has(p, 'server.answer'))
  if (!client || !leader) throw new Error('the traces hold no client (client.send) or no leader (server.answer)')
  const followers = traces.filter((p) => p !== client && p !== leader && has(p, 'peer.recv'))
  const sends = client.marks.filter((m) => m.label === 'client.send').map((m) => m.us)
  const values: number[][] = [...STAGES, 'leader: own fdatasync', 'total'].map(() => [])
  const cursors = new Map([client, leader, ...followers].map((p) => [p.pid, new Marks(p.marks)]))
  let writes = 0
  let afterBoth = 0
  for (let i = Math.floor(sends.length * (options.skipFraction ?? 0.1)); i < sends.length - 1; i++) {
    const [from, to] = [sends[i]!, sends[i + 1]!]
    const c = cursors.get(client.pid)!.window(from, to)
    const l = cursors.get(leader.pid)!.window(from, to)
    const request = first(l, from, (m) => m.label === 'server.request')
    const answered = request === undefined ? undefined : first(l, request, (m) => m.label === 'server.answer')
    const received = answered === undefined ? undefined : first(c, answered, (m) => m.label === 'client.recv')
    const appended = request === undefined ? undefined : first(l, request, (m) => m.label === 'peer.send' && m.size >= options.entryFrameBytes)
    if (request === undefined || answered === undefined || received === undefined || appended === undefined) continue
    const legs = followers
      .map((f) => followerLeg(cursors.get(f.pid)!.window(from, to), appended, options.entryFrameBytes))
      .filter((leg): leg is FollowerLeg => leg !== undefined)
      .sort((a, b) => a.acked - b.acked)
    const fastest = legs[0]
    if (fastest === undefined) continue
    const ackIn = first(l, fastest.acked, (m) => m.label === 'peer.recv' && m.size < options.entryFrameBytes)
    if (ackIn === undefined || ackIn > answered) continue
    writes++
    const acksIn = l.filter((m) => m.label === 'peer.recv' && m.size < options.entryFrameBytes && m.us >= fastest.acked && m.us <= answered)
    if (acksIn.length > 1) afterBoth++
    const path = [
      request - from, appended - request, fastest.received - appended, fastest.syncStart - fastest.received,
      fastest.syncEnd - fastest.syncStart, fastest.acked - fastest.syncEnd, ackIn - fastest.acked, answered - ackIn, received - answered,
    ]
    path.forEach((v, k) => values[k]!.push(v))
    const ownStart = first(l, request, (m) => m.label === 'disk.async.start' || m.label === 'disk.sync.start')
    const ownEnd = ownStart === undefined ? undefined : first(l, ownStart, (m) => m.label === 'disk.async.end' || m.label === 'disk.sync.end')
    if (ownStart !== undefined && ownEnd !== undefined) values[STAGES.length]!.push(ownEnd - ownStart)
    values[STAGES.length + 1]!.push(received - from)
  }
  const names = [...STAGES, 'leader: own fdatasync (in the thread pool)', 'total (client send → client receive)']
  return {
    stages: names.map((stage, k) => ({stage, medianUs: percentile(values[k]!, 0.5), p90Us: percentile(values[k]!, 0.9), writes: values[k]!.length})),
    writes,
    answeredAfterBothAcks: writes === 0 ? 0 : afterBoth / writes,
    roles: {client: client.pid, leader: leader.pid, followers: followers.map((f) => f.pid)},
  }
}
