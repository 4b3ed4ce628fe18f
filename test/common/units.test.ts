/** Durations and sizes on the command line (DESIGN.md §5): accepted forms and BAD_USAGE errors. */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {DURATION_MINIMUMS, parseDuration, parseDurationFlag, parseSize} from '../../src/common/units.js'
import {RaftctlError} from '../../src/common/errors.js'

function assertBadUsage(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (err: unknown) => err instanceof RaftctlError && err.code === 'BAD_USAGE' && message.test(err.message))
}

test('parseDuration: ms, s, m, h, decimals, spaces', () => {
  assert.equal(parseDuration('500ms'), 500)
  assert.equal(parseDuration('2s'), 2000)
  assert.equal(parseDuration('1m'), 60_000)
  assert.equal(parseDuration('1h'), 3_600_000)
  assert.equal(parseDuration('1.5s'), 1500)
  assert.equal(parseDuration(' 30 S '), 30_000)
  assert.equal(parseDuration('0ms'), 0)
})

test('parseDuration: a unit is required, nonsense is refused', () => {
  for (const bad of ['30', '', 's', '-1s', '1d', '1e3ms', '2 minutes', '1..5s']) {
    assertBadUsage(() => parseDuration(bad), /invalid duration .*use a number and a unit \(ms, s, m or h\), e\.g\. 500ms, 2s, 1m/)
  }
  assertBadUsage(() => parseDuration('99999999999999999h'), /too large/)
})

test('parseDurationFlag: a value below the minimum of its kind is refused, naming the flag and the minimum', () => {
  assertBadUsage(() => parseDurationFlag('0s', '--timeout', 'timeout'), /^--timeout must be at least 10ms, got "0s"$/)
  assertBadUsage(() => parseDurationFlag('9ms', '--timeout', 'timeout'), /--timeout must be at least 10ms/)
  assertBadUsage(() => parseDurationFlag('50ms', '--interval', 'pollInterval'), /^--interval must be at least 100ms, got "50ms"$/)
  assertBadUsage(() => parseDurationFlag('99ms', '--interval', 'faultInterval'), /--interval must be at least 100ms/)
  assertBadUsage(() => parseDurationFlag('0ms', '--for', 'span'), /^--for must be at least 1ms, got "0ms"$/)
  assertBadUsage(() => parseDurationFlag('soon', '--timeout', 'timeout'), /invalid duration "soon"/)
})

test('parseDurationFlag: the minimum itself and anything above it are accepted; 0 where 0 means none', () => {
  assert.equal(parseDurationFlag('10ms', '--timeout', 'timeout'), DURATION_MINIMUMS.timeout)
  assert.equal(parseDurationFlag('1500ms', '--timeout', 'timeout'), 1500)
  assert.equal(parseDurationFlag('100ms', '--interval', 'pollInterval'), DURATION_MINIMUMS.pollInterval)
  assert.equal(parseDurationFlag('1ms', '--for', 'span'), 1)
  assert.equal(parseDurationFlag('0ms', '--wait', 'none'), 0)
})

test('parseSize: bytes, binary and decimal units, case-insensitive', () => {
  assert.equal(parseSize('100'), 100)
  assert.equal(parseSize('100B'), 100)
  assert.equal(parseSize('4KiB'), 4096)
  assert.equal(parseSize('1MiB'), 1024 * 1024)
  assert.equal(parseSize('1mib'), 1024 * 1024)
  assert.equal(parseSize('2GiB'), 2 * 1024 ** 3)
  assert.equal(parseSize('1.5KiB'), 1536)
  assert.equal(parseSize('10kB'), 10_000)
  assert.equal(parseSize('5MB'), 5_000_000)
})

test('parseSize: refuses unknown units, fractions of a byte, negatives', () => {
  for (const bad of ['', 'KiB', '4K', '4 kilobytes', '-1', '1e3']) {
    assertBadUsage(() => parseSize(bad), /invalid size .*e\.g\. 100, 4KiB, 1MiB/)
  }
  assertBadUsage(() => parseSize('0.5B'), /not a whole number of bytes/)
  assertBadUsage(() => parseSize('99999999TiB'), /too large/)
})
