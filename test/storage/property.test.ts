/**
 * Property test: random programs of saves (with conflicting truncations, snapshot installs and
 * hard states), local snapshots with compaction, reopens, disk-full failures and crashes in the
 * middle of a save, run against FileStorage and MemoryStorage (the oracle) side by side.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import fc from 'fast-check'
import type {Entry, HardState} from '../../src/raft/types.js'
import type {RecoveredState, StorageWrite} from '../../src/replica/ports.js'
import {FileStorage, MemoryStorage, StorageError} from '../../src/storage/index.js'
import {FaultFs, snapshot, tempDir} from './helpers.js'

type Op =
  | {kind: 'append'; back: number; count: number; bump: boolean; hs: boolean; vote: number; size: number}
  | {kind: 'hardState'; vote: number}
  | {kind: 'install'; ahead: number; match: boolean; after: number}
  | {kind: 'local'; at: number; compact: number; match: boolean}
  | {kind: 'reopen'}
  | {kind: 'full'; skip: number; op: Op}
  | {kind: 'crash'; torn: boolean; op: Op}

const writeOp: fc.Arbitrary<Op> = fc.oneof(
  {weight: 6, arbitrary: fc.record({kind: fc.constant('append' as const), back: fc.nat(6), count: fc.integer({min: 0, max: 5}), bump: fc.boolean(), hs: fc.boolean(), vote: fc.nat(2), size: fc.nat(40)})},
  {weight: 1, arbitrary: fc.record({kind: fc.constant('hardState' as const), vote: fc.nat(2)})},
  {weight: 1, arbitrary: fc.record({kind: fc.constant('install' as const), ahead: fc.integer({min: -3, max: 8}), match: fc.boolean(), after: fc.nat(3)})},
  {weight: 2, arbitrary: fc.record({kind: fc.constant('local' as const), at: fc.double({min: 0, max: 1, noNaN: true}), compact: fc.double({min: 0, max: 1, noNaN: true}), match: fc.boolean()})},
)

const anyOp: fc.Arbitrary<Op> = fc.oneof(
  {weight: 10, arbitrary: writeOp},
  {weight: 2, arbitrary: fc.constant({kind: 'reopen' as const})},
  {weight: 1, arbitrary: fc.record({kind: fc.constant('full' as const), skip: fc.nat(3), op: writeOp})},
  {weight: 1, arbitrary: fc.record({kind: fc.constant('crash' as const), torn: fc.boolean(), op: writeOp})},
)

const VOTES = [null, 'n1', 'n2']

/** `state` with its snapshot's data as bytes (FileStorage's is a handle on the file, its bytes read at load beside it). */
function inMemory(state: RecoveredState): RecoveredState {
  const {snapshotBytes, ...rest} = state
  return snapshotBytes && rest.snapshot ? {...rest, snapshot: {meta: rest.snapshot.meta, data: snapshotBytes}} : rest
}

function sameState(a: RecoveredState, b: RecoveredState): boolean {
  try {
    assert.deepEqual(inMemory(a), inMemory(b))
    return true
  } catch {
    return false
  }
}

class Run {
  term = 1
  fs = new FaultFs()
  file: FileStorage
  oracle = new MemoryStorage()

  constructor(readonly dir: string, readonly segmentBytes: number) {
    this.file = this.#open()
  }

  #open(): FileStorage {
    const s = new FileStorage({dir: this.dir, segmentBytes: this.segmentBytes, fs: this.fs})
    s.load()
    return s
  }

  #hs(vote: number): HardState {
    return {term: this.term, vote: VOTES[vote], commit: Math.max(0, this.oracle.lastIndex() - 1)}
  }

  #entries(from: number, count: number, size: number): Entry[] {
    return Array.from({length: count}, (_, k) => ({index: from + k, term: this.term, type: k % 7 === 3 ? 'config' : 'normal', data: new Uint8Array(size).fill(from + k)}))
  }

  /** Turn an op into a concrete call, using the oracle's state for indexes and terms. */
  call(op: Op): {write?: StorageWrite; local?: [ReturnType<typeof snapshot>, number]} {
    const o = this.oracle
    const snapIndex = o.snapshotMeta()?.index ?? 0
    const last = o.lastIndex()
    if (op.kind === 'append') {
      if (op.bump) this.term++
      const from = Math.max(1, last + 1 - op.back)
      return {write: {entries: this.#entries(from, op.count, op.size), hardState: op.hs ? this.#hs(op.vote) : undefined}}
    }
    if (op.kind === 'hardState') return {write: {entries: [], hardState: this.#hs(op.vote)}}
    if (op.kind === 'install') {
      const index = Math.max(0, snapIndex + op.ahead)
      const term = op.match ? (o.termAt(index) ?? this.term) : ++this.term
      return {write: {snapshot: snapshot(index, term, `install ${index}`), entries: this.#entries(index + 1, op.after, 3), hardState: this.#hs(0)}}
    }
    if (op.kind === 'local') {
      const index = snapIndex + Math.floor(op.at * (last - snapIndex))
      const term = op.match ? (o.termAt(index) ?? 1) : this.term + 1
      return {local: [snapshot(index, term, `local ${index}`), Math.floor(op.compact * index)]}
    }
    throw new Error(`not a write: ${op.kind}`)
  }

  apply(target: MemoryStorage | FileStorage, c: ReturnType<Run['call']>): string {
    try {
      if (c.write) target.save(c.write)
      else target.saveSnapshot(...c.local!)
      return 'ok'
    } catch (err) {
      if (err instanceof RangeError) return 'RangeError'
      if (err instanceof StorageError) return err.code
      throw err
    }
  }

  step(op: Op): void {
    if (op.kind === 'reopen') return this.reopen()
    if (op.kind === 'full') return this.full(op)
    if (op.kind === 'crash') return this.crash(op)
    const c = this.call(op)
    assert.equal(this.apply(this.file, c), this.apply(this.oracle, c), `outcome of ${JSON.stringify(op)}`)
    this.compareView()
  }

  full(op: Extract<Op, {kind: 'full'}>): void {
    const c = this.call(op.op)
    this.fs.failOn('write', 'ENOSPC', {skip: op.skip, partial: true})
    const got = this.apply(this.file, c)
    this.fs.heal()
    if (got !== 'STORAGE_FULL') assert.equal(got, this.apply(this.oracle, c))
    this.compareView()
  }

  /**
   * A crash in the middle of a save: a torn write, or a write that reached the disk but whose
   * sync failed, with the undo failing too. Recovery must see the save entirely or not at all.
   */
  crash(op: Extract<Op, {kind: 'crash'}>): void {
    const c = this.call(op.op)
    const before = this.oracle.clone()
    const after = this.oracle.clone()
    const expected = this.apply(after, c)
    if (op.torn) this.fs.failOn('write', 'EIO', {partial: true})
    else this.fs.failOn('fdatasync', 'EIO')
    this.fs.failOn('ftruncate', 'EIO')
    this.fs.failOn('unlink', 'EIO')
    const got = this.apply(this.file, c)
    this.fs.heal()
    if (got !== 'STORAGE_IO') assert.equal(got, expected, 'outcome when the fault was not hit')
    this.file.close()
    this.file = this.#open()
    const loaded = this.file.load()
    this.oracle = sameState(loaded, after.load()) ? after : before
    this.compareLoad()
  }

  reopen(): void {
    this.file.close()
    this.file = this.#open()
    this.compareLoad()
  }

  compareView(): void {
    assert.equal(this.file.lastIndex(), this.oracle.lastIndex(), 'lastIndex')
    assert.deepEqual(this.file.snapshotMeta(), this.oracle.snapshotMeta(), 'snapshot meta')
    const from = this.oracle.snapshotMeta()?.index ?? 0
    for (let i = from; i <= this.oracle.lastIndex(); i++) assert.equal(this.file.termAt(i), this.oracle.termAt(i), `term at ${i}`)
  }

  compareLoad(): void {
    const got = this.file.load()
    const want = this.oracle.load()
    assert.deepEqual(got.hardState, want.hardState, 'hard state')
    assert.deepEqual(inMemory(got).snapshot, want.snapshot, 'snapshot')
    assert.deepEqual(got.entries, want.entries, 'entries')
    this.compareView()
  }
}

describe('FileStorage vs MemoryStorage (property)', () => {
  it('agree on every outcome and on what a reopen recovers', (t) => {
    const out = fc.check(
      fc.property(fc.integer({min: 40, max: 600}), fc.array(anyOp, {minLength: 1, maxLength: 40}), (segmentBytes, ops) => {
        const run = new Run(tempDir(t, 'raftctl-prop-'), segmentBytes)
        try {
          for (const op of ops) run.step(op)
          run.reopen()
        } finally {
          run.file.close()
        }
      }),
      {numRuns: Number(process.env.STORAGE_PROP_RUNS ?? 150)},
    )
    if (out.failed) assert.fail(`${fc.defaultReportMessage(out)}\n${out.errorInstance instanceof Error ? out.errorInstance.stack : String(out.errorInstance)}`)
  })
})
