/**
 * `raftctl verify`, the orchestration (docs/verify.md): get a cluster (the named one if it runs,
 * else start or create one), run the workload and the seeded nemesis at the same time, heal
 * everything and wait for recovery, read every key, kill and restart every node and read every
 * key again, then check the history for linearizability and the final values for durability,
 * write the history and the HTML report, and put the cluster back as it was found (what verify
 * created is destroyed, what it started is stopped).
 */
import {copyFileSync, existsSync, mkdirSync, writeFileSync} from 'node:fs'
import {randomBytes} from 'node:crypto'
import {setTimeout as sleep} from 'node:timers/promises'
import {dirname, extname, join} from 'node:path'
import {ClusterChaos, LocalCluster, activeNodes, asLocal, isPaused, raftctlHome, type ClusterHandle} from '../cluster/index.js'
import {RaftctlError} from '../common/errors.js'
import {checkHistory, DEFAULT_MAX_MEMORY_BYTES, DEFAULT_MAX_STATES} from './checker.js'
import {formatHistory, type HistoryOp} from './history.js'
import {projectHistory} from './project.js'
import {checkDurability, readFinalValues, DEFAULT_FINAL_READ_DEADLINE_MS, type FinalRead} from './durability.js'
import {CHAOS_KINDS, DEFAULT_FAULTS, DEFAULT_FAULT_INTERVAL_MS, planNemesis, runNemesis, type NemesisKind} from './nemesis.js'
import type {ChaosExecutor} from '../chaos/schedule.js'
import {MonotonicClock, defaultKeys, runWorkload, workloadSlots, DEFAULT_CLIENTS, type OpDetail, type WorkloadKind} from './workload.js'
import {countByOp, overallVerdict, summarizeCheck, type VerifyResult} from './result.js'
import {renderHtml} from './report.js'

/** Default workload duration: 60 s. */
export const DEFAULT_DURATION_MS = 60_000
/** Default nodes of a cluster verify creates. */
export const DEFAULT_NODES = 3
/** Default time to wait for a leader with every node up (at the start, after healing, after the restart). */
export const DEFAULT_RECOVERY_TIMEOUT_MS = 60_000
/** Default time budget of the linearizability check: 2 minutes. */
export const DEFAULT_CHECK_TIME_LIMIT_MS = 120_000

/** Options of {@link runVerify}. Every limit has a default (the DEFAULT_* constants). */
export interface VerifyOptions {
  /** The local cluster to use (or create). */
  readonly cluster: string
  /**
   * A cluster that runs elsewhere (attached, or `--endpoints`), used as it is instead of the local
   * cluster `cluster`: it must run with a leader; the fault kinds that need its processes (kill,
   * pause, restart) are left out with a warning, and so is the full restart of the durability
   * check (the final values are read after healing only).
   */
  readonly remote?: ClusterHandle
  /** RAFTCTL_HOME (default: the environment's). */
  readonly home?: string
  /** Founding nodes when verify creates the cluster. Default {@link DEFAULT_NODES}. */
  readonly nodes?: number
  /** How long the workload runs, ms. Default {@link DEFAULT_DURATION_MS}. */
  readonly durationMs?: number
  /** Fault kinds of the schedule. Default {@link DEFAULT_FAULTS}. */
  readonly faults?: readonly NemesisKind[]
  readonly clients?: number
  readonly keys?: number
  /** Seeds the schedule and the clients' choices. Default: random (reported). */
  readonly seed?: number
  /** Where to write the history. Default: `<cluster folder>/verify/<time>/history.jsonl`. */
  readonly historyFile?: string
  /** Where to write the HTML report. Default: next to the history. */
  readonly reportFile?: string
  /** Start a fresh cluster whose daemons run with `--unsafe-follower-reads`. */
  readonly unsafeFollowerReads?: boolean
  /** Leave a cluster verify created or started running at the end. Default false. */
  readonly keepCluster?: boolean
  /** What the clients do (src/verify/workload.ts). Default `['kv']`. */
  readonly workloads?: readonly WorkloadKind[]
  /** Workload limits (src/verify/workload.ts). */
  readonly opsPerKey?: number
  readonly opTimeoutMs?: number
  readonly opDeadlineMs?: number
  readonly clientRate?: number
  /** Time between fault starts, ms (src/verify/nemesis.ts). Default {@link DEFAULT_FAULT_INTERVAL_MS}. */
  readonly faultIntervalMs?: number
  /** Time to wait for a leader with every node up. Default {@link DEFAULT_RECOVERY_TIMEOUT_MS}. */
  readonly recoveryTimeoutMs?: number
  /** Time one final read may take over its retries. Default {@link DEFAULT_FINAL_READ_DEADLINE_MS}. */
  readonly finalReadDeadlineMs?: number
  /** Checker budgets. Defaults: {@link DEFAULT_CHECK_TIME_LIMIT_MS}, the checker's state and memory defaults. */
  readonly checkTimeLimitMs?: number
  readonly maxStates?: number
  readonly maxMemoryBytes?: number
  /** Progress lines (human output). */
  readonly onProgress?: (line: string) => void
  /**
   * Ends the workload early (e.g. on Ctrl-C): the fault in place is healed and the run goes on
   * with what was recorded (recovery, final reads, restart, checks, cleanup).
   */
  readonly signal?: AbortSignal
}

/** What {@link runVerify} returns: the result and the history it judged. */
export interface VerifyRun {
  readonly result: VerifyResult
  readonly ops: readonly HistoryOp[]
  readonly details: readonly OpDetail[]
}

/** How verify got its cluster, to put it back at the end. */
interface ClusterLease {
  readonly cluster: ClusterHandle
  readonly created: boolean
  readonly started: boolean
  readonly unsafe: boolean
}

/** Run the whole verification. Rejects only when no cluster could be had (or on bad options). */
export async function runVerify(options: VerifyOptions): Promise<VerifyRun> {
  const progress = options.onProgress ?? (() => undefined)
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31)
  const durationMs = options.durationMs ?? DEFAULT_DURATION_MS
  const recoveryTimeoutMs = options.recoveryTimeoutMs ?? DEFAULT_RECOVERY_TIMEOUT_MS
  const requested = [...new Set(options.faults ?? DEFAULT_FAULTS)]
  const clients = options.clients ?? DEFAULT_CLIENTS
  const workloads = options.workloads ?? ['kv']
  const keySlots = options.keys ?? Math.max(defaultKeys(clients), workloadSlots(workloads))
  const warnings: string[] = []

  const lease = options.remote ? await useRemote(options.remote, options) : await acquireCluster(options, warnings, progress)
  const {cluster} = lease
  const local = cluster instanceof LocalCluster ? cluster : null
  const nodes = (await cluster.nodeIds()).map((id) => ({id, address: cluster.addressOf(id)}))
  const endpoints = nodes.map((n) => ({id: n.id, url: n.address}))
  const access = cluster.access()
  const chaos = new ClusterChaos(cluster)
  let cleanup: VerifyResult['cluster']['cleanup'] | undefined
  try {
    // -- faults: leave out the network and disk kinds when the daemons have no live chaos
    let support: ChaosSupport = {supported: false, reason: 'not needed'}
    if (requested.some((k) => CHAOS_KINDS.has(k))) support = await probeChaos(cluster)
    const noChaos = support.supported ? [] : requested.filter((k) => CHAOS_KINDS.has(k))
    const noProcess = local ? [] : requested.filter((k) => !CHAOS_KINDS.has(k))
    const skipped = [...noChaos, ...noProcess]
    const scheduled = requested.filter((k) => !skipped.includes(k))
    const rest = scheduled.length > 0 ? `; running with ${scheduled.join(', ')} only` : '; running without faults'
    if (noChaos.length > 0) warnings.push(`${noChaos.join(', ')} left out: ${support.reason}${rest}`)
    if (noProcess.length > 0) warnings.push(`${noProcess.join(', ')} left out: cluster ${cluster.name} runs elsewhere, and these faults need its processes${rest}`)
    const intervalMs = options.faultIntervalMs ?? DEFAULT_FAULT_INTERVAL_MS
    const plan = planNemesis({seed, durationMs, kinds: scheduled, nodes: nodes.map((n) => n.id), intervalMs})

    // -- workload and nemesis, at the same time, on one clock
    const clock = new MonotonicClock()
    const stop = new AbortController()
    const interrupted = (): void => {
      warnings.push(`interrupted ${(clock.now() / 1e9).toFixed(1)} s into the workload: the rest of the run judged what was recorded`)
      stop.abort()
    }
    if (options.signal?.aborted) interrupted()
    else options.signal?.addEventListener('abort', interrupted, {once: true})
    progress(`running ${clients} clients (${workloads.join(',')}) on ${keySlots} key slots for ${durationMs / 1000} s with faults ${scheduled.join(', ') || 'none'} every ${intervalMs / 1000} s, seed ${seed}`)
    const nemesis = runNemesis(plan, executor(chaos, cluster, support.supported), {
      clock,
      durationMs,
      signal: stop.signal,
      onAction: (a, atNs) => progress(`${(atNs / 1e9).toFixed(1).padStart(6)}s  ${a.description}${a.ok ? '' : ` FAILED: ${a.error}`}`),
    })
    const workload = await runWorkload({
      endpoints, ...access, clock, durationMs, seed, clients, keys: keySlots, keyPrefix: runKeyPrefix(),
      workloads, opsPerKey: options.opsPerKey, opTimeoutMs: options.opTimeoutMs, opDeadlineMs: options.opDeadlineMs, clientRate: options.clientRate,
      signal: stop.signal,
    }).finally(() => {
      options.signal?.removeEventListener('abort', interrupted)
      stop.abort()
    })
    const {applied, faults} = await nemesis
    const finalHeal = applied.at(-1)
    if (finalHeal?.action.type === 'healAll' && !finalHeal.ok) warnings.push(`the schedule's final heal failed: ${finalHeal.error}`)

    // -- heal, recover, read; full restart, read again
    progress('healing every fault and waiting for recovery')
    const healStarted = Date.now()
    const recovered = await healAndRecover(cluster, support.supported ? chaos : undefined, recoveryTimeoutMs, warnings)
    const recoveryMs = recovered ? Date.now() - healStarted : null
    const keys = workload.keys
    let afterHeal = new Map<string, FinalRead>()
    let afterRestart: Map<string, FinalRead> | undefined
    let durabilityReason: string | undefined
    const readDeadline = options.finalReadDeadlineMs ?? DEFAULT_FINAL_READ_DEADLINE_MS
    if (recovered) {
      progress(`reading ${keys.size} keys after healing`)
      afterHeal = await readFinalValues(endpoints, access, keys.keys(), readDeadline)
      if (local === null) {
        warnings.push(`no full restart: cluster ${cluster.name} runs elsewhere (the final values were read after healing only)`)
      } else {
        progress('killing and restarting every node')
        if (await restartAll(local, recoveryTimeoutMs, warnings)) {
          progress(`reading ${keys.size} keys after the full restart`)
          afterRestart = await readFinalValues(endpoints, access, keys.keys(), readDeadline)
        }
      }
    } else {
      durabilityReason = 'the cluster did not recover after healing: the final values could not be read'
    }

    // -- checks
    progress(`checking ${workload.ops.length} operations for linearizability`)
    const check = checkHistory(workload.ops, {
      timeLimitMs: options.checkTimeLimitMs ?? DEFAULT_CHECK_TIME_LIMIT_MS,
      maxStates: options.maxStates ?? DEFAULT_MAX_STATES,
      maxMemoryBytes: options.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES,
    })
    const durable = checkDurability({history: projectHistory(workload.ops).map((p) => p.op), kinds: keys, afterHeal, afterRestart, reason: durabilityReason, restartSkipped: local === null})
    const linearizable = summarizeCheck(check)
    const verdict = overallVerdict(linearizable.valid, durable.valid)

    // -- put the cluster back, then write the files (they may live where the cluster was)
    const destroying = lease.created && options.keepCluster !== true
    const files = outputFiles(options, cluster, destroying)
    const logsKept = destroying && local !== null && copyLogs(local, files.logs, warnings)
    cleanup = await releaseCluster(lease, options.keepCluster === true, progress)
    const elapsedMs = Math.max(1, Math.round((workload.ended - workload.started) / 1e6))
    const result: VerifyResult = {
      valid: verdict === 'valid',
      verdict,
      cluster: {name: cluster.name, nodes: nodes.map((n) => n.id), created: lease.created, started: lease.started, unsafeFollowerReads: lease.unsafe, cleanup},
      seed,
      durationMs,
      elapsedMs,
      clients,
      keySlots,
      keys: keys.size,
      ops: check.ops,
      ok: check.counts.ok,
      failed: check.counts.failed,
      unknown: check.counts.unknown,
      rejected: workload.rejected.length,
      byOp: countByOp(workload.ops),
      opsPerSecond: Math.round(check.counts.ok / (elapsedMs / 1000)),
      latencyMs: latencies(workload.ops),
      faults,
      faultKinds: {requested, scheduled, skipped},
      warnings,
      linearizable,
      durable,
      recoveryMs,
      history: files.history,
      report: files.report,
      logs: logsKept ? files.logs : null,
    }
    writeOutput(files.history, formatHistory(workload.ops))
    writeOutput(files.report, renderHtml(result, workload.ops, workload.details))
    return {result, ops: workload.ops, details: workload.details}
  } finally {
    if (cleanup === undefined) await releaseCluster(lease, options.keepCluster === true, progress).catch(() => undefined)
  }
}

/**
 * The keys of one run start with `v<time><random>-`: the cluster may hold the keys of earlier runs
 * (an existing local cluster, an attached one), and every key of a history starts absent.
 */
export function runKeyPrefix(): string {
  return `v${Date.now().toString(36)}${randomBytes(2).toString('hex')}-`
}

// ---------------------------------------------------------------------------------------------
// The cluster

/**
 * The named cluster if it exists (started if stopped), else a new one. With unsafe follower reads
 * a fresh cluster is always created (under a new name when the name is taken).
 */
async function acquireCluster(options: VerifyOptions, warnings: string[], progress: (line: string) => void): Promise<ClusterLease> {
  const unsafe = options.unsafeFollowerReads === true
  let cluster = new LocalCluster(options.cluster, options.home)
  const recoveryTimeoutMs = options.recoveryTimeoutMs ?? DEFAULT_RECOVERY_TIMEOUT_MS
  if (unsafe && cluster.exists()) {
    const name = `${options.cluster}-unsafe-${randomBytes(3).toString('hex')}`
    warnings.push(`--unsafe-follower-reads needs a fresh cluster: created ${name} (cluster ${options.cluster} exists)`)
    cluster = new LocalCluster(name, options.home)
  }
  const nodes = options.nodes ?? DEFAULT_NODES
  let lease: ClusterLease
  if (!cluster.exists()) {
    progress(`creating cluster ${cluster.name} with ${nodes} nodes${unsafe ? ' (UNSAFE follower reads)' : ''}`)
    await cluster.start(nodes, unsafe ? {unsafeFollowerReads: true} : {})
    lease = {cluster, created: true, started: false, unsafe}
  } else {
    const m = cluster.manifest()
    const running = activeNodes(m).filter((n) => cluster.pid(n.id) !== null)
    const {started} = await cluster.start(nodes)
    if (started.length > 0) progress(`started ${started.join(', ')} of cluster ${cluster.name}`)
    if (m.options.unsafeFollowerReads === true) warnings.push(`cluster ${cluster.name} runs with UNSAFE follower reads: stale reads are expected`)
    lease = {cluster, created: false, started: running.length === 0 && started.length > 0, unsafe: m.options.unsafeFollowerReads === true}
  }
  try {
    await cluster.waitForLeader(recoveryTimeoutMs, (s) => s.nodes.every((n) => n.reachable))
  } catch (error) {
    await releaseCluster(lease, options.keepCluster === true, progress).catch(() => undefined)
    throw error
  }
  return lease
}

/**
 * A remote cluster as it is: nothing to create, start or put back. BAD_USAGE with
 * `unsafeFollowerReads` (a fresh local cluster only); the error of waiting for a leader with every
 * member up otherwise.
 */
async function useRemote(cluster: ClusterHandle, options: VerifyOptions): Promise<ClusterLease> {
  if (options.unsafeFollowerReads === true) throw new RaftctlError('BAD_USAGE', `--unsafe-follower-reads runs on a fresh local cluster: it cannot be used on cluster ${cluster.name}, which runs elsewhere`)
  await cluster.waitForLeader(options.recoveryTimeoutMs ?? DEFAULT_RECOVERY_TIMEOUT_MS, (s) => s.nodes.every((n) => n.reachable))
  return {cluster, created: false, started: false, unsafe: false}
}

/** Destroy what verify created, stop what it started; returns what was done. */
async function releaseCluster(lease: ClusterLease, keep: boolean, progress: (line: string) => void): Promise<VerifyResult['cluster']['cleanup']> {
  if (!lease.created && !lease.started) return 'left as found'
  if (keep) return 'kept running'
  const local = lease.cluster as LocalCluster // only a local cluster is created or started
  if (lease.created) {
    progress(`destroying cluster ${local.name}`)
    await local.destroy()
    return 'destroyed'
  }
  if (lease.started) {
    progress(`stopping cluster ${local.name}`)
    await local.stop()
    return 'stopped'
  }
  return 'left as found'
}

/** Remove every fault, resume paused nodes, start stopped ones, wait for a leader with all nodes up. */
async function healAndRecover(cluster: ClusterHandle, chaos: ClusterChaos | undefined, timeoutMs: number, warnings: string[]): Promise<boolean> {
  if (cluster instanceof LocalCluster) await restoreProcesses(cluster, warnings)
  if (chaos) {
    try {
      for (const o of (await chaos.heal()).nodes) if (!o.ok) warnings.push(`chaos heal failed on ${o.id} (${o.error?.code ?? o.skipped}); its faults heal themselves (forMs)`)
    } catch (error) {
      warnings.push(`chaos heal failed: ${(error as Error).message}; the faults heal themselves (forMs)`)
    }
  }
  try {
    await cluster.waitForLeader(timeoutMs, (s) => s.nodes.every((n) => n.reachable))
    return true
  } catch (error) {
    warnings.push(`no recovery after healing: ${(error as Error).message}`)
    return false
  }
}

/** Resume the paused nodes of a local cluster and start those that are down. */
async function restoreProcesses(cluster: LocalCluster, warnings: string[]): Promise<void> {
  const nodes = activeNodes(cluster.manifest())
  for (const n of nodes) {
    const pid = cluster.pid(n.id)
    if (pid !== null && isPaused(pid)) cluster.pauseNode(n.id, false)
  }
  for (const n of nodes) {
    if (cluster.pid(n.id) === null) {
      await startNode(cluster, n.id).catch((error: Error) => warnings.push(`could not restart ${n.id} after the faults: ${error.message}`))
    }
  }
}

/** Whether the daemons serve live chaos, and why not. */
interface ChaosSupport {
  readonly supported: boolean
  readonly reason?: string
}

/**
 * Ask the nodes for their faults (`chaos.list`): `UNKNOWN_TYPE` means the daemons have no live
 * chaos. Other errors (a node that does not answer) are no verdict: the next node is asked.
 */
export async function probeChaos(cluster: ClusterHandle, timeoutMs = 3000): Promise<ChaosSupport> {
  let last = 'no node answered'
  for (const id of await cluster.nodeIds()) {
    const client = cluster.admin(id, timeoutMs)
    try {
      await client.chaosList()
      return {supported: true}
    } catch (error) {
      const e = error as {code?: string; message?: string}
      if (e.code === 'UNKNOWN_TYPE') return {supported: false, reason: `the daemons do not serve chaos.* requests (${id} answered UNKNOWN_TYPE)`}
      last = `${id}: ${e.code ?? 'FAILED'} ${e.message ?? ''}`
    } finally {
      await client.close()
    }
  }
  return {supported: false, reason: `no node answered chaos.list (${last})`}
}

/**
 * The schedule's executor: the cluster's chaos, with nodes (re)started by {@link startNode}.
 * Without live chaos the final heal only resumes and starts nodes.
 */
function executor(chaos: ClusterChaos, handle: ClusterHandle, chaosSupported: boolean): ChaosExecutor {
  // A remote cluster gets no process fault (left out when planned): asLocal would refuse them.
  const local = (): LocalCluster => asLocal(handle, 'verify')
  return {
    addFault: (id, fault, options) => chaos.addFault(id, fault, options),
    healFault: (id) => chaos.healFault(id),
    kill: (node) => chaos.kill(node),
    start: (node) => startNode(local(), node),
    pause: (node) => chaos.pause(node),
    resume: (node) => chaos.resume(node),
    restart: async (node) => {
      await local().stopNode(node)
      await startNode(local(), node)
    },
    healAll: async () => {
      if (chaosSupported || !(handle instanceof LocalCluster)) return chaos.healAll()
      const cluster = handle
      for (const n of activeNodes(cluster.manifest())) {
        const pid = cluster.pid(n.id)
        if (pid !== null && isPaused(pid)) cluster.pauseNode(n.id, false)
        else if (pid === null) await startNode(cluster, n.id)
      }
    },
  }
}

/** Attempts to start a node before giving up. */
export const START_ATTEMPTS = 3
/** Pause between attempts to start a node, ms. */
export const START_RETRY_MS = 1000

/**
 * Start one node, trying again when it does not come up: its port may meanwhile be bound by
 * something else (in a cluster created by an older raftctl, whose ports came from the ephemeral
 * range, the local end of any outgoing connection), which makes the daemon's bind fail until
 * that lets go.
 */
async function startNode(cluster: LocalCluster, id: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await cluster.startNode(id)
      return
    } catch (error) {
      if (attempt >= START_ATTEMPTS) throw error
      await sleep(START_RETRY_MS)
    }
  }
}

/** SIGKILL every node, start them all again, wait for a leader with all nodes up. */
async function restartAll(cluster: LocalCluster, timeoutMs: number, warnings: string[]): Promise<boolean> {
  try {
    const nodes = activeNodes(cluster.manifest())
    await Promise.all(nodes.map((n) => cluster.killNode(n.id)))
    for (const n of nodes) await startNode(cluster, n.id)
    await cluster.waitForLeader(timeoutMs, (s) => s.nodes.every((n) => n.reachable))
    return true
  } catch (error) {
    warnings.push(`the full restart failed: ${(error as Error).message}`)
    return false
  }
}

// ---------------------------------------------------------------------------------------------
// Output

/** Where one run writes: its history, its HTML report, and the folder for the daemons' logs. */
export interface OutputFiles {
  readonly history: string
  readonly report: string
  /** Only written when verify destroys the cluster it created. */
  readonly logs: string
}

/**
 * The history, report and logs paths. Default folder: `<cluster folder>/verify/<time>/` (with
 * `logs/` inside); when verify destroys the cluster it created,
 * `<RAFTCTL_HOME>/_verify/<cluster>-<time>/` instead (a name no cluster can have), so the results
 * outlive it. With `--history` or `--report` the logs go next to the report, in a folder named
 * after it (`x.html` → `x.logs/`): never into the report's folder itself, which may be shared
 * (the temp directory), nor into a fixed name another run would also use.
 */
export function outputFiles(options: Pick<VerifyOptions, 'historyFile' | 'reportFile' | 'home'>, cluster: ClusterHandle, destroyed: boolean): OutputFiles {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  // A remote cluster has no folder of its own for results: they go where a destroyed cluster's go.
  const dir = destroyed || !(cluster instanceof LocalCluster) ? join(options.home ?? raftctlHome(), '_verify', `${cluster.name}-${stamp}`) : join(cluster.paths.dir, 'verify', stamp)
  const history = options.historyFile ?? join(dir, 'history.jsonl')
  const report = options.reportFile ?? (options.historyFile ? withExtension(options.historyFile, '.html') : join(dir, 'report.html'))
  const named = options.historyFile !== undefined || options.reportFile !== undefined
  return {history, report, logs: named ? withExtension(report, '.logs') : join(dir, 'logs')}
}

/** Keep the daemons' logs of a cluster about to be destroyed (they explain failed restarts and elections); false when that failed. */
function copyLogs(cluster: LocalCluster, dir: string, warnings: string[]): boolean {
  try {
    mkdirSync(dir, {recursive: true, mode: 0o700})
    for (const n of cluster.manifest().nodes) {
      if (existsSync(cluster.paths.logFile(n.id))) copyFileSync(cluster.paths.logFile(n.id), join(dir, `${n.id}.log`))
    }
    return true
  } catch (error) {
    warnings.push(`could not keep the daemons' logs: ${(error as Error).message}`)
    return false
  }
}

/** `file` with its extension (if any) replaced by `ext`: `x.jsonl` → `x.html`. */
function withExtension(file: string, ext: string): string {
  const old = extname(file)
  return `${old ? file.slice(0, -old.length) : file}${ext}`
}

function writeOutput(file: string, text: string): void {
  try {
    mkdirSync(dirname(file), {recursive: true, mode: 0o700})
    writeFileSync(file, text)
  } catch (error) {
    throw new RaftctlError('FAILED', `cannot write ${file}: ${(error as Error).message}`)
  }
}

/** Percentiles of the latency of ok ops, ms (one decimal). */
function latencies(ops: readonly HistoryOp[]): VerifyResult['latencyMs'] {
  const ms = ops.filter((op) => op.ok === true && op.return !== undefined).map((op) => (op.return! - op.call) / 1e6).sort((a, b) => a - b)
  const at = (q: number): number => (ms.length === 0 ? 0 : Math.round(ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]! * 10) / 10)
  return {p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1)}
}
