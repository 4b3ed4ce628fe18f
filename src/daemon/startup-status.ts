/**
 * Writes the daemon's start-up status file (format: src/common/startup-status.ts) at each step
 * of a start, atomically (temp file + rename, so a reader never sees a partial one), so that
 * `raftctl node start` can show how far a recovering daemon got and keep waiting while it moves.
 */
import {renameSync, rmSync, writeFileSync} from 'node:fs'
import type {StartupPhase, StartupStatus} from '../common/startup-status.js'

/** Reports start-up steps to a status file; without a file, does nothing. */
export class StartupReporter {
  #last = ''

  constructor(private readonly file: string | undefined) {}

  /** Enter `phase` (with `percent` done); a repeat of the last report writes nothing. */
  report(phase: StartupPhase, percent?: number): void {
    const key = `${phase} ${percent ?? ''}`
    if (key === this.#last) return
    this.#last = key
    this.#write({pid: process.pid, phase, ...(percent === undefined ? {} : {percent}), at: new Date().toISOString()})
  }

  /** The start failed with `code` / `error`. */
  fail(code: string, error: string): void {
    this.#write({pid: process.pid, phase: 'failed', code, error, at: new Date().toISOString()})
  }

  /** Remove the file (a clean exit). */
  remove(): void {
    if (this.file) rmSync(this.file, {force: true})
  }

  #write(status: StartupStatus): void {
    if (!this.file) return
    const tmp = `${this.file}.${process.pid}.tmp`
    try {
      writeFileSync(tmp, `${JSON.stringify(status)}\n`)
      renameSync(tmp, this.file)
    } catch {
      // Best effort: a status file that cannot be written (a full disk) must not stop the start;
      // the CLI then falls back to the daemon's exit and log line.
      try {
        rmSync(tmp, {force: true})
      } catch {
        // nothing more to do
      }
    }
  }
}
