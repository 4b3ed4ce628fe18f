/**
 * The matrix of `npm run bench:compare -- --matrix` (issue 23): which cells to run (value size ×
 * client count × cluster size × operation, for each system), and what to make of their results:
 * one markdown table with client CPU per op beside server CPU per op, the line plots (throughput
 * and p99 against each dimension, one line per system), the issue's targets marked held or
 * missed, and the section of docs/performance.md between its markers. Pure (no I/O, no clock):
 * bench/compare.ts measures and writes the files; these rules are unit-tested.
 *
 * A cell that could not be measured (a refused value size, a crashed peer, no operation
 * completed) stays in every output as failed, with its reason: never dropped, never drawn as 0.
 */
import {formatQuantity, linePlotSvg, type PlotSeries} from './svg-plot.js'
import {median} from './compare-stats.js'
import {parseSize} from '../common/units.js'

/** The operations of the matrix: writes (put / setData) and linearizable reads. */
export type MatrixOp = 'writes' | 'reads'

/** The dimensions a matrix runs over. */
export interface MatrixDims {
  /** Value sizes, bytes. */
  readonly sizes: readonly number[]
  /** Concurrent clients (each with one operation in flight). */
  readonly clients: readonly number[]
  /** Cluster sizes (every system runs this many nodes). */
  readonly nodes: readonly number[]
  readonly ops: readonly MatrixOp[]
}

/**
 * The full matrix of issue 23: 100 B, 1 KiB, 16 KiB and 256 KiB values; 1, 64 and 1,000
 * clients; 3- and 5-node clusters; writes and linearizable reads.
 */
export const MATRIX_DEFAULTS: MatrixDims = {
  sizes: [100, 1024, 16 * 1024, 256 * 1024],
  clients: [1, 64, 1000],
  nodes: [3, 5],
  ops: ['writes', 'reads'],
}

/** One cell: one system is measured once in each. */
export interface MatrixCell {
  readonly nodes: number
  readonly op: MatrixOp
  readonly valueBytes: number
  readonly clients: number
}

/** One system in one cell: the measured figures, or failed with the reason. */
export interface MatrixRow extends MatrixCell {
  readonly system: string
  readonly status: 'ok' | 'failed'
  /** Why the cell failed (an error code such as PAYLOAD_TOO_LARGE, or a message); null when ok. */
  readonly reason: string | null
  /** Operations completed in the measured window (0 when failed). */
  readonly ops: number
  /** Operations per second; null when failed. */
  readonly throughput: number | null
  /** Value bytes per second / 10^6 (throughput × value size); null when failed. */
  readonly mbPerSec: number | null
  readonly p50: number | null
  readonly p99: number | null
  /** Failed operations inside the measured window (a cell can be ok with some). */
  readonly errors: number
  /** CPU ms per operation of the driving process (the client) and of the system's servers. */
  readonly clientCpuMsPerOp: number | null
  readonly serverCpuMsPerOp: number | null
  /** Cores used by other programs (and the --background spinners) during the cell. */
  readonly backgroundCores: number | null
  /**
   * Runs of this system in this cell (`--cell-repeats`, the systems' order rotating from run to
   * run) and the lowest and highest throughput among those that completed: the row's figures
   * are those of the run with the median throughput. Absent: one run.
   */
  readonly runs?: number
  readonly throughputRange?: readonly [number, number]
}

/** What one run of one system in one cell gave (before it is judged ok or failed). */
export interface CellMeasure {
  readonly ops: number
  readonly throughput: number
  readonly p50: number
  readonly p99: number
  readonly errors: number
  /** Failed operations by code or message (the most frequent becomes a failed cell's reason). */
  readonly errorCounts: Readonly<Record<string, number>>
  readonly clientCpuMsPerOp: number | null
  readonly serverCpuMsPerOp: number | null
  readonly backgroundCores: number | null
}

/** Parse a comma-separated list option with `parse` for each item; throws naming the option. */
export function parseList<T>(text: string, option: string, parse: (item: string) => T): T[] {
  const items = text.split(',').map((s) => s.trim()).filter(Boolean)
  if (items.length === 0) throw new RangeError(`${option} names nothing`)
  return items.map((item) => {
    try {
      return parse(item)
    } catch (error) {
      throw new RangeError(`${option}: ${(error as Error).message}`)
    }
  })
}

/** A positive integer (client and node counts). */
export function parseCount(item: string): number {
  const n = Number(item)
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`not a positive integer: ${JSON.stringify(item)}`)
  return n
}

/** A value size (`100`, `1KiB`, `16KiB`, `256KiB`), at least 1 byte. */
export function parseValueSize(item: string): number {
  const n = parseSize(item)
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`not a value size: ${JSON.stringify(item)}`)
  return n
}

/** `writes` or `reads`. */
export function parseOp(item: string): MatrixOp {
  if (item === 'writes' || item === 'reads') return item
  throw new RangeError(`unknown operation ${JSON.stringify(item)} (known: writes, reads)`)
}

/**
 * The cells in running order: cluster size outermost (every system is started once per size),
 * then value size, then operation (writes before reads, so each size's read values are loaded
 * once), then client count.
 */
export function matrixCells(dims: MatrixDims): MatrixCell[] {
  const cells: MatrixCell[] = []
  const ops = (['writes', 'reads'] as const).filter((op) => dims.ops.includes(op))
  for (const nodes of dims.nodes) {
    for (const valueBytes of dims.sizes) {
      for (const op of ops) for (const clients of dims.clients) cells.push({nodes, op, valueBytes, clients})
    }
  }
  return cells
}

/**
 * Judge one run: failed when it completed no operation (the reason is the most frequent error,
 * or "no operation completed inside the measured window"), ok otherwise, with its errors counted.
 */
export function rowFromMeasure(cell: MatrixCell, system: string, m: CellMeasure): MatrixRow {
  if (m.ops <= 0) return failedRow(cell, system, mostFrequent(m.errorCounts) ?? 'no operation completed inside the measured window', m.errors)
  return {
    ...cell, system, status: 'ok', reason: null, ops: m.ops, throughput: m.throughput,
    mbPerSec: (m.throughput * cell.valueBytes) / 1e6, p50: m.p50, p99: m.p99, errors: m.errors,
    clientCpuMsPerOp: m.clientCpuMsPerOp, serverCpuMsPerOp: m.serverCpuMsPerOp, backgroundCores: m.backgroundCores,
  }
}

/**
 * The row of a system measured `measures.length` times in one cell (`--cell-repeats`): the run
 * with the median throughput among those that completed anything (the lower middle one of an
 * even count), whole, so its p50, p99 and CPU figures belong together; with the number of runs
 * and the throughput's range. Failed runs count in `runs` but are not chosen; when every run
 * failed, the row is failed with the last run's reason. Why: one 5 s cell of 256 KiB values
 * swung 2x with the order of the systems (docs/performance.md), so one run is not a verdict.
 */
export function rowFromRepeats(cell: MatrixCell, system: string, measures: readonly (CellMeasure | string)[]): MatrixRow {
  if (measures.length === 0) throw new RangeError('rowFromRepeats needs at least one run')
  const done = measures.filter((m): m is CellMeasure => typeof m !== 'string' && m.ops > 0).sort((a, b) => a.throughput - b.throughput)
  if (done.length === 0) {
    const last = measures.at(-1)!
    return {...(typeof last === 'string' ? failedRow(cell, system, last) : rowFromMeasure(cell, system, last)), runs: measures.length}
  }
  const chosen = done[Math.floor((done.length - 1) / 2)]!
  const row = rowFromMeasure(cell, system, chosen)
  if (measures.length === 1) return row
  return {...row, runs: measures.length, throughputRange: [done[0]!.throughput, done.at(-1)!.throughput]}
}

/** A cell that could not be measured, with the reason. */
export function failedRow(cell: MatrixCell, system: string, reason: string, errors = 0): MatrixRow {
  return {
    ...cell, system, status: 'failed', reason, ops: 0, throughput: null, mbPerSec: null, p50: null, p99: null, errors,
    clientCpuMsPerOp: null, serverCpuMsPerOp: null, backgroundCores: null,
  }
}

function mostFrequent(counts: Readonly<Record<string, number>>): string | null {
  let best: string | null = null
  for (const [k, v] of Object.entries(counts)) if (v > 0 && (best === null || v > counts[best]!)) best = k
  return best
}

/** 100 → "100 B", 16384 → "16 KiB", 1048576 → "1 MiB". */
export function formatBytes(n: number): string {
  if (n >= 1024 ** 2 && n % 1024 ** 2 === 0) return `${n / 1024 ** 2} MiB`
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`
  return `${n} B`
}

const num = (v: number | null, digits: number): string => (v === null ? '-' : v.toFixed(digits))
const ms = (v: number | null): string => (v === null ? '-' : v < 10 ? v.toFixed(2) : v.toFixed(1))

/**
 * The one table: a row per cell and system, in running order. Client CPU per op stands beside
 * server CPU per op in every row; a failed cell reads `failed: REASON` with dashes for figures.
 */
export function matrixTable(rows: readonly MatrixRow[]): string {
  const head = ['nodes', 'op', 'value', 'clients', 'system', 'ops/s', 'MB/s', 'p50 ms', 'p99 ms', 'client CPU ms/op', 'server CPU ms/op', 'errors', 'status']
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i < 2 || i === 4 || i === head.length - 1 ? '---' : '---:')).join('|')}|`]
  for (const r of rows) {
    lines.push(`| ${[
      String(r.nodes), r.op, formatBytes(r.valueBytes), String(r.clients), r.system,
      throughputText(r), num(r.mbPerSec, 2), ms(r.p50), ms(r.p99),
      num(r.clientCpuMsPerOp, 3), num(r.serverCpuMsPerOp, 3), String(r.errors),
      r.status === 'ok' ? 'ok' : `failed: ${escapeCell(r.reason ?? '')}`,
    ].join(' | ')} |`)
  }
  return lines.join('\n')
}

/** `1234`, or `1234 (1100–1300, 3 runs)` for a row of several runs. */
function throughputText(r: MatrixRow): string {
  if (r.throughput === null) return r.runs !== undefined && r.runs > 1 ? `- (${r.runs} runs)` : '-'
  const median = String(Math.round(r.throughput))
  if (r.runs === undefined || r.runs <= 1 || r.throughputRange === undefined) return median
  return `${median} (${Math.round(r.throughputRange[0])}–${Math.round(r.throughputRange[1])}, ${r.runs} runs)`
}

function escapeCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\s+/g, ' ').slice(0, 160)
}

/** The dimensions a plot can run along. */
export type MatrixDimension = 'size' | 'clients' | 'nodes'

/** One plot to write: its file name (under docs/perf/), alt text, and SVG text. */
export interface MatrixPlot {
  readonly file: string
  readonly title: string
  readonly svg: string
}

/**
 * The point where the other dimensions are held while one varies: 100 B, 64 clients and 3 nodes
 * when the run has them (the issue's reference point), else the smallest size, the middle
 * client count and the smallest cluster the run has.
 */
export function referencePoint(dims: MatrixDims): {readonly valueBytes: number; readonly clients: number; readonly nodes: number} {
  const sorted = (xs: readonly number[]): number[] => [...xs].sort((a, b) => a - b)
  const clients = sorted(dims.clients)
  return {
    valueBytes: dims.sizes.includes(100) ? 100 : sorted(dims.sizes)[0]!,
    clients: dims.clients.includes(64) ? 64 : clients[Math.floor((clients.length - 1) / 2)]!,
    nodes: dims.nodes.includes(3) ? 3 : sorted(dims.nodes)[0]!,
  }
}

/**
 * Throughput and p99 against each dimension that has at least two values, for each operation:
 * one line per system, the other dimensions at the {@link referencePoint}. Throughput against
 * value size is in MB/s (ops/s would only show that big values are fewer); elsewhere in ops/s.
 * Failed cells are gaps.
 */
export function matrixPlots(rows: readonly MatrixRow[], dims: MatrixDims, systems: readonly string[]): MatrixPlot[] {
  const ref = referencePoint(dims)
  const plots: MatrixPlot[] = []
  type Point = {readonly nodes: number; readonly valueBytes: number; readonly clients: number}
  const along: {dim: MatrixDimension; values: readonly number[]; label: string; at: (x: number) => Point}[] = [
    {dim: 'size', values: dims.sizes, label: 'value size (bytes)', at: (x) => ({nodes: ref.nodes, valueBytes: x, clients: ref.clients})},
    {dim: 'clients', values: dims.clients, label: 'clients', at: (x) => ({nodes: ref.nodes, valueBytes: ref.valueBytes, clients: x})},
    {dim: 'nodes', values: dims.nodes, label: 'nodes', at: (x) => ({nodes: x, valueBytes: ref.valueBytes, clients: ref.clients})},
  ]
  for (const op of dims.ops) {
    for (const a of along) {
      if (new Set(a.values).size < 2) continue
      const held = describeHeld(a.dim, ref)
      const find = (system: string, x: number): MatrixRow | undefined => {
        const c = a.at(x)
        return rows.find((r) => r.system === system && r.op === op && r.nodes === c.nodes && r.valueBytes === c.valueBytes && r.clients === c.clients)
      }
      const series = (field: (r: MatrixRow) => number | null): PlotSeries[] => systems.map((system) => ({
        name: system,
        points: a.values.map((x) => {
          const r = find(system, x)
          const y = r === undefined || r.status !== 'ok' ? null : field(r)
          return {x, y: y !== null && y > 0 ? y : null}
        }),
      }))
      const bySize = a.dim === 'size'
      const xLog = a.dim !== 'nodes'
      const xFormat = bySize ? (v: number): string => `${formatQuantity(v)}B` : undefined
      const tTitle = `${op}: ${bySize ? 'MB/s' : 'throughput'} by ${a.label.replace(/ \(.*/, '')} (${held})`
      plots.push({
        file: `matrix-${op}-throughput-by-${a.dim}.svg`,
        title: tTitle,
        svg: linePlotSvg(series(bySize ? (r) => r.mbPerSec : (r) => r.throughput), {title: tTitle, xLabel: a.label, yLabel: bySize ? 'MB/s (values)' : 'ops/s', xLog, xFormat}),
      })
      const pTitle = `${op}: p99 latency by ${a.label.replace(/ \(.*/, '')} (${held})`
      plots.push({
        file: `matrix-${op}-p99-by-${a.dim}.svg`,
        title: pTitle,
        svg: linePlotSvg(series((r) => r.p99), {title: pTitle, xLabel: a.label, yLabel: 'p99 (ms, log)', xLog, yLog: true, xFormat}),
      })
    }
  }
  return plots
}

function describeHeld(dim: MatrixDimension, ref: ReturnType<typeof referencePoint>): string {
  const parts: string[] = []
  if (dim !== 'size') parts.push(formatBytes(ref.valueBytes))
  if (dim !== 'clients') parts.push(`${ref.clients} clients`)
  if (dim !== 'nodes') parts.push(`${ref.nodes} nodes`)
  return parts.join(', ')
}

/** One of the issue's targets, checked on a run's rows. */
export interface TargetCheck {
  readonly verdict: 'HOLD' | 'MISS' | 'n/a'
  readonly target: string
  readonly detail: string
}

/**
 * Issue 23's targets that a matrix run can check, each HOLD, MISS or n/a (a cell the run did
 * not have, or a peer it did not run); a failed raftctl cell is a MISS, with its reason. The
 * targets are stated for a quiet machine: with `background` cores busy, the 1-client latency
 * target is the busy-machine one (≤ ZooKeeper's), and the others are reported as measured.
 */
export function matrixTargets(rows: readonly MatrixRow[], background: number): TargetCheck[] {
  const find = (system: string, op: MatrixOp, valueBytes: number, clients: number, nodes: number): MatrixRow | undefined =>
    rows.find((r) => r.system === system && r.op === op && r.valueBytes === valueBytes && r.clients === clients && r.nodes === nodes)
  const out: TargetCheck[] = []
  const x = (v: number): string => `${v.toFixed(2)}x`
  const ratioTarget = (target: string, cell: [MatrixOp, number, number, number], peer: string, min: number, field: 'throughput' | 'mbPerSec'): void => {
    const mine = find('raftctl', ...cell)
    const theirs = find(peer, ...cell)
    if (mine === undefined || theirs === undefined) return void out.push({verdict: 'n/a', target, detail: 'not in this run'})
    if (mine.status !== 'ok') return void out.push({verdict: 'MISS', target, detail: `raftctl failed: ${mine.reason}`})
    if (theirs.status !== 'ok' || !theirs[field]) return void out.push({verdict: 'n/a', target, detail: `${peer} failed: ${theirs.reason}`})
    const r = mine[field]! / theirs[field]!
    const unit = field === 'mbPerSec' ? 'MB/s' : 'ops/s'
    out.push({verdict: r >= min ? 'HOLD' : 'MISS', target, detail: `${x(r)} (${fmtFig(mine[field])} vs ${fmtFig(theirs[field])} ${unit})`})
  }
  ratioTarget('writes, 64 clients, 100 B: >= 3x ZooKeeper', ['writes', 100, 64, 3], 'zookeeper', 3, 'throughput')
  ratioTarget('writes, 64 clients, 100 B: >= 5x etcd', ['writes', 100, 64, 3], 'etcd', 5, 'throughput')
  for (const size of [16 * 1024, 256 * 1024]) {
    ratioTarget(`writes, 64 clients, ${formatBytes(size)}: >= 2x ZooKeeper in MB/s`, ['writes', size, 64, 3], 'zookeeper', 2, 'mbPerSec')
    ratioTarget(`writes, 64 clients, ${formatBytes(size)}: >= 3x etcd in MB/s`, ['writes', size, 64, 3], 'etcd', 3, 'mbPerSec')
  }
  {
    const target = 'writes, 64 clients, 256 KiB: >= 100 MB/s'
    const mine = find('raftctl', 'writes', 256 * 1024, 64, 3)
    if (mine === undefined) out.push({verdict: 'n/a', target, detail: 'not in this run'})
    else if (mine.status !== 'ok') out.push({verdict: 'MISS', target, detail: `raftctl failed: ${mine.reason}`})
    else out.push({verdict: mine.mbPerSec! >= 100 ? 'HOLD' : 'MISS', target, detail: `${fmtFig(mine.mbPerSec)} MB/s`})
  }
  {
    const limit = background > 0 ? 1 : 0.8
    const target = `writes, 1 client, 100 B: p50 <= ${limit}x ZooKeeper's${background > 0 ? ` (with --background ${background})` : ''}`
    const mine = find('raftctl', 'writes', 100, 1, 3)
    const theirs = find('zookeeper', 'writes', 100, 1, 3)
    if (mine === undefined || theirs === undefined) out.push({verdict: 'n/a', target, detail: 'not in this run'})
    else if (mine.status !== 'ok') out.push({verdict: 'MISS', target, detail: `raftctl failed: ${mine.reason}`})
    else if (theirs.status !== 'ok') out.push({verdict: 'n/a', target, detail: `zookeeper failed: ${theirs.reason}`})
    else out.push({verdict: mine.p50! <= limit * theirs.p50! ? 'HOLD' : 'MISS', target, detail: `${ms(mine.p50)} ms vs ${ms(theirs.p50)} ms (${x(mine.p50! / theirs.p50!)}; one run, not the median of paired repeats)`})
  }
  ratioTarget('5 nodes, writes, 64 clients, 100 B: >= 2x ZooKeeper', ['writes', 100, 64, 5], 'zookeeper', 2, 'throughput')
  const thousand = rows.filter((r) => r.system === 'raftctl' && r.clients === 1000)
  if (thousand.length === 0) out.push({verdict: 'n/a', target: '1,000 clients: no error, p99 <= ZooKeeper\'s', detail: 'not in this run'})
  for (const mine of thousand) {
    const target = `1,000 clients, ${mine.op}, ${formatBytes(mine.valueBytes)}, ${mine.nodes} nodes: no error, p99 <= ZooKeeper's`
    const theirs = find('zookeeper', mine.op, mine.valueBytes, 1000, mine.nodes)
    if (mine.status !== 'ok' || mine.errors > 0) out.push({verdict: 'MISS', target, detail: mine.status !== 'ok' ? `raftctl failed: ${mine.reason}` : `${mine.errors} errors`})
    else if (theirs === undefined || theirs.status !== 'ok') out.push({verdict: 'n/a', target, detail: theirs === undefined ? 'zookeeper not in this run' : `zookeeper failed: ${theirs.reason}`})
    else out.push({verdict: mine.p99! <= theirs.p99! ? 'HOLD' : 'MISS', target, detail: `${ms(mine.p99)} ms vs ${ms(theirs.p99)} ms`})
  }
  return out
}

function fmtFig(v: number | null): string {
  if (v === null) return '-'
  return v >= 100 ? String(Math.round(v)) : v.toFixed(2)
}

/** The median background load of the run's measured cells, in cores (null when unknown). */
export function medianBackground(rows: readonly MatrixRow[]): number | null {
  return median(rows.flatMap((r) => (r.backgroundCores === null ? [] : [r.backgroundCores])))
}

// ---------------------------------------------------------------------------------------------
// etcd's own driver: `etcdctl check perf`

/** What `etcdctl check perf` printed, parsed. */
export interface EtcdctlPerf {
  /** Writes per second it reached (its own rate limit caps it: 150, 1000, 8000, 15000 for s, m, l, xl). */
  readonly throughput: number
  /** Slowest request and standard deviation of the latencies, ms. */
  readonly slowestMs: number
  readonly stddevMs: number
  /** Its own verdict (PASS needs ≥ 90% of the rate, slowest ≤ 500 ms, stddev ≤ 100 ms). */
  readonly pass: boolean
}

/**
 * Parse `etcdctl check perf`'s closing lines ("PASS: Throughput is 974 writes/s", "FAIL:
 * Throughput too low: 6491 writes/s", "PASS: Slowest request took 0.468174s", "Slowest request
 * took too long: 0.786915s", "PASS: Stddev is 0.028241s", "Stddev too high: …", "PASS"/"FAIL").
 * Null when the throughput line is missing (it failed before measuring).
 */
export function parseEtcdctlPerf(output: string): EtcdctlPerf | null {
  const tp = /Throughput (?:is|too low:) (\d+) writes\/s/.exec(output)
  if (!tp) return null
  const slowest = /Slowest request took (?:too long: )?([\d.]+)s/.exec(output)
  const stddev = /Stddev (?:is|too high:) ([\d.]+)s/.exec(output)
  const lines = output.trim().split('\n')
  const toMs = (seconds: string): number => Math.round(Number(seconds) * 1e6) / 1e3
  return {
    throughput: Number(tp[1]),
    slowestMs: slowest ? toMs(slowest[1]!) : NaN,
    stddevMs: stddev ? toMs(stddev[1]!) : NaN,
    pass: lines[lines.length - 1]!.trim() === 'PASS',
  }
}

/**
 * The children's CPU ms from bash's `times` builtin (its second line: user and system time of
 * the shell's finished children, e.g. "0m1.250s 0m0.310s"); null when it is not there.
 */
export function parseBashTimes(output: string): number | null {
  const lines = output.trim().split('\n').filter((l) => /^\d+m[\d.]+s \d+m[\d.]+s$/.test(l.trim()))
  const children = lines[lines.length - 1]
  if (lines.length < 2 || children === undefined) return null
  let total = 0
  for (const m of children.trim().matchAll(/(\d+)m([\d.]+)s/g)) total += (Number(m[1]) * 60 + Number(m[2])) * 1000
  return total
}

// ---------------------------------------------------------------------------------------------
// docs/performance.md

/** The markers of the matrix's section in docs/performance.md. */
export const MATRIX_BEGIN = '<!-- bench:compare --matrix begin -->'
export const MATRIX_END = '<!-- bench:compare --matrix end -->'

/**
 * `doc` with the text between `begin` and `end` replaced by `body` (the markers stay). Throws
 * when the markers are missing or out of order, so a section is never written in the wrong place.
 */
export function replaceBetweenMarkers(doc: string, begin: string, end: string, body: string): string {
  const i = doc.indexOf(begin)
  const j = doc.indexOf(end)
  if (i < 0 || j < 0 || j < i) throw new Error(`markers ${begin} … ${end} not found in order`)
  return `${doc.slice(0, i + begin.length)}\n${body.trim()}\n${doc.slice(j)}`
}

/**
 * The loads of `etcdctl check perf` in etcd 3.4 (etcdctl/ctlv3/command/check.go): a rate limit
 * in writes/s and a number of Go clients (each its own gRPC connection), for 60 s, putting
 * 1 KiB values under 256-byte random keys.
 */
export const ETCDCTL_PERF_LOADS: Readonly<Record<string, {readonly rateLimit: number; readonly clients: number; readonly seconds: number}>> = {
  s: {rateLimit: 150, clients: 50, seconds: 60},
  m: {rateLimit: 1000, clients: 200, seconds: 60},
  l: {rateLimit: 8000, clients: 500, seconds: 60},
  xl: {rateLimit: 15000, clients: 1000, seconds: 60},
}

/** One `etcdctl check perf` run, with what its driver cost. */
export interface EtcdctlPerfRun {
  readonly load: string
  readonly nodes: number
  /** Its parsed verdict, or null when it printed none (then `error` says why). */
  readonly result: EtcdctlPerf | null
  readonly error: string | null
  /** Writes it made: its throughput × its 60 s (it prints no count). */
  readonly ops: number | null
  /** etcdctl's own CPU (user + system, from bash's `times`) and the etcd servers', ms per write. */
  readonly clientCpuMsPerOp: number | null
  readonly serverCpuMsPerOp: number | null
}

/** What the docs section says about a run besides its rows. */
export interface MatrixRunInfo {
  /** The command as run, e.g. `npm run bench:compare -- --matrix --sizes 100,16KiB`. */
  readonly command: string
  readonly commit: string
  /** ISO date of the start. */
  readonly date: string
  readonly machine: string
  readonly versions: string
  /** /proc/loadavg's first three fields at the start and at the end. */
  readonly loadBefore: string
  readonly loadAfter: string
  /** --background N. */
  readonly background: number
  readonly durationMs: number
  readonly warmupMs: number
  readonly keys: number
  readonly connections: number
}

/**
 * The markdown of docs/performance.md's matrix section: how the run was made and the machine's
 * load, the table, etcd's own driver beside the JavaScript one, the plots (relative links into
 * perf/), and the targets.
 */
export function matrixSection(info: MatrixRunInfo, rows: readonly MatrixRow[], plots: readonly MatrixPlot[], targets: readonly TargetCheck[], etcdctl: EtcdctlPerfRun | null): string {
  const bg = medianBackground(rows)
  const failed = rows.filter((r) => r.status === 'failed').length
  const out: string[] = [
    `The latest matrix run: \`${info.command}\` on ${info.commit}, ${info.date}. ${info.durationMs / 1000} s per cell after ${info.warmupMs / 1000} s of warm-up, ${info.keys} keys, ${info.connections} connections per system, every client on the leader; each system a cluster on 127.0.0.1 with fsync on. ${info.machine}; ${info.versions}.`,
    '',
    `Load during the run: /proc/loadavg ${info.loadBefore} at the start and ${info.loadAfter} at the end; other programs used ${bg === null ? '?' : bg.toFixed(2)} cores (median over the cells${info.background > 0 ? `, ${info.background} of them the \`--background ${info.background}\` spinners` : ''}). ${failed} of ${rows.length} cells failed and are shown with their reason.`,
    '',
    matrixTable(rows),
  ]
  if (etcdctl !== null) {
    const load = ETCDCTL_PERF_LOADS[etcdctl.load]
    out.push('', `etcd's own Go driver, \`etcdctl check perf --load ${etcdctl.load}\` (${load?.clients} clients, rate-limited to ${load?.rateLimit} writes/s, 1 KiB values, ${load?.seconds} s) on the ${etcdctl.nodes}-node etcd, after the cells:`, '')
    if (etcdctl.result === null) out.push(`failed: ${etcdctl.error ?? 'no result'}`)
    else {
      const r = etcdctl.result
      out.push(
        '| driver | writes/s | slowest ms | stddev ms | client CPU ms/op | server CPU ms/op | verdict |',
        '|---|---:|---:|---:|---:|---:|---|',
        `| etcdctl check perf --load ${etcdctl.load} | ${r.throughput} | ${r.slowestMs.toFixed(1)} | ${r.stddevMs.toFixed(1)} | ${num(etcdctl.clientCpuMsPerOp, 3)} | ${num(etcdctl.serverCpuMsPerOp, 3)} | ${r.pass ? 'PASS' : 'FAIL'} |`,
      )
    }
  }
  if (plots.length > 0) {
    out.push('', 'Throughput and p99 against each dimension, one line per system (a gap is a failed cell):', '')
    for (const p of plots) out.push(`![${p.title}](perf/${p.file})`)
  }
  out.push('', 'Issue 23\'s targets in this run (stated for a quiet machine; failover and RSS are measured by `bench failover` and `bench:memory`, not here):', '')
  for (const t of targets) out.push(`- **${t.verdict}** ${t.target}: ${t.detail}`)
  return out.join('\n')
}
