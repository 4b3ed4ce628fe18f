/**
 * The core must stay deterministic and free of I/O (DESIGN.md §1): no clock, no timers, no
 * Math.random, no process, no node:* imports, no async. This scans the source text of
 * src/raft/**\/*.ts and fails naming every file and line that uses a forbidden token.
 * Tokens are matched in code only: comments and the contents of string literals are blanked
 * first (an error message may say "entries await commit"); import specifiers are checked on the
 * raw line.
 */
import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import {readFileSync, readdirSync, statSync} from 'node:fs'
import {join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const CORE = join(ROOT, 'src', 'raft')

/** Forbidden tokens, with why. Matched as plain substrings (or regexes for word boundaries). */
const FORBIDDEN: readonly {readonly token: string; readonly pattern: RegExp; readonly why: string}[] = [
  {token: 'Math.random', pattern: /Math\.random/, why: 'randomness comes from the injected Rng'},
  {token: 'Date', pattern: /\bDate\b/, why: 'no clock: time is ticks'},
  {token: 'setTimeout', pattern: /setTimeout/, why: 'no timers'},
  {token: 'setInterval', pattern: /setInterval/, why: 'no timers'},
  {token: 'setImmediate', pattern: /setImmediate/, why: 'no timers'},
  {token: 'performance', pattern: /\bperformance\b/, why: 'no clock'},
  {token: 'process.', pattern: /\bprocess\./, why: 'no process access'},
  {token: 'require(', pattern: /\brequire\(/, why: 'ESM only, no dynamic loading'},
  {token: "from 'node:", pattern: / from ['"]node:/, why: 'no node:* imports'},
  {token: "import('", pattern: /\bimport\(/, why: 'no dynamic imports'},
  {token: 'async ', pattern: /\basync /, why: 'the core is synchronous'},
  {token: 'await ', pattern: /\bawait /, why: 'the core is synchronous'},
  {token: 'Promise', pattern: /\bPromise\b/, why: 'the core is synchronous'},
]

/** Imports of anything outside src/raft (other src folders or packages). */
const IMPORT = /(?:^|\s)(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/

function tsFiles(dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out.push(...tsFiles(p))
    else if (name.endsWith('.ts')) out.push(p)
  }
  return out
}

/**
 * The text with comments and string/template contents replaced by spaces (newlines kept, so
 * line numbers stay), `${…}` expressions inside templates kept as code.
 */
export function codeOnly(text: string): string {
  let out = ''
  type Mode = 'code' | 'line' | 'block' | "'" | '"' | '`'
  let mode: Mode = 'code'
  const templateDepth: number[] = [] // brace depth at which each open `${` returns to a template
  let depth = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    const next = text[i + 1]
    const blank = c === '\n' ? '\n' : ' '
    switch (mode) {
      case 'code':
        if (c === '/' && next === '/') { mode = 'line'; out += '  '; i++ }
        else if (c === '/' && next === '*') { mode = 'block'; out += '  '; i++ }
        else if (c === "'" || c === '"' || c === '`') { mode = c; out += c }
        else if (c === '{') { depth++; out += c }
        else if (c === '}') {
          if (templateDepth.length > 0 && templateDepth[templateDepth.length - 1] === depth) {
            templateDepth.pop()
            mode = '`'
          } else depth--
          out += c
        } else out += c
        break
      case 'line':
        if (c === '\n') { mode = 'code'; out += c } else out += ' '
        break
      case 'block':
        if (c === '*' && next === '/') { mode = 'code'; out += '  '; i++ } else out += blank
        break
      case "'":
      case '"':
        if (c === '\\') { out += next === '\n' ? ' \n' : '  '; i++ }
        else if (c === mode) { mode = 'code'; out += c }
        else out += blank
        break
      case '`':
        if (c === '\\') { out += next === '\n' ? ' \n' : '  '; i++ }
        else if (c === '`') { mode = 'code'; out += c }
        else if (c === '$' && next === '{') { templateDepth.push(depth); mode = 'code'; out += '${'; i++ }
        else out += blank
        break
    }
  }
  return out
}

/** `file:line: token (why): text` for every offending line of `text`. */
export function findViolations(file: string, text: string): string[] {
  const out: string[] = []
  const code = codeOnly(text).split('\n')
  text.split('\n').forEach((line, i) => {
    // A module specifier is a string: check it on the raw line, but only where the code has one.
    const isImport = /\bfrom\s*['"]/.test(code[i]!)
    for (const f of FORBIDDEN) {
      const where = f.token.startsWith("from '") ? (isImport ? line : '') : code[i]!
      if (f.pattern.test(where)) out.push(`${file}:${i + 1}: ${f.token} (${f.why}): ${line.trim()}`)
    }
    const m = isImport ? IMPORT.exec(line) : null
    if (m && !m[1]!.startsWith('./')) out.push(`${file}:${i + 1}: import of ${m[1]} (the core imports nothing outside src/raft): ${line.trim()}`)
  })
  return out
}

describe('purity of src/raft', () => {
  it('the scanner finds each forbidden token and names file and line', () => {
    const sample = [
      'const a = 1',
      'const t = Date.now()',
      "import {readFileSync} from 'node:fs'",
      'async function f() { await g() }',
      'const r = Math.random()',
      "import {Replica} from '../replica/replica.js'",
      'const s = `entries await ${n} commit` // Date in a comment is fine',
      "const q = 'no process.exit here' + `${process.pid}`",
      '/* setTimeout in a block',
      '   comment */ const d = new Date()',
      'const u = updated // "Dated" is not Date',
      "// never write: import x from 'node:fs'",
      "} from 'node:crypto'",
    ].join('\n')
    const v = findViolations('x.ts', sample)
    assert.deepEqual(v.map((s) => s.split(' (')[0]), [
      'x.ts:2: Date',
      "x.ts:3: from 'node:",
      'x.ts:3: import of node:fs',
      'x.ts:4: async ',
      'x.ts:4: await ',
      'x.ts:5: Math.random',
      'x.ts:6: import of ../replica/replica.js',
      'x.ts:8: process.',
      'x.ts:10: Date',
      "x.ts:13: from 'node:",
    ])
  })

  it('src/raft/**/*.ts contains no clock, timer, randomness, process, node:* import or async', () => {
    const files = tsFiles(CORE)
    assert.ok(files.length >= 8, `found ${files.length} core files`)
    const violations = files.flatMap((f) => findViolations(relative(ROOT, f), readFileSync(f, 'utf8')))
    assert.deepEqual(violations, [], `forbidden tokens in the core:\n${violations.join('\n')}`)
  })
})
