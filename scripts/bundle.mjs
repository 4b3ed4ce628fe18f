#!/usr/bin/env node
/**
 * The last step of `npm run build`: bundles what a raftctl process loads (the entry point
 * dist/cli/execute.js, every command module under dist/commands, the command_not_found hook) with
 * esbuild, in place, so that a command loads a handful of files instead of ~200 (@oclif/core
 * alone is ~120 CommonJS modules: resolving and reading them was most of the start-up cost;
 * docs/performance.md "CLI start-up"). The entry files keep their paths, so oclif, its manifest
 * and bin/run.js find them where tsc put them; code they share goes to dist/chunks/. Everything
 * else in dist/ (the daemon's entry, spawned as its own process) stays tsc's output.
 *
 * `import.meta.url` in a bundled file is rewritten to the URL its original file had (computed
 * from the package root at run time), so paths relative to a source file (bin/run.js, the
 * daemon's entry, the dashboard's static files) still resolve wherever the code lands.
 *
 * Usage: node scripts/bundle.mjs [DIST]   (default: dist, next to this script's folder)
 */
import {createHash} from 'node:crypto'
import {copyFileSync, readFileSync, readdirSync, realpathSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname, join, relative, resolve, sep} from 'node:path'
import {fileURLToPath} from 'node:url'
import {build} from 'esbuild'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const dist = resolve(process.argv[2] ?? join(root, 'dist'))

/**
 * Packages left to Node's own resolution: loaded lazily (only by the few commands that prompt,
 * draw tables or spinners), or only by the daemon (pino's transports resolve files by path),
 * or optional native add-ons of ws. oclif's TypeScript support is never used by the built CLI.
 */
const EXTERNAL = [
  '@inquirer/prompts', 'cli-table3', 'ora', 'pino', 'prom-client',
  'bufferutil', 'utf-8-validate', 'typescript', 'ts-node', 'tsx',
]

/**
 * Packages (and Node modules) that @oclif/core requires when it loads but uses only on some paths
 * (command discovery without a manifest, help, error formatting, spinners, performance marks):
 * each is evaluated on first use instead.
 */
const LAZY_IN_OCLIF = [
  'tinyglobby', 'minimatch', 'ejs', 'lilconfig', 'cli-spinners', 'clean-stack', 'wrap-ansi', 'widest-line', 'indent-string', 'string-width',
  // Node modules only some paths use: performance marks (OCLIF_PERFORMANCE), WSL detection,
  // reading a flag's value from stdin (the parser's readStdin).
  'node:perf_hooks', 'node:child_process', 'node:readline',
]

/** `const x_1 = require("pkg");` (or `var`), or `const x_1 = __importDefault(require("pkg"));`, at the top of a compiled module. */
const TOP_REQUIRE = /^(?:const|var) (\w+) = ((?:__importDefault\()?require\("([^"]+)"\)\)?);$/gm

/**
 * Rewrites @oclif/core's top-level requires of {@link LAZY_IN_OCLIF} and of its own modules
 * (`require("./help")`) into lazy modules (`__raftctlLazy`): oclif's index and config require
 * help, ux, parser and the rest at load, while a command run touches only some of them.
 */
const lazyOclifRequires = {
  name: 'lazy-oclif-requires',
  setup(b) {
    b.onLoad({filter: /[\\/]@oclif[\\/]core[\\/]lib[\\/].*\.js$/}, (args) => {
      const text = readFileSync(args.path, 'utf8')
      const contents = text.replace(TOP_REQUIRE, (line, name, expr, pkg) =>
        LAZY_IN_OCLIF.includes(pkg) || pkg.startsWith('.') ? `const ${name} = __raftctlLazy(() => ${expr});` : line)
      return contents === text ? undefined : {contents, loader: 'js'}
    })
  },
}

/**
 * Node modules that ws requires when it loads but a client of a ws:// URL never uses: TLS and
 * HTTPS (wss:// only) and zlib (permessage-deflate, which raftctl's connections do not offer).
 * Each is evaluated on first use instead: about 30 of Node's own modules less to load for a
 * command that speaks to nodes without TLS.
 */
const LAZY_IN_WS = ['https', 'tls', 'zlib']

/** `const https = require('https');` at the top of one of ws's modules. */
const WS_TOP_REQUIRE = /^const (\w+) = require\('([^']+)'\);$/gm

/** Rewrites ws's top-level requires of {@link LAZY_IN_WS} into lazy modules (`__raftctlLazy`). */
const lazyWsRequires = {
  name: 'lazy-ws-requires',
  setup(b) {
    b.onLoad({filter: /[\\/]ws[\\/]lib[\\/][^\\/]+\.js$/}, (args) => {
      const text = readFileSync(args.path, 'utf8')
      const contents = text.replace(WS_TOP_REQUIRE, (line, name, pkg) => (LAZY_IN_WS.includes(pkg) ? `const ${name} = __raftctlLazy(() => require('${pkg}'));` : line))
      return contents === text ? undefined : {contents, loader: 'js'}
    })
  },
}

/** The entry file of package `name` as Node resolves it from here (the hoisted copy, which oclif uses). */
function packagePath(name) {
  return fileURLToPath(import.meta.resolve(name))
}

/**
 * oclif's Config asks `(await import('wsl-utils')).isWsl` at every load (util/os.js, getPlatform),
 * and wsl-utils loads child_process, fs/promises and powershell-utils to answer it. In the fast
 * bundle that import from oclif gets a small module with the same answer (is-wsl, which wsl-utils
 * itself uses) and the same `powerShellPath` (the real wsl-utils', loaded when called: only on
 * Windows).
 */
const wslLite = {
  name: 'wsl-lite',
  setup(b) {
    b.onResolve({filter: /^wsl-utils$/}, (args) =>
      args.namespace === 'file' && /[\\/]@oclif[\\/]core[\\/]lib[\\/]util[\\/]os\.js$/.test(args.importer) ? {path: `${args.importer}#wsl-lite`, namespace: 'wsl-lite'} : undefined)
    b.onLoad({filter: /.*/, namespace: 'wsl-lite'}, (args) => ({
      // The real wsl-utils by its path (the copy oclif's import finds: the hoisted one).
      contents: `export {default as isWsl} from 'is-wsl'\nexport const powerShellPath = async () => (await import(${JSON.stringify(packagePath('wsl-utils'))})).powerShellPath()`,
      resolveDir: dirname(args.path),
      loader: 'js',
    }))
  },
}

/**
 * oclif's logger makes its loggers with `debug` at every start, and `debug` loads tty (and with
 * it net and streams), supports-color and stderr to decide on colours, for loggers that print
 * only when DEBUG names them. In the fast bundle oclif's logger gets the real `debug` when DEBUG
 * is set (the only thing that enables a `debug` logger in Node), and otherwise disabled loggers.
 */
const debugWhenAsked = {
  name: 'debug-when-asked',
  setup(b) {
    b.onResolve({filter: /^debug$/}, (args) =>
      args.namespace === 'file' && /[\\/]@oclif[\\/]core[\\/]lib[\\/]logger\.js$/.test(args.importer) ? {path: `${args.importer}#debug-when-asked`, namespace: 'debug-when-asked'} : undefined)
    b.onLoad({filter: /.*/, namespace: 'debug-when-asked'}, (args) => ({
      contents: [
        "const disabled = (namespace) => Object.assign(() => {}, {enabled: false, namespace, extend: (sub, delimiter = ':') => disabled(`${namespace}${delimiter}${sub}`)})",
        `module.exports = process.env.DEBUG ? require(${JSON.stringify(packagePath('debug'))}) : disabled`,
      ].join('\n'),
      resolveDir: dirname(args.path),
      loader: 'js',
    }))
  },
}

/** A module object whose module is evaluated at its first property access (used by {@link lazyOclifRequires}). */
const LAZY_HELPER = 'const __raftctlLazy = (load) => { let m; const get = () => (m ??= load()); return new Proxy({}, {get: (_, k) => get()[k], has: (_, k) => k in get()}) }'

/**
 * In the CommonJS fast bundle, `import('ora')` of a package left outside becomes a require() of a
 * small module. esbuild's interop for an importer that is an ES module (Node mode) makes
 * `default` the whole `module.exports`, so for an ES module package (a namespace object) that
 * module exports the package's default export when it has one (ora: `const {default: ora} =
 * await import('ora')`), else a copy of the namespace (`const {confirm} = await
 * import('@inquirer/prompts')`); a CommonJS package (cli-table3) is exported as it is. (The named
 * exports of an ES module package that also has a default are not reachable this way: raftctl
 * uses none.)
 */
const esmByRequire = {
  name: 'esm-by-require',
  setup(b) {
    const filter = new RegExp(`^(${EXTERNAL.map((p) => p.replace(/[/.]/g, '\\$&')).join('|')})$`)
    b.onResolve({filter}, (args) => (args.kind === 'dynamic-import' ? {path: args.path, namespace: 'esm-by-require'} : undefined))
    b.onLoad({filter: /.*/, namespace: 'esm-by-require'}, (args) => ({
      contents: `const m = require(${JSON.stringify(args.path)})\nmodule.exports = m?.[Symbol.toStringTag] !== 'Module' ? m : 'default' in m ? m.default : {...m}`,
      loader: 'js',
    }))
  },
}

/** Every .js file under `dir`, recursively. */
function jsFiles(dir) {
  return readdirSync(dir, {withFileTypes: true}).flatMap((e) => {
    const p = join(dir, e.name)
    if (e.isDirectory()) return jsFiles(p)
    return e.name.endsWith('.js') ? [p] : []
  })
}

const entryPoints = [join(dist, 'cli', 'execute.js'), join(dist, 'cli', 'usage.js'), ...jsFiles(join(dist, 'commands'))]

/**
 * The package root as a file URL, from the URL of whichever output file runs this: every output
 * is under DIST, whose parent is the package root.
 */
const ROOT_URL = `import.meta.url.slice(0, import.meta.url.lastIndexOf('/${relative(root, dist).split(sep).join('/')}/') + 1)`

/** Rewrites `import.meta.url` in our own files to the URL the file had before bundling. */
const keepMetaUrl = {
  name: 'keep-import-meta-url',
  setup(b) {
    b.onLoad({filter: /\.js$/}, (args) => {
      if (!args.path.startsWith(dist + sep)) return undefined
      const text = readFileSync(args.path, 'utf8')
      if (!text.includes('import.meta.url')) return undefined
      const rel = relative(root, args.path).split(sep).join('/')
      return {contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, __raftctlRoot).href`), loader: 'js'}
    })
  },
}

/** oclif's command id of a command module (`commands/kv/put.js` → `kv:put`, `commands/check/index.js` → `check`). */
function commandId(file) {
  return relative(join(dist, 'commands'), file).split(sep).join('/').replace(/\.js$/, '').replace(/(^|\/)index$/, '').replaceAll('/', ':')
}

/**
 * The commands a shell loop runs, each also bundled alone with src/cli/hot.ts (no oclif Config):
 * dist/cli/hot/ID.cjs (`kv:put` → kv-put.cjs). Every other command line takes dist/cli/fast.cjs.
 */
const HOT_COMMANDS = ['status', 'leader', 'kv:put', 'kv:get', 'kv:delete', 'kv:cas', 'kv:append']

/** esbuild options shared by the CommonJS bundles loaded through the code cache (fast.cjs, hot/*.cjs). */
function cachedBundleOptions(entry, outfile, extraPlugins = []) {
  return {
    stdin: {contents: entry, resolveDir: join(dist, 'cli'), sourcefile: 'fast-entry.js', loader: 'js'},
    outfile,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    supported: {'dynamic-import': false},
    external: EXTERNAL,
    // import.meta.url of a package's ES module (ours are rewritten by keepMetaUrl): the bundle's URL.
    define: {'import.meta.url': '__raftctlBundleUrl'},
    banner: {
      js: [
        "const __raftctlBundleUrl = require('node:url').pathToFileURL(__filename).href",
        `const __raftctlRoot = require('node:url').pathToFileURL(require('node:path').resolve(__dirname, ${JSON.stringify(relative(dirname(outfile), root).split(sep).join('/'))}) + '/').href`,
        LAZY_HELPER,
      ].join('\n'),
    },
    plugins: [...extraPlugins, esmByRequire, keepMetaUrl, lazyOclifRequires, lazyWsRequires, wslLite, debugWhenAsked],
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: 'warning',
  }
}

/** @oclif/core's lib folder (the hoisted copy, which the bundles use). */
const OCLIF_LIB = dirname(realpathSync(packagePath('@oclif/core')))

/**
 * Parts of @oclif/core a hot command never runs (src/cli/hot.ts: no Config, no help, no plugin
 * or module loading, no `run`), by path under its lib folder: the Command class requires the
 * Config and oclif's error handler the help classes, for paths a hot command does not take
 * (`Command.run` and help shown after an error, which raftctl's commands never ask for).
 */
const NOT_HOT_IN_OCLIF = ['config/index.js', 'help/index.js', 'main.js', 'execute.js', 'module-loader.js', 'index.js']

/**
 * For the hot bundles only: raftctl's `import {…} from '@oclif/core'` gets the pieces it uses
 * from their own modules (oclif's index requires every module, the Config and help included),
 * and oclif's requires of {@link NOT_HOT_IN_OCLIF} get a module that throws, naming itself,
 * when used: about 300 KB less to read and to keep in the code cache. `run` is never called
 * (src/cli/hot.ts passes its own to executeCli).
 */
const oclifForHot = {
  name: 'oclif-for-hot',
  setup(b) {
    b.onResolve({filter: /^@oclif\/core$/}, (args) => (args.importer.startsWith(dist + sep) ? {path: 'oclif-core', namespace: 'oclif-for-hot'} : undefined))
    b.onResolve({filter: /^\.\.?\//}, (args) => {
      if (!args.importer.startsWith(OCLIF_LIB + sep)) return undefined
      const target = relative(OCLIF_LIB, createRequire(args.importer).resolve(args.path)).split(sep).join('/')
      return NOT_HOT_IN_OCLIF.includes(target) ? {path: target, namespace: 'oclif-not-hot'} : undefined
    })
    b.onLoad({filter: /.*/, namespace: 'oclif-for-hot'}, () => ({
      contents: [
        `export {Command} from ${JSON.stringify(join(OCLIF_LIB, 'command.js'))}`,
        `export * as Args from ${JSON.stringify(join(OCLIF_LIB, 'args.js'))}`,
        `export * as Flags from ${JSON.stringify(join(OCLIF_LIB, 'flags.js'))}`,
        `export * as Errors from ${JSON.stringify(join(OCLIF_LIB, 'errors', 'index.js'))}`,
        `export {handle} from ${JSON.stringify(join(OCLIF_LIB, 'errors', 'handle.js'))}`,
        `export {settings} from ${JSON.stringify(join(OCLIF_LIB, 'settings.js'))}`,
        `export {ux} from ${JSON.stringify(join(OCLIF_LIB, 'ux', 'index.js'))}`,
        "export function run() { throw new Error('oclif\\'s run is not in a hot bundle (src/cli/hot.ts)') }",
      ].join('\n'),
      resolveDir: OCLIF_LIB,
      loader: 'js',
    }))
    b.onLoad({filter: /.*/, namespace: 'oclif-not-hot'}, (args) => ({
      contents: `module.exports = new Proxy({}, {get: (_, k) => { if (k === '__esModule' || typeof k === 'symbol') return undefined; throw new Error(${JSON.stringify(`@oclif/core/lib/${args.path} is not in a hot bundle (src/cli/hot.ts): `)} + String(k)) }})`,
      loader: 'js',
    }))
  },
}

/** `./x/y.js` from dist/cli to `file`. */
function fromCli(file) {
  return `./${relative(join(dist, 'cli'), file).split(sep).join('/')}`
}

/**
 * The start-up fast path's bundles (src/cli/fast.ts and src/cli/hot.ts, loaded by
 * src/cli/fast-start.ts with a V8 code cache), built from tsc's output before the in-place
 * bundling below replaces it:
 * - dist/cli/fast.cjs, one CommonJS file holding oclif, every command module (each evaluated only
 *   when its command runs) and what they import;
 * - dist/cli/hot/ID.cjs for each of {@link HOT_COMMANDS}: that command alone, run without oclif's
 *   Config, so it reads and compiles a fraction of fast.cjs;
 * - dist/cli/fast.json naming them, with a hash of their content (part of every cache file's name).
 * Dynamic imports of packages left outside (ora, prompts, tables) become require() calls: the
 * fast path runs only on a Node whose require() loads ES modules.
 */
async function buildFastBundle() {
  const files = jsFiles(join(dist, 'commands'))
  const modules = files.map((f) => `  ${JSON.stringify(commandId(f))}: () => import(${JSON.stringify(fromCli(f))}),`)
  const entry = [
    "import {main as runFast} from './fast.js'",
    `const commands = {\n${modules.join('\n')}\n}`,
    'export function main(options) { return runFast({...options, commands}) }',
  ].join('\n')
  const outputs = [join(dist, 'cli', 'fast.cjs')]
  await build(cachedBundleOptions(entry, outputs[0]))
  const hot = {}
  for (const id of HOT_COMMANDS) {
    const file = files.find((f) => commandId(f) === id)
    if (file === undefined) throw new Error(`bundle: hot command ${id} has no module under ${join(dist, 'commands')}`)
    const subcommands = files.map(commandId).filter((other) => other.startsWith(`${id}:`))
    const hotEntry = [
      "import {main as runHot} from './hot.js'",
      `import command from ${JSON.stringify(fromCli(file))}`,
      `export function main(options) { return runHot({...options, id: ${JSON.stringify(id)}, command, subcommands: ${JSON.stringify(subcommands)}}) }`,
    ].join('\n')
    const name = `hot/${id.replaceAll(':', '-')}.cjs`
    hot[id.replaceAll(':', '-')] = name
    outputs.push(join(dist, 'cli', name))
    await build(cachedBundleOptions(hotEntry, outputs.at(-1), [oclifForHot]))
  }
  const hash = createHash('sha256')
  for (const file of outputs) hash.update(readFileSync(file))
  writeFileSync(join(dist, 'cli', 'fast.json'), `${JSON.stringify({file: 'fast.cjs', hash: hash.digest('hex').slice(0, 16), hot})}\n`)
  // Its loader, as CommonJS too: bin/run.js requires it, so that no ES module imports node:fs
  // (the ES facade of node:fs reads every export, loading its streams).
  await build({
    entryPoints: [join(dist, 'cli', 'fast-start.js')],
    outfile: join(dist, 'cli', 'fast-start.cjs'),
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
  })
}

/**
 * The daemon's entry (src/daemon/entry.ts), bundled in place from tsc's output into one ES module
 * with ws and raftctl's ~100 modules inside; pino and prom-client (and ws's optional add-ons)
 * stay packages Node loads (pino's transports resolve files by path). A daemon then compiles one
 * file instead of linking ~120 ES modules: idle, each daemon holds about 5 MiB less (V8 heap
 * and malloc; docs/performance.md "Memory"). Built first, so that it reads tsc's output only.
 * Function names are kept (no identifier minifying): CPU profiles of daemons still name them.
 * tsc's entry stays as dist/daemon/entry-modules.js (the same daemon, one file per module), which
 * `npm run bench:profile` runs so that its time by module still names raftctl's modules.
 */
async function buildDaemonBundle() {
  const entry = join(dist, 'daemon', 'entry.js')
  copyFileSync(entry, join(dist, 'daemon', 'entry-modules.js'))
  await build({
    entryPoints: [entry],
    outfile: entry,
    allowOverwrite: true,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: EXTERNAL,
    banner: {
      js: [
        "import {createRequire as __raftctlCreateRequire} from 'node:module'",
        'const require = __raftctlCreateRequire(import.meta.url)',
        `const __raftctlRoot = ${ROOT_URL}`,
      ].join('\n'),
    },
    plugins: [keepMetaUrl],
    sourcemap: true,
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: 'warning',
  })
}

await buildDaemonBundle()
await buildFastBundle()

await build({
  entryPoints,
  outdir: dist,
  outbase: dist,
  allowOverwrite: true,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  external: EXTERNAL,
  // CommonJS packages (oclif) call require() and read __dirname: give every output file both.
  banner: {
    js: [
      "import {createRequire as __raftctlCreateRequire} from 'node:module'",
      "import {dirname as __raftctlDirname} from 'node:path'",
      "import {fileURLToPath as __raftctlFileURLToPath} from 'node:url'",
      'const require = __raftctlCreateRequire(import.meta.url)',
      'const __filename = __raftctlFileURLToPath(import.meta.url)',
      'const __dirname = __raftctlDirname(__filename)',
      `const __raftctlRoot = ${ROOT_URL}`,
      LAZY_HELPER,
    ].join('\n'),
  },
  plugins: [keepMetaUrl, lazyOclifRequires],
  sourcemap: true,
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
})
