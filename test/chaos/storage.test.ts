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
    const storage = new SlowStorage(inner, {delayMs: () => reg.fsyncDelayMs(), sleep: (ms) => slept.push(ms)})
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

  it('blockingSleep blocks the thread for about that long', () => {
    const t0 = performance.now()
    blockingSleep(30)
    assert.ok(performance.now() - t0 >= 29)
    blockingSleep(0)
  })
})
