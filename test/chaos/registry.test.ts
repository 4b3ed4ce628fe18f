/** FaultRegistry: add, replace, heal by id / kind / all, list with remainingMs, expiry, limits, hits. */
import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import {ChaosError, FaultRegistry, type FaultChange} from '../../src/chaos/registry.js'
import {ChaosNetwork} from '../../src/chaos/network.js'
import {FakeTime, cycle} from './fake-time.js'

function registry(time = new FakeTime(), maxFaults?: number) {
  const changes: FaultChange[] = []
  const reg = new FaultRegistry({now: time.clock, onChange: (c) => changes.push(c), limits: maxFaults ? {maxFaults} : {}})
  return {reg, time, changes}
}

describe('FaultRegistry', () => {
  it('adds faults with generated or given ids and lists them with their fields', () => {
    const {reg} = registry()
    const a = reg.add({kind: 'drop', rate: 0.3})
    const b = reg.add({kind: 'delay', ms: 100, jitter: 50, peers: ['n2']}, {id: 'slow', forMs: 5000})
    assert.equal(a.id, 'f1')
    assert.deepEqual(b, {id: 'slow', kind: 'delay', ms: 100, jitter: 50, peers: ['n2'], remainingMs: 5000, hits: 0})
    assert.deepEqual(reg.list().map((f) => f.id), ['f1', 'slow'])
    assert.equal(reg.list()[0]!.remainingMs, null)
  })

  it('the same id replaces the fault (idempotent cluster-wide adds)', () => {
    const {reg} = registry()
    reg.add({kind: 'drop', rate: 0.1}, {id: 'x'})
    reg.add({kind: 'drop', rate: 0.9}, {id: 'x'})
    assert.equal(reg.size, 1)
    assert.equal((reg.list()[0] as {rate?: number}).rate, 0.9)
  })

  it('heals by id, by kind, or everything', () => {
    const {reg, changes} = registry()
    reg.add({kind: 'drop', rate: 0.1}, {id: 'a'})
    reg.add({kind: 'drop', rate: 0.2}, {id: 'b'})
    reg.add({kind: 'delay', ms: 5}, {id: 'c'})
    reg.add({kind: 'disk', fsyncDelayMs: 5}, {id: 'd'})
    assert.equal(reg.heal({id: 'a'}), 1)
    assert.equal(reg.heal({id: 'nope'}), 0)
    assert.equal(reg.heal({kind: 'drop'}), 1)
    assert.deepEqual(reg.list().map((f) => f.id), ['c', 'd'])
    assert.equal(reg.heal(), 2)
    assert.equal(reg.size, 0)
    assert.deepEqual(changes.filter((c) => c.type === 'healed').map((c) => c.id), ['a', 'b', 'c', 'd'])
  })

  it('forMs: the fault heals itself and remainingMs counts down', () => {
    const {reg, time, changes} = registry()
    reg.add({kind: 'partition', groups: [['n1'], ['n2', 'n3']]}, {id: 'p', forMs: 1000})
    time.advance(400)
    assert.equal(reg.list()[0]!.remainingMs, 600)
    assert.equal(reg.networkFaults().length, 1)
    time.advance(600)
    assert.equal(reg.networkFaults().length, 0)
    assert.deepEqual(reg.list(), [])
    assert.deepEqual(changes.map((c) => c.type), ['added', 'expired'])
  })

  it('refuses bad values, bad ids, bad forMs, and more than maxFaults', () => {
    const {reg} = registry(new FakeTime(), 2)
    const bad = [
      () => reg.add({kind: 'drop', rate: 1.5}),
      () => reg.add({kind: 'delay', ms: -1}),
      () => reg.add({kind: 'delay', ms: 10, jitter: 1e9}),
      () => reg.add({kind: 'partition', groups: [['n1']]}),
      () => reg.add({kind: 'partition', groups: [['n1'], []]}),
      () => reg.add({kind: 'partition', groups: [['n1', 'n2'], ['n2']]}),
      () => reg.add({kind: 'disk', fsyncDelayMs: 60_000}),
      () => reg.add({kind: 'drop', rate: 0.1}, {id: 'has space'}),
      () => reg.add({kind: 'drop', rate: 0.1}, {forMs: 0}),
    ]
    for (const f of bad) assert.throws(f, ChaosError)
    reg.add({kind: 'drop', rate: 0.1})
    reg.add({kind: 'drop', rate: 0.1})
    assert.throws(() => reg.add({kind: 'drop', rate: 0.1}), /maxFaults/)
    assert.equal(reg.size, 2)
  })

  it('the network form: peers become the scope of the sending node', () => {
    const {reg} = registry()
    reg.add({kind: 'drop', rate: 1, peers: ['n3']})
    const [f] = reg.networkFaults()
    assert.deepEqual(f, {kind: 'drop', id: 'f1', rate: 1, scope: {to: ['n3']}})
  })

  it('disk faults: fsyncDelayMs is the largest active one, 0 without', () => {
    const {reg, time} = registry()
    assert.equal(reg.fsyncDelayMs(), 0)
    reg.add({kind: 'disk', fsyncDelayMs: 50})
    reg.add({kind: 'disk', fsyncDelayMs: 200}, {forMs: 100})
    assert.equal(reg.networkFaults().length, 0, 'disk is not a network fault')
    assert.equal(reg.fsyncDelayMs(), 200)
    time.advance(100)
    assert.equal(reg.fsyncDelayMs(), 50)
  })

  it('counts hits per fault when driving a ChaosNetwork', () => {
    const {reg, time} = registry()
    reg.add({kind: 'drop', rate: 0.5}, {id: 'd'})
    const got: unknown[] = []
    const net = new ChaosNetwork({inner: {send: (m) => got.push(m)}, faults: reg, now: time.clock, timers: time, random: cycle(0.1, 0.9)})
    for (let i = 0; i < 10; i++) net.send({type: 'heartbeat', from: 'n1', to: 'n2', term: 1, commit: 0, round: i})
    assert.equal(got.length, 5)
    assert.equal(reg.list()[0]!.hits, 5)
  })
})
