/**
 * An admin client for every node of a cluster (local, attached or given by `--endpoints`), as
 * the targets of the per-node workflows (`doctor`, `check consistency`), and one call that
 * closes them all. The one place these commands learn where the nodes are: a remote cluster's
 * members come from its configuration (the handle's `nodeIds`), not only from its endpoints.
 */
import type {AdminClient} from '../client/index.js'
import type {ClusterHandle, DoctorTarget} from '../cluster/index.js'

/** The targets and their clean-up. */
export interface AdminTargets {
  readonly targets: readonly DoctorTarget[]
  close(): Promise<void>
}

/** One admin client per node of `cluster`, each request bounded by `timeoutMs`. */
export async function adminTargets(cluster: ClusterHandle, timeoutMs: number): Promise<AdminTargets> {
  const targets = (await cluster.nodeIds()).map((id) => ({id, client: cluster.admin(id, timeoutMs) as AdminClient}))
  return {targets, close: async () => void await Promise.all(targets.map((t) => t.client.close()))}
}
