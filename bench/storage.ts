/**
 * Micro benchmark of FileStorage: saves/s and entries/s for batches of 1, 16 and 256 entries
 * of 100 bytes, each save one fdatasync (group commit). Also prints syncMode 'none' as a
 * reference for the cost of the sync itself.
 *
 *   node --import tsx bench/storage.ts [--seconds 2] [--dir /path/on/the/disk/to/measure]
 *
 * Figures depend entirely on the disk: measure on the disk the daemon will use (--dir).
 */
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parseArgs} from 'node:util'
import type {Entry} from '../src/raft/types.js'
import {FileStorage, type SyncMode} from '../src/storage/index.js'

const ENTRY_BYTES = 100
const BATCH_SIZES = [1, 16, 256]

interface Result {
  readonly syncMode: SyncMode
  readonly batch: number
  readonly saves: number
  readonly seconds: number
  readonly savesPerSec: number
  readonly entriesPerSec: number
  readonly mibPerSec: number
  readonly usPerSave: number
}

function batchAt(first: number, size: number, data: Uint8Array): Entry[] {
  return Array.from({length: size}, (_, k) => ({index: first + k, term: 1, type: 'normal' as const, data}))
}

function run(base: string, syncMode: SyncMode, batch: number, seconds: number): Result {
  const dir = mkdtempSync(join(base, `b${batch}-`))
  const s = new FileStorage({dir, syncMode})
  s.load()
  const data = new Uint8Array(ENTRY_BYTES).fill(97)
  let next = 1
  let saves = 0
  const start = process.hrtime.bigint()
  const deadline = start + BigInt(Math.round(seconds * 1e9))
  let now = start
  while (now < deadline) {
    s.save({entries: batchAt(next, batch, data), hardState: {term: 1, vote: 'n1', commit: next - 1}})
    next += batch
    saves++
    if (saves % 8 === 0 || batch >= 16) now = process.hrtime.bigint()
  }
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9
  s.close()
  rmSync(dir, {recursive: true, force: true})
  const entries = saves * batch
  return {
    syncMode, batch, saves, seconds: elapsed,
    savesPerSec: saves / elapsed,
    entriesPerSec: entries / elapsed,
    mibPerSec: (entries * ENTRY_BYTES) / elapsed / (1 << 20),
    usPerSave: (elapsed / saves) * 1e6,
  }
}

function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1)
}

function main(): void {
  const {values} = parseArgs({options: {seconds: {type: 'string', default: '2'}, dir: {type: 'string'}, json: {type: 'boolean', default: false}}})
  const seconds = Number(values.seconds)
  const base = mkdtempSync(join(values.dir ?? tmpdir(), 'raftctl-bench-storage-'))
  const results: Result[] = []
  try {
    for (const syncMode of ['fdatasync', 'none'] as const) {
      for (const batch of BATCH_SIZES) results.push(run(base, syncMode, batch, seconds))
    }
  } finally {
    rmSync(base, {recursive: true, force: true})
  }
  if (values.json) {
    console.log(JSON.stringify({entryBytes: ENTRY_BYTES, results}, null, 2))
    return
  }
  console.log(`FileStorage, ${ENTRY_BYTES}-byte entries, ${seconds}s per row, dir ${values.dir ?? tmpdir()}`)
  console.log('sync       batch    saves/s    entries/s    MiB/s   µs/save')
  for (const r of results) {
    console.log(`${r.syncMode.padEnd(10)} ${String(r.batch).padStart(5)} ${fmt(r.savesPerSec).padStart(10)} ${fmt(r.entriesPerSec).padStart(12)} ${fmt(r.mibPerSec).padStart(8)} ${fmt(r.usPerSave).padStart(9)}`)
  }
}

main()
