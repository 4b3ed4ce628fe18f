/**
 * Turns `node run` flags (and an optional JSON config file) into a validated DaemonConfig.
 */
import {readFileSync} from 'node:fs'
import {resolve} from 'node:path'
import {RaftctlError} from '../common/errors.js'
import {parseDurationFlag, parseSize} from '../common/units.js'
import {DAEMON_DEFAULTS, parsePeers, readSecret, validateConfig, type DaemonConfig} from './config.js'

/** The flags of `node run`, as oclif parses them. */
export interface NodeRunFlags {
  readonly config?: string
  readonly id?: string
  readonly listen: string
  readonly advertise?: string
  readonly peers: string
  readonly 'initial-cluster': string
  readonly 'cluster-id'?: string
  readonly 'force-new-cluster'?: boolean
  readonly rejoin?: boolean
  readonly 'data-dir'?: string
  readonly 'secret-file'?: string
  readonly 'peer-secret-file'?: string
  readonly tick: string
  readonly 'election-ticks': number
  readonly 'heartbeat-ticks': number
  readonly 'snapshot-every': number
  readonly 'compaction-lag': number
  readonly 'snapshot-every-bytes': string
  readonly 'compaction-lag-bytes': string
  readonly 'watch-history': number
  readonly 'segment-size': string
  readonly 'wal-preallocate': string
  readonly 'request-timeout': string
  readonly 'consistency-check-every'?: string
  readonly 'tls-cert'?: string
  readonly 'tls-key'?: string
  readonly 'tls-ca'?: string
  readonly 'tls-client-ca'?: string
  readonly 'log-file'?: string
  readonly 'log-level': string
  readonly 'public-metrics': boolean
  readonly 'unsafe-no-fsync': boolean
  readonly 'unsafe-follower-reads': boolean
  readonly restore?: string
  readonly 'force-restore'?: boolean
}

/** Merge the config file (if any) under the flags, validate, read the secret. */
export function buildDaemonConfig(flags: NodeRunFlags): DaemonConfig {
  const file = flags.config ? readConfigFile(flags.config) : {}
  const pick = <K extends keyof NodeRunFlags>(k: K): NodeRunFlags[K] => (flags[k] ?? (file as Partial<NodeRunFlags>)[k]) as NodeRunFlags[K]
  const id = pick('id')
  const dataDir = pick('data-dir')
  const secretFile = pick('secret-file')
  const peerSecretFile = pick('peer-secret-file')
  if (!id) throw new RaftctlError('BAD_USAGE', '--id is required')
  if (!dataDir) throw new RaftctlError('BAD_USAGE', '--data-dir is required')
  if (!secretFile) throw new RaftctlError('BAD_USAGE', '--secret-file is required')
  const {host, port} = parseListen(pick('listen'))
  const cert = pick('tls-cert')
  const key = pick('tls-key')
  return validateConfig({
    id,
    host,
    port,
    advertise: pick('advertise'),
    peers: parsePeers(pick('peers') ?? ''),
    clusterId: pick('cluster-id') || undefined,
    forceNewCluster: pick('force-new-cluster') ?? false,
    initialCluster: (pick('initial-cluster') ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    rejoin: pick('rejoin') ?? false,
    dataDir: resolve(dataDir),
    secret: readSecret(secretFile),
    peerSecret: peerSecretFile ? readSecret(peerSecretFile) : undefined,
    secretFile: resolve(secretFile),
    peerSecretFile: peerSecretFile ? resolve(peerSecretFile) : undefined,
    consistencyCheckEveryMs: consistencyEvery(pick('consistency-check-every')),
    tickMs: parseDurationFlag(pick('tick'), '--tick', 'span'),
    electionTicks: pick('election-ticks') ?? DAEMON_DEFAULTS.electionTicks,
    heartbeatTicks: pick('heartbeat-ticks') ?? DAEMON_DEFAULTS.heartbeatTicks,
    snapshotEvery: pick('snapshot-every') ?? DAEMON_DEFAULTS.snapshotEvery,
    compactionLag: pick('compaction-lag') ?? DAEMON_DEFAULTS.compactionLag,
    snapshotEveryBytes: sizeFlag(pick('snapshot-every-bytes'), '--snapshot-every-bytes', DAEMON_DEFAULTS.snapshotEveryBytes),
    compactionLagBytes: sizeFlag(pick('compaction-lag-bytes'), '--compaction-lag-bytes', DAEMON_DEFAULTS.compactionLagBytes),
    watchHistory: pick('watch-history') ?? DAEMON_DEFAULTS.watchHistory,
    segmentBytes: parseSize(pick('segment-size')),
    walPreallocateBytes: parseSize(pick('wal-preallocate')),
    requestTimeoutMs: parseDurationFlag(pick('request-timeout'), '--request-timeout', 'timeout'),
    tls: tlsFiles(cert, key, pick('tls-ca'), pick('tls-client-ca')),
    logFile: pick('log-file'),
    logLevel: pick('log-level') ?? DAEMON_DEFAULTS.logLevel,
    unsafeNoFsync: pick('unsafe-no-fsync') ?? DAEMON_DEFAULTS.unsafeNoFsync,
    unsafeFollowerReads: pick('unsafe-follower-reads') ?? DAEMON_DEFAULTS.unsafeFollowerReads,
    publicMetrics: pick('public-metrics') ?? DAEMON_DEFAULTS.publicMetrics,
    restore: pick('restore') ? resolve(pick('restore')!) : undefined,
    forceRestore: restoreFlag(pick('restore'), pick('force-restore')),
  })
}

/** A size option (`64MiB`; a config file may give a number of bytes), or its default; bad text is BAD_USAGE naming the option. */
function sizeFlag(value: string | number | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value === 'number') return value
  try {
    return parseSize(value)
  } catch (err) {
    throw new RaftctlError('BAD_USAGE', `${flag}: ${(err as Error).message}`)
  }
}

/** The TLS files of `node run`, or undefined without a certificate. `--tls-client-ca` without `--tls-cert`/`--tls-key` is BAD_USAGE (a config file can give it alone). */
function tlsFiles(cert?: string, key?: string, ca?: string, clientCa?: string): DaemonConfig['tls'] {
  if (clientCa && !(cert && key)) throw new RaftctlError('BAD_USAGE', '--tls-client-ca needs --tls-cert and --tls-key: client certificates are checked only over TLS')
  if (!cert || !key) return undefined
  return {cert, key, ...(ca ? {ca} : {}), ...(clientCa ? {clientCa} : {})}
}

/** `--force-restore`, refused without `--restore` (BAD_USAGE). */
function restoreFlag(restore: string | undefined, force: boolean | undefined): boolean {
  if (force === true && !restore) throw new RaftctlError('BAD_USAGE', '--force-restore needs --restore FILE')
  return force === true
}

/** `--consistency-check-every`: `0` or `off` turn it off (the default), else a duration of at least 100ms. */
function consistencyEvery(text: string | undefined): number {
  if (text === undefined || text === '0' || text === 'off') return DAEMON_DEFAULTS.consistencyCheckEveryMs
  return parseDurationFlag(text, '--consistency-check-every', 'pollInterval')
}

/** `HOST:PORT` or `[IPv6]:PORT`. */
export function parseListen(text: string): {host: string; port: number} {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(text.trim())
  if (!m) throw new RaftctlError('BAD_USAGE', `--listen "${text}" must be HOST:PORT`)
  const port = Number(m[2])
  if (port > 65535) throw new RaftctlError('BAD_USAGE', `--listen port ${port} is out of range`)
  return {host: m[1]!.replace(/^\[|\]$/g, ''), port}
}

function readConfigFile(path: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(readFileSync(path, 'utf8'))
  } catch (err) {
    throw new RaftctlError('BAD_USAGE', `cannot read config file ${path}: ${(err as Error).message}`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RaftctlError('BAD_USAGE', `config file ${path} must hold a JSON object`)
  return value as Record<string, unknown>
}
