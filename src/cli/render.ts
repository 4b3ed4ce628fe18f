/**
 * Rendering helpers for human output: TTY and colour detection, tables (cli-table3, loaded
 * lazily, uncoloured when stdout is not a TTY), spinners (ora, loaded lazily, a no-op without a
 * TTY), and formatting of durations and ages. Nothing here writes to stdout by itself.
 */

/** True when `stream` is a terminal. */
export function isTTY(stream: NodeJS.WriteStream | NodeJS.ReadStream = process.stdout): boolean {
  return stream.isTTY === true
}

/** True when a prompt can be shown: stdin and stdout are terminals. */
export function canPrompt(): boolean {
  return isTTY(process.stdin) && isTTY(process.stdout)
}

/** True when ANSI colours may be written to `stream` (a TTY, NO_COLOR unset, TERM not dumb). */
export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  return isTTY(stream) && !process.env.NO_COLOR && process.env.TERM !== 'dumb'
}

/** ANSI styles; each is the identity when colour is off. */
export interface Styles {
  readonly bold: (s: string) => string
  readonly dim: (s: string) => string
  readonly red: (s: string) => string
  readonly green: (s: string) => string
  readonly yellow: (s: string) => string
  readonly cyan: (s: string) => string
}

const sgr = (open: number, close: number) => (s: string): string => `\u001B[${open}m${s}\u001B[${close}m`
const identity = (s: string): string => s

/** Styles for `stream` (or forced on / off). */
export function styles(color: boolean = useColor()): Styles {
  if (!color) return {bold: identity, dim: identity, red: identity, green: identity, yellow: identity, cyan: identity}
  return {bold: sgr(1, 22), dim: sgr(2, 22), red: sgr(31, 39), green: sgr(32, 39), yellow: sgr(33, 39), cyan: sgr(36, 39)}
}

/** Remove ANSI escape sequences (for width computations and tests). */
export function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001B\[[0-9;?]*[A-Za-z]/g, '')
}

/** Options of {@link renderTable}. */
export interface TableOptions {
  readonly head: readonly string[]
  readonly rows: readonly (readonly (string | number | null | undefined)[])[]
  /** Alignment per column (default left). */
  readonly align?: readonly ('left' | 'right' | 'center')[]
  /** Colour the header and borders (default: stdout is a colour TTY). */
  readonly color?: boolean
}

/**
 * A table as a string. Without colour (stdout not a TTY, NO_COLOR), the header and borders are
 * plain: cli-table3 would otherwise colour piped output (TOOLCHAIN.md).
 */
export async function renderTable(options: TableOptions): Promise<string> {
  const {default: Table} = await import('cli-table3')
  const color = options.color ?? useColor()
  // Colour the header ourselves: cli-table3's own colours follow its library's terminal
  // detection (off under CI=true, on when piped), not the decision made here.
  const cyan = styles(color).cyan
  const table = new Table({
    head: options.head.map((h) => cyan(h)),
    // compact: no rule between body rows.
    style: {head: [], border: [], compact: true},
    ...(options.align ? {colAligns: [...options.align]} : {}),
  })
  for (const row of options.rows) table.push(row.map((cell) => (cell === null || cell === undefined ? '-' : String(cell))))
  return table.toString()
}

/** A progress indicator. Every method is safe to call when it is disabled. */
export interface Spinner {
  /** Change the text shown. */
  text(text: string): void
  /** Stop with a success mark and a final text. */
  succeed(text?: string): void
  /** Stop with a failure mark and a final text. */
  fail(text?: string): void
  /** Stop and erase. */
  stop(): void
  /** Run `write` (which prints lines) with the spinner erased, then draw it again below them. */
  above(write: () => void): void
}

/**
 * A workflow's progress (src/cluster/membership.ts WorkflowProgress) shown with `spinner`: a
 * finished step is a line printed above it, indented two spaces; what is happening now is its text.
 */
export function spinnerProgress(spinner: Spinner, log: (line: string) => void): {step(text: string): void; doing(text: string): void} {
  return {
    step: (text) => spinner.above(() => log(`  ${text}`)),
    doing: (text) => spinner.text(text),
  }
}

const NO_SPINNER: Spinner = {text() {}, succeed() {}, fail() {}, stop() {}, above: (write) => write()}

/**
 * A spinner on stderr when it is a TTY and `enabled` (pass `!this.jsonEnabled()`); otherwise a
 * no-op (ora without a TTY would print plain lines on stderr).
 */
export async function startSpinner(text: string, enabled = true): Promise<Spinner> {
  if (!enabled || !isTTY(process.stderr)) return NO_SPINNER
  const {default: ora} = await import('ora')
  const s = ora({text, stream: process.stderr}).start()
  return {
    text(t) {
      s.text = t
    },
    succeed(t) {
      s.succeed(t)
    },
    fail(t) {
      s.fail(t)
    },
    stop() {
      s.stop()
    },
    above(write) {
      if (!s.isSpinning) return write()
      s.clear()
      write()
      s.render()
    },
  }
}

/** Re-exported from the shared leaf, where the cluster layer's messages use it too. */
export {formatDuration} from '../common/units.js'

/** `n thing` / `n things`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`
}

/**
 * Wait for Ctrl-C (SIGINT) or SIGTERM, or until `signal` aborts, or until the reader of stdout
 * is gone (EPIPE: `raftctl status --watch --json | head -n 3` ends once head has its lines,
 * as a Unix program does on SIGPIPE); the handlers are removed afterwards.
 */
export function untilInterrupted(signal?: AbortSignal): {promise: Promise<void>; stop: () => void} {
  let stop = (): void => {}
  const promise = new Promise<void>((resolve) => {
    const onStdoutError = (err: NodeJS.ErrnoException): void => {
      if (err.code === 'EPIPE') done()
    }
    const done = (): void => {
      process.off('SIGINT', done)
      process.off('SIGTERM', done)
      process.stdout.off('error', onStdoutError)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    stop = done
    process.on('SIGINT', done)
    process.on('SIGTERM', done)
    process.stdout.on('error', onStdoutError)
    signal?.addEventListener('abort', done)
  })
  return {promise, stop}
}

/** Sleep `ms`, or less if `interrupt` settles first. */
export async function sleepUnless(ms: number, interrupt: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  await Promise.race([new Promise<void>((r) => (timer = setTimeout(r, ms))), interrupt])
  clearTimeout(timer)
}

/**
 * What `leader transfer NODE` and `election trigger NODE` say when NODE leads already: both
 * exit 0 and change nothing, as an operator asking for a state that already holds expects.
 */
export function alreadyLeading(node: string, term: number): string {
  return `${node} is already the leader (term ${term}): nothing changed.`
}
