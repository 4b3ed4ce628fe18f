/**
 * `raftctl completion bash|zsh` end to end: the script printed by the built CLI (bin/run.js, run
 * `npm run build` first) is sourced in a real bash or zsh, its completion function is called as
 * the shell calls it at TAB (bash: COMP_WORDS / COMP_CWORD; zsh: words / CURRENT), and it
 * answers with commands, cluster names and node ids read from a RAFTCTL_HOME made by the test (manifests, and an attached cluster's record
 * and member cache: no daemon is needed, and completion never touches the network).
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {execFile, execFileSync} from 'node:child_process'
import {chmodSync, mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {RAFTCTL_BIN} from '../../src/cluster/processes.js'
import {testTempDir} from '../helpers.js'

/**
 * A RAFTCTL_HOME with clusters `default` (n1..n3, n2 removed) and `big` (n1..n5), an attached
 * cluster `far` (members r1, r2 cached; its endpoint is a closed port, so any network use would
 * show as a slow or failed completion), and `raftctl` on a PATH.
 */
function setup(t: {after: (fn: () => void) => void}): {env: NodeJS.ProcessEnv} {
  const dir = testTempDir(t, 'raftctl-completion-')
  const home = join(dir, 'home')
  for (const [name, count] of [['default', 3], ['big', 5]] as const) {
    mkdirSync(join(home, name), {recursive: true})
    const nodes = Array.from({length: count}, (_, i) => ({id: `n${i + 1}`, host: '127.0.0.1', port: 1, address: 'ws://127.0.0.1:1', ...(name === 'default' && i === 1 ? {removed: true} : {})}))
    writeFileSync(join(home, name, 'manifest.json'), JSON.stringify({version: 1, name, nextNode: count + 1, nodes}))
  }
  mkdirSync(join(home, 'far'), {mode: 0o700})
  writeFileSync(join(home, 'far', 'attached.json'), JSON.stringify({version: 1, name: 'far', endpoints: ['ws://127.0.0.1:9'], secretFile: join(dir, 'no-secret'), clusterId: null, attachedAt: ''}))
  writeFileSync(join(home, 'far', 'members.json'), JSON.stringify({version: 1, members: ['r1', 'r2'], learnedAt: ''}))
  const bin = join(dir, 'bin')
  mkdirSync(bin)
  writeFileSync(join(bin, 'raftctl'), `#!/bin/sh\nexec '${process.execPath}' '${RAFTCTL_BIN}' "$@"\n`)
  chmodSync(join(bin, 'raftctl'), 0o755)
  const env: NodeJS.ProcessEnv = {...process.env, RAFTCTL_HOME: home, PATH: `${bin}:${process.env.PATH}`}
  delete env.RAFTCTL_CLUSTER
  return {env}
}

/** What bash's completion function offers for `line` (the cursor at its end). */
function bashComplete(env: NodeJS.ProcessEnv, line: string): Promise<string[]> {
  const words = line.split(' ')
  const script = `source <(raftctl completion bash) && COMP_WORDS=(raftctl "$@") && COMP_CWORD=${words.length} && _raftctl_complete && printf '%s\\n' "\${COMPREPLY[@]}"`
  return new Promise((resolve, reject) => {
    execFile('bash', ['-c', script, 'bash', ...words], {env}, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`))
      else resolve(stdout.split('\n').filter(Boolean))
    })
  })
}

let hasBash = true
try {
  execFileSync('bash', ['-c', 'true'])
} catch {
  hasBash = false
}

test('bash: commands, cluster names and node ids complete through the script of `raftctl completion bash`', {skip: hasBash ? false : 'bash is not installed'}, async (t) => {
  const {env} = setup(t)
  const registered = execFileSync('bash', ['-c', 'source <(raftctl completion bash) && complete -p raftctl'], {env, encoding: 'utf8'})
  assert.equal(registered.trim(), 'complete -o default -F _raftctl_complete raftctl')
  assert.deepEqual(await bashComplete(env, 'node st'), ['start', 'stop'])
  assert.ok((await bashComplete(env, '')).includes('completion'))
  assert.ok(!(await bashComplete(env, '')).includes('__complete'), 'the hidden command is not offered')
  assert.deepEqual(await bashComplete(env, 'status --cluster '), ['big', 'default', 'far'])
  assert.deepEqual(await bashComplete(env, 'node stop '), ['n1', 'n3'], 'the removed n2 is not offered')
  assert.deepEqual(await bashComplete(env, 'leader transfer --cluster big n'), ['n1', 'n2', 'n3', 'n4', 'n5'])
  assert.deepEqual(await bashComplete(env, 'chaos drop --cluster big --from n1,n'), ['n1,n2', 'n1,n3', 'n1,n4', 'n1,n5'])
  assert.deepEqual(await bashComplete({...env, RAFTCTL_CLUSTER: 'big'}, 'node kill n5'), ['n5'])
})

test('bash: an attached cluster\'s name and its cached member ids complete; not for commands that need local processes, nor for one-off endpoints', {skip: hasBash ? false : 'bash is not installed'}, async (t) => {
  const {env} = setup(t)
  assert.deepEqual(await bashComplete(env, 'status --cluster '), ['big', 'default', 'far'])
  assert.deepEqual(await bashComplete(env, 'cluster detach '), ['far'])
  assert.deepEqual(await bashComplete(env, 'member remove --cluster far '), ['r1', 'r2'])
  assert.deepEqual(await bashComplete({...env, RAFTCTL_CLUSTER: 'far'}, 'leader transfer r'), ['r1', 'r2'])
  assert.deepEqual(await bashComplete(env, 'chaos isolate --cluster far '), ['r1', 'r2'])
  assert.deepEqual(await bashComplete(env, 'chaos drop --cluster far --from r1,'), ['r1,r2'])
  assert.deepEqual(await bashComplete(env, 'node kill --cluster far '), [], 'node kill refuses on an attached cluster')
  assert.deepEqual(await bashComplete({...env, RAFTCTL_ENDPOINTS: 'ws://127.0.0.1:9'}, 'leader transfer --cluster big '), [])
})

let hasZsh = true
try {
  execFileSync('zsh', ['-c', 'true'])
} catch {
  hasZsh = false
}

/**
 * What zsh's completion function offers for `line` (the cursor at its end): the function is
 * called as compsys calls it at TAB (`words`, `CURRENT`), with `compadd` replaced by one that
 * prints the candidates it is given.
 */
function zshComplete(env: NodeJS.ProcessEnv, line: string): string[] {
  const words = line.split(' ')
  const script = [
    'autoload -U compinit && compinit -u',
    'source <(raftctl completion zsh)',
    'compadd() { [[ $1 == -a ]] && print -rl -- "${(@P)2}" }',
    "_files() { print -r -- '<files>' }",
    'words=(raftctl "$@"); CURRENT=$(( $# + 1 ))',
    '_raftctl_complete',
  ].join('\n')
  const out = execFileSync('zsh', ['-c', script, 'zsh', ...words], {env, encoding: 'utf8'})
  return out.split('\n').filter(Boolean)
}

test('zsh: commands, cluster names and node ids complete through the script of `raftctl completion zsh`', {skip: hasZsh ? false : 'zsh is not installed'}, (t) => {
  const {env} = setup(t)
  assert.deepEqual(zshComplete(env, 'node st'), ['start', 'stop'])
  assert.deepEqual(zshComplete(env, 'status --cluster '), ['big', 'default', 'far'])
  assert.deepEqual(zshComplete(env, 'status --cluster=b'), ['--cluster=big'], 'zsh keeps --cluster=x as one word')
  assert.deepEqual(zshComplete(env, 'node stop '), ['n1', 'n3'], 'the removed n2 is not offered')
  assert.deepEqual(zshComplete(env, 'leader transfer --cluster big n'), ['n1', 'n2', 'n3', 'n4', 'n5'])
  assert.deepEqual(zshComplete(env, 'member remove --cluster far '), ['r1', 'r2'])
  assert.deepEqual(zshComplete(env, 'node kill --cluster far '), ['<files>'], 'node kill refuses on an attached cluster: no ids, files as the fallback')
})

test('zsh: the script of `raftctl completion zsh` loads and registers its function', {skip: hasZsh ? false : 'zsh is not installed'}, (t) => {
  const {env} = setup(t)
  const out = execFileSync('zsh', ['-c', 'autoload -U compinit && compinit -u && source <(raftctl completion zsh) && print -r -- $_comps[raftctl]'], {env, encoding: 'utf8'})
  assert.equal(out.trim(), '_raftctl_complete')
})
