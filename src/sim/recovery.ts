/**
 * The simulator's disaster (SimOptions.recover): a majority of the voters is lost for good,
 * disks included, and the cluster is recovered from the most up-to-date survivor with the
 * storage rewrite the daemon runs (src/storage/force-new-cluster.ts), as `raftctl recover` does.
 * This file decides who is lost and who is recovered from; the simulation (./cluster.ts) stops
 * the nodes, fences what was in flight, rebases the invariants on what the survivor held
 * (Invariants.rebase) and restarts the survivor; the operator then grows it back ({@link growBack}).
 * docs/testing.md says which checks are relaxed.
 */
import type {SeededRng} from '../raft/index.js'
import type {ConfChange, NodeId} from '../raft/types.js'
import type {NemesisHost} from './nemesis.js'
import {summarizeSurvivor, type SurvivorSummary} from '../storage/index.js'
import type {SimNode} from './types.js'

/** A node's durable position, as recovery compares survivors. */
export interface Positioned {
  readonly node: SimNode
  readonly position: SurvivorSummary
}

/** The durable position of each node (what its disk would load). */
export function positions(nodes: readonly SimNode[]): Positioned[] {
  return nodes.map((node) => ({node, position: summarizeSurvivor(node.disk.load())}))
}

/** Raft's up-to-date order (§5.4.1): later last term, then longer log, then lower id. */
export function byUpToDate(a: Positioned, b: Positioned): number {
  return (b.position.lastTerm - a.position.lastTerm) || (b.position.lastIndex - a.position.lastIndex) || a.node.id.localeCompare(b.node.id, undefined, {numeric: true})
}

/**
 * Draw the survivors among `nodes` (the cluster's nodes that are not retired): between 1 and
 * quorum - 1 of the voters of the most up-to-date node's configuration, among those whose disk
 * holds a log. Null when no disaster can leave a survivor (one voter, or no voter with a log).
 */
export function drawSurvivors(nodes: readonly SimNode[], rng: SeededRng): NodeId[] | null {
  const all = positions(nodes).sort(byUpToDate)
  const voters = all[0]?.position.conf.voters ?? []
  const quorum = Math.floor(voters.length / 2) + 1
  const candidates = all.filter((p) => voters.includes(p.node.id) && p.position.lastIndex > 0).map((p) => p.node.id)
  if (quorum < 2 || candidates.length === 0) return null
  const count = Math.min(candidates.length, 1 + rng.int(quorum - 1))
  const shuffled = candidates.map((id) => ({id, k: rng.float()})).sort((a, b) => a.k - b.k).map((x) => x.id)
  return shuffled.slice(0, count)
}

/** How often (virtual ms) the operator tries the next step of growing the cluster back. */
export const GROW_BACK_EVERY_MS = 100

/**
 * One step of the operator growing a recovered cluster back to `voters` voters, as `raftctl node
 * add` does: a learner is promoted, else a new node is added as a learner (one change at a
 * time, not forced: the leader's own checks may refuse it, and the next step tries again, with
 * the same new node: `state.joining`). Returns true once the leader's configuration has `voters`
 * voters.
 */
export function growBack(host: Pick<NemesisHost, 'leaderNode' | 'liveNodes' | 'addNode' | 'newNodeId' | 'log' | 'stats'>, voters: number, state: {joining?: NodeId}): boolean {
  const leader = host.leaderNode()
  if (!leader) return false
  const {conf, commitIndex, progress} = leader.replica!.status()
  if (conf.voters.length >= voters) return true
  let change: ConfChange
  if (conf.learners.length > 0) {
    // As `node add` does: promote a learner only once it runs with its data and has caught up.
    // A learner down, or rebuilding after losing its disk, made a voter of a small grown-back
    // cluster could leave no quorum that votes (a rebuilding node does not), for good.
    const learner = conf.learners[0]!
    const node = host.liveNodes().find((n) => n.id === learner)
    const match = progress.find((p) => p.id === learner)?.match ?? 0
    if (node === undefined || node.disk.rebuilding || match < commitIndex) return false
    change = {type: 'promote', node: learner}
  } else {
    // A joiner already in the configuration (its addLearner applied without word) or gone (retired) is not added again.
    const joining = state.joining
    if (joining !== undefined && (conf.voters.includes(joining) || !host.liveNodes().some((n) => n.id === joining))) state.joining = undefined
    if (state.joining === undefined) {
      state.joining = host.newNodeId()
      host.addNode(state.joining)
    }
    change = {type: 'addLearner', node: state.joining}
  }
  leader.replica!.proposeConfChange(change, (o) => {
    if (!o.ok) return
    if (change.type === 'addLearner') state.joining = undefined
    host.stats.confChanges++
    host.log(`grow back: applied ${change.type} ${change.node}`)
  })
  return false
}
