/// <reference lib="dom" />
/**
 * Browser tests of `raftctl playground`: the real command (`bin/run.js playground --json`,
 * which serves dist/: run `npm run build` first) and Debian's chromium driven by playwright-core,
 * headless. Time on the page is virtual: the tests move it with the Step button and the
 * scrubber, never by waiting, so a busy machine changes nothing. Screenshots go to
 * artifacts/playground/ (gitignored).
 *
 * Skipped, with a message, when /usr/bin/chromium is missing (.ci/run installs it).
 */
import {after, afterEach, before, describe, test} from 'node:test'
import assert from 'node:assert/strict'
import {spawn, spawnSync, type ChildProcess} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import type {BrowserContext, Page} from 'playwright-core'
import {RAFTCTL_BIN} from '../../src/cluster/index.js'
import {chromiumSkip, firstLine, launchChromium, watchErrors} from '../browser.js'
import {testTempDir} from '../helpers.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const ARTIFACTS = join(ROOT, 'artifacts', 'playground')
const SKIP = chromiumSkip('playground')
if (SKIP) console.log(`playground browser tests skipped: ${SKIP}`)

interface Snapshot {
  time: number
  nodes: {id: string; state: string; role: string; term: number; commit: number; log: [number, number, string, string][]}[]
}

const ENV = {...process.env, OCLIF_SKIP_NEW_VERSION_CHECK: 'true'}

/** `raftctl playground` run to completion (for its refusals), with its exit code and output. */
function runCli(...args: string[]): {status: number | null; stdout: string; stderr: string} {
  const r = spawnSync(process.execPath, [RAFTCTL_BIN, 'playground', ...args], {env: ENV, encoding: 'utf8', timeout: 60_000})
  return {status: r.status, stdout: r.stdout, stderr: r.stderr}
}

/** Start a served command (`playground --json` or `sim run --open --json`) and return it with the URL it prints. */
async function serve(args: string[], what: string): Promise<{child: ChildProcess; url: string; doc: Record<string, unknown>}> {
  const child = spawn(process.execPath, [RAFTCTL_BIN, ...args], {env: ENV, stdio: ['ignore', 'pipe', 'pipe']})
  child.stderr!.resume()
  const doc = JSON.parse(await firstLine(child, 60_000, what)) as Record<string, unknown>
  return {child, url: doc.url as string, doc}
}

describe('raftctl playground in chromium', {skip: SKIP}, () => {
  let child: ChildProcess | null = null
  /** Other servers a test started (killed at the end). */
  const others: ChildProcess[] = []
  let url = ''
  let token = ''
  let context: BrowserContext | null = null
  let profile = ''
  const errors: string[] = []
  const pages: Page[] = []

  before(async () => {
    const served = await serve(['playground', '--json', '--seed', '1', '--nodes', '5'], 'raftctl playground')
    child = served.child
    url = served.url
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}$/)
    assert.equal(served.doc.seed, 1)
    token = new URL(url).searchParams.get('token')!
    mkdirSync(ARTIFACTS, {recursive: true})
    profile = mkdtempSync(join(tmpdir(), 'raftctl-chromium-'))
    context = await launchChromium(profile, {width: 1400, height: 1000})
  })

  afterEach(async () => {
    for (const p of pages.splice(0)) await p.close()
  })

  after(async () => {
    await context?.close().catch(() => undefined)
    if (profile) rmSync(profile, {recursive: true, force: true})
    for (const c of [child, ...others]) if (c && c.exitCode === null) c.kill('SIGKILL')
  })

  /** A new tab at `address`, ready (its first run built), its errors collected. */
  async function open(address: string): Promise<Page> {
    const page = await context!.newPage()
    pages.push(page)
    watchErrors(page, errors)
    await page.goto(address)
    await page.waitForSelector('body[data-ready="true"]', {timeout: 30_000})
    await page.bringToFront()
    return page
  }

  const snapshot = (page: Page): Promise<Snapshot> => page.evaluate(() => (window as unknown as {__playground: {snapshot(): Snapshot}}).__playground.snapshot())
  const leaderOf = (s: Snapshot): Snapshot['nodes'][number] | undefined => s.nodes.filter((n) => n.state === 'up' && n.role === 'leader').sort((a, b) => b.term - a.term)[0]

  /** Move the page's virtual clock to `t` ms with the scrubber (forward runs on, backward replays). */
  async function scrubTo(page: Page, t: number): Promise<void> {
    await page.locator('#scrubber').fill(String(t))
    await page.waitForFunction((want) => (window as unknown as {__playground: {snapshot(): {time: number}}}).__playground.snapshot().time === want, t, {timeout: 30_000})
  }

  /** Press Step `n` times (DOM clicks in one go: a tab in the background gets no animation frames, which playwright's clicks wait for). */
  async function steps(page: Page, n: number): Promise<void> {
    await page.evaluate((count) => {
      for (let i = 0; i < count; i++) document.querySelector<HTMLButtonElement>('#step')!.click()
    }, n)
  }

  test('the page loads with no console error and shows five nodes', {timeout: 60_000}, async () => {
    const page = await open(url)
    assert.equal(await page.locator('#topology .node').count(), 5)
    assert.equal(await page.locator('#logs .pg-log-row').count(), 5)
    assert.equal((await page.textContent('#run-name'))?.trim(), 'seed 1, 5 nodes')
    assert.deepEqual(errors, [])
  })

  test('the core running in the page is dist/raft as tsc built it from src/raft, not a copy', {timeout: 60_000}, async () => {
    const page = await open(url)
    const loaded = await page.evaluate(() => performance.getEntriesByType('resource').map((r) => new URL(r.name).pathname))
    const prefix = `/t/${token}/`
    const raftModules = loaded.filter((p) => p.startsWith(`${prefix}raft/`)).map((p) => p.slice(prefix.length + 'raft/'.length)).sort()
    // Every module of the core the page loaded is a module of src/raft, and the core's entry is among them.
    const sources = readdirSync(join(ROOT, 'src', 'raft')).filter((f) => f.endsWith('.ts')).map((f) => f.replace(/\.ts$/, '.js'))
    assert.ok(raftModules.includes('index.js') && raftModules.includes('node.js'), raftModules.join(' '))
    for (const m of raftModules) assert.ok(sources.includes(m), `${m} is not built from src/raft`)
    assert.ok(loaded.includes(`${prefix}playground/engine.js`))
    for (const m of raftModules) {
      const served = Buffer.from(await (await fetch(`http://127.0.0.1:${new URL(url).port}${prefix}raft/${m}`)).arrayBuffer())
      assert.ok(served.equals(readFileSync(join(ROOT, 'dist', 'raft', m))), `the served raft/${m} is dist/raft/${m}`)
      const map = JSON.parse(readFileSync(join(ROOT, 'dist', 'raft', `${m}.map`), 'utf8')) as {sources: string[]}
      assert.deepEqual(map.sources, [`../../src/raft/${m.replace(/\.js$/, '.ts')}`], `dist/raft/${m} is compiled from src/raft`)
    }
    // The playground's own modules import the core; none carries a copy of it.
    for (const f of readdirSync(join(ROOT, 'dist', 'playground')).filter((x) => x.endsWith('.js'))) {
      assert.doesNotMatch(readFileSync(join(ROOT, 'dist', 'playground', f), 'utf8'), /class RaftNode\b/, f)
    }
    assert.match(readFileSync(join(ROOT, 'dist', 'playground', 'engine.js'), 'utf8'), /from '\.\.\/raft\/index\.js'/)
  })

  test('a first election is seen within two maximum election timeouts of virtual time', {timeout: 120_000}, async () => {
    const page = await open(url)
    let s = await snapshot(page)
    assert.equal(s.time, 0)
    for (let i = 0; i < 400 && !leaderOf(s); i++) {
      await page.click('#step')
      s = await snapshot(page)
    }
    const leader = leaderOf(s)
    assert.ok(leader, 'no leader after 400 steps')
    // Timeouts are drawn from [150, 300) ms (the defaults); a pre-vote and a vote round trip add at most 4 × 30 ms.
    assert.ok(s.time <= 2 * 300 + 4 * 30, `first leader at ${s.time} virtual ms`)
    assert.equal(await page.getAttribute('#leader', 'data-leader'), leader.id)
    assert.equal(await page.locator(`#topology .node[data-node="${leader.id}"][data-role="leader"]`).count(), 1)
    await page.screenshot({path: join(ARTIFACTS, 'first-election.png')})
  })

  test('stopping the leader (by clicking it) leads to a new leader with a higher term; scrubbing back replays the past', {timeout: 120_000}, async () => {
    const page = await open(url)
    await scrubTo(page, 799)
    const before = await snapshot(page)
    await scrubTo(page, 800)
    const old = leaderOf(await snapshot(page))!
    assert.ok(old)
    await page.click(`#topology .node[data-node="${old.id}"]`)
    await page.click('#node-menu button:text-is("Stop")')
    await page.waitForSelector(`#topology .node[data-node="${old.id}"][data-role="down"]`)
    await scrubTo(page, 2500)
    const after = await snapshot(page)
    const next = leaderOf(after)!
    assert.ok(next && next.id !== old.id, 'a new leader')
    assert.ok(next.term > old.term, `term ${next.term} > ${old.term}`)
    assert.equal(await page.getAttribute('#leader', 'data-leader'), next.id)
    // Back to 799 ms, before the stop at 800: the replay (seed + the recorded stop) shows the old leader again.
    await scrubTo(page, 799)
    assert.deepEqual(await snapshot(page), before)
  })

  test('a partition drawn around the leader and one follower leaves that minority without a leader; the link replays it exactly', {timeout: 180_000}, async () => {
    const page = await open(url)
    await scrubTo(page, 800)
    const old = leaderOf(await snapshot(page))!
    const ids = ['n1', 'n2', 'n3', 'n4', 'n5']
    const buddy = ids[(ids.indexOf(old.id) + 1) % ids.length]!
    const boxes = await Promise.all([old.id, buddy].map(async (id) => (await page.locator(`#topology .node[data-node="${id}"] .body`).boundingBox())!))
    const x0 = Math.min(...boxes.map((b) => b.x)) - 12
    const y0 = Math.min(...boxes.map((b) => b.y)) - 12
    const x1 = Math.max(...boxes.map((b) => b.x + b.width)) + 12
    const y1 = Math.max(...boxes.map((b) => b.y + b.height)) + 12
    await page.mouse.move(x0, y0)
    await page.mouse.down()
    await page.mouse.move((x0 + x1) / 2, (y0 + y1) / 2, {steps: 4})
    await page.mouse.move(x1, y1, {steps: 4})
    await page.mouse.up()
    await page.waitForFunction(() => document.querySelectorAll('#topology .link.cut').length === 6, null, {timeout: 10_000})
    await scrubTo(page, 2500)
    const s = await snapshot(page)
    for (const id of [old.id, buddy]) assert.notEqual(s.nodes.find((n) => n.id === id)!.role, 'leader', `${id} leads in the minority`)
    const majorityLeader = leaderOf(s)
    assert.ok(majorityLeader && ![old.id, buddy].includes(majorityLeader.id), 'the majority elected a leader')
    await page.screenshot({path: join(ARTIFACTS, 'partition.png')})

    // Shift + a box around one node of the majority: a third group (8 cut links for 2 + 1 + 2 nodes).
    const lone = ids.find((id) => id !== majorityLeader.id && ![old.id, buddy].includes(id))!
    const lb = (await page.locator(`#topology .node[data-node="${lone}"] .body`).boundingBox())!
    await page.keyboard.down('Shift')
    await page.mouse.move(lb.x - 10, lb.y - 10)
    await page.mouse.down()
    await page.mouse.move(lb.x + lb.width + 10, lb.y + lb.height + 10, {steps: 6})
    await page.mouse.up()
    await page.keyboard.up('Shift')
    await page.waitForFunction(() => document.querySelectorAll('#topology .link.cut').length === 8, null, {timeout: 10_000})
    await scrubTo(page, 3500)
    const three = await snapshot(page)
    assert.equal(leaderOf(three), undefined, 'no group of 2 + 1 + 2 holds a majority: no leader (CheckQuorum)')

    // The link in the address bar replays the same: at the same time, and after the same steps.
    const link = page.url()
    assert.match(link, /#v1\.[\w-]+\.[0-9a-f]{8}$/)
    const b = await open(link)
    await scrubTo(b, 2500)
    assert.deepEqual(await snapshot(b), s)
    await scrubTo(b, 3500)
    assert.deepEqual(await snapshot(b), three)
    const c = await open(link)
    const d = await open(link)
    await steps(c, 120)
    await steps(d, 120)
    const sc = await snapshot(c)
    assert.ok(sc.time > 0)
    assert.deepEqual(await snapshot(d), sc)
    assert.deepEqual(errors, [])
  })

  test('clicking a link opens its menu and drops it one way; clicking a follower makes it time out now', {timeout: 60_000}, async () => {
    const page = await open(url)
    await scrubTo(page, 800)
    await page.locator('#topology .pg-link-hit[data-link="n1-n2"]').click({force: true})
    assert.match((await page.textContent('#node-menu .pg-menu-title')) ?? '', /link n1 ↔ n2/)
    await page.click('#node-menu button:text-is("Drop n1 → n2 only")')
    assert.equal(await page.locator('#topology .link.cut[data-link="n1-n2"]').count(), 1)
    assert.equal(await page.locator('#topology .link-x').textContent(), '⇥')
    const follower = (await snapshot(page)).nodes.find((n) => n.role === 'follower')!
    await page.click(`#topology .node[data-node="${follower.id}"]`)
    await page.click('#node-menu button:text-is("Time out now")')
    const events = await page.locator('#events li').allTextContents()
    assert.ok(events.some((e) => e.includes(`${follower.id} starts an election in term 3 (told to time out now)`)), events.slice(0, 5).join('\n'))
    assert.deepEqual(errors, [])
  })

  test('a tampered or malformed link shows a message on the page and a fresh run, without an error', {timeout: 60_000}, async () => {
    const live = await open(url)
    await scrubTo(live, 600)
    await live.click('#request')
    const link = live.url()
    const [base, fragment] = link.split('#') as [string, string]
    const [v, data, sum] = fragment.split('.') as [string, string, string]
    const i = Math.floor(data.length / 2)
    const tampered = `${base}#${v}.${data.slice(0, i)}${data[i] === 'A' ? 'B' : 'A'}${data.slice(i + 1)}.${sum}`
    const page = await open(tampered)
    assert.match((await page.textContent('#message')) ?? '', /This link cannot be replayed: the link (was damaged or edited|is malformed)/)
    assert.equal(await page.isVisible('#message'), true)
    assert.equal(await page.locator('#topology .node').count(), 5)
    const malformed = await open(`${base}#v1.not-a-link`)
    assert.match((await malformed.textContent('#message')) ?? '', /malformed/)
    assert.deepEqual(errors, [])
  })

  test('an unknown scenario name is named on the page; a guided scenario plays with its caption', {timeout: 60_000}, async () => {
    const page = await open(`${url}#scenario=no-such-thing`)
    const text = (await page.textContent('#message')) ?? ''
    assert.match(text, /Unknown scenario "no-such-thing"/)
    assert.match(text, /figure-8/)
    const g = await open(`${url}#scenario=figure-8`)
    assert.match((await g.textContent('#caption')) ?? '', /^Figure 8/)
    assert.equal(await g.isVisible('#message'), false)
    await g.click('#play') // it started playing: pause, then jump to the end of the story
    await scrubTo(g, 2500)
    const s = await snapshot(g)
    assert.equal(leaderOf(s)!.id, 'n1')
    for (const n of s.nodes) assert.deepEqual(n.log.find((e) => e[0] === 7)?.slice(1, 4), [2, 'request', 'x=2'])
    await g.screenshot({path: join(ARTIFACTS, 'figure-8.png')})
  })

  test('settings apply from the start: without PreVote the elections skip the pre-vote', {timeout: 60_000}, async () => {
    const page = await open(url)
    await page.uncheck('#s-prevote')
    await scrubTo(page, 1000)
    const events = await page.locator('#events li').allTextContents()
    assert.ok(events.some((e) => /starts an election in term 2/.test(e)))
    assert.ok(!events.some((e) => /pre-vote/.test(e)), events.join('\n'))
    assert.match(page.url(), /#v1\./)
  })

  test('"Download scenario" writes the scenario of the link; playground --scenario FILE replays it', {timeout: 120_000}, async (t) => {
    const page = await open(url)
    await scrubTo(page, 700)
    await page.click('#request')
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')])
    const file = join(testTempDir(t, 'raftctl-scenario-'), 'mine.json')
    await download.saveAs(file)
    const saved = JSON.parse(readFileSync(file, 'utf8')) as {actions: unknown[]}
    const {decodeLink} = await import('../../src/playground/scenario.js')
    assert.deepEqual(saved, decodeLink(page.url()))
    assert.equal(saved.actions.length, 1)
    const served = await serve(['playground', '--scenario', file, '--json'], 'raftctl playground --scenario FILE')
    others.push(served.child)
    assert.match(served.url, /#v1\./)
    const replay = await open(served.url)
    await scrubTo(replay, 1500)
    await page.bringToFront()
    await scrubTo(page, 1500)
    assert.deepEqual(await snapshot(replay), await snapshot(page))
  })

  test('requests without the token get 401', {timeout: 30_000}, async () => {
    const base = `http://127.0.0.1:${new URL(url).port}`
    for (const path of ['/', '/?token=wrong', '/t/wrong/playground/static/app.js', '/t//raft/node.js', '/playground/static/app.js', '/raft/node.js']) {
      const res = await fetch(`${base}${path}`)
      assert.equal(res.status, 401, path)
      await res.body?.cancel()
    }
    const ok = await fetch(`${base}/t/${token}/raft/node.js`)
    assert.equal(ok.status, 200)
    assert.match(ok.headers.get('content-type') ?? '', /^text\/javascript/)
    await ok.body?.cancel()
    const missing = await fetch(`${base}/t/${token}/../../package.json`)
    assert.notEqual(missing.status, 200)
    await missing.body?.cancel()
  })
})

describe('raftctl playground: bad input', () => {
  test('--nodes 0 and --nodes 100 are refused with exit 2', {timeout: 120_000}, () => {
    for (const n of ['0', '100']) {
      const r = runCli('--nodes', n, '--json')
      assert.equal(r.status, 2, r.stderr + r.stdout)
      assert.match(r.stdout + r.stderr, /nodes|Expected an integer/i)
    }
  })

  test('sim run --open and --trace need --seed; a batch of seeds still runs with them defined', {timeout: 120_000}, () => {
    const batch = spawnSync(process.execPath, [RAFTCTL_BIN, 'sim', 'run', '--seeds', '2', '--json'], {env: ENV, encoding: 'utf8', timeout: 120_000})
    assert.equal(batch.status, 0, batch.stderr)
    assert.equal((JSON.parse(batch.stdout) as {seeds: number}).seeds, 2)
    for (const flag of [['--open'], ['--trace', 'x.json']]) {
      const r = spawnSync(process.execPath, [RAFTCTL_BIN, 'sim', 'run', '--seeds', '2', ...flag], {env: ENV, encoding: 'utf8', timeout: 120_000})
      assert.equal(r.status, 2, flag.join(' '))
      assert.match(r.stderr, /--open and --trace show one run: pass --seed N/)
    }
  })

  test('an unknown scenario is refused with exit 2 and the names of the guided ones', {timeout: 60_000}, () => {
    const r = runCli('--scenario', 'no-such-thing')
    assert.equal(r.status, 2)
    assert.match(r.stderr, /unknown scenario "no-such-thing".*first-election.*figure-8/)
  })
})

describe('simulator runs in the playground view (sim run --open, playground --trace)', {skip: SKIP}, () => {
  let context: BrowserContext | null = null
  let profile = ''
  const children: ChildProcess[] = []
  const errors: string[] = []
  const snapshot = (page: Page): Promise<Snapshot> => page.evaluate(() => (window as unknown as {__playground: {snapshot(): Snapshot}}).__playground.snapshot())

  before(async () => {
    profile = mkdtempSync(join(tmpdir(), 'raftctl-chromium-'))
    context = await launchChromium(profile, {width: 1400, height: 1000})
  })

  after(async () => {
    await context?.close().catch(() => undefined)
    if (profile) rmSync(profile, {recursive: true, force: true})
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL')
  })

  async function openAtEnd(url: string, end: number): Promise<Page> {
    const page = await context!.newPage()
    watchErrors(page, errors)
    await page.goto(url)
    await page.waitForSelector('body[data-ready="true"]', {timeout: 30_000})
    await page.locator('#scrubber').fill(String(end))
    await page.waitForFunction((want) => (window as unknown as {__playground: {snapshot(): {time: number}}}).__playground.snapshot().time >= want, end, {timeout: 30_000})
    return page
  }

  test('a simulator seed replayed in the page ends with the logs "sim run --seed N --json" reports', {timeout: 180_000}, async () => {
    const seed = '42'
    const plain = spawnSync(process.execPath, [RAFTCTL_BIN, 'sim', 'run', '--seed', seed, '--json'], {env: ENV, encoding: 'utf8', timeout: 120_000})
    assert.equal(plain.status, 0, plain.stderr)
    const report = JSON.parse(plain.stdout) as {final: {id: string; up: boolean; term: number; commitIndex: number; firstIndex: number; terms: [number, number][]}[]; stats: {virtualMs: number}}
    // BROWSER=true: xdg-open (if any) "opens" the page with /bin/true; the test opens it in chromium.
    const child = spawn(process.execPath, [RAFTCTL_BIN, 'sim', 'run', '--seed', seed, '--open', '--json'], {env: {...ENV, BROWSER: 'true'}, stdio: ['ignore', 'pipe', 'pipe']})
    children.push(child)
    child.stderr!.resume()
    const doc = JSON.parse(await firstLine(child, 120_000, 'raftctl sim run --open')) as typeof report & {url: string}
    assert.deepEqual(doc.final, report.final, 'the same run with and without --open')
    const page = await openAtEnd(doc.url, report.stats.virtualMs)
    assert.match((await page.textContent('#run-name')) ?? '', /simulator seed 42/)
    const s = await snapshot(page)
    const shown = s.nodes.filter((n) => n.state === 'up').map((n) => {
      const terms: [number, number][] = []
      for (const [, term] of n.log) {
        const last = terms[terms.length - 1]
        if (last && last[0] === term) last[1]++
        else terms.push([term, 1])
      }
      return {id: n.id, term: n.term, commitIndex: n.commit, firstIndex: n.log[0]?.[0], terms}
    })
    const want = report.final.filter((n) => n.up).map((n) => ({id: n.id, term: n.term, commitIndex: n.commitIndex, firstIndex: n.firstIndex, terms: n.terms}))
    assert.deepEqual(shown, want)
    await page.screenshot({path: join(ARTIFACTS, 'sim-seed-42.png')})
    assert.deepEqual(errors, [])
  })

  test('a failing run (a planted bug, saved with the trace recorder) shows the violation on the time line and outlines the nodes it names', {timeout: 180_000}, async (t) => {
    const {Simulation} = await import('../../src/sim/cluster.js')
    const {TraceRecorder} = await import('../../src/playground/trace.js')
    let trace = null
    for (let seed = 1; seed <= 50 && !trace; seed++) {
      const recorder = new TraceRecorder()
      const r = new Simulation({seed, bugs: {skipUpToDateCheck: true}, disk: 'sync', observer: recorder}).run()
      if (!r.ok) trace = recorder.finish(seed, r.stats.virtualMs, r.violation, `raftctl sim run --seed ${seed} (with a planted bug)`)
    }
    assert.ok(trace, 'the planted bug was not caught')
    const dir = testTempDir(t, 'raftctl-trace-')
    const file = join(dir, 'failing.json')
    writeFileSync(file, JSON.stringify(trace))
    const served = await serve(['playground', '--trace', file, '--json'], 'raftctl playground --trace')
    children.push(served.child)
    const page = await openAtEnd(served.url, trace.end)
    assert.match((await page.textContent('#caption')) ?? '', /^VIOLATION of /)
    assert.equal(await page.locator('#marks .pg-mark-violation').count(), 1)
    const outlined = await page.$$eval('#topology .node.pg-offender', (nodes) => nodes.map((n) => (n as SVGElement).dataset.node).sort())
    assert.deepEqual(outlined, [...trace.violation!.nodes].sort())
    await page.screenshot({path: join(ARTIFACTS, 'violation.png')})
    assert.deepEqual(errors, [])
  })

  test('a file that is not a trace is refused with exit 2', {timeout: 60_000}, (t) => {
    const file = join(testTempDir(t, 'raftctl-trace-'), 'bad.json')
    writeFileSync(file, '{"format": "something else"}')
    const r = runCli('--trace', file)
    assert.equal(r.status, 2)
    assert.match(r.stderr, /is not a simulator trace: not a simulator trace/)
  })
})
