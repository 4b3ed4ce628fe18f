/**
 * The reports of `raftctl verify`: the text report (what the command prints) and the HTML
 * report, one self-contained file (inline SVG, CSS and a little JS; nothing loaded from the
 * network) drawing every operation on a time line, one row per client, each op a bar from its
 * call to its return coloured by outcome (hover shows the op), with the fault windows shaded and
 * the verdict on top. Times are shown in seconds since the workload started.
 */
import type {Counterexample, OpRef} from './checker.js'
import type {HistoryOp} from './history.js'
import type {KeyDurability} from './durability.js'
import type {OpDetail} from './workload.js'
import type {FaultSummary, VerifyResult} from './result.js'

/** Most ops of a counterexample the text report lists. */
export const SHOWN_COUNTEREXAMPLE_OPS = 12
/** Most durability violations the text report lists. */
export const SHOWN_DURABILITY_VIOLATIONS = 5

/** Seconds since the start, from ns: `+12.345s`. */
export function seconds(ns: number | undefined): string {
  return ns === undefined ? '—' : `+${(ns / 1e9).toFixed(3)}s`
}

/** Verdict headline in words. */
export function verdictText(result: VerifyResult): string {
  const parts: string[] = []
  if (result.linearizable.valid === false) parts.push('NOT LINEARIZABLE')
  if (result.durable.valid === false) parts.push('NOT DURABLE')
  if (parts.length > 0) return parts.join(' and ')
  if (result.verdict === 'undecided') return 'UNDECIDED'
  return 'VALID (linearizable and durable)'
}

// ---------------------------------------------------------------------------------------------
// Text

/** Styling hooks for the text report (identity when colour is off). */
export interface TextStyles {
  readonly bold: (s: string) => string
  readonly red: (s: string) => string
  readonly green: (s: string) => string
  readonly yellow: (s: string) => string
}

const PLAIN: TextStyles = {bold: (s) => s, red: (s) => s, green: (s) => s, yellow: (s) => s}

/** The human report. */
export function renderText(result: VerifyResult, style: TextStyles = PLAIN): string {
  const c = result.cluster
  const out: string[] = []
  const how = c.created ? 'created by verify' : c.started ? 'started by verify' : 'already running'
  out.push(`Cluster:       ${c.name} (${c.nodes.length} nodes, ${how}${c.unsafeFollowerReads ? ', UNSAFE follower reads' : ''}; ${c.cleanup} at the end)`)
  out.push(`Workload:      ${result.clients} clients on ${result.keys} keys (${result.keySlots} slots) for ${(result.elapsedMs / 1000).toFixed(1)} s, seed ${result.seed}`)
  out.push(`Operations:    ${result.ops} (ok ${result.ok}, failed ${result.failed}, unknown ${result.unknown}), ${result.opsPerSecond} ok ops/s, latency p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms`)
  out.push(`  by kind:     ${byOpText(result)}`)
  if (result.rejected > 0) out.push(`  rejected:    ${rejectedText(result.rejected)}`)
  const applied = result.faults.filter((f) => f.status === 'applied')
  out.push(`Faults:        ${applied.length} applied${result.faultKinds.skipped.length > 0 ? ` (left out: ${result.faultKinds.skipped.join(', ')})` : ''}`)
  for (const f of result.faults) {
    const when = f.end === undefined || f.end === f.start ? `${seconds(f.start)}` : `${seconds(f.start)} – ${seconds(f.end)}`
    const status = f.status === 'applied' ? '' : ` [${f.status}]`
    out.push(`  ${when.padEnd(24)} ${f.description}${status}${f.notes.length > 0 ? `  (${f.notes.join('; ')})` : ''}`)
  }
  for (const w of result.warnings) out.push(style.yellow(`Warning:       ${w}`))
  out.push(`Recovery:      ${result.recoveryMs === null ? 'the cluster did not recover' : `leader back with every node up ${(result.recoveryMs / 1000).toFixed(1)} s after the workload`}`)
  out.push(`Linearizable:  ${linearizableText(result)}`)
  out.push(`Durable:       ${durableText(result)}`)
  const verdict = verdictText(result)
  const paint = result.verdict === 'valid' ? style.green : result.verdict === 'violation' ? style.red : style.yellow
  out.push(`Verdict:       ${style.bold(paint(verdict))}`)
  out.push(`History:       ${result.history}`)
  out.push(`Report:        ${result.report}`)
  if (result.logs !== null) out.push(`Logs:          ${result.logs}`)
  const cx = result.linearizable.counterexample
  if (cx) out.push('', ...counterexampleText(cx))
  if (result.durable.violations.length > 0) out.push('', ...durabilityText(result.durable.violations))
  return out.join('\n')
}

function rejectedText(rejected: number): string {
  return `${rejected} write${rejected === 1 ? '' : 's'} refused before being proposed (certainly not applied: left out of the history)`
}

function byOpText(result: VerifyResult): string {
  return Object.entries(result.byOp).map(([kind, c]) => `${kind} ${c.ok}/${c.failed}/${c.unknown}`).join(', ') + ' (ok/failed/unknown; a failed cas is a comparison that failed)'
}

function linearizableText(result: VerifyResult): string {
  const l = result.linearizable
  const stats = `${l.keys} keys, ${l.states} states, ${Math.round(l.elapsedMs)} ms`
  if (l.valid === true) return `yes (${stats})`
  if (l.valid === false) return `NO (${stats}): key ${JSON.stringify(l.counterexample?.key)}`
  return `undecided: the checker's ${l.reason ?? 'time-limit'} ran out (${stats}); raise --check-time-limit, --max-states or --max-memory`
}

function durableText(result: VerifyResult): string {
  const d = result.durable
  const phases = d.restarted ? 'after healing and after a full restart' : 'after healing (no full restart)'
  if (d.valid === true) return `yes (${d.keys} keys, ${d.acknowledged} acknowledged writes, ${phases})`
  if (d.valid === false) return `NO: ${d.violations.length} of ${d.keys} keys lost or corrupted acknowledged writes (${phases})`
  const why = d.reason ?? d.undecided.slice(0, 3).map((k) => `${k.key}: ${k.reason}`).join('; ')
  return `undecided (${d.undecided.length} of ${d.keys} keys): ${why}`
}

/** The smallest failing piece of history, as lines. */
export function counterexampleText(cx: Counterexample): string[] {
  const lines = [
    `Key ${JSON.stringify(cx.key)}: its operations called up to ${seconds(cx.at)} cannot be linearized${cx.minimal ? ' (up to just before, they can)' : ''}.`,
    `The ${cx.culprit.op} of client ${cx.culprit.client} returning at ${seconds(cx.at)} cannot be placed; the longest partial linearization found has ${cx.linearized.length} ops.`,
  ]
  const shown = lastOpsWith(cx.ops, cx.culprit, SHOWN_COUNTEREXAMPLE_OPS)
  lines.push(shown.length < cx.ops.length ? `Last ${shown.length} of its ${cx.ops.length} operations (--json and the HTML report have all):` : 'Its operations:')
  lines.push('(* marks the op that cannot be placed; ops still running at that time count as unknown)')
  const rows = shown.map((op) => [op.index === cx.culprit.index ? '*' : '', String(op.client), op.op, argumentsText(op), op.op === 'get' ? show(op.output) : '', String(op.ok), seconds(op.call), seconds(op.return)])
  lines.push(...table(['', 'client', 'op', 'arguments', 'output', 'ok', 'call', 'return'], rows))
  return lines
}

function durabilityText(violations: readonly KeyDurability[]): string[] {
  const lines = ['Durability violations:']
  for (const k of violations.slice(0, SHOWN_DURABILITY_VIOLATIONS)) {
    lines.push(`  key ${JSON.stringify(k.key)} (${k.kind}): after healing ${readText(k.afterHeal)}, after restart ${readText(k.afterRestart)}`)
    for (const p of k.problems.slice(0, 5)) lines.push(`    - ${p}`)
  }
  if (violations.length > SHOWN_DURABILITY_VIOLATIONS) lines.push(`  … and ${violations.length - SHOWN_DURABILITY_VIOLATIONS} more keys (--json lists all)`)
  return lines
}

function readText(read: KeyDurability['afterHeal']): string {
  if (read === undefined) return 'not read'
  return 'error' in read ? `unreadable (${read.error})` : show(read.value, 40)
}

/** The last `n` ops by call time, always including `must`. */
function lastOpsWith(ops: readonly OpRef[], must: OpRef, n: number): OpRef[] {
  const tail = ops.slice(-n)
  if (tail.some((op) => op.index === must.index)) return tail
  return [must, ...tail.slice(1)].sort((a, b) => a.call - b.call || a.index - b.index)
}

function argumentsText(op: HistoryOp): string {
  if (op.op === 'cas') return `${show(op.expected)} -> ${show(op.value)}`
  if (op.op === 'get' || op.op === 'delete') return ''
  return show(op.value)
}

function show(value: string | null | undefined, max = 30): string {
  if (value === null || value === undefined) return 'absent'
  const text = JSON.stringify(value)
  return text.length > max ? `…${text.slice(-(max - 1))}` : text
}

/** A plain aligned table. */
function table(head: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: readonly string[]): string => `  ${cells.map((c, i) => c.padEnd(widths[i]!)).join('  ')}`.trimEnd()
  return [line(head), ...rows.map(line)]
}

// ---------------------------------------------------------------------------------------------
// HTML

/** Layout of the time line. */
const ROW = 16
const BAR = 10
const LEFT = 70
const TOP = 34
/** Width of the time axis at zoom 1, px. */
const AXIS_PX = 1400

const KIND_COLOURS: Record<string, string> = {
  partition: '#8e44ad', kill: '#c0392b', pause: '#2471a3', restart: '#566573', delay: '#b7950b', drop: '#ca6f1e', duplicate: '#117a65', reorder: '#6c3483', disk: '#1a5276',
}

/** Escape text for HTML and SVG. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'})[ch]!)
}

/** A one-line description of an op for its tooltip. */
export function describeOp(op: HistoryOp, detail: OpDetail | undefined, index: number): string {
  const parts = [`#${index} client ${op.client}: ${op.op} ${JSON.stringify(op.key)}`]
  if (op.op === 'cas') parts.push(`expected ${show(op.expected, 60)} → ${show(op.value, 60)}`)
  else if (op.value !== undefined) parts.push(show(op.value, 60))
  if (op.op === 'get' && op.ok === true) parts.push(`→ ${show(op.output, 80)}`)
  parts.push(`ok ${String(op.ok)}`)
  if (detail?.node) parts.push(`read via ${detail.node}`)
  if (detail?.error) parts.push(`error ${detail.error}`)
  parts.push(`call ${seconds(op.call)}`, op.return !== undefined ? `return ${seconds(op.return)}` : `no return (gave up ${seconds(detail?.gaveUp)})`)
  return parts.join(' · ')
}

/**
 * The HTML report: `result` with the history (`ops`, and `details` of the same length) drawn on
 * a time line. Self-contained: inline CSS, SVG and JS only.
 */
export function renderHtml(result: VerifyResult, ops: readonly HistoryOp[], details: readonly OpDetail[] = []): string {
  let end = 1
  ops.forEach((op, i) => (end = Math.max(end, op.return ?? details[i]?.gaveUp ?? op.call)))
  for (const f of result.faults) end = Math.max(end, f.end ?? 0)
  const scale = AXIS_PX / end // px per ns at zoom 1
  const clients = ops.reduce((n, op) => Math.max(n, op.client + 1), result.clients)
  const height = TOP + clients * ROW + 10
  const culprits = new Set(result.linearizable.counterexample?.ops.map((op) => op.index) ?? [])
  const culprit = result.linearizable.counterexample?.culprit.index
  const svg: string[] = []
  svg.push(`<svg id="timeline" xmlns="http://www.w3.org/2000/svg" width="${LEFT + AXIS_PX + 20}" height="${height}" data-end="${end}">`)
  svg.push(...axis(end, scale, height))
  for (let c = 0; c < clients; c++) {
    svg.push(`<text class="label" x="4" y="${TOP + c * ROW + BAR}">client ${c}</text>`)
  }
  ops.forEach((op, i) => {
    const detail = details[i]
    const stop = op.return ?? detail?.gaveUp ?? op.call
    const cls = op.ok === true ? 'ok' : op.ok === false ? 'failed' : 'unknown'
    const mark = i === culprit ? ' culprit' : culprits.has(i) ? ' cx' : ''
    const x = LEFT + op.call * scale
    const w = Math.max(1, (stop - op.call) * scale)
    svg.push(`<rect class="op ${cls}${mark}" data-op="${i}" data-c="${op.call}" data-r="${stop}" x="${x.toFixed(2)}" y="${TOP + op.client * ROW}" width="${w.toFixed(2)}" height="${BAR}"><title>${escapeHtml(describeOp(op, detail, i))}</title></rect>`)
  })
  // Fault windows go over the bars (translucent, not catching the mouse) so dense rows do not hide them.
  svg.push(...faultWindows(result.faults, scale, height))
  svg.push('</svg>')

  const verdictClass = result.verdict === 'valid' ? 'valid' : result.verdict === 'violation' ? 'violation' : 'undecided'
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>raftctl verify — ${escapeHtml(verdictText(result))}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 16px; color: #222; }
.verdict { font-size: 22px; font-weight: bold; padding: 10px 14px; border-radius: 6px; margin-bottom: 12px; }
.verdict.valid { background: #d5f5e3; color: #145a32; }
.verdict.violation { background: #fadbd8; color: #78281f; }
.verdict.undecided { background: #fdebd0; color: #7e5109; }
table { border-collapse: collapse; margin: 8px 0 16px; }
td, th { border: 1px solid #ddd; padding: 2px 8px; text-align: left; font-variant-numeric: tabular-nums; }
th { background: #f4f4f4; }
.scroll { overflow-x: auto; border: 1px solid #ddd; }
rect.op.ok { fill: #2e9d4a; }
rect.op.failed { fill: #d64545; }
rect.op.unknown { fill: #f0a020; }
rect.op.cx { stroke: #000; stroke-width: 1; }
rect.op.culprit { stroke: #000; stroke-width: 2.5; }
rect.op:hover { stroke: #000; stroke-width: 2; }
rect.fault { opacity: 0.18; pointer-events: none; }
text.label, text.tick { font: 11px monospace; fill: #555; }
text.faultlabel { font: 11px sans-serif; }
line.tick { stroke: #e3e3e3; }
#info { font: 12px monospace; min-height: 1.4em; padding: 4px; background: #f8f8f8; border: 1px solid #ddd; margin: 6px 0; }
.legend span { display: inline-block; width: 12px; height: 10px; margin: 0 4px 0 12px; vertical-align: middle; }
code { background: #f4f4f4; padding: 0 3px; }
</style>
</head>
<body>
<div class="verdict ${verdictClass}" id="verdict">${escapeHtml(verdictText(result))}</div>
${summaryTable(result)}
<h2>Time line</h2>
<div class="legend">ops:<span style="background:#2e9d4a"></span>ok<span style="background:#d64545"></span>failed<span style="background:#f0a020"></span>unknown (drawn until the client gave up)
 · faults: ${Object.entries(KIND_COLOURS).map(([k, col]) => `<span style="background:${col};opacity:.4"></span>${k}`).join('')}
 · zoom: <button data-zoom="1">1×</button><button data-zoom="2">2×</button><button data-zoom="4">4×</button><button data-zoom="8">8×</button><button data-zoom="32">32×</button></div>
<div id="info">hover over an operation</div>
<div class="scroll">${svg.join('\n')}</div>
${faultTable(result.faults)}
${counterexampleHtml(result.linearizable.counterexample)}
${durabilityHtml(result)}
<script>
(() => {
  const svg = document.getElementById('timeline');
  const info = document.getElementById('info');
  const LEFT = ${LEFT}, AXIS = ${AXIS_PX}, END = Number(svg.dataset.end);
  svg.addEventListener('mouseover', (e) => {
    const t = e.target.closest('rect.op, text.faultlabel');
    if (t) info.textContent = t.querySelector('title').textContent;
  });
  function zoom(k) {
    const s = AXIS * k / END;
    svg.setAttribute('width', String(LEFT + AXIS * k + 20));
    for (const r of svg.querySelectorAll('rect.op, rect.fault')) {
      const c = Number(r.dataset.c), end = Number(r.dataset.r);
      r.setAttribute('x', String(LEFT + c * s));
      r.setAttribute('width', String(Math.max(1, (end - c) * s)));
    }
    for (const el of svg.querySelectorAll('[data-t]')) {
      const x = LEFT + Number(el.dataset.t) * s + Number(el.dataset.dx || 0);
      el.setAttribute(el.tagName === 'line' ? 'x1' : 'x', String(x));
      if (el.tagName === 'line') el.setAttribute('x2', String(x));
    }
  }
  for (const b of document.querySelectorAll('button[data-zoom]')) b.addEventListener('click', () => zoom(Number(b.dataset.zoom)));
})();
</script>
</body>
</html>
`
}

function summaryTable(r: VerifyResult): string {
  const rows: Array<[string, string]> = [
    ['cluster', `${r.cluster.name} (${r.cluster.nodes.join(', ')})${r.cluster.unsafeFollowerReads ? ' — UNSAFE follower reads' : ''}`],
    ['workload', `${r.clients} clients, ${r.keys} keys, ${(r.elapsedMs / 1000).toFixed(1)} s, seed ${r.seed}`],
    ['operations', `${r.ops}: ok ${r.ok}, failed ${r.failed}, unknown ${r.unknown} — by kind: ${byOpText(r)}${r.rejected > 0 ? `; ${rejectedText(r.rejected)}` : ''}`],
    ['throughput', `${r.opsPerSecond} ok ops/s (latency p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms, max ${r.latencyMs.max} ms)`],
    ['faults', `${r.faults.filter((f) => f.status === 'applied').length} applied${r.faultKinds.skipped.length ? `; left out: ${r.faultKinds.skipped.join(', ')}` : ''}`],
    ['linearizable', `${String(r.linearizable.valid)} (${r.linearizable.keys} keys, ${Math.round(r.linearizable.elapsedMs)} ms${r.linearizable.reason ? `, ${r.linearizable.reason}` : ''})`],
    ['durable', `${String(r.durable.valid)} (${r.durable.keys} keys, ${r.durable.acknowledged} acknowledged writes${r.durable.restarted ? ', after healing and after a full restart' : ''})`],
    ['recovery', r.recoveryMs === null ? 'did not recover' : `${(r.recoveryMs / 1000).toFixed(1)} s`],
    ['history', r.history],
  ]
  for (const w of r.warnings) rows.push(['warning', w])
  return `<table id="summary">${rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>`
}

function faultWindows(faults: readonly FaultSummary[], scale: number, height: number): string[] {
  const out: string[] = []
  for (const f of faults) {
    if (f.status !== 'applied') continue
    const end = f.end ?? f.start
    const colour = KIND_COLOURS[f.kind] ?? '#888'
    const x = LEFT + f.start * scale
    const title = `${f.description}: ${seconds(f.start)} – ${seconds(f.end)}${f.notes.length ? ` (${f.notes.join('; ')})` : ''}`
    out.push(`<rect class="fault ${escapeHtml(f.kind)}" data-fault="${escapeHtml(f.id)}" data-c="${f.start}" data-r="${end}" x="${x.toFixed(2)}" y="${TOP - 14}" width="${Math.max(1, (end - f.start) * scale).toFixed(2)}" height="${height - TOP + 14}" fill="${colour}"><title>${escapeHtml(title)}</title></rect>`)
    out.push(`<text class="faultlabel" data-t="${f.start}" data-dx="2" x="${(x + 2).toFixed(2)}" y="${TOP - 4}" fill="${colour}"><title>${escapeHtml(title)}</title>${escapeHtml(f.kind)}</text>`)
  }
  return out
}

function axis(end: number, scale: number, height: number): string[] {
  const out: string[] = []
  const totalS = end / 1e9
  const step = totalS <= 15 ? 1 : totalS <= 40 ? 2 : totalS <= 120 ? 5 : 10
  for (let s = 0; s <= totalS; s += step) {
    const t = s * 1e9
    const x = (LEFT + t * scale).toFixed(2)
    out.push(`<line class="tick" data-t="${t}" x1="${x}" x2="${x}" y1="${TOP - 16}" y2="${height}"/>`)
    out.push(`<text class="tick" data-t="${t}" data-dx="2" x="${(Number(x) + 2).toFixed(2)}" y="10">${s}s</text>`)
  }
  return out
}

function faultTable(faults: readonly FaultSummary[]): string {
  if (faults.length === 0) return '<h2>Faults</h2><p>No faults were scheduled.</p>'
  const rows = faults.map((f) => `<tr data-fault="${escapeHtml(f.id)}"><td>${escapeHtml(f.kind)}</td><td>${escapeHtml(f.description)}</td><td>${escapeHtml(f.status)}</td><td>${seconds(f.start)}</td><td>${seconds(f.end)}</td><td>${escapeHtml(f.notes.join('; '))}</td></tr>`)
  return `<h2>Faults</h2><table id="faults"><tr><th>kind</th><th>what</th><th>status</th><th>start</th><th>end</th><th>notes</th></tr>${rows.join('')}</table>`
}

function counterexampleHtml(cx: Counterexample | undefined): string {
  if (!cx) return ''
  const rows = cx.ops.map((op) => `<tr${op.index === cx.culprit.index ? ' style="font-weight:bold"' : ''}><td>${op.index === cx.culprit.index ? '*' : ''}</td><td>#${op.index}</td><td>${op.client}</td><td>${op.op}</td><td>${escapeHtml(argumentsText(op))}</td><td>${op.op === 'get' ? escapeHtml(show(op.output, 80)) : ''}</td><td>${String(op.ok)}</td><td>${seconds(op.call)}</td><td>${seconds(op.return)}</td></tr>`)
  const linearized = cx.linearized.map((s) => `#${s.op.index} ${s.op.op} → ${show(s.after, 40)}`).join(', ')
  return `<h2>Smallest failing piece of history</h2>
<p>Key <code>${escapeHtml(cx.key)}</code>: its operations called up to ${seconds(cx.at)} cannot be linearized${cx.minimal ? ' (up to just before, they can)' : ''}. The op marked * cannot be placed. Its operations are outlined in black on the time line.</p>
<table id="counterexample"><tr><th></th><th>op</th><th>client</th><th>kind</th><th>arguments</th><th>output</th><th>ok</th><th>call</th><th>return</th></tr>${rows.join('')}</table>
<p>Longest partial linearization found: ${escapeHtml(linearized || '(none)')}</p>`
}

function durabilityHtml(r: VerifyResult): string {
  if (r.durable.violations.length === 0) return ''
  const rows = r.durable.violations.map((k) => `<tr><td><code>${escapeHtml(k.key)}</code></td><td>${k.kind}</td><td>${escapeHtml(readText(k.afterHeal))}</td><td>${escapeHtml(readText(k.afterRestart))}</td><td>${k.problems.map(escapeHtml).join('<br>')}</td></tr>`)
  return `<h2>Durability violations</h2><table id="durability"><tr><th>key</th><th>kind</th><th>after healing</th><th>after restart</th><th>problems</th></tr>${rows.join('')}</table>`
}
