/**
 * The start-up fast path of src/cli/execute.ts: which command lines get oclif's configuration
 * without its plugins (raftctl's own commands, `--version`) and which take the full path (help,
 * the plugins' commands, unknown commands, whose suggestions list every command). Files only.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'
import {ownCommandLoadOptions} from '../../src/cli/execute.js'
import {ownCommandWords, readPackageJson} from '../../src/cli/own-command.js'
import {testTempDir} from '../helpers.js'

/** A package with commands `status`, `kv put` and `leader` (an index) and two plugins; returns its bin script's URL. */
function fakePackage(t: {after: (fn: () => void) => void}): string {
  const root = testTempDir(t, 'raftctl-execute-')
  const pjson = {name: 'raftctl', version: '0.1.0', oclif: {bin: 'raftctl', commands: './dist/commands', plugins: ['@oclif/plugin-help', '@oclif/plugin-autocomplete']}}
  writeFileSync(join(root, 'package.json'), JSON.stringify(pjson))
  mkdirSync(join(root, 'dist', 'commands', 'kv'), {recursive: true})
  mkdirSync(join(root, 'dist', 'commands', 'leader'), {recursive: true})
  mkdirSync(join(root, 'bin'))
  for (const f of ['status.js', 'kv/put.js', 'leader/index.js']) writeFileSync(join(root, 'dist', 'commands', f), '')
  return pathToFileURL(join(root, 'bin', 'run.js')).href
}

test('own commands and --version load without plugins; the rest of the package.json is kept', (t) => {
  const dir = fakePackage(t)
  for (const argv of [['status', '--json'], ['kv', 'put', 'a', 'b'], ['leader'], ['--version']]) {
    const options = ownCommandLoadOptions(dir, argv)
    assert.ok(options, argv.join(' '))
    assert.deepEqual(options.pjson?.oclif.plugins, [])
    assert.equal(options.pjson?.oclif.bin, 'raftctl')
  }
})

test('help, plugin commands, unknown commands and an empty line take oclif\'s full path', (t) => {
  const dir = fakePackage(t)
  for (const argv of [['status', '--help'], ['kv', 'put', '-h'], ['help', 'kv'], ['autocomplete', 'bash'], ['stauts'], ['kv'], [], ['../../bin/run']]) {
    assert.equal(ownCommandLoadOptions(dir, argv), undefined, argv.join(' '))
  }
})

test('the words naming an own command are the longest prefix that is a command module (the code cache\'s key)', (t) => {
  const dir = fakePackage(t)
  const root = join(fileURLToPath(dir), '..', '..')
  const pjson = readPackageJson(root)
  assert.ok(pjson)
  assert.deepEqual(ownCommandWords(root, pjson, ['kv', 'put', 'a', 'b', '--timeout', '1s']), ['kv', 'put'])
  assert.deepEqual(ownCommandWords(root, pjson, ['status', 'extra']), ['status'])
  assert.deepEqual(ownCommandWords(root, pjson, ['leader', '--json']), ['leader'])
  assert.deepEqual(ownCommandWords(root, pjson, ['--version']), ['--version'])
  assert.equal(ownCommandWords(root, pjson, ['kv', 'get', 'a']), undefined)
})
