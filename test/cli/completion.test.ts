/**
 * The pure part of shell completion (src/cli/completion.ts): which candidates a command line
 * gets for its last word, with a fixed command list and fixed names; and the names read from a
 * RAFTCTL_HOME (files only, no process).
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {completeWords, completionScript, homeNames, type CompletionCommand, type NameSource} from '../../src/cli/completion.js'
import {testTempDir} from '../helpers.js'

const CLUSTER = {cluster: {char: 'c', type: 'option'}, json: {type: 'boolean'}} as const
const COMMANDS: CompletionCommand[] = [
  {id: 'status', flags: {...CLUSTER, watch: {char: 'w', type: 'boolean'}}, args: []},
  {id: 'leader', flags: CLUSTER, args: []},
  {id: 'leader:transfer', flags: CLUSTER, args: ['node']},
  {id: 'node:start', flags: CLUSTER, args: ['node']},
  {id: 'node:stop', flags: CLUSTER, args: ['node']},
  {id: 'kv:put', flags: {...CLUSTER, file: {type: 'option'}}, args: ['key', 'value']},
  {id: 'kv:get', flags: {...CLUSTER, to: {type: 'option'}}, args: ['key']},
  {id: 'chaos:drop', flags: {...CLUSTER, from: {type: 'option'}, to: {type: 'option'}}, args: []},
  {id: 'member:remove', flags: CLUSTER, args: ['id']},
  {id: 'member:add', flags: CLUSTER, args: ['id', 'address']},
  {id: 'secret', hidden: true, flags: {}, args: []},
]
const NAMES: NameSource = {
  clusters: () => ['big', 'default'],
  nodes: (cluster) => (cluster === 'big' ? ['n1', 'n2', 'n3', 'n4', 'n5'] : cluster === 'default' ? ['n1', 'n2', 'n3'] : []),
}

function complete(line: string, defaultCluster?: string): string[] {
  return completeWords(line.split(' '), COMMANDS, NAMES, defaultCluster)
}

test('command words: topics and commands at the top, subcommands after a topic or a command that has some, hidden ones never', () => {
  assert.deepEqual(complete(''), ['chaos', 'kv', 'leader', 'member', 'node', 'status'])
  assert.deepEqual(complete('s'), ['status'])
  assert.deepEqual(complete('node s'), ['start', 'stop'])
  assert.deepEqual(complete('leader '), ['transfer'])
  assert.deepEqual(complete('nope '), [])
})

test('node ids of the default cluster, of RAFTCTL_CLUSTER, or of the cluster the line names', () => {
  assert.deepEqual(complete('node stop '), ['n1', 'n2', 'n3'])
  assert.deepEqual(complete('leader transfer n'), ['n1', 'n2', 'n3'])
  assert.deepEqual(complete('node stop ', 'big'), ['n1', 'n2', 'n3', 'n4', 'n5'])
  assert.deepEqual(complete('node stop --cluster big n4'), ['n4'])
  assert.deepEqual(complete('node stop -c big '), ['n1', 'n2', 'n3', 'n4', 'n5'])
  assert.deepEqual(complete('node stop --cluster=big '), ['n1', 'n2', 'n3', 'n4', 'n5'])
  assert.deepEqual(complete('member remove '), ['n1', 'n2', 'n3'])
  assert.deepEqual(complete('member add '), [], 'a new member has no id yet')
  assert.deepEqual(complete('node stop n1 '), [], 'one node argument only')
  assert.deepEqual(complete('node stop --cluster nosuch '), [])
})

test('cluster names after --cluster, -c and --cluster= (whole in zsh, split at = by bash)', () => {
  assert.deepEqual(complete('status --cluster '), ['big', 'default'])
  assert.deepEqual(complete('status -c d'), ['default'])
  assert.deepEqual(complete('status --cluster=b'), ['--cluster=big'])
  assert.deepEqual(completeWords(['status', '--cluster', '=', 'b'], COMMANDS, NAMES), ['big'])
})

test('comma-separated node lists for chaos flags, without the nodes already listed; a key flag gets nothing', () => {
  assert.deepEqual(complete('chaos drop --from n1,'), ['n1,n2', 'n1,n3'])
  assert.deepEqual(complete('chaos drop --to n'), ['n1', 'n2', 'n3'])
  assert.deepEqual(complete('kv get a --to '), [])
})

test('flags of the command, and no node ids for a key or for a flag value', () => {
  assert.deepEqual(complete('status --w'), ['--watch'])
  assert.deepEqual(complete('kv put --'), ['--cluster', '--json', '--file'])
  assert.deepEqual(complete('kv put '), [])
  assert.deepEqual(complete('kv put --file '), [])
})

test('homeNames lists the folders holding a manifest and the node ids of a manifest (not the removed ones); unreadable means none', (t) => {
  const home = testTempDir(t)
  for (const [name, ids] of [['b', ['n1', 'n2', 'n3']], ['a', ['n7']]] as const) {
    mkdirSync(join(home, name))
    const nodes = ids.map((id) => ({id, host: '127.0.0.1', port: 1, address: 'ws://127.0.0.1:1', ...(id === 'n3' ? {removed: true} : {})}))
    writeFileSync(join(home, name, 'manifest.json'), JSON.stringify({version: 1, name, nextNode: 4, nodes}))
  }
  mkdirSync(join(home, 'empty'))
  mkdirSync(join(home, '.locks'))
  const names = homeNames(home)
  assert.deepEqual(names.clusters(), ['a', 'b'])
  assert.deepEqual(names.nodes('b'), ['n1', 'n2'])
  assert.deepEqual(names.nodes('empty'), [])
  assert.deepEqual(homeNames(join(home, 'missing')).clusters(), [])
})

test('the scripts call the hidden __complete with the words up to the cursor', () => {
  assert.match(completionScript('bash', 'raftctl'), /complete -o default -F _raftctl_complete raftctl/)
  assert.match(completionScript('bash', 'raftctl'), /raftctl __complete -- "\$\{COMP_WORDS\[@\]:1:COMP_CWORD\}"/)
  assert.match(completionScript('zsh', 'raftctl'), /compdef _raftctl_complete raftctl/)
})
