/**
 * WAL rotation and compaction on real temp directories: segments roll at `segmentBytes`,
 * segments wholly below the durable snapshot are deleted (a crash in the middle of deleting them
 * loses nothing), start-up reads only the segments the snapshot does not cover, and `wal dump`
 * reads a store of several segments.
 */
import assert from 'node:assert/strict'
import {readdirSync, statSync, writeFileSync} from 'node:fs'
import {basename, join} from 'node:path'
import {describe, it} from 'node:test'
import {dumpStorage} from '../../src/storage/dump.js'
import {FileStorage} from '../../src/storage/file-storage.js'
import {nodeFs, type FsOps} from '../../src/storage/fs-ops.js'
import {SEGMENT_HEADER_BYTES} from '../../src/storage/record.js'
import {segmentsBelowSnapshot} from '../../src/storage/wal.js'
import {entry, FaultFs, ids, recordingLogger, snapshot, tempDir} from './helpers.js'

const SEGMENT_BYTES = 300

/** Segment names (first entry index) in the store's wal/ folder, in order. */
function segmentNames(dir: string): number[] {
  return readdirSync(join(dir, 'wal')).map((f) => parseInt(f, 16)).sort((a, b) => a - b)
}

/** A store with entries 1..`last` (term 1), one save each, in small segments; returns it open. */
function build(dir: string, last: number, fs: FsOps = nodeFs): FileStorage {
  const s = new FileStorage({dir, segmentBytes: SEGMENT_BYTES, preallocateBytes: 0, fs})
  s.load()
  for (let i = 1; i <= last; i++) s.save({entries: [entry(i, 1)], hardState: {term: 1, vote: 'n1', commit: i}})
  return s
}

/** node:fs that records the paths of the files read whole (recovery reads segments with readFileSync). */
function readRecorder(): {fs: FsOps; read: string[]} {
  const read: string[] = []
  return {read, fs: {...nodeFs, readFileSync: (path) => (read.push(path), nodeFs.readFileSync(path))}}
}

/** Reopen `dir`: the recovered state, the segment files read, and the figures of its 'storage opened' line. */
function reopen(dir: string): {state: ReturnType<FileStorage['load']>; segmentsRead: number[]; opened: Record<string, unknown>} {
  const {fs, read} = readRecorder()
  const log = recordingLogger()
  const s = new FileStorage({dir, segmentBytes: SEGMENT_BYTES, preallocateBytes: 0, fs, logger: log.log})
  const state = s.load()
  s.close()
  const segmentsRead = read.filter((p) => p.endsWith('.log')).map((p) => parseInt(basename(p), 16)).sort((a, b) => a - b)
  return {state, segmentsRead, opened: log.lines.find((l) => l.msg === 'storage opened')!.fields!}
}

describe('WAL rotation and compaction', () => {
  it('rolls to a new segment once the active one holds segmentBytes, at a batch boundary, named by its first entry', (t) => {
    const dir = tempDir(t)
    build(dir, 40).close()
    const names = segmentNames(dir)
    assert.ok(names.length >= 4, `several segments: ${names.join(',')}`)
    assert.equal(names[0], 1)
    const oneBatch = 8 + 8 + 17 + 'e40t1'.length + 8 + 8 + 18 + 2 // entry record + STATE record, generous
    names.forEach((name, k) => {
      const size = statSync(join(dir, 'wal', name.toString(16).padStart(16, '0') + '.log')).size
      if (k < names.length - 1) {
        assert.ok(size >= SEGMENT_BYTES, `segment ${name} rolled at ${size} bytes, not before ${SEGMENT_BYTES}`)
        assert.ok(size < SEGMENT_BYTES + oneBatch, `segment ${name} rolled at the first batch past ${SEGMENT_BYTES} (${size} bytes)`)
      } else assert.ok(size > SEGMENT_HEADER_BYTES)
    })
    // Each segment starts with the entry its name says: the recovered log runs 1..40 with no gap.
    assert.deepEqual(ids(reopen(dir).state.entries), Array.from({length: 40}, (_, k) => `${k + 1}@1`))
  })

  it('segmentsBelowSnapshot counts the leading segments whose successor starts at or below the snapshot index, never the last', () => {
    const segs = [1, 10, 20, 30].map((name) => ({name}))
    assert.equal(segmentsBelowSnapshot(segs, 0), 0)
    assert.equal(segmentsBelowSnapshot(segs, 9), 0, 'entry 9 lives in segment 1')
    assert.equal(segmentsBelowSnapshot(segs, 10), 1, 'segment 1 ends at entry 9')
    assert.equal(segmentsBelowSnapshot(segs, 29), 2)
    assert.equal(segmentsBelowSnapshot(segs, 1000), 3, 'the active segment stays')
    assert.equal(segmentsBelowSnapshot([], 5), 0)
  })

  it('a snapshot deletes the segments wholly below it; the one holding its entry and those after stay', (t) => {
    const dir = tempDir(t)
    const s = build(dir, 60)
    const before = segmentNames(dir)
    s.saveSnapshot(snapshot(45, 1), 45)
    s.close()
    const after = segmentNames(dir)
    const holding45 = before.filter((n) => n <= 45).at(-1)!
    assert.deepEqual(after, before.filter((n) => n >= holding45))
    const {state} = reopen(dir)
    assert.deepEqual(ids(state.entries), Array.from({length: 15}, (_, k) => `${k + 46}@1`))
    assert.deepEqual(state.hardState, {term: 1, vote: 'n1', commit: 60})
  })

  it('a crash at any point while deleting old segments loses nothing, and the next start finishes the deletion', (t) => {
    const probe = tempDir(t)
    build(probe, 60).close()
    const deletable = segmentsBelowSnapshot(segmentNames(probe).map((name) => ({name})), 45)
    assert.ok(deletable >= 3, `several segments to delete (${deletable})`)
    for (let crashAfter = 0; crashAfter < deletable; crashAfter++) {
      const dir = tempDir(t)
      const fs = new FaultFs()
      const s = build(dir, 60, fs)
      const names = segmentNames(dir)
      // The process dies at the (crashAfter+1)-th unlink: no later file-system call happens.
      fs.failOn('unlink', 'EIO', {skip: crashAfter})
      s.saveSnapshot(snapshot(45, 1), 45)
      assert.deepEqual(segmentNames(dir), names.slice(crashAfter), `crash after ${crashAfter} deletions leaves the newer segments`)
      const {state, segmentsRead} = reopen(dir)
      assert.deepEqual(ids(state.entries), Array.from({length: 15}, (_, k) => `${k + 46}@1`), `crash after ${crashAfter}`)
      assert.deepEqual(state.hardState, {term: 1, vote: 'n1', commit: 60})
      assert.equal(state.snapshot?.meta.index, 45)
      assert.deepEqual(segmentsRead, names.slice(deletable), 'the leftover segments below the snapshot are not read')
      assert.deepEqual(segmentNames(dir), names.slice(deletable), 'and start-up deletes them')
      assert.deepEqual(ids(reopen(dir).state.entries), ids(state.entries), 'a second start agrees')
    }
  })

  it('with cleanupInBackground, saveSnapshot leaves the deletion to the thread pool: a crash before it loses nothing, and once it ran the old segments are gone', async (t) => {
    for (const crash of [true, false]) {
      const dir = tempDir(t)
      const held: (() => void)[] = []
      const fs: FsOps = {...nodeFs, unlink: (path, cb) => void held.push(() => nodeFs.unlink!(path, cb))}
      const s = new FileStorage({dir, segmentBytes: SEGMENT_BYTES, preallocateBytes: 0, fs, cleanupInBackground: true})
      s.load()
      for (let i = 1; i <= 60; i++) s.save({entries: [entry(i, 1)], hardState: {term: 1, vote: 'n1', commit: i}})
      const names = segmentNames(dir)
      s.saveSnapshot(snapshot(45, 1), 45)
      assert.deepEqual(segmentNames(dir), names, 'nothing deleted before saveSnapshot returned')
      assert.equal(held.length, 1, 'the first deletion waits for the thread pool (one at a time)')
      const kept = names.filter((n) => n >= names.filter((m) => m <= 45).at(-1)!)
      if (crash) {
        s.close() // the process dies with the deletions not done
      } else {
        // Let the deletions run, one after the other (give up after 10 s).
        for (let k = 0; k < 2000 && segmentNames(dir).length > kept.length; k++) {
          held.splice(0).forEach((unlink) => unlink())
          await new Promise((resolve) => setTimeout(resolve, 5))
        }
        assert.deepEqual(segmentNames(dir), kept)
        s.save({entries: [entry(61, 1)], hardState: {term: 1, vote: 'n1', commit: 61}})
        s.close()
      }
      const {state} = reopen(dir)
      const last = crash ? 60 : 61
      assert.deepEqual(ids(state.entries), Array.from({length: last - 45}, (_, k) => `${k + 46}@1`), crash ? 'crash before the deletions' : 'after them')
      assert.equal(state.snapshot?.meta.index, 45)
      assert.deepEqual(segmentNames(dir), kept, 'start-up deletes what was left')
    }
  })

  it('start-up reads the latest snapshot and only the segments after it: the entries replayed are bounded by those since', (t) => {
    const dir = tempDir(t)
    const fs = new FaultFs()
    const s = build(dir, 200, fs)
    const names = segmentNames(dir)
    fs.failOn('unlink', 'EIO') // leave every old segment on disk: start-up must still not read them
    s.saveSnapshot(snapshot(190, 1), 190)
    s.close()
    assert.deepEqual(segmentNames(dir), names)
    const {state, segmentsRead, opened} = reopen(dir)
    const firstRead = names.filter((n) => n <= 190).at(-1)!
    assert.deepEqual(segmentsRead, names.filter((n) => n >= firstRead))
    assert.equal(opened.readSegments, segmentsRead.length)
    assert.equal(opened.replayedEntries, 200 - firstRead + 1, 'entry records replayed: only those of the segments read')
    assert.ok((opened.replayedEntries as number) < 30, `far fewer than the 200 written (${String(opened.replayedEntries)})`)
    assert.deepEqual(ids(state.entries), Array.from({length: 10}, (_, k) => `${k + 191}@1`))
  })

  it('reports load progress over the snapshot and the segments it reads (not those below the snapshot), ending at 100%', (t) => {
    const dir = tempDir(t)
    const fs = new FaultFs()
    const s = build(dir, 200, fs)
    fs.failOn('unlink', 'EIO') // old segments stay on disk: they must not count
    s.saveSnapshot(snapshot(190, 1), 190)
    s.close()
    const reports: Array<[number, number]> = []
    new FileStorage({dir, segmentBytes: SEGMENT_BYTES, preallocateBytes: 0, onLoadProgress: (read, total) => reports.push([read, total])}).load()
    const names = segmentNames(dir)
    const read = names.filter((n) => n >= names.filter((m) => m <= 190).at(-1)!)
    const expected = statSync(join(dir, 'snapshots', (190).toString(16).padStart(16, '0') + '.snap')).size
      + read.reduce((sum, n) => sum + statSync(join(dir, 'wal', n.toString(16).padStart(16, '0') + '.log')).size, 0)
    assert.equal(reports.length, 1 + read.length, 'one report per file read')
    assert.ok(reports.every(([r, total], k) => total === expected && r <= total && (k === 0 || r > reports[k - 1][0])), JSON.stringify(reports))
    assert.equal(reports.at(-1)![0], expected)
  })

  it('reads every segment when the last one holds no complete batch (the newest hard state is then in an older one)', (t) => {
    const dir = tempDir(t)
    const fs = new FaultFs()
    const s = build(dir, 60, fs)
    fs.failOn('unlink', 'EIO')
    s.saveSnapshot(snapshot(60, 1), 60)
    s.save({entries: [], hardState: {term: 3, vote: 'n2', commit: 60}})
    s.close()
    // A last segment whose creation was torn (part of its header), named at or below the snapshot.
    const torn = segmentNames(dir).at(-1)! + 1
    assert.ok(torn <= 60)
    writeFileSync(join(dir, 'wal', torn.toString(16).padStart(16, '0') + '.log'), Buffer.from('RCT'))
    const {state} = reopen(dir)
    assert.deepEqual(state.hardState, {term: 3, vote: 'n2', commit: 60})
    assert.deepEqual(state.entries, [])
    assert.ok(!segmentNames(dir).includes(torn), 'the torn segment is removed')
  })

  it('wal dump reads a store of several segments: every segment, and the live entries with their own segment file', (t) => {
    const dir = tempDir(t)
    const s = build(dir, 40)
    s.saveSnapshot(snapshot(20, 1), 20)
    s.close()
    const names = segmentNames(dir)
    assert.ok(names.length >= 3, `several segments: ${names.join(',')}`)
    const dump = dumpStorage(dir)
    assert.deepEqual(dump.problems, [])
    assert.deepEqual(dump.segments.map((seg) => seg.name), names)
    assert.deepEqual(dump.hardState, {term: 1, vote: 'n1', commit: 40})
    const after = dump.entries.filter((e) => e.entry.index > 20)
    assert.deepEqual(after.map((e) => e.entry.index), Array.from({length: 20}, (_, k) => k + 21))
    for (const e of dump.entries) {
      const holder = names.filter((n) => n <= e.entry.index).at(-1)!
      assert.equal(parseInt(basename(e.file), 16), holder, `entry ${e.entry.index} is listed in the segment that holds it`)
    }
  })
})
