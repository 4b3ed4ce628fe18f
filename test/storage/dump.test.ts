/**
 * The read-only storage reader (src/storage/dump.ts): it lists what recovery would load, by the
 * same rules, and every problem recovery would repair (torn) or refuse (corrupt) with the file
 * and offset recovery names, without changing a byte of the directory.
 */
import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {readdirSync, readFileSync, statSync, truncateSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {FileStorage} from '../../src/storage/file-storage.js'
import {dumpStorage, readOnlyFs} from '../../src/storage/dump.js'
import {StorageError} from '../../src/storage/errors.js'
import {DEFAULT_MAX_RECORD_BYTES} from '../../src/storage/file-storage.js'
import {inspectSegment, listSegmentFiles, scanSegment} from '../../src/storage/wal.js'
import {nodeFs} from '../../src/storage/fs-ops.js'
import type {Entry} from '../../src/raft/types.js'
import {copyDir, entries, entry, ids, snapshot, tempDir} from './helpers.js'

/** Name, size, mtime and sha256 of every file under `dir`. */
function fingerprint(dir: string): string[] {
  return readdirSync(dir, {recursive: true, encoding: 'utf8'}).sort().map((name) => {
    const path = join(dir, name)
    const st = statSync(path)
    if (st.isDirectory()) return `${name}/ ${st.mtimeMs}`
    return `${name} ${st.size} ${st.mtimeMs} ${createHash('sha256').update(readFileSync(path)).digest('hex')}`
  })
}

/** A store with entries 1..10 (term 1), 8..9 rewritten at term 2 (a logical truncation), and a snapshot at 5 (compacted to 5). */
function writeStore(dir: string): void {
  const s = new FileStorage({dir, preallocateBytes: 0})
  s.load()
  for (let i = 1; i <= 10; i++) s.save({entries: [entry(i, 1)], hardState: {term: 1, vote: 'n1', commit: i - 1}})
  s.save({entries: entries(8, 9, 2), hardState: {term: 2, vote: 'n2', commit: 7}})
  s.saveSnapshot(snapshot(5, 1), 5)
  s.close()
}

function loaded(dir: string): {entries: readonly Entry[]; hardState: unknown} {
  const s = new FileStorage({dir, preallocateBytes: 0})
  const state = s.load()
  s.close()
  return {entries: state.entries, hardState: state.hardState}
}

function flipByte(path: string, offset: number): void {
  const buf = readFileSync(path)
  buf[offset] ^= 0xff
  writeFileSync(path, buf)
}

describe('inspectSegment', () => {
  it('agrees with recovery\'s scanSegment on every damage: the same first corruption (offset and message), or the same scan', (t) => {
    const dir = tempDir(t)
    const s = new FileStorage({dir, preallocateBytes: 512})
    s.load()
    for (let i = 1; i <= 12; i++) s.save({entries: i % 3 === 0 ? [] : [entry(i - Math.floor(i / 3), 1)], hardState: {term: 1, vote: 'n1', commit: i}}) // some batches hold only a STATE record
    s.close()
    const [ref] = listSegmentFiles(nodeFs, join(dir, 'wal')).segments
    const original = readFileSync(ref.path)
    let corruptions = 0
    let torn = 0
    for (let at = 0; at < original.length; at += 3) {
      for (const isLast of [true, false]) {
        const buf = Buffer.from(original)
        buf[at] ^= 0x5a
        const inspected = inspectSegment(buf, ref, isLast, DEFAULT_MAX_RECORD_BYTES)
        const {damage, ...scan} = inspected
        let thrown: unknown
        try {
          assert.deepEqual(scanSegment(buf, ref, isLast, DEFAULT_MAX_RECORD_BYTES), scan, `flip at ${at}`)
        } catch (err) {
          thrown = err
        }
        if (thrown instanceof StorageError) {
          corruptions++
          assert.equal(thrown.offset, damage[0]?.offset, `flip at ${at}: ${thrown.message}`)
          assert.ok(thrown.message.endsWith(damage[0].reason), thrown.message)
        } else {
          if (thrown) throw thrown
          assert.deepEqual(damage, [], `flip at ${at}`)
          if (scan.torn) torn++
        }
      }
    }
    assert.ok(corruptions > 0 && torn > 0, `both verdicts exercised (${corruptions} corrupt, ${torn} torn)`)
  })
})

describe('dumpStorage', () => {
  it('lists the hard state, snapshot, segments and live entries of a store, as recovery loads them, changing no file', (t) => {
    const dir = tempDir(t)
    writeStore(dir)
    const before = fingerprint(dir)
    const dump = dumpStorage(dir)
    assert.deepEqual(fingerprint(dir), before, 'the directory is unchanged (names, sizes, mtimes, contents)')
    assert.deepEqual(dump.problems, [])
    assert.deepEqual(dump.hardState, {term: 2, vote: 'n2', commit: 7})
    assert.equal(dump.snapshots.length, 1)
    assert.deepEqual(dump.snapshots[0].meta, snapshot(5, 1).meta)
    assert.equal(dump.snapshots[0].dataBytes, snapshot(5, 1).data.byteLength)
    assert.equal(dump.snapshots[0].bytes, statSync(dump.snapshots[0].file).size)
    assert.deepEqual(dump.entries.map((e) => e.entry).map((e) => `${e.index}@${e.term}`), ['1@1', '2@1', '3@1', '4@1', '5@1', '6@1', '7@1', '8@2', '9@2'], 'the rewritten suffix replaces the old one; entries below the snapshot still on disk are listed')
    const rec = loaded(dir)
    assert.deepEqual(ids(dump.entries.map((e) => e.entry).filter((e) => e.index > 5)), ids(rec.entries), 'after the snapshot: exactly what recovery loads')
    assert.deepEqual(dump.entries.at(-1)!.entry.data, rec.entries.at(-1)!.data)
    const seg = readFileSync(dump.entries[2].file)
    assert.equal(seg.readUInt32LE(dump.entries[2].offset + 8 + 9), 3, 'offset points at the record of entry 3 (its index field)')
  })

  it('names a torn tail with its file and offset, as torn (not corrupt), and lists what recovery keeps', (t) => {
    const dir = tempDir(t)
    writeStore(dir)
    const file = dumpStorage(dir).segments.at(-1)!.file
    const size = statSync(file).size
    truncateSync(file, size - 10) // the last batch (entries 8..9 at term 2 + its STATE record) loses its end
    const before = fingerprint(dir)
    const dump = dumpStorage(dir)
    assert.deepEqual(fingerprint(dir), before)
    assert.equal(dump.problems.length, 1, JSON.stringify(dump.problems))
    const [p] = dump.problems
    assert.equal(p.kind, 'torn')
    assert.equal(p.file, file)
    const copy = tempDir(t)
    copyDir(dir, copy)
    const rec = loaded(copy)
    assert.equal(statSync(join(copy, 'wal', readdirSync(join(copy, 'wal'))[0])).size, p.offset, 'recovery cuts the file at the offset named')
    assert.deepEqual(ids(dump.entries.map((e) => e.entry).filter((e) => e.index > 5)), ids(rec.entries))
    assert.deepEqual(dump.hardState, rec.hardState)
  })

  it('names a flipped byte in a middle record as corrupt, at the offset recovery refuses, and lists the entries around it', (t) => {
    const dir = tempDir(t)
    const s = new FileStorage({dir, preallocateBytes: 0})
    s.load()
    for (let i = 1; i <= 10; i++) s.save({entries: [entry(i, 1)], hardState: {term: 1, vote: null, commit: i}})
    s.close()
    const victim = dumpStorage(dir).entries[4] // entry 5
    flipByte(victim.file, victim.offset + 27) // a byte of its data
    const before = fingerprint(dir)
    const dump = dumpStorage(dir)
    assert.deepEqual(fingerprint(dir), before)
    const corrupt = dump.problems.filter((p) => p.kind === 'corrupt')
    assert.ok(corrupt.length >= 1)
    assert.equal(corrupt[0].file, victim.file)
    assert.equal(corrupt[0].offset, victim.offset)
    assert.throws(() => loaded(dir), (err: unknown) => err instanceof StorageError && err.code === 'CORRUPT' && err.offset === victim.offset && err.message.endsWith(corrupt[0].message))
    assert.deepEqual(dump.entries.map((e) => e.entry.index), [1, 2, 3, 4, 6, 7, 8, 9, 10], 'everything readable is listed')
    assert.deepEqual(fingerprint(dir), before, 'the refused load changed nothing either')
  })

  it('reports a corrupt snapshot file, an unfinished one and unknown files', (t) => {
    const dir = tempDir(t)
    writeStore(dir)
    const snap = dumpStorage(dir).snapshots[0].file
    flipByte(snap, 20)
    writeFileSync(join(dir, 'snapshots', '00000000000000ff.snap.tmp'), 'half')
    writeFileSync(join(dir, 'wal', 'notes.txt'), 'hello')
    const dump = dumpStorage(dir)
    const byKind = (kind: string) => dump.problems.filter((p) => p.kind === kind)
    assert.deepEqual(byKind('corrupt').map((p) => p.file), [snap])
    assert.equal(typeof byKind('corrupt')[0].offset, 'number')
    assert.deepEqual(byKind('torn').map((p) => p.file), [join(dir, 'snapshots', '00000000000000ff.snap.tmp')])
    assert.deepEqual(byKind('unknown').map((p) => [p.file, p.offset]), [[join(dir, 'wal', 'notes.txt'), null]])
    assert.deepEqual(dump.snapshots, [])
  })

  it('reads a missing directory as empty, and its file-system calls refuse every write', (t) => {
    const dump = dumpStorage(join(tempDir(t), 'nothing'))
    assert.deepEqual({entries: dump.entries, problems: dump.problems, segments: dump.segments, hardState: dump.hardState}, {entries: [], problems: [], segments: [], hardState: {term: 0, vote: null, commit: 0}})
    const fs = readOnlyFs()
    assert.throws(() => fs.openSync('/tmp/x', 'w'), /read-only/)
    assert.throws(() => fs.writeSync(0, new Uint8Array(1), 0, 1, 0), /read-only/)
    assert.throws(() => fs.unlinkSync('/tmp/x'), /read-only/)
    assert.throws(() => fs.mkdirSync('/tmp/x', {recursive: true}), /read-only/)
  })
})
