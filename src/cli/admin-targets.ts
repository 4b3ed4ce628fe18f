/**
 * An admin client for every active node of a local cluster, as the targets of the per-node
 * workflows (`doctor`, `check consistency`), and one call that closes them all. The one place
 * these commands learn where the nodes are: a cluster handle for attached clusters plugs in here.
 */
import type {AdminClient} from '../client/index.js'
import type {DoctorTarget, LocalCluster} from '../cluster/index.js'

/** The targets and their clean-up. */
export interface AdminTargets {
  readonly targets: readonly DoctorTarget[]
  close(): Promise<void>
}

/** One admin client per active node of `cluster`, each request bounded by `timeoutMs`. */
export async function adminTargets(cluster: LocalCluster, timeoutMs: number): Promise<AdminTargets> {
  const {AdminClient} = await import('../client/index.js')
  const {activeNodes} = await import('../cluster/index.js')
  const m = cluster.manifest()
  const secret = cluster.secret()
  const targets = activeNodes(m).map((n) => ({id: n.id, client: new AdminClient({url: n.address, secret, clusterId: m.clusterId, timeoutMs}) as AdminClient}))
  return {targets, close: async () => void await Promise.all(targets.map((t) => t.client.close()))}
}
