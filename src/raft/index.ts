/**
 * Public surface of the Raft core. Other layers import from here, never from internals.
 */
export {RaftNode, nextConf, type ConfChangeOptions, type RaftInit, type RaftStatus, type ProgressStatus} from './node.js'
export {RAFT_DEFAULTS, resolveOptions, type RaftOptions, type PlantedBugs} from './config.js'
export {SeededRng, type Rng} from './rng.js'
export {majority, committedIndex, tallyVotes} from './quorum.js'
export type {Ready, ReadState, RaftEvent, Role, Cause, ProposeResult, RequestResult, RaftRejection, RaftErrorCode, VoteRefusal} from './ready.js'
export * from './types.js'
