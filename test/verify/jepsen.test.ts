/**
 * The checker against real Jepsen histories with known verdicts (etcd 2.0 with stale reads, and
 * porcupine's kv histories): every file listed in verdicts.tsv of the shared data folder
 * (`../shared/data/jepsen-etcd/` beside the repository) must get exactly the listed verdict.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {existsSync, readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {checkHistory} from '../../src/verify/checker.js'
import {parseHistory} from '../../src/verify/history.js'

const DATA = new URL('../../../shared/data/jepsen-etcd/', import.meta.url)
const VERDICTS = new URL('verdicts.tsv', DATA)
const missing = existsSync(fileURLToPath(VERDICTS)) ? false : `shared data not found at ${fileURLToPath(DATA)} (expected ../shared beside the repository)`

interface Row {
  jsonl: string
  expected: boolean
}

/** The rows of verdicts.tsv that name a jsonl file. */
function readVerdicts(): Row[] {
  const [header, ...rows] = readFileSync(VERDICTS, 'utf8').trim().split('\n').map((line) => line.split('\t'))
  const col = (name: string): number => header!.indexOf(name)
  return rows
    .filter((cells) => cells[col('jsonl')])
    .map((cells) => ({jsonl: cells[col('jsonl')]!, expected: cells[col('expected')] === 'LINEARIZABLE'}))
}

test('jepsen histories get their known verdicts', {skip: missing}, async (t) => {
  const rows = readVerdicts()
  assert.ok(rows.length >= 50, `expected at least 50 histories, found ${rows.length}`)
  assert.ok(rows.some((r) => r.jsonl.includes('kv-c01')) && rows.some((r) => r.jsonl.includes('kv-c10')), 'kv c01/c10 histories listed')
  for (const row of rows) {
    await t.test(row.jsonl, () => {
      const {ops, lines} = parseHistory(readFileSync(new URL(row.jsonl, DATA), 'utf8'))
      const result = checkHistory(ops, {lines})
      assert.equal(result.valid, row.expected)
      if (!row.expected) {
        assert.ok(result.counterexample, 'a violation comes with a counterexample')
        assert.equal(result.counterexample.culprit.return, result.counterexample.at)
      }
    })
  }
})

test('a tiny budget never turns a jepsen history into a pass', {skip: missing}, () => {
  for (const name of ['jsonl/etcd_002.jsonl', 'jsonl/etcd_007.jsonl']) {
    const {ops} = parseHistory(readFileSync(new URL(name, DATA), 'utf8'))
    const result = checkHistory(ops, {maxStates: 50})
    assert.equal(result.valid, 'unknown', name)
    assert.equal(result.reason, 'state-limit')
  }
})
