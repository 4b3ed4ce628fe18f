/**
 * Shared test helpers. For @oclif/test's runCommand under node:test, await `beforeCommand()`
 * before each runCommand and reset the exit code after each test (see TOOLCHAIN.md).
 */
import {setImmediate as tick} from 'node:timers/promises'
import {mkdtempSync} from 'node:fs'
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

/** A fresh temporary directory under the OS temp folder. */
export function tempDir(prefix = 'raftctl-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}
