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
import {cachedMembers, rememberMembers} from '../../src/cluster/attached-names.js'
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
  {id: 'cluster:detach', flags: {}, args: ['name']},
  {id: 'wal:dump', flags: CLUSTER, args: ['target']},
  {id: 'secret', hidden: true, flags: {}, args: []},
]
const NAMES: NameSource = {
  clusters: () => ['big', 'default', 'far'],
  attached: () => ['far'],
  nodes: (cluster) => (cluster === 'big' ? ['n1', 'n2', 'n3', 'n4', 'n5'] : cluster === 'default' ? ['n1', 'n2', 'n3'] : cluster === 'far' ? ['r1', 'r2'] : []),
}

function complete(line: string, defaultCluster?: string): string[] {
  return completeWords(line.split(' '), COMMANDS, NAMES, defaultCluster)
}

test('command words: topics and commands at the top, subcommands after a topic or a command that has some, hidden ones never', () => {
  assert.deepEqual(complete(''), ['chaos', 'cluster', 'kv', 'leader', 'member', 'node', 'status', 'wal'])
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
  assert.deepEqual(complete('status --cluster '), ['big', 'default', 'far'])
  assert.deepEqual(complete('status -c d'), ['default'])
  assert.deepEqual(complete('status --cluster=b'), ['--cluster=big'])
  assert.deepEqual(completeWords(['status', '--cluster', '=', 'b'], COMMANDS, NAMES), ['big'])
})

test('an attached cluster: its name completes, its cached member ids complete for the commands that work on it, not for those that need local processes', () => {
  assert.deepEqual(complete('status -c f'), ['far'])
  assert.deepEqual(complete('cluster detach '), ['far'], 'only attached clusters can be detached')
  assert.deepEqual(complete('leader transfer --cluster far '), ['r1', 'r2'])
  assert.deepEqual(complete('member remove --cluster far r'), ['r1', 'r2'])
  assert.deepEqual(complete('member remove ', 'far'), ['r1', 'r2'], 'RAFTCTL_CLUSTER names it')
  assert.deepEqual(complete('chaos drop --cluster far --from r2,'), ['r2,r1'])
  assert.deepEqual(complete('node stop --cluster far '), [], 'node stop refuses on an attached cluster')
  assert.deepEqual(complete('wal dump --cluster far '), [])
  assert.deepEqual(complete('node stop --cluster big n5'), ['n5'], 'a local cluster still gets them')
})

test('one-off --endpoints (on the line or RAFTCTL_ENDPOINTS): no node ids, whatever cluster is named', () => {
  assert.deepEqual(complete('leader transfer --endpoints ws://10.0.0.1:7001 '), [])
  assert.deepEqual(complete('leader transfer --endpoints=ws://10.0.0.1:7001 --cluster big '), [])
  assert.deepEqual(completeWords('member remove --cluster big '.split(' '), COMMANDS, NAMES, 'default', true), [])
  assert.deepEqual(completeWords('status --cluster '.split(' '), COMMANDS, NAMES, 'default', true), ['big', 'default', 'far'], 'cluster names still complete')
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

test('homeNames: attached clusters are listed with the local ones; their ids come from the member cache, none before one is written or when it is unreadable', (t) => {
  const home = testTempDir(t)
  mkdirSync(join(home, 'local'))
  writeFileSync(join(home, 'local', 'manifest.json'), JSON.stringify({version: 1, name: 'local', nextNode: 2, nodes: [{id: 'n1', host: '127.0.0.1', port: 1, address: 'ws://127.0.0.1:1'}]}))
  for (const name of ['far', 'new', 'bad']) {
    mkdirSync(join(home, name))
    writeFileSync(join(home, name, 'attached.json'), JSON.stringify({version: 1, name, endpoints: ['ws://10.0.0.1:7001'], secretFile: '/s', clusterId: null, attachedAt: ''}))
  }
  rememberMembers('far', ['a1', 'a2', 'a3'], home)
  writeFileSync(join(home, 'bad', 'members.json'), '{not json')
  const names = homeNames(home)
  assert.deepEqual(names.clusters(), ['bad', 'far', 'local', 'new'])
  assert.deepEqual(names.attached(), ['bad', 'far', 'new'])
  assert.deepEqual(names.nodes('far'), ['a1', 'a2', 'a3'])
  assert.deepEqual([names.nodes('new'), names.nodes('bad')], [[], []])
  assert.deepEqual(cachedMembers('far', home), ['a1', 'a2', 'a3'])
  rememberMembers('gone', ['x'], home)
  assert.deepEqual(cachedMembers('gone', home), [], 'no cache for a cluster that is not attached')
})

test('the scripts call the hidden __complete with the words up to the cursor', () => {
  assert.match(completionScript('bash', 'raftctl'), /complete -o default -F _raftctl_complete raftctl/)
  assert.match(completionScript('bash', 'raftctl'), /raftctl __complete -- "\$\{COMP_WORDS\[@\]:1:COMP_CWORD\}"/)
  assert.match(completionScript('zsh', 'raftctl'), /compdef _raftctl_complete raftctl/)
})
