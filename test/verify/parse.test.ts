/**
 * The history parser: every bad line is a BAD_INPUT error naming its line number and problem;
 * harmless omissions are accepted; the writer's output parses back to the same operations.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {RaftctlError} from '../../src/common/errors.js'
import {formatHistory, formatHistoryLine, loadHistoryFile, parseHistory, parseHistoryLine, type HistoryOp} from '../../src/verify/history.js'
import {tempDir} from '../helpers.js'

const GOOD = '{"client": 1, "op": "put", "key": "k", "value": "v", "ok": true, "call": 1, "return": 2}'

/** Assert that parsing `text` fails with BAD_INPUT on `line` with a message matching `problem`. */
function assertBad(text: string, line: number, problem: RegExp): void {
  assert.throws(
    () => parseHistory(text),
    (err: unknown) => {
      assert.ok(err instanceof RaftctlError, `expected a RaftctlError, got ${String(err)}`)
      assert.equal(err.code, 'BAD_INPUT')
      assert.equal(err.exitCode, 2)
      assert.match(err.message, new RegExp(`^line ${line}: `))
      assert.match(err.message, problem)
      assert.equal(err.details?.['line'], line)
      return true
    },
  )
}

/** A history whose `line`th line is `bad` (other lines good). */
function withBadLine(bad: string, line = 3): string {
  const rows = [GOOD, GOOD, GOOD, GOOD]
  rows[line - 1] = bad
  return rows.join('\n')
}

const cases: Array<[string, string, RegExp]> = [
  ['not JSON', '{"client": 1,', /not valid JSON/],
  ['an array', '[1, 2]', /expected a JSON object/],
  ['null', 'null', /expected a JSON object/],
  ['unknown op', '{"client": 1, "op": "incr", "key": "k", "ok": true, "call": 1, "return": 2}', /"op" must be one of get, put, delete, cas, append, range, txn \(got "incr"\)/],
  ['bad ok', '{"client": 1, "op": "get", "key": "k", "output": null, "ok": "yes", "call": 1, "return": 2}', /"ok" must be true, false or "unknown"/],
  ['missing client', '{"op": "get", "key": "k", "output": null, "ok": true, "call": 1, "return": 2}', /"client" is missing/],
  ['fractional client', '{"client": 1.5, "op": "get", "key": "k", "output": null, "ok": true, "call": 1, "return": 2}', /"client" must be an integer/],
  ['numeric key', '{"client": 1, "op": "get", "key": 7, "output": null, "ok": true, "call": 1, "return": 2}', /"key" must be a string/],
  ['call as a string', '{"client": 1, "op": "get", "key": "k", "output": null, "ok": true, "call": "1", "return": 2}', /"call" must be an integer/],
  ['call beyond 2^53', '{"client": 1, "op": "get", "key": "k", "output": null, "ok": true, "call": 9007199254740993, "return": 9007199254740999}', /"call" must be an integer below 2\^53/],
  ['return before call', '{"client": 1, "op": "get", "key": "k", "output": null, "ok": true, "call": 5, "return": 4}', /"return" \(4\) is before "call" \(5\)/],
  ['completed without return', '{"client": 1, "op": "put", "key": "k", "value": "v", "ok": true, "call": 5}', /"return" is required when "ok" is true/],
  ['failed without return', '{"client": 1, "op": "cas", "key": "k", "value": "v", "expected": null, "ok": false, "call": 5}', /"return" is required when "ok" is false/],
  ['put without value', '{"client": 1, "op": "put", "key": "k", "ok": true, "call": 1, "return": 2}', /"value" is missing/],
  ['append with a numeric value', '{"client": 1, "op": "append", "key": "k", "value": 3, "ok": true, "call": 1, "return": 2}', /"value" must be a string \(got 3\)/],
  ['cas without expected', '{"client": 1, "op": "cas", "key": "k", "value": "v", "ok": true, "call": 1, "return": 2}', /a cas needs "expected"/],
  ['cas with a numeric expected', '{"client": 1, "op": "cas", "key": "k", "value": "v", "expected": 1, "ok": true, "call": 1, "return": 2}', /"expected" must be a string or null/],
  ['successful get without output', '{"client": 1, "op": "get", "key": "k", "ok": true, "call": 1, "return": 2}', /a successful get needs "output"/],
  ['get with a numeric output', '{"client": 1, "op": "get", "key": "k", "output": 4, "ok": true, "call": 1, "return": 2}', /"output" must be a string or null/],
  ['unknown with a non-integer return', '{"client": 1, "op": "put", "key": "k", "value": "v", "ok": "unknown", "call": 1, "return": "later"}', /"return" must be an integer/],
]

for (const [name, line, problem] of cases) {
  test(`bad input: ${name}`, () => assertBad(withBadLine(line), 3, problem))
}

test('line numbers count blank lines and CRLF endings', () => {
  assertBad(`${GOOD}\r\n\r\n   \r\n${GOOD}\r\n{oops}\r\n`, 5, /not valid JSON/)
  const {ops, lines} = parseHistory(`\n${GOOD}\r\n\n${GOOD}\n`)
  assert.equal(ops.length, 2)
  assert.deepEqual(lines, [2, 4])
})

test('a long bad value is shortened in the message', () => {
  const long = 'x'.repeat(500)
  assertBad(withBadLine(`{"client": 1, "op": "${long}", "key": "k", "ok": true, "call": 1, "return": 2}`, 1), 1, /got "x{30,40}\.\.\.\)$/)
})

test('liberal where harmless', () => {
  const text = [
    // a get with no value, a failed get with no output, extra fields
    '{"client": 1, "op": "get", "key": "k", "output": null, "ok": true, "call": 1, "return": 2, "note": "extra"}',
    '{"client": 1, "op": "get", "key": "k", "ok": false, "call": 3, "return": 4}',
    // unknown ops with no return, or with one (ignored for checking but kept)
    '{"client": 2, "op": "put", "key": "k", "value": "v", "ok": "unknown", "call": 5}',
    '{"client": 2, "op": "append", "key": "k", "value": "v", "ok": "unknown", "call": 6, "return": 9}',
    '{"client": 2, "op": "append", "key": "k", "value": "v", "ok": "unknown", "call": 6, "return": null}',
    // a delete with a stray null value, a cas expecting absence
    '{"client": 3, "op": "delete", "key": "k", "value": null, "ok": true, "call": 7, "return": 8}',
    '{"client": 3, "op": "cas", "key": "k", "value": "w", "expected": null, "ok": false, "call": 9, "return": 10}',
  ].join('\n')
  const {ops} = parseHistory(text)
  assert.equal(ops.length, 7)
  assert.equal(ops[0]!.output, null)
  assert.equal(ops[1]!.output, undefined)
  assert.equal(ops[2]!.return, undefined)
  assert.equal(ops[3]!.return, 9)
  assert.equal(ops[4]!.return, undefined)
  assert.equal(ops[6]!.expected, null)
  assert.equal('note' in ops[0]!, false)
})

test('"" is a value, null is absence', () => {
  const op = parseHistoryLine('{"client": 1, "op": "get", "key": "", "output": "", "ok": true, "call": 0, "return": 0}', 1)
  assert.equal(op.output, '')
  assert.equal(op.key, '')
})

test('formatHistoryLine round-trips through the parser', () => {
  const ops: HistoryOp[] = [
    {client: 0, op: 'get', key: 'a', output: null, ok: true, call: 1, return: 2},
    {client: 1, op: 'put', key: 'a', value: 'x', ok: false, call: 3, return: 4},
    {client: 2, op: 'cas', key: 'a', value: 'y', expected: null, ok: 'unknown', call: 5},
    {client: 3, op: 'append', key: 'b"q', value: '\n', ok: true, call: 6, return: 6},
    {client: 4, op: 'delete', key: 'b', ok: true, call: 7, return: 9},
  ]
  assert.deepEqual(parseHistory(formatHistory(ops)).ops, ops)
  assert.equal(formatHistoryLine(ops[2]!), '{"client":2,"op":"cas","key":"a","value":"y","expected":null,"ok":"unknown","call":5}')
})

test('loadHistoryFile names the file, and reports a missing one as BAD_INPUT', async () => {
  const dir = tempDir()
  try {
    const path = join(dir, 'bad.jsonl')
    writeFileSync(path, `${GOOD}\n{"client": 1}\n`)
    await assert.rejects(loadHistoryFile(path), (err: RaftctlError) => err.code === 'BAD_INPUT' && err.message === `${path}: line 2: "op" must be one of get, put, delete, cas, append, range, txn (got nothing)`)
    await assert.rejects(loadHistoryFile(join(dir, 'missing.jsonl')), (err: RaftctlError) => err.code === 'BAD_INPUT' && /no such file/.test(err.message))
    await assert.rejects(loadHistoryFile(dir), (err: RaftctlError) => err.code === 'BAD_INPUT' && /directory/.test(err.message))
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
})
