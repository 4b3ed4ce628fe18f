/**
 * The key-value client of the `kv` commands: every active node of the local cluster as an
 * endpoint, and `--timeout` as the deadline of the whole operation (retries included).
 */
import type {KvClient} from '../client/index.js'
import type {LocalCluster} from '../cluster/index.js'

/** Shortest time one attempt may take, ms. */
const MIN_ATTEMPT_MS = 200

/**
 * A KvClient for `cluster` whose operations give up after `timeoutMs` in all (each attempt may
 * take half of it, so a dead or frozen leader leaves time to find the next one). Close it.
 */
export async function kvClient(cluster: LocalCluster, timeoutMs: number): Promise<KvClient> {
  const [{KvClient}, {activeNodes}] = await Promise.all([import('../client/index.js'), import('../cluster/index.js')])
  const manifest = cluster.manifest()
  return new KvClient({
    endpoints: activeNodes(manifest).map((n) => ({id: n.id, url: n.address})),
    secret: cluster.secret(),
    clusterId: manifest.clusterId,
    timeoutMs: Math.max(MIN_ATTEMPT_MS, Math.ceil(timeoutMs / 2)),
    deadlineMs: Math.max(MIN_ATTEMPT_MS, timeoutMs),
  })
}
