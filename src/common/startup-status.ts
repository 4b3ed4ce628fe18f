/**
 * The start-up status file a daemon keeps while it starts (`node run --status-file`): one JSON
 * object naming its pid, its phase and, while it reads its data, how far it got. The daemon
 * (src/daemon/startup-status.ts) replaces it atomically at each step; `raftctl node start`
 * (src/cluster/processes.ts) reads it to show progress and to keep waiting while it moves.
 * Pure: the format and its parser only.
 */

/** Phases of a start, in order; `failed` ends a start that did not reach `ready`. */
export type StartupPhase = 'checking data' | 'opening storage' | 'restoring state' | 'checking disk' | 'listening' | 'ready' | 'failed'

/** What the status file holds. */
export interface StartupStatus {
  readonly pid: number
  readonly phase: StartupPhase
  /** Percent of the phase done (opening storage: bytes read of the snapshot and WAL segments to read). */
  readonly percent?: number
  /** For `failed`: the stable error code and message. */
  readonly code?: string
  readonly error?: string
  /** When the daemon wrote it (ISO 8601). */
  readonly at: string
}

const PHASES: readonly string[] = ['checking data', 'opening storage', 'restoring state', 'checking disk', 'listening', 'ready', 'failed']

/** Parse a status file's text; null for anything that is not one (a reader may race a writer's rename, never a partial file). */
export function parseStartupStatus(text: string): StartupStatus | null {
  try {
    const o = JSON.parse(text) as Record<string, unknown>
    if (typeof o.pid !== 'number' || typeof o.phase !== 'string' || !PHASES.includes(o.phase) || typeof o.at !== 'string') return null
    return o as unknown as StartupStatus
  } catch {
    return null
  }
}

/** One line for people: "opening storage 40%", "failed: STORAGE_FULL: …". */
export function describeStartupStatus(s: StartupStatus): string {
  if (s.phase === 'failed') return `failed: ${s.code ?? 'FAILED'}: ${s.error ?? ''}`
  return s.percent === undefined ? s.phase : `${s.phase} ${s.percent}%`
}
