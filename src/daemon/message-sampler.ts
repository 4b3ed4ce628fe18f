/**
 * Samples the Raft messages a node sends, for subscribers that draw traffic (the dashboard):
 * votes, snapshots and TimeoutNow always; appends and heartbeats through a token bucket of
 * `perSecond` events. Costs nothing when nobody subscribes.
 */
import type {Message} from '../raft/types.js'
import type {MessageEvent} from '../admin/protocol.js'

/** Default budget of sampled routine messages per second. */
export const DEFAULT_MESSAGE_EVENTS_PER_SECOND = 40

/** A token-bucket sampler of outgoing messages. */
export class MessageSampler {
  private tokens: number
  private last: number

  constructor(private readonly perSecond: number = DEFAULT_MESSAGE_EVENTS_PER_SECOND, private readonly now: () => number = Date.now) {
    this.tokens = perSecond
    this.last = now()
  }

  /** The event for `m` if it is sampled, else null. */
  sample(m: Message): MessageEvent | null {
    const rare = m.type === 'vote' || m.type === 'voteResp' || m.type === 'snapshot' || m.type === 'timeoutNow'
    if (!rare && !this.take()) return null
    return {
      type: 'message',
      from: m.from,
      to: m.to,
      kind: m.type,
      term: m.term,
      entries: m.type === 'append' ? m.entries.length : 0,
      pre: (m.type === 'vote' || m.type === 'voteResp') && m.pre,
      ok: m.type === 'voteResp' ? m.granted : m.type === 'appendResp' ? m.success : true,
    }
  }

  private take(): boolean {
    const t = this.now()
    this.tokens = Math.min(this.perSecond, this.tokens + ((t - this.last) / 1000) * this.perSecond)
    this.last = t
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }
}
