/**
 * Tests of client sessions (exactly-once): a retried (clientId, seq) is applied once and gets
 * byte-identical results, stale seqs and evicted sessions are rejected, and the session table
 * stays bounded with least-recently-used eviction by log index.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {KvStateMachine, encodeCommand, type KvCommand, type KvResult} from '../../src/kv/index.js'
import {run} from './arbitraries.js'

const append = (clientId: string, seq: number, value = 'x'): KvCommand => ({op: 'append', key: 'k', value, session: {clientId, seq}})

function code(result: KvResult): string | undefined {
  return result.ok ? undefined : result.code
}

describe('exactly-once sessions', () => {
  it('the same (clientId, seq) applied twice changes state once and returns the same result', () => {
    const sm = new KvStateMachine()
    const bytes = encodeCommand(append('c1', 1, 'a'))
    const first = sm.apply(1, bytes)
    const second = sm.apply(2, bytes)
    assert.deepEqual(second, first)
    assert.deepEqual(second, {ok: true, op: 'append', value: 'a'})
    assert.equal(sm.read('k'), 'a')
  })

  it('a retry returns the cached result even after other clients changed the key', () => {
    const sm = new KvStateMachine()
    run(sm, 1, {op: 'cas', key: 'k', expected: null, value: 'mine', session: {clientId: 'c1', seq: 1}})
    run(sm, 2, {op: 'put', key: 'k', value: 'theirs'})
    assert.deepEqual(run(sm, 3, {op: 'cas', key: 'k', expected: null, value: 'mine', session: {clientId: 'c1', seq: 1}}), {
      ok: true,
      op: 'cas',
      swapped: true,
      value: 'mine',
    })
    assert.equal(sm.read('k'), 'theirs')
  })

  it('caches error results too: a retried over-limit append stays failed', () => {
    const sm = new KvStateMachine({maxValueBytes: 3})
    run(sm, 1, {op: 'put', key: 'k', value: 'abc'})
    assert.equal(code(run(sm, 2, append('c1', 1, 'd'))), 'PAYLOAD_TOO_LARGE')
    run(sm, 3, {op: 'delete', key: 'k'})
    assert.equal(code(run(sm, 4, append('c1', 1, 'd'))), 'PAYLOAD_TOO_LARGE')
    assert.equal(sm.read('k'), null)
  })

  it('a higher seq applies; a lower seq is STALE_SEQUENCE and changes nothing', () => {
    const sm = new KvStateMachine()
    run(sm, 1, append('c1', 1))
    assert.deepEqual(run(sm, 2, append('c1', 2)), {ok: true, op: 'append', value: 'xx'})
    assert.deepEqual(run(sm, 3, append('c1', 5)), {ok: true, op: 'append', value: 'xxx'})
    assert.equal(code(run(sm, 4, append('c1', 2))), 'STALE_SEQUENCE')
    assert.equal(code(run(sm, 5, append('c1', 1))), 'STALE_SEQUENCE')
    assert.equal(sm.read('k'), 'xxx')
    assert.deepEqual(run(sm, 6, append('c1', 5)), {ok: true, op: 'append', value: 'xxx'})
  })

  it('an unknown client must start at seq 1, else SESSION_EXPIRED (nothing applied)', () => {
    const sm = new KvStateMachine()
    assert.equal(code(run(sm, 1, append('new', 2))), 'SESSION_EXPIRED')
    assert.equal(sm.read('k'), null)
    assert.equal(sm.sessionCount, 0)
  })

  it('sessions are per client id, and writes without a session are never deduplicated', () => {
    const sm = new KvStateMachine()
    run(sm, 1, append('c1', 1))
    run(sm, 2, append('c2', 1))
    run(sm, 3, {op: 'append', key: 'k', value: 'x'})
    run(sm, 4, {op: 'append', key: 'k', value: 'x'})
    assert.equal(sm.read('k'), 'xxxx')
    assert.equal(sm.sessionCount, 2)
  })

  it('get never carries nor touches a session', () => {
    const sm = new KvStateMachine()
    run(sm, 1, {op: 'get', key: 'k'})
    assert.equal(sm.sessionCount, 0)
  })
})

describe('session eviction', () => {
  it('keeps at most maxSessions, evicting the least recently used', () => {
    const sm = new KvStateMachine({maxSessions: 3})
    for (let i = 1; i <= 10; i++) run(sm, i, append(`c${i}`, 1))
    assert.equal(sm.sessionCount, 3)
    // c8, c9, c10 remain: their retries are deduplicated
    assert.deepEqual(run(sm, 11, append('c8', 1)), {ok: true, op: 'append', value: 'x'.repeat(8)})
    // c7 was evicted: its next seq cannot be deduplicated any more
    assert.equal(code(run(sm, 12, append('c7', 2))), 'SESSION_EXPIRED')
    assert.equal(sm.read('k'), 'x'.repeat(10))
  })

  it('a use (new seq or deduplicated retry) makes a session the most recent', () => {
    const sm = new KvStateMachine({maxSessions: 2})
    run(sm, 1, append('a', 1))
    run(sm, 2, append('b', 1))
    run(sm, 3, append('a', 1)) // retry: a is now more recent than b
    run(sm, 4, append('c', 1)) // evicts b
    assert.equal(code(run(sm, 5, append('b', 2))), 'SESSION_EXPIRED')
    assert.equal(run(sm, 6, append('a', 2)).ok, true)
    run(sm, 7, append('d', 1)) // evicts c
    assert.equal(code(run(sm, 8, append('c', 2))), 'SESSION_EXPIRED')
    assert.equal(run(sm, 9, append('a', 3)).ok, true)
  })

  it('rejected commands do not create or refresh sessions', () => {
    const sm = new KvStateMachine({maxSessions: 2})
    run(sm, 1, append('a', 2)) // expired: not created
    run(sm, 2, append('a', 1))
    run(sm, 3, append('a', 2))
    run(sm, 4, append('b', 1))
    run(sm, 5, append('a', 1)) // stale: does not refresh a
    run(sm, 6, append('c', 1)) // evicts a, the least recently used
    assert.equal(code(run(sm, 7, append('a', 3))), 'SESSION_EXPIRED')
    assert.equal(sm.sessionCount, 2)
  })

  it('the bytes counted for sessions equal a recount from scratch after new seqs, retries, evictions and multi-byte client ids', () => {
    const sm = new KvStateMachine({maxSessions: 5})
    const seqs = new Map<string, number>()
    for (let i = 1; i <= 400; i++) {
      const clientId = `клиент-é-${(i * 7) % 9}`
      const retry = i % 5 === 0 && seqs.has(clientId)
      const seq = retry ? seqs.get(clientId)! : (seqs.get(clientId) ?? 0) + 1
      seqs.set(clientId, seq)
      if (code(run(sm, i, append(clientId, seq, 'ж'.repeat(i % 13)))) === 'SESSION_EXPIRED') seqs.delete(clientId) // evicted: start again at seq 1
    }
    const recount = new KvStateMachine({maxSessions: 5})
    recount.restore(sm.snapshot())
    assert.equal(sm.sessionCount, 5)
    assert.equal(sm.approximateBytes, recount.approximateBytes)
  })

  it('memory stays bounded under many clients', () => {
    const sm = new KvStateMachine({maxSessions: 100})
    for (let i = 1; i <= 5000; i++) run(sm, i, {op: 'put', key: `k${i % 10}`, value: 'v', session: {clientId: `client-${i}`, seq: 1}})
    assert.equal(sm.sessionCount, 100)
    const bytes = sm.approximateBytes
    for (let i = 5001; i <= 6000; i++) run(sm, i, {op: 'put', key: `k${i % 10}`, value: 'v', session: {clientId: `client-${i}`, seq: 1}})
    assert.equal(sm.approximateBytes, bytes)
  })
})
