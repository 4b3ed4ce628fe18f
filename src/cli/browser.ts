/**
 * Open a URL in the user's browser (`--open` of `raftctl dashboard`, `playground`, `sim run`).
 */
import {spawn} from 'node:child_process'

/** Try the platform's opener (xdg-open / open / explorer); `warn` says so when it is missing (the URL is printed anyway). */
export function openBrowser(url: string, warn: (message: string) => void): void {
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open'
  try {
    const child = spawn(opener, [url], {detached: true, stdio: 'ignore'})
    child.on('error', (error) => warn(`Could not open a browser (${opener}: ${error.message}); open the URL above yourself.`))
    child.unref()
  } catch (error) {
    warn(`Could not open a browser (${opener}: ${(error as Error).message}); open the URL above yourself.`)
  }
}
