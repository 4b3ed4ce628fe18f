/**
 * The real CLI as a child process for the test/cluster files: `bin/run.js ARGS` with a test's
 * RAFTCTL_HOME and cluster (dist/ must be built), and the clean-up that kills every daemon of
 * that home's clusters by pid.
 */
import {execFile} from 'node:child_process'
import {LocalCluster, RAFTCTL_BIN} from '../../src/cluster/index.js'
import {isRaftctlDaemon} from '../commands/cluster-helpers.js'

/** What a finished CLI process left: exit code, stdout and stderr. */
export interface CliRun {
  readonly exit: number
  readonly stdout: string
  readonly stderr: string
}

/** Run `raftctl ARGS` with `RAFTCTL_HOME=home` and `RAFTCTL_CLUSTER=cluster`; resolves when it exits. */
export function runCli(home: string, cluster: string, ...args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [RAFTCTL_BIN, ...args], {env: {...process.env, RAFTCTL_HOME: home, RAFTCTL_CLUSTER: cluster}}, (error, stdout, stderr) => {
      resolve({exit: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr})
    })
  })
}

/** SIGKILL every daemon of the clusters `names` in `home` (by the pids their folders record), and any `extra` pid. */
export function killClusterDaemons(home: string, names: readonly string[], extra: Iterable<number> = []): void {
  const pids = new Set(extra)
  for (const name of names) {
    const cluster = new LocalCluster(name, home)
    if (cluster.exists()) for (const n of cluster.manifest().nodes) pids.add(cluster.pid(n.id) ?? 0)
  }
  // Only a pid that still is a raftctl daemon: the OS may have given a dead one to another process.
  for (const pid of pids) if (pid > 0 && isRaftctlDaemon(pid)) try { process.kill(pid, 'SIGKILL') } catch { /* gone */ }
}
