/** SlowStorage: every durable write takes the registry's fsync delay longer; reads are not slowed. */
import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import {SlowStorage, blockingSleep} from '../../src/chaos/storage.js'
import {FaultRegistry} from '../../src/chaos/registry.js'
import {MemoryStorage} from '../../src/storage/index.js'

describe('SlowStorage', () => {
  it('sleeps after each save and saveSnapshot by the current delay, and passes everything through', () => {
    let now = 0
    const reg = new FaultRegistry({now: () => now})
    const slept: number[] = []
    const inner = new MemoryStorage()
    const storage = new SlowStorage(inner, {delayMs: () => reg.fsyncDelayMs(), sleep: (ms) => slept.push(ms), after: () => assert.fail('no async save here')})
    assert.equal(storage.saveAsync, undefined, 'no saveAsync over a store without one')
    storage.load()
    storage.save({entries: [{index: 1, term: 1, type: 'normal', data: new Uint8Array([1])}], hardState: {term: 1, vote: null, commit: 0}})
    assert.deepEqual(slept, [])
    reg.add({kind: 'disk', fsyncDelayMs: 200}, {forMs: 1000})
    storage.save({entries: [{index: 2, term: 1, type: 'normal', data: new Uint8Array([2])}]})
    storage.saveSnapshot({meta: {index: 1, term: 1, conf: {voters: ['n1'], learners: []}}, data: new Uint8Array()}, 1)
    assert.deepEqual(slept, [200, 200])
    now = 1000
    storage.save({entries: [{index: 3, term: 1, type: 'normal', data: new Uint8Array([3])}]})
    assert.deepEqual(slept, [200, 200])
    assert.equal(storage.load().entries.at(-1)?.index, 3)
    assert.equal(reg.list().length, 0)
  })

  it('saveAsync reports durability the current delay later, without blocking; errors at once', () => {
    let now = 0
    const reg = new FaultRegistry({now: () => now})
    const timers: {ms: number; fn: () => void}[] = []
    const pending: ((err: Error | null) => void)[] = []
    const inner = Object.assign(new MemoryStorage(), {saveAsync: (_w: unknown, done: (err: Error | null) => void) => void pending.push(done)})
    const storage = new SlowStorage(inner, {delayMs: () => reg.fsyncDelayMs(), sleep: () => assert.fail('must not block'), after: (ms, fn) => void timers.push({ms, fn})})
    const results: Array<Error | null> = []
    storage.saveAsync!({entries: []}, (err) => results.push(err))
    pending.shift()!(null)
    assert.equal(results.length === 1 && results[0] === null, true, 'no fault: reported as soon as the inner store is durable')
    reg.add({kind: 'disk', fsyncDelayMs: 150}, {forMs: 1000})
    storage.saveAsync!({entries: []}, (err) => results.push(err))
    pending.shift()!(null)
    assert.ok(results.length < 2, 'held back by the fault')
    assert.equal(timers[0]!.ms, 150)
    timers[0]!.fn()
    assert.equal(results.length === 2 && results[1] === null, true)
    const failure = new Error('EIO')
    storage.saveAsync!({entries: []}, (err) => results.push(err))
    pending.shift()!(failure)
    assert.equal(results[2], failure, 'a failure is not delayed')
    now = 1000
  })

  it('blockingSleep blocks the thread for about that long', () => {
    const t0 = performance.now()
    blockingSleep(30)
    assert.ok(performance.now() - t0 >= 29)
    blockingSleep(0)
  })
})
