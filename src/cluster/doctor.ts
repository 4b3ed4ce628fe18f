/**
 * `raftctl doctor`: why a cluster is unhealthy and what to do. {@link gatherDoctor} asks every
 * node (any list of admin clients: a local cluster's, or endpoints given by hand) for its
 * status, diagnostics and recent events; {@link diagnose} turns what they said into checks —
 * quorum, leader (none, and why; or unstable, with a merged timeline of causes), links (one-way
 * partitions), replicas, disk, configuration, chaos, consistency — each ok, warn or fail with
 * its evidence and a suggested action. `diagnose` is pure: tests feed it synthetic reports.
 * The rules and thresholds are documented in docs/doctor.md.
 */
import type {AdminClient} from '../client/index.js'
import type {DiagnosticsResult, NodeStatus, RecordedEvent} from '../admin/protocol.js'
import {hasQuorum, quorumOf, tolerates} from '../common/quorum.js'
import {replicationLag} from './lag.js'

/** A node to examine: its id (as the cluster names it) and an admin client. */
export interface DoctorTarget {
  readonly id: string
  readonly client: AdminClient
}

/** What one node said (null fields: it did not answer). */
export interface NodeReport {
  readonly id: string
  readonly status: NodeStatus | null
  readonly diagnostics: DiagnosticsResult | null
  readonly events: readonly RecordedEvent[]
  /** Why it could not be asked (null: it answered). */
  readonly error: string | null
}

/** The thresholds of the checks (docs/doctor.md). */
export interface DoctorThresholds {
  /** Leader elections in the window at or above which leadership is unstable, whatever their cause. */
  readonly leaderChanges: number
  /** Entries behind the leader above which a follower or learner is lagging. */
  readonly lagEntries: number
  /** A learner still behind the leader's commit this long after it joined is not catching up, ms. */
  readonly learnerCatchUpMs: number
  /** p99 of durable saves above which the disk is slow (warn), ms. */
  readonly saveWarnMs: number
  /** p99 of durable saves above which the disk is failing the cluster (fail), ms. */
  readonly saveFailMs: number
  /** Free space of a data folder's file system below this fraction (warn); below a fifth of it, fail. */
  readonly freeFraction: number
  /** An election timeout below this many heartbeats is too close to the heartbeat. */
  readonly minHeartbeatsPerTimeout: number
}

/** The default thresholds. */
export const DOCTOR_DEFAULTS: DoctorThresholds = Object.freeze({
  leaderChanges: 3,
  lagEntries: 1000,
  learnerCatchUpMs: 60_000,
  saveWarnMs: 50,
  saveFailMs: 500,
  freeFraction: 0.05,
  minHeartbeatsPerTimeout: 3,
})

/** Options of {@link gatherDoctor}. */
export interface GatherOptions {
  /** Events at or after this time (ms since the epoch). */
  readonly since: number
  /** Per-request timeout, ms. */
  readonly timeoutMs: number
}

/** Ask every target for its status, diagnostics and events, in parallel. Never throws: a node that does not answer has `error`. */
export async function gatherDoctor(targets: readonly DoctorTarget[], options: GatherOptions): Promise<NodeReport[]> {
  return Promise.all(targets.map(async ({id, client}): Promise<NodeReport> => {
    const opts = {timeoutMs: options.timeoutMs}
    try {
      const status = await client.status(opts)
      const [diagnostics, events] = await Promise.all([
        client.diagnostics(opts).catch(() => null),
        client.events(options.since, opts).then((r) => r.events, () => []),
      ])
      return {id, status, diagnostics, events, error: null}
    } catch (error) {
      return {id, status: null, diagnostics: null, events: [], error: (error as Error).message}
    }
  }))
}

/** A check's verdict. */
export type Verdict = 'ok' | 'warn' | 'fail'

/** One check of the report. */
export interface DoctorCheck {
  readonly name: 'quorum' | 'leader' | 'links' | 'replicas' | 'disk' | 'configuration' | 'chaos' | 'consistency'
  readonly status: Verdict
  /** One line: what is wrong (or that nothing is). */
  readonly summary: string
  /** The facts behind it, one per line. */
  readonly evidence: readonly string[]
  /** What to do next (a command where one exists); null when nothing. */
  readonly action: string | null
}

/** One event of the merged timeline. */
export interface TimelineEntry {
  /** ms since the epoch (the reporting node's clock). */
  readonly time: number
  readonly node: string
  readonly type: string
  /** The event in words, with its cause. */
  readonly text: string
}

/** `raftctl doctor --json`. */
export interface DoctorReport {
  /** `ok` when every check is, else the worst check's verdict. */
  readonly status: Verdict
  readonly nodes: number
  readonly reachable: number
  /** Nodes that did not answer, with why. */
  readonly unreachable: readonly {readonly id: string; readonly error: string}[]
  readonly leader: string | null
  readonly term: number
  readonly since: number
  readonly checks: readonly DoctorCheck[]
  readonly timeline: readonly TimelineEntry[]
}

/** Options of {@link diagnose}. */
export interface DiagnoseOptions {
  readonly since: number
  readonly now: number
  readonly thresholds?: Partial<DoctorThresholds>
}

/** The checks over what the nodes said. Pure. */
export function diagnose(reports: readonly NodeReport[], options: DiagnoseOptions): DoctorReport {
  const t = {...DOCTOR_DEFAULTS, ...options.thresholds}
  const view = new ClusterView(reports)
  const timeline = mergeTimeline(reports)
  // With no node answering, only quorum and leader can say something; the others cannot be checked.
  const unknown = (name: DoctorCheck['name'], run: () => DoctorCheck): DoctorCheck => (view.up.length === 0 ? check(name, 'warn', 'not checked: no node answered') : run())
  const checks = [
    quorumCheck(view),
    leaderCheck(view, timeline, t),
    unknown('links', () => linksCheck(view)),
    unknown('replicas', () => replicasCheck(view, timeline, t, options.now)),
    unknown('disk', () => diskCheck(view, t)),
    unknown('configuration', () => configurationCheck(view, t)),
    unknown('chaos', () => chaosCheck(view)),
    unknown('consistency', () => consistencyCheck(view)),
  ]
  const worst: Verdict = checks.some((c) => c.status === 'fail') ? 'fail' : checks.some((c) => c.status === 'warn') ? 'warn' : 'ok'
  return {
    status: worst,
    nodes: reports.length,
    reachable: view.up.length,
    unreachable: reports.filter((r) => r.status === null).map((r) => ({id: r.id, error: r.error ?? 'no answer'})),
    leader: view.leader?.id ?? null,
    term: Math.max(0, ...view.up.map((r) => r.status.term)),
    since: options.since,
    checks,
    timeline,
  }
}

/** Exit code of `doctor`: 3 when some node could not be reached, else 1 when a check failed, else 0. */
export function doctorExitCode(report: DoctorReport): 0 | 1 | 3 {
  if (report.reachable < report.nodes) return 3
  return report.status === 'fail' ? 1 : 0
}

// ---------------------------------------------------------------------------------------------
// The cluster as the reports show it

type Up = NodeReport & {readonly status: NodeStatus}

class ClusterView {
  readonly up: Up[]
  /** The leader of the highest term any reachable node leads. */
  readonly leader: Up | null
  readonly voters: string[]
  readonly learners: string[]

  constructor(readonly reports: readonly NodeReport[]) {
    this.up = reports.filter((r): r is Up => r.status !== null)
    const leaders = this.up.filter((r) => r.status.role === 'leader').sort((a, b) => b.status.term - a.status.term)
    this.leader = leaders[0] ?? null
    const source = this.leader ?? [...this.up].sort((a, b) => b.status.lastTerm - a.status.lastTerm || b.status.lastIndex - a.status.lastIndex)[0]
    this.voters = source ? source.status.members.voters.map((m) => m.id) : reports.map((r) => r.id)
    this.learners = source ? source.status.members.learners.map((m) => m.id) : []
  }

  report(id: string): Up | undefined {
    return this.up.find((r) => r.id === id)
  }

  /** Milliseconds since `from` last heard a Raft message from `peer` (null: never, or unknown). */
  heardMs(from: string, peer: string): number | null | undefined {
    const d = this.report(from)?.diagnostics
    if (!d) return undefined
    return d.peers.find((p) => p.id === peer)?.lastHeardMs ?? null
  }

  /** How long without a message counts as not hearing a peer: four minimum election timeouts (at least 1 s). */
  silentMs(id: string): number {
    const d = this.report(id)?.diagnostics
    return Math.max(1000, 4 * (d ? d.electionTicks * d.tickMs : 150))
  }

  hears(from: string, peer: string): boolean | undefined {
    const ms = this.heardMs(from, peer)
    if (ms === undefined) return undefined
    return ms !== null && ms <= this.silentMs(from)
  }
}

function check(name: DoctorCheck['name'], status: Verdict, summary: string, evidence: string[] = [], action: string | null = null): DoctorCheck {
  return {name, status, summary, evidence, action}
}

function list(ids: readonly string[]): string {
  return ids.length === 0 ? 'none' : ids.join(', ')
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : ms < 120_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 60_000)} min`
}

// ---------------------------------------------------------------------------------------------
// quorum

function quorumCheck(v: ClusterView): DoctorCheck {
  const n = v.voters.length
  const upVoters = v.voters.filter((id) => v.report(id))
  const down = v.voters.filter((id) => !v.report(id))
  const need = quorumOf(n)
  const evidence = [`voters: ${list(v.voters)}; up: ${list(upVoters)}; down or unreachable: ${list(down)}`]
  if (!hasQuorum(n, upVoters.length)) {
    return check('quorum', 'fail', `quorum lost: ${upVoters.length} of ${n} voters up, ${need} needed`, evidence, `bring back ${need - upVoters.length} of ${list(down)} (raftctl node start NODE; raftctl node logs NODE says why it stopped)`)
  }
  const more = tolerates(n, upVoters.length)
  if (more === 0) {
    return check('quorum', 'warn', `${upVoters.length} of ${n} voters up, ${need} needed: one more failure stops the cluster`, evidence, down.length > 0 ? `bring back ${list(down)} (raftctl node start NODE)` : `add voters (raftctl node add) so that one failure is survivable`)
  }
  return check('quorum', 'ok', `${upVoters.length} of ${n} voters up, ${need} needed: survives ${more} more ${more === 1 ? 'failure' : 'failures'}`, evidence)
}

// ---------------------------------------------------------------------------------------------
// leader

/** Causes an operator chose: leader changes with these are not instability by themselves. */
const CHOSEN = new Set(['transfer', 'manual'])

interface Election {
  readonly time: number
  readonly term: number
  readonly winner: string
  /** Why the winner campaigned (the cause of its electionStarted in that term). */
  readonly cause: string
  /** Why the previous leader stopped leading, if its ring says. */
  readonly previous: string | null
}

function leaderCheck(v: ClusterView, timeline: readonly TimelineEntry[], t: DoctorThresholds): DoctorCheck {
  const elections = electionsOf(v)
  const changes = elections.filter((e) => e.previous !== null || hadEarlierLeader(v, e.term))
  const evidence = changes.map(describeElection)
  if (v.leader === null) return noLeader(v, elections, evidence)
  const leader = v.leader
  const followersElsewhere = v.up.filter((r) => r.status.leader !== leader.id && r.id !== leader.id && v.voters.concat(v.learners).includes(r.id))
  const unforced = changes.filter((e) => !CHOSEN.has(e.cause))
  const head = `${leader.id} leads term ${leader.status.term}`
  if (followersElsewhere.length > 0) {
    const who = followersElsewhere.map((r) => `${r.id} (${r.status.role}, term ${r.status.term}, follows ${r.status.leader ?? 'nobody'})`)
    return check('leader', 'warn', `${head}, but ${list(followersElsewhere.map((r) => r.id))} do not follow it`, [...who, ...evidence], 'see the links check: a node that does not hear the leader campaigns; raftctl chaos inspect lists faults that cut links')
  }
  if (changes.length >= t.leaderChanges || unforced.length > 0) {
    const causes = [...new Set(changes.map((e) => e.cause))].join(', ')
    return check('leader', 'warn', `${head}; unstable: ${changes.length} leader ${changes.length === 1 ? 'change' : 'changes'} in the window (${causes})`, evidence,
      unforced.some((e) => e.cause === 'timeout') ? 'elections on timeout: a leader paused or too slow to heartbeat (see disk), or links dropping (see links); raftctl node logs NODE' : 'repeated transfers or campaigns: check what issues raftctl leader transfer / election trigger')
  }
  return check('leader', 'ok', changes.length === 0 ? `${head}; no leader change in the window` : `${head}; ${changes.length} operator-requested ${changes.length === 1 ? 'change' : 'changes'} in the window`, evidence)
}

/** No leader: who cannot reach whom, who campaigns and why they lose, and whether the term keeps rising. */
function noLeader(v: ClusterView, elections: Election[], changes: string[]): DoctorCheck {
  const evidence: string[] = []
  const groups = hearingGroups(v)
  const need = quorumOf(v.voters.length)
  for (const g of groups) {
    const voters = g.filter((id) => v.voters.includes(id))
    evidence.push(`${list(g)} hear each other${groups.length > 1 ? ` but no one else: ${voters.length} of ${v.voters.length} voters, ${need} needed` : ''}`)
  }
  const unreachable = v.voters.filter((id) => !v.report(id))
  if (unreachable.length > 0) evidence.push(`not answering: ${list(unreachable)}`)
  evidence.push(...campaigns(v))
  const terms = v.up.map((r) => r.status.term)
  const rising = elections.length === 0 ? campaignTerms(v) : null
  if (rising) evidence.push(rising)
  evidence.push(...changes)
  const partition = groups.length > 1 && groups.every((g) => g.filter((id) => v.voters.includes(id)).length < need)
  const summary = partition
    ? `no leader: the voters are split into ${groups.map((g) => `{${g.join(', ')}}`).join(' and ')}, none with a quorum of ${need}`
    : unreachable.length > 0 && !hasQuorum(v.voters.length, v.voters.length - unreachable.length)
      ? `no leader: only ${v.voters.length - unreachable.length} of ${v.voters.length} voters answer, ${need} needed`
      : `no leader among ${list(v.up.map((r) => r.id))} (terms ${Math.min(...terms)}–${Math.max(...terms)})`
  return check('leader', 'fail', summary, evidence, partition ? 'heal the partition (raftctl chaos inspect; raftctl chaos heal for injected faults), or check the network between the groups' : 'bring back voters (raftctl node start NODE), or see who refuses votes and why above')
}

/** Groups of reachable nodes that hear each other (connected components of "hears" in either direction). */
function hearingGroups(v: ClusterView): string[][] {
  const ids = v.up.map((r) => r.id)
  const seen = new Set<string>()
  const groups: string[][] = []
  for (const start of ids) {
    if (seen.has(start)) continue
    const group: string[] = []
    const stack = [start]
    seen.add(start)
    while (stack.length > 0) {
      const a = stack.pop()!
      group.push(a)
      for (const b of ids) {
        if (seen.has(b) || !(v.hears(a, b) || v.hears(b, a))) continue
        seen.add(b)
        stack.push(b)
      }
    }
    groups.push(group.sort())
  }
  return groups
}

/** Who campaigned in the window, how often, and the refusals they met (from the voters' rings). */
function campaigns(v: ClusterView): string[] {
  const out: string[] = []
  for (const r of v.up) {
    const started = r.events.filter((e) => e.event.type === 'electionStarted')
    if (started.length === 0) continue
    const causes = countBy(started.map((e) => `${(e.event as {pre?: boolean}).pre ? 'pre-vote' : 'vote'} on ${(e.event as {cause: string}).cause}`))
    const refusals = v.up.flatMap((o) => o.events.filter((e) => e.event.type === 'voteCast' && (e.event as {candidate: string}).candidate === r.id && !(e.event as {granted: boolean}).granted).map((e) => `${o.id}: ${(e.event as {reason: string}).reason}`))
    const lost = r.events.filter((e) => e.event.type === 'roleChanged' && (e.event as {cause: string}).cause === 'lost').length
    out.push(`${r.id} campaigned ${started.length} times (${causes})${lost > 0 ? `, lost ${lost}` : ''}${refusals.length > 0 ? `; refused by ${countBy(refusals)}` : ''}`)
  }
  return out
}

/** "the term rose from A to B" over the window's events, when it did. */
function campaignTerms(v: ClusterView): string | null {
  const terms = v.up.flatMap((r) => r.events.filter((e) => e.event.type === 'electionStarted' && !(e.event as {pre: boolean}).pre).map((e) => (e.event as {term: number}).term))
  if (terms.length < 2) return null
  return `the term keeps rising: elections in terms ${Math.min(...terms)} to ${Math.max(...terms)} in the window, none won`
}

function countBy(items: readonly string[]): string {
  const counts = new Map<string, number>()
  for (const i of items) counts.set(i, (counts.get(i) ?? 0) + 1)
  return [...counts].map(([k, n]) => (n > 1 ? `${k} ×${n}` : k)).join(', ')
}

/** Every election won in the window, from the winners' rings, with the causes around it. */
function electionsOf(v: ClusterView): Election[] {
  const out: Election[] = []
  for (const r of v.up) {
    for (const e of r.events) {
      const ev = e.event as {type: string; to?: string; term?: number}
      if (ev.type !== 'roleChanged' || ev.to !== 'leader') continue
      const term = ev.term!
      // The election's cause: a real election after a won pre-vote says `won`; the pre-vote says why.
      const started = [...r.events].reverse().find((x) => x.event.type === 'electionStarted' && x.seq <= e.seq && (x.event as {term: number}).term === term && (x.event as {cause: string}).cause !== 'won')
      out.push({time: e.time, term, winner: r.id, cause: started ? (started.event as {cause: string}).cause : 'unknown', previous: previousLeaderCause(v, term)})
    }
  }
  return out.sort((a, b) => a.term - b.term)
}

/** Why the leader before `term` stopped leading, from its own ring. */
function previousLeaderCause(v: ClusterView, term: number): string | null {
  for (const r of v.up) {
    for (const e of r.events) {
      const ev = e.event as {type: string; from?: string; cause?: string; term?: number; peer?: string}
      if (ev.type === 'roleChanged' && ev.from === 'leader' && ev.term !== undefined && ev.term <= term && ev.term >= term - 1) {
        return `${r.id} stepped down: ${ev.cause}${ev.peer ? ` (from ${ev.peer})` : ''}`
      }
    }
  }
  return null
}

function hadEarlierLeader(v: ClusterView, term: number): boolean {
  return v.up.some((r) => r.events.some((e) => {
    const ev = e.event as {type: string; leader?: string | null; term?: number}
    return ev.type === 'leaderChanged' && ev.leader !== null && ev.term !== undefined && ev.term < term
  }))
}

function describeElection(e: Election): string {
  const why = e.cause === 'timeout' ? 'election timeout (no leader heard)' : e.cause === 'transfer' ? 'leader transfer' : e.cause === 'manual' ? 'operator campaign' : e.cause
  return `${new Date(e.time).toISOString().slice(11, 19)} term ${e.term}: ${e.winner} elected after ${why}${e.previous ? `; ${e.previous}` : ''}`
}

// ---------------------------------------------------------------------------------------------
// links

function linksCheck(v: ClusterView): DoctorCheck {
  const leader = v.leader
  if (leader === null) {
    const groups = hearingGroups(v)
    if (groups.length <= 1) return check('links', 'ok', 'no leader to measure links against; every reachable node hears another')
    return check('links', 'fail', `partitioned: ${groups.map((g) => `{${g.join(', ')}}`).join(' | ')}`, [], 'raftctl chaos inspect (injected partitions); raftctl chaos heal')
  }
  if (!leader.diagnostics) return check('links', 'warn', `${leader.id} does not report its peers (an older daemon?)`)
  const evidence: string[] = []
  const oneWay: string[] = []
  const cut: string[] = []
  for (const id of [...v.voters, ...v.learners]) {
    if (id === leader.id) continue
    const leaderHears = v.hears(leader.id, id)
    const hearsLeader = v.hears(id, leader.id)
    const out = `${leader.id} last heard ${id} ${ago(v.heardMs(leader.id, id))}; ${id} last heard ${leader.id} ${ago(v.heardMs(id, leader.id))}`
    if (hearsLeader === true && leaderHears === false) {
      oneWay.push(id)
      evidence.push(`one-way: ${id} hears the leader ${leader.id}, but ${leader.id} does not hear ${id} (${out})`)
    } else if (hearsLeader === false && leaderHears === true) {
      oneWay.push(id)
      evidence.push(`one-way: ${leader.id} hears ${id}, but ${id} does not hear the leader (${out})`)
    } else if (leaderHears === false && hearsLeader !== true) {
      cut.push(id)
      evidence.push(`${id} and the leader ${leader.id} do not hear each other (${out})`)
    }
  }
  if (oneWay.length === 0 && cut.length === 0) return check('links', 'ok', `${leader.id} and every reachable member hear each other`)
  const summary = oneWay.length > 0 ? `one-way partition between the leader ${leader.id} and ${list(oneWay)}` : `${list(cut)} cut off from the leader ${leader.id}`
  return check('links', 'fail', summary, evidence, 'raftctl chaos inspect (an injected partition or drop?); otherwise check firewalls and routes between these hosts')
}

function ago(ms: number | null | undefined): string {
  if (ms === undefined) return '(unknown)'
  return ms === null ? 'never' : `${seconds(ms)} ago`
}

// ---------------------------------------------------------------------------------------------
// replicas

function replicasCheck(v: ClusterView, timeline: readonly TimelineEntry[], t: DoctorThresholds, now: number): DoctorCheck {
  const leader = v.leader
  if (leader === null) return check('replicas', 'warn', 'no leader: replication cannot be measured')
  const evidence: string[] = []
  const flagged: string[] = []
  for (const p of leader.status.progress) {
    if (p.id === leader.id) continue
    const node = v.report(p.id)?.status ?? null
    const lag = replicationLag(leader.status, p.id, node)
    const learner = v.learners.includes(p.id)
    const role = learner ? 'learner' : 'follower'
    if (node?.rebuilding === true) {
      flagged.push(p.id)
      evidence.push(`${role} ${p.id} is rebuilding: it lost its data and neither votes nor serves local reads until it has caught up (applied ${node.appliedIndex}, leader's commit ${leader.status.commitIndex})`)
    }
    const snapshots = timeline.filter((e) => e.node === leader.id && e.type === 'snapshotSent' && e.text.endsWith(` to ${p.id}`)).length
    if (p.state === 'snapshot' || snapshots >= 2) {
      flagged.push(p.id)
      evidence.push(`${role} ${p.id} ${p.state === 'snapshot' ? 'is being sent a snapshot' : ''}${snapshots >= 2 ? ` was sent ${snapshots} snapshots in the window` : ''}: stuck on snapshots?`)
    }
    if (lag !== null && lag > t.lagEntries) {
      flagged.push(p.id)
      evidence.push(`${role} ${p.id} is ${lag} entries behind ${leader.id} (more than ${t.lagEntries})`)
    } else if (learner && p.match < leader.status.commitIndex) {
      const since = learnerSince(v, p.id) ?? now - leader.status.uptimeMs
      if (now - since >= t.learnerCatchUpMs) {
        flagged.push(p.id)
        evidence.push(`learner ${p.id} has not caught up ${seconds(now - since)} after joining: match ${p.match}, commit ${leader.status.commitIndex}, last contact ${seconds(p.lastContactMs)} ago`)
      }
    }
  }
  if (flagged.length === 0) return check('replicas', 'ok', `every member is within ${t.lagEntries} entries of ${leader.id}`)
  return check('replicas', 'warn', `lagging: ${list([...new Set(flagged)])}`, evidence, 'see disk and links for the lagging node; raftctl node logs NODE; a learner is promoted only once caught up (raftctl member promote)')
}

/** When `id` joined as a learner, from the rings' membership changes (null: not in the window). */
function learnerSince(v: ClusterView, id: string): number | null {
  const times = v.up.flatMap((r) => r.events.filter((e) => e.event.type === 'confChanged' && (e.event as {conf: {learners: readonly string[]}}).conf.learners.includes(id)).map((e) => e.time))
  return times.length === 0 ? null : Math.min(...times)
}

// ---------------------------------------------------------------------------------------------
// disk

function diskCheck(v: ClusterView, t: DoctorThresholds): DoctorCheck {
  const evidence: string[] = []
  let status: Verdict = 'ok'
  const raise = (s: Verdict): void => {
    if (s === 'fail' || (s === 'warn' && status === 'ok')) status = s
  }
  for (const r of v.up) {
    const d = r.diagnostics
    if (!d) continue
    if (d.storageError) {
      raise('fail')
      evidence.push(`${r.id}: storage failed: ${d.storageError}`)
    }
    const s = d.saveLatency
    if (s && s.p99 > t.saveWarnMs) {
      raise(s.p99 > t.saveFailMs ? 'fail' : 'warn')
      const slow = r.events.filter((e) => e.event.type === 'slowSave').length
      evidence.push(`${r.id}: durable saves p50 ${s.p50} ms, p99 ${s.p99} ms, max ${s.max} ms over the last ${Math.min(s.count, 512)} (over ${t.saveWarnMs} ms)${slow > 0 ? `; ${slow} slow saves in the window` : ''}`)
    }
    if (d.disk && d.disk.totalBytes > 0) {
      const free = d.disk.freeBytes / d.disk.totalBytes
      if (free < t.freeFraction) {
        raise(free < t.freeFraction / 5 ? 'fail' : 'warn')
        evidence.push(`${r.id}: ${(free * 100).toFixed(1)}% free (${Math.round(d.disk.freeBytes / 2 ** 20)} MiB)`)
      }
    }
  }
  if (status === 'ok') return check('disk', 'ok', 'saves are fast, space is free, no storage error')
  return check('disk', status, `slow or failing disk on ${list([...new Set(evidence.map((e) => e.split(':')[0]!))])}`, evidence,
    'raftctl chaos inspect (an injected disk fault?); check the device (iostat) and free space; a failed node restarts with raftctl node start NODE')
}

// ---------------------------------------------------------------------------------------------
// configuration

function configurationCheck(v: ClusterView, t: DoctorThresholds): DoctorCheck {
  const evidence: string[] = []
  let status: Verdict = 'ok'
  const raise = (s: Verdict): void => {
    if (s === 'fail' || (s === 'warn' && status === 'ok')) status = s
  }
  const ds = v.up.flatMap((r) => (r.diagnostics ? [r.diagnostics] : []))
  const timing = (d: DiagnosticsResult): string => `election ${d.electionTicks * d.tickMs} ms, heartbeat ${d.heartbeatTicks * d.tickMs} ms`
  const timings = new Map<string, string[]>()
  for (const d of ds) timings.set(timing(d), [...(timings.get(timing(d)) ?? []), d.node])
  if (timings.size > 1) {
    raise('warn')
    evidence.push(`election and heartbeat settings differ: ${[...timings].map(([k, ids]) => `${list(ids)}: ${k}`).join('; ')}`)
  }
  for (const d of ds) {
    const election = d.electionTicks * d.tickMs
    const heartbeat = d.heartbeatTicks * d.tickMs
    if (election < t.minHeartbeatsPerTimeout * heartbeat) {
      raise('warn')
      evidence.push(`${d.node}: heartbeat ${heartbeat} ms is too close to the election timeout ${election} ms (fewer than ${t.minHeartbeatsPerTimeout} heartbeats per timeout)`)
    }
    for (const f of d.secretFiles) {
      if (f.mode !== null && (f.mode & 0o077) !== 0) {
        raise((f.mode & 0o004) !== 0 ? 'fail' : 'warn')
        evidence.push(`${d.node}: ${f.role === 'secret' ? 'secret' : 'peer secret'} file ${f.path} has mode ${f.mode.toString(8).padStart(3, '0')}: readable by ${(f.mode & 0o004) !== 0 ? 'every user' : 'its group'} (chmod 600 ${f.path})`)
      }
    }
  }
  const versions = new Map<string, string[]>()
  for (const r of v.up) versions.set(r.status.version, [...(versions.get(r.status.version) ?? []), r.id])
  if (versions.size > 1) {
    raise('warn')
    evidence.push(`version skew: ${[...versions].map(([ver, ids]) => `${list(ids)} run ${ver}`).join('; ')}`)
  }
  const shared = v.up.filter((r) => r.status.peerAuth === 'shared-secret').map((r) => r.id)
  if (shared.length > 0) {
    raise('warn')
    evidence.push(`${list(shared)} run without a peer secret: any client can speak as a peer (node run --peer-secret-file)`)
  }
  if (status === 'ok') return check('configuration', 'ok', `settings agree on every node (${ds[0] ? timing(ds[0]) : 'unknown'})`)
  return check('configuration', status, `${evidence.length} configuration ${evidence.length === 1 ? 'problem' : 'problems'}`, evidence, 'restart the odd nodes with the same --tick, --election-ticks and --heartbeat-ticks (raftctl node restart NODE); chmod 600 secret files')
}

// ---------------------------------------------------------------------------------------------
// chaos and consistency

function chaosCheck(v: ClusterView): DoctorCheck {
  const byFault = new Map<string, {text: string; nodes: string[]; forever: boolean}>()
  for (const r of v.up) {
    for (const f of r.status.faults) {
      const {id, kind, remainingMs, hits: _hits, ...spec} = f as {id: string; kind: string; remainingMs?: number | null; hits?: number}
      const entry = byFault.get(id) ?? {text: `${id} (${kind} ${JSON.stringify(spec)})`, nodes: [], forever: remainingMs === null || remainingMs === undefined}
      entry.nodes.push(r.id)
      byFault.set(id, entry)
    }
  }
  if (byFault.size === 0) return check('chaos', 'ok', 'no chaos fault is active')
  const evidence = [...byFault.values()].map((f) => `${f.text} on ${list(f.nodes)}${f.forever ? ': no --for, active until healed' : ''}`)
  const forgotten = [...byFault.values()].some((f) => f.forever)
  return check('chaos', 'warn', `${byFault.size} chaos ${byFault.size === 1 ? 'fault' : 'faults'} active${forgotten ? ', some without an end (forgotten --for?)' : ''}`, evidence, 'raftctl chaos heal (all), or raftctl chaos heal --id ID')
}

function consistencyCheck(v: ClusterView): DoctorCheck {
  const alarms = v.up.flatMap((r) => (r.status.alarm ? [{node: r.id, alarm: r.status.alarm}] : []))
  if (alarms.length === 0) {
    const on = v.up.some((r) => (r.diagnostics?.consistencyCheckEveryMs ?? 0) > 0)
    return check('consistency', 'ok', on ? 'no consistency alarm' : 'no consistency alarm (the scheduled check is off: raftctl check consistency runs it once)')
  }
  const evidence = alarms.map(({node, alarm}) => `${node} raised at ${new Date(alarm.time).toISOString()}: at index ${alarm.index} ${list(alarm.nodes)} ${alarm.nodes.length === 1 ? 'differs' : 'differ'} (${Object.entries(alarm.hashes).map(([id, h]) => `${id} ${h.slice(0, 12)}`).join(', ')})`)
  return check('consistency', 'fail', `replicas diverged: ${list([...new Set(alarms.flatMap((a) => a.alarm.nodes))])}`, evidence, 'raftctl check consistency (confirm now); stop the odd node and rebuild it from a healthy one (remove it and add a fresh node)')
}

// ---------------------------------------------------------------------------------------------
// the timeline

/** Every node's events merged into one timeline, oldest first, each in words. */
export function mergeTimeline(reports: readonly NodeReport[]): TimelineEntry[] {
  const out: TimelineEntry[] = []
  for (const r of reports) for (const e of r.events) out.push({time: e.time, node: r.id, type: e.event.type, text: describeEvent(e.event as unknown as Record<string, unknown>)})
  return out.sort((a, b) => a.time - b.time || a.node.localeCompare(b.node))
}

/** One event in words. */
export function describeEvent(e: Record<string, unknown>): string {
  switch (e.type) {
    case 'roleChanged': return `${e.from} → ${e.to} in term ${e.term} (${e.cause}${e.peer ? ` from ${e.peer}` : ''})`
    case 'leaderChanged': return e.leader === null ? `lost its leader in term ${e.term}` : `follows leader ${e.leader} in term ${e.term}`
    case 'electionStarted': return `${e.pre ? 'pre-vote' : 'election'} for term ${e.term} (${e.cause})`
    case 'voteCast': return `${e.granted ? 'granted' : 'refused'} ${e.pre ? 'pre-vote' : 'vote'} to ${e.candidate} for term ${e.term}${e.reason ? ` (${e.reason})` : ''}`
    case 'confChanged': {
      const conf = e.conf as {voters: string[]; learners: string[]}
      return `membership at ${e.index}: voters ${list(conf.voters)}${conf.learners.length > 0 ? `, learners ${list(conf.learners)}` : ''}`
    }
    case 'transferStarted': return `leader transfer to ${e.to} started in term ${e.term}`
    case 'transferAborted': return `leader transfer to ${e.to} aborted in term ${e.term}`
    case 'snapshotSent': return `sent snapshot at ${e.index} to ${e.to}`
    case 'snapshotReceived': return `installed snapshot at ${e.index} from ${e.from}`
    case 'slowSave': return `slow durable save: ${e.ms} ms`
    case 'peerSilent': return `no message from ${e.peer} for ${e.ms} ms`
    case 'peerHeard': return `hears ${e.peer} again`
    case 'peerUnreachable': return `connection to ${e.peer} lost`
    case 'peerReachable': return `connection to ${e.peer} back`
    case 'storageFailed': return `storage failed: ${e.error}`
    case 'consistencyAlarm': return `CONSISTENCY ALARM at index ${e.index}: ${list(e.nodes as string[])} ${(e.nodes as string[]).length === 1 ? 'differs' : 'differ'}`
    default: return JSON.stringify(e)
  }
}
