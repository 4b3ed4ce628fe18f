#!/usr/bin/env node
/**
 * The test runner behind `npm test`, `npm run test:only`, `test:unit` and `test:integration`:
 * runs test files under Node's own test runner with TMPDIR set to a fresh folder, then lists
 * whatever the tests left in it and fails when anything is there (tests must remove every temp
 * dir and file they create), and removes the folder either way.
 *
 * Which files: `--unit` runs the files that start no process (every `*.test.ts` not named
 * `*.int.test.ts`), `--integration` the `*.int.test.ts` files (real daemons, CLI spawns,
 * clusters, openssl, tmux, chromium), neither runs both; file arguments run just those files.
 * Under `--unit`, `scripts/no-child-processes.mjs` makes every child_process call throw, so a
 * unit file that starts a process fails, naming the convention (docs/testing.md).
 *
 * Node's own output (every test line and the closing `# tests … # pass … # fail …` summary) goes
 * straight through; the leftover report comes after it, on stderr.
 */
import {spawn} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {availableParallelism, tmpdir} from 'node:os'
import {join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'

/** The repository root (this file is in scripts/). */
const ROOT = fileURLToPath(new URL('..', import.meta.url))

/**
 * Test files run in a process of their own, one at a time when the run may start daemons (they
 * need the CPU, and the machine is shared). Unit files start no process, hold no fixed port or
 * path and assert no wall-clock window, so they run one per core: half of a unit run's time is
 * the start-up of each file's process.
 */
const TEST_CONCURRENCY = 1
const UNIT_TEST_CONCURRENCY = availableParallelism()

/**
 * tsx keeps its compile cache in `$TMPDIR/tsx-<euid>`: a tool's cache, not a test's leftover. The
 * fresh TMPDIR gets a link of that name to the usual cache (so files are not compiled anew on
 * every run), and the link is not reported.
 */
const TSX_CACHE = `tsx-${process.geteuid ? process.geteuid() : 'user'}`

/** Suffix of the files that start processes (docs/testing.md). */
export const INTEGRATION_SUFFIX = '.int.test.ts'

/** Every `*.test.ts` under `dir`, sorted, as paths relative to the root. */
function findTests(dir) {
  const out = []
  for (const entry of readdirSync(dir, {withFileTypes: true})) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...findTests(path))
    else if (entry.name.endsWith('.test.ts')) out.push(relative(ROOT, path))
  }
  return out.sort()
}

/** The files a set names: `unit`, `integration` or `all`. */
function select(set) {
  const all = findTests(join(ROOT, 'test'))
  if (set === 'unit') return all.filter((f) => !f.endsWith(INTEGRATION_SUFFIX))
  if (set === 'integration') return all.filter((f) => f.endsWith(INTEGRATION_SUFFIX))
  return all
}

/** Parse argv: an optional `--unit` / `--integration`, then file paths (which replace the set's files; `--unit` still forbids processes). */
function parseArgs(argv) {
  let set = 'all'
  const files = []
  for (const arg of argv) {
    if (arg === '--unit') set = 'unit'
    else if (arg === '--integration') set = 'integration'
    else if (arg.startsWith('--')) throw new Error(`unknown option ${arg} (use --unit, --integration or file paths)`)
    else files.push(arg)
  }
  return {set, files: files.length > 0 ? files : select(set)}
}

/**
 * Each entry left in `dir`, with what it is and (for folders) a few of its files, so that a
 * leftover names the test that made it (its prefix) and what it held.
 */
export function describeLeftovers(dir, ignore = []) {
  return readdirSync(dir).filter((name) => !ignore.includes(name)).sort().map((name) => {
    const path = join(dir, name)
    let st
    try {
      st = statSync(path)
    } catch {
      return `${name} (vanished while listed)`
    }
    if (!st.isDirectory()) return `${name} (file, ${st.size} bytes)`
    const inside = readdirSync(path)
    const shown = inside.slice(0, 5).join(', ')
    return `${name}/ (folder: ${inside.length} entries${inside.length > 0 ? `: ${shown}${inside.length > 5 ? ', …' : ''}` : ''})`
  })
}

/** Link `tmp/tsx-<euid>` to tsx's cache in the outer temp dir (created if missing). */
function shareTsxCache(tmp) {
  const cache = join(tmpdir(), TSX_CACHE)
  mkdirSync(cache, {recursive: true, mode: 0o700})
  symlinkSync(cache, join(tmp, TSX_CACHE))
}

/** Run node's test runner over `files` with TMPDIR = `tmp`; resolves with its exit code. */
function runNodeTests(files, tmp, unit) {
  const guard = unit ? ['--import', join(ROOT, 'scripts/no-child-processes.mjs')] : []
  const concurrency = unit ? UNIT_TEST_CONCURRENCY : TEST_CONCURRENCY
  const args = ['--import', 'tsx', ...guard, '--test', `--test-concurrency=${concurrency}`, ...files]
  // A run of its own even when started from inside a test file (NODE_TEST_CONTEXT would make it report to that file's runner).
  const {NODE_TEST_CONTEXT: _inherited, ...env} = process.env
  const child = spawn(process.execPath, args, {cwd: ROOT, stdio: 'inherit', env: {...env, TMPDIR: tmp}})
  // Ctrl-C reaches the child through the terminal's process group; a TERM sent to this runner alone is passed on.
  const forward = (signal) => child.kill(signal)
  process.on('SIGINT', () => {})
  process.on('SIGTERM', forward)
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))))
}

/** Prefix of the runner's own temp folder. */
const RUN_PREFIX = 'raftctl-tests-'
/** File in that folder holding the runner's pid, so a later run can tell the folder was abandoned. */
const OWNER_FILE = 'runner.pid'

/** True while a process with this pid exists (EPERM: it exists, owned by someone else). */
function isAlive(pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return error.code === 'EPERM'
  }
}

/**
 * Remove the temp folders of earlier runs whose runner is gone (killed with SIGKILL, e.g. when a
 * session or CI job ends, it could not run its own clean-up). A folder without a pid file, or
 * whose runner still runs, is left alone. Returns the names removed.
 */
export function removeAbandonedRuns(dir = tmpdir()) {
  const removed = []
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(RUN_PREFIX)) continue
    let pid
    try {
      pid = Number(readFileSync(join(dir, name, OWNER_FILE), 'utf8'))
    } catch {
      continue
    }
    if (!Number.isInteger(pid) || pid <= 0 || isAlive(pid)) continue
    rmSync(join(dir, name), {recursive: true, force: true})
    removed.push(name)
  }
  return removed
}

async function main() {
  const {set, files} = parseArgs(process.argv.slice(2))
  if (files.length === 0) {
    console.error(`no test files in the ${set} set`)
    return 1
  }
  for (const name of removeAbandonedRuns()) console.error(`removed ${join(tmpdir(), name)}, left by an earlier run that was killed`)
  const tmp = mkdtempSync(join(tmpdir(), RUN_PREFIX))
  let code
  try {
    writeFileSync(join(tmp, OWNER_FILE), String(process.pid))
    shareTsxCache(tmp)
    code = await runNodeTests(files, tmp, set === 'unit')
    const left = describeLeftovers(tmp, [TSX_CACHE, OWNER_FILE])
    if (left.length > 0) {
      console.error(`\nThe tests left ${left.length} entr${left.length === 1 ? 'y' : 'ies'} in the temp directory (each test must remove what it creates):`)
      for (const line of left) console.error(`  ${line}`)
      if (code === 0) code = 1
    }
  } finally {
    rmSync(tmp, {recursive: true, force: true})
  }
  return code
}

// Run only as a program, not when imported (describeLeftovers is exported for reuse).
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main()
}
