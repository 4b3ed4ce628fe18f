/**
 * `raftctl __complete -- WORDS…` (hidden): what the scripts of `raftctl completion` ask at each
 * TAB. WORDS is the command line after the program name, the last being the word under the
 * cursor; one candidate per line on stdout. Never fails: nothing to offer prints nothing.
 */
import {Command} from '@oclif/core'
import {completeWords, homeNames, DEFAULT_CLUSTER, type CompletionCommand} from '../cli/completion.js'

export default class Complete extends Command {
  static override hidden = true
  static override strict = false
  static override summary = 'Completion candidates for a command line (used by `completion` scripts)'

  async run(): Promise<void> {
    const {argv} = await this.parse(Complete)
    const words = (argv as string[])[0] === '--' ? (argv as string[]).slice(1) : (argv as string[])
    const commands: CompletionCommand[] = this.config.commands.map((c) => ({
      id: c.id,
      hidden: c.hidden,
      flags: Object.fromEntries(Object.entries(c.flags).map(([name, f]) => [name, {char: f.char, type: f.type}])),
      args: Object.keys(c.args),
    }))
    const candidates = completeWords(words, commands, homeNames(), process.env.RAFTCTL_CLUSTER || DEFAULT_CLUSTER, Boolean(process.env.RAFTCTL_ENDPOINTS))
    if (candidates.length > 0) process.stdout.write(`${candidates.join('\n')}\n`)
  }
}
