/**
 * `diagnose` (src/cluster/doctor.ts) over synthetic node reports: the verdict of each check and
 * the cause it names, for situations the integration tests cannot stage cheaply (a 5-node split
 * with no quorum anywhere, a slow disk with free space running out, a storage failure), and the
 * exit code rule.
 */
import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import type {DiagnosticsResult, NodeStatus, RecordedEvent} from '../../src/admin/protocol.js'
import {diagnose, doctorExitCode, type DoctorCheck, type DoctorReport, type NodeReport} from '../../src/cluster/doctor.js'

const NOW = 1_800_000_000_000
const IDS = ['n1', 'n2', 'n3', 'n4', 'n5']

function status(id: string, o: Partial<NodeStatus> = {}): NodeStatus {
  return {
    id, role: 'follower', term: 5, vote: null, leader: null, commitIndex: 10, appliedIndex: 10, lastIndex: 10, lastTerm: 5,
    firstIndex: 1, snapshotIndex: 0, voter: true,
    members: {voters: IDS.map((v) => ({id: v, address: null})), learners: []},
    progress: [], transferee: null, electionElapsedMs: 0, electionTimeoutMs: 200, uptimeMs: 600_000, pid: 1,
    address: `ws://127.0.0.1:700${id.slice(1)}`, version: '0.1.0', faults: [], peerAuth: 'peer-secret', ...o,
  }
}

/** Diagnostics of `id` hearing `heard` recently and every other member never. */
function diagnostics(id: string, heard: readonly string[], o: Partial<DiagnosticsResult> = {}): DiagnosticsResult {
  return {
    node: id, version: '0.1.0', tickMs: 5, electionTicks: 30, heartbeatTicks: 6,
    secretFiles: [{role: 'secret', path: '/s', mode: 0o600}], saveLatency: {count: 100, p50: 1, p99: 3, max: 4},
    disk: {freeBytes: 50e9, totalBytes: 100e9}, storageError: null,
    peers: IDS.filter((p) => p !== id).map((p) => ({id: p, lastHeardMs: heard.includes(p) ? 20 : null, reachable: true})),
    alarm: null, consistencyCheckEveryMs: 0, ...o,
  }
}

function node(id: string, st: Partial<NodeStatus>, heard: readonly string[], events: RecordedEvent['event'][] = [], d: Partial<DiagnosticsResult> = {}): NodeReport {
  return {id, status: status(id, st), diagnostics: diagnostics(id, heard, d), events: events.map((event, i) => ({seq: i + 1, time: NOW - 1000 + i, event})), error: null}
}

function run(reports: NodeReport[]): DoctorReport {
  return diagnose(reports, {since: NOW - 600_000, now: NOW})
}

function checkOf(r: DoctorReport, name: DoctorCheck['name']): DoctorCheck {
  return r.checks.find((c) => c.name === name)!
}

describe('doctor checks over synthetic reports', () => {
  it('a 5-node cluster split 2 | 2 | 1 has no leader: the groups, who campaigned and who refused them', () => {
    const campaign: RecordedEvent['event'][] = [
      {type: 'electionStarted', term: 6, pre: true, cause: 'timeout'},
      {type: 'roleChanged', from: 'precandidate', to: 'follower', term: 5, cause: 'lost'},
      {type: 'electionStarted', term: 6, pre: true, cause: 'timeout'},
    ]
    const refusal: RecordedEvent['event'] = {type: 'voteCast', candidate: 'n1', term: 6, pre: true, granted: false, reason: 'logBehind'}
    const r = run([
      node('n1', {role: 'precandidate'}, ['n2'], campaign),
      node('n2', {}, ['n1'], [refusal]),
      node('n3', {}, ['n4']),
      node('n4', {}, ['n3']),
      node('n5', {}, []),
    ])
    const leader = checkOf(r, 'leader')
    assert.equal(leader.status, 'fail')
    assert.equal(leader.summary, 'no leader: the voters are split into {n1, n2} and {n3, n4} and {n5}, none with a quorum of 3')
    assert.ok(leader.evidence.includes('n1 campaigned 2 times (pre-vote on timeout ×2), lost 1; refused by n2: logBehind'), leader.evidence.join('\n'))
    assert.equal(checkOf(r, 'links').status, 'fail')
    assert.equal(checkOf(r, 'quorum').status, 'ok', 'every voter answers the CLI')
    assert.equal(doctorExitCode(r), 1)
  })

  it('a leader that does not hear a follower which hears it: a one-way partition naming both', () => {
    const progress = IDS.map((id) => ({id, match: 10, next: 11, state: 'replicate' as const, recentActive: true, lastContactMs: 0, inflight: 0}))
    const r = run([
      node('n1', {role: 'leader', leader: 'n1', progress}, ['n2', 'n3', 'n4']),
      ...['n2', 'n3', 'n4', 'n5'].map((id) => node(id, {leader: 'n1'}, ['n1'])),
    ])
    const links = checkOf(r, 'links')
    assert.equal(links.status, 'fail')
    assert.equal(links.summary, 'one-way partition between the leader n1 and n5')
    assert.match(links.evidence[0]!, /^one-way: n5 hears the leader n1, but n1 does not hear n5 \(n1 last heard n5 never; n5 last heard n1 20 ms ago\)$/)
  })

  it('a follower that lost its data is named as rebuilding under replicas, with its applied index against the commit', () => {
    const progress = IDS.map((id) => ({id, match: id === 'n3' ? 0 : 10, next: id === 'n3' ? 1 : 11, state: 'replicate' as const, recentActive: true, lastContactMs: 0, inflight: 0}))
    const healthy = run([node('n1', {role: 'leader', leader: 'n1', progress}, IDS), ...['n2', 'n3', 'n4', 'n5'].map((id) => node(id, {leader: 'n1'}, ['n1']))])
    assert.equal(checkOf(healthy, 'replicas').status, 'ok')
    const r = run([
      node('n1', {role: 'leader', leader: 'n1', progress}, IDS),
      ...['n2', 'n4', 'n5'].map((id) => node(id, {leader: 'n1'}, ['n1'])),
      node('n3', {leader: 'n1', rebuilding: true, appliedIndex: 3, commitIndex: 3, lastIndex: 3}, ['n1']),
    ])
    const replicas = checkOf(r, 'replicas')
    assert.equal(replicas.status, 'warn')
    assert.match(replicas.evidence.join('\n'), /follower n3 is rebuilding: it lost its data .* \(applied 3, leader's commit 10\)/)
  })

  it('two voters down of five: quorum holds, one more failure stops it; exit 3 for the unanswered nodes', () => {
    const down = (id: string): NodeReport => ({id, status: null, diagnostics: null, events: [], error: 'connect ECONNREFUSED'})
    const r = run([node('n1', {role: 'leader', leader: 'n1'}, ['n2', 'n3']), node('n2', {leader: 'n1'}, ['n1']), node('n3', {leader: 'n1'}, ['n1']), down('n4'), down('n5')])
    const quorum = checkOf(r, 'quorum')
    assert.equal(quorum.status, 'warn')
    assert.equal(quorum.summary, '3 of 5 voters up, 3 needed: one more failure stops the cluster')
    assert.match(quorum.action!, /bring back n4, n5/)
    assert.equal(doctorExitCode(r), 3)
  })

  it('disk: a slow p99 warns, little free space and a storage failure fail, each naming the node', () => {
    const r = run([
      node('n1', {role: 'leader', leader: 'n1'}, IDS, [], {saveLatency: {count: 50, p50: 40, p99: 180, max: 220}}),
      node('n2', {leader: 'n1'}, ['n1'], [], {disk: {freeBytes: 0.5e9, totalBytes: 100e9}}),
      node('n3', {leader: 'n1'}, ['n1'], [], {storageError: 'ENOSPC: no space left on device'}),
      node('n4', {leader: 'n1'}, ['n1']),
      node('n5', {leader: 'n1'}, ['n1']),
    ])
    const disk = checkOf(r, 'disk')
    assert.equal(disk.status, 'fail')
    assert.deepEqual(disk.evidence, [
      'n1: durable saves p50 40 ms, p99 180 ms, max 220 ms over the last 50 (over 50 ms)',
      'n2: 0.5% free (477 MiB)',
      'n3: storage failed: ENOSPC: no space left on device',
    ])
  })

  it('configuration: version skew and a secret file its group can read warn; a healthy cluster is ok everywhere', () => {
    const healthy = (): NodeReport[] => [node('n1', {role: 'leader', leader: 'n1'}, IDS), ...['n2', 'n3', 'n4', 'n5'].map((id) => node(id, {leader: 'n1'}, ['n1']))]
    const ok = run(healthy())
    assert.deepEqual(ok.checks.map((c) => c.status), ['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'])
    assert.equal(doctorExitCode(ok), 0)
    const skewed = healthy()
    skewed[1] = node('n2', {leader: 'n1', version: '0.2.0'}, ['n1'], [], {secretFiles: [{role: 'secret', path: '/s', mode: 0o640}]})
    const config = checkOf(run(skewed), 'configuration')
    assert.equal(config.status, 'warn')
    assert.ok(config.evidence.includes('n2: secret file /s has mode 640: readable by its group (chmod 600 /s)'))
    assert.ok(config.evidence.includes('version skew: n1, n3, n4, n5 run 0.1.0; n2 run 0.2.0'))
  })
})
