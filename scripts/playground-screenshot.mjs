#!/usr/bin/env node
/**
 * Takes docs/playground.png, the README's picture of the playground: runs `raftctl playground
 * --scenario partitioned-minority` (dist/ must be built), opens it in Debian's chromium through
 * playwright-core, pauses, moves the virtual clock to 2237 ms (the majority's new leader has just
 * appended a request; the minority's entry sits uncommitted) and saves the window.
 *
 *   node scripts/playground-screenshot.mjs [OUT.png]
 */
import {spawn} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {createInterface} from 'node:readline'
import {fileURLToPath} from 'node:url'
import {chromium} from 'playwright-core'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const out = process.argv[2] ?? join(ROOT, 'docs', 'playground.png')
const server = spawn(process.execPath, [join(ROOT, 'bin', 'run.js'), 'playground', '--scenario', 'partitioned-minority', '--json'], {
  env: {...process.env, OCLIF_SKIP_NEW_VERSION_CHECK: 'true'},
  stdio: ['ignore', 'pipe', 'inherit'],
})
const profile = mkdtempSync(join(tmpdir(), 'raftctl-chromium-'))
try {
  const line = await new Promise((resolve) => createInterface({input: server.stdout}).once('line', resolve))
  const {url} = JSON.parse(line)
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'], viewport: {width: 1280, height: 960},
  })
  const page = context.pages()[0] ?? (await context.newPage())
  await page.goto(url)
  await page.waitForSelector('body[data-ready="true"]')
  await page.click('#play') // a guided scenario starts playing: pause it
  await page.locator('#scrubber').fill('2237')
  await page.waitForTimeout(300)
  await page.screenshot({path: out})
  await context.close()
  console.log(`wrote ${out}`)
} finally {
  server.kill('SIGTERM')
  rmSync(profile, {recursive: true, force: true})
}
