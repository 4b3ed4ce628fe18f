/**
 * Shell completion (`raftctl completion bash|zsh`, docs/cli.md "Completion"): the scripts a shell
 * sources, and what they ask for at each TAB, `raftctl __complete -- WORDS…`: the candidates for
 * the last word of a command line. Commands, topics and flags come from oclif's command list;
 * cluster names (after `--cluster`/`-c`; `cluster detach`'s NAME) from the folders of
 * RAFTCTL_HOME, local and attached; node ids (a command's `node` argument, `wal dump`'s target,
 * `member remove|promote`'s id, the chaos commands' `--node/--from/--to` lists) from the chosen
 * cluster: a local cluster's manifest, or an attached cluster's member cache (the members the
 * last successful status round against it learned, src/cluster/attached-names.ts). Completion
 * never touches the network and never fails: what cannot be read gives no candidates. An
 * attached cluster's ids are not offered to the commands that need local processes (`node …`,
 * `wal dump`), which refuse there, and no ids are offered for one-off `--endpoints`.
 */
import {readdirSync} from 'node:fs'
import {ClusterPaths, activeNodes, clusterExists, loadManifest, raftctlHome} from '../cluster/manifest.js'
import {cachedMembers, isAttached, listAttached} from '../cluster/attached-names.js'

/** The shells `raftctl completion` writes a script for. */
export const COMPLETION_SHELLS = ['bash', 'zsh'] as const
export type CompletionShell = (typeof COMPLETION_SHELLS)[number]

/** What completion needs to know of one command (oclif's manifest has it all). */
export interface CompletionCommand {
  /** Words separated by `:` (`kv:get`). */
  readonly id: string
  readonly hidden?: boolean
  /** Flags by name, with their one-letter alias and whether they take a value. */
  readonly flags: Readonly<Record<string, {readonly char?: string; readonly type: 'boolean' | 'option'}>>
  /** Positional arguments' names, in order. */
  readonly args: readonly string[]
}

/** Where names come from: the cluster names and each cluster's node ids. */
export interface NameSource {
  /** Every cluster name, local and attached, sorted. */
  clusters(): readonly string[]
  /** The attached clusters' names, sorted. */
  attached(): readonly string[]
  /** The node ids of `cluster` (local: its manifest; attached: its member cache). */
  nodes(cluster: string): readonly string[]
}

/** The cluster a command line talks to when it names none and RAFTCTL_CLUSTER is unset (the `--cluster` flag's default). */
export const DEFAULT_CLUSTER = 'default'

/** Positional arguments that name an existing node, by command id. */
const NODE_ARGS: Readonly<Record<string, readonly string[]>> = {
  'member:remove': ['id'],
  'member:promote': ['id'],
  'wal:dump': ['target'],
}

/** Positional arguments that name an attached cluster, by command id. */
const ATTACHED_ARGS: Readonly<Record<string, string>> = {'cluster:detach': 'name'}

/** Commands that need the node processes or files on this machine: no ids of an attached cluster for them. */
function needsLocalNodes(commandId: string): boolean {
  return commandId.startsWith('node:') || commandId === 'wal:dump'
}

/** Flags whose value is a comma-separated list of node ids, by the command's topic. */
const NODE_LIST_FLAGS = new Set(['node', 'from', 'to'])

/**
 * The candidates for the last of `words` (the command line after the program name, the last
 * one being the word under the cursor, possibly empty), already filtered by what it starts with.
 * bash splits `--cluster=x` into `--cluster`, `=`, `x`; zsh keeps it whole: both are understood.
 * `endpointsFromEnv`: RAFTCTL_ENDPOINTS is set, so the command speaks to one-off endpoints
 * whatever `--cluster` says (no node ids to offer), as `--endpoints` on the line does.
 */
export function completeWords(
  words: readonly string[],
  commands: readonly CompletionCommand[],
  names: NameSource,
  defaultCluster: string = DEFAULT_CLUSTER,
  endpointsFromEnv = false,
): string[] {
  const typed = words.slice(0, -1).filter((w) => w !== '=')
  let current = words.at(-1) ?? ''
  let previous = words.length >= 2 && words.at(-2) === '=' ? words.at(-3) : typed.at(-1)
  let prefix = ''
  const inline = /^(--?[\w-]+)=(.*)$/.exec(current)
  if (inline) {
    previous = inline[1]
    prefix = `${inline[1]}=`
    current = inline[2]!
  }
  const visible = commands.filter((c) => !c.hidden)
  const commandWords: string[] = []
  for (const w of typed) {
    if (w.startsWith('-')) break
    commandWords.push(w)
  }
  const command = longestCommand(commandWords, visible)
  const rest = typed.slice(command ? command.id.split(':').length : 0)
  const flag = command && previous?.startsWith('-') ? flagNamed(command, previous) : undefined
  const cluster = endpointsFromEnv || typed.some((w) => w === '--endpoints' || w.startsWith('--endpoints=')) ? undefined : clusterOf(typed, defaultCluster)
  const nodes = (): readonly string[] => (cluster === undefined || (needsLocalNodes(command!.id) && names.attached().includes(cluster)) ? [] : names.nodes(cluster))
  let candidates: string[]
  if (flag?.type === 'option') {
    candidates = flagValues(command!, flag.name, current, nodes, names)
  } else if (current.startsWith('-') && command) {
    candidates = Object.keys(command.flags).map((f) => `--${f}`)
  } else if (!command) {
    candidates = nextWords(commandWords, visible)
  } else if (rest.length === 0 && subcommandsOf(command.id, visible).length > 0) {
    candidates = subcommandsOf(command.id, visible)
  } else {
    const position = positionals(rest, command).length
    const arg = command.args[position]
    candidates = arg === undefined ? [] : isNodeArg(command.id, arg) ? [...nodes()] : ATTACHED_ARGS[command.id] === arg ? [...names.attached()] : []
  }
  return candidates.filter((c) => c.startsWith(current)).map((c) => prefix + c)
}

/** The command whose id is the longest prefix of `words`. */
function longestCommand(words: readonly string[], commands: readonly CompletionCommand[]): CompletionCommand | undefined {
  for (let n = words.length; n > 0; n--) {
    const id = words.slice(0, n).join(':')
    const found = commands.find((c) => c.id === id)
    if (found) return found
  }
  return undefined
}

/** The next word of every command id that starts with `words` (topics and commands). */
function nextWords(words: readonly string[], commands: readonly CompletionCommand[]): string[] {
  const head = words.join(':')
  const next = new Set<string>()
  for (const c of commands) {
    const parts = c.id.split(':')
    if (parts.length > words.length && parts.slice(0, words.length).join(':') === head) next.add(parts[words.length]!)
  }
  return [...next].sort()
}

/** The words that follow `id` in longer command ids (`leader` → `transfer`). */
function subcommandsOf(id: string, commands: readonly CompletionCommand[]): string[] {
  return nextWords(id.split(':'), commands)
}

/** The flag `word` names (`--cluster`, `-c`), if the command has it. */
function flagNamed(command: CompletionCommand, word: string): {name: string; type: 'boolean' | 'option'} | undefined {
  const name = word.startsWith('--') ? word.slice(2) : Object.keys(command.flags).find((f) => command.flags[f]!.char === word.slice(1))
  const flag = name === undefined ? undefined : command.flags[name]
  return flag && name ? {name, type: flag.type} : undefined
}

/** The positional words of `rest`: flags and the values of option flags left out. */
function positionals(rest: readonly string[], command: CompletionCommand): string[] {
  const out: string[] = []
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i]!
    if (w === '--') return [...out, ...rest.slice(i + 1)]
    if (!w.startsWith('-') || w === '-') out.push(w)
    else if (!w.includes('=') && flagNamed(command, w)?.type === 'option') i++
  }
  return out
}

/** The cluster named by `--cluster X`, `-c X` or `--cluster=X` in `words`, else `fallback`. */
function clusterOf(words: readonly string[], fallback: string): string {
  let cluster = fallback
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!
    if ((w === '--cluster' || w === '-c') && words[i + 1] !== undefined) cluster = words[i + 1]!
    else if (w.startsWith('--cluster=')) cluster = w.slice('--cluster='.length)
  }
  return cluster
}

function isNodeArg(commandId: string, arg: string): boolean {
  return arg === 'node' || (NODE_ARGS[commandId]?.includes(arg) ?? false)
}

/** Values of option flag `name`: cluster names, or node ids of `nodes()` (comma-separated lists for chaos). */
function flagValues(command: CompletionCommand, name: string, current: string, nodes: () => readonly string[], names: NameSource): string[] {
  if (name === 'cluster') return [...names.clusters()]
  if (!(command.id.startsWith('chaos:') && NODE_LIST_FLAGS.has(name))) return []
  const done = current.slice(0, current.lastIndexOf(',') + 1)
  const chosen = new Set(done.split(',').filter(Boolean))
  return nodes().filter((id) => !chosen.has(id)).map((id) => done + id)
}

/**
 * Names from RAFTCTL_HOME: every folder holding a cluster manifest or an attachment record; a
 * local cluster's node ids from its manifest (removed nodes left out), an attached cluster's
 * from its member cache (none when nothing was cached yet).
 */
export function homeNames(home: string = raftctlHome()): NameSource {
  const attached = (): string[] => {
    try {
      return listAttached(home)
    } catch {
      return []
    }
  }
  return {
    clusters() {
      try {
        const local = readdirSync(home, {withFileTypes: true})
          .filter((e) => e.isDirectory() && !e.name.startsWith('.') && !e.name.startsWith('_'))
          .map((e) => e.name)
          .filter((name) => clusterExists(new ClusterPaths(name, home)))
        return [...new Set([...local, ...attached()])].sort()
      } catch {
        return []
      }
    },
    attached,
    nodes(cluster) {
      if (isAttached(cluster, home)) return cachedMembers(cluster, home)
      try {
        return activeNodes(loadManifest(new ClusterPaths(cluster, home))).map((n) => n.id)
      } catch {
        return []
      }
    },
  }
}

/**
 * The script `raftctl completion SHELL` prints: it asks `BIN __complete -- WORDS…` for the
 * candidates at each TAB. bash falls back to file names when there are none (`check FILE`).
 */
export function completionScript(shell: CompletionShell, bin: string): string {
  const fn = `_${bin.replaceAll(/[^A-Za-z0-9_]/g, '_')}_complete`
  if (shell === 'bash') {
    return `# ${bin} completion for bash: add to ~/.bashrc
#   source <(${bin} completion bash)
${fn}() {
  local IFS=$'\\n'
  COMPREPLY=($(${bin} __complete -- "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
}
complete -o default -F ${fn} ${bin}
`
  }
  return `#compdef ${bin}
# ${bin} completion for zsh: add to ~/.zshrc (after compinit)
#   source <(${bin} completion zsh)
${fn}() {
  local -a candidates
  candidates=(\${(f)"$(${bin} __complete -- "\${(@)words[2,CURRENT]}" 2>/dev/null)"})
  if (( \${#candidates} )); then
    compadd -a candidates
  else
    _files
  fi
}
compdef ${fn} ${bin}
`
}
