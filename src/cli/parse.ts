/**
 * Parsers for the command-line value forms of DESIGN.md §5: durations (`500ms`, `2s`, `1m`)
 * and sizes (`100`, `4KiB`, `1MiB`). Bad text is a `BAD_USAGE` error that shows the accepted forms.
 */
import {RaftctlError} from '../admin/errors.js'

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
