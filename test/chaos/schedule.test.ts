/**
 * planSchedule is deterministic and well-formed (every fault healed before the end, node faults
 * on a minority, partitions leave a majority side); runSchedule applies a plan at its times
 * through an executor, records failures, and heals at the end and on abort.
 */
import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import {
  CHAOS_FAULT_NAMES, faultWindows, parseFaultNames, planSchedule, runSchedule,
  type ChaosExecutor, type ScheduledFault,
} from '../../src/chaos/schedule.js'
import {checkFaultSpec, type FaultSpec} from '../../src/chaos/faults.js'
import type {ClusterChaos} from '../../src/cluster/chaos.js'

// ClusterChaos (src/cluster) has the executor's methods without importing src/chaos.
export type ClusterChaosIsAnExecutor = ClusterChaos extends ChaosExecutor ? true : never
const _check: ClusterChaosIsAnExecutor = true
void _check

const nodes = ['n1', 'n2', 'n3', 'n4', 'n5']

describe('planSchedule', () => {
  it('is deterministic: same options, same plan; another seed, another plan', () => {
    const o = {durationMs: 60_000, faults: CHAOS_FAULT_NAMES, seed: 42, intervalMs: 5000, nodes}
    assert.deepEqual(planSchedule(o), planSchedule(o))
    assert.notDeepEqual(planSchedule(o), planSchedule({...o, seed: 43}))
  })

  it('is well-formed for many seeds', () => {
    for (let seed = 0; seed < 300; seed++) {
      const durationMs = 2000 + (seed % 7) * 3000
      const plan = planSchedule({durationMs, faults: CHAOS_FAULT_NAMES, seed, intervalMs: 1000 + (seed % 3) * 1000, nodes: nodes.slice(0, 1 + (seed % 5))})
      const open = new Map<string, number>()
      let last = -1
      for (const step of plan) {
        assert.ok(step.atMs >= last, 'sorted')
        last = step.atMs
        assert.ok(step.atMs >= 0 && step.atMs < durationMs, `seed ${seed}: ${step.atMs} within ${durationMs}`)
        const a = step.action
        if (a.type === 'fault') {
          assert.equal(checkFaultSpec(a.fault), null, `seed ${seed}: ${JSON.stringify(a.fault)}`)
          assert.ok(a.forMs > 0)
          open.set(`f:${a.id}`, step.atMs)
          if (a.fault.kind === 'partition') {
            const n = a.fault.groups.flat().length
            if (n >= 3) assert.ok(a.fault.groups.some((g) => g.length > n / 2), 'a majority side')
          }
        }
        if (a.type === 'heal') assert.ok(open.delete(`f:${a.id}`))
        if (a.type === 'kill' || a.type === 'pause') open.set(`${a.type}:${a.node}`, step.atMs)
        if (a.type === 'start') assert.ok(open.delete(`kill:${a.node}`))
        if (a.type === 'resume') assert.ok(open.delete(`pause:${a.node}`))
      }
      assert.deepEqual([...open.keys()], [], `seed ${seed}: everything healed before the end`)
    }
  })

  it('kills and pauses at most a minority at once', () => {
    for (let seed = 0; seed < 200; seed++) {
      const plan = planSchedule({durationMs: 30_000, faults: ['kill', 'pause'], seed, intervalMs: 2000, nodes})
      const down = new Set<string>()
      for (const s of plan) {
        const a = s.action
        if (a.type === 'kill' || a.type === 'pause') down.add(a.node)
        if (a.type === 'start' || a.type === 'resume') down.delete(a.node)
        assert.ok(down.size <= 2, `seed ${seed}: ${[...down]}`)
      }
    }
  })

  it('one fault per interval, only from the requested families', () => {
    const plan = planSchedule({durationMs: 60_000, faults: ['partition', 'delay'], seed: 1, intervalMs: 5000, nodes: ['n1', 'n2', 'n3']})
    const starts = plan.filter((s) => s.action.type === 'fault')
    assert.equal(starts.length, 12)
    assert.ok(plan.every((s) => s.family === 'partition' || s.family === 'delay'))
    assert.deepEqual(planSchedule({durationMs: 60_000, faults: ['partition'], seed: 1, nodes: ['n1']}), [], 'no partition of one node')
    assert.deepEqual(planSchedule({durationMs: 0, faults: ['kill'], seed: 1, nodes}), [])
  })

  it('parseFaultNames', () => {
    assert.deepEqual(parseFaultNames('partition, kill,kill'), ['partition', 'kill'])
    assert.deepEqual(parseFaultNames('all'), [...CHAOS_FAULT_NAMES])
    assert.throws(() => parseFaultNames('partition,nuke'), /unknown fault "nuke"/)
    assert.throws(() => parseFaultNames(''), /no fault names/)
  })
})

/** An executor that records calls; `fail` names actions that throw. */
function recorder(fail: string[] = []) {
  const calls: string[] = []
  const act = (name: string) => async (...args: unknown[]): Promise<void> => {
    const call = `${name} ${args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}`.trim()
    calls.push(call)
    if (fail.some((f) => call.startsWith(f))) throw new Error(`${call} failed`)
  }
  const executor: ChaosExecutor = {
    addFault: act('addFault'), healFault: act('healFault'), kill: act('kill'), start: act('start'),
    pause: act('pause'), resume: act('resume'), restart: act('restart'), healAll: act('healAll'),
  }
  return {executor, calls}
}

/** A virtual clock whose sleep advances time at once (honouring aborts). */
function virtual() {
  let t = 0
  return {now: () => t, sleep: async (ms: number, signal?: AbortSignal) => {
    if (!signal?.aborted) t += ms
  }}
}

describe('runSchedule', () => {
  const plan: ScheduledFault[] = [
    {atMs: 100, action: {type: 'fault', id: 'a', fault: {kind: 'drop', rate: 0.5} as FaultSpec, forMs: 400}, family: 'drop', description: 'drop'},
    {atMs: 200, action: {type: 'kill', node: 'n2'}, family: 'kill', description: 'kill n2'},
    {atMs: 500, action: {type: 'heal', id: 'a'}, family: 'drop', description: 'heal'},
    {atMs: 700, action: {type: 'start', node: 'n2'}, family: 'kill', description: 'start n2'},
  ]

  it('applies each action at its time, then waits for the end and heals everything', async () => {
    const {executor, calls} = recorder(['kill'])
    const seen: string[] = []
    const run = await runSchedule(plan, executor, {durationMs: 1000, ...virtual(), onAction: (a) => seen.push(a.description)})
    assert.deepEqual(calls, ['addFault a {"kind":"drop","rate":0.5} {"forMs":400}', 'kill n2', 'healFault a', 'start n2', 'healAll'])
    assert.deepEqual(run.applied.map((a) => a.elapsedMs), [100, 200, 500, 700, 1000])
    assert.equal(run.applied[1]!.ok, false)
    assert.match(run.applied[1]!.error!, /kill n2 failed/)
    assert.equal(run.interrupted, false)
    assert.deepEqual(seen, ['drop', 'kill n2', 'heal', 'start n2', 'heal everything'])
    const windows = faultWindows(run.applied, 1000, (a) => a.elapsedMs)
    assert.deepEqual(windows.map((w) => [w.family, w.startMs, w.endMs]), [['drop', 100, 500], ['kill', 200, 700]])
  })

  it('an abort stops the run and heals at once', async () => {
    const {executor, calls} = recorder()
    const abort = new AbortController()
    const run = await runSchedule(plan, executor, {
      durationMs: 1000, ...virtual(), signal: abort.signal,
      onAction: (a) => {
        if (a.action.type === 'kill') abort.abort()
      },
    })
    assert.deepEqual(calls, ['addFault a {"kind":"drop","rate":0.5} {"forMs":400}', 'kill n2', 'healAll'])
    assert.equal(run.interrupted, true)
    const windows = faultWindows(run.applied, 1000, (a) => a.elapsedMs)
    assert.deepEqual(windows.map((w) => [w.family, w.startMs, w.endMs]), [['drop', 100, 200], ['kill', 200, 200]])
  })

  it('runs in real time with the default clock and sleep', async () => {
    const {executor, calls} = recorder()
    const t0 = performance.now()
    const run = await runSchedule([{atMs: 30, action: {type: 'restart', node: 'n1'}, family: 'restart', description: 'restart n1'}], executor, {durationMs: 60})
    assert.ok(performance.now() - t0 >= 55)
    assert.deepEqual(calls, ['restart n1', 'healAll'])
    assert.ok(run.applied[0]!.elapsedMs >= 29)
  })
})
