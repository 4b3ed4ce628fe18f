/**
 * requireUtf8Args: a command-line key or value whose raw bytes were not UTF-8 (which Node shows
 * as U+FFFD) is refused with INVALID_UTF8; a typed U+FFFD is accepted when the raw bytes prove
 * it; without raw bytes a U+FFFD is refused (the documented fallback).
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {requireUtf8Args} from '../../src/cli/raw-args.js'
import {RaftctlError} from '../../src/common/errors.js'

/** A raw command line as /proc/self/cmdline holds it: each argument followed by a NUL. */
const commandLine = (...args: Buffer[]) => () => Buffer.concat(args.flatMap((a) => [a, Buffer.from([0])]))
const text = (s: string) => Buffer.from(s, 'utf8')

function assertInvalid(fn: () => void, message: RegExp): void {
  assert.throws(fn, (err: unknown) => err instanceof RaftctlError && err.code === 'INVALID_UTF8' && err.exitCode === 2 && message.test(err.message))
}

test('a value whose raw bytes are not UTF-8 (0xff) is refused, naming the argument', () => {
  const raw = commandLine(text('node'), text('bin/run.js'), text('kv'), text('put'), Buffer.from([0x6b, 0xff]), text('v'))
  assertInvalid(() => requireUtf8Args({key: 'k\uFFFD', value: 'v'}, raw), /^key is not valid UTF-8: .*"k\uFFFD"/)
})

test('a U+FFFD that was typed (valid bytes EF BF BD) is accepted', () => {
  const raw = commandLine(text('node'), text('bin/run.js'), text('kv'), text('put'), text('k\uFFFD'), text('v'))
  assert.doesNotThrow(() => requireUtf8Args({key: 'k\uFFFD', value: 'v'}, raw))
})

test('without the raw bytes, a value holding U+FFFD is refused; values without it never need them', () => {
  assertInvalid(() => requireUtf8Args({value: '\uFFFD'}, () => undefined), /^value holds U\+FFFD .*cannot be read/)
  const unreadable = () => assert.fail('the raw command line was read for values without U+FFFD')
  assert.doesNotThrow(() => requireUtf8Args({key: 'ключ 😀', value: '', expected: undefined}, unreadable))
})
