/**
 * Batch runs of the simulator: many seeds, a summary, and for each failure the seed, the
 * violated property, the last events and the command that replays it.
 */
import {runSeed} from './cluster.js'
import type {SimOptions, SimResult} from './options.js'

/** Summary of a batch of seeds (the `sim run --json` shape). */
export interface SimBatchResult {
  readonly seeds: number
  readonly firstSeed: number
  readonly failures: {readonly seed: number; readonly violation: string; readonly property: string; readonly replay: string; readonly lastEvents: readonly string[]}[]
  readonly seconds: number
  readonly seedsPerSecond: number
  readonly events: number
}

/**
 * The command that replays one seed exactly (with the disk mode, background saves, commit
 * notices, recovery, loop saves and snapshot send time when not the defaults).
 */
export function replayCommand(seed: number, options: Pick<SimOptions, 'disk' | 'backgroundSaves' | 'commitNotices' | 'recover' | 'loopSaves' | 'snapshotSendMs'> = {}): string {
  const disk = options.disk === 'sync' ? ' --disk sync' : ''
  const saves = options.backgroundSaves === 'leader' ? ' --background-saves leader' : ''
  const notices = options.commitNotices === false ? ' --no-commit-notices' : ''
  const recover = options.recover ? ' --recover' : ''
  const loop = options.loopSaves === undefined ? '' : options.loopSaves ? ' --loop-saves' : ' --no-loop-saves'
  const snapshots = options.snapshotSendMs === undefined ? '' : ` --snapshot-send-ms ${options.snapshotSendMs}`
  return `raftctl sim run --seed ${seed}${disk}${saves}${notices}${recover}${loop}${snapshots}`
}

/**
 * Run `count` seeds starting at `firstSeed`. `now` measures wall time (injected: the sim itself
 * never reads a clock). `onResult` sees each seed as it finishes.
 */
export function runSeeds(
  firstSeed: number,
  count: number,
  options: Omit<SimOptions, 'seed'>,
  now: () => number,
  onResult?: (r: SimResult) => void,
): SimBatchResult {
  const start = now()
  const failures: SimBatchResult['failures'] = []
  let events = 0
  for (let seed = firstSeed; seed < firstSeed + count; seed++) {
    const r = runSeed({...options, seed})
    events += r.stats.events
    onResult?.(r)
    if (!r.ok) {
      failures.push({seed, property: r.violation!.property, violation: r.violation!.message, replay: replayCommand(seed, options), lastEvents: r.lastEvents})
    }
  }
  const seconds = (now() - start) / 1000
  return {seeds: count, firstSeed, failures, seconds, seedsPerSecond: count / Math.max(seconds, 1e-9), events}
}
