/**
 * The options of `raftctl node run` as plain data: names, kinds and defaults. The oclif
 * command (src/commands/node/run.ts) and the lean daemon entry (src/daemon/entry.ts) both read
 * them, so the two parse the same command line. No imports: loading it costs nothing.
 */

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
  listen: {kind: 'string', default: '127.0.0.1:0'},
  advertise: {kind: 'string'},
  peers: {kind: 'string', default: ''},
  'initial-cluster': {kind: 'string', default: ''},
  'data-dir': {kind: 'string'},
  'secret-file': {kind: 'string'},
  'peer-secret-file': {kind: 'string'},
  tick: {kind: 'string', default: '5ms'},
  'election-ticks': {kind: 'integer', default: 30},
  'heartbeat-ticks': {kind: 'integer', default: 6},
  'snapshot-every': {kind: 'integer', default: 10_000},
  'compaction-lag': {kind: 'integer', default: 5_000},
  'segment-size': {kind: 'string', default: '64MiB'},
  'wal-preallocate': {kind: 'string', default: '1MiB'},
  'request-timeout': {kind: 'string', default: '5s'},
  'tls-cert': {kind: 'string', requires: ['tls-key']},
  'tls-key': {kind: 'string', requires: ['tls-cert']},
  'tls-ca': {kind: 'string'},
  'log-file': {kind: 'string'},
  'log-level': {kind: 'string', default: 'info', choices: ['debug', 'info', 'warn', 'error']},
  'pid-file': {kind: 'string'},
  announce: {kind: 'boolean', default: false},
  'public-metrics': {kind: 'boolean', default: false},
  'unsafe-no-fsync': {kind: 'boolean', default: false},
  'unsafe-follower-reads': {kind: 'boolean', default: false},
} as const satisfies Record<string, RunOption>

/** Name of a `node run` option. */
export type RunOptionName = keyof typeof NODE_RUN_OPTIONS
