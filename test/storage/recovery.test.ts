/** FileStorage recovery: torn tails are truncated, corruption elsewhere is refused with file and offset. */
import assert from 'node:assert/strict'
import {appendFileSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {FileStorage, MemoryStorage, StorageError} from '../../src/storage/index.js'
import {nodeFs} from '../../src/storage/fs-ops.js'
import {frameAt, SEGMENT_HEADER_BYTES} from '../../src/storage/record.js'
import {writeSnapshotFile} from '../../src/storage/snapshot-file.js'
import {copyDir, entries, entry, ids, recordingLogger, snapshot, tempDir} from './helpers.js'

function walFiles(dir: string): string[] {
  return readdirSync(join(dir, 'wal')).sort().map((f) => join(dir, 'wal', f))
}

/** Start offsets of every record in a segment file. */
function recordOffsets(path: string): number[] {
  const buf = readFileSync(path)
  const out: number[] = []
  for (let at = SEGMENT_HEADER_BYTES; at < buf.length;) {
    const f = frameAt(buf, at, 1 << 20)
    if (!f.ok) break
    out.push(at)
    at = f.end
  }
  return out
}

/** End of the last record of a segment file (where its zero-filled, preallocated tail starts). */
function dataEnd(path: string): number {
  const buf = readFileSync(path)
  const last = recordOffsets(path).at(-1)!
  const f = frameAt(buf, last, 1 << 20)
  assert.ok(f.ok)
  return f.end
}

function flipByte(path: string, offset: number): void {
  const buf = readFileSync(path)
  buf[offset] ^= 0x40
  writeFileSync(path, buf)
}

function expectCorrupt(fn: () => unknown, file: string, offset?: number): StorageError {
  try {
    fn()
  } catch (err) {
    assert.ok(err instanceof StorageError, `expected StorageError, got ${String(err)}`)
    assert.equal(err.code, 'CORRUPT', err.message)
    assert.equal(err.file, file)
    assert.ok(err.message.includes(file), err.message)
    if (offset !== undefined) {
      assert.equal(err.offset, offset, err.message)
      assert.ok(err.message.includes(`offset ${offset}`), err.message)
    }
    return err
  }
  assert.fail('expected CORRUPT')
}

/** A store of `batches` single-entry saves; returns the WAL size after each save and the oracle state after each. */
function build(dir: string, batches: number, segmentBytes = 1 << 20): {sizes: number[]; states: MemoryStorage[]} {
  const s = new FileStorage({dir, segmentBytes})
  s.load()
  const oracle = new MemoryStorage()
  const sizes = [s.stats().bytes]
  const states = [oracle.clone()]
  for (let i = 1; i <= batches; i++) {
    const write = {entries: i % 4 === 0 ? entries(i * 2 - 1, i * 2, 1) : [entry(i * 2 - 1, 1), entry(i * 2, 1, 'x'.repeat(i))], hardState: {term: 1, vote: i % 2 ? 'n1' : null, commit: i}}
    s.save(write)
    oracle.save(write)
    sizes.push(s.stats().bytes)
    states.push(oracle.clone())
  }
  s.close()
  return {sizes, states}
}

describe('FileStorage recovery', () => {
  it('truncates a torn tail for every chop length and loses only the torn batch', (t) => {
    const base = tempDir(t)
    const {sizes, states} = build(base, 12)
    const total = sizes[sizes.length - 1]
    const maxChop = total - sizes[sizes.length - 4] + 3
    for (let n = 1; n <= maxChop; n++) {
      const dir = tempDir(t)
      copyDir(base, dir)
      const [file] = walFiles(dir)
      truncateSync(file, total - n)
      const {lines, log} = recordingLogger()
      const s = new FileStorage({dir, logger: log})
      const r = s.load()
      let k = sizes.length - 1
      while (sizes[k] > total - n) k--
      const want = states[k].load()
      assert.deepEqual(ids(r.entries), ids(want.entries), `chop ${n}`)
      assert.deepEqual(r.hardState, want.hardState, `chop ${n}`)
      const warned = lines.some((l) => l.level === 'warn' && /torn/.test(l.msg))
      assert.equal(warned, sizes[k] !== total - n, `chop ${n}: a warning exactly when a partial batch was cut`)
      s.save({entries: [entry(s.lastIndex() + 1, 2)], hardState: {term: 2, vote: null, commit: 0}})
      s.close()
      const again = new FileStorage({dir}).load()
      assert.deepEqual(ids(again.entries), [...ids(want.entries), `${s.lastIndex()}@2`], `chop ${n}: writes after repair`)
    }
  })

  it('deletes a last segment torn down to (part of) its header', (t) => {
    const base = tempDir(t)
    const {sizes, states} = build(base, 10, 160)
    const files = walFiles(base)
    assert.ok(files.length > 2)
    const lastSize = dataEnd(files[files.length - 1]!)
    for (const keep of [0, 3, SEGMENT_HEADER_BYTES, SEGMENT_HEADER_BYTES + 5]) {
      const dir = tempDir(t)
      copyDir(base, dir)
      truncateSync(walFiles(dir).at(-1)!, keep)
      const r = new FileStorage({dir, segmentBytes: 160}).load()
      let k = sizes.length - 1
      while (sizes[k] > sizes[sizes.length - 1] - lastSize + keep) k--
      assert.deepEqual(ids(r.entries), ids(states[k].load().entries), `keep ${keep}`)
      assert.equal(walFiles(dir).length, files.length - 1, `keep ${keep}: torn segment deleted`)
    }
  })

  it('reads zeros after the last batch as its clean end, and truncates garbage there', (t) => {
    const base = tempDir(t)
    const {states} = build(base, 5)
    for (const junk of [Buffer.alloc(4096), Buffer.from('not a record, just text at the end')]) {
      const dir = tempDir(t)
      copyDir(base, dir)
      appendFileSync(walFiles(dir)[0], junk)
      assert.deepEqual(ids(new FileStorage({dir}).load().entries), ids(states[5].load().entries))
    }
  })

  it('refuses a byte flipped anywhere before the last record, naming file and record offset', (t) => {
    const base = tempDir(t)
    build(base, 8)
    const [baseFile] = walFiles(base)
    const offsets = recordOffsets(baseFile)
    const ends = [...offsets.slice(1), readFileSync(baseFile).length]
    for (let r = 0; r < offsets.length - 1; r++) {
      for (let at = offsets[r]; at < ends[r]; at += r % 3 === 0 ? 1 : 5) {
        const dir = tempDir(t)
        copyDir(base, dir)
        const [file] = walFiles(dir)
        flipByte(file, at)
        expectCorrupt(() => new FileStorage({dir}).load(), file, offsets[r])
      }
    }
  })

  it('refuses a damaged segment header', (t) => {
    const dir = tempDir(t)
    build(dir, 3)
    const [file] = walFiles(dir)
    flipByte(file, 1)
    expectCorrupt(() => new FileStorage({dir}).load(), file, 0)
  })

  it('refuses damage at the end of a segment that is not the last', (t) => {
    const dir = tempDir(t)
    build(dir, 10, 160)
    const files = walFiles(dir)
    const size = readFileSync(files[0]).length
    const last = recordOffsets(files[0]).at(-1)!
    flipByte(files[0], size - 1)
    expectCorrupt(() => new FileStorage({dir}).load(), files[0], last)
    truncateSync(files[0], size - 1)
    expectCorrupt(() => new FileStorage({dir}).load(), files[0], last)
  })

  it('leaves the files untouched when it refuses them', (t) => {
    const dir = tempDir(t)
    build(dir, 6)
    const [file] = walFiles(dir)
    flipByte(file, recordOffsets(file)[2] + 12)
    appendFileSync(file, Buffer.alloc(10))
    const before = readFileSync(file)
    assert.throws(() => new FileStorage({dir}).load(), StorageError)
    assert.deepEqual(readFileSync(file), before)
  })

  it('reads a preallocated zero tail as the clean end of a segment, and appends into it', (t) => {
    const dir = tempDir(t)
    const {states} = build(dir, 6)
    const [file] = walFiles(dir)
    const size = readFileSync(file).length
    assert.ok(size > dataEnd(file), 'zeros after the last batch')
    const {lines, log} = recordingLogger()
    const s = new FileStorage({dir, logger: log})
    assert.deepEqual(ids(s.load().entries), ids(states[6].load().entries))
    assert.deepEqual(lines.filter((l) => l.level !== 'info'), [], 'no warning')
    assert.equal(readFileSync(file).length, size, 'not truncated')
    s.save({entries: [entry(13, 1)]})
    s.close()
    assert.equal(readFileSync(file).length, size, 'the append went into the zeros')
    assert.deepEqual(ids(new FileStorage({dir}).load().entries), [...ids(states[6].load().entries), '13@1'])
  })

  it('reads a zero tail of a segment that is not the last as its end (a roll leaves none; a lowered segmentBytes can)', (t) => {
    const dir = tempDir(t)
    const {states} = build(dir, 10, 160)
    const files = walFiles(dir)
    assert.ok(files.length > 2)
    assert.equal(readFileSync(files[0]).length, dataEnd(files[0]), 'a rolled segment is full to its end')
    appendFileSync(files[0], Buffer.alloc(300))
    const {lines, log} = recordingLogger()
    assert.deepEqual(ids(new FileStorage({dir, segmentBytes: 160, logger: log}).load().entries), ids(states[10].load().entries))
    assert.deepEqual(lines.filter((l) => l.level !== 'info'), [])
  })

  it('truncates a torn batch, or garbage, inside the zero tail', (t) => {
    const base = tempDir(t)
    const {states} = build(base, 5)
    const [baseFile] = walFiles(base)
    const end = dataEnd(baseFile)
    const record = readFileSync(baseFile).subarray(recordOffsets(baseFile)[1], end)
    for (const [what, junk, at] of [['half a batch', record.subarray(0, 11), end], ['a stray byte', Buffer.from([7]), end + 100]] as const) {
      const dir = tempDir(t)
      copyDir(base, dir)
      const [file] = walFiles(dir)
      const buf = readFileSync(file)
      junk.copy(buf, at)
      writeFileSync(file, buf)
      const {lines, log} = recordingLogger()
      assert.deepEqual(ids(new FileStorage({dir, logger: log}).load().entries), ids(states[5].load().entries), what)
      assert.ok(lines.some((l) => l.level === 'warn' && /torn/.test(l.msg)), `${what}: warned`)
      assert.equal(readFileSync(file).length, end, `${what}: cut at the last batch`)
    }
  })

  it('a batch torn in the zeros, a sector lost before later records that made it: torn, not corrupt', (t) => {
    const base = tempDir(t)
    const {states} = build(base, 5)
    const [baseFile] = walFiles(base)
    const end = dataEnd(baseFile)
    const s = new FileStorage({dir: base})
    s.load()
    s.save({entries: Array.from({length: 6}, (_, i) => entry(11 + i, 1, 'w'.repeat(300))), hardState: {term: 1, vote: null, commit: 5}})
    s.close()
    const sectorAfter = Math.ceil((end + 1) / 512) * 512
    for (const [what, from, to] of [['the first sector', end, sectorAfter], ['a middle sector', sectorAfter + 512, sectorAfter + 1024]] as const) {
      const dir = tempDir(t)
      copyDir(base, dir)
      const [file] = walFiles(dir)
      const buf = readFileSync(file)
      buf.fill(0, from, to)
      writeFileSync(file, buf)
      assert.ok(recordOffsets(file).length > 0)
      const {lines, log} = recordingLogger()
      assert.deepEqual(ids(new FileStorage({dir, logger: log}).load().entries), ids(states[5].load().entries), what)
      assert.ok(lines.some((l) => l.level === 'warn' && /torn/.test(l.msg)), `${what}: warned`)
      assert.equal(readFileSync(file).length, end, `${what}: cut at the last complete batch`)
    }
  })

  it('a zeroed sector in a batch that later batches follow is corruption, not a torn write', (t) => {
    const dir = tempDir(t)
    const s = new FileStorage({dir})
    s.load()
    for (let k = 0; k < 4; k++) s.save({entries: Array.from({length: 4}, (_, i) => entry(k * 4 + i + 1, 1, 'q'.repeat(300))), hardState: {term: 1, vote: null, commit: k * 4}})
    s.close()
    const [file] = walFiles(dir)
    const buf = readFileSync(file)
    const victim = recordOffsets(file).find((o) => o > 1024)!
    const sector = Math.ceil(victim / 512) * 512
    buf.fill(0, sector, sector + 512)
    writeFileSync(file, buf)
    const err = expectCorrupt(() => new FileStorage({dir}).load(), file)
    assert.match(err.message, /a valid record follows/)
  })

  it('treats damage to the very last record as a torn write (indistinguishable; documented)', (t) => {
    const dir = tempDir(t)
    const {states} = build(dir, 6)
    const [file] = walFiles(dir)
    flipByte(file, dataEnd(file) - 2)
    assert.deepEqual(ids(new FileStorage({dir}).load().entries), ids(states[5].load().entries))
  })

  it('detects missing segments (index gap) and a missing start without a snapshot', (t) => {
    const dir = tempDir(t)
    build(dir, 12, 160)
    const files = walFiles(dir)
    rmSync(files[2])
    expectCorrupt(() => new FileStorage({dir}).load(), files[3], SEGMENT_HEADER_BYTES)
    rmSync(files[0])
    rmSync(files[1])
    const err = expectCorrupt(() => new FileStorage({dir}).load(), files[3], SEGMENT_HEADER_BYTES)
    assert.match(err.message, /missing/)
  })

  it('refuses a corrupt snapshot file, naming it', (t) => {
    const base = tempDir(t)
    const s = new FileStorage({dir: base})
    s.save({entries: entries(1, 10, 1)})
    s.saveSnapshot(snapshot(8, 1, 'x'.repeat(100)), 8)
    s.close()
    const name = join('snapshots', '0000000000000008.snap')
    const cases: Array<[string, (path: string) => void, number | undefined]> = [
      ['flipped data byte', (p) => flipByte(p, 60), readFileSync(join(base, name)).length - 4],
      ['truncated', (p) => truncateSync(p, 40), 36],
      ['emptied', (p) => truncateSync(p, 0), 0],
      ['bad magic', (p) => flipByte(p, 0), 0],
    ]
    for (const [label, damage, offset] of cases) {
      const dir = tempDir(t)
      copyDir(base, dir)
      damage(join(dir, name))
      const err = expectCorrupt(() => new FileStorage({dir}).load(), join(dir, name), offset)
      assert.ok(err.message.includes('.snap'), label)
    }
  })

  it('removes leftover temp snapshot files and ignores unknown WAL files with a warning', (t) => {
    const dir = tempDir(t)
    build(dir, 2)
    writeFileSync(join(dir, 'snapshots', '0000000000000009.snap.tmp'), 'partial')
    writeFileSync(join(dir, 'wal', 'README'), 'hello')
    const {lines, log} = recordingLogger()
    new FileStorage({dir, logger: log}).load()
    assert.deepEqual(readdirSync(join(dir, 'snapshots')), [])
    assert.ok(lines.some((l) => l.level === 'warn' && /unknown files/.test(l.msg)))
  })

  it('recovers from a crash between writing an installed snapshot and its WAL record', (t) => {
    for (const [index, term] of [[20, 3], [5, 2]]) {
      const dir = tempDir(t)
      const s = new FileStorage({dir})
      s.save({entries: entries(1, 10, 1), hardState: {term: 1, vote: null, commit: 3}})
      s.close()
      writeSnapshotFile(nodeFs, join(dir, 'snapshots'), snapshot(index, term), true)
      const {lines, log} = recordingLogger()
      const s2 = new FileStorage({dir, logger: log})
      const r = s2.load()
      assert.equal(r.snapshot?.meta.index, index)
      assert.deepEqual(r.entries, [])
      assert.ok(lines.some((l) => /interrupted snapshot install/.test(l.msg)))
      s2.save({entries: entries(index + 1, index + 2, term)})
      s2.close()
      assert.deepEqual(ids(new FileStorage({dir}).load().entries), ids(entries(index + 1, index + 2, term)))
    }
  })

  it('a local snapshot file written just before a crash keeps the log', (t) => {
    const dir = tempDir(t)
    const s = new FileStorage({dir})
    s.save({entries: entries(1, 10, 1)})
    s.close()
    writeSnapshotFile(nodeFs, join(dir, 'snapshots'), snapshot(6, 1), true)
    assert.deepEqual(ids(new FileStorage({dir}).load().entries), ids(entries(7, 10, 1)))
  })
})
