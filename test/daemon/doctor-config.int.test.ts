/**
 * `raftctl doctor`'s configuration check on daemons started by hand (`node run`, as on
 * separate hosts): one node with a longer election timeout and a heartbeat too close to it, and
 * a secret file every user can read. The doctor library runs over plain admin clients, as it
 * will over any cluster handle.
 */
import {after, test} from 'node:test'
import assert from 'node:assert/strict'
import {chmodSync} from 'node:fs'
import {TestCluster, distBuilt} from './harness.js'
import {diagnose, gatherDoctor} from '../../src/cluster/index.js'

const tc = new TestCluster()
after(async () => tc.shutdown())

test('mismatched election timeouts and a world-readable secret: the configuration check names the node, the settings and the file', {skip: distBuilt() ? false : 'run npm run build first (bin/run.js loads dist/)'}, async () => {
  for (const id of ['n1', 'n2', 'n3']) await tc.reserve(id)
  const founders = ['n1', 'n2', 'n3']
  await Promise.all([tc.launch('n1', founders), tc.launch('n2', founders), tc.launch('n3', founders, ['--election-ticks', '60', '--heartbeat-ticks', '25'])])
  await tc.waitForLeader()
  chmodSync(tc.secretFile, 0o644)
  const since = Date.now() - 60_000
  const reports = await gatherDoctor(['n1', 'n2', 'n3'].map((id) => ({id, client: tc.admin(id)})), {since, timeoutMs: 3000})
  const report = diagnose(reports, {since, now: Date.now()})
  const config = report.checks.find((c) => c.name === 'configuration')!
  assert.equal(config.status, 'fail', 'a secret readable by every user fails')
  const evidence = config.evidence.join('\n')
  assert.match(evidence, /election and heartbeat settings differ: n1, n2: election 150 ms, heartbeat 30 ms; n3: election 300 ms, heartbeat 125 ms/)
  assert.match(evidence, /n3: heartbeat 125 ms is too close to the election timeout 300 ms/)
  assert.match(evidence, new RegExp(`n1: secret file ${tc.secretFile} has mode 644: readable by every user \\(chmod 600 ${tc.secretFile}\\)`))
  assert.doesNotMatch(evidence, /peer secret file/, 'the peer secret file kept mode 600')
  chmodSync(tc.secretFile, 0o600)
})
