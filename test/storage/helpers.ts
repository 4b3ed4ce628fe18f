/**
 * Helpers for storage tests: entry and snapshot factories, a recording logger, and a
 * fault-injecting FsOps (ENOSPC on the n-th write, failing fdatasync, sync counting).
 */
import {cpSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {Entry, Snapshot} from '../../src/raft/types.js'
import {nodeFs, type FsOps} from '../../src/storage/fs-ops.js'
import type {StorageLogLevel} from '../../src/storage/types.js'

const enc = new TextEncoder()

/** A normal entry whose data names it. */
export function entry(index: number, term: number, payload = `e${index}t${term}`): Entry {
  return {index, term, type: 'normal', data: enc.encode(payload)}
}

/** Consecutive entries `[from, to]` of one term. */
export function entries(from: number, to: number, term: number): Entry[] {
  const out: Entry[] = []
  for (let i = from; i <= to; i++) out.push(entry(i, term))
  return out
}

/** A snapshot with small recognisable data. */
export function snapshot(index: number, term: number, data = `snap${index}`): Snapshot {
  return {meta: {index, term, conf: {voters: ['n1', 'n2', 'n3'], learners: ['n4']}}, data: enc.encode(data)}
}

/** `index@term` strings, for readable assertions. */
export function ids(list: readonly Entry[]): string[] {
  return list.map((e) => `${e.index}@${e.term}`)
}

/** A temp dir removed by the returned cleanup. */
export function tempDir(t: {after: (fn: () => void) => void}, prefix = 'raftctl-storage-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.after(() => rmSync(dir, {recursive: true, force: true}))
  return dir
}

/** Copy a storage directory (to try several damages on the same original). */
export function copyDir(from: string, to: string): void {
  cpSync(from, to, {recursive: true})
}

/** A logger that records lines. */
export function recordingLogger(): {lines: Array<{level: StorageLogLevel; msg: string; fields?: Record<string, unknown>}>; log: (level: StorageLogLevel, msg: string, fields?: Record<string, unknown>) => void} {
  const lines: Array<{level: StorageLogLevel; msg: string; fields?: Record<string, unknown>}> = []
  return {lines, log: (level, msg, fields) => lines.push({level, msg, fields})}
}

/** An errno-style error as node:fs throws. */
export function errno(code: string): Error {
  return Object.assign(new Error(`${code}: injected`), {code})
}

type FaultOp = 'write' | 'fdatasync' | 'fsync' | 'open' | 'ftruncate' | 'unlink' | 'rename'

interface Fault {
  op: FaultOp
  code: string
  skip: number
  /** For writes: write half of the bytes before failing (a partial write). */
  partial: boolean
}

/** node:fs with injectable failures and call counters. */
export class FaultFs implements FsOps {
  readonly counts: Record<string, number> = {}
  #faults: Fault[] = []

  /** Make the (skip+1)-th next call of `op` throw errno `code`. */
  failOn(op: FaultOp, code: string, options: {skip?: number; partial?: boolean} = {}): void {
    this.#faults.push({op, code, skip: options.skip ?? 0, partial: options.partial ?? false})
  }

  /** Drop pending faults. */
  heal(): void {
    this.#faults = []
  }

  get pending(): number {
    return this.#faults.length
  }

  #hit(op: FaultOp): Fault | undefined {
    this.counts[op] = (this.counts[op] ?? 0) + 1
    const k = this.#faults.findIndex((f) => f.op === op)
    if (k < 0) return undefined
    const f = this.#faults[k]
    if (f.skip > 0) {
      f.skip--
      return undefined
    }
    this.#faults.splice(k, 1)
    return f
  }

  #check(op: FaultOp): void {
    const f = this.#hit(op)
    if (f) throw errno(f.code)
  }

  openSync(path: string, flags: string): number {
    this.#check('open')
    return nodeFs.openSync(path, flags)
  }
  closeSync(fd: number): void {
    nodeFs.closeSync(fd)
  }
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number {
    const f = this.#hit('write')
    if (f) {
      if (f.partial && length > 1) nodeFs.writeSync(fd, buffer, offset, Math.floor(length / 2), position)
      throw errno(f.code)
    }
    return nodeFs.writeSync(fd, buffer, offset, length, position)
  }
  readFileSync(path: string): Buffer {
    return nodeFs.readFileSync(path)
  }
  fdatasyncSync(fd: number): void {
    this.#check('fdatasync')
    nodeFs.fdatasyncSync(fd)
  }
  fdatasync(fd: number, cb: (err: NodeJS.ErrnoException | null) => void): void {
    const f = this.#hit('fdatasync')
    if (f) return void setImmediate(() => cb(errno(f.code)))
    nodeFs.fdatasync(fd, cb)
  }
  fsyncSync(fd: number): void {
    this.#check('fsync')
    nodeFs.fsyncSync(fd)
  }
  ftruncateSync(fd: number, length: number): void {
    this.#check('ftruncate')
    nodeFs.ftruncateSync(fd, length)
  }
  renameSync(from: string, to: string): void {
    this.#check('rename')
    nodeFs.renameSync(from, to)
  }
  unlinkSync(path: string): void {
    this.#check('unlink')
    nodeFs.unlinkSync(path)
  }
  readdirSync(path: string): string[] {
    return nodeFs.readdirSync(path)
  }
  mkdirSync(path: string, options: {recursive: true}): void {
    nodeFs.mkdirSync(path, options)
  }
}
