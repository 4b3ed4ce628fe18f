/**
 * Shared test helpers. For @oclif/test's runCommand under node:test, await `beforeCommand()`
 * before each runCommand and reset the exit code after each test (see TOOLCHAIN.md).
 */
import {setImmediate as tick} from 'node:timers/promises'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

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
