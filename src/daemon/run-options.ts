/**
 * The options of `raftctl node run` as plain data: names, kinds and defaults. The oclif
 * command (src/commands/node/run.ts) and the lean daemon entry (src/daemon/entry.ts) both read
 * them, so the two parse the same command line. The defaults are the node defaults of
 * src/common/defaults.ts written as flag text; its only import, which imports nothing.
 */
import {NODE_DEFAULTS as D} from '../common/defaults.js'

const MiB = 1024 * 1024

/** Kind of a `node run` option: a string, an integer, or a switch. */
export type RunOptionKind = 'string' | 'integer' | 'boolean'

/** One option of `node run`. */
export interface RunOption {
  readonly kind: RunOptionKind
  /** Default value (absent: none). */
  readonly default?: string | number | boolean
  /** The only values allowed (strings). */
  readonly choices?: readonly string[]
  /** Options that must be given with this one. */
  readonly requires?: readonly string[]
}

/** Every option of `node run`, by flag name (without `--`). */
export const NODE_RUN_OPTIONS = {
  config: {kind: 'string'},
  id: {kind: 'string'},
  listen: {kind: 'string', default: `${D.host}:${D.port}`},
  advertise: {kind: 'string'},
  peers: {kind: 'string', default: ''},
  'initial-cluster': {kind: 'string', default: ''},
  'cluster-id': {kind: 'string'},
  'force-new-cluster': {kind: 'boolean', default: false, requires: ['cluster-id']},
  rejoin: {kind: 'boolean', default: false},
  'data-dir': {kind: 'string'},
  'secret-file': {kind: 'string'},
  'peer-secret-file': {kind: 'string'},
  tick: {kind: 'string', default: `${D.tickMs}ms`},
  'election-ticks': {kind: 'integer', default: D.electionTicks},
  'heartbeat-ticks': {kind: 'integer', default: D.heartbeatTicks},
  'snapshot-every': {kind: 'integer', default: D.snapshotEvery},
  'compaction-lag': {kind: 'integer', default: D.compactionLag},
  'snapshot-every-bytes': {kind: 'string', default: `${D.snapshotEveryBytes / MiB}MiB`},
  'compaction-lag-bytes': {kind: 'string', default: `${D.compactionLagBytes / MiB}MiB`},
  'watch-history': {kind: 'integer', default: D.watchHistory},
  'segment-size': {kind: 'string', default: `${D.segmentBytes / MiB}MiB`},
  'wal-preallocate': {kind: 'string', default: `${D.walPreallocateBytes / MiB}MiB`},
  'request-timeout': {kind: 'string', default: `${D.requestTimeoutMs / 1000}s`},
  'consistency-check-every': {kind: 'string', default: 'off'},
  'tls-cert': {kind: 'string', requires: ['tls-key']},
  'tls-key': {kind: 'string', requires: ['tls-cert']},
  'tls-ca': {kind: 'string'},
  'tls-client-ca': {kind: 'string', requires: ['tls-cert', 'tls-key']},
  'log-file': {kind: 'string'},
  'log-level': {kind: 'string', default: D.logLevel, choices: ['debug', 'info', 'warn', 'error']},
  'pid-file': {kind: 'string'},
  'status-file': {kind: 'string'},
  announce: {kind: 'boolean', default: false},
  'public-metrics': {kind: 'boolean', default: false},
  'unsafe-no-fsync': {kind: 'boolean', default: false},
  'unsafe-follower-reads': {kind: 'boolean', default: false},
  restore: {kind: 'string', requires: ['cluster-id', 'initial-cluster']},
  'force-restore': {kind: 'boolean', requires: ['restore']},
} as const satisfies Record<string, RunOption>

/** Name of a `node run` option. */
export type RunOptionName = keyof typeof NODE_RUN_OPTIONS
