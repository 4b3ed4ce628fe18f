/**
 * Tests of the client/admin protocol (src/admin/protocol.ts): every request type parses and
 * round-trips; every malformed request gets the right code and names the field; the byte
 * limits; responses and events round-trip and are validated; and fuzzing with fast-check:
 * random text, random JSON and random fields never make a parse function throw.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import fc from 'fast-check'
import {isErrorCode} from '../../src/common/errors.js'
import {
  DEFAULT_PROTOCOL_LIMITS, MAX_RANGE_LIMIT, PROTOCOL_VERSION, REQUEST_SPECS,
  encodeRequest, formatError, formatEvent, formatRequest, formatResponse, frameText, invalidUtf8Request, isPlainJsonString, parseRequest, parseResponse, PLAIN_STRING_FROM,
  type AdminEvent, type NodeStatus, type ParseRequestResult, type ParseResponseResult, type RequestParamsMap, type RequestType, type ResultMap,
} from '../../src/admin/protocol.js'

/** One valid parameter set for every request type (the Record type makes the list complete). */
const EXAMPLE_PARAMS: {[T in RequestType]: RequestParamsMap[T]} = {
  get: {key: 'k', serializable: true},
  put: {key: 'ключ', value: 'значение 😀', session: {clientId: 'c1', seq: 1}},
  delete: {key: 'k', session: {clientId: 'c1', seq: 2}},
  cas: {key: 'k', expected: null, value: 'v', session: {clientId: 'c1', seq: Number.MAX_SAFE_INTEGER}},
  append: {key: 'k', value: ''},
  range: {prefix: 'p/', limit: 10, keysOnly: true, serializable: true},
  deletePrefix: {prefix: '', session: {clientId: 'c1', seq: 3}},
  txn: {compare: [{key: 'a', value: '1'}, {key: 'b', absent: true}, {key: 'c', modIndex: 4}], success: [{op: 'put', key: 'a', value: '2'}, {op: 'delete', key: 'b'}], failure: [], session: {clientId: 'c1', seq: 4}},
  watch: {prefix: 'p/', fromIndex: 3},
  status: {},
  members: {},
  'member.add': {node: 'n4', address: 'ws://127.0.0.1:7004', learner: true},
  'member.remove': {node: 'n4'},
  'member.promote': {node: 'n4'},
  transfer: {to: 'n2'},
  campaign: {},
  stepdown: {},
  snapshot: {},
  subscribe: {},
  unsubscribe: {},
  ping: {},
  'chaos.add': {fault: {kind: 'partition', groups: [['n1', 'n2'], ['n3']], oneWay: true}, forMs: 10_000, faultId: 'partition-1'},
  'chaos.heal': {faultId: 'partition-1', kind: 'partition'},
  'chaos.list': {},
  'snapshot.begin': {},
  'snapshot.chunk': {stream: 's1', offset: 262144},
  'snapshot.end': {stream: 's1'},
  events: {since: 1_700_000_000_000},
  diagnostics: {},
  hash: {index: 42},
}

const STATUS: NodeStatus = {
  id: 'n1', role: 'leader', term: 3, vote: 'n1', leader: 'n1', commitIndex: 10, appliedIndex: 10, lastIndex: 11,
  lastTerm: 3, firstIndex: 1, snapshotIndex: 0, voter: true,
  members: {voters: [{id: 'n1', address: 'ws://127.0.0.1:7001'}, {id: 'n2', address: null}], learners: []},
  progress: [{id: 'n2', match: 10, next: 11, state: 'replicate', recentActive: true, lastContactMs: 12.5, inflight: 1}],
  transferee: null, electionElapsedMs: 20, electionTimeoutMs: 150, uptimeMs: 1000, pid: 4242, address: 'ws://127.0.0.1:7001', version: '0.1.0',
  faults: [{id: 'f1', kind: 'drop', rate: 0.5}],
  alarm: {index: 40, nodes: ['n3'], hashes: {n1: 'aa', n2: 'aa', n3: 'bb'}, time: 1_700_000_000_000},
}

const MEMBERS = {voters: [{id: 'n1', address: 'ws://127.0.0.1:7001'}], learners: [{id: 'n4', address: 'ws://127.0.0.1:7004'}]}

/** One valid result for every request type. */
const EXAMPLE_RESULTS: {[T in RequestType]: ResultMap[T]} = {
  get: {value: null, index: 7},
  put: {value: 'v'},
  delete: {deleted: true},
  cas: {swapped: false, value: 'current'},
  append: {value: 'ab'},
  range: {kvs: [{key: 'a', value: '1', modIndex: 3}, {key: '😀', modIndex: 0}], count: 5, more: true, index: 9},
  deletePrefix: {deleted: 4},
  txn: {succeeded: false},
  watch: {fromIndex: 3, oldestIndex: 1},
  status: {status: STATUS},
  members: MEMBERS,
  'member.add': {index: 12, members: MEMBERS},
  'member.remove': {index: 13, members: MEMBERS},
  'member.promote': {index: 14, members: MEMBERS},
  transfer: {leader: 'n2', term: 4},
  campaign: {term: 5},
  stepdown: {term: 5},
  snapshot: {index: 10},
  subscribe: {},
  unsubscribe: {},
  ping: {node: 'n1', time: 1_700_000_000_000},
  'chaos.add': {fault: {id: 'f1', kind: 'drop', rate: 0.5, remainingMs: null, hits: 0}},
  'chaos.heal': {removed: 2},
  'chaos.list': {faults: [{id: 'f1', kind: 'delay', ms: 100, jitter: 50, remainingMs: 900, hits: 12}]},
  'snapshot.begin': {stream: 's1', node: 'n1', clusterId: 'c0ffee', index: 10, term: 2, members: MEMBERS, bytes: 300_000, chunkBytes: 262_144, version: '0.1.0'},
  'snapshot.chunk': {data: 'UktWUw=='},
  'snapshot.end': {},
  events: {node: 'n1', capacity: 1000, dropped: 3, events: [
    {seq: 4, time: 1_700_000_000_000, event: {type: 'roleChanged', from: 'leader', to: 'follower', term: 4, cause: 'higherTerm', peer: 'n2'}},
    {seq: 5, time: 1_700_000_000_001, event: {type: 'peerSilent', peer: 'n3', ms: 700}},
  ]},
  diagnostics: {
    node: 'n1', version: '0.1.0', tickMs: 5, electionTicks: 30, heartbeatTicks: 6,
    secretFiles: [{role: 'secret', path: '/home/a/secret', mode: 0o600}, {role: 'peerSecret', path: '/home/a/peer', mode: null}],
    saveLatency: {count: 10, p50: 1.5, p99: 12, max: 30}, disk: {freeBytes: 1e9, totalBytes: 1e10}, storageError: null,
    peers: [{id: 'n2', lastHeardMs: 12, reachable: true}, {id: 'n3', lastHeardMs: null, reachable: false}],
    alarm: null, consistencyCheckEveryMs: 0,
  },
  hash: {node: 'n1', index: 42, hash: 'ab'.repeat(32)},
}

const EVENTS: AdminEvent[] = [
  {type: 'roleChanged', from: 'follower', to: 'candidate', term: 2, cause: 'timeout'},
  {type: 'leaderChanged', leader: null, term: 2},
  {type: 'leaderChanged', leader: 'n1', term: 2},
  {type: 'electionStarted', term: 3, pre: true, cause: 'manual'},
  {type: 'confChanged', conf: {voters: ['n1', 'n2'], learners: ['n3']}, index: 9},
  {type: 'transferStarted', to: 'n2', term: 3},
  {type: 'transferAborted', to: 'n2', term: 3},
  {type: 'roleChanged', from: 'leader', to: 'follower', term: 4, cause: 'higherTerm', peer: 'n2'},
  {type: 'voteCast', candidate: 'n3', term: 5, pre: true, granted: false, reason: 'lease'},
  {type: 'voteCast', candidate: 'n3', term: 5, pre: false, granted: true, reason: null},
  {type: 'snapshotSent', to: 'n3', index: 100, term: 5},
  {type: 'snapshotReceived', from: 'n1', index: 100, term: 5},
]

const TYPES = Object.keys(REQUEST_SPECS) as RequestType[]

/** Parse `frame` (an object, stringified) and expect an error with `code` whose message mentions `field`. */
function expectError(frame: unknown, code: string, field?: string, options = {}): ParseRequestResult {
  const result = parseRequest(typeof frame === 'string' ? frame : JSON.stringify(frame), options)
  assert.equal(result.ok, false, `expected ${code}, got ${JSON.stringify(result)}`)
  if (!result.ok) {
    assert.equal(result.error.code, code, result.error.message)
    if (field !== undefined) assert.match(result.error.message, new RegExp(`^${field.replace(/[.[\]]/g, '\\$&')}: `), result.error.message)
  }
  return result
}

function request(type: string, params: Record<string, unknown> = {}, id = 1): Record<string, unknown> {
  return {v: 1, id, type, ...params}
}

describe('parseRequest: every request type', () => {
  for (const type of TYPES) {
    it(`parses ${type} and round-trips through formatRequest`, () => {
      const params = EXAMPLE_PARAMS[type]
      const result = parseRequest(formatRequest(42, type, params))
      assert.deepEqual(result, {ok: true, request: {v: PROTOCOL_VERSION, id: 42, type, ...params}})
    })
  }

  it('serves each type only on its route', () => {
    assert.equal(parseRequest(JSON.stringify(request('get', {key: 'k'})), {route: 'client'}).ok, true)
    assert.equal(parseRequest(JSON.stringify(request('status')), {route: 'admin'}).ok, true)
    assert.equal(parseRequest(JSON.stringify(request('ping')), {route: 'client'}).ok, true)
    assert.equal(parseRequest(JSON.stringify(request('ping')), {route: 'admin'}).ok, true)
    expectError(request('status'), 'UNKNOWN_TYPE', undefined, {route: 'client'})
    expectError(request('put', {key: 'k', value: 'v'}), 'UNKNOWN_TYPE', undefined, {route: 'admin'})
  })

  it('defaults member.add learner to false, accepts member.* force, and transfer without a target', () => {
    const add = parseRequest(JSON.stringify(request('member.add', {node: 'n4', address: 'h:1'})))
    assert.deepEqual(add, {ok: true, request: {v: 1, id: 1, type: 'member.add', node: 'n4', address: 'h:1', learner: false}})
    assert.deepEqual(parseRequest(JSON.stringify(request('member.remove', {node: 'n4', force: true}))), {ok: true, request: {v: 1, id: 1, type: 'member.remove', node: 'n4', force: true}})
    assert.deepEqual(parseRequest(JSON.stringify(request('transfer'))), {ok: true, request: {v: 1, id: 1, type: 'transfer'}})
    assert.deepEqual(parseRequest(JSON.stringify(request('transfer', {to: null}))), {ok: true, request: {v: 1, id: 1, type: 'transfer', to: null}})
  })

  it('keeps "" as a value and null as cas expected distinct', () => {
    const result = parseRequest(JSON.stringify(request('cas', {key: 'k', expected: '', value: ''})))
    assert.deepEqual(result, {ok: true, request: {v: 1, id: 1, type: 'cas', key: 'k', expected: '', value: ''}})
  })
})

describe('parseRequest: malformed frames', () => {
  it('refuses text that is not JSON, or not an object', () => {
    for (const text of ['', 'nope', '{"v":1', '[1,2]', 'null', '42', '"s"']) {
      const result = expectError(text, 'BAD_REQUEST')
      assert.equal('id' in result, false)
    }
  })

  it('refuses a missing or bad id without echoing one', () => {
    for (const id of [undefined, -1, 1.5, '1', null, 2 ** 53]) {
      const result = expectError({v: 1, id, type: 'ping'}, 'BAD_REQUEST', 'id')
      assert.equal('id' in result, false)
    }
  })

  it('refuses a missing version as BAD_REQUEST and another version as UNSUPPORTED_VERSION, with the id', () => {
    assert.equal(expectError({id: 7, type: 'ping'}, 'BAD_REQUEST', 'v').ok, false)
    for (const v of [0, 2, '1', null]) {
      const result = expectError({v, id: 7, type: 'ping'}, 'UNSUPPORTED_VERSION')
      assert.equal(!result.ok && result.id, 7)
    }
  })

  it('refuses unknown types, including prototype names', () => {
    for (const type of ['nope', 'toString', '__proto__', 'constructor', 'chaos.partition', 'GET']) {
      const result = expectError(request(type), 'UNKNOWN_TYPE')
      assert.equal(!result.ok && result.id, 1)
    }
    expectError({v: 1, id: 1}, 'BAD_REQUEST', 'type')
    expectError({v: 1, id: 1, type: 5}, 'BAD_REQUEST', 'type')
  })

  const cases: [string, Record<string, unknown>, string, string][] = [
    ['get', {}, 'BAD_REQUEST', 'key'],
    ['get', {key: 5}, 'BAD_REQUEST', 'key'],
    ['get', {key: ''}, 'BAD_REQUEST', 'key'],
    ['get', {key: 'k', serializable: 'yes'}, 'BAD_REQUEST', 'serializable'],
    ['put', {key: 'k'}, 'BAD_REQUEST', 'value'],
    ['put', {key: 'k', value: null}, 'BAD_REQUEST', 'value'],
    ['put', {key: 'k', value: 'v', extra: 1}, 'BAD_REQUEST', 'extra'],
    ['put', {key: 'k', value: 'v', session: {clientId: 'c'}}, 'BAD_REQUEST', 'session.seq'],
    ['put', {key: 'k', value: 'v', session: {clientId: 'c', seq: 0}}, 'BAD_REQUEST', 'session.seq'],
    ['put', {key: 'k', value: 'v', session: {clientId: 'c', seq: 1.5}}, 'BAD_REQUEST', 'session.seq'],
    ['put', {key: 'k', value: 'v', session: {clientId: '', seq: 1}}, 'BAD_REQUEST', 'session.clientId'],
    ['put', {key: 'k', value: 'v', session: {clientId: 'c', seq: 1, x: 1}}, 'BAD_REQUEST', 'session.x'],
    ['put', {key: 'k', value: 'v', session: [1]}, 'BAD_REQUEST', 'session'],
    ['put', {key: 'k', value: 'v', session: null}, 'BAD_REQUEST', 'session'],
    ['cas', {key: 'k', value: 'v'}, 'BAD_REQUEST', 'expected'],
    ['cas', {key: 'k', expected: 1, value: 'v'}, 'BAD_REQUEST', 'expected'],
    ['delete', {key: 'k', value: 'v'}, 'BAD_REQUEST', 'value'],
    ['status', {verbose: true}, 'BAD_REQUEST', 'verbose'],
    ['member.add', {address: 'h:1'}, 'BAD_REQUEST', 'node'],
    ['member.add', {node: 'n4'}, 'BAD_REQUEST', 'address'],
    ['member.add', {node: 'n4', address: 'h:1', learner: 1}, 'BAD_REQUEST', 'learner'],
    ['member.remove', {node: 'x'.repeat(65)}, 'BAD_REQUEST', 'node'],
    ['member.remove', {node: 'n4', force: 'yes'}, 'BAD_REQUEST', 'force'],
    ['member.promote', {node: 'n4', force: 1}, 'BAD_REQUEST', 'force'],
    ['transfer', {to: 3}, 'BAD_REQUEST', 'to'],
  ]
  for (const [type, params, code, field] of cases) {
    it(`${type} ${JSON.stringify(params)} → ${code} naming ${field}`, () => {
      const result = expectError(request(type, params, 9), code, field)
      assert.equal(!result.ok && result.id, 9)
    })
  }

  it('refuses lone surrogates in keys and values with INVALID_UTF8 (JSON can carry them, UTF-8 cannot)', () => {
    expectError('{"v":1,"id":1,"type":"get","key":"\\ud800"}', 'INVALID_UTF8', 'key')
    expectError('{"v":1,"id":1,"type":"put","key":"k","value":"a\\udc00b"}', 'INVALID_UTF8', 'value')
    assert.equal(parseRequest('{"v":1,"id":1,"type":"put","key":"k","value":"\\ud83d\\ude00"}').ok, true)
  })

  it('invalidUtf8Request: INVALID_UTF8 with the id the lossily decoded frame shows, none otherwise', () => {
    const withId = invalidUtf8Request('{"v":1,"id":7,"type":"put","key":"k\uFFFD","value":"v"}')
    assert.deepEqual([withId.id, withId.error.code], [7, 'INVALID_UTF8'])
    assert.equal(invalidUtf8Request('{"v":1,"id":-1}').id, undefined)
    assert.equal(invalidUtf8Request('\uFFFD{').id, undefined)
    assert.equal(invalidUtf8Request('[1]').id, undefined)
  })

  it('does not let __proto__ fields through', () => {
    const result = expectError('{"v":1,"id":1,"type":"get","key":"k","__proto__":{"serializable":true}}', 'BAD_REQUEST', '__proto__')
    assert.equal(result.ok, false)
    assert.equal(({} as Record<string, unknown>).serializable, undefined)
  })
})

describe('parseRequest: range and deletePrefix', () => {
  it('accepts a prefix (empty: every key), or from with or without to (from may be empty)', () => {
    for (const params of [{prefix: ''}, {prefix: 'a'}, {from: 'a', to: 'b'}, {from: ''}, {from: 'z', to: 'a'}]) {
      assert.deepEqual(parseRequest(JSON.stringify(request('range', params))), {ok: true, request: {v: 1, id: 1, type: 'range', ...params}})
    }
  })

  it('refuses a range that is not exactly one of prefix or from, with the id', () => {
    for (const params of [{}, {to: 'b'}, {prefix: 'a', from: 'a'}, {prefix: 'a', to: 'b'}]) {
      const result = expectError(request('range', params, 7), 'BAD_REQUEST')
      assert.equal(!result.ok && result.id, 7)
    }
  })

  it(`limits limit to 1..${MAX_RANGE_LIMIT} (MAX_RANGE_LIMIT) and checks every field`, () => {
    assert.equal(parseRequest(JSON.stringify(request('range', {prefix: '', limit: MAX_RANGE_LIMIT}))).ok, true)
    expectError(request('range', {prefix: '', limit: MAX_RANGE_LIMIT + 1}), 'BAD_REQUEST', 'limit')
    expectError(request('range', {prefix: '', limit: 0}), 'BAD_REQUEST', 'limit')
    expectError(request('range', {prefix: '', limit: 1.5}), 'BAD_REQUEST', 'limit')
    expectError(request('range', {prefix: '', keysOnly: 'yes'}), 'BAD_REQUEST', 'keysOnly')
    expectError(request('range', {prefix: '', countOnly: 1}), 'BAD_REQUEST', 'countOnly')
    expectError(request('range', {prefix: 5}), 'BAD_REQUEST', 'prefix')
    expectError(request('range', {prefix: '', extra: 1}), 'BAD_REQUEST', 'extra')
    expectError(request('range', {prefix: '\ud800'}), 'INVALID_UTF8', 'prefix')
  })

  it('holds prefix, from and to to maxKeyBytes', () => {
    const key = 'k'.repeat(DEFAULT_PROTOCOL_LIMITS.maxKeyBytes)
    assert.equal(parseRequest(JSON.stringify(request('range', {from: key, to: key}))).ok, true)
    expectError(request('range', {prefix: key + 'k'}), 'PAYLOAD_TOO_LARGE', 'prefix')
    expectError(request('range', {from: key + 'k'}), 'PAYLOAD_TOO_LARGE', 'from')
    expectError(request('range', {from: 'a', to: key + 'k'}), 'PAYLOAD_TOO_LARGE', 'to')
    expectError(request('deletePrefix', {prefix: key + 'k'}), 'PAYLOAD_TOO_LARGE', 'prefix')
  })

  it('deletePrefix needs a prefix (which may be empty) and is served on /client only', () => {
    assert.equal(parseRequest(JSON.stringify(request('deletePrefix', {prefix: ''})), {route: 'client'}).ok, true)
    expectError(request('deletePrefix', {}), 'BAD_REQUEST', 'prefix')
    expectError(request('deletePrefix', {prefix: 'a', key: 'a'}), 'BAD_REQUEST', 'key')
    expectError(request('deletePrefix', {prefix: ''}), 'UNKNOWN_TYPE', undefined, {route: 'admin'})
    expectError(request('range', {prefix: ''}), 'UNKNOWN_TYPE', undefined, {route: 'admin'})
  })

  it('validates range answers: a key without modIndex, a count that is not an integer', () => {
    const bad = (result: unknown) => parseResponse(JSON.stringify({v: 1, id: 1, ok: true, ...(result as object)}), () => 'range')
    assert.equal(bad({kvs: [], count: 0, more: false, index: 1}).ok, true)
    for (const result of [{kvs: [{key: 'a'}], count: 1, more: false, index: 1}, {kvs: [], count: 0.5, more: false, index: 1}, {kvs: [], count: 0, index: 1}]) {
      const parsed = bad(result)
      assert.equal(parsed.ok, false, JSON.stringify(result))
      assert.equal(!parsed.ok && parsed.error.code, 'BAD_RESPONSE')
    }
  })
})

describe('parseRequest: limits', () => {
  const {maxKeyBytes, maxValueBytes, maxClientIdBytes, maxFrameBytes} = DEFAULT_PROTOCOL_LIMITS

  it('has the documented defaults', () => {
    assert.deepEqual({...DEFAULT_PROTOCOL_LIMITS}, {maxKeyBytes: 1024, maxValueBytes: 1048576, maxClientIdBytes: 128, maxFrameBytes: 8388608})
  })

  it('accepts a key, value and client id of exactly the limit, refuses one byte more', () => {
    const ok = request('put', {key: 'k'.repeat(maxKeyBytes), value: 'v'.repeat(maxValueBytes), session: {clientId: 'c'.repeat(maxClientIdBytes), seq: 1}})
    assert.equal(parseRequest(JSON.stringify(ok)).ok, true)
    expectError(request('put', {key: 'k'.repeat(maxKeyBytes + 1), value: ''}), 'PAYLOAD_TOO_LARGE', 'key')
    expectError(request('put', {key: 'k', value: 'v'.repeat(maxValueBytes + 1)}), 'PAYLOAD_TOO_LARGE', 'value')
    expectError(request('cas', {key: 'k', expected: 'e'.repeat(maxValueBytes + 1), value: ''}), 'PAYLOAD_TOO_LARGE', 'expected')
    expectError(request('append', {key: 'k', value: '', session: {clientId: 'c'.repeat(maxClientIdBytes + 1), seq: 1}}), 'PAYLOAD_TOO_LARGE', 'session.clientId')
  })

  it('counts UTF-8 bytes, not characters', () => {
    const key = 'é'.repeat(maxKeyBytes / 2) // 2 bytes each: exactly the limit
    assert.equal(parseRequest(JSON.stringify(request('get', {key}))).ok, true)
    expectError(request('get', {key: `${key}é`}), 'PAYLOAD_TOO_LARGE', 'key')
    expectError(request('get', {key: '😀'.repeat(maxKeyBytes / 4 + 1)}), 'PAYLOAD_TOO_LARGE', 'key')
  })

  it('refuses a frame over maxFrameBytes before parsing it', () => {
    const big = JSON.stringify(request('put', {key: 'k', value: 'v'.repeat(maxFrameBytes)}))
    const result = expectError(big, 'PAYLOAD_TOO_LARGE')
    assert.equal('id' in result, false)
    const multiByte = `"${'é'.repeat(maxFrameBytes / 2)}"` // fewer characters than the limit, more bytes
    expectError(multiByte, 'PAYLOAD_TOO_LARGE')
  })

  it('takes custom limits as named options', () => {
    const options = {maxKeyBytes: 4, maxValueBytes: 2, maxFrameBytes: 100}
    assert.equal(parseRequest(JSON.stringify(request('put', {key: 'abcd', value: 'xy'})), options).ok, true)
    expectError(request('put', {key: 'abcde', value: ''}), 'PAYLOAD_TOO_LARGE', 'key', options)
    expectError(request('put', {key: 'k', value: 'xyz'}), 'PAYLOAD_TOO_LARGE', 'value', options)
    expectError(request('put', {key: 'k', value: '', pad: 'x'.repeat(100)}), 'PAYLOAD_TOO_LARGE', undefined, options)
    assert.throws(() => parseRequest('{}', {maxKeyBytes: 0}), RangeError)
  })

  it('encodeRequest refuses locally what a daemon would refuse', () => {
    assert.deepEqual(encodeRequest(1, 'get', {key: ''}), {ok: false, error: {code: 'BAD_REQUEST', message: 'key: must not be empty'}})
    const tooLarge = encodeRequest(1, 'put', {key: 'k', value: 'xyz'}, {maxValueBytes: 2})
    assert.equal(!tooLarge.ok && tooLarge.error.code, 'PAYLOAD_TOO_LARGE')
    assert.deepEqual(encodeRequest(3, 'ping', {}), {ok: true, text: '{"v":1,"id":3,"type":"ping"}'})
  })
})

describe('responses and events', () => {
  for (const type of TYPES) {
    it(`${type}: formatResponse → parseResponse round-trips the result`, () => {
      const text = formatResponse(5, EXAMPLE_RESULTS[type])
      const parsed = parseResponse(text, (id) => (id === 5 ? type : undefined))
      assert.deepEqual(parsed, {ok: true, message: {kind: 'result', id: 5, type, result: EXAMPLE_RESULTS[type]}})
    })
  }

  it('puts the envelope first and the result fields flat', () => {
    assert.equal(formatResponse<'put'>(3, {value: 'v'}), '{"v":1,"id":3,"ok":true,"value":"v"}')
    assert.equal(formatResponse<'status'>(3, {status: STATUS}).startsWith('{"v":1,"id":3,"ok":true,"status":{"id":"n1"'), true)
  })

  it('ignores result fields it does not know (servers may add fields)', () => {
    const parsed = parseResponse('{"v":1,"id":1,"ok":true,"value":"v","extra":1}', () => 'put')
    assert.deepEqual(parsed, {ok: true, message: {kind: 'result', id: 1, type: 'put', result: {value: 'v'}}})
  })

  it('validates results against the request type and names the field', () => {
    const parsed = parseResponse('{"v":1,"id":4,"ok":true,"swapped":"yes","value":null}', () => 'cas')
    assert.deepEqual(parsed, {ok: false, id: 4, error: {code: 'BAD_RESPONSE', message: 'swapped: must be a boolean, got "yes"'}})
    const status = parseResponse(formatResponse<'status'>(4, {status: {...STATUS, role: 'boss'} as unknown as NodeStatus}), () => 'status')
    assert.equal(!status.ok && status.error.code, 'BAD_RESPONSE')
    assert.match(!status.ok ? status.error.message : '', /^status\.role: /)
  })

  it('round-trips errors with and without a leader hint, and with an unknown id', () => {
    const hint = {code: 'NOT_LEADER' as const, message: 'not the leader', leader: {id: 'n2', address: 'ws://127.0.0.1:7002'}}
    assert.deepEqual(parseResponse(formatError(8, hint)), {ok: true, message: {kind: 'error', id: 8, error: hint}})
    assert.deepEqual(parseResponse(formatError(undefined, {code: 'BAD_REQUEST', message: 'x'})), {
      ok: true, message: {kind: 'error', id: null, error: {code: 'BAD_REQUEST', message: 'x'}},
    })
    assert.equal(formatError(null, {code: 'TIMEOUT', message: 'm'}), '{"v":1,"id":null,"ok":false,"error":{"code":"TIMEOUT","message":"m"}}')
  })

  it('maps an error code from a newer daemon to FAILED, keeping it in the message', () => {
    const parsed = parseResponse('{"v":1,"id":1,"ok":false,"error":{"code":"BRAND_NEW","message":"m"}}')
    assert.deepEqual(parsed, {ok: true, message: {kind: 'error', id: 1, error: {code: 'FAILED', message: '[BRAND_NEW] m'}}})
  })

  for (const event of EVENTS) {
    it(`event ${event.type} round-trips`, () => {
      assert.deepEqual(parseResponse(formatEvent(event, 123)), {ok: true, message: {kind: 'event', event, time: 123}})
    })
  }

  it('skips events of unknown types and refuses malformed known ones', () => {
    assert.deepEqual(parseResponse('{"v":1,"type":"event","event":{"type":"newThing"},"time":1}'), {
      ok: true, message: {kind: 'ignored', reason: 'unknown event type "newThing"'},
    })
    const bad = parseResponse('{"v":1,"type":"event","event":{"type":"leaderChanged","leader":5,"term":1},"time":1}')
    assert.equal(!bad.ok && bad.error.code, 'BAD_RESPONSE')
  })

  it('refuses malformed frames with BAD_RESPONSE', () => {
    for (const text of ['', 'x', '[]', '{"v":2,"id":1,"ok":true}', '{"id":1,"ok":true}', '{"v":1,"id":1}', '{"v":1,"id":-1,"ok":true}',
      '{"v":1,"id":1,"ok":false}', '{"v":1,"id":1,"ok":false,"error":{"code":"TIMEOUT"}}', '{"v":1,"type":"event","event":{}}']) {
      const parsed = parseResponse(text)
      assert.equal(parsed.ok, false, text)
      assert.equal(!parsed.ok && parsed.error.code, 'BAD_RESPONSE', text)
    }
  })
})

// ---------------------------------------------------------------------------------------------
// Fuzzing

const KNOWN_REQUEST_CODES = new Set(['BAD_REQUEST', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_VERSION', 'UNKNOWN_TYPE'])

function assertStructuredRequest(result: ParseRequestResult): void {
  if (result.ok) return
  assert.ok(KNOWN_REQUEST_CODES.has(result.error.code), result.error.code)
  assert.equal(typeof result.error.message, 'string')
  assert.ok(result.error.message.length > 0 && result.error.message.length < 1000)
  if ('id' in result) assert.ok(Number.isSafeInteger(result.id))
}

function assertStructuredResponse(result: ParseResponseResult): void {
  if (result.ok) return
  assert.equal(result.error.code, 'BAD_RESPONSE')
  assert.ok(isErrorCode(result.error.code))
  assert.equal(typeof result.error.message, 'string')
}

/** Values that look like protocol fields, mixed with arbitrary JSON. */
const fieldValue = fc.oneof(
  fc.jsonValue({maxDepth: 2}),
  fc.string({unit: 'binary'}),
  fc.constantFrom('', 'k', 'n1', null, true, 0, 1, -1, 1.5, 2 ** 53, {clientId: 'c', seq: 1}, {clientId: 'c', seq: 0}),
)
const fieldName = fc.oneof(fc.constantFrom('key', 'value', 'expected', 'session', 'serializable', 'node', 'address', 'learner', 'to', 'v', 'id', 'type'), fc.string())

describe('fuzz (fast-check)', () => {
  it('random strings never throw and always give a structured result', () => {
    fc.assert(fc.property(fc.string({unit: 'binary', maxLength: 200}), (text) => {
      assertStructuredRequest(parseRequest(text))
      assertStructuredResponse(parseResponse(text))
    }), {numRuns: 2000})
  })

  it('random JSON never throws', () => {
    fc.assert(fc.property(fc.jsonValue({maxDepth: 4}), (value) => {
      const text = JSON.stringify(value) ?? 'null'
      assertStructuredRequest(parseRequest(text))
      assertStructuredResponse(parseResponse(text, () => 'status'))
    }), {numRuns: 1000})
  })

  it('random fields on a valid envelope never throw, and errors carry the id', () => {
    const frame = fc.record({
      type: fc.constantFrom(...TYPES, 'nope'),
      id: fc.nat(),
      fields: fc.dictionary(fieldName, fieldValue, {maxKeys: 6}),
    })
    fc.assert(fc.property(frame, ({type, id, fields}) => {
      const result = parseRequest(JSON.stringify({...fields, v: 1, id, type}))
      assertStructuredRequest(result)
      if (!result.ok) assert.equal(result.id, id)
      else assert.equal(result.request.type, type)
    }), {numRuns: 3000})
  })

  it('valid requests with random Unicode strings round-trip', () => {
    const text = fc.string({unit: 'grapheme', minLength: 1, maxLength: 30})
    const session = fc.option(fc.record({clientId: text, seq: fc.integer({min: 1, max: Number.MAX_SAFE_INTEGER})}, {noNullPrototype: true}), {nil: undefined})
    fc.assert(fc.property(text, fc.string({unit: 'grapheme'}), fc.option(fc.string({unit: 'grapheme'})), session, (key, value, expected, s) => {
      const params = s === undefined ? {key, expected, value} : {key, expected, value, session: s}
      const result = parseRequest(formatRequest(1, 'cas', params))
      assert.deepEqual(result, {ok: true, request: {v: 1, id: 1, type: 'cas', ...params}})
    }), {numRuns: 500})
  })

  it('random response-shaped frames never throw', () => {
    const frame = fc.record({
      ok: fc.oneof(fc.boolean(), fieldValue), id: fc.oneof(fc.nat(), fieldValue), type: fc.constantFrom(...TYPES),
      fields: fc.dictionary(fc.oneof(fc.constantFrom('value', 'status', 'error', 'event', 'time', 'members'), fc.string()), fieldValue, {maxKeys: 4}),
    })
    fc.assert(fc.property(frame, ({ok, id, type, fields}) => {
      assertStructuredResponse(parseResponse(JSON.stringify({...fields, v: 1, id, ok}), () => type))
    }), {numRuns: 2000})
  })
})

describe('frameText: large values without JSON.stringify', () => {
  const large = (unit: string): string => unit.repeat(Math.ceil(PLAIN_STRING_FROM / unit.length) + 1)

  it('a large plain value is written as it is, last; the frame parses back to the same object', () => {
    const value = large('abc é ÿ ~ ')
    const frame = {v: 1, id: 3, ok: true, value, index: 7}
    const text = frameText(frame)
    assert.equal(text, `{"v":1,"id":3,"ok":true,"index":7,"value":"${value}"}`)
    assert.deepEqual(JSON.parse(text), frame)
    assert.equal(formatResponse<'put'>(3, {value}), `{"v":1,"id":3,"ok":true,"value":"${value}"}`)
  })

  it('every character JSON escapes, a lone surrogate, and a character whose low byte is one of them take JSON.stringify', () => {
    // ✓ (U+2713) and 😀 (U+D83D U+DE00) are not escaped by JSON, but a low byte of theirs is a control byte: the check is conservative.
    const escaped = ['"', '\\', '\n', '\u0000', '\u001f', '\uD800', '\uDC00', '\u0122', '\u015c', '✓', '😀']
    for (const bad of escaped) {
      const value = large('x') + bad
      assert.equal(isPlainJsonString(value), false, `U+${bad.charCodeAt(0).toString(16)}`)
      const frame = {v: 1, id: 1, ok: true, value}
      assert.equal(frameText(frame), JSON.stringify(frame))
    }
    assert.equal(isPlainJsonString(large('x') + '\u007f\u00ff\u2028'), true, 'DEL, ÿ and U+2028 need no escape in JSON')
  })

  it('property: any frame parses back to itself, large strings of any Unicode included', () => {
    const unit = fc.constantFrom('a', 'é', '"', '\\', '\n', '\u0001', '✓', '😀', '\uD800', 'Ģ', ' ')
    const value = fc.array(unit, {minLength: 0, maxLength: 2 * PLAIN_STRING_FROM}).map((u) => u.join(''))
    fc.assert(fc.property(value, value, fc.integer(), (a, b, id) => {
      const frame = {v: 1, id, type: 'put', key: a, value: b}
      assert.deepEqual(JSON.parse(frameText(frame)), frame)
    }), {numRuns: 300})
  })
})
