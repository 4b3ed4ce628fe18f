/**
 * The interactive paths, driven through a real pseudo-terminal with tmux: `leader transfer`
 * choosing a follower from the select list, `status --watch` redrawing in place until Ctrl-C,
 * and `kv delete --prefix ""`, `cluster destroy` and `recover` answering the confirm prompt (no,
 * then yes). Runs `bin/run.js`, so `npm run build` first. Skipped, with a message, when tmux is not
 * installed.
 */
import {after, afterEach, before, test} from 'node:test'
import assert from 'node:assert/strict'
import {execFileSync, spawnSync} from 'node:child_process'
import {existsSync, readFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {fileURLToPath} from 'node:url'
import {resetExitCode} from '../helpers.js'
import {alive, cleanup, eventually, raftctl, trackPid, useTempHome, startCluster} from './cluster-helpers.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const BIN = join(ROOT, 'bin', 'run.js')
const HAS_TMUX = spawnSync('tmux', ['-V']).status === 0
const SKIP = HAS_TMUX ? false : 'tmux is not installed (apt-get install -y tmux): interactive paths not tested'
/** A private tmux server for this file only. */
const SOCKET = `raftctl-test-${process.pid}`

let home = ''
let sessions = 0

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', SOCKET, ...args], {encoding: 'utf8'})
}

/** Start `raftctl ARGS` in a new 120x40 tmux session; its exit code lands in the returned file. */
function startInTerminal(args: string[]): {session: string; exitFile: string} {
  const session = `s${++sessions}`
  const exitFile = join(home, `${session}.exit`)
  const q = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`
  const command = `cd ${q(ROOT)} && env RAFTCTL_HOME=${q(home)} ${q(process.execPath)} ${q(BIN)} ${args.map(q).join(' ')}; echo $? > ${q(exitFile)}; sleep 120`
  tmux('new-session', '-d', '-s', session, '-x', '120', '-y', '40', command)
  return {session, exitFile}
}

function screen(session: string): string {
  return tmux('capture-pane', '-p', '-t', session)
}

async function waitForScreen(session: string, pattern: RegExp, timeoutMs = 15_000): Promise<string> {
  let last = ''
  try {
    return await eventually(async () => {
      last = screen(session)
      return pattern.test(last) ? last : null
    }, timeoutMs, `screen matching ${pattern}`)
  } catch (error) {
    throw new Error(`${(error as Error).message}; the screen was:\n${last}`)
  }
}

async function waitForExit(exitFile: string, timeoutMs = 20_000): Promise<number> {
  const text = await eventually(async () => (existsSync(exitFile) ? readFileSync(exitFile, 'utf8').trim() : null), timeoutMs, 'the command to exit')
  return Number(text)
}

before(async () => {
  if (!HAS_TMUX) return
  home = useTempHome()
  await startCluster('--cluster', 'tty')
})
after(async () => {
  if (!HAS_TMUX) return
  try {
    tmux('kill-server')
  } catch {
    // already gone
  }
  await cleanup(home)
})
afterEach(resetExitCode)

test('leader transfer on a terminal: choose the second follower from the select list', {skip: SKIP}, async () => {
  const before = (await raftctl('leader', '--json', '--cluster', 'tty')).json()
  const {session, exitFile} = startInTerminal(['leader', 'transfer', '--cluster', 'tty'])
  const shown = await waitForScreen(session, /Transfer leadership from n\d to[\s\S]*lag[\s\S]*lag/)
  assert.ok(shown.includes(`from ${before.leader} to`), shown)
  const choices = [...shown.matchAll(/(n\d) {2}lag \d+/g)].map((m) => m[1]!)
  assert.equal(choices.length, 2, shown)
  assert.ok(!choices.includes(before.leader))
  tmux('send-keys', '-t', session, 'Down')
  await sleep(200)
  tmux('send-keys', '-t', session, 'Enter')
  assert.equal(await waitForExit(exitFile), 0, screen(session))
  assert.match(screen(session), new RegExp(`Leadership transferred: ${before.leader} \\(term \\d+\\) → ${choices[1]} \\(term \\d+\\)`))
  assert.equal((await raftctl('leader', '--json', '--cluster', 'tty')).json().leader, choices[1])
})

test('status --watch on a terminal redraws in place; Ctrl-C exits 0', {skip: SKIP}, async () => {
  const {session, exitFile} = startInTerminal(['status', '--watch', '--interval', '200ms', '--cluster', 'tty'])
  await waitForScreen(session, /Ctrl-C to quit[\s\S]*│ n3 /)
  await sleep(1000) // several frames
  const frame = screen(session)
  assert.equal(frame.split('Ctrl-C to quit').length, 2, `one frame on screen (redrawn in place):\n${frame}`)
  assert.match(frame, /cluster tty: leader n\d/)
  tmux('send-keys', '-t', session, 'C-c')
  assert.equal(await waitForExit(exitFile), 0)
})

test('kv delete --prefix "" on a terminal: "n" deletes nothing (exit 1), "y" deletes every key (exit 0)', {skip: SKIP}, async () => {
  assert.equal((await raftctl('kv', 'put', 'doomed', 'v', '--cluster', 'tty')).exit, 0)
  const no = startInTerminal(['kv', 'delete', '--prefix', '', '--cluster', 'tty'])
  await waitForScreen(no.session, /Delete EVERY key of cluster "tty"\?/)
  tmux('send-keys', '-t', no.session, 'n', 'Enter')
  assert.equal(await waitForExit(no.exitFile), 1)
  assert.match(screen(no.session), /cancelled: nothing was deleted/)
  assert.equal((await raftctl('kv', 'get', 'doomed', '--json', '--cluster', 'tty')).json().value, 'v')

  const yes = startInTerminal(['kv', 'delete', '--prefix', '', '--cluster', 'tty'])
  await waitForScreen(yes.session, /Delete EVERY key of cluster "tty"\?/)
  tmux('send-keys', '-t', yes.session, 'y', 'Enter')
  assert.equal(await waitForExit(yes.exitFile), 0, screen(yes.session))
  assert.match(screen(yes.session), /deleted 1 key\b/)
  assert.equal((await raftctl('kv', 'get', 'doomed', '--json', '--cluster', 'tty')).json().value, null)
})

test('cluster destroy on a terminal: "n" keeps everything (exit 1), "y" destroys it (exit 0)', {skip: SKIP}, async () => {
  const st = (await raftctl('status', '--json', '--cluster', 'tty')).json()
  const pids: number[] = st.nodes.map((n: {pid: number}) => n.pid)
  const no = startInTerminal(['cluster', 'destroy', '--cluster', 'tty'])
  await waitForScreen(no.session, /Destroy cluster "tty"\?/)
  tmux('send-keys', '-t', no.session, 'n', 'Enter')
  assert.equal(await waitForExit(no.exitFile), 1)
  assert.match(screen(no.session), /cancelled: nothing was destroyed/)
  assert.ok(existsSync(join(home, 'tty', 'manifest.json')))
  assert.ok(pids.every(alive))

  const yes = startInTerminal(['cluster', 'destroy', '--cluster', 'tty'])
  await waitForScreen(yes.session, /Destroy cluster "tty"\? This kills 3 running nodes/)
  tmux('send-keys', '-t', yes.session, 'y', 'Enter')
  assert.equal(await waitForExit(yes.exitFile), 0, screen(yes.session))
  assert.match(screen(yes.session), /Destroyed cluster tty: killed 3 nodes/)
  assert.equal(existsSync(join(home, 'tty')), false)
  for (const pid of pids) assert.equal(alive(pid), false)
  rmSync(no.exitFile, {force: true})
})

test('recover on a terminal after losing two of three: the losses shown, "n" changes nothing (exit 1), "y" recovers (exit 0)', {skip: SKIP}, async () => {
  const start = await raftctl('cluster', 'start', '--json', '--cluster', 'rtty')
  assert.equal(start.exit, 0, start.stderr)
  for (const n of start.json().nodes) trackPid(n.pid)
  for (const id of ['n2', 'n3']) {
    assert.equal((await raftctl('node', 'kill', id, '--cluster', 'rtty')).exit, 0)
    rmSync(join(home, 'rtty', 'nodes', id), {recursive: true, force: true})
  }
  const manifest = readFileSync(join(home, 'rtty', 'manifest.json'), 'utf8')
  const no = startInTerminal(['recover', '--cluster', 'rtty'])
  const shown = await waitForScreen(no.session, /Recover cluster "rtty" from n1 alone, under a new cluster id\?/)
  assert.match(shown, /LOST: any write that only n2, n3 held/)
  tmux('send-keys', '-t', no.session, 'n', 'Enter')
  assert.equal(await waitForExit(no.exitFile), 1)
  assert.match(screen(no.session), /cancelled: nothing was changed/)
  assert.equal(readFileSync(join(home, 'rtty', 'manifest.json'), 'utf8'), manifest)

  const yes = startInTerminal(['recover', '--cluster', 'rtty'])
  await waitForScreen(yes.session, /Recover cluster "rtty" from n1 alone/)
  tmux('send-keys', '-t', yes.session, 'y', 'Enter')
  assert.equal(await waitForExit(yes.exitFile, 60_000), 0, screen(yes.session))
  assert.match(screen(yes.session), /Done: n1 leads a one-node cluster/)
  const st = (await raftctl('status', '--json', '--cluster', 'rtty')).json()
  assert.equal(st.leader, 'n1')
  for (const n of st.nodes) trackPid(n.pid)
})
