/**
 * The pure part of the usage errors (src/cli/usage.ts): edit distance, extra arguments after a
 * known command, and the closest command for a typo (or none when nothing is close).
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {diagnoseUnknownCommand, editDistance} from '../../src/cli/usage.js'

const COMMANDS = ['status', 'leader', 'leader:transfer', 'kv:get', 'kv:put', 'chaos:delay', 'chaos:heal', 'cluster:start']
const TOPICS = ['kv', 'chaos', 'cluster', 'leader']

function diagnose(line: string, argv: string[] = []) {
  return diagnoseUnknownCommand({bin: 'raftctl', words: line.split(' '), argv, commandIds: COMMANDS, topics: TOPICS})
}

test('editDistance counts single-character insertions, deletions and substitutions', () => {
  assert.equal(editDistance('', ''), 0)
  assert.equal(editDistance('status', 'status'), 0)
  assert.equal(editDistance('stauts', 'status'), 2)
  assert.equal(editDistance('kv gt', 'kv get'), 1)
  assert.equal(editDistance('abc', ''), 3)
  assert.equal(editDistance('kitten', 'sitting'), 3)
})

test('a known command followed by extra words: unexpected arguments, no suggestion when no subcommand is close', () => {
  assert.deepEqual(diagnose('status n1'), {message: 'unexpected argument n1 for `raftctl status`; see raftctl status --help'})
  assert.deepEqual(diagnose('chaos delay n1', ['--ms', '100']), {message: 'unexpected argument n1 for `raftctl chaos delay`; see raftctl chaos delay --help'})
  assert.deepEqual(diagnose('leader n1 n2').message, 'unexpected arguments n1 n2 for `raftctl leader`; see raftctl leader --help')
})

test('a known command followed by a near subcommand: the subcommand is suggested with the rest', () => {
  assert.equal(diagnose('leader transfr n2', ['--json']).suggestion, 'raftctl leader transfer n2 --json')
})

test('a typo: the closest command with the remaining words and flags; the topic help when the topic is known', () => {
  assert.deepEqual(diagnose('stauts'), {message: '`raftctl stauts` is not a raftctl command; see raftctl --help', suggestion: 'raftctl status'})
  assert.deepEqual(diagnose('kv gt x', ['--json']), {message: '`raftctl kv gt x` is not a raftctl command; see raftctl kv --help', suggestion: 'raftctl kv get x --json'})
  assert.equal(diagnose('clustr start').suggestion, 'raftctl cluster start')
})

test('nothing close: no suggestion, only where to look', () => {
  assert.deepEqual(diagnose('xyzzy'), {message: '`raftctl xyzzy` is not a raftctl command; see raftctl --help'})
  assert.deepEqual(diagnose('kv zzz'), {message: '`raftctl kv zzz` is not a raftctl command; see raftctl kv --help'})
})
