/**
 * The import rules of .dependency-cruiser.cjs fire: every arrow that DESIGN.md §1 (with the
 * extensions listed in the config) forbids is planted as a real import in a fixture tree, and
 * the same rules that CI runs (npm run lint:deps) must report each one under its rule's name.
 * A rule that matched nothing would pass lint:deps forever; this test is what shows it bites.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {mkdtempSync, mkdirSync, rmSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {cruise, type ICruiseResult, type IConfiguration} from 'dependency-cruiser'

const require = createRequire(import.meta.url)
const config = require('../../.dependency-cruiser.cjs') as IConfiguration
const {LAYERS, PURE} = require('../../.dependency-cruiser.layers.cjs') as {
  LAYERS: Record<string, string[]>
  PURE: string[]
}

/** A planted import: the file that imports, what it resolves to (core modules without `node:`), and the rule that must fire. */
interface Plant {
  readonly from: string
  readonly to: string
  readonly rule: string
}

function write(root: string, path: string, text: string): void {
  mkdirSync(join(root, path, '..'), {recursive: true})
  writeFileSync(join(root, path), text)
}

/** One harmless module per layer, then one file per forbidden arrow importing it. */
function plantFixture(root: string): Plant[] {
  const layers = Object.keys(LAYERS)
  const plants: Plant[] = []
  write(root, 'tsconfig.json', JSON.stringify({compilerOptions: {module: 'Node16', moduleResolution: 'Node16', strict: true}}))
  for (const layer of layers) write(root, `src/${layer}/target.ts`, 'export const value = 1\n')
  for (const from of layers) {
    for (const to of layers) {
      if (to === from || LAYERS[from].includes(to)) continue
      const file = `src/${from}/planted-${to}.ts`
      write(root, file, `import {value} from '../${to}/target.js'\nexport const copy = value\n`)
      plants.push({from: file, to: `src/${to}/target.ts`, rule: `${from}-imports-only-allowed`})
    }
  }
  for (const layer of PURE) {
    const file = `src/${layer}/planted-node.ts`
    write(root, file, `import {readFileSync} from 'node:fs'\nexport const read = readFileSync\n`)
    plants.push({from: file, to: 'fs', rule: `${layer}-is-pure`})
  }
  write(root, 'src/replica/planted-node.ts', `import {readFileSync} from 'node:fs'\nexport const read = readFileSync\n`)
  plants.push({from: 'src/replica/planted-node.ts', to: 'fs', rule: 'replica-no-io'})
  write(root, 'src/playground/planted-node.ts', `import {readFileSync} from 'node:fs'\nexport const read = readFileSync\n`)
  plants.push({from: 'src/playground/planted-node.ts', to: 'fs', rule: 'playground-browser-safe'})
  write(root, 'src/sim/planted-net.ts', `import {createServer} from 'node:net'\nexport const serve = createServer\n`)
  plants.push({from: 'src/sim/planted-net.ts', to: 'net', rule: 'sim-no-network'})
  write(root, 'src/stray/loose.ts', `import {value} from '../raft/target.js'\nexport const copy = value\n`)
  plants.push({from: 'src/stray/loose.ts', to: 'src/raft/target.ts', rule: 'not-in-a-layer'})
  write(root, 'src/cli/cycle-a.ts', `import {b} from './cycle-b.js'\nexport const a = () => b\n`)
  write(root, 'src/cli/cycle-b.ts', `import {a} from './cycle-a.js'\nexport const b = () => a\n`)
  plants.push({from: 'src/cli/cycle-a.ts', to: 'src/cli/cycle-b.ts', rule: 'no-circular'})
  return plants
}

async function cruiseFixture(root: string): Promise<ICruiseResult> {
  const cwd = process.cwd()
  process.chdir(root) // the config names tsconfig.json relative to the working directory, as lint:deps runs it
  try {
    const options = {...config.options, ruleSet: {forbidden: config.forbidden}, validate: true}
    const out = await cruise(['src'], options as never)
    return out.output as ICruiseResult
  } finally {
    process.chdir(cwd)
  }
}

test('every forbidden import planted in a fixture is reported under its rule', async () => {
  const root = mkdtempSync(join(tmpdir(), 'raftctl-import-rules-'))
  try {
    const plants = plantFixture(root)
    const result = await cruiseFixture(root)
    const seen = new Set(result.summary.violations.map((v) => `${v.rule.name} ${v.from} -> ${v.to}`))
    const missed = plants.filter((p) => !seen.has(`${p.rule} ${p.from} -> ${p.to}`))
    assert.deepEqual(missed, [], `rules that did not fire on their planted import:\n${missed.map((p) => `  ${p.rule}: ${p.from} -> ${p.to}`).join('\n')}`)
    // The issue's six examples, named, so a change to the table cannot silently allow them.
    for (const [from, to] of [['transport', 'chaos'], ['chaos', 'transport'], ['daemon', 'sim'], ['cli', 'raft'], ['cluster', 'daemon'], ['verify', 'sim']]) {
      assert.ok(seen.has(`${from}-imports-only-allowed src/${from}/planted-${to}.ts -> src/${to}/target.ts`), `${from} -> ${to} must be forbidden`)
    }
    // Allowed arrows and the harmless targets are not reported.
    const wrongly = result.summary.violations.filter((v) => v.from.endsWith('/target.ts'))
    assert.deepEqual(wrongly.map((v) => `${v.rule.name} ${v.from}`), [])
  } finally {
    rmSync(root, {recursive: true, force: true})
  }
})

test('an allowed arrow passes: daemon may import replica, commands may import cli', async () => {
  const root = mkdtempSync(join(tmpdir(), 'raftctl-import-rules-'))
  try {
    write(root, 'tsconfig.json', JSON.stringify({compilerOptions: {module: 'Node16', moduleResolution: 'Node16'}}))
    write(root, 'src/replica/target.ts', 'export const value = 1\n')
    write(root, 'src/cli/target.ts', 'export const value = 1\n')
    write(root, 'src/daemon/uses.ts', `import {value} from '../replica/target.js'\nexport const copy = value\n`)
    write(root, 'src/commands/uses.ts', `import {value} from '../cli/target.js'\nexport const copy = value\n`)
    const result = await cruiseFixture(root)
    assert.deepEqual(result.summary.violations, [])
  } finally {
    rmSync(root, {recursive: true, force: true})
  }
})
