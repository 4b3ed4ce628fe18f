/**
 * Latency trace marks, for `npm run bench:latency` (where one write's time goes).
 *
 * Off unless the environment variable RAFTCTL_LATENCY_TRACE names a folder when this module is
 * loaded: then every {@link mark} keeps a label, an optional size and `process.hrtime.bigint()`
 * in memory, and the process writes them at exit to `<folder>/<pid>.trace`, one mark a line
 * (`label size nanoseconds`). The monotonic clock is the machine's, so the marks of the client
 * and of every daemon on one machine line up. Call sites test {@link tracing} first, so a
 * process that does not trace pays one boolean test per site.
 */
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

/** Environment variable naming the folder the traces go to. */
export const LATENCY_TRACE_ENV = 'RAFTCTL_LATENCY_TRACE'

/** Marks kept at most per process (about 40 MB); later marks are dropped and counted. */
export const MAX_MARKS = 1_000_000

/** The labels marked, one per event on a write's path. */
export type MarkLabel =
  | 'client.send' | 'client.recv'
  | 'server.request' | 'server.answer'
  | 'peer.send' | 'peer.recv'
  | 'disk.sync.start' | 'disk.sync.end' | 'disk.async.start' | 'disk.async.end'

const folder = process.env[LATENCY_TRACE_ENV] ?? ''

/** True when this process traces (RAFTCTL_LATENCY_TRACE was set when the module loaded). */
export const tracing: boolean = folder !== ''

const labels: MarkLabel[] = []
const sizes: number[] = []
const times: bigint[] = []
let dropped = 0

/** Record `label` now, with `size` (bytes of a frame, or 0). Call only when {@link tracing}. */
export function mark(label: MarkLabel, size = 0): void {
  if (labels.length >= MAX_MARKS) {
    dropped++
    return
  }
  labels.push(label)
  sizes.push(size)
  times.push(process.hrtime.bigint())
}

/** This process's marks so far, in the `.trace` file format (`label size nanoseconds` per line). */
export function traceSnapshot(): string {
  const lines: string[] = []
  for (let i = 0; i < labels.length; i++) lines.push(`${labels[i]} ${sizes[i]} ${times[i]}`)
  if (dropped > 0) lines.push(`dropped ${dropped} 0`)
  return lines.join('\n') + '\n'
}

function writeMarks(): void {
  try {
    mkdirSync(folder, {recursive: true})
    writeFileSync(join(folder, `${process.pid}.trace`), traceSnapshot())
  } catch (err) {
    process.stderr.write(`latency trace not written: ${(err as Error).message}\n`)
  }
}

if (tracing) process.on('exit', writeMarks)
