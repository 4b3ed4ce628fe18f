/**
 * The daemon entry spawned daemons run (DAEMON_ENTRY, dist/daemon/entry.js) is one bundled ES
 * module (scripts/bundle.mjs): it loads none of raftctl's modules as files of their own (linking
 * ~120 modules cost each idle daemon about 5 MiB, issue 23), and behaves like tsc's unbundled
 * entry (DAEMON_MODULES_ENTRY, which `bench:profile` runs). Needs `npm run build`.
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {isBuiltin} from 'node:module'
import {test} from 'node:test'
import {DAEMON_ENTRY, DAEMON_MODULES_ENTRY} from '../../src/cluster/processes.js'

/** Packages the bundle leaves to Node (scripts/bundle.mjs EXTERNAL, as the daemon uses them). */
const EXTERNAL = new Set(['pino', 'prom-client', 'bufferutil', 'utf-8-validate'])

/** Statements and calls that load a module in an ES module or its CommonJS parts (`__require` is esbuild's). */
const LOADS = [
  /(?:^|[;}])\s*import\s*(?:[\w$*{}\s,]+?\s*from\s*)?["']([^"']+)["']/gm,
  /(?:^|[;}])\s*export\s*(?:[\w$*{}\s,]+?\s*)from\s*["']([^"']+)["']/gm,
  /(?<![\w$.])(?:__)?require\(\s*["']([^"']+)["']\s*\)/g,
  /(?<![\w$.])import\(\s*["']([^"']+)["']\s*\)/g,
]

/** Every module specifier `source` loads (static and dynamic imports, re-exports, require() calls). */
function specifiers(source: string): string[] {
  return [...new Set(LOADS.flatMap((pattern) => [...source.matchAll(pattern)].map((m) => m[1]!)))]
}

test('the daemon entry is one file: only Node modules and the external packages are loaded from it', () => {
  const imported = specifiers(readFileSync(DAEMON_ENTRY, 'utf8'))
  assert.ok(imported.length > 0, 'no import found: the pattern no longer matches the bundle')
  const other = imported.filter((s) => !isBuiltin(s) && !EXTERNAL.has(s))
  assert.deepEqual(other, [], `the bundled daemon entry loads modules by path: ${other.join(', ')}`)
  // tsc's entry, by contrast, imports raftctl's modules: the check above can tell them apart.
  assert.ok(specifiers(readFileSync(DAEMON_MODULES_ENTRY, 'utf8')).some((s) => s.startsWith('./')))
})

for (const argv of [['node', 'run', '--id', 'n1'], ['node', 'run', '--id', 'n1', '--no-such-flag', 'x'], ['status']]) {
  test(`the bundled and the unbundled entry answer "${argv.join(' ')}" alike`, () => {
    const run = (entry: string) => spawnSync(process.execPath, [entry, ...argv], {encoding: 'utf8', timeout: 60_000})
    const bundled = run(DAEMON_ENTRY)
    const modules = run(DAEMON_MODULES_ENTRY)
    assert.match(bundled.stderr, /^Error \[[A-Z_]+\]: /)
    assert.notEqual(bundled.status, 0)
    assert.deepEqual({status: bundled.status, stderr: bundled.stderr}, {status: modules.status, stderr: modules.stderr})
  })
}
