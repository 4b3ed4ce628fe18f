/**
 * The malloc settings spawned daemons get (src/cluster/processes.ts DAEMON_ENV): a large value
 * passes through several buffers of its size per write (socket reads, the request frame, the WAL
 * batch, each peer's append), so blocks of a value's size must be reused, not `mmap`ed afresh
 * (a fresh mapping costs one page fault per 4 KiB written; with the former 64 KiB threshold a
 * 256 KiB buffer cost about 160 µs of CPU instead of 30, issue 23). Counted in page faults,
 * not time: a node started with DAEMON_ENV allocates, fills and frees 100 buffers of 256 KiB
 * (each freed at the top of the heap: the case the trim threshold decides), and blocks up to the
 * largest value (1 MiB) are never `mmap`ed.
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {test} from 'node:test'
import {DAEMON_ENV, DAEMON_MMAP_THRESHOLD_BYTES} from '../../src/cluster/processes.js'
import {DEFAULT_KV_LIMITS} from '../../src/kv/index.js'

const ROUNDS = 100
const PAGE = 4096

/** Allocate, fill and drop `ROUNDS` buffers of `bytes` (a GC after each frees it); print the minor page faults that took. */
const CHILD = `
const bytes = Number(process.argv[1])
for (let i = 0; i < 5; i++) { Buffer.allocUnsafe(bytes).fill(i); globalThis.gc() }
const before = process.resourceUsage().minorPageFault
for (let i = 0; i < ${ROUNDS}; i++) { Buffer.allocUnsafe(bytes).fill(i); globalThis.gc() }
console.log(process.resourceUsage().minorPageFault - before)
`

function faultsPerBuffer(bytes: number): number {
  const run = spawnSync(process.execPath, ['--expose-gc', '-e', CHILD, String(bytes)], {env: {...process.env, ...DAEMON_ENV}, encoding: 'utf8'})
  assert.equal(run.status, 0, run.stderr)
  return Number(run.stdout.trim()) / ROUNDS
}

test('the mmap threshold is above the largest value', () => {
  assert.ok(DAEMON_MMAP_THRESHOLD_BYTES > DEFAULT_KV_LIMITS.maxValueBytes, `${DAEMON_MMAP_THRESHOLD_BYTES} <= ${DEFAULT_KV_LIMITS.maxValueBytes}`)
})

for (const bytes of [256 * 1024]) {
  test(`a daemon reuses freed ${bytes / 1024} KiB buffers instead of mapping fresh pages for each`, () => {
    const pages = bytes / PAGE
    const faults = faultsPerBuffer(bytes)
    // A fresh mapping faults on every page written; a reused block on (almost) none.
    assert.ok(faults < pages / 4, `${faults} page faults per ${bytes}-byte buffer (${pages} pages): each buffer is mapped afresh`)
  })
}
