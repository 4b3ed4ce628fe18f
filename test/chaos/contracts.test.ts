/**
 * The admin protocol re-declares the chaos FaultSpec (src/admin imports nothing): the two must
 * stay equal. And the request schemas accept what the chaos module accepts.
 */
import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import type {FaultSpec as AdminFaultSpec, FaultKind} from '../../src/admin/protocol.js'
import {parseRequest} from '../../src/admin/protocol.js'
import {FAULT_SPEC_KINDS, type FaultSpec, type FaultSpecKind} from '../../src/chaos/faults.js'

type Equal<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
type Assert<T extends true> = T
export type FaultSpecsMatch = Assert<Equal<FaultSpec, AdminFaultSpec>>
export type FaultKindsMatch = Assert<Equal<FaultSpecKind, FaultKind>>

function parse(params: object, type = 'chaos.add') {
  return parseRequest(JSON.stringify({v: 1, id: 1, type, ...params}), {route: 'admin'})
}

describe('chaos request schemas', () => {
  it('accept every kind of fault', () => {
    const specs: FaultSpec[] = [
      {kind: 'partition', groups: [['n1', 'n2'], ['n3']], oneWay: true},
      {kind: 'drop', rate: 0.3, peers: ['n2']},
      {kind: 'delay', ms: 100, jitter: 50},
      {kind: 'duplicate', rate: 1},
      {kind: 'reorder', rate: 0.5, ms: 50},
      {kind: 'disk', fsyncDelayMs: 200},
    ]
    assert.deepEqual(specs.map((s) => s.kind), [...FAULT_SPEC_KINDS])
    for (const fault of specs) {
      const r = parse({fault, forMs: 1000, faultId: 'x-1'})
      assert.ok(r.ok, JSON.stringify(r))
      if (r.ok) assert.deepEqual((r.request as {fault: unknown}).fault, fault)
    }
  })

  it('refuse unknown kinds, unknown fields, out-of-range rates, and chaos on the client route', () => {
    assert.equal(parse({fault: {kind: 'nuke'}}).ok, false)
    assert.equal(parse({fault: {kind: 'drop', rate: 2}}).ok, false)
    assert.equal(parse({fault: {kind: 'drop', rate: 0.1, extra: 1}}).ok, false)
    assert.equal(parse({fault: {kind: 'delay'}}).ok, false)
    assert.equal(parse({}, 'chaos.heal').ok, true)
    assert.equal(parse({kind: 'bogus'}, 'chaos.heal').ok, false)
    const onClient = parseRequest(JSON.stringify({v: 1, id: 1, type: 'chaos.list'}), {route: 'client'})
    assert.equal(onClient.ok, false)
  })
})
