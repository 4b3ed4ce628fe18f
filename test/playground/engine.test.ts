/**
 * The playground's simulation (src/playground): the real core on a virtual clock, replays from
 * a scenario, links that refuse damage, and the guided scenarios telling their story.
 */
import {describe, test} from 'node:test'
import assert from 'node:assert/strict'
import {Engine, type NodeView} from '../../src/playground/engine.js'
import {GUIDED, guided} from '../../src/playground/guided.js'
import {DEFAULT_SETTINGS, ScenarioError, decodeLink, encodeLink, parseScenario, scenario, type Action} from '../../src/playground/scenario.js'

/** What two runs must agree on: every node's state, term, commit and log. */
function digest(views: readonly NodeView[]): unknown {
  return views.map((v) => ({id: v.id, state: v.state, role: v.status.role, term: v.status.term, commit: v.status.commitIndex, log: v.log.map((e) => [e.index, e.term, e.text])}))
}

function leaders(e: Engine): NodeView[] {
  return e.views().filter((v) => v.state === 'up' && v.status.role === 'leader')
}

/** Run until a leader is seen, in steps of 10 virtual ms; the time, or -1. */
function firstLeaderAt(e: Engine, bound: number): number {
  for (let t = 0; t <= bound; t += 10) {
    e.runUntil(t)
    if (leaders(e).length > 0) return e.now
  }
  return -1
}

describe('playground engine', () => {
  test('a first election happens within two maximum election timeouts for 30 seeds (§5.2)', () => {
    // Timeouts are drawn from [T, 2T) = [150, 300) ms; a pre-vote and a vote round trip take at most 4 × 30 ms.
    const bound = 2 * 2 * DEFAULT_SETTINGS.electionTicks * 10 + 4 * DEFAULT_SETTINGS.maxDelayMs
    for (let seed = 1; seed <= 30; seed++) {
      const e = new Engine(scenario({seed}))
      const at = firstLeaderAt(e, bound)
      assert.ok(at >= 0, `seed ${seed}: no leader within ${bound} virtual ms`)
      assert.equal(leaders(e).length, 1)
    }
  })

  test('the same scenario replays to the same state; actions taken live replay the same from the recorded scenario', () => {
    const live = new Engine(scenario({seed: 9}))
    live.runUntil(700)
    const recorded: Action[] = []
    recorded.push(live.act({do: 'request', value: 'a=1'}))
    live.runUntil(1200)
    recorded.push(live.act({do: 'stop', node: live.leader()!}))
    live.runUntil(1600)
    recorded.push(live.act({do: 'partition', groups: [['n1', 'n2'], ['n3', 'n4', 'n5']], oneWay: true}))
    live.runUntil(3000)
    const sc = scenario({seed: 9, actions: recorded})
    const a = new Engine(sc)
    a.runUntil(3000)
    assert.deepEqual(digest(a.views()), digest(live.views()))
    const b = new Engine(decodeLink(encodeLink(sc)))
    b.runUntil(3000)
    assert.deepEqual(digest(b.views()), digest(live.views()))
    // A different seed is a different run (the timeouts differ).
    const c = new Engine(scenario({seed: 10, actions: recorded}))
    c.runUntil(3000)
    assert.notDeepEqual(digest(c.views()), digest(live.views()))
  })

  test('stopping the leader leads to a new leader with a higher term', () => {
    const e = new Engine(scenario({seed: 4}))
    e.runUntil(800)
    const [old] = leaders(e)
    assert.ok(old)
    e.act({do: 'stop', node: 'leader'})
    assert.equal(e.views().find((v) => v.id === old.id)!.state, 'down')
    e.runUntil(2000)
    const [next] = leaders(e)
    assert.ok(next && next.id !== old.id)
    assert.ok(next.status.term > old.status.term)
  })

  test('a partitioned minority has no leader and cannot commit; the majority elects one and commits', () => {
    const e = new Engine(scenario({seed: 1}))
    e.runUntil(800)
    const old = e.leader()!
    const other = old === 'n1' ? 'n2' : 'n1'
    const minority = [old, other]
    const majority = ['n1', 'n2', 'n3', 'n4', 'n5'].filter((id) => !minority.includes(id))
    e.act({do: 'partition', groups: [minority, majority], oneWay: false})
    e.act({do: 'request', value: 'lost'})
    e.runUntil(2500)
    const views = e.views()
    for (const id of minority) assert.notEqual(views.find((v) => v.id === id)!.status.role, 'leader', `${id} of the minority leads`)
    assert.ok(majority.includes(e.leader()!))
    e.act({do: 'request', value: 'kept'})
    e.runUntil(4000)
    for (const v of e.views()) {
      const committed = v.log.filter((x) => x.index <= v.status.commitIndex).map((x) => x.text)
      assert.ok(!committed.includes('lost'), `${v.id} committed the minority's entry`)
      if (majority.includes(v.id)) assert.ok(committed.includes('kept'), `${v.id} did not commit the majority's entry`)
    }
  })

  test('one-way partition: a node that cannot hear the leader but can speak is held off by PreVote and CheckQuorum', () => {
    const e = new Engine(scenario({seed: 2}))
    e.runUntil(800)
    const leader = e.leader()!
    const deaf = leader === 'n5' ? 'n4' : 'n5'
    const term = e.views().find((v) => v.id === leader)!.status.term
    // Later group → earlier group is cut: the deaf node hears nobody, everyone hears it.
    e.act({do: 'partition', groups: [[deaf], ['n1', 'n2', 'n3', 'n4', 'n5'].filter((id) => id !== deaf)], oneWay: true})
    e.runUntil(1000)
    const flights = e.inFlight().filter((f) => f.sent >= 800)
    assert.ok(flights.some((f) => f.msg.to === deaf && f.lost), 'messages to the deaf node are lost')
    assert.ok(flights.some((f) => f.msg.from === deaf) && flights.every((f) => f.msg.from !== deaf || !f.lost), 'its own messages arrive')
    e.runUntil(3000)
    assert.equal(e.leader(), leader)
    assert.equal(e.views().find((v) => v.id === leader)!.status.term, term, 'the deaf node disrupted the leader')
  })

  test('transfer leadership, time out now, a slow link and adding a node each do what the page says', () => {
    const e = new Engine(scenario({seed: 6, nodes: 3}))
    e.runUntil(800)
    const first = e.leader()!
    const target = first === 'n3' ? 'n2' : 'n3'
    e.act({do: 'transfer', node: target})
    e.runUntil(1000)
    assert.equal(e.leader(), target, 'leadership moved to the transfer target')
    assert.ok(e.lines.some((l) => new RegExp(`${target} starts an election in term \\d+ \\(leader transfer\\)`).test(l.text)))
    const other = ['n1', 'n2', 'n3'].find((id) => id !== target)!
    e.act({do: 'timeout', node: other})
    e.runUntil(1300)
    assert.equal(e.leader(), other, 'the node told to time out won: its log is as long as the others\'')
    e.act({do: 'link', from: other, to: target, drop: false, delayMs: 200, both: false})
    e.runUntil(1400)
    const slow = e.inFlight().filter((f) => f.sent > 1300 && f.msg.from === other && f.msg.to === target)
    assert.ok(slow.length > 0 && slow.every((f) => f.arrives - f.sent >= 200), 'messages on the slow link take 200 ms more')
    e.act({do: 'link', from: other, to: target, drop: false, delayMs: 0, both: false})
    assert.deepEqual(e.faults(), [])
    e.act({do: 'add'})
    e.runUntil(2500)
    const leader = e.views().find((v) => v.id === e.leader())!
    assert.deepEqual([...leader.status.conf.voters].sort(), ['n1', 'n2', 'n3', 'n4'])
    assert.equal(e.views().find((v) => v.id === 'n4')!.status.lastIndex, leader.status.lastIndex, 'n4 caught up')
  })

  test('an action that cannot be done now is refused with a message and not recorded', () => {
    const e = new Engine(scenario({seed: 1, nodes: 3}))
    assert.throws(() => e.act({do: 'request'}), /no leader/)
    assert.throws(() => e.act({do: 'stop', node: 'n7'}), /no node n7/)
    e.runUntil(600)
    e.act({do: 'stop', node: 'n1'})
    assert.throws(() => e.act({do: 'stop', node: 'n1'}), /not running/)
    assert.equal(e.applied.length, 1)
  })
})

describe('scenario links and files', () => {
  const sc = scenario({seed: 42, nodes: 3, settings: {preVote: false}, actions: [{at: 500, do: 'stop', node: 'leader'}, {at: 900, do: 'request', value: 'héllo ✓'}]})

  test('a link round-trips (non-ASCII values too) and a file is the same JSON', () => {
    const link = encodeLink(sc)
    assert.match(link, /^v1\.[\w-]+\.[0-9a-f]{8}$/)
    assert.deepEqual(decodeLink(link), sc)
    assert.deepEqual(decodeLink(`http://127.0.0.1:1/?token=x#${link}`), sc)
    assert.deepEqual(parseScenario(JSON.parse(JSON.stringify(sc))), sc)
  })

  test('a damaged or edited link is refused with a clear message', () => {
    const link = encodeLink(sc)
    const [v, data, sum] = link.split('.') as [string, string, string]
    const i = Math.floor(data.length / 2)
    const edited = `${v}.${data.slice(0, i)}${data[i] === 'A' ? 'B' : 'A'}${data.slice(i + 1)}.${sum}`
    assert.throws(() => decodeLink(edited), (e: Error) => e instanceof ScenarioError && /damaged or edited|not valid/.test(e.message))
    assert.throws(() => decodeLink('v1.%%%.00000000'), /malformed/)
    assert.throws(() => decodeLink('hello'), /malformed/)
    assert.throws(() => decodeLink(link.slice(0, -3)), /malformed/)
  })

  test('a scenario with bad fields names the field', () => {
    const bad = (patch: object): unknown => ({...JSON.parse(JSON.stringify(sc)), ...patch})
    assert.throws(() => parseScenario(bad({nodes: 0})), /nodes must be an integer from 1 to 9, got 0/)
    assert.throws(() => parseScenario(bad({nodes: 100})), /nodes must be an integer from 1 to 9, got 100/)
    assert.throws(() => parseScenario(bad({format: 'x'})), /not a playground scenario/)
    assert.throws(() => parseScenario(bad({actions: [{at: 1, do: 'explode'}]})), /action 1: unknown action "explode"/)
    assert.throws(() => parseScenario(bad({actions: [{at: 5, do: 'heal'}, {at: 1, do: 'heal'}]})), /action 2 comes before action 1/)
    assert.throws(() => parseScenario(bad({actions: [{at: 1, do: 'stop', node: '../x'}]})), /is not a node/)
    assert.throws(() => parseScenario(bad({settings: {...DEFAULT_SETTINGS, heartbeatTicks: 15}})), /heartbeatTicks must be an integer from 1 to 14/)
    // A well-formed scenario naming a node that never exists replays with a note, not a crash.
    const e = new Engine(parseScenario(bad({actions: [{at: 10, do: 'stop', node: 'n9'}]})))
    e.runUntil(100)
    assert.ok(e.lines.some((l) => /stop n9: not done — no node n9/.test(l.text)))
  })
})

describe('guided scenarios', () => {
  const run = (name: string, settings?: object): Engine => {
    const g = guided(name)!
    const e = new Engine(settings ? {...g.scenario, settings: {...g.scenario.settings, ...settings}} : g.scenario)
    e.runUntil(g.endsAt)
    return e
  }
  const committed = (v: NodeView): string[] => v.log.filter((x) => x.index <= v.status.commitIndex).map((x) => `${x.index}/${x.term}/${x.text}`)

  test('every guided scenario has a caption and ends with one leader', () => {
    assert.deepEqual(GUIDED.map((g) => g.name), ['first-election', 'split-vote', 'leader-crash', 'partitioned-minority', 'figure-8', 'membership-change', 'no-prevote'])
    for (const g of GUIDED) {
      assert.ok(g.caption.length > 40 && !g.caption.includes('\n'), g.name)
      const e = run(g.name)
      assert.equal(leaders(e).length, 1, `${g.name}: one leader at the end`)
    }
  })

  test('split vote: nobody leads term 2, a later term has a leader', () => {
    const e = run('split-vote')
    assert.ok(!e.lines.some((l) => /is the leader of term 2$/.test(l.text)))
    assert.ok(e.views()[0]!.status.term > 2)
  })

  test('figure 8: the term-2 entry commits only with an entry of the new leader\'s term, and n5\'s term-3 entry is overwritten', () => {
    const e = run('figure-8')
    assert.equal(e.leader(), 'n1')
    for (const v of e.views()) {
      const c = committed(v)
      assert.ok(c.includes('7/2/x=2'), `${v.id}: ${c.join(' ')}`)
      assert.ok(v.log.every((x) => x.term !== 3), `${v.id} still holds a term-3 entry`)
      assert.ok(v.status.commitIndex >= 8 && v.log.find((x) => x.index === 8)!.term === 4)
    }
  })

  test('partitioned minority: the minority\'s entry is never committed and is overwritten', () => {
    const e = run('partitioned-minority')
    for (const v of e.views()) {
      assert.ok(!v.log.some((x) => x.text === 'lost=1'), `${v.id} kept the minority's entry`)
      assert.ok(committed(v).some((x) => x.endsWith('kept=1')), `${v.id} lacks the majority's entry`)
    }
  })

  test('membership change: n4 and n5 join, n1 leaves and stops', () => {
    const e = run('membership-change')
    const views = e.views()
    assert.equal(views.find((v) => v.id === 'n1')!.state, 'removed')
    const leader = views.find((v) => v.id === e.leader())!
    assert.deepEqual([...leader.status.conf.voters].sort(), ['n2', 'n3', 'n4', 'n5'])
  })

  test('no-prevote: the rejoining node deposes the leader; with PreVote on it does not', () => {
    const without = run('no-prevote')
    assert.ok(without.lines.some((l) => /steps down .*higherTerm/.test(l.text)))
    const withPreVote = run('no-prevote', {preVote: true})
    assert.ok(!withPreVote.lines.some((l) => /steps down/.test(l.text)))
    assert.equal(withPreVote.views()[0]!.status.term, 2)
  })
})
