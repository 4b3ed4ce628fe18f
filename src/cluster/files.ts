/**
 * Files of a local cluster that must appear whole or not at all: a lock holder's record, a
 * secret. Written to a private temporary name, then hard-linked into place, so a concurrent
 * reader never sees a partial file and, of two concurrent creators, exactly one wins.
 */
import {randomBytes} from 'node:crypto'
import {chmodSync, linkSync, rmSync, writeFileSync} from 'node:fs'

/**
 * Create `file` with `text` as its whole content and `mode`, atomically. Returns false (and
 * changes nothing) when `file` already exists; other errors are thrown.
 */
export function createWhole(file: string, text: string, mode = 0o600): boolean {
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
  writeFileSync(tmp, text, {mode})
  try {
    chmodSync(tmp, mode) // writeFileSync's mode is masked by the umask
    linkSync(tmp, file)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw err
  } finally {
    rmSync(tmp, {force: true})
  }
}
