/**
 * CPU time of this process (process.cpuUsage) and of other processes (utime + stime from
 * /proc/<pid>/stat, in clock ticks of 1/CLK_TCK s), and resident memory (VmRSS), for the
 * "CPU ms per operation" and memory figures of the benchmarks. Linux only for other processes:
 * elsewhere they read as null.
 */
import {execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {performance} from 'node:perf_hooks'

let clockTicks: number | undefined

/** Clock ticks per second of /proc times (`getconf CLK_TCK`, 100 when unknown). */
export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      const n = Number(execFileSync('getconf', ['CLK_TCK'], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim())
      clockTicks = Number.isInteger(n) && n > 0 ? n : 100
    } catch {
      clockTicks = 100
    }
  }
  return clockTicks
}

/** User + system CPU milliseconds used so far by `pid` (null when it cannot be read: gone, not Linux). */
export function processCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name (which may contain spaces and parentheses): state is field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const utime = Number(fields[11]) // field 14
    const stime = Number(fields[12]) // field 15
    if (!Number.isFinite(utime) || !Number.isFinite(stime)) return null
    return ((utime + stime) * 1000) / clockTicksPerSecond()
  } catch {
    return null
  }
}

/** Resident set size of `pid` in bytes (VmRSS), or null. */
export function processRssBytes(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)
    return m ? Number(m[1]) * 1024 : null
  } catch {
    return null
  }
}

/** CPU milliseconds of this process (user + system) so far. */
export function selfCpuMs(): number {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

/**
 * Busy CPU milliseconds of the whole machine so far, summed over all cores (user, nice, system,
 * irq, softirq, steal from the `cpu` line of /proc/stat), or null when unreadable.
 */
export function machineBusyMs(): number | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!
    const f = line.trim().split(/\s+/).slice(1).map(Number)
    const busy = f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + (f[7] ?? 0)
    return Number.isFinite(busy) ? (busy * 1000) / clockTicksPerSecond() : null
  } catch {
    return null
  }
}

/** What a {@link CpuMeter} measured. */
export interface CpuUsage {
  /** This process, ms. */
  readonly selfMs: number
  /** Sum over the pids, ms (null when any could not be read at both ends, e.g. it exited). */
  readonly othersMs: number | null
  readonly perPid: Record<number, number | null>
  /**
   * Everything else on the machine, ms: busy time of all cores minus this process and the
   * pids (other programs competing for the CPU during the measurement). Null when unknown.
   */
  readonly backgroundMs: number | null
  /** Wall time of the measurement, ms. */
  readonly wallMs: number
}

/** A before/after CPU meter over this process, a set of pids, and the whole machine. */
export class CpuMeter {
  private readonly selfStart = selfCpuMs()
  private readonly machineStart = machineBusyMs()
  private readonly wallStart = performance.now()
  private readonly start: Map<number, number | null>

  constructor(private readonly pids: readonly number[]) {
    this.start = new Map(pids.map((p) => [p, processCpuMs(p)]))
  }

  /** CPU ms used since construction. */
  read(): CpuUsage {
    const selfMs = selfCpuMs() - this.selfStart
    let othersMs: number | null = 0
    const perPid: Record<number, number | null> = {}
    for (const pid of this.pids) {
      const before = this.start.get(pid) ?? null
      const after = processCpuMs(pid)
      const used = before === null || after === null ? null : after - before
      perPid[pid] = used
      othersMs = used === null || othersMs === null ? null : othersMs + used
    }
    const machineEnd = machineBusyMs()
    const backgroundMs = this.machineStart === null || machineEnd === null || othersMs === null
      ? null
      : Math.max(0, machineEnd - this.machineStart - selfMs - othersMs)
    return {selfMs, othersMs, perPid, backgroundMs, wallMs: performance.now() - this.wallStart}
  }
}
