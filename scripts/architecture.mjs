#!/usr/bin/env node
/**
 * Writes the picture of the layers in docs/architecture.md from the code itself, so it cannot
 * drift: dependency-cruiser reads every import under src/, the imports are folded to one arrow
 * per pair of folders, and the arrows become a Mermaid flowchart between the markers
 * `<!-- layers:begin -->` and `<!-- layers:end -->`. `--check` writes nothing and exits 1 when
 * the file differs from what the code gives (test/architecture/architecture-doc.test.ts).
 *
 * Usage: node scripts/architecture.mjs [--check]     (npm run docs:architecture)
 */
import {readFileSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {fileURLToPath} from 'node:url'
import {cruise} from 'dependency-cruiser'

const require = createRequire(import.meta.url)
const root = fileURLToPath(new URL('..', import.meta.url))
const DOC = `${root}docs/architecture.md`
const BEGIN = '<!-- layers:begin -->'
const END = '<!-- layers:end -->'

/** Every import between two different folders of src/, as sorted `from -> to` pairs. */
export async function folderArrows() {
  const config = require('../.dependency-cruiser.cjs')
  const cwd = process.cwd()
  process.chdir(root)
  try {
    const out = await cruise(['src'], {...config.options, validate: false})
    const arrows = new Set()
    for (const mod of out.output.modules) {
      const from = /^src\/([^/]+)\//.exec(mod.source)?.[1]
      if (!from) continue
      for (const dep of mod.dependencies) {
        const to = /^src\/([^/]+)\//.exec(dep.resolved)?.[1]
        if (to && to !== from) arrows.add(`${from} -> ${to}`)
      }
    }
    return [...arrows].sort()
  } finally {
    process.chdir(cwd)
  }
}

/** The Mermaid block for the arrows (left to right: commands first, the pure core last). */
export function mermaid(arrows) {
  const lines = ['```mermaid', 'flowchart TD']
  for (const arrow of arrows) lines.push(`  ${arrow.replace(' -> ', ' --> ')}`)
  lines.push('```')
  return lines.join('\n')
}

/** The document with the block between the markers replaced. */
export function withPicture(doc, block) {
  const start = doc.indexOf(BEGIN)
  const end = doc.indexOf(END)
  if (start < 0 || end < start) throw new Error(`${DOC} lacks the markers ${BEGIN} … ${END}`)
  return `${doc.slice(0, start + BEGIN.length)}\n${block}\n${doc.slice(end)}`
}

async function main() {
  const check = process.argv.includes('--check')
  const doc = readFileSync(DOC, 'utf8')
  const next = withPicture(doc, mermaid(await folderArrows()))
  if (check) {
    if (next !== doc) {
      process.stderr.write(`${DOC} is out of date with the imports under src/: run npm run docs:architecture\n`)
      process.exitCode = 1
    }
    return
  }
  if (next !== doc) writeFileSync(DOC, next)
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main()
