/**
 * What bin/run.js tries first (docs/performance.md "CLI start-up"): for one of raftctl's own
 * commands or `--version` (src/cli/own-command.ts), load dist/cli/fast.cjs (oclif, the command
 * modules and their libraries in one CommonJS bundle, src/cli/fast.ts) through `vm.Script` with a
 * V8 code cache, so that Node neither resolves ~20 ES modules nor parses ~1 MB of JavaScript at
 * each start. The cache is one file per command line kind (`status`, `kv-put`) under
 * RAFTCTL_HOME/.cache, written at the end of the first run (atomically: a temporary file renamed),
 * named after the bundle's content hash, Node's version and the architecture, so a rebuilt bundle
 * or another Node never reads a stale one; V8 also refuses a cache that does not match its source.
 * RAFTCTL_CODE_CACHE=0 turns the cache off; the bundle is still used.
 *
 * Everything else (help, plugins' commands, unknown commands, Node without require(esm), which
 * the bundle needs for packages it imports lazily such as ora) returns false: bin/run.js then
 * runs oclif's whole path (src/cli/execute.ts).
 */
import {mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {homedir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {Script} from 'node:vm'
import {ownCommandWords, readPackageJson} from './own-command.js'

/** dist/cli/fast.json, written by scripts/bundle.mjs next to the bundle. */
interface FastBundleInfo {
  /** The bundle's file name in dist/cli. */
  readonly file: string
  /** A hash of the content of every bundle it names: part of every cache file's name. */
  readonly hash: string
  /**
   * The hot commands' own bundles in dist/cli (src/cli/hot.ts), by the words of the command
   * joined with `-` (`kv-put` → `hot/kv-put.cjs`).
   */
  readonly hot: Readonly<Record<string, string>>
}

/** What dist/cli/fast.cjs exports (its generated entry, scripts/bundle.mjs). */
interface FastBundle {
  main(options: {dir: string; argv: readonly string[]}): Promise<boolean>
}

/** Prefix of the cache files in the cache folder. */
const CACHE_PREFIX = 'cli-'

/**
 * Run `argv` through the fast bundle when it applies: resolves true once the command has run
 * (its exit code set as executeCli sets it), false when the caller must run oclif's whole path.
 * `dir` is the bin script's URL.
 */
export async function startFast(dir: string, argv: readonly string[] = process.argv.slice(2)): Promise<boolean> {
  if ((process.features as {require_module?: boolean}).require_module !== true) return false
  const root = dirname(dirname(fileURLToPath(dir)))
  const pjson = readPackageJson(root)
  const words = pjson === undefined ? undefined : ownCommandWords(root, pjson, argv)
  if (pjson === undefined || words === undefined) return false
  const info = bundleInfo(join(root, 'dist', 'cli'))
  if (info === undefined) return false
  const folder = cacheFolder()
  const prefix = `${CACHE_PREFIX}${info.hash}-`
  const key = words.join('-')
  const hot = Object.hasOwn(info.hot, key) ? info.hot[key] : undefined
  // A hot command's own bundle first; a command line it declines (src/cli/hot.ts) takes fast.cjs.
  if (hot !== undefined && (await loadBundle(join(root, 'dist', 'cli', hot), folder, prefix, `hot-${key}`).main({dir, argv}))) return true
  return loadBundle(join(root, 'dist', 'cli', info.file), folder, prefix, key).main({dir, argv})
}

function bundleInfo(folder: string): FastBundleInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(join(folder, 'fast.json'), 'utf8')) as Partial<FastBundleInfo>
    if (typeof info.file !== 'string' || typeof info.hash !== 'string') return undefined
    const hot = typeof info.hot === 'object' && info.hot !== null ? info.hot : {}
    return {file: info.file, hash: info.hash, hot}
  } catch {
    return undefined
  }
}

/**
 * RAFTCTL_HOME/.cache (not a cluster folder: those hold a manifest), or undefined (no cache) when
 * RAFTCTL_CODE_CACHE=0 or RAFTCTL_HOME does not exist yet: a cache never creates the home.
 */
function cacheFolder(): string | undefined {
  if (process.env.RAFTCTL_CODE_CACHE === '0') return undefined
  const home = process.env.RAFTCTL_HOME || join(homedir(), '.raftctl')
  try {
    return statSync(home).isDirectory() ? join(home, '.cache') : undefined
  } catch {
    return undefined
  }
}

/**
 * Evaluate the CommonJS bundle `file` as Node's loader would (same wrapper arguments), compiled
 * with the cache file of `key` when there is one. Without one, or when V8 refused it, a new one is
 * written as the process exits with code 0 (when the code the command runs has been compiled),
 * and the cache files of other bundles (other `prefix`) are removed.
 */
function loadBundle(file: string, folder: string | undefined, prefix: string, key: string): FastBundle {
  const cacheFile = folder === undefined ? undefined : join(folder, `${prefix}${process.version}-${process.arch}-${key}.v8`)
  let cachedData: Buffer | undefined
  try {
    if (cacheFile !== undefined) cachedData = checkedCache(readFileSync(cacheFile))
  } catch {
    // no cache yet
  }
  const source = readFileSync(file, 'utf8')
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {filename: file, cachedData})
  const module = {exports: {} as FastBundle}
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void
  wrapper.call(module.exports, module.exports, createRequire(file), module, file, dirname(file))
  if (folder !== undefined && cacheFile !== undefined && (cachedData === undefined || script.cachedDataRejected === true)) {
    // Only a run that succeeded: an early usage error compiles too little of the command's code.
    process.once('exit', (code) => code === 0 && saveCache(script, folder, prefix, cacheFile))
  }
  return module.exports
}

/** Write `script`'s code cache to `cacheFile` (via a temporary file); remove other bundles' caches. Failures are ignored: a cache is optional. */
function saveCache(script: Script, folder: string, prefix: string, cacheFile: string): void {
  let temporary: string | undefined
  try {
    mkdirSync(folder, {recursive: true})
    for (const name of readdirSync(folder)) {
      // Other bundles' caches, and temporary files a failed write left behind (a writer racing
      // this one loses its rename, harmlessly).
      if (name.startsWith(CACHE_PREFIX) && (!name.startsWith(prefix) || name.endsWith('.tmp'))) rmSync(join(folder, name), {force: true})
    }
    temporary = `${cacheFile}.${process.pid}.tmp`
    const data = script.createCachedData()
    writeFileSync(temporary, Buffer.concat([checksum(data), data]))
    renameSync(temporary, cacheFile)
  } catch {
    // read-only or full disk: the next run compiles again
    if (temporary !== undefined) rmSync(temporary, {force: true})
  }
}

/** Bytes of the checksum in front of a cache file's V8 data: a SHA-1 digest. */
const CACHE_CHECKSUM_BYTES = 20

/**
 * The V8 data of a cache file, or undefined when its checksum does not match. V8 checks a cache's
 * header and length but not its contents: a flipped byte inside (a bad sector, a torn copy) was
 * accepted and crashed every later run of that command (a fatal error or a segfault), and the
 * cache, rewritten only after a successful run, was never replaced. A mismatch now counts as no
 * cache, so the run compiles and writes a good one.
 */
function checkedCache(file: Buffer): Buffer | undefined {
  if (file.length <= CACHE_CHECKSUM_BYTES) return undefined
  const data = file.subarray(CACHE_CHECKSUM_BYTES)
  return checksum(data).equals(file.subarray(0, CACHE_CHECKSUM_BYTES)) ? data : undefined
}

/**
 * SHA-1 of `data` (about 0.2 ms for a 400 KB cache). node:crypto, not zlib's faster CRC-32:
 * every command that speaks to nodes loads crypto anyway (ws, the KV client's session id), while
 * loading zlib only for the checksum cost about 2 ms of each start.
 */
function checksum(data: Uint8Array): Buffer {
  // A builtin resolves from any path: this loader is CommonJS or ESM, so no `require` of its own.
  const crypto = createRequire(process.execPath)('node:crypto') as typeof import('node:crypto')
  return crypto.createHash('sha1').update(data).digest()
}
