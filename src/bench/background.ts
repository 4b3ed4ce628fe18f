/**
 * `--background N` of the benchmarks: N busy cores of other work beside the measured system, so
 * behaviour on a busy machine is measured rather than guessed (issue 23). Each core is one child
 * process that spins in a loop at normal priority; the benchmark starts them before its
 * measurement and stops them (by pid) after it, also when the measurement fails.
 */
import {spawn, type ChildProcess} from 'node:child_process'

/** Most spinning processes `--background` may start: 64 (a guard against a typo such as 200). */
export const MAX_BACKGROUND_CORES = 64

/** The running background load. */
export interface BackgroundLoad {
  /** How many spinning processes run. */
  readonly cores: number
  /** Their pids (for the record, and for CPU accounting that must leave them out). */
  readonly pids: readonly number[]
  /** Stop every spinner (SIGKILL by pid) and wait until each has exited. Safe to call twice. */
  stop(): Promise<void>
}

/** The spinner: a tight loop that never allocates, so it costs CPU and nothing else. */
const SPIN_SOURCE = 'for(;;){}'

/**
 * Start `cores` spinning processes (0 starts none). Throws a RangeError for a count that is not
 * an integer from 0 to {@link MAX_BACKGROUND_CORES}. The spinners also die with this process:
 * each is killed on its `exit` event, so an interrupted benchmark leaves none behind.
 */
export function startBackground(cores: number): BackgroundLoad {
  if (!Number.isInteger(cores) || cores < 0 || cores > MAX_BACKGROUND_CORES) {
    throw new RangeError(`--background must be an integer from 0 to ${MAX_BACKGROUND_CORES}, got ${cores}`)
  }
  const children: ChildProcess[] = []
  for (let i = 0; i < cores; i++) {
    children.push(spawn(process.execPath, ['-e', SPIN_SOURCE], {stdio: 'ignore'}))
  }
  const killAll = (): void => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  }
  process.once('exit', killAll)
  let stopped: Promise<void> | undefined
  return {
    cores,
    pids: children.flatMap((c) => (c.pid === undefined ? [] : [c.pid])),
    stop(): Promise<void> {
      stopped ??= (async () => {
        const exits = children.map((c) =>
          c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => c.once('exit', () => resolve())),
        )
        killAll()
        await Promise.all(exits)
        process.removeListener('exit', killAll)
      })()
      return stopped
    },
  }
}
