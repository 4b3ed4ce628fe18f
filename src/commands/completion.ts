/**
 * `raftctl completion bash|zsh`: prints the shell script that completes raftctl's commands,
 * flags, cluster names and node ids (src/cli/completion.ts; docs/cli.md "Completion").
 */
import {Args} from '@oclif/core'
import {BaseCommand} from '../cli/base.js'
import {COMPLETION_SHELLS, completionScript, type CompletionShell} from '../cli/completion.js'

/** `raftctl completion SHELL --json`. */
export interface CompletionResult {
  readonly shell: CompletionShell
  readonly script: string
}

export default class Completion extends BaseCommand {
  static override summary = 'Print the shell completion script (bash or zsh)'
  static override description = `Prints a script for your shell that completes commands, flags, cluster names (after --cluster) and node ids (node start|stop|kill|…, leader transfer, election trigger, chaos --node/--from/--to, member remove|promote, wal dump) at TAB. Names are read at each TAB from RAFTCTL_HOME and the chosen cluster's manifest (--cluster, else RAFTCTL_CLUSTER, else "default"), so new clusters and nodes complete at once. Load it from your shell's startup file.`

  static override examples = [
    {description: 'bash: in ~/.bashrc', command: 'source <(<%= config.bin %> <%= command.id %> bash)'},
    {description: 'zsh: in ~/.zshrc, after compinit', command: 'source <(<%= config.bin %> <%= command.id %> zsh)'},
  ]

  static override args = {
    shell: Args.string({description: 'the shell', required: true, options: [...COMPLETION_SHELLS]}),
  }

  async run(): Promise<CompletionResult> {
    const {args} = await this.parse(Completion)
    const shell = args.shell as CompletionShell
    const script = completionScript(shell, this.config.bin)
    if (!this.jsonEnabled()) process.stdout.write(script)
    return {shell, script}
  }
}
