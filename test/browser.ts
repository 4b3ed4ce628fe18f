/**
 * Shared by the browser tests (dashboard, playground): Debian's chromium driven by
 * playwright-core, headless, with a new empty profile; and reading the first line a served
 * command prints (its URL).
 */
import {existsSync} from 'node:fs'
import {createInterface} from 'node:readline'
import type {ChildProcess} from 'node:child_process'
import type {BrowserContext, Page} from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
]

/** False when chromium is present, else why the browser tests of `what` are skipped. */
export function chromiumSkip(what: string): false | string {
  return existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium; .ci/run does) to run the ${what} browser tests`
}

/** Headless chromium with the profile folder `profile` (the caller removes it). */
export async function launchChromium(profile: string, viewport = {width: 1280, height: 800}): Promise<BrowserContext> {
  const {chromium} = await import('playwright-core')
  return chromium.launchPersistentContext(profile, {executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport})
}

/** Collect the page's console errors and uncaught exceptions into `errors`. */
export function watchErrors(page: Page, errors: string[]): void {
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text())
  })
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`))
}

/** The first line the child prints on stdout (`what` names it in errors). */
export function firstLine(child: ChildProcess, timeoutMs: number, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({input: child.stdout!})
    const timer = setTimeout(() => reject(new Error(`${what} printed no URL in time`)), timeoutMs)
    rl.once('line', (line) => {
      clearTimeout(timer)
      resolve(line)
    })
    child.once('exit', (code) => reject(new Error(`${what} exited with ${code} before printing its URL`)))
  })
}
