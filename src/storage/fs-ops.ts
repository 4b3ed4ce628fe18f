/**
 * The file-system calls storage makes (synchronous, but for the background fdatasync), as a small interface: production code uses
 * {@link nodeFs}; tests pass a wrapper that injects faults (ENOSPC on the n-th write, a failing
 * fdatasync, …) and counts syncs.
 */
import * as fs from 'node:fs'
import {mark, tracing} from '../trace/latency.js'

/** The subset of node:fs (sync API) that storage uses. Semantics are node:fs's. */
export interface FsOps {
  openSync(path: string, flags: string): number
  closeSync(fd: number): void
  /** Write `length` bytes of `buffer` from `offset` at file `position`; returns bytes written. Keeps no reference to `buffer` (FileStorage reuses it). */
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number
  readFileSync(path: string): Buffer
  fdatasyncSync(fd: number): void
  /** fdatasync in libuv's thread pool; `cb` gets null or the error. */
  fdatasync(fd: number, cb: (err: NodeJS.ErrnoException | null) => void): void
  fsyncSync(fd: number): void
  /**
   * Optional: write in libuv's thread pool (`cb` gets the error or the bytes written). Without
   * it, background writers call `writeSync` from a later turn of the event loop.
   */
  write?(fd: number, buffer: Uint8Array, offset: number, length: number, position: number, cb: (err: NodeJS.ErrnoException | null, written: number) => void): void
  /** Optional: fsync in libuv's thread pool. Without it, background writers call `fsyncSync`. */
  fsync?(fd: number, cb: (err: NodeJS.ErrnoException | null) => void): void
  ftruncateSync(fd: number, length: number): void
  renameSync(from: string, to: string): void
  unlinkSync(path: string): void
  /** Optional: unlink in libuv's thread pool. Without it, background deleters call `unlinkSync`. */
  unlink?(path: string, cb: (err: NodeJS.ErrnoException | null) => void): void
  readdirSync(path: string): string[]
  mkdirSync(path: string, options: {recursive: true}): void
  /** Optional: the size of a file in bytes (recovery's progress figures; without it, none are given). */
  sizeSync?(path: string): number
}

function tracedFdatasyncSync(fd: number): void {
  mark('disk.sync.start')
  fs.fdatasyncSync(fd)
  mark('disk.sync.end')
}

function tracedFdatasync(fd: number, cb: (err: NodeJS.ErrnoException | null) => void): void {
  mark('disk.async.start')
  fs.fdatasync(fd, (err) => {
    mark('disk.async.end')
    cb(err)
  })
}

/** The real node:fs (fdatasyncs marked when latency tracing is on: src/trace/latency.ts). */
export const nodeFs: FsOps = {
  openSync: (path, flags) => fs.openSync(path, flags),
  closeSync: (fd) => fs.closeSync(fd),
  writeSync: (fd, buffer, offset, length, position) => fs.writeSync(fd, buffer, offset, length, position),
  readFileSync: (path) => fs.readFileSync(path),
  fdatasyncSync: tracing ? tracedFdatasyncSync : (fd) => fs.fdatasyncSync(fd),
  fdatasync: tracing ? tracedFdatasync : (fd, cb) => fs.fdatasync(fd, cb),
  fsyncSync: (fd) => fs.fsyncSync(fd),
  write: (fd, buffer, offset, length, position, cb) => fs.write(fd, buffer, offset, length, position, cb),
  fsync: (fd, cb) => fs.fsync(fd, cb),
  ftruncateSync: (fd, length) => fs.ftruncateSync(fd, length),
  renameSync: (from, to) => fs.renameSync(from, to),
  unlinkSync: (path) => fs.unlinkSync(path),
  unlink: (path, cb) => fs.unlink(path, cb),
  readdirSync: (path) => fs.readdirSync(path),
  mkdirSync: (path, options) => {
    fs.mkdirSync(path, options)
  },
  sizeSync: (path) => fs.statSync(path).size,
}

/** Write all of `buffer` at `position`, looping over short writes. */
export function writeFully(ops: FsOps, fd: number, buffer: Uint8Array, position: number): void {
  let done = 0
  while (done < buffer.length) {
    const n = ops.writeSync(fd, buffer, done, buffer.length - done, position + done)
    if (n <= 0) throw Object.assign(new Error('write returned 0 bytes'), {code: 'EIO'})
    done += n
  }
}

/** Error-first callback of the background helpers below. */
export type Done = (err: NodeJS.ErrnoException | null) => void

/** Write all of `buffer` at `position` in the background (thread pool when `ops.write` exists), looping over short writes. */
export function writeFullyAsync(ops: FsOps, fd: number, buffer: Uint8Array, position: number, done: Done): void {
  const from = (at: number): void => {
    if (at >= buffer.length) return done(null)
    const next = (err: NodeJS.ErrnoException | null, n: number): void => {
      if (err) return done(err)
      if (n <= 0) return done(Object.assign(new Error('write returned 0 bytes'), {code: 'EIO'}))
      from(at + n)
    }
    if (ops.write) return ops.write(fd, buffer, at, buffer.length - at, position + at, next)
    setImmediate(() => {
      let n: number
      try {
        n = ops.writeSync(fd, buffer, at, buffer.length - at, position + at)
      } catch (err) {
        return done(err as NodeJS.ErrnoException)
      }
      next(null, n)
    })
  }
  from(0)
}

/** Run `pooled` when the ops offer it (libuv's thread pool), else `sync` from a later turn of the event loop; `done` gets the error or null. */
function inBackground(pooled: ((cb: Done) => void) | undefined, sync: () => void, done: Done): void {
  if (pooled) return pooled(done)
  setImmediate(() => {
    try {
      sync()
    } catch (err) {
      return done(err as NodeJS.ErrnoException)
    }
    done(null)
  })
}

/** fsync `fd` in the background (thread pool when `ops.fsync` exists). */
export function fsyncAsync(ops: FsOps, fd: number, done: Done): void {
  inBackground(ops.fsync && ((cb) => ops.fsync!(fd, cb)), () => ops.fsyncSync(fd), done)
}

/** Delete `path` in the background (thread pool when `ops.unlink` exists). */
export function unlinkAsync(ops: FsOps, path: string, done: Done): void {
  inBackground(ops.unlink && ((cb) => ops.unlink!(path, cb)), () => ops.unlinkSync(path), done)
}

/** fsync a directory in the background, so that file creations, renames and deletions in it are durable. */
export function fsyncDirAsync(ops: FsOps, dir: string, done: Done): void {
  let fd: number
  try {
    fd = ops.openSync(dir, 'r')
  } catch (err) {
    return done(err as NodeJS.ErrnoException)
  }
  fsyncAsync(ops, fd, (err) => {
    try {
      ops.closeSync(fd)
    } catch (closeErr) {
      err ??= closeErr as NodeJS.ErrnoException
    }
    done(err)
  })
}

/** fsync a directory so that file creations, renames and deletions in it are durable. */
export function fsyncDir(ops: FsOps, dir: string): void {
  const fd = ops.openSync(dir, 'r')
  try {
    ops.fsyncSync(fd)
  } finally {
    ops.closeSync(fd)
  }
}
