/**
 * The write critical path (src/bench/critical-path.ts) from synthetic traces with known stage
 * times, and the latency trace marks (src/trace/latency.ts): written at exit only when
 * RAFTCTL_LATENCY_TRACE is set.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {criticalPath, parseTrace, type ProcessTrace, type TraceMark} from '../../src/bench/critical-path.js'

const m = (label: string, us: number, size = 0): TraceMark => ({label, size, us})

/**
 * Writes every 1000 µs. Write k: request at +50, appends out at +60 (to F1) and +70 (to F2), F1
 * receives at +100, syncs +110..+300, acks at +310; F2 receives at +120, syncs +130..+400 (+k,
 * so it is never the fastest), acks at +410; the leader hears F1 at +350 and F2 at +450, answers
 * at +360 (after one ack) or, on odd writes, at +460 (after both); the client hears at +400 or +500.
 * Commit notices (small frames) go out after the answer and must not be taken for appends.
 */
function synthetic(writes: number): ProcessTrace[] {
  const c: TraceMark[] = []
  const l: TraceMark[] = []
  const f1: TraceMark[] = []
  const f2: TraceMark[] = []
  for (let k = 0; k < writes; k++) {
    const t = k * 1000
    const late = k % 2 === 1 ? 100 : 0
    c.push(m('client.send', t), m('client.recv', t + 400 + late))
    l.push(m('server.request', t + 50), m('peer.send', t + 60, 230), m('peer.send', t + 70, 230), m('disk.async.start', t + 80))
    f1.push(m('peer.recv', t + 100, 230), m('disk.sync.start', t + 110), m('disk.sync.end', t + 300), m('peer.send', t + 310, 50))
    f2.push(m('peer.recv', t + 120, 230), m('disk.sync.start', t + 130), m('disk.sync.end', t + 400 + (k % 7)), m('peer.send', t + 410 + (k % 7), 50))
    l.push(m('peer.recv', t + 350, 50), m('disk.async.end', t + 380))
    if (late === 0) l.push(m('server.answer', t + 360), m('peer.recv', t + 450 + (k % 7), 50))
    else l.push(m('peer.recv', t + 450 + (k % 7), 50), m('server.answer', t + 460))
    l.push(m('peer.send', t + 470, 53), m('peer.send', t + 480, 53))
    f1.push(m('peer.recv', t + 520, 53), m('peer.send', t + 530, 50))
  }
  const sorted = (marks: TraceMark[]): TraceMark[] => marks.sort((a, b) => a.us - b.us)
  return [{pid: 'L', marks: sorted(l)}, {pid: 'F1', marks: sorted(f1)}, {pid: 'C', marks: sorted(c)}, {pid: 'F2', marks: sorted(f2)}]
}

test('stages of the write path are measured from the fastest follower, roles found from the marks', () => {
  const path = criticalPath(synthetic(101), {entryFrameBytes: 100, skipFraction: 0})
  assert.deepEqual(path.roles, {client: 'C', leader: 'L', followers: ['F1', 'F2']})
  assert.equal(path.writes, 100, 'every write but the last (its window has no end)')
  const median = Object.fromEntries(path.stages.map((s) => [s.stage, s.medianUs]))
  assert.equal(median['client → leader (request received)'], 50)
  assert.equal(median['leader: request → first append sent'], 10)
  assert.equal(median['append → fastest follower (received)'], 40)
  assert.equal(median['follower: received → fdatasync starts'], 10)
  assert.equal(median['follower: fdatasync'], 190)
  assert.equal(median['follower: fdatasync → acknowledgement sent'], 10)
  assert.equal(median['acknowledgement → leader (received)'], 40)
  assert.equal(median['leader: own fdatasync (in the thread pool)'], 300)
  assert.equal(path.answeredAfterBothAcks, 0.5)
  const answer = path.stages.find((s) => s.stage === 'leader: acknowledgement → answer')!
  assert.equal(answer.medianUs, 110, 'nearest rank: half the writes waited for the second acknowledgement')
  assert.equal(answer.p90Us, 110)
  assert.equal(path.stages.find((s) => s.stage.startsWith('total'))!.p90Us, 500)
})

test('the warm-up share of writes is left out', () => {
  assert.equal(criticalPath(synthetic(101), {entryFrameBytes: 100}).writes, 90)
})

test('traces without a client or a leader are refused', () => {
  const [leader, f1] = synthetic(3)
  assert.throws(() => criticalPath([leader!, f1!], {entryFrameBytes: 100}), /no client/)
})

test('parseTrace reads label, size and nanoseconds, and skips the dropped count', () => {
  const t = parseTrace('7', 'peer.send 230 1500000\nclient.send 0 2000999\ndropped 4 0\n')
  assert.deepEqual(t.marks, [m('peer.send', 1500, 230), m('client.send', 2000)])
})

const MARKING = "import {mark, tracing} from './src/trace/latency.ts'; if (tracing) mark('peer.send', 42); mark('client.send'); console.log(tracing)"

test('marks are written to RAFTCTL_LATENCY_TRACE/<pid>.trace at exit, and nothing without it', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'raftctl-trace-test-'))
  t.after(() => rmSync(dir, {recursive: true, force: true}))
  const on = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', MARKING], {env: {...process.env, RAFTCTL_LATENCY_TRACE: dir}, encoding: 'utf8'})
  assert.equal(on.status, 0, on.stderr)
  assert.equal(on.stdout.trim(), 'true')
  const files = readdirSync(dir)
  assert.equal(files.length, 1)
  const trace = parseTrace('x', readFileSync(join(dir, files[0]!), 'utf8'))
  assert.deepEqual(trace.marks.map((x) => [x.label, x.size]), [['peer.send', 42], ['client.send', 0]])
  const env = {...process.env}
  delete env.RAFTCTL_LATENCY_TRACE
  const off = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', MARKING], {env, encoding: 'utf8'})
  assert.equal(off.status, 0, off.stderr)
  assert.equal(off.stdout.trim(), 'false')
})
