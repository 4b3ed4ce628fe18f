/**
 * The hot path's reading of a command line (src/cli/hot.ts `commandArgv`) against oclif's own
 * (`normalizeArgv`, which oclif's `run` uses to find the command): for every raftctl command and
 * many command lines, the hot path runs the command exactly when oclif would, with the same
 * arguments, and declines otherwise (`status extra` is an unknown command to oclif; `leader
 * transfer` is another command).
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {readdirSync} from 'node:fs'
import {join, relative, sep} from 'node:path'
import {pathToFileURL} from 'node:url'
import type {Command, Config} from '@oclif/core'
import {normalizeArgv} from '@oclif/core/help'
import {commandArgv} from '../../src/cli/hot.js'

const COMMANDS_DIR = join(import.meta.dirname, '..', '..', 'src', 'commands')

/** Every .ts file under `dir`. */
function tsFiles(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap((e) => {
    const p = join(dir, e.name)
    return e.isDirectory() ? tsFiles(p) : e.name.endsWith('.ts') ? [p] : []
  })
}

/** oclif's id of a command file (`kv/put.ts` → `kv:put`, `leader/index.ts` → `leader`). */
function commandId(file: string): string {
  return relative(COMMANDS_DIR, file).split(sep).join('/').replace(/\.ts$/, '').replace(/(^|\/)index$/, '').replaceAll('/', ':')
}

/** Each command's class by id, and the plugins' commands (which oclif's whole path knows too). */
async function loadCommands(): Promise<Map<string, Pick<Command.Class, 'args' | 'strict'>>> {
  const commands = new Map<string, Pick<Command.Class, 'args' | 'strict'>>()
  for (const file of tsFiles(COMMANDS_DIR)) {
    const module = (await import(pathToFileURL(file).href)) as {default: Command.Class}
    commands.set(commandId(file), module.default)
  }
  commands.set('help', {args: {command: {}} as unknown as Command.Class['args'], strict: false})
  commands.set('autocomplete', {args: {shell: {}} as unknown as Command.Class['args'], strict: true})
  commands.set('autocomplete:create', {args: {}, strict: true})
  return commands
}

/** Command lines to read, given as words. */
const LINES = [
  '', 'status', 'status --json', 'status -w', 'status extra', 'status a=b', 'status -- x', 'status --json extra',
  'leader', 'leader --json', 'leader -w 1s', 'leader transfer', 'leader transfer n2', 'leader n2', 'leader transfr',
  'kv', 'kv put', 'kv put k v', 'kv put k', 'kv put --file f k', 'kv put k=1 v', 'kv put put v', 'kv put get', 'kv put - ',
  'kv get', 'kv get k', 'kv get --prefix a', 'kv get put', 'kv get k --to m --limit 3', 'kv list', 'kv list a',
  'node start n1', 'node', 'cluster start --nodes 3', 'cluster list extra', 'member add n4 ws://h:1', 'chaos partition n1 n2',
  'help', 'help status', 'autocomplete bash', 'bench', 'bench failover', 'bench x', 'check', 'check consistency', 'check f.json',
]

test('the hot path reads a command line as command ID exactly when oclif does, with the same arguments', async () => {
  const commands = await loadCommands()
  const ids = [...commands.keys()]
  const config = {topicSeparator: ' ', commandIDs: ids, findCommand: (id: string) => commands.get(id)} as unknown as Config
  let taken = 0
  for (const line of LINES) {
    const argv = line.split(' ').filter((w) => w !== '')
    const [oclifId, ...oclifRest] = normalizeArgv(config, [...argv])
    for (const [id, command] of commands) {
      const subcommands = ids.filter((other) => other.startsWith(`${id}:`))
      const ours = commandArgv(argv, id, command, subcommands)
      if (oclifId === id && argv.length > 0) {
        assert.deepEqual(ours, oclifRest, `"${line}" as ${id}`)
        taken++
      } else {
        assert.equal(ours, undefined, `"${line}" is ${oclifId} to oclif, not ${id}`)
      }
    }
  }
  // The list holds lines oclif reads as commands, not only lines it does not.
  assert.ok(taken >= 25, `${taken} lines taken`)
})
