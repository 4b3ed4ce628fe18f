/**
 * A shared leaf (src/common: every layer outside the pure core may import it). Parsers for the command-line value forms of DESIGN.md §5: durations (`500ms`, `2s`, `1m`)
 * and sizes (`100`, `4KiB`, `1MiB`), and the short form durations print in ({@link formatDuration}). Bad text is a `BAD_USAGE` error that shows the accepted forms.
 * Every duration flag has a named lower bound ({@link DURATION_MINIMUMS}, docs/cli.md "Durations"):
 * a value below it (`status --timeout 0s`) is refused rather than run to a meaningless result.
 */
import {RaftctlError} from './errors.js'

const DURATION_UNITS: Record<string, number> = {ms: 1, s: 1000, m: 60_000, h: 3_600_000}

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
  tb: 1000 ** 4,
}

const NUMBER_AND_UNIT = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i

/**
 * Parse a duration such as `500ms`, `2s`, `1.5m` or `1h` into whole milliseconds (rounded).
 * A unit is required: a bare number is ambiguous.
 *
 * @throws RaftctlError `BAD_USAGE` for anything else, including negative values.
 */
export function parseDuration(text: string): number {
  const match = NUMBER_AND_UNIT.exec(text.trim())
  const unit = match?.[2]?.toLowerCase()
  if (!match || !unit || DURATION_UNITS[unit] === undefined) {
    throw new RaftctlError('BAD_USAGE', `invalid duration ${JSON.stringify(text)}: use a number and a unit (ms, s, m or h), e.g. 500ms, 2s, 1m`)
  }
  return checkedInteger(Math.round(Number(match[1]) * DURATION_UNITS[unit]!), text, 'duration')
}

/**
 * The lower bounds of duration flags, ms, by what the flag measures (docs/cli.md, "Durations").
 * - `timeout`: a wait for an answer from a node or for an event (`--timeout`, `--request-timeout`,
 *   `--op-timeout`, …): 10 ms. Less cannot cover even one local round trip, so every node would
 *   look unreachable.
 * - `pollInterval`: the time between status polls (`status --watch --interval`, `dashboard
 *   --interval`): 100 ms. Faster only loads the nodes; the table cannot be read faster anyway.
 * - `faultInterval`: the time between fault starts of a seeded schedule (`chaos run --interval`,
 *   `verify --fault-interval`): 100 ms, the planner's own minimum (src/chaos/schedule.ts).
 * - `span`: something that must last (`--for` of a chaos fault, `--duration`, `--time-limit`,
 *   `--fsync-delay`): 1 ms, i.e. more than zero.
 * - `none`: a delay or a wait where 0 means "none" (`leader --wait`, `--jitter`, `--warmup`): 0.
 */
export const DURATION_MINIMUMS = {timeout: 10, pollInterval: 100, faultInterval: 100, span: 1, none: 0} as const

/** What a duration flag measures, naming its lower bound in {@link DURATION_MINIMUMS}. */
export type DurationKind = keyof typeof DURATION_MINIMUMS

/**
 * Parse the value of the duration flag `flag` (e.g. `--timeout`) and require at least the
 * minimum of `kind`.
 *
 * @throws RaftctlError `BAD_USAGE` for bad text, or a value below the minimum (the message names
 *   the flag and the minimum: `--timeout must be at least 10ms, got "0s"`).
 */
export function parseDurationFlag(text: string, flag: string, kind: DurationKind): number {
  const ms = parseDuration(text)
  const min = DURATION_MINIMUMS[kind]
  if (ms < min) throw new RaftctlError('BAD_USAGE', `${flag} must be at least ${min}ms, got ${JSON.stringify(text)}`)
  return ms
}

/**
 * Parse a size such as `100` (bytes), `4KiB`, `1MiB`, `2GiB` (powers of 1024) or `10kB`, `5MB`
 * (powers of 1000) into bytes. Units are case-insensitive; the result must be a whole number.
 *
 * @throws RaftctlError `BAD_USAGE` for anything else.
 */
export function parseSize(text: string): number {
  const match = NUMBER_AND_UNIT.exec(text.trim())
  const unit = (match?.[2] || 'b').toLowerCase()
  if (!match || SIZE_UNITS[unit] === undefined) {
    throw new RaftctlError('BAD_USAGE', `invalid size ${JSON.stringify(text)}: use bytes or a number with a unit (B, KiB, MiB, GiB, kB, MB, GB), e.g. 100, 4KiB, 1MiB`)
  }
  const bytes = Number(match[1]) * SIZE_UNITS[unit]!
  if (!Number.isInteger(bytes)) {
    throw new RaftctlError('BAD_USAGE', `invalid size ${JSON.stringify(text)}: not a whole number of bytes`)
  }
  return checkedInteger(bytes, text, 'size')
}

function checkedInteger(value: number, text: string, what: string): number {
  if (!Number.isSafeInteger(value)) throw new RaftctlError('BAD_USAGE', `invalid ${what} ${JSON.stringify(text)}: too large`)
  return value
}

/**
 * A duration in milliseconds, short: `0ms`, `850ms`, `1.2s`, `42s`, `3m04s`, `2h05m`, `3d04h`.
 * Null or negative: `-`.
 */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '-'
  if (ms < 1000) return `${Math.round(ms)}ms`
  if (ms < 10_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)}s`
  const s = Math.floor(ms / 1000)
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`
  const h = Math.floor(m / 60)
  if (h < 24) return `${h}h${String(m % 60).padStart(2, '0')}m`
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`
}
