/**
 * Usage errors that happen before any command runs: a mistyped command (`raftctl stauts`) and
 * extra words after a command that takes none (`raftctl status n1`, which oclif sees as the
 * unknown command id `status:n1`). DESIGN.md §4: exit 2 (`BAD_USAGE`), TTY or not, with a
 * suggestion on stderr. This replaces @oclif/plugin-not-found, which exits 127 and suggests
 * only on a terminal. The default export is the oclif `command_not_found` hook (package.json
 * `oclif.hooks`); the rest is pure and tested on its own.
 */
import {Errors, type Hook} from '@oclif/core'

/**
 * A command is suggested when its edit distance to what was typed is at most this share of the
 * typed length (or {@link SUGGESTION_MIN_DISTANCE}, whichever is larger): `stauts` → `status`
 * (2 edits), `kv gt` → `kv get` (1), but nothing for `xyzzy`.
 */
export const SUGGESTION_MAX_DISTANCE_RATIO = 0.4
/** Edits always allowed for a suggestion, however short the typed word. */
export const SUGGESTION_MIN_DISTANCE = 2

/** What went wrong, said once for stderr and for the `--json` error document. */
export interface UsageProblem {
  /** One line: what was typed and where to look (`see raftctl status --help`). */
  readonly message: string
  /** The corrected command line when one is close enough (`raftctl kv get x`). */
  readonly suggestion?: string
}

/** The words of an unknown command line as oclif hands them to `command_not_found`. */
export interface UnknownCommandInput {
  /** The program name (`raftctl`). */
  readonly bin: string
  /** The words oclif took for a command id (`status:n1` → `['status', 'n1']`). */
  readonly words: readonly string[]
  /** What followed them (flags and their values), kept in a suggestion. */
  readonly argv: readonly string[]
  /** Every visible command id, words separated by `:` (`kv:get`). */
  readonly commandIds: readonly string[]
  /** Every topic (`kv`, `chaos`): its help lists its commands. */
  readonly topics: readonly string[]
}

/**
 * Explain an unknown command line. When its first words are a command, the rest are extra
 * arguments (with a suggestion if the first extra word is close to a subcommand:
 * `leader transfr n2` → `leader transfer n2`); otherwise the closest command, if any is close
 * enough, is suggested with the remaining words.
 */
export function diagnoseUnknownCommand(input: UnknownCommandInput): UsageProblem {
  const {bin, words, argv, commandIds} = input
  const known = longestKnownPrefix(words, commandIds)
  if (known > 0) {
    const command = words.slice(0, known)
    const extra = words.slice(known)
    const sub = closest([...command, extra[0]].join(' '), commandIds.filter((id) => id.startsWith(`${command.join(':')}:`)))
    return {
      message: unexpectedArgumentsMessage(bin, command.join(' '), extra),
      ...(sub ? {suggestion: commandLine(bin, [sub, ...extra.slice(1)], argv)} : {}),
    }
  }
  const typo = closestPrefix(words, commandIds)
  const topic = longestPrefixIn(words, input.topics)
  const help = topic > 0 ? `${bin} ${words.slice(0, topic).join(' ')} --help` : `${bin} --help`
  return {
    message: `\`${bin} ${words.join(' ')}\` is not a ${bin} command; see ${help}`,
    ...(typo ? {suggestion: commandLine(bin, [typo.command, ...words.slice(typo.used)], argv)} : {}),
  }
}

/**
 * The message for extra positional arguments, the same whether oclif's parser found them (a
 * command with arguments) or the `command_not_found` hook did (a command without any).
 * `command` is the command's words separated by spaces (`node start`).
 */
export function unexpectedArgumentsMessage(bin: string, command: string, extra: readonly string[]): string {
  return `unexpected argument${extra.length === 1 ? '' : 's'} ${extra.join(' ')} for \`${bin} ${command}\`; see ${bin} ${command} --help`
}

/** Levenshtein distance: insertions, deletions and substitutions of one character each cost 1. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({length: b.length + 1}, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)
      current.push(Math.min(previous[j] + 1, current[j - 1] + 1, substitution))
    }
    previous = current
  }
  return previous[b.length]
}

/** The command (words separated by spaces) closest to `typed`, if close enough; ties: the first in order. */
function closest(typed: string, commandIds: readonly string[]): string | undefined {
  const limit = Math.max(SUGGESTION_MIN_DISTANCE, Math.floor(typed.length * SUGGESTION_MAX_DISTANCE_RATIO))
  let best: {command: string; distance: number} | undefined
  for (const id of commandIds) {
    const command = id.replaceAll(':', ' ')
    const distance = editDistance(typed, command)
    if (distance <= limit && (!best || distance < best.distance)) best = {command, distance}
  }
  return best?.command
}

/** Of every leading run of `words`, the one closest to a command: that command and how many words it replaces. */
function closestPrefix(words: readonly string[], commandIds: readonly string[]): {command: string; used: number} | undefined {
  let best: {command: string; used: number; distance: number} | undefined
  for (let used = 1; used <= words.length; used++) {
    const typed = words.slice(0, used).join(' ')
    const command = closest(typed, commandIds)
    if (command === undefined) continue
    const distance = editDistance(typed, command)
    if (!best || distance <= best.distance) best = {command, used, distance}
  }
  return best
}

/** How many leading words name a command (0: none), never all of them (then it would have run). */
function longestKnownPrefix(words: readonly string[], commandIds: readonly string[]): number {
  for (let n = words.length - 1; n > 0; n--) if (commandIds.includes(words.slice(0, n).join(':'))) return n
  return 0
}

/** How many leading words name one of `names` (colon-separated), 0 if none. */
function longestPrefixIn(words: readonly string[], names: readonly string[]): number {
  for (let n = words.length; n > 0; n--) if (names.includes(words.slice(0, n).join(':'))) return n
  return 0
}

function commandLine(bin: string, words: readonly string[], argv: readonly string[]): string {
  return [bin, ...words, ...argv].join(' ')
}

/** True when `--json` comes before any `--` (oclif's rule for the JSON flag). */
function wantsJson(argv: readonly string[]): boolean {
  const json = argv.indexOf('--json')
  const end = argv.indexOf('--')
  return json !== -1 && (end === -1 || json < end)
}

/**
 * The `command_not_found` hook: print the problem (under `--json`, the error document on
 * stdout; otherwise `Error [BAD_USAGE]: …` and `Did you mean …?` on stderr) and exit 2.
 */
const commandNotFound: Hook.CommandNotFound = async function (opts) {
  const {config, id} = opts
  const argv = opts.argv ?? []
  const hidden = new Set(config.commands.filter((c) => c.hidden).map((c) => c.id))
  const commandIds = [...config.commandIDs, ...config.commands.flatMap((c) => c.aliases)].filter((c) => !hidden.has(c))
  const problem = diagnoseUnknownCommand({bin: config.bin, words: id.split(':'), argv, commandIds, topics: config.topics.map((t) => t.name)})
  if (wantsJson(argv)) {
    process.stdout.write(`${JSON.stringify({error: {code: 'BAD_USAGE', message: problem.message, ...(problem.suggestion ? {suggestion: problem.suggestion} : {})}}, null, 2)}\n`)
  } else {
    process.stderr.write(`Error [BAD_USAGE]: ${problem.message}\n${problem.suggestion ? `Did you mean \`${problem.suggestion}\`?\n` : ''}`)
  }
  throw new Errors.ExitError(2)
}

export default commandNotFound
