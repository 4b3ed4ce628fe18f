/**
 * The scheduled consistency check (`node run --consistency-check-every`, off by default): every
 * period, the leader asks every member for the hash of its state at the leader's last log index
 * (its own through the local {@link StateHasher}, the others' over their admin route) and, when
 * the hashes differ, raises the alarm naming the odd ones out (status, doctor, /metrics and the
 * dashboard show it). Members that do not answer in time are skipped, not blamed.
 */
import {AdminClient, type ClientTlsOptions} from '../client/index.js'
import type {ConsistencyAlarm} from '../admin/protocol.js'
import type {NodeId} from '../raft/types.js'
import type {Replica} from '../replica/replica.js'
import type {KvResult} from '../kv/index.js'
import type {StateHasher} from './state-hash.js'
import type {Logger} from './logger.js'
import {oddOnesOut} from '../common/odd-ones.js'

/** What the check runs on. */
export interface ConsistencyCheckParts {
  readonly id: NodeId
  readonly everyMs: number
  readonly replica: Replica<KvResult>
  readonly hasher: StateHasher
  readonly address: (id: NodeId) => string | undefined
  readonly secret: string
  readonly clusterId?: string
  /** TLS options for dialling the other members (their CA; this node's certificate, for `--tls-client-ca`). */
  readonly tls?: ClientTlsOptions
  /** How long one round waits for every hash, ms. */
  readonly timeoutMs: number
  readonly raise: (alarm: ConsistencyAlarm) => void
  readonly logger: Logger
}

/** Runs the check every `everyMs` while this node leads. */
export class ConsistencyCheck {
  private timer: NodeJS.Timeout | null = null
  private running = false

  constructor(private readonly parts: ConsistencyCheckParts) {}

  start(): void {
    if (this.parts.everyMs <= 0) return
    this.timer = setInterval(() => void this.round(), this.parts.everyMs)
    this.timer.unref()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
  }

  /** One round (skipped while the previous one runs or when this node does not lead). */
  async round(): Promise<void> {
    const st = this.parts.replica.status()
    if (this.running || st.role !== 'leader') return
    this.running = true
    try {
      const index = st.lastIndex
      const members = [...st.conf.voters, ...st.conf.learners]
      const answers = await Promise.all(members.map(async (id) => [id, await this.hashOf(id, index)] as const))
      const hashes: Record<NodeId, string> = {}
      for (const [id, hash] of answers) if (hash !== null) hashes[id] = hash
      const odd = oddOnesOut(hashes)
      if (odd.length === 0) return
      this.parts.logger.error('consistency check: replicas differ', {index, nodes: odd, hashes})
      this.parts.raise({index, nodes: odd, hashes, time: Date.now()})
    } finally {
      this.running = false
    }
  }

  private async hashOf(id: NodeId, index: number): Promise<string | null> {
    const {parts} = this
    if (id === parts.id) {
      const timeout = new Promise<null>((resolve) => setTimeout(resolve, parts.timeoutMs, null).unref())
      return Promise.race([parts.hasher.hash(index).then((r) => r.hash, () => null), timeout])
    }
    const url = parts.address(id)
    if (url === undefined) return null
    const client = new AdminClient({url, secret: parts.secret, clusterId: parts.clusterId, timeoutMs: parts.timeoutMs, tls: parts.tls})
    try {
      return (await client.request('hash', {index})).hash
    } catch {
      return null
    } finally {
      await client.close()
    }
  }
}
