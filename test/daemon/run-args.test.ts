/**
 * The lean daemon entry parses `node run` like the oclif command: same option names, kinds and
 * defaults (no drift), integers checked, choices and required pairs enforced, unknown options refused.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import NodeRun from '../../src/commands/node/run.js'
import {NODE_RUN_OPTIONS} from '../../src/daemon/run-options.js'
import {parseRunArgs} from '../../src/daemon/run-args.js'
import {buildDaemonConfig} from '../../src/daemon/flags.js'
import type {DaemonConfig} from '../../src/daemon/config.js'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

test('every oclif flag of node run is a run option with the same kind and default, and back', () => {
  const flags = NodeRun.flags as Record<string, {type: string; default?: unknown}>
  assert.deepEqual(Object.keys(flags).sort(), Object.keys(NODE_RUN_OPTIONS).sort())
  for (const [name, o] of Object.entries(NODE_RUN_OPTIONS)) {
    const f = flags[name]!
    assert.equal(f.type === 'boolean' ? 'boolean' : 'option', o.kind === 'boolean' ? 'boolean' : 'option', name)
    assert.deepEqual(f.default, 'default' in o ? o.default : undefined, `default of --${name}`)
  }
})

test('parses the words node run, values, switches and integers; fills defaults', () => {
  const a = parseRunArgs(['node', 'run', '--id', 'n1', '--data-dir', '/tmp/x', '--election-ticks', '40', '--announce', '--listen', '127.0.0.1:7001'])
  assert.equal(a.id, 'n1')
  assert.equal(a['election-ticks'], 40)
  assert.equal(a.announce, true)
  assert.equal(a.listen, '127.0.0.1:7001')
  assert.equal(a['heartbeat-ticks'], NODE_RUN_OPTIONS['heartbeat-ticks'].default)
  assert.equal(a.tick, '5ms')
  assert.equal(a['unsafe-no-fsync'], false)
  assert.equal(parseRunArgs(['--id', 'n2']).id, 'n2', 'without the leading words too')
})

test('bad command lines are BAD_USAGE errors naming the option', () => {
  const bad: [string[], RegExp][] = [
    [['--election-ticks', 'ten'], /--election-ticks must be an integer/],
    [['--log-level', 'loud'], /--log-level must be one of debug, info, warn, error/],
    [['--tls-cert', 'c.pem'], /--tls-cert requires --tls-key/],
    [['--tls-client-ca', 'ca.pem'], /--tls-client-ca requires --tls-cert/],
    [['--no-such-flag'], /no-such-flag/],
    [['positional'], /positional/],
  ]
  for (const [argv, message] of bad) {
    assert.throws(() => parseRunArgs(argv), (err: Error & {code?: string}) => err.code === 'BAD_USAGE' && message.test(err.message), argv.join(' '))
  }
})

test('--tls-client-ca: kept in the TLS files; given alone in a config file it is BAD_USAGE, since client certificates are checked only over TLS', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'raftctl-run-args-'))
  t.after(() => rmSync(dir, {recursive: true, force: true}))
  const secret = join(dir, 'secret')
  writeFileSync(secret, 'a-secret-of-enough-characters\n')
  const base = ['--id', 'n1', '--data-dir', join(dir, 'data'), '--secret-file', secret]
  const tls = buildDaemonConfig(parseRunArgs([...base, '--tls-cert', 'c.pem', '--tls-key', 'k.pem', '--tls-client-ca', 'clients.pem'])).tls
  assert.deepEqual(tls, {cert: 'c.pem', key: 'k.pem', clientCa: 'clients.pem'})
  const file = join(dir, 'config.json')
  writeFileSync(file, JSON.stringify({'tls-client-ca': 'clients.pem'}))
  assert.throws(() => buildDaemonConfig(parseRunArgs([...base, '--config', file])), (err: Error & {code?: string}) => err.code === 'BAD_USAGE' && /--tls-client-ca needs --tls-cert and --tls-key/.test(err.message))
})

/** The config `node run --id n1 --data-dir … --secret-file … EXTRA…` builds, in a temp folder removed after the test. */
function configFrom(t: {after: (fn: () => void) => void}): (...extra: string[]) => DaemonConfig {
  const dir = mkdtempSync(join(tmpdir(), 'raftctl-run-args-'))
  t.after(() => rmSync(dir, {recursive: true, force: true}))
  const secret = join(dir, 'secret')
  writeFileSync(secret, 'a-secret-of-enough-characters\n')
  return (...extra) => buildDaemonConfig(parseRunArgs(['--id', 'n1', '--data-dir', join(dir, 'data'), '--secret-file', secret, ...extra]))
}

test('--wal-preallocate: a size, 1 MiB by default, 0 turns preallocation off', (t) => {
  const config = configFrom(t)
  assert.equal(config().walPreallocateBytes, 1024 * 1024)
  assert.equal(config('--wal-preallocate', '4KiB').walPreallocateBytes, 4096)
  assert.equal(config('--wal-preallocate', '0').walPreallocateBytes, 0)
  assert.throws(() => config('--wal-preallocate', 'lots'), /invalid size "lots"/)
})

test('--snapshot-every-bytes and --compaction-lag-bytes: sizes (64 MiB and 16 MiB by default); bad text is BAD_USAGE naming the option', (t) => {
  const config = configFrom(t)
  assert.deepEqual([config().snapshotEveryBytes, config().compactionLagBytes], [64 * 1024 * 1024, 16 * 1024 * 1024])
  const given = config('--snapshot-every-bytes', '8MiB', '--compaction-lag-bytes', '512KiB')
  assert.deepEqual([given.snapshotEveryBytes, given.compactionLagBytes], [8 * 1024 * 1024, 512 * 1024])
  assert.equal(config('--snapshot-every-bytes', '0').snapshotEveryBytes, 0)
  const badUsage = (flag: string) => (err: Error & {code?: string}): boolean => err.code === 'BAD_USAGE' && err.message.startsWith(`${flag}: invalid size "lots"`)
  assert.throws(() => config('--snapshot-every-bytes', 'lots'), badUsage('--snapshot-every-bytes'))
  assert.throws(() => config('--compaction-lag-bytes', 'lots'), badUsage('--compaction-lag-bytes'))
})

test('--peer-secret-file: read like --secret-file; absent means the shared-secret mode; the same secret twice is refused', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'raftctl-run-args-'))
  t.after(() => rmSync(dir, {recursive: true, force: true}))
  const secret = join(dir, 'secret')
  const peerSecret = join(dir, 'peer-secret')
  const short = join(dir, 'short')
  writeFileSync(secret, 'a-secret-of-enough-characters\n')
  writeFileSync(peerSecret, 'a-peer-secret-of-enough-characters\n')
  writeFileSync(short, 'short\n')
  const config = (...extra: string[]): DaemonConfig => buildDaemonConfig(parseRunArgs(['--id', 'n1', '--data-dir', join(dir, 'data'), '--secret-file', secret, ...extra]))
  assert.equal(config().peerSecret, undefined)
  assert.equal(config('--peer-secret-file', peerSecret).peerSecret, 'a-peer-secret-of-enough-characters')
  assert.throws(() => config('--peer-secret-file', short), /at least 16 characters/)
  assert.throws(() => config('--peer-secret-file', secret), /different secret/)
})

test('one source for defaults: node run, the daemon config, the replica, the file storage and local clusters read src/common/defaults.ts', async () => {
  const {NODE_DEFAULTS} = await import('../../src/common/defaults.js')
  const {DAEMON_DEFAULTS} = await import('../../src/daemon/config.js')
  const {REPLICA_DEFAULTS} = await import('../../src/replica/replica.js')
  const {DEFAULT_SEGMENT_BYTES, DEFAULT_PREALLOCATE_BYTES} = await import('../../src/storage/index.js')
  const {CLUSTER_DEFAULTS} = await import('../../src/cluster/manifest.js')
  const dir = mkdtempSync(join(tmpdir(), 'raftctl-defaults-'))
  try {
    const secret = join(dir, 'secret')
    writeFileSync(secret, 'a-secret-of-enough-length\n')
    // A command line with only the required options: every default comes from NODE_RUN_OPTIONS.
    const config = buildDaemonConfig(parseRunArgs(['--id', 'n1', '--data-dir', dir, '--secret-file', secret]))
    for (const key of Object.keys(NODE_DEFAULTS) as (keyof typeof NODE_DEFAULTS)[]) {
      assert.equal(config[key], NODE_DEFAULTS[key], `node run's default of ${key}`)
      assert.equal(DAEMON_DEFAULTS[key], NODE_DEFAULTS[key], `DAEMON_DEFAULTS.${key}`)
    }
    assert.equal(REPLICA_DEFAULTS.snapshotEvery, NODE_DEFAULTS.snapshotEvery)
    assert.equal(REPLICA_DEFAULTS.compactionLag, NODE_DEFAULTS.compactionLag)
    assert.equal(REPLICA_DEFAULTS.snapshotEveryBytes, NODE_DEFAULTS.snapshotEveryBytes)
    assert.equal(REPLICA_DEFAULTS.compactionLagBytes, NODE_DEFAULTS.compactionLagBytes)
    assert.equal(DEFAULT_SEGMENT_BYTES, NODE_DEFAULTS.segmentBytes)
    assert.equal(DEFAULT_PREALLOCATE_BYTES, NODE_DEFAULTS.walPreallocateBytes)
    assert.deepEqual(CLUSTER_DEFAULTS, {tick: `${NODE_DEFAULTS.tickMs}ms`, electionTicks: NODE_DEFAULTS.electionTicks, heartbeatTicks: NODE_DEFAULTS.heartbeatTicks, snapshotEvery: NODE_DEFAULTS.snapshotEvery, compactionLag: NODE_DEFAULTS.compactionLag, snapshotEveryBytes: NODE_DEFAULTS.snapshotEveryBytes, compactionLagBytes: NODE_DEFAULTS.compactionLagBytes, watchHistory: NODE_DEFAULTS.watchHistory})
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
})
