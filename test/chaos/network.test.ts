/**
 * ChaosNetwork with a fake clock: every fault kind changes what reaches the inner network,
 * faults expire at `until`, held messages are bounded, and close() cancels them.
 */
import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import {ChaosNetwork, type FaultSource} from '../../src/chaos/network.js'
import type {Fault} from '../../src/chaos/faults.js'
import type {Message} from '../../src/raft/types.js'
import {FakeTime, cycle} from './fake-time.js'

function hb(from: string, to: string, round = 0): Message {
  return {type: 'heartbeat', from, to, term: 1, commit: 0, round}
}

function setup(faults: Fault[], random = cycle(0.5), maxPending?: number) {
  const time = new FakeTime()
  const got: {m: Message; at: number}[] = []
  const hits = new Map<string, number>()
  const source: FaultSource = {networkFaults: () => faults, hit: (f) => hits.set(f.id, (hits.get(f.id) ?? 0) + 1)}
  const overflowed: Message[] = []
  const net = new ChaosNetwork({
    inner: {send: (m) => got.push({m, at: time.now})},
    faults: source, now: time.clock, timers: time, random, maxPending,
    onOverflow: (m) => overflowed.push(m),
  })
  return {time, got, net, hits, overflowed, faults}
}

describe('ChaosNetwork', () => {
  it('without faults, delivers at once and in order', () => {
    const {net, got} = setup([])
    for (let i = 0; i < 5; i++) net.send(hb('n1', 'n2', i))
    assert.deepEqual(got.map((g) => (g.m as {round: number}).round), [0, 1, 2, 3, 4])
    assert.equal(net.stats().delivered, 5)
  })

  it('a partition drops messages across groups only', () => {
    const {net, got, hits} = setup([{kind: 'partition', id: 'p', groups: [['n1', 'n2'], ['n3']]}])
    net.send(hb('n1', 'n2'))
    net.send(hb('n1', 'n3'))
    net.send(hb('n3', 'n1'))
    net.send(hb('n4', 'n3')) // n4 is in no group: unaffected
    assert.deepEqual(got.map((g) => `${g.m.from}>${g.m.to}`), ['n1>n2', 'n4>n3'])
    assert.equal(net.stats().dropped, 2)
    assert.equal(hits.get('p'), 2)
  })

  it('a one-way partition drops only later-group → earlier-group messages', () => {
    const {net, got} = setup([{kind: 'partition', id: 'p', groups: [['n1', 'n2'], ['n3']], oneWay: true}])
    net.send(hb('n1', 'n3')) // earlier → later: n3 hears n1
    net.send(hb('n3', 'n1')) // later → earlier: n3 is not heard
    net.send(hb('n3', 'n2'))
    assert.deepEqual(got.map((g) => `${g.m.from}>${g.m.to}`), ['n1>n3'])
  })

  it('drop loses messages with the given probability (per the random source)', () => {
    const {net, got} = setup([{kind: 'drop', id: 'd', rate: 0.3}], cycle(0.1, 0.5, 0.9, 0.29, 0.31))
    for (let i = 0; i < 10; i++) net.send(hb('n1', 'n2', i))
    // 0.1 and 0.29 are < 0.3: dropped; 2 of every 5.
    assert.equal(got.length, 6)
    assert.equal(net.stats().dropped, 4)
  })

  it('drop with peers (scope to) only affects messages to those peers', () => {
    const {net, got} = setup([{kind: 'drop', id: 'd', rate: 1, scope: {to: ['n3']}}])
    net.send(hb('n1', 'n2'))
    net.send(hb('n1', 'n3'))
    assert.deepEqual(got.map((g) => g.m.to), ['n2'])
  })

  it('delay holds messages for ms plus jitter', () => {
    const {net, got, time} = setup([{kind: 'delay', id: 'd', ms: 100, jitter: 50}], cycle(0.5))
    net.send(hb('n1', 'n2'))
    assert.equal(got.length, 0)
    assert.equal(net.stats().pending, 1)
    time.advance(124)
    assert.equal(got.length, 0)
    time.advance(1)
    assert.equal(got.length, 1)
    assert.equal(got[0]!.at, 125)
  })

  it('duplicate delivers a second copy a little later', () => {
    const {net, got, time} = setup([{kind: 'duplicate', id: 'x', rate: 0.5}], cycle(0.2, 0.7))
    net.send(hb('n1', 'n2'))
    assert.equal(got.length, 1, 'the first copy goes at once')
    time.advance(1)
    assert.equal(got.length, 2, 'the second within max(1, delay) ms')
    net.send(hb('n1', 'n2')) // draw 0.2 < 0.5 again... the cycle gives 0.2 then 0.7 per message
    time.advance(5)
    assert.ok(got.length >= 3)
  })

  it('reorder lets later messages overtake held ones', () => {
    // First message: rate draw 0.1 (< 0.5: reordered), extra delay 0.8 × 40 = 32 ms. Second: 0.9 (not reordered).
    const {net, got, time} = setup([{kind: 'reorder', id: 'r', rate: 0.5, ms: 40}], cycle(0.1, 0.8, 0.9))
    net.send(hb('n1', 'n2', 1))
    net.send(hb('n1', 'n2', 2))
    time.advance(40)
    assert.deepEqual(got.map((g) => (g.m as {round: number}).round), [2, 1])
  })

  it('faults stop acting at `until`', () => {
    const {net, got, time} = setup([{kind: 'drop', id: 'd', rate: 1, until: 1000}])
    net.send(hb('n1', 'n2'))
    time.advance(999)
    net.send(hb('n1', 'n2'))
    assert.equal(got.length, 0)
    time.advance(1)
    net.send(hb('n1', 'n2'))
    assert.equal(got.length, 1)
  })

  it('held messages are bounded: over maxPending they are dropped and reported', () => {
    const {net, got, time, overflowed} = setup([{kind: 'delay', id: 'd', ms: 10, jitter: 0}], cycle(0.5), 3)
    for (let i = 0; i < 5; i++) net.send(hb('n1', 'n2', i))
    assert.equal(net.stats().pending, 3)
    assert.equal(net.stats().overflowed, 2)
    assert.equal(overflowed.length, 2)
    time.advance(10)
    assert.equal(got.length, 3)
    assert.equal(net.stats().pending, 0)
  })

  it('close cancels held messages and drops later sends', () => {
    const {net, got, time} = setup([{kind: 'delay', id: 'd', ms: 10, jitter: 0}])
    net.send(hb('n1', 'n2'))
    net.close()
    assert.equal(time.pending, 0)
    time.advance(100)
    net.send(hb('n1', 'n2'))
    assert.equal(got.length, 0)
  })

  it('reads the fault list on every send (faults added later apply)', () => {
    const {net, got, faults} = setup([])
    net.send(hb('n1', 'n2'))
    faults.push({kind: 'drop', id: 'd', rate: 1})
    net.send(hb('n1', 'n2'))
    assert.equal(got.length, 1)
  })
})
