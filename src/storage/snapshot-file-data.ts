/**
 * SnapshotFileData: the data of a durable snapshot file, as the node keeps them (a handle, not
 * the bytes): the Raft core holds it as the snapshot's opaque data; the transport and
 * `snapshot save` read it in pieces in libuv's thread pool (`SnapshotSource`).
 */
import {close, open, read} from 'node:fs'
import type {SnapshotDataReader, SnapshotSource} from '../replica/snapshot-data.js'

/** A snapshot's data as bytes [offset, offset + byteLength) of a snapshot file (never rewritten: a newer snapshot is another file). */
export class SnapshotFileData implements SnapshotSource {
  /**
   * @param path the snapshot file
   * @param offset where the data start in the file
   * @param byteLength size of the data
   */
  constructor(readonly path: string, readonly offset: number, readonly byteLength: number) {}

  /** {@inheritDoc SnapshotSource.openReader} */
  openReader(done: (err: Error | null, reader: SnapshotDataReader | null) => void): void {
    open(this.path, 'r', (err, fd) => (err ? done(err, null) : done(null, fileReader(this, fd))))
  }

  /** {@inheritDoc SnapshotSource.describe} */
  describe(): string {
    return `file ${this.path}`
  }
}

function fileReader(data: SnapshotFileData, fd: number): SnapshotDataReader {
  let isOpen = true
  return {
    byteLength: data.byteLength,
    read(at, length, done, into) {
      if (!isOpen) return done(new Error('snapshot reader is closed'), null)
      if (at < 0 || at + length > data.byteLength) return done(new RangeError(`read [${at}, ${at + length}) is outside the snapshot's ${data.byteLength} bytes`), null)
      if (into !== undefined && into.length < length) return done(new RangeError(`a buffer of ${into.length} bytes cannot take ${length}`), null)
      const target = into === undefined ? Buffer.allocUnsafe(length) : Buffer.from(into.buffer, into.byteOffset, length)
      readAll(fd, target, data.offset + at, 0, done)
    },
    close() {
      if (!isOpen) return
      isOpen = false
      close(fd, () => {})
    },
  }
}

/** Fill `buf` from `fd` at `position` (a short read continues; the end of the file first is an error: the file was cut). */
function readAll(fd: number, buf: Buffer, position: number, filled: number, done: (err: Error | null, bytes: Uint8Array | null) => void): void {
  if (filled === buf.length) return done(null, buf)
  read(fd, buf, filled, buf.length - filled, position + filled, (err, n) => {
    if (err) return done(err, null)
    if (n === 0) return done(new Error(`snapshot file ended ${buf.length - filled} bytes early`), null)
    readAll(fd, buf, position, filled + n, done)
  })
}
