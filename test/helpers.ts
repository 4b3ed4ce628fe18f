/**
 * Shared test helpers. For @oclif/test's runCommand under node:test, await `beforeCommand()`
 * before each runCommand and reset the exit code after each test (see TOOLCHAIN.md).
 */
import {setImmediate as tick} from 'node:timers/promises'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {connect, type Socket} from 'node:net'

/** Await before each runCommand so reporter events are not lost or captured. */
export async function beforeCommand(): Promise<void> {
  await tick()
}

/** Call in afterEach: a command that failed on purpose must not fail the test file. */
export function resetExitCode(): void {
  process.exitCode = undefined
}

/** A fresh temporary directory under the OS temp folder; the caller removes it (see {@link testTempDir}). */
export function tempDir(prefix = 'raftctl-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

/**
 * A fresh temporary directory removed when test `t` ends, passed or failed: `npm test` fails on
 * anything left in the temp directory (scripts/run-tests.mjs).
 */
export function testTempDir(t: {after: (fn: () => void) => void}, prefix = 'raftctl-test-'): string {
  const dir = tempDir(prefix)
  t.after(() => rmSync(dir, {recursive: true, force: true}))
  return dir
}

/** Connections a half-open flood test opens (issue: ~1,000 once filled every slot), this many at a time. */
export const FLOOD_CONNECTIONS = 2000
export const FLOOD_BATCH = 200

/**
 * Open one TCP connection to 127.0.0.1:`port` that sends part of a request's headers and never
 * finishes them (an unauthenticated, half-sent request), recorded in `sockets` for the caller
 * to destroy. Resolves once written, or once the server closed or refused it.
 */
export function openHalfSent(port: number, sockets: Socket[]): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect({host: '127.0.0.1', port})
    sockets.push(socket)
    socket.on('error', () => resolve())
    socket.once('close', () => resolve())
    socket.once('connect', () => socket.write('GET /admin HTTP/1.1\r\nHost: 127.0.0.1\r\n', () => resolve()))
  })
}
