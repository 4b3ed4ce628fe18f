/**
 * `--background N` (src/bench/background.ts): N spinning processes really run and really use
 * CPU, and `stop()` ends every one of them by pid; bad counts are refused before anything starts.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {setTimeout as sleep} from 'node:timers/promises'
import {MAX_BACKGROUND_CORES, startBackground} from '../../src/bench/background.js'

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
const cpuTicks = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return Number(fields[11]) + Number(fields[12])
}

test('two spinners run, use CPU, and are all gone after stop', async () => {
  const load = startBackground(2)
  try {
    assert.equal(load.cores, 2)
    assert.equal(load.pids.length, 2)
    for (const pid of load.pids) assert.ok(alive(pid))
    // They spin: each gains CPU ticks (waits until it does; no wall-clock window asserted).
    for (const pid of load.pids) {
      const start = cpuTicks(pid)
      while (cpuTicks(pid) <= start) await sleep(20)
    }
  } finally {
    await load.stop()
  }
  for (const pid of load.pids) assert.ok(!alive(pid), `spinner ${pid} still running`)
  await load.stop() // a second stop is harmless
})

test('zero starts nothing; bad counts are refused', async () => {
  const none = startBackground(0)
  assert.deepEqual(none.pids, [])
  await none.stop()
  for (const bad of [-1, 1.5, MAX_BACKGROUND_CORES + 1, Number.NaN]) assert.throws(() => startBackground(bad), RangeError)
})
