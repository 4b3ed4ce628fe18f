/**
 * The `raftctl status` view, shared by `status`, `cluster start` and `status --watch`: the JSON
 * document of DESIGN.md §4 (rows without the bulky `detail` unless verbose), one table row per
 * node, a one-line summary, and change marking between two frames.
 */
import type {ClusterStatus, NodeRow} from '../cluster/index.js'
import {hasQuorum, quorumOf, tolerates} from '../common/quorum.js'
import {formatDuration, plural, renderTable, styles} from './render.js'

/** Column titles of the status table. */
export const STATUS_COLUMNS = ['ID', 'ROLE', 'TERM', 'LEADER', 'COMMIT', 'APPLIED', 'LAST', 'LAG', 'CONTACT', 'PID', 'ADDRESS', 'HEALTH'] as const

/** Columns whose change between frames is not worth marking (they change all the time). */
const UNMARKED = new Set<string>(['CONTACT'])

const ALIGN = ['left', 'left', 'right', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'left', 'left'] as const

/** `raftctl status --json` (DESIGN.md §4): the cluster, its leader and term, one row per node (`detail` only with --verbose). */
export type StatusJson = ClusterStatus

/** The JSON document of `status --json`: rows without `detail` unless `verbose`. */
export function statusJson(st: ClusterStatus, verbose = false): StatusJson {
  if (verbose) return st
  return {...st, nodes: st.nodes.map(({detail: _detail, ...row}) => row)}
}

/**
 * Voters as the leader reports them; without a leader, as the reachable node with the newest
 * log (highest term, then last index) reports them.
 */
export function voterIds(st: ClusterStatus): string[] {
  const reports = st.nodes.flatMap((n) => (n.detail ? [n.detail] : []))
  const source = reports.find((d) => d.id === st.leader)
    ?? reports.sort((a, b) => b.lastTerm - a.lastTerm || b.lastIndex - a.lastIndex)[0]
  return source ? source.members.voters.map((v) => v.id) : []
}

/** Plain-text cells of one row, in {@link STATUS_COLUMNS} order. */
export function statusCells(row: NodeRow): string[] {
  const dash = (v: number | string | null | undefined): string => (v === null || v === undefined ? '-' : String(v))
  return [
    row.id,
    row.role,
    dash(row.term),
    dash(row.leader),
    dash(row.commitIndex),
    dash(row.appliedIndex),
    dash(row.lastIndex),
    dash(row.lag),
    row.lastContactMs === null ? '-' : formatDuration(row.lastContactMs),
    dash(row.pid),
    row.address,
    row.health,
  ]
}

/**
 * `cluster default: leader n2, term 5 · 3/3 nodes up · 3 voters (3 up): quorum 2, tolerates 1 failure · id 3f9a2b1c0d4e5f60`
 * (the id only when the manifest records one);
 * the quorum part is {@link quorumText} over the voters this CLI reaches.
 */
export function statusSummary(st: ClusterStatus): string {
  const up = st.nodes.filter((n) => n.reachable).length
  const voters = voterIds(st)
  const liveVoters = st.nodes.filter((n) => n.reachable && voters.includes(n.id)).length
  const leader = st.leader === null ? 'no leader' : `leader ${st.leader}`
  const id = typeof st.clusterId === 'string' ? ` · id ${st.clusterId}` : ''
  const alarm = st.alarm ? ` · ALARM: replicas differ at index ${st.alarm.index} (${st.alarm.nodes.join(', ')}): raftctl doctor` : ''
  return `cluster ${st.cluster}: ${leader}, term ${st.term} · ${up}/${st.nodes.length} nodes up · ${quorumText(voters.length, liveVoters)}${id}${alarm}`
}

/**
 * The quorum as it stands with `up` of `voters` voters up, so that it never promises what is
 * already gone: `quorum lost: 1 of 3 voters up, 2 needed` when fewer than a quorum are up;
 * `3 voters (2 up): quorum 2, tolerates 0 more failures` when some are down (how many more may
 * fail, given who is up now); `3 voters (3 up): quorum 2, tolerates 1 failure` when all are up.
 * `voters unknown` when no node reported a configuration (`voters` 0).
 */
export function quorumText(voters: number, up: number): string {
  if (voters === 0) return 'voters unknown'
  const quorum = quorumOf(voters)
  if (!hasQuorum(voters, up)) return `quorum lost: ${up} of ${plural(voters, 'voter')} up, ${quorum} needed`
  const more = tolerates(voters, up)
  const failures = up >= voters ? plural(more, 'failure') : plural(more, 'more failure', 'more failures')
  return `${plural(voters, 'voter')} (${up} up): quorum ${quorum}, tolerates ${failures}`
}

/** Options of {@link renderStatus}. */
export interface RenderStatusOptions {
  /** ANSI colours (and bold change marks). */
  readonly color: boolean
  /** The previous frame: cells that differ from it are marked (bold with colour, else a trailing `*`). */
  readonly previous?: ClusterStatus | null
}

/** The summary line and the table. */
export async function renderStatus(st: ClusterStatus, options: RenderStatusOptions): Promise<string> {
  const s = styles(options.color)
  const before = new Map((options.previous?.nodes ?? []).map((n) => [n.id, statusCells(n)]))
  const rows = st.nodes.map((row) => {
    const cells = statusCells(row)
    const old = options.previous ? before.get(row.id) : undefined
    return cells.map((cell, i) => {
      const column = STATUS_COLUMNS[i]!
      const changed = options.previous !== undefined && options.previous !== null && (old === undefined || old[i] !== cell) && !UNMARKED.has(column)
      let out = colorCell(column, cell, row, s)
      if (changed) out = options.color ? s.bold(out) : `${out}*`
      return out
    })
  })
  const table = await renderTable({head: [...STATUS_COLUMNS], rows, align: [...ALIGN], color: options.color})
  const unanswered = (st.unanswered ?? []).map((u) => `\n${s.yellow('endpoint')} ${u.endpoint} did not answer: ${u.code}: ${u.message}`)
  const why = st.nodes.filter((n) => n.downReason !== undefined).map((n) => `\n${n.id} is down: ${n.downReason}`)
  return `${statusSummary(st)}\n${table}${why.join('')}${unanswered.join('')}`
}

function colorCell(column: string, cell: string, row: NodeRow, s: ReturnType<typeof styles>): string {
  if (column === 'ROLE') {
    if (cell === 'leader') return s.green(cell)
    if (cell === 'down') return s.red(cell)
    if (cell === 'candidate' || cell === 'precandidate') return s.yellow(cell)
  }
  if (column === 'HEALTH') {
    if (cell === 'ok') return s.green(cell)
    if (cell === 'down' || cell === 'unreachable') return s.red(cell)
    return s.yellow(cell)
  }
  if (column === 'LAG' && row.lag !== null && row.lag > 0) return s.yellow(cell)
  return cell
}
