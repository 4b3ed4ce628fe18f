/**
 * The key-value client of the `kv` commands: the cluster's nodes as endpoints (a local cluster's
 * manifest, a remote cluster's endpoints and members), and `--timeout` as the deadline of the
 * whole operation (retries included).
 */
import type {KvClient} from '../client/index.js'
import type {ClusterHandle} from '../cluster/index.js'

/** Shortest time one attempt may take, ms. */
const MIN_ATTEMPT_MS = 200

/**
 * A KvClient for `cluster` whose operations give up after `timeoutMs` in all (each attempt may
 * take half of it, so a dead or frozen leader leaves time to find the next one). Close it.
 */
export async function kvClient(cluster: ClusterHandle, timeoutMs: number): Promise<KvClient> {
  return cluster.kv({
    timeoutMs: Math.max(MIN_ATTEMPT_MS, Math.ceil(timeoutMs / 2)),
    deadlineMs: Math.max(MIN_ATTEMPT_MS, timeoutMs),
  })
}
