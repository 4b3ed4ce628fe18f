/**
 * docs/architecture.md's picture of the layers is generated from the imports under src/
 * (scripts/architecture.mjs): this test fails when the code changed and the picture did not,
 * and checks the generator itself on arrows it is given.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {folderArrows, mermaid, withPicture} from '../../scripts/architecture.mjs'

test('docs/architecture.md shows exactly the arrows the imports give', async () => {
  const doc = readFileSync(new URL('../../docs/architecture.md', import.meta.url), 'utf8')
  const expected = withPicture(doc, mermaid(await folderArrows()))
  assert.equal(doc, expected, 'docs/architecture.md is out of date: run npm run docs:architecture')
})

test('the picture has one arrow per pair of folders and replaces only what is between the markers', () => {
  const block = mermaid(['cli -> client', 'commands -> cli'])
  assert.equal(block, '```mermaid\nflowchart TD\n  cli --> client\n  commands --> cli\n```')
  const doc = 'before\n<!-- layers:begin -->\nold\n<!-- layers:end -->\nafter\n'
  assert.equal(withPicture(doc, 'NEW'), 'before\n<!-- layers:begin -->\nNEW\n<!-- layers:end -->\nafter\n')
  assert.throws(() => withPicture('no markers', 'NEW'), /lacks the markers/)
})
