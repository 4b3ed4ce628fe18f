/**
 * Where `raftctl verify` writes (outputFiles in src/verify/run.ts): the history, the report next
 * to it, and the daemons' logs in a folder named after the run — never a fixed `logs/` in a
 * folder the user named (issue 22, item 6: `--history /tmp/x.jsonl` put them in `/tmp/logs/`).
 * Pure path arithmetic: nothing is created.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {dirname, join} from 'node:path'
import {LocalCluster} from '../../src/cluster/index.js'
import {outputFiles} from '../../src/verify/run.js'

const HOME = '/nonexistent/raftctl-home'
const cluster = new LocalCluster('default', HOME)

describe('outputFiles', () => {
  it('--history DIR/x.jsonl: the report is DIR/x.html and the logs DIR/x.logs, not DIR/logs', () => {
    const files = outputFiles({historyFile: '/tmp/x.jsonl', home: HOME}, cluster, true)
    assert.deepEqual(files, {history: '/tmp/x.jsonl', report: '/tmp/x.html', logs: '/tmp/x.logs'})
    assert.notEqual(files.logs, join(dirname(files.history), 'logs'))
  })

  it('--report R/y.html: the logs go next to the report, named after it', () => {
    const files = outputFiles({reportFile: '/reports/y.html', home: HOME}, cluster, true)
    assert.equal(files.logs, '/reports/y.logs')
    assert.ok(files.history.startsWith(join(HOME, '_verify', 'default-')))
  })

  it('a history without an extension still gets a folder of its own', () => {
    assert.equal(outputFiles({historyFile: '/tmp/run7', home: HOME}, cluster, true).logs, '/tmp/run7.logs')
  })

  it('by default everything goes into the run\'s own folder (outliving a destroyed cluster)', () => {
    const destroyed = outputFiles({home: HOME}, cluster, true)
    const dir = dirname(destroyed.history)
    assert.match(dir, /\/_verify\/default-[0-9T-]+Z$/)
    assert.deepEqual(destroyed, {history: join(dir, 'history.jsonl'), report: join(dir, 'report.html'), logs: join(dir, 'logs')})
    const kept = outputFiles({home: HOME}, cluster, false)
    assert.equal(dirname(kept.logs), dirname(kept.history))
    assert.ok(kept.history.startsWith(join(cluster.paths.dir, 'verify')))
  })
})
