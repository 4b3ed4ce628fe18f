/**
 * raftctl as a shell runs it: `bin/run.js` in a real process, stdout and stderr pipes, no TTY
 * (run `npm run build` first). A `--json` document over 1 MB arrives whole through a slow pipe
 * with exit 1, a reader that closes early is no crash, and usage errors (typos, extra
 * arguments) exit 2 with a suggestion on stderr.
 */
import {after, before, test} from 'node:test'
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {tempDir} from '../helpers.js'
import {formatHistory, type HistoryOp} from '../../src/verify/history.js'

const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))
/** Sequential puts of one key: their check --json lists every op twice (ops and linearized). */
const PUTS = 3000

let dir = ''

before(() => {
  dir = tempDir('raftctl-process-')
  writeFileSync(join(dir, 'big.jsonl'), formatHistory(bigViolation()))
})
after(() => rmSync(dir, {recursive: true, force: true}))

/** PUTS sequential puts, then a get of a value never written: not linearizable at the very end. */
function bigViolation(): HistoryOp[] {
  const ops: HistoryOp[] = Array.from({length: PUTS}, (_, i) => ({client: i % 5, op: 'put', key: 'k', value: `v${i}`, ok: true, call: 2 * i, return: 2 * i + 1}))
  return [...ops, {client: 0, op: 'get', key: 'k', output: 'never-written', ok: true, call: 2 * PUTS, return: 2 * PUTS + 1}]
}

interface Finished {
  readonly stdout: Buffer
  readonly stderr: string
  readonly exit: number | null
}

/** Run `sh -c SCRIPT` with $RAFTCTL set to `node bin/run.js`; stdin and stdout are pipes. */
function sh(script: string): Promise<Finished> {
  const child = spawn('sh', ['-c', script], {
    env: {...process.env, RAFTCTL: `"${process.execPath}" "${BIN}"`, RAFTCTL_HOME: dir, NO_COLOR: '1'},
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  child.stdin.end()
  const out: Buffer[] = []
  let err = ''
  child.stdout.on('data', (d: Buffer) => out.push(d))
  child.stderr.on('data', (d: Buffer) => (err += d.toString()))
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => resolve({stdout: Buffer.concat(out), stderr: err, exit: code}))
  })
}

/** Run raftctl ARGS directly (stdin, stdout and stderr are pipes: no TTY). */
function raftctlProcess(...args: string[]): Promise<Finished> {
  const quoted = args.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ')
  return sh(`eval "$RAFTCTL" ${quoted}`)
}

test('check --json over 1 MB through a slow pipe arrives whole, then exit 1', async () => {
  const exitFile = join(dir, 'slow.exit')
  // A real pipe (not a socket pair) to a reader that starts reading only after a second.
  const r = await sh(`{ eval "$RAFTCTL" check "$RAFTCTL_HOME/big.jsonl" --json; echo $? > "${exitFile}"; } | { sleep 1; cat; }`)
  assert.equal(r.exit, 0, r.stderr)
  assert.equal(readFileSync(exitFile, 'utf8').trim(), '1', 'exit 1: not linearizable')
  assert.ok(r.stdout.length > 1_000_000, `a document over 1 MB (got ${r.stdout.length} bytes)`)
  const text = r.stdout.toString('utf8')
  const doc = JSON.parse(text)
  assert.equal(doc.valid, false)
  assert.equal(doc.ops, PUTS + 1)
  assert.equal(doc.counterexample.ops.length, PUTS + 1)
  assert.equal(Buffer.byteLength(`${JSON.stringify(doc, null, 2)}\n`), r.stdout.length, 'every byte of the document, nothing else')
  assert.equal(r.stderr, '')
})

test('check --json piped into a reader that closes early (head -c 10): exit 1, no crash on stderr', async () => {
  const exitFile = join(dir, 'head.exit')
  const r = await sh(`{ eval "$RAFTCTL" check "$RAFTCTL_HOME/big.jsonl" --json; echo $? > "${exitFile}"; } | head -c 10`)
  assert.equal(r.stdout.toString(), '{\n  "valid')
  assert.equal(readFileSync(exitFile, 'utf8').trim(), '1')
  assert.doesNotMatch(r.stderr, /EPIPE|Error|\n\s+at /, r.stderr)
})
