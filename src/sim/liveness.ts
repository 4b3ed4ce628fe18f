/**
 * The simulator's liveness phase, after the faults stop: a leader that every live member
 * follows must be elected, a write proposed after healing must commit, every pending proposal
 * must resolve and every member must apply the whole log within a bound. Then the members'
 * final states are compared and the exactly-once check reads the append keys.
 */
import type {NodeId} from '../raft/types.js'
import {encodeCommand} from '../kv/index.js'
import {Violation, checkConsistencyHashes, stateDigest, type ExactlyOnce} from './invariants.js'
import {APPEND_KEYS, type Workload} from './workload.js'
import type {SimHost, SimNode} from './types.js'

/** Most filler writes proposed at once while proposals on former leaders wait for their index. */
const MAX_FILL_BATCH = 500
/** Virtual ms run between two liveness checks. */
const CHECK_EVERY_MS = 50

/** What the liveness phase needs of the simulation. */
export interface LivenessHost extends SimHost {
  readonly seed: number
  /** Every node ever started, by id. */
  readonly nodes: ReadonlyMap<NodeId, SimNode>
  /** Proposals not yet resolved, and a few of them named (node#n) for the report. */
  pending(): {count: number; some: string[]}
  /** Run the event loop up to virtual time `end`. */
  runUntil(end: number): void
  /** The operator stops `id` for good. */
  retire(id: NodeId): void
}

/** Run the liveness phase for at most `boundMs`; throws a `liveness` (or final-state) Violation. */
export function runLiveness(host: LivenessHost, workload: Workload, ledger: ExactlyOnce, boundMs: number): void {
  const deadline = host.now() + boundMs
  const finalWrite = {state: 'none' as 'none' | 'pending' | 'done'}
  while (host.now() < deadline) {
    host.runUntil(Math.min(deadline, host.now() + CHECK_EVERY_MS))
    const leader = stableLeader(host)
    if (!leader) continue
    retireNonMembers(host, leader)
    if (finalWrite.state === 'none') {
      finalWrite.state = 'pending'
      const data = encodeCommand({op: 'put', key: 'final', value: String(host.seed)})
      host.propose(leader, data, (o) => {
        finalWrite.state = o.ok ? 'done' : 'none'
      })
      continue
    }
    // Proposals left on former leaders resolve only when their index is applied: fill the log until then.
    if (finalWrite.state === 'done' && host.pending().count > 0) fillLog(host, workload, leader)
    if (finalWrite.state === 'done' && host.pending().count === 0 && converged(host, leader)) {
      host.log(`liveness: leader ${leader.id}, all members applied ${leader.replica!.applied}`)
      checkFinalStates(host, leader, ledger)
      return
    }
  }
  const leader = stableLeader(host)
  const pending = host.pending()
  const why = !leader ? 'no leader elected' : finalWrite.state !== 'done' ? 'a write after healing did not commit'
    : pending.count > 0 ? `${pending.count} proposals never resolved (${pending.some.join(' ')})` : 'members did not converge'
  throw new Violation('liveness', `${why} within ${boundMs} ms after healing; ${describeNodes(host)}`)
}

/**
 * Every member holds the same KV state (sessions included); every live node that applied the
 * same index has the same consistency hash (as `raftctl check consistency` computes it); every
 * append took effect exactly once.
 */
function checkFinalStates(host: LivenessHost, leader: SimNode, ledger: ExactlyOnce): void {
  const digest = stateDigest(leader.sm)
  for (const n of members(host, leader)) {
    if (stateDigest(n.sm) !== digest) throw new Violation('state-machine-safety', `${n.id}'s final state differs from leader ${leader.id}'s`)
  }
  checkConsistencyHashes(host.liveNodes().filter((n) => n.replica !== null).map((n) => ({id: n.id, applied: n.replica!.applied, sm: n.sm})))
  ledger.checkFinal(APPEND_KEYS, (key) => leader.sm.read(key))
}

/** Propose filler writes until the leader's log reaches the highest index anyone waits on. */
function fillLog(host: LivenessHost, workload: Workload, leader: SimNode): void {
  let target = 0
  for (const n of host.liveNodes()) target = Math.max(target, n.replica!.maxPendingIndex())
  const last = leader.replica!.status().lastIndex
  workload.fill(leader, Math.max(1, Math.min(MAX_FILL_BATCH, target - last)))
}

/** The operator stops nodes that are not members of the leader's committed configuration. */
function retireNonMembers(host: LivenessHost, leader: SimNode): void {
  const st = leader.replica!.status()
  if (st.commitIndex < st.lastIndex) return
  const members = new Set([...st.conf.voters, ...st.conf.learners])
  for (const n of host.nodes.values()) if (!members.has(n.id) && !n.retired) host.retire(n.id)
}

/** A leader whose term every live member shares. */
function stableLeader(host: LivenessHost): SimNode | undefined {
  const leader = host.leaderNode()
  if (!leader) return undefined
  const st = leader.replica!.status()
  const members = [...st.conf.voters, ...st.conf.learners]
  for (const id of members) {
    const n = host.nodes.get(id)
    if (!n || n.replica === null) continue
    const s = n.replica.status()
    if (s.term !== st.term || s.leader !== leader.id) return undefined
  }
  return leader
}

/** The live members of the leader's configuration. */
function members(host: LivenessHost, leader: SimNode): SimNode[] {
  const st = leader.replica!.status()
  const out: SimNode[] = []
  for (const id of [...st.conf.voters, ...st.conf.learners]) {
    const n = host.nodes.get(id)
    if (n && n.replica !== null) out.push(n)
  }
  return out
}

function converged(host: LivenessHost, leader: SimNode): boolean {
  const st = leader.replica!.status()
  if (leader.replica!.applied !== st.lastIndex || st.commitIndex !== st.lastIndex) return false
  for (const id of [...st.conf.voters, ...st.conf.learners]) {
    const n = host.nodes.get(id)
    if (!n || n.replica === null) return false
    if (n.replica.applied !== st.lastIndex) return false
  }
  return true
}

/** One line per node: role, term, leader, indexes and (on a leader) follower progress. */
export function describeNodes(host: Pick<LivenessHost, 'nodes'>): string {
  const parts: string[] = []
  for (const n of host.nodes.values()) {
    if (n.replica === null) {
      parts.push(`${n.id}: ${n.retired ? 'retired' : 'down'}`)
      continue
    }
    const st = n.replica.status()
    const pr = st.progress.map((p) => `${p.id}:${p.state}/m${p.match}/n${p.next}/i${p.inflight}`).join(' ')
    parts.push(`${n.id}: ${st.role} t${st.term} leader=${st.leader} commit=${st.commitIndex} applied=${n.replica.applied} last=${st.lastIndex} snap=${st.snapshotIndex} first=${st.firstIndex} voters=${st.conf.voters.join(',')} learners=${st.conf.learners.join(',')}${pr ? ` [${pr}]` : ''}`)
  }
  return parts.join('\n  ')
}
