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
import {readFileSync, readdirSync} from 'node:fs'
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
 * Packages that @oclif/core requires when it loads but uses only on some paths (command discovery
 * without a manifest, help, error formatting, spinners): each is evaluated on first use instead.
 */
const LAZY_IN_OCLIF = ['tinyglobby', 'minimatch', 'ejs', 'lilconfig', 'cli-spinners', 'clean-stack', 'wrap-ansi', 'widest-line', 'indent-string', 'string-width']

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
      // A module object whose module is evaluated at its first property access.
      'const __raftctlLazy = (load) => { let m; const get = () => (m ??= load()); return new Proxy({}, {get: (_, k) => get()[k], has: (_, k) => k in get()}) }',
    ].join('\n'),
  },
  plugins: [keepMetaUrl, lazyOclifRequires],
  sourcemap: true,
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
})
