/**
 * fast-check arbitraries and small helpers shared by the KV tests: random commands over full
 * Unicode strings, random command streams over a small key and client space (so that keys
 * collide and sessions repeat), and shortcuts to apply a command and decode its result.
 */
import fc from 'fast-check'
import assert from 'node:assert/strict'
import {decodeResult, encodeCommand, encodeResult, type KvCommand, type KvResult, type KvSession, type KvStateMachine} from '../../src/kv/index.js'

/** Any well-formed Unicode string (astral code points included; no lone surrogates). */
export const text = (maxLength = 20): fc.Arbitrary<string> =>
  fc.oneof(fc.string({unit: 'binary', maxLength}), fc.string({unit: 'grapheme', maxLength}), fc.string({maxLength}))

/** A non-empty key. */
export const key: fc.Arbitrary<string> = text(12).filter((k) => k.length > 0)

/** An optional session. */
export const session: fc.Arbitrary<KvSession | undefined> = fc.option(
  fc.tuple(key, fc.oneof(fc.integer({min: 1, max: 10}), fc.maxSafeNat().filter((n) => n >= 1))).map(([clientId, seq]) => ({clientId, seq})),
  {nil: undefined},
)

/** Attach a session only when present, so that decode(encode(c)) deep-equals c. */
function withSession<C extends KvCommand>(command: C, s: KvSession | undefined): C {
  return s === undefined ? command : {...command, session: s}
}

/** Build a command from generated parts. */
function command(keys: fc.Arbitrary<string>, values: fc.Arbitrary<string>, sessions: fc.Arbitrary<KvSession | undefined>): fc.Arbitrary<KvCommand> {
  return fc.oneof(
    keys.map((k) => ({op: 'get' as const, key: k})),
    fc.tuple(keys, values, sessions).map(([k, v, s]) => withSession({op: 'put' as const, key: k, value: v}, s)),
    fc.tuple(keys, sessions).map(([k, s]) => withSession({op: 'delete' as const, key: k}, s)),
    fc.tuple(keys, fc.option(values, {nil: null}), values, sessions).map(([k, e, v, s]) => withSession({op: 'cas' as const, key: k, expected: e, value: v}, s)),
    fc.tuple(keys, values, sessions).map(([k, v, s]) => withSession({op: 'append' as const, key: k, value: v}, s)),
    fc.tuple(fc.oneof(fc.constant(''), keys), sessions).map(([p, s]) => withSession({op: 'deletePrefix' as const, prefix: p}, s)),
  )
}

/** Any valid command with arbitrary Unicode fields. */
export const anyCommand: fc.Arbitrary<KvCommand> = command(key, text(), session)

/**
 * Commands over few keys, few values and few clients, with small seqs: cas comparisons succeed
 * sometimes, retries, stale seqs and expired sessions all happen.
 */
export const streamCommand: fc.Arbitrary<KvCommand> = command(
  fc.constantFrom('a', 'b', 'ключ', '🔑'),
  fc.constantFrom('', 'x', 'y', 'é😀'),
  fc.option(
    fc.tuple(fc.constantFrom('c1', 'c2', 'c3'), fc.integer({min: 1, max: 4})).map(([clientId, seq]) => ({clientId, seq})),
    {nil: undefined},
  ),
)

/** Apply a command at `index`; its result, checked to survive an encode/decode round trip. */
export function run(sm: KvStateMachine, index: number, c: KvCommand): KvResult {
  return wellFormed(sm.apply(index, encodeCommand(c)))
}

/** A non-null result that encodes, and decodes back to itself (what a snapshot or a retry needs). */
export function wellFormed(result: KvResult | null): KvResult {
  assert.ok(result !== null, 'a command has a result')
  const decoded = decodeResult(encodeResult(result))
  assert.deepEqual(decoded, result)
  return decoded
}

/** A machine fed commands at consecutive indexes starting after its applied index. */
export function feed(sm: KvStateMachine, commands: readonly KvCommand[]): KvResult[] {
  return commands.map((c) => run(sm, sm.appliedIndex + 1, c))
}
