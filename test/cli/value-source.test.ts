/**
 * readValueSource: exactly one of VALUE, --file or stdin (`-`); files and stdin read with a cap
 * (at the limit is accepted, one byte over is PAYLOAD_TOO_LARGE, and stdin is not read to its
 * end), bytes kept exactly (trailing newline), invalid UTF-8 refused with its byte offset, a
 * missing or unreadable file BAD_INPUT naming the path. Also firstInvalidUtf8Offset against
 * Node's own UTF-8 check.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {chmodSync, mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {Readable} from 'node:stream'
import {isUtf8} from 'node:buffer'
import {firstInvalidUtf8Offset, MAX_VALUE_BYTES, readValueSource, type ValueSourceInput} from '../../src/cli/value-source.js'
import {RaftctlError, type ErrorCode} from '../../src/common/errors.js'
import {DEFAULT_KV_LIMITS} from '../../src/kv/limits.js'
import {testTempDir} from '../helpers.js'

const input = (argument: string | undefined, file?: string): ValueSourceInput => ({argument, file, name: 'VALUE', usage: 'kv put KEY (VALUE | --file F | -)'})

/** A stdin that records how many chunks were pulled from it. */
function countingStream(chunks: Buffer[]): {stream: Readable; pulled: () => number} {
  let pulled = 0
  const stream = Readable.from((function* () {
    for (const c of chunks) {
      pulled++
      yield c
    }
  })())
  return {stream, pulled: () => pulled}
}

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, message: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof RaftctlError, String(err))
    assert.equal(err.code, code)
    assert.equal(err.exitCode, 2)
    assert.match(err.message, message)
    return true
  })
}

test('the limit is the state machine\'s maxValueBytes (1 MiB)', () => {
  assert.equal(MAX_VALUE_BYTES, DEFAULT_KV_LIMITS.maxValueBytes)
  assert.equal(MAX_VALUE_BYTES, 1048576)
})

test('exactly one source: none, or VALUE and --file, or - and --file, is BAD_USAGE', async () => {
  await rejectsWith(readValueSource(input(undefined)), 'BAD_USAGE', /^no value given: use kv put KEY/)
  await rejectsWith(readValueSource(input('v', '/tmp/f')), 'BAD_USAGE', /both a VALUE argument and --file/)
  await rejectsWith(readValueSource(input('-', '/tmp/f')), 'BAD_USAGE', /both - \(stdin\) and --file/)
})

test('a VALUE argument is returned as given; over the limit is PAYLOAD_TOO_LARGE with both sizes', async () => {
  assert.equal(await readValueSource(input('héllo\n')), 'héllo\n')
  await rejectsWith(readValueSource(input('ab'), {maxBytes: 1}), 'PAYLOAD_TOO_LARGE', /^VALUE is 2 bytes, over the limit of 1 bytes \(maxValueBytes\); nothing was sent$/)
})

test('a file exactly at the limit is read whole; one byte over is PAYLOAD_TOO_LARGE naming the file, its size and the limit', async (t) => {
  const dir = testTempDir(t)
  const at = join(dir, 'at')
  writeFileSync(at, 'x'.repeat(99) + '\n')
  assert.equal(await readValueSource(input(undefined, at), {maxBytes: 100}), 'x'.repeat(99) + '\n')
  const over = join(dir, 'over')
  writeFileSync(over, 'x'.repeat(101))
  await rejectsWith(readValueSource(input(undefined, over), {maxBytes: 100}), 'PAYLOAD_TOO_LARGE', new RegExp(`^VALUE from file ${over} is 101 bytes, over the limit of 100 bytes \\(maxValueBytes\\)`))
})

test('the default limit: 1 MiB from a file is accepted, 1 MiB + 1 refused', async (t) => {
  const dir = testTempDir(t)
  const at = join(dir, 'at')
  writeFileSync(at, 'y'.repeat(MAX_VALUE_BYTES))
  assert.equal((await readValueSource(input(undefined, at))).length, MAX_VALUE_BYTES)
  const over = join(dir, 'over')
  writeFileSync(over, 'y'.repeat(MAX_VALUE_BYTES + 1))
  await rejectsWith(readValueSource(input(undefined, over)), 'PAYLOAD_TOO_LARGE', /is 1048577 bytes, over the limit of 1048576 bytes/)
})

test('a file keeps its bytes exactly: trailing newline, CRLF, multi-byte characters, empty file', async (t) => {
  const dir = testTempDir(t)
  const file = join(dir, 'v')
  const text = 'line 1\r\nlíne 2 ✓ 😀\n\n'
  writeFileSync(file, text)
  assert.equal(await readValueSource(input(undefined, file)), text)
  writeFileSync(file, '')
  assert.equal(await readValueSource(input(undefined, file)), '')
})

test('stdin (-): read to its end in chunks, trailing newline kept; at the limit accepted', async () => {
  const {stream} = countingStream([Buffer.from('hello '), Buffer.from('wörld\n')])
  assert.equal(await readValueSource(input('-'), {stdin: stream}), 'hello wörld\n')
  const exact = countingStream([Buffer.from('a'.repeat(60)), Buffer.from('b'.repeat(40))])
  assert.equal(await readValueSource(input('-'), {stdin: exact.stream, maxBytes: 100}), 'a'.repeat(60) + 'b'.repeat(40))
})

test('stdin one byte over the limit: PAYLOAD_TOO_LARGE, and reading stops there (the rest of an endless stream is never pulled)', async () => {
  const over = countingStream([Buffer.from('a'.repeat(60)), Buffer.from('b'.repeat(41))])
  await rejectsWith(readValueSource(input('-'), {stdin: over.stream, maxBytes: 100}), 'PAYLOAD_TOO_LARGE', /^VALUE from stdin is more than 100 bytes \(reading stopped there\), over the limit of 100 bytes/)
  let pulled = 0
  const endless = Readable.from((function* () {
    for (;;) {
      pulled++
      yield Buffer.alloc(1000, 0x61)
    }
  })())
  await rejectsWith(readValueSource(input('-'), {stdin: endless, maxBytes: 4500}), 'PAYLOAD_TOO_LARGE', /more than 4500 bytes/)
  assert.ok(pulled <= 6, `pulled ${pulled} chunks of an endless stdin`)
  assert.ok(endless.destroyed, 'stdin is destroyed, not left flowing')
})

test('bytes that are not UTF-8 are INVALID_UTF8 naming the byte offset (file and stdin)', async (t) => {
  const dir = testTempDir(t)
  const file = join(dir, 'bin')
  writeFileSync(file, Buffer.concat([Buffer.from('héllo'), Buffer.from([0xff, 0x41])]))
  await rejectsWith(readValueSource(input(undefined, file)), 'INVALID_UTF8', new RegExp(`^VALUE from file ${file} is not valid UTF-8 at byte offset 6 \\(0xff\\).*base64`))
  const {stream} = countingStream([Buffer.from('ok'), Buffer.from([0xc3]), Buffer.from([0x28])])
  await rejectsWith(readValueSource(input('-'), {stdin: stream}), 'INVALID_UTF8', /^VALUE from stdin is not valid UTF-8 at byte offset 2 \(0xc3\)/)
})

test('a missing file, a directory or an unreadable file is BAD_INPUT naming the path and the reason', async (t) => {
  const dir = testTempDir(t)
  const missing = join(dir, 'nope')
  await rejectsWith(readValueSource(input(undefined, missing)), 'BAD_INPUT', new RegExp(`^cannot read --file ${missing}: no such file \\(ENOENT\\)$`))
  const folder = join(dir, 'folder')
  mkdirSync(folder)
  await rejectsWith(readValueSource(input(undefined, folder)), 'BAD_INPUT', new RegExp(`^cannot read --file ${folder}: it is a directory \\(EISDIR\\)$`))
  if (process.getuid?.() !== 0) {
    const locked = join(dir, 'locked')
    writeFileSync(locked, 'secret')
    chmodSync(locked, 0o000)
    await rejectsWith(readValueSource(input(undefined, locked)), 'BAD_INPUT', /: permission denied \(EACCES\)$/)
  }
})

test('firstInvalidUtf8Offset: -1 exactly when Node calls the bytes UTF-8, else the first bad sequence', () => {
  const cases: [number[], number][] = [
    [[0x61, 0x62], -1],
    [[0xe2, 0x9c, 0x93], -1], // ✓
    [[0xf0, 0x9f, 0x98, 0x80], -1], // 😀
    [[0x61, 0x80], 1], // lone continuation byte
    [[0xc0, 0xaf], 0], // overlong '/'
    [[0xe0, 0x80, 0xaf], 0], // overlong 3-byte
    [[0xed, 0xa0, 0x80], 0], // a surrogate
    [[0xf4, 0x90, 0x80, 0x80], 0], // above U+10FFFF
    [[0x61, 0x62, 0xe2, 0x9c], 2], // cut short at the end
    [[0xe2, 0x41, 0x41], 0], // cut short by an ASCII byte
    [[0x61, 0xf5, 0x80, 0x80, 0x80], 1], // never a lead byte
  ]
  for (const [bytes, offset] of cases) {
    assert.equal(firstInvalidUtf8Offset(Uint8Array.from(bytes)), offset, bytes.map((b) => b.toString(16)).join(' '))
    assert.equal(offset === -1, isUtf8(Uint8Array.from(bytes)), `Node agrees on ${bytes.map((b) => b.toString(16)).join(' ')}`)
  }
})
