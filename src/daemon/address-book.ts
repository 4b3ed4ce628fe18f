/**
 * The address book of one node: where each member is reached (id → ws(s) URL). Seeded from
 * `--peers`, completed from `<dataDir>/peers.json` (what the node learnt before a restart), and
 * taught by applied membership changes, which carry the new member's address. Services read it
 * for leader hints and member lists; the node composes it with the transport.
 */
import {existsSync, readFileSync, renameSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import type {ConfState, NodeId} from '../raft/types.js'
import type {LeaderHint, Members} from '../admin/protocol.js'
import type {Logger} from './logger.js'

/** The file in the data directory that keeps the book across restarts. */
export const PEERS_FILE = 'peers.json'

/** id → address, persisted in the data directory. */
export class AddressBook {
  private readonly addresses = new Map<NodeId, string>()
  private readonly file: string

  /** `peers` (from the command line) win over what the file remembers. An unreadable file is logged and ignored. */
  constructor(dataDir: string, peers: Readonly<Record<string, string>>, private readonly logger: Logger) {
    this.file = join(dataDir, PEERS_FILE)
    for (const [id, url] of Object.entries(peers)) this.addresses.set(id, url)
    this.load()
  }

  /** The address of `id`, if known. */
  get(id: NodeId): string | undefined {
    return this.addresses.get(id)
  }

  /** Record (or replace) where `id` is reached; {@link save} writes it down. */
  set(id: NodeId, address: string): void {
    this.addresses.set(id, address)
  }

  /** Every known (id, address), this node's own included once it listens. */
  entries(): IterableIterator<[NodeId, string]> {
    return this.addresses.entries()
  }

  /** The members of `conf` with their addresses (null: unknown). */
  members(conf: Pick<ConfState, 'voters' | 'learners'>): Members {
    const info = (id: NodeId) => ({id, address: this.addresses.get(id) ?? null})
    return {voters: conf.voters.map(info), learners: conf.learners.map(info)}
  }

  /** Where `leader` is, or undefined when no leader is known. */
  leaderHint(leader: NodeId | null): LeaderHint | undefined {
    if (leader === null) return undefined
    return {id: leader, address: this.addresses.get(leader) ?? null}
  }

  /** Write the book to its file atomically (temp file + rename, mode 0600). */
  save(): void {
    const tmp = `${this.file}.tmp`
    writeFileSync(tmp, JSON.stringify(Object.fromEntries(this.addresses), null, 2), {mode: 0o600})
    renameSync(tmp, this.file)
  }

  private load(): void {
    if (!existsSync(this.file)) return
    try {
      const book = JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, string>
      for (const [id, url] of Object.entries(book)) if (!this.addresses.has(id) && typeof url === 'string') this.addresses.set(id, url)
    } catch (err) {
      this.logger.warn('ignoring unreadable address book', {file: this.file, error: (err as Error).message})
    }
  }
}
