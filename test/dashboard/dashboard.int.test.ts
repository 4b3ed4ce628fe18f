/// <reference lib="dom" />
/**
 * Browser tests of `raftctl dashboard` against a real 3-node cluster: Debian's chromium
 * (/usr/bin/chromium), driven by playwright-core, headless. The dashboard runs as the real
 * command (`bin/run.js dashboard --json`, which loads dist/: run `npm run build` first) in a
 * temporary RAFTCTL_HOME. Screenshots are kept in artifacts/dashboard/ (gitignored).
 *
 * Skipped, with a message, when /usr/bin/chromium is missing (.ci/run installs it).
 */
import {after, before, describe, test} from 'node:test'
import assert from 'node:assert/strict'
import {spawn, type ChildProcess} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {WebSocket} from 'ws'
import type {BrowserContext, Page} from 'playwright-core'
import {LocalCluster, RAFTCTL_BIN} from '../../src/cluster/index.js'
import {cleanup, trackPid, useTempHome} from '../commands/cluster-helpers.js'
import {chromiumSkip, firstLine, launchChromium, watchErrors} from '../browser.js'

const ARTIFACTS = fileURLToPath(new URL('../../artifacts/dashboard/', import.meta.url))
const CLUSTER = 'dash'
const SKIP = chromiumSkip('dashboard')

if (SKIP) console.log(`dashboard browser tests skipped: ${SKIP}`)

describe('raftctl dashboard in chromium', {skip: SKIP}, () => {
  let home = ''
  let cluster: LocalCluster
  let dashboard: ChildProcess | null = null
  let dashboardErr = ''
  let url = ''
  let port = 0
  let context: BrowserContext | null = null
  let profile = ''
  let page: Page
  const consoleErrors: string[] = []

  before(async () => {
    home = useTempHome()
    cluster = new LocalCluster(CLUSTER, home)
    await cluster.start(3)
    for (const n of cluster.manifest().nodes) trackPid(cluster.pid(n.id))
    await cluster.waitForLeader()

    dashboard = spawn(process.execPath, [RAFTCTL_BIN, 'dashboard', '--cluster', CLUSTER, '--json', '--interval', '250ms'], {
      env: {...process.env, RAFTCTL_HOME: home, OCLIF_SKIP_NEW_VERSION_CHECK: 'true'},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    dashboard.stderr!.on('data', (chunk: Buffer) => (dashboardErr += chunk.toString()))
    const first = await firstLine(dashboard, 20_000, 'the dashboard')
    const doc = JSON.parse(first) as {url: string; port: number; cluster: string}
    assert.equal(doc.cluster, CLUSTER)
    assert.match(doc.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}$/)
    url = doc.url
    port = doc.port

    mkdirSync(ARTIFACTS, {recursive: true})
    profile = mkdtempSync(join(tmpdir(), 'raftctl-chromium-'))
    context = await launchChromium(profile)
    page = context.pages()[0] ?? (await context.newPage())
    watchErrors(page, consoleErrors)
    await page.goto(url)
  })

  after(async () => {
    await context?.close().catch(() => undefined)
    if (profile) rmSync(profile, {recursive: true, force: true})
    if (dashboard && dashboard.exitCode === null) {
      dashboard.kill('SIGKILL')
    }
    if (home) await cleanup(home)
  })

  test('the page shows 3 nodes and one leader', {timeout: 30_000}, async () => {
    await page.waitForFunction(() => document.querySelectorAll('.card').length === 3 && document.querySelectorAll('.card[data-role="leader"]').length === 1, null, {timeout: 15_000})
    const ids = await page.$$eval('.card', (cards) => cards.map((c) => (c as HTMLElement).dataset.node))
    assert.deepEqual(ids, ['n1', 'n2', 'n3'])
    const leader = await page.$eval('.card[data-role="leader"]', (c) => (c as HTMLElement).dataset.node)
    assert.equal((await page.textContent('#leader'))?.trim(), leader)
    assert.equal(await page.locator('#topology .node').count(), 3)
    assert.equal(await page.locator('#topology .node.role-leader').count(), 1)
    const status = await cluster.status()
    assert.equal(status.leader, leader, 'the page shows the leader raftctl status shows')
    assert.equal(await page.textContent('#conn'), 'live')
    await page.waitForTimeout(1500) // let a few messages fly and the timeline fill
    await page.screenshot({path: join(ARTIFACTS, 'initial.png')})
  })

  test('a request without the token gets 401 (page, assets, WebSocket)', {timeout: 15_000}, async () => {
    const base = `http://127.0.0.1:${port}`
    for (const path of ['/', '/index.html', '/app.js', '/style.css', '/ws', '/?token=wrong', '/app.js?token=']) {
      const res = await fetch(`${base}${path}`)
      assert.equal(res.status, 401, `GET ${path}`)
      await res.body?.cancel()
    }
    const token = new URL(url).searchParams.get('token')!
    const ok = await fetch(`${base}/app.js?token=${encodeURIComponent(token)}`)
    assert.equal(ok.status, 200)
    await ok.body?.cancel()
    assert.equal(await upgradeStatus(`ws://127.0.0.1:${port}/ws`), 401)
    assert.equal(await upgradeStatus(`ws://127.0.0.1:${port}/ws?token=nope`), 401)
    assert.equal(await upgradeStatus(`ws://127.0.0.1:${port}/ws?token=${encodeURIComponent(token)}`, 'http://evil.example'), 403)
    assert.equal(await upgradeStatus(`ws://127.0.0.1:${port}/ws?token=${encodeURIComponent(token)}`), 101)
  })

  test('clicking "trigger election" on a follower raises the term shown, and a leader is shown', {timeout: 40_000}, async () => {
    const before = Number(await page.textContent('#term'))
    const leader = (await page.textContent('#leader'))!.trim()
    const follower = await page.$eval('.card[data-role="follower"]', (c) => (c as HTMLElement).dataset.node!)
    assert.notEqual(follower, leader)
    await page.click(`.card[data-node="${follower}"] button[data-act="campaign"]`)
    await page.waitForFunction((t) => {
      const term = Number(document.querySelector('#term')!.textContent)
      const lead = document.querySelector('#leader')!.textContent!.trim()
      return term > t && /^n\d+$/.test(lead) && document.querySelectorAll('.card[data-role="leader"]').length === 1
    }, before, {timeout: 25_000})
    const after = Number(await page.textContent('#term'))
    assert.ok(after > before, `term ${after} > ${before}`)
    // the timeline marks the election (M: manual)
    await page.waitForSelector('#timeline .tl-el-dot', {timeout: 5000})
    await page.waitForSelector('#events li.you', {timeout: 5000})
    await page.screenshot({path: join(ARTIFACTS, 'election.png')})
  })

  test('put a key from the page', {timeout: 30_000}, async () => {
    await page.fill('#put-key', 'dash-key')
    await page.fill('#put-value', 'from the page')
    await page.click('#put')
    await page.waitForSelector('#put-result.ok', {timeout: 15_000})
    const kv = cluster.kv()
    try {
      assert.equal((await kv.get('dash-key')).value, 'from the page')
    } finally {
      await kv.close()
    }
  })

  test('killing the leader from the page (after confirming) shows it down, and a new leader', {timeout: 60_000}, async () => {
    const leader = (await page.textContent('#leader'))!.trim()
    await page.click(`.card[data-node="${leader}"] button[data-act="kill"]`)
    // destructive: a confirmation first; cancelling does nothing
    await page.waitForSelector('#confirm[open]')
    assert.match((await page.textContent('#confirm-title'))!, new RegExp(`Kill ${leader}`))
    await page.click('#confirm-cancel')
    await page.waitForTimeout(500)
    assert.notEqual(cluster.pid(leader), null, 'cancel must not kill')
    await page.click(`.card[data-node="${leader}"] button[data-act="kill"]`)
    await page.click('#confirm-ok')
    await page.waitForFunction((old) => {
      const card = document.querySelector(`.card[data-node="${old}"]`) as HTMLElement
      const lead = document.querySelector('#leader')!.textContent!.trim()
      return card.dataset.role === 'down' && card.dataset.health === 'down' && /^n\d+$/.test(lead) && lead !== old
    }, leader, {timeout: 30_000})
    assert.equal(cluster.pid(leader), null)
    assert.equal(await page.locator(`#topology .node.role-down[data-node="${leader}"]`).count(), 1)
    await page.waitForTimeout(800)
    await page.screenshot({path: join(ARTIFACTS, 'killed.png')})
    // bring it back from its card
    await page.click(`.card[data-node="${leader}"] button[data-act="start"]`)
    await page.waitForFunction((old) => {
      const card = document.querySelector(`.card[data-node="${old}"]`) as HTMLElement
      return card.dataset.role === 'follower' && card.dataset.health === 'ok'
    }, leader, {timeout: 30_000})
    trackPid(cluster.pid(leader))
  })

  test('partition (isolate the leader) and heal from the page', {timeout: 60_000}, async (t) => {
    await page.waitForFunction(() => !/checking/.test(document.querySelector('#chaos-state')!.textContent!), null, {timeout: 15_000})
    if (/unavailable/.test((await page.textContent('#chaos-state'))!)) {
      t.skip('the daemons do not serve chaos.* (no live chaos in this build)')
      return
    }
    const leader = (await page.textContent('#leader'))!.trim()
    await page.click('#isolate-leader')
    await page.click('#partition')
    await page.click('#confirm-ok')
    await page.waitForFunction(() => document.querySelectorAll('#topology .link.cut').length === 2, null, {timeout: 15_000})
    await page.waitForFunction((old) => {
      const lead = document.querySelector('#leader')!.textContent!.trim()
      return /^n\d+$/.test(lead) && lead !== old
    }, leader, {timeout: 30_000})
    await page.waitForTimeout(1000)
    await page.screenshot({path: join(ARTIFACTS, 'partition.png')})
    await page.click('#heal-all')
    await page.waitForFunction(() => document.querySelectorAll('#topology .link.cut').length === 0 && document.querySelectorAll('.card .chip').length === 0, null, {timeout: 15_000})
  })

  test('a narrow window shows every node in one column', {timeout: 20_000}, async () => {
    await page.setViewportSize({width: 420, height: 900})
    await page.waitForTimeout(600)
    const boxes = await page.$$eval('.card', (cards) => cards.map((c) => c.getBoundingClientRect()).map((r) => ({x: r.x, w: r.width})))
    assert.equal(boxes.length, 3)
    for (const b of boxes) assert.ok(b.x >= 0 && b.x + b.w <= 420, 'cards fit the window')
    const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth)
    assert.ok(scrollWidth <= 420, `no horizontal scrolling (scrollWidth ${scrollWidth})`)
    await page.screenshot({path: join(ARTIFACTS, 'narrow.png'), fullPage: true})
    await page.setViewportSize({width: 1280, height: 800})
  })

  test('no errors in the browser console', () => {
    assert.deepEqual(consoleErrors, [])
  })

  test('Ctrl-C stops the dashboard cleanly', {timeout: 20_000}, async () => {
    const child = dashboard!
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    child.kill('SIGINT')
    assert.equal(await exited, 0, dashboardErr)
    await assert.rejects(fetch(url), 'the server is gone')
  })
})

/** The HTTP status of a WebSocket upgrade (101 when it opened). */
function upgradeStatus(wsUrl: string, origin?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl, {perMessageDeflate: false, ...(origin ? {origin} : {})})
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0)
      res.resume()
      ws.terminate()
    })
    ws.on('open', () => {
      resolve(101)
      ws.close()
    })
    ws.on('error', (error) => reject(error))
  })
}
