/**
 * Long work in slices on the daemon's event loop: the replica's {@link SliceRunner} (installing a
 * snapshot from the leader). Each slice runs steps until {@link SLICE_MS} have passed, then
 * yields with setImmediate, so timers, peers and clients are served between slices.
 */
import {performance} from 'node:perf_hooks'
import type {SliceRunner} from '../replica/ports.js'

/** Longest a slice of background work runs before it yields to the event loop: 5 ms. */
export const SLICE_MS = 5

/**
 * A {@link SliceRunner} on this event loop: `step` until it returns true or throws, in slices of
 * at most about `sliceMs` (one step may overrun it); `done` runs through `guard` (the replica
 * loop's, so a failure it raises stops the node cleanly).
 */
export function sliceRunner(guard: (fn: () => void) => void, sliceMs = SLICE_MS): SliceRunner {
  return (step, done) => {
    const slice = (): void => {
      const started = performance.now()
      let finished: boolean
      try {
        do finished = step()
        while (!finished && performance.now() - started < sliceMs)
      } catch (err) {
        return guard(() => done(err instanceof Error ? err : new Error(String(err))))
      }
      if (finished) guard(() => done(null))
      else setImmediate(slice)
    }
    setImmediate(slice)
  }
}
