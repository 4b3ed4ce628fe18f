/**
 * Line plots as standalone SVG text, for the figures the benchmarks write into docs/ (bench:size,
 * bench:compare --matrix). No dependency and no browser: the benchmark that measured the figures
 * writes the picture in the same run, so a plot is never older than its table.
 *
 * One plot: one x axis (linear or logarithmic), one y axis (linear from zero, or logarithmic),
 * one line per series with a marker at each point, and a legend. Points with a y of null are
 * gaps (a cell that could not be measured), drawn as a break in the line, never as zero.
 */

/** One measured point. `y: null` is a gap (not measured, or failed). */
export interface PlotPoint {
  readonly x: number
  readonly y: number | null
}

/** One line of the plot (one system, one mode…). */
export interface PlotSeries {
  readonly name: string
  readonly points: readonly PlotPoint[]
}

/** What a plot shows and how. */
export interface PlotOptions {
  readonly title: string
  readonly xLabel: string
  readonly yLabel: string
  /** A logarithmic x axis (key counts, value sizes, client counts). Default false. */
  readonly xLog?: boolean
  /** A logarithmic y axis. Default false (linear, from zero). */
  readonly yLog?: boolean
  /** Pixels. Defaults {@link DEFAULT_PLOT_WIDTH} × {@link DEFAULT_PLOT_HEIGHT}. */
  readonly width?: number
  readonly height?: number
  /** Format of an x tick's label (default: {@link formatQuantity}). */
  readonly xFormat?: (x: number) => string
  /** A horizontal dashed line, e.g. a target ("50 ms"). */
  readonly target?: {readonly y: number; readonly label: string}
}

/** Default plot width in pixels: 640. */
export const DEFAULT_PLOT_WIDTH = 640
/** Default plot height in pixels: 360. */
export const DEFAULT_PLOT_HEIGHT = 360

/** Line colours, one per series in order (a colour-blind-safe palette). */
const COLOURS = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#000000']
const MARGIN = {left: 70, right: 20, top: 36, bottom: 48}
const LEGEND_ROW = 16

/**
 * The plot as a complete SVG document (UTF-8 text, starting with `<svg`). Throws a RangeError
 * for a logarithmic axis given a value ≤ 0, since such a point has no place on it.
 */
export function linePlotSvg(series: readonly PlotSeries[], options: PlotOptions): string {
  const width = options.width ?? DEFAULT_PLOT_WIDTH
  const height = options.height ?? DEFAULT_PLOT_HEIGHT
  const xs = series.flatMap((s) => s.points.map((p) => p.x))
  const ys = series.flatMap((s) => s.points.flatMap((p) => (p.y === null ? [] : [p.y])))
  if (options.target) ys.push(options.target.y)
  const xAxis = axis(xs, options.xLog ?? false, false, 'x')
  const yAxis = axis(ys, options.yLog ?? false, true, 'y')
  const plotW = width - MARGIN.left - MARGIN.right
  const plotH = height - MARGIN.top - MARGIN.bottom
  const px = (x: number): number => MARGIN.left + xAxis.position(x) * plotW
  const py = (y: number): number => MARGIN.top + (1 - yAxis.position(y)) * plotH
  const xFormat = options.xFormat ?? formatQuantity
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(options.title)}</text>`,
  ]
  for (const t of yAxis.ticks) {
    const y = round1(py(t))
    parts.push(`<line x1="${MARGIN.left}" x2="${width - MARGIN.right}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`)
    parts.push(`<text x="${MARGIN.left - 6}" y="${y + 4}" text-anchor="end">${escapeXml(formatQuantity(t))}</text>`)
  }
  for (const t of xAxis.ticks) {
    const x = round1(px(t))
    parts.push(`<line x1="${x}" x2="${x}" y1="${MARGIN.top}" y2="${height - MARGIN.bottom}" stroke="#f0f0f0"/>`)
    parts.push(`<text x="${x}" y="${height - MARGIN.bottom + 16}" text-anchor="middle">${escapeXml(xFormat(t))}</text>`)
  }
  parts.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#888888"/>`)
  parts.push(`<text x="${MARGIN.left + plotW / 2}" y="${height - 10}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`)
  parts.push(`<text transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(options.yLabel)}</text>`)
  if (options.target) {
    const y = round1(py(options.target.y))
    parts.push(`<line x1="${MARGIN.left}" x2="${width - MARGIN.right}" y1="${y}" y2="${y}" stroke="#c00000" stroke-dasharray="6 4"/>`)
    parts.push(`<text x="${width - MARGIN.right - 4}" y="${y - 4}" text-anchor="end" fill="#c00000">${escapeXml(options.target.label)}</text>`)
  }
  series.forEach((s, i) => parts.push(...seriesSvg(s, COLOURS[i % COLOURS.length]!, px, py)))
  series.forEach((s, i) => {
    const y = MARGIN.top + 12 + i * LEGEND_ROW
    const colour = COLOURS[i % COLOURS.length]!
    parts.push(`<line x1="${MARGIN.left + 10}" x2="${MARGIN.left + 28}" y1="${y - 4}" y2="${y - 4}" stroke="${colour}" stroke-width="2"/>`)
    parts.push(`<text x="${MARGIN.left + 34}" y="${y}">${escapeXml(s.name)}</text>`)
  })
  parts.push('</svg>')
  return parts.join('\n') + '\n'
}

/** One series: polylines between gaps, and a circle at each measured point. */
function seriesSvg(s: PlotSeries, colour: string, px: (x: number) => number, py: (y: number) => number): string[] {
  const out: string[] = []
  const sorted = [...s.points].sort((a, b) => a.x - b.x)
  let run: string[] = []
  const flush = (): void => {
    if (run.length > 1) out.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${run.join(' ')}"/>`)
    run = []
  }
  for (const p of sorted) {
    if (p.y === null) {
      flush()
      continue
    }
    const x = round1(px(p.x))
    const y = round1(py(p.y))
    run.push(`${x},${y}`)
    out.push(`<circle cx="${x}" cy="${y}" r="3" fill="${colour}"/>`)
  }
  flush()
  return out
}

interface Axis {
  /** Where a value falls, 0 (start) to 1 (end). */
  position(v: number): number
  readonly ticks: readonly number[]
}

/** A linear axis (from zero when `fromZero`) or a logarithmic one, over `values`. */
function axis(values: readonly number[], log: boolean, fromZero: boolean, name: string): Axis {
  if (values.length === 0) return {position: () => 0.5, ticks: []}
  if (log) {
    if (values.some((v) => !(v > 0))) throw new RangeError(`a logarithmic ${name} axis needs values above 0`)
    const lo = Math.floor(Math.log10(Math.min(...values)))
    const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...values))))
    const ticks: number[] = []
    for (let e = lo; e <= hi; e++) ticks.push(10 ** e)
    return {position: (v) => (Math.log10(v) - lo) / (hi - lo), ticks}
  }
  const min = fromZero ? Math.min(0, ...values) : Math.min(...values)
  const max = Math.max(...values)
  const step = niceStep((max - min) / 5 || Math.abs(max) || 1)
  const lo = Math.floor(min / step) * step
  const hi = Math.max(lo + step, Math.ceil(max / step) * step)
  const ticks: number[] = []
  for (let t = lo; t <= hi + step / 2; t += step) ticks.push(Number(t.toPrecision(12)))
  return {position: (v) => (v - lo) / (hi - lo), ticks}
}

/** 1, 2 or 5 times a power of ten, at least `raw`. */
function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw))
  for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power
  return 10 * power
}

/** 1500 → "1.5k", 2000000 → "2M", 0.25 → "0.25": short labels for ticks. */
export function formatQuantity(v: number): string {
  const abs = Math.abs(v)
  if (abs >= 1e6) return `${trim(v / 1e6)}M`
  if (abs >= 1e3) return `${trim(v / 1e3)}k`
  return trim(v)
}

function trim(v: number): string {
  return String(Number(v.toPrecision(3)))
}

function round1(v: number): number {
  return Math.round(v * 10) / 10
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}
