/**
 * Reading a daemon's log file for `raftctl node logs`: the last N lines (read backwards in
 * chunks, so a large log costs little), following appended lines (polling; a truncated or
 * replaced file is read again from its start), and a readable one-line form of the daemon's
 * JSON log records (pino: level, time, msg, fields).
 */
import {open, stat} from 'node:fs/promises'
import {styles} from './render.js'

const CHUNK = 64 * 1024

/** The last `n` complete lines of `file` and the file's size (where following starts). */
export async function lastLines(file: string, n: number): Promise<{lines: string[]; size: number}> {
  const handle = await open(file, 'r')
  try {
    const {size} = await handle.stat()
    if (n <= 0) return {lines: [], size}
    let pos = size
    let text = ''
    let newlines = 0
    while (pos > 0 && newlines <= n) {
      const len = Math.min(CHUNK, pos)
      pos -= len
      const buf = Buffer.alloc(len)
      await handle.read(buf, 0, len, pos)
      const chunk = buf.toString('latin1')
      for (const c of chunk) if (c === '\n') newlines++
      text = chunk + text
    }
    const lines = Buffer.from(text, 'latin1').toString('utf8').split('\n')
    if (lines.at(-1) === '') lines.pop()
    return {lines: lines.slice(-n), size}
  } finally {
    await handle.close()
  }
}

/**
 * Call `onLines` with every complete line appended to `file` after `offset`, polling every
 * `intervalMs`, until `stop` settles. A file that shrank is read again from its start.
 */
export async function followLines(file: string, offset: number, onLines: (lines: string[]) => void, stop: Promise<void>, intervalMs = 200): Promise<void> {
  let pos = offset
  let partial = ''
  let stopped = false
  void stop.then(() => (stopped = true))
  while (!stopped) {
    const size = await stat(file).then((s) => s.size, () => -1)
    if (size >= 0 && size < pos) {
      pos = 0
      partial = ''
    }
    if (size > pos) {
      const handle = await open(file, 'r')
      try {
        const buf = Buffer.alloc(size - pos)
        const {bytesRead} = await handle.read(buf, 0, buf.length, pos)
        pos += bytesRead
        const text = partial + buf.subarray(0, bytesRead).toString('utf8')
        const lines = text.split('\n')
        partial = lines.pop() ?? ''
        if (lines.length > 0) onLines(lines)
      } finally {
        await handle.close()
      }
    }
    let timer: NodeJS.Timeout | undefined
    await Promise.race([new Promise<void>((r) => (timer = setTimeout(r, intervalMs))), stop])
    clearTimeout(timer)
  }
}

const LEVELS: Record<number, string> = {10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL'}
const HIDDEN = new Set(['level', 'time', 'msg', 'node', 'pid', 'hostname', 'v'])

/**
 * A JSON log record as `HH:MM:SS.mmm LEVEL message key=value …` (fields `node`, `pid` left
 * out: the command names the node). Lines that are not JSON records come back unchanged.
 */
export function formatLogLine(line: string, color = false): string {
  if (!line.startsWith('{')) return line
  let record: Record<string, unknown>
  try {
    record = JSON.parse(line) as Record<string, unknown>
  } catch {
    return line
  }
  if (typeof record !== 'object' || record === null) return line
  const s = styles(color)
  const time = typeof record.time === 'string' ? record.time.slice(11, 23) : typeof record.time === 'number' ? new Date(record.time).toISOString().slice(11, 23) : ''
  const level = LEVELS[record.level as number] ?? String(record.level ?? '')
  const paint = level === 'WARN' ? s.yellow : level === 'ERROR' || level === 'FATAL' ? s.red : level === 'DEBUG' || level === 'TRACE' ? s.dim : (x: string) => x
  const fields = Object.entries(record)
    .filter(([k]) => !HIDDEN.has(k))
    .map(([k, v]) => `${k}=${typeof v === "string" && v !== "" && !/[\s"]/.test(v) ? v : JSON.stringify(v)}`)
  return [s.dim(time), paint(level.padEnd(5)), String(record.msg ?? ''), ...(fields.length ? [s.dim(fields.join(' '))] : [])].filter((x) => x !== '').join(' ')
}
