/**
 * A child process for test/cluster/lock.test.ts: takes the lock FILE (argv[2]) as COMMAND
 * (argv[3]) waiting WAIT ms (argv[4]) — with `on-go` (argv[5]), only once stdin says `go`, so
 * that several children try at the same moment — prints one JSON line (`{"acquired": true,
 * "pid"}` or `{"acquired": false, "pid", "code", "message"}`), then holds the lock until stdin
 * says `exit` (process.exit: the exit handler releases it) or the process is killed (a stale
 * lock remains).
 */
import {createInterface} from 'node:readline'
import {acquireLock} from '../../src/cluster/lock.js'

const [file, command, wait, mode] = process.argv.slice(2)
const lines = createInterface({input: process.stdin})[Symbol.asyncIterator]()
if (mode === 'on-go') {
  process.stdout.write('ready\n')
  while ((await lines.next()).value?.trim() !== 'go') { /* wait for the start signal */ }
}
try {
  await acquireLock(file!, {command, waitMs: Number(wait ?? 0)})
  process.stdout.write(`${JSON.stringify({acquired: true, pid: process.pid})}\n`)
} catch (err) {
  const e = err as Error & {code?: string}
  process.stdout.write(`${JSON.stringify({acquired: false, pid: process.pid, code: e.code, message: e.message})}\n`)
}
for (;;) {
  const next = await lines.next()
  if (next.done || next.value.trim() === 'exit') process.exit(0)
}
