/**
 * Simulator traces for the playground (src/playground/trace.ts): recording a run changes
 * nothing, the page's player rebuilds from the steps the same final logs the simulation holds,
 * and a violation is marked with the nodes it names.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {Simulation, type SimFinalNode} from '../../src/sim/cluster.js'
import {TraceRecorder, TraceView, parseTrace, type SimTrace} from '../../src/playground/trace.js'
import type {SimOptions} from '../../src/sim/options.js'

function record(options: SimOptions): {trace: SimTrace; final: SimFinalNode[]; stats: unknown} {
  const recorder = new TraceRecorder()
  const sim = new Simulation({...options, observer: recorder})
  const r = sim.run()
  return {trace: JSON.parse(JSON.stringify(recorder.finish(r.seed, r.stats.virtualMs, r.violation, `seed ${r.seed}`))) as SimTrace, final: sim.finalNodes(), stats: r.stats}
}

/** The final logs as the player shows them, in the shape of SimFinalNode (up nodes only). */
function played(trace: SimTrace): {id: string; term: number; commitIndex: number; firstIndex: number; terms: [number, number][]}[] {
  const view = new TraceView(trace)
  view.runUntil(trace.end)
  return view.views().filter((v) => v.state === 'up').map((v) => {
    const terms: [number, number][] = []
    for (const e of v.log) {
      const last = terms[terms.length - 1]
      if (last && last[0] === e.term) last[1]++
      else terms.push([e.term, 1])
    }
    return {id: v.id, term: v.status.term, commitIndex: v.status.commitIndex, firstIndex: v.status.firstIndex, terms}
  })
}

test('recording a run changes nothing: same stats and final logs with and without the recorder', () => {
  for (const seed of [3, 42]) {
    const plain = new Simulation({seed})
    const r = plain.run()
    const rec = record({seed})
    assert.deepEqual(rec.stats, r.stats)
    assert.deepEqual(rec.final, plain.finalNodes())
  }
})

test('the player ends with the logs, terms and commit indexes the simulation ends with (10 seeds, snapshots and truncations included)', () => {
  for (let seed = 1; seed <= 10; seed++) {
    const {trace, final} = record({seed})
    assert.equal(trace.violation, null)
    const want = final.filter((n) => n.up).map((n) => ({id: n.id, term: n.term, commitIndex: n.commitIndex, firstIndex: n.firstIndex, terms: n.terms}))
    assert.deepEqual(played(trace), want, `seed ${seed}`)
  }
})

test('going back replays: seeking to a time gives the state of a fresh player run to that time', () => {
  const {trace} = record({seed: 5})
  const a = new TraceView(trace)
  a.runUntil(trace.end)
  a.seek(3000)
  const b = new TraceView(trace)
  b.runUntil(3000)
  assert.deepEqual(a.views(), b.views())
  assert.ok(a.lines().length > 0)
})

test('a violation is marked at its time with the nodes its message names', () => {
  let found: ReturnType<typeof record> | null = null
  for (let seed = 1; seed <= 50 && !found; seed++) {
    const r = record({seed, bugs: {skipUpToDateCheck: true}, disk: 'sync'})
    if (r.trace.violation) found = r
  }
  assert.ok(found, 'the planted bug was not caught in 50 seeds')
  const v = found.trace.violation!
  assert.ok(v.nodes.length > 0 && v.nodes.every((id) => /^n\d+$/.test(id)), v.message)
  const view = new TraceView(found.trace)
  assert.equal(view.offenders(), null, 'nobody is marked before the violation')
  view.runUntil(found.trace.end)
  assert.deepEqual([...view.offenders()!].sort(), [...v.nodes].sort())
  const marks = view.marks().filter((m) => m.kind === 'violation')
  assert.equal(marks.length, 1)
  assert.equal(marks[0]!.at, v.at)
  assert.match(view.caption, /^VIOLATION of /)
  // The player shows the state the violating event left (a new leader, say), not the one before it.
  const sim = new Simulation({seed: found.trace.seed, bugs: {skipUpToDateCheck: true}, disk: 'sync'})
  sim.run()
  const shown = new Map(view.views().map((x) => [x.id, `${x.status.role} ${x.status.term}`]))
  for (const n of sim.finalNodes()) if (n.up) assert.equal(shown.get(n.id), `${n.role} ${n.term}`, n.id)
})

test('a malformed trace is refused with a message', () => {
  assert.throws(() => parseTrace({format: 'nope'}), /not a simulator trace/)
  assert.throws(() => parseTrace({format: 'raftctl-sim-trace/1', seed: 1, end: 5}), /lacks its seed, end or steps/)
  assert.throws(() => parseTrace({format: 'raftctl-sim-trace/1', seed: 1, end: 5, steps: [{k: 'boom', t: 1}]}), /malformed step/)
})

test('the nemesis\'s partitions are drawn as the links src/chaos cuts', async () => {
  const {partitionBlocks} = await import('../../src/chaos/faults.js')
  let checked = 0
  for (let seed = 1; seed <= 10 && checked < 3; seed++) {
    const {trace} = record({seed})
    for (const step of trace.steps) {
      if (step.k !== 'faults') continue
      const partition = step.faults.find((f) => f.kind === 'partition')
      if (!partition) continue
      const view = new TraceView(trace)
      view.runUntil(step.t)
      const ids = view.views().map((v) => v.id)
      const cut = new Set(view.faults().filter((f) => f.drop).map((f) => `${f.from}>${f.to}`))
      const want = new Set<string>()
      for (const from of ids) for (const to of ids) {
        if (from !== to && partitionBlocks({...partition, kind: 'partition', id: 'x', groups: partition.groups!}, from, to)) want.add(`${from}>${to}`)
      }
      assert.deepEqual([...cut].sort(), [...want].sort(), `seed ${seed} at ${step.t}`)
      assert.ok(want.size > 0)
      checked++
      break
    }
  }
  assert.ok(checked >= 3, 'fewer than 3 seeds of 1..10 had a partition')
})
