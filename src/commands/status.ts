/**
 * `raftctl status`: one table with a row per node (role, term, leader, commit / applied / last
 * index, lag, last contact, pid, address, health). Unreachable nodes show as down. `--watch`
 * redraws in place and marks what changed since the previous frame.
 */
import {Flags} from '@oclif/core'
import {ClusterCommand, timeoutFlag} from '../cli/cluster-command.js'
import {classify} from '../cli/base.js'
import {isTTY, sleepUnless, untilInterrupted, useColor} from '../cli/render.js'
import {renderStatus, statusJson, type StatusJson} from '../cli/status-view.js'
import type {ClusterStatus} from '../cluster/index.js'

/** ANSI: cursor home, erase to end of line, erase below, clear screen. */
const HOME = '\u001B[H'
const ERASE_LINE = '\u001B[K'
const ERASE_BELOW = '\u001B[J'
const CLEAR = '\u001B[2J'

export default class Status extends ClusterCommand {
  static override summary = 'Show every node: role, term, leader, indexes, lag, health'
  static override description = `Asks every node of the local cluster for its status over the admin channel, in parallel. A node that does not answer within --timeout is shown as down (not an error): role "down", health "down" (no process), "paused" (SIGSTOP) or "unreachable" (running, not answering). LAG is how many entries a node is behind the leader's last index; CONTACT is how long ago the leader last heard from it. The summary line gives the quorum and the failures tolerated.

--watch redraws the table every --interval (in place on a terminal) and marks cells that changed since the previous frame: bold on a colour terminal, a trailing "*" otherwise. Ctrl-C exits 0. With --json, --watch prints one JSON document per line (JSON lines). On a cluster that runs elsewhere (attached, or --endpoints), the members are learned from the cluster's configuration; a frame where no node answers is one error line ({"error": {code, message}} with --json) and the watch goes on.`

  static override examples = [
    {description: 'The status table', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Watch it change, twice a second', command: '<%= config.bin %> <%= command.id %> --watch --interval 500ms'},
    {description: 'For scripts: the leader of the cluster "big"', command: "<%= config.bin %> <%= command.id %> --cluster big --json | jq -r .leader"},
  ]

  static override flags = {
    watch: Flags.boolean({char: 'w', description: 'redraw every --interval until Ctrl-C', default: false}),
    interval: Flags.string({char: 'i', description: 'time between frames with --watch (e.g. 500ms, 2s)', default: '1s'}),
    timeout: timeoutFlag('1500ms', 'how long to wait for each node'),
    verbose: Flags.boolean({char: 'v', description: 'with --json: include each node\'s full status report ("detail")', default: false}),
  }

  async run(): Promise<StatusJson | undefined> {
    const {flags} = await this.parse(Status)
    const timeoutMs = this.duration(flags.timeout, '--timeout', 'timeout')
    const intervalMs = this.duration(flags.interval, '--interval', 'pollInterval')
    const cluster = await this.openHandle(flags)
    if (!flags.watch) {
      const st = await cluster.status(timeoutMs)
      if (!this.jsonEnabled()) this.log(await renderStatus(st, {color: useColor()}))
      return statusJson(st, flags.verbose)
    }
    const interrupted = untilInterrupted()
    const tty = isTTY(process.stdout)
    let previous: ClusterStatus | null = null
    let frames = 0
    try {
      while (true) {
        // A remote cluster none of whose nodes answers is an error frame, not the end of the watch.
        const st = await Promise.race([cluster.status(timeoutMs).catch((error: Error) => error), interrupted.promise.then(() => null)])
        if (st === null) break
        if (st instanceof Error) {
          const {code} = classify(st)
          if (this.jsonEnabled()) process.stdout.write(`${JSON.stringify({error: {code, message: st.message}})}\n`)
          else process.stdout.write(`${new Date().toTimeString().slice(0, 8)} Error [${code}]: ${st.message}\n`)
          previous = null
          await sleepUnless(intervalMs, interrupted.promise)
          continue
        }
        if (this.jsonEnabled()) {
          process.stdout.write(`${JSON.stringify(statusJson(st, flags.verbose))}\n`)
        } else {
          const body = await renderStatus(st, {color: useColor(), previous})
          const header = `${new Date().toTimeString().slice(0, 8)} · every ${flags.interval} · Ctrl-C to quit`
          if (tty) {
            const lines = `${header}\n${body}`.split('\n').map((l) => `${l}${ERASE_LINE}`)
            process.stdout.write(`${frames === 0 ? CLEAR : ''}${HOME}${lines.join('\n')}\n${ERASE_BELOW}`)
          } else {
            process.stdout.write(`${frames === 0 ? '' : '\n'}${header}\n${body}\n`)
          }
        }
        frames++
        previous = st
        await sleepUnless(intervalMs, interrupted.promise)
      }
    } finally {
      interrupted.stop()
    }
    return undefined
  }
}
