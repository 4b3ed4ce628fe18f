/**
 * Preloaded by `npm run test:unit` (scripts/run-tests.mjs --unit): inside a test file's process
 * (Node sets NODE_TEST_CONTEXT there, not in the runner that spawns the files), every
 * node:child_process function throws, so a file in the unit set that starts a process fails at
 * once and says how to fix it: name it `*.int.test.ts` (docs/testing.md).
 */
import {createRequire, syncBuiltinESMExports} from 'node:module'

const SPAWNERS = ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork']

if (process.env.NODE_TEST_CONTEXT) {
  const childProcess = createRequire(import.meta.url)('node:child_process')
  for (const name of SPAWNERS) {
    childProcess[name] = () => {
      throw new Error(`child_process.${name}: unit tests start no process; a test file that does is named *.int.test.ts (docs/testing.md)`)
    }
  }
  // Named ESM imports (`import {spawn} from 'node:child_process'`) see the replacements too.
  syncBuiltinESMExports()
}
