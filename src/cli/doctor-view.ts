/**
 * The human report of `raftctl doctor`: one line per check (OK / WARN / FAIL, the summary),
 * its evidence and suggested action indented below, then the recent timeline merged from every
 * node's event ring.
 */
import type {DoctorReport, TimelineEntry, Verdict} from '../cluster/index.js'
import {plural, styles} from './render.js'

/** Timeline lines shown by the human report (the JSON has them all). */
export const TIMELINE_LINES = 25

/** Event types the human timeline leaves out (granted votes and leader notices repeat what role changes say). */
const QUIET = new Set(['leaderChanged'])

/** The report as text. */
export function renderDoctor(report: DoctorReport, cluster: string, color: boolean): string {
  const s = styles(color)
  const badge = (v: Verdict): string => (v === 'ok' ? s.green('OK  ') : v === 'warn' ? s.yellow('WARN') : s.red('FAIL'))
  const lines = [`doctor: cluster ${cluster} · ${report.reachable} of ${plural(report.nodes, 'node')} answered · leader ${report.leader ?? 'none'}, term ${report.term}`]
  for (const u of report.unreachable) lines.push(`  ${s.red('DOWN')} ${u.id}: ${u.error}`)
  lines.push('')
  for (const c of report.checks) {
    lines.push(`${badge(c.status)}  ${c.name.padEnd(13)} ${c.summary}`)
    for (const e of c.evidence) lines.push(`      · ${e}`)
    if (c.action && c.status !== 'ok') lines.push(`      → ${s.cyan(c.action)}`)
  }
  const shown = report.timeline.filter((e) => !QUIET.has(e.type) && !(e.type === 'voteCast' && e.text.startsWith('granted')))
  lines.push('', `timeline since ${clock(report.since)} (${plural(shown.length, 'event')}${shown.length > TIMELINE_LINES ? `, last ${TIMELINE_LINES} shown; --json has all` : ''}):`)
  for (const e of shown.slice(-TIMELINE_LINES)) lines.push(`  ${timelineLine(e)}`)
  return lines.join('\n')
}

function timelineLine(e: TimelineEntry): string {
  return `${clock(e.time)}  ${e.node.padEnd(4)} ${e.text}`
}

function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 23)
}
