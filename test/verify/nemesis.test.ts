/**
 * The nemesis of `raftctl verify` (src/verify/nemesis.ts): its plan is `chaos run`'s for the
 * same options, it runs on the history's clock through an executor (a fake one here), heals
 * everything at the end (at once when stopped), and its fault windows pair each fault with
 * what healed it, with failures noted.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {planSchedule, type AppliedAction, type ChaosExecutor} from '../../src/chaos/schedule.js'
import {faultSummaries, planNemesis, runNemesis, CHAOS_KINDS, NEMESIS_KINDS} from '../../src/verify/nemesis.js'
import {MonotonicClock} from '../../src/verify/workload.js'

const NODES = ['n1', 'n2', 'n3']

describe('planNemesis', () => {
  it('is the plan of `raftctl chaos run` for the same seed, duration, faults, interval and nodes', () => {
    const options = {seed: 42, durationMs: 60_000, kinds: ['partition', 'kill', 'pause', 'delay'] as const, nodes: NODES, intervalMs: 4000}
    const plan = planNemesis({...options, kinds: [...options.kinds]})
    assert.deepEqual(plan, planSchedule({seed: 42, durationMs: 60_000, faults: [...options.kinds], nodes: NODES, intervalMs: 4000}))
    assert.ok(plan.length >= 20)
    assert.ok(plan.every((step) => step.atMs < 60_000))
  })

  it('knows which kinds need the daemons\' live chaos', () => {
    assert.deepEqual(NEMESIS_KINDS.filter((k) => !CHAOS_KINDS.has(k)), ['kill', 'pause', 'restart'])
  })
})

/** A fake executor that logs every call; `fail` names actions that throw. */
function fakeExecutor(fail: ReadonlySet<string> = new Set()): {executor: ChaosExecutor; log: string[]} {
  const log: string[] = []
  const act = (what: string) => async (): Promise<void> => {
    log.push(what)
    if (fail.has(what)) throw new Error(`${what} went wrong`)
  }
  const executor: ChaosExecutor = {
    addFault: (id, fault) => act(`add ${id} ${fault.kind}`)(),
    healFault: (id) => act(`heal ${id}`)(),
    kill: (node) => act(`kill ${node}`)(),
    start: (node) => act(`start ${node}`)(),
    pause: (node) => act(`pause ${node}`)(),
    resume: (node) => act(`resume ${node}`)(),
    restart: (node) => act(`restart ${node}`)(),
    healAll: () => act('healAll')(),
  }
  return {executor, log}
}

const PLAN = [
  {atMs: 10, action: {type: 'kill', node: 'n2'}, family: 'kill', description: 'kill n2'},
  {atMs: 40, action: {type: 'start', node: 'n2'}, family: 'kill', description: 'start n2'},
  {atMs: 50, action: {type: 'fault', id: 'p1', fault: {kind: 'partition', groups: [['n1'], ['n2', 'n3']]}, forMs: 30}, family: 'partition', description: 'partition n1 | n2,n3 [p1]'},
  {atMs: 80, action: {type: 'heal', id: 'p1'}, family: 'partition', description: 'heal [p1]'},
  {atMs: 90, action: {type: 'restart', node: 'n3'}, family: 'restart', description: 'restart n3'},
  {atMs: 100, action: {type: 'pause', node: 'n1'}, family: 'pause', description: 'pause n1'},
] as const

describe('runNemesis', () => {
  it('applies the plan on the history clock, heals everything at the end, and returns the windows', async () => {
    const {executor, log} = fakeExecutor()
    const clock = new MonotonicClock()
    const seen: number[] = []
    setTimeout(() => { const t = performance.now(); while (performance.now() - t < 30); }, 1)
    const run = await runNemesis(PLAN, executor, {clock, durationMs: 150, onAction: (_a, atNs) => seen.push(atNs)})
    assert.deepEqual(log, ['kill n2', 'start n2', 'add p1 partition', 'heal p1', 'restart n3', 'pause n1', 'healAll'])
    assert.equal(seen.length, 7)
    assert.ok(seen.every((t, i) => i === 0 || t >= seen[i - 1]!))
    assert.ok(clock.now() >= 145e6, 'the final heal waits for the end of the workload')
    assert.deepEqual(run.faults.map((f) => [f.kind, f.description, f.status, f.nodes]), [
      ['kill', 'kill n2', 'applied', ['n2']],
      ['partition', 'partition n1 | n2,n3 [p1]', 'applied', []],
      ['restart', 'restart n3', 'applied', ['n3']],
      ['pause', 'pause n1', 'applied', ['n1']],
    ])
    const [kill, partition, restart, pause] = run.faults
    // Times: ns on the history clock; a window lasts from its start to when its healing finished.
    // No action runs before its planned time (a timer may fire up to ~1 ms early, hence the 2 ms
    // of slack); a busy machine only makes them later, and may squeeze a window to nothing when a
    // late start catches up with its healing's planned time, so windows are checked by order.
    const notBefore = (ns: number, plannedMs: number, what: string): void => assert.ok(ns >= (plannedMs - 2) * 1e6, `${what} at ${ns} ns, planned at ${plannedMs} ms`)
    notBefore(kill!.start, 10, 'kill n2')
    notBefore(kill!.end!, 40, 'start n2 (the end of the kill window)')
    notBefore(partition!.start, 50, 'partition')
    notBefore(partition!.end!, 80, 'heal p1 (the end of the partition window)')
    notBefore(restart!.start, 90, 'restart n3')
    notBefore(pause!.start, 100, 'pause n1')
    notBefore(pause!.end!, 140, 'the final heal (the end of the pause window)')
    // Each edge follows the one before; times are whole ms, so an end (start + duration, each
    // rounded) may pass the next start by 1 ms.
    const edges = [kill!.start, kill!.end!, partition!.start, partition!.end!, restart!.start, pause!.start, pause!.end!]
    assert.ok(edges.every((ns, i) => i === 0 || ns >= edges[i - 1]! - 1e6), `windows in plan order: ${edges.join(', ')}`)
    assert.equal(partition!.durationMs, 30)
  })

  it('heals at once when stopped, and starts nothing more', async () => {
    const {executor, log} = fakeExecutor()
    const stop = new AbortController()
    const plan = [{...PLAN[0]}, {...PLAN[1], atMs: 60_000}]
    setTimeout(() => stop.abort(), 100)
    const clock = new MonotonicClock()
    const run = await runNemesis(plan, executor, {clock, durationMs: 120_000, signal: stop.signal})
    // Stopped at about 100 ms: it neither waited for the next step (60 s) nor for the end (120 s).
    assert.ok(clock.now() < 60_000e6, `returned at ${clock.now()} ns on the history clock`)
    assert.deepEqual(log, ['kill n2', 'healAll'])
    assert.equal(run.faults.length, 1)
    assert.ok(run.faults[0]!.end! > run.faults[0]!.start)
  })
})

describe('faultSummaries', () => {
  const applied = (step: (typeof PLAN)[number], elapsedMs: number, ok = true): AppliedAction =>
    ({...step, elapsedMs, tookMs: 2, ok, ...(ok ? {} : {error: 'boom'})}) as AppliedAction

  it('marks a fault whose start failed, and notes a failed heal', () => {
    const faults = faultSummaries([applied(PLAN[0], 10, false), applied(PLAN[1], 40), applied(PLAN[2], 50), applied(PLAN[3], 80, false)], 1000)
    assert.equal(faults[0]!.status, 'failed')
    assert.deepEqual(faults[0]!.notes, ['failed: boom'])
    assert.equal(faults[0]!.start, 1010e6)
    assert.equal(faults[0]!.end, 1042e6)
    assert.deepEqual(faults[1]!.notes, ['healing failed: boom'])
  })

  it('notes a fault nothing healed', () => {
    const faults = faultSummaries([applied(PLAN[5], 100)])
    assert.deepEqual(faults[0]!.notes, ['never healed by the schedule'])
    assert.equal(faults[0]!.end, undefined)
  })
})
