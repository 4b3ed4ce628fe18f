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
function sh(script: string, env: Record<string, string> = {}): Promise<Finished> {
  const child = spawn('sh', ['-c', script], {
    env: {...process.env, RAFTCTL: `"${process.execPath}" "${BIN}"`, RAFTCTL_HOME: dir, NO_COLOR: '1', ...env},
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

// ---------------------------------------------------------------------------------------------
// Usage errors without a TTY: exit 2, a clear message and a suggestion on stderr

const EXTRA_ARGUMENTS: Array<{args: string[]; command: string; extra: string}> = [
  {args: ['status', 'n1'], command: 'status', extra: 'n1'},
  {args: ['leader', 'n1'], command: 'leader', extra: 'n1'},
  {args: ['chaos', 'delay', 'n1', '--ms', '100'], command: 'chaos delay', extra: 'n1'},
  {args: ['node', 'start', 'n1', 'n2'], command: 'node start', extra: 'n2'},
]

for (const {args, command, extra} of EXTRA_ARGUMENTS) {
  test(`raftctl ${args.join(' ')}: exit 2, "unexpected argument ${extra} for \`raftctl ${command}\`"`, async () => {
    const r = await raftctlProcess(...args)
    assert.equal(r.exit, 2, r.stderr)
    assert.equal(r.stdout.length, 0)
    assert.equal(r.stderr, `Error [BAD_USAGE]: unexpected argument ${extra} for \`raftctl ${command}\`; see raftctl ${command} --help\n`)
  })
}

test('a typo without a TTY: exit 2 and "Did you mean" with the rest of the line', async () => {
  const stauts = await raftctlProcess('stauts')
  assert.equal(stauts.exit, 2, stauts.stderr)
  assert.match(stauts.stderr, /^Error \[BAD_USAGE\]: `raftctl stauts` is not a raftctl command; see raftctl --help\n/)
  assert.match(stauts.stderr, /Did you mean `raftctl status`\?/)
  const kv = await raftctlProcess('kv', 'gt', 'greeting', '--json')
  assert.equal(kv.exit, 2, kv.stderr)
  assert.deepEqual(JSON.parse(kv.stdout.toString()), {error: {
    code: 'BAD_USAGE',
    message: '`raftctl kv gt greeting` is not a raftctl command; see raftctl kv --help',
    suggestion: 'raftctl kv get greeting --json',
  }})
  const transfer = await raftctlProcess('leader', 'transfr', 'n2')
  assert.equal(transfer.exit, 2)
  assert.match(transfer.stderr, /unexpected arguments transfr n2 for `raftctl leader`.*\nDid you mean `raftctl leader transfer n2`\?/)
})

test('an optional argument is never read from piped stdin (a script loop feeding other commands keeps its input)', async () => {
  // oclif fills a missing optional argument from piped stdin unless told not to: `echo a | raftctl
  // kv get` read "a" as the KEY, and `echo n2 | raftctl leader transfer` took n2 as the target.
  for (const command of ['kv get', 'kv delete']) {
    const r = await sh(`echo a | eval "$RAFTCTL" ${command}`)
    assert.equal(r.exit, 2, `${command}: ${r.stderr}`)
    assert.match(r.stderr, /^Error \[BAD_USAGE\]: give (a KEY|either KEY)/, command)
  }
})

test('--help and autocomplete still work', async () => {
  const help = await raftctlProcess('status', '--help')
  assert.equal(help.exit, 0, help.stderr)
  assert.match(help.stdout.toString(), /USAGE\n {2}\$ raftctl status/)
  const topic = await raftctlProcess('leader', '--help')
  assert.equal(topic.exit, 0, topic.stderr)
  assert.match(topic.stdout.toString(), /leader transfer/)
  const cache = join(dir, 'cache')
  const r = await sh('eval "$RAFTCTL" autocomplete --refresh-cache', {XDG_CACHE_HOME: cache})
  assert.equal(r.exit, 0, r.stderr)
  assert.match(readFileSync(join(cache, 'raftctl', 'autocomplete', 'functions', 'bash', 'raftctl.bash'), 'utf8'), /leader:transfer/)
})
