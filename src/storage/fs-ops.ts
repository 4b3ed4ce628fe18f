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
  /** Write `length` bytes of `buffer` from `offset` at file `position`; returns bytes written. */
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number
  readFileSync(path: string): Buffer
  fdatasyncSync(fd: number): void
  /** fdatasync in libuv's thread pool; `cb` gets null or the error. */
  fdatasync(fd: number, cb: (err: NodeJS.ErrnoException | null) => void): void
  fsyncSync(fd: number): void
  ftruncateSync(fd: number, length: number): void
  renameSync(from: string, to: string): void
  unlinkSync(path: string): void
  readdirSync(path: string): string[]
  mkdirSync(path: string, options: {recursive: true}): void
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
  ftruncateSync: (fd, length) => fs.ftruncateSync(fd, length),
  renameSync: (from, to) => fs.renameSync(from, to),
  unlinkSync: (path) => fs.unlinkSync(path),
  readdirSync: (path) => fs.readdirSync(path),
  mkdirSync: (path, options) => {
    fs.mkdirSync(path, options)
  },
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

/** fsync a directory so that file creations, renames and deletions in it are durable. */
export function fsyncDir(ops: FsOps, dir: string): void {
  const fd = ops.openSync(dir, 'r')
  try {
    ops.fsyncSync(fd)
  } finally {
    ops.closeSync(fd)
  }
}
