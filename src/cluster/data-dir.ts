/**
 * Which node of a local cluster a folder belongs to: `RAFTCTL_HOME/<cluster>/nodes/<id>` (or a
 * folder inside it), so that a command given a path can apply the same rules as one given the
 * node's name (e.g. `wal dump` refusing a running node's data).
 */
import {existsSync, realpathSync} from 'node:fs'
import {join, relative, resolve, sep} from 'node:path'
import {raftctlHome} from './manifest.js'

function real(path: string): string {
  try {
    return realpathSync(path)
  } catch {
    return resolve(path)
  }
}

/**
 * The local cluster and node whose data directory is `dir` or holds it, or null when `dir` is
 * not inside a node's data directory under `home` (default RAFTCTL_HOME), or that cluster has no
 * manifest. Symbolic links are resolved on both sides.
 */
export function localNodeOfDir(dir: string, home: string = raftctlHome()): {cluster: string; id: string} | null {
  const rel = relative(real(home), real(dir))
  if (rel === '' || rel.startsWith('..')) return null
  const [cluster, nodes, id] = rel.split(sep)
  if (!cluster || nodes !== 'nodes' || !id) return null
  return existsSync(join(real(home), cluster, 'manifest.json')) ? {cluster, id} : null
}
