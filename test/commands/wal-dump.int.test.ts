/**
 * `raftctl wal dump` run as a user runs it (bin/run.js → dist: run `npm run build` first): a
 * store written through FileStorage with KV commands, listed with decoded commands (human and
 * one JSON document); --from/--to; a torn tail (exit 0) and a flipped byte (exit 1) named with
 * file and offset; a running node refused (NODE_RUNNING) by id and by path, read with --force,
 * and read once stopped. Every dump leaves the files exactly as they were.
 */
import {after, before, describe, it} from 'node:test'
import assert from 'node:assert/strict'
import {spawn, spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {cpSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {FileStorage} from '../../src/storage/index.js'
import {encodeCommand} from '../../src/kv/index.js'
import {encodeConfChange} from '../../src/raft/index.js'
import {tempDir} from '../helpers.js'
import {cleanup, trackPid} from './cluster-helpers.js'

const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))
const COMMAND_TIMEOUT_MS = 120_000

let home = ''
let work = ''

interface Run {
  readonly exit: number | null
  readonly stdout: string
  readonly stderr: string
}

function raftctl(...args: string[]): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], {env: {...process.env, RAFTCTL_HOME: home, RAFTCTL_CLUSTER: ''}, encoding: 'utf8', timeout: COMMAND_TIMEOUT_MS})
  return {exit: r.status, stdout: r.stdout, stderr: r.stderr}
}

function json(r: Run): any { // eslint-disable-line @typescript-eslint/no-explicit-any
  try {
    return JSON.parse(r.stdout)
  } catch {
    throw new Error(`stdout is not one JSON document:\n${r.stdout}\nstderr:\n${r.stderr}`)
  }
}

/** Name, size, mtime and sha256 of every file under `dir`. */
function fingerprint(dir: string): string[] {
  return readdirSync(dir, {recursive: true, encoding: 'utf8'}).sort().map((name) => {
    const path = join(dir, name)
    const st = statSync(path)
    return st.isDirectory() ? `${name}/ ${st.mtimeMs}` : `${name} ${st.size} ${st.mtimeMs} ${createHash('sha256').update(readFileSync(path)).digest('hex')}`
  })
}

/** A node data directory (`<dir>/raft`): a config entry, the no-op, six session puts, a cas without session. */
function writeNodeDir(dir: string): void {
  const s = new FileStorage({dir: join(dir, 'raft'), preallocateBytes: 0})
  s.load()
  s.save({entries: [{index: 1, term: 1, type: 'config', data: encodeConfChange({type: 'addVoter', node: 'n1', address: 'ws://127.0.0.1:7001'})}], hardState: {term: 1, vote: 'n1', commit: 0}})
  s.save({entries: [{index: 2, term: 1, type: 'normal', data: new Uint8Array()}], hardState: {term: 1, vote: 'n1', commit: 1}})
  for (let i = 3; i <= 8; i++) {
    const data = encodeCommand({op: 'put', key: `k${i}`, value: 'v'.repeat(i), session: {clientId: 'c1', seq: i - 2}})
    s.save({entries: [{index: i, term: 1, type: 'normal', data}], hardState: {term: 1, vote: 'n1', commit: i - 1}})
  }
  s.save({entries: [{index: 9, term: 2, type: 'normal', data: encodeCommand({op: 'cas', key: 'k3', expected: null, value: 'x'})}], hardState: {term: 2, vote: 'n1', commit: 9}})
  s.close()
}

function segmentOf(dir: string): string {
  const wal = join(dir, 'raft', 'wal')
  return join(wal, readdirSync(wal)[0])
}

function copyOf(dir: string, name: string): string {
  const to = join(work, name)
  cpSync(dir, to, {recursive: true})
  return to
}

before(() => {
  home = tempDir('raftctl-waldump-home-')
  work = tempDir('raftctl-waldump-')
  writeNodeDir(join(work, 'clean'))
})
after(async () => {
  await cleanup(home)
  rmSync(work, {recursive: true, force: true})
})

describe('wal dump DIR', () => {
  it('lists the hard state and each entry with its decoded command, exit 0, and changes no file', () => {
    const dir = join(work, 'clean')
    const before = fingerprint(dir)
    const r = raftctl('wal', 'dump', dir)
    assert.equal(r.exit, 0, r.stderr)
    assert.deepEqual(fingerprint(dir), before)
    assert.match(r.stdout, /hard state: term 2, vote n1, commit 9/)
    assert.match(r.stdout, /^ +1 +1 +config +addVoter n1 at ws:\/\/127\.0\.0\.1:7001$/m)
    assert.match(r.stdout, /^ +2 +1 +noop$/m)
    assert.match(r.stdout, /^ +5 +1 +normal +put +"k5" +value 5 B +session "c1"#3$/m)
    assert.match(r.stdout, /^ +9 +2 +normal +cas +"k3" +expected absent +value 1 B$/m)
    assert.match(r.stdout, /verdict: clean/)
  })

  it('--json: one document with hardState, entries (decoded), problems and clean', () => {
    const dir = join(work, 'clean')
    const before = fingerprint(dir)
    const r = raftctl('wal', 'dump', dir, '--json')
    assert.equal(r.exit, 0, r.stderr)
    assert.deepEqual(fingerprint(dir), before)
    const doc = json(r)
    assert.equal(doc.dir, join(dir, 'raft'))
    assert.deepEqual(doc.hardState, {term: 2, vote: 'n1', commit: 9})
    assert.deepEqual(doc.snapshots, [])
    assert.deepEqual(doc.problems, [])
    assert.equal(doc.clean, true)
    assert.deepEqual(doc.entries.map((e: {index: number; type: string}) => `${e.index}:${e.type}`), ['1:config', '2:noop', '3:normal', '4:normal', '5:normal', '6:normal', '7:normal', '8:normal', '9:normal'])
    assert.deepEqual(doc.entries[0].change, {type: 'addVoter', node: 'n1', address: 'ws://127.0.0.1:7001'})
    assert.deepEqual(doc.entries[3].command, {op: 'put', key: 'k4', valueBytes: 4, session: {clientId: 'c1', seq: 2}})
    assert.equal(doc.entries[3].file, segmentOf(dir))
    assert.equal(typeof doc.entries[3].offset, 'number')
  })

  it('--from/--to select entries by index; --from after --to is bad usage', () => {
    const doc = json(raftctl('wal', 'dump', join(work, 'clean'), '--from', '3', '--to', '4', '--json'))
    assert.deepEqual(doc.entries.map((e: {index: number}) => e.index), [3, 4])
    assert.equal(doc.entryCount, 9)
    const human = raftctl('wal', 'dump', join(work, 'clean'), '--from', '8')
    assert.deepEqual(human.stdout.split('\n').filter((l) => /^ +\d+ +\d+ /.test(l)).map((l) => Number(l.trim().split(/ +/)[0])), [8, 9])
    const bad = raftctl('wal', 'dump', join(work, 'clean'), '--from', '5', '--to', '4')
    assert.equal(bad.exit, 2)
  })

  it('a torn tail: exit 0, named as torn with its file and offset', () => {
    const dir = copyOf(join(work, 'clean'), 'torn')
    const seg = segmentOf(dir)
    truncateSync(seg, statSync(seg).size - 5) // the last record (the STATE of entry 9's batch) loses its end
    const before = fingerprint(dir)
    const r = raftctl('wal', 'dump', dir, '--json')
    assert.equal(r.exit, 0, r.stderr)
    assert.deepEqual(fingerprint(dir), before)
    const doc = json(r)
    const entry9 = json(raftctl('wal', 'dump', join(work, 'clean'), '--from', '9', '--json')).entries[0]
    assert.deepEqual(doc.problems.map((p: {kind: string; file: string; offset: number}) => [p.kind, p.file, p.offset]), [['torn', seg, entry9.offset]], 'the torn batch starts at entry 9')
    assert.equal(doc.clean, false)
    assert.equal(doc.entries.at(-1).index, 8, 'the torn batch is not part of the log')
    const human = raftctl('wal', 'dump', dir)
    assert.equal(human.exit, 0)
    assert.ok(human.stdout.includes(`torn     ${seg} at byte offset ${entry9.offset}: torn tail`), human.stdout)
  })

  it('a flipped byte in a middle record: exit 1, named as corrupt with its file and offset; the document is still one document', () => {
    const dir = copyOf(join(work, 'clean'), 'flipped')
    const seg = segmentOf(dir)
    const entry5 = json(raftctl('wal', 'dump', dir, '--from', '5', '--to', '5', '--json')).entries[0]
    const buf = readFileSync(seg)
    buf[entry5.offset + 30] ^= 0x01 // a byte of the KV command inside entry 5's record
    writeFileSync(seg, buf)
    const before = fingerprint(dir)
    const r = raftctl('wal', 'dump', dir, '--json')
    assert.equal(r.exit, 1)
    assert.deepEqual(fingerprint(dir), before)
    const doc = json(r)
    assert.equal(doc.corrupt, true)
    assert.deepEqual([doc.problems[0].kind, doc.problems[0].file, doc.problems[0].offset], ['corrupt', seg, entry5.offset])
    assert.match(doc.problems[0].message, /checksum mismatch/)
    assert.deepEqual(doc.entries.map((e: {index: number}) => e.index), [1, 2, 3, 4, 6, 7, 8, 9])
    const human = raftctl('wal', 'dump', dir)
    assert.equal(human.exit, 1)
    assert.ok(human.stdout.includes(`corrupt  ${seg} at byte offset ${entry5.offset}: checksum mismatch`), human.stdout)
    assert.match(human.stderr, /Error \[CORRUPT\]/)
  })

  it('a big log streams; a reader that stops early (| head) ends the command quietly, exit 0', async () => {
    const dir = join(work, 'big')
    const s = new FileStorage({dir: join(dir, 'raft'), syncMode: 'none'})
    s.load()
    for (let i = 1; i <= 5000; i++) s.save({entries: [{index: i, term: 1, type: 'normal', data: encodeCommand({op: 'put', key: `key-${i}`, value: 'v', session: {clientId: 'c1', seq: i}})}]})
    s.close()
    const child = spawn(process.execPath, [BIN, 'wal', 'dump', dir], {env: {...process.env, RAFTCTL_HOME: home}, stdio: ['ignore', 'pipe', 'pipe']})
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    const firstChunk = await new Promise<string>((resolve) => child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString())))
    child.stdout.destroy() // as `| head` does: the reader goes away with most of the output unread
    const exit = await new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)))
    assert.match(firstChunk, /^storage: /)
    assert.equal(stderr, '')
    assert.equal(exit, 0)
  })

  it('a folder without a WAL is NOT_FOUND', () => {
    const r = raftctl('wal', 'dump', work, '--json')
    assert.equal(r.exit, 1)
    assert.equal(json(r).error.code, 'NOT_FOUND')
  })
})

describe('wal dump NODE (a local cluster)', () => {
  it('refuses a running node by id and by path (NODE_RUNNING), reads it with --force, and reads it once stopped', () => {
    const start = raftctl('cluster', 'start', '--nodes', '1', '--cluster', 'wd', '--json')
    assert.equal(start.exit, 0, start.stderr)
    for (const n of json(start).nodes) trackPid(n.pid)
    const put = raftctl('kv', 'put', 'dumped-key', 'hello', '--cluster', 'wd')
    assert.equal(put.exit, 0, put.stderr)

    const byId = raftctl('wal', 'dump', 'n1', '--cluster', 'wd')
    assert.equal(byId.exit, 1)
    assert.match(byId.stderr, /NODE_RUNNING.*n1.*running.*--force/)
    const dataDir = join(home, 'wd', 'nodes', 'n1')
    const byPath = raftctl('wal', 'dump', dataDir, '--json')
    assert.equal(byPath.exit, 1)
    assert.equal(json(byPath).error.code, 'NODE_RUNNING')
    const forced = raftctl('wal', 'dump', 'n1', '--cluster', 'wd', '--force', '--json')
    assert.equal(forced.exit, 0, forced.stderr)
    assert.ok(json(forced).entries.some((e: {command?: {key: string}}) => e.command?.key === 'dumped-key'))

    const stop = raftctl('cluster', 'stop', '--cluster', 'wd')
    assert.equal(stop.exit, 0, stop.stderr)
    const before = fingerprint(dataDir)
    const r = raftctl('wal', 'dump', 'n1', '--cluster', 'wd', '--json')
    assert.equal(r.exit, 0, r.stderr)
    assert.deepEqual(fingerprint(dataDir), before)
    const doc = json(r)
    assert.equal(doc.dir, join(dataDir, 'raft'))
    assert.ok(doc.hardState.term >= 1)
    const puts = doc.entries.filter((e: {command?: {key: string}}) => e.command?.key === 'dumped-key')
    assert.equal(puts.length, 1)
    assert.deepEqual({op: puts[0].command.op, valueBytes: puts[0].command.valueBytes, hasSession: typeof puts[0].command.session?.clientId === 'string'}, {op: 'put', valueBytes: 5, hasSession: true})
    assert.ok(doc.entries.some((e: {type: string}) => e.type === 'config'), 'the bootstrap membership is in the log')
    assert.ok(doc.entries.some((e: {type: string}) => e.type === 'noop'), "the leader's no-op is in the log")
    assert.ok(doc.problems.every((p: {kind: string}) => p.kind !== 'corrupt'), JSON.stringify(doc.problems))
  })
})
