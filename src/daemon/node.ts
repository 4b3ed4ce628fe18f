/**
 * The composition root of one Raft node process: the replica (core + driver) over file storage
 * behind the slow-disk fault, the KV state machine, the WebSocket transport behind live chaos,
 * the replica loop (ticks, Readies, storage failures), the address book, the services and the
 * server. Before any of them touches the data folder it checks the folder's identity
 * (src/daemon/identity.ts: another node's or cluster's folder is refused, unchanged). It wires
 * them, starts them and stops them in order; it holds no request logic
 * (src/daemon/services.ts answers requests, src/daemon/server.ts carries them).
 */
import {randomInt} from 'node:crypto'
import {mkdirSync} from 'node:fs'
import {join} from 'node:path'
import {Replica} from '../replica/replica.js'
import {SeededRng, type RaftEvent} from '../raft/index.js'
import type {NodeId} from '../raft/types.js'
import {withSaveAsync, type Network, type Storage, type StorageWrite} from '../replica/ports.js'
import {MessageSampler} from './message-sampler.js'
import {ChaosNetwork, FaultRegistry, SlowStorage, blockingSleep} from '../chaos/index.js'
import {FileStorage} from '../storage/index.js'
import {PeerTransport} from '../transport/index.js'
import {KvStateMachine, SnapshotChecksum, useNativeCrc32, type KvResult} from '../kv/index.js'
import {crc32 as zlibCrc32} from 'node:zlib'
import type {AdminEvent} from '../admin/protocol.js'
import {dialTls, normalizeAddress, readTlsMaterial, type DaemonConfig} from './config.js'
import {DaemonMetrics} from './metrics.js'
import {AddressBook} from './address-book.js'
import {ReplicaLoop} from './loop.js'
import {DaemonServer} from './server.js'
import {Services} from './services.js'
import {WATCH_PROGRESS_MS, WatchHub} from './watch-hub.js'
import {STORAGE_SUBDIR} from './wal-dump.js'
import type {Logger} from './logger.js'
import {checkIdentity} from './identity.js'
import {restoreDataDir} from './restore.js'
import {forceNewClusterAtStart} from './force-new-cluster.js'
import {writeIdentity, type DataIdentity} from '../storage/identity.js'
import {Diagnostics} from './diagnostics.js'
import {sliceRunner} from './slices.js'
import {StateHasher} from './state-hash.js'
import {ConsistencyCheck} from './consistency-check.js'
import {VERSION} from './services.js'
import {StartupReporter} from './startup-status.js'
import {savesInLoop} from '../storage/save-policy.js'

export {VERSION} from './services.js'

/**
 * The daemon's leaders send no commit-only appends (the core's `commitNotices` off): the
 * commit index rides on the next append or heartbeat, as ZooKeeper's followers are not asked
 * to answer its COMMIT. At one client this takes a commit-only append and its answer per
 * follower off every write: 10% less daemon CPU per write and a 3.6% lower p50, alternated in 12
 * rounds (docs/performance.md). When no write follows, followers then apply at the next
 * heartbeat (every 30 ms by default), later than before by up to two heartbeat intervals.
 */
const DAEMON_COMMIT_NOTICES = false

/**
 * Bytes a starting daemon writes (and deletes) in its storage folder before it reports ready
 * (1 MiB, the default WAL preallocation): a node started on a full disk then fails at once with
 * STORAGE_FULL, instead of being reported started and dying at its first writes.
 */
export const STARTUP_FREE_SPACE_PROBE_BYTES = 1024 * 1024

// A daemon checksums snapshots with zlib's CRC-32 (the same result as src/kv's own, several times faster).
useNativeCrc32(zlibCrc32)

/** One running node. Create with {@link Node.start}; stop with {@link Node.stop}. */
export class Node {
  readonly id: NodeId
  /** The cluster this node's data belongs to (null: unknown, see src/daemon/identity.ts). */
  readonly clusterId: string | null
  private readonly metrics = new DaemonMetrics()
  private readonly kv = new KvStateMachine()
  /** Watches: listens to the state machine before the replica restores or replays anything. */
  private readonly watches: WatchHub
  private readonly replica: Replica<KvResult>
  private readonly storage: FileStorage
  private readonly transport: PeerTransport
  private readonly addresses: AddressBook
  /** Live chaos: the faults this node applies to what it sends (see outbound()) and to its disk. */
  private readonly chaos: FaultRegistry
  private chaosNetwork!: ChaosNetwork
  private readonly loop: ReplicaLoop
  /** The event ring, save latencies and peer view (`raftctl doctor`). */
  private readonly diagnostics: Diagnostics
  /** The consistency hash of this replica (`raftctl check consistency`). */
  private readonly hasher: StateHasher
  private readonly consistencyCheck: ConsistencyCheck
  /** Tells the watches their progress every WATCH_PROGRESS_MS (null: stopped). */
  private watchProgress: NodeJS.Timeout | null = null
  /** When this node last heard a leader (or led), ms since the epoch, as sampled for watch progress. */
  private leaderHeardAt = Date.now()
  /** Set by {@link listen}; events before it (recovery) have no subscriber to reach. */
  private server: DaemonServer | null = null
  private stopping = false
  /** The data folder's identity; its `rebuilding` mark follows the core's rebuildingChanged events. */
  private identity: DataIdentity

  private constructor(readonly config: DaemonConfig, private readonly logger: Logger, identity: DataIdentity, startup: StartupReporter) {
    this.identity = identity
    this.id = config.id
    this.clusterId = identity.clusterId
    this.watches = new WatchHub(0, config.watchHistory, config.id)
    this.kv.watchChanges(this.watches)
    mkdirSync(config.dataDir, {recursive: true, mode: 0o700})
    const tls = config.tls ? readTlsMaterial(config.tls) : undefined
    this.addresses = new AddressBook(config.dataDir, config.peers, logger)
    this.chaos = new FaultRegistry({now: Date.now, onChange: (c) => logger.info(`chaos fault ${c.type}`, {id: c.id, ...c.spec})})
    this.diagnostics = new Diagnostics({
      config, version: VERSION, status: () => this.replica.status(), reachable: (peer) => this.transport.isReachable(peer), storageError: () => this.loop.fatal,
    })
    this.hasher = new StateHasher(this.kv, () => this.replica.applied, (poll) => void this.loop.waitFor(() => (poll() ? true : null), () => false))
    this.storage = new FileStorage({
      dir: join(config.dataDir, STORAGE_SUBDIR),
      segmentBytes: config.segmentBytes,
      preallocateBytes: config.walPreallocateBytes,
      syncMode: config.unsafeNoFsync ? 'none' : 'fdatasync',
      cleanupInBackground: true,
      logger: (level, msg, fields) => logger[level === 'debug' ? 'debug' : level](msg, fields),
      onLoadProgress: (read, total) => startup.report(read < total ? 'opening storage' : 'restoring state', read < total ? Math.floor((100 * read) / total) : undefined),
    })
    this.transport = new PeerTransport({
      self: config.id,
      secret: config.peerSecret ?? config.secret,
      clusterId: identity.clusterId ?? undefined,
      peers: [...this.addresses.entries()].filter(([id]) => id !== config.id),
      onMessage: (m) => {
        this.diagnostics.heard(m.from)
        this.replica.receive(m)
        this.loop.schedule()
      },
      onUnreachable: (peer) => {
        this.diagnostics.node({type: 'peerUnreachable', peer})
        this.replica.reportUnreachable(peer)
      },
      onReachable: (peer) => this.diagnostics.node({type: 'peerReachable', peer}),
      onSnapshotProgress: (peer, index, term) => this.replica.reportSnapshotInFlight(peer, index, term),
      // A chunked snapshot from the leader streams to a temp file, checked with the KV checksum as it comes.
      receiveSnapshot: (meta, byteLength) => this.storage.openSnapshotReceive(meta, byteLength, new SnapshotChecksum(byteLength)),
      tls: dialTls(tls),
      logger,
    })
    this.metrics.peerSnapshots(() => this.transport.stats().peers)
    this.replica = new Replica<KvResult>({
      raft: {
        id: config.id, rng: new SeededRng(randomInt(2 ** 31)), electionTicks: config.electionTicks, heartbeatTicks: config.heartbeatTicks,
        commitNotices: DAEMON_COMMIT_NOTICES, incarnation: identity.incarnation ?? 0,
      },
      storage: this.replicaStorage(),
      network: this.outbound(),
      stateMachine: this.hasher.port(),
      initialConf: config.initialCluster.length > 0 ? {voters: [...config.initialCluster], learners: []} : undefined,
      rebuilding: identity.rebuilding === true,
      snapshotEvery: config.snapshotEvery,
      compactionLag: config.compactionLag,
      snapshotEveryBytes: config.snapshotEveryBytes,
      compactionLagBytes: config.compactionLagBytes,
      backgroundSaves: 'leader',
      runInSlices: sliceRunner((fn) => this.loop.guard(fn)),
      onEvent: (e) => this.onRaftEvent(e),
    })
    this.loop = new ReplicaLoop(this.replica, logger, (err) => {
      this.diagnostics.node({type: 'storageFailed', error: err.message})
      void this.stop().then(() => this.onFatal?.(err))
    })
    this.consistencyCheck = new ConsistencyCheck({
      id: config.id, everyMs: config.consistencyCheckEveryMs, replica: this.replica, hasher: this.hasher,
      address: (id) => this.addresses.get(id), secret: config.secret, clusterId: identity.clusterId ?? undefined,
      timeoutMs: config.requestTimeoutMs, raise: (alarm) => this.diagnostics.raise(alarm), logger, tls: dialTls(tls),
    })
  }

  /**
   * TEST SEAM (main.ts enables it only under RAFTCTL_TEST_TAMPER_FILE): set `key` to `value` in
   * this replica alone, bypassing the log — a planted divergence for the consistency check's tests.
   */
  tamperForTest(key: string, value: string): void {
    this.logger.warn('TEST SEAM: changing a value outside the log', {key})
    this.kv.tamperForTest(key, value)
  }

  /**
   * The storage the replica runs on: the file storage behind the slow-disk fault. Batches sync
   * in the background (`saveAsync`); their completion runs under the loop's guard like every
   * other input, so a failed sync stops the node and waiters see the writes it applied. Local
   * snapshots are written in the background (FileStorage.writeSnapshot), ended under the guard.
   */
  private replicaStorage(): Storage {
    const slow = new SlowStorage(this.storage, {delayMs: () => this.chaos.fsyncDelayMs(), sleep: blockingSleep, after: (ms, fn) => void setTimeout(fn, ms)})
    const timed = (): (() => void) => {
      const started = performance.now()
      return () => {
        const ms = performance.now() - started
        this.metrics.fsyncSeconds.observe(ms / 1000)
        this.diagnostics.save(ms)
      }
    }
    const port = withSaveAsync(slow, (write, done) => {
      const saved = timed()
      // A leader's one-entry batch is written and synced here, in the loop (src/storage/save-policy.ts).
      if (savesInLoop(write, this.chaos.fsyncDelayMs())) return saveInLoop(slow, write, saved, done)
      slow.saveAsync!(write, (err) => this.loop.guard(() => {
        saved()
        done(err)
      }))
    })
    port.save = (write) => {
      const saved = timed()
      slow.save(write)
      saved()
    }
    // Snapshots are serialized and written in the background (through the same chain as every
    // other storage call); their end runs under the guard too.
    const writeSnapshot = slow.writeSnapshot!
    port.writeSnapshot = (meta, pieces, done) => writeSnapshot(meta, pieces, (err, data) => this.loop.guard(() => done(err, data)))
    // A snapshot received from the leader was streamed to a file as it arrived: installing it renames that file.
    const adoptSnapshot = slow.adoptSnapshot!
    port.adoptSnapshot = (meta, data, done) => adoptSnapshot(meta, data, (err, kept) => this.loop.guard(() => done(err, kept)))
    return port
  }

  /**
   * The Network the replica sends through: sampled message events for subscribers (what the
   * replica sent), then the chaos faults in force (src/chaos: drop, delay, partition, …; a
   * no-op without faults), then the WebSocket transport.
   */
  private outbound(): Network {
    const sampler = new MessageSampler()
    this.chaosNetwork = new ChaosNetwork({
      inner: this.transport,
      faults: this.chaos,
      now: Date.now,
      timers: {set: (fn, ms) => setTimeout(fn, ms), clear: (t) => clearTimeout(t as NodeJS.Timeout)},
      random: Math.random,
    })
    return {
      send: (m) => {
        if (this.server?.hasSubscribers) {
          const e = sampler.sample(m)
          if (e) this.server.publish(e)
        }
        this.chaosNetwork.send(m)
      },
      flush: () => this.transport.flush(),
    }
  }

  /**
   * With `forceNewCluster`, first rewrite the folder for a one-node cluster (./force-new-cluster.ts).
   * Check the data folder's identity (before anything in it is opened: a folder of another node
   * or cluster is refused with `IDENTITY_MISMATCH` and left untouched), recover state, check
   * that the disk takes more writes ({@link STARTUP_FREE_SPACE_PROBE_BYTES}), bind the port,
   * serve, start ticking; each step goes to `startup` (the status file `node start` follows).
   * Throws RaftctlError / StorageError on failure.
   */
  static async start(config: DaemonConfig, logger: Logger, startup = new StartupReporter(undefined)): Promise<Node> {
    startup.report('checking data')
    if (config.restore !== undefined) restoreDataDir({...config, restore: config.restore}, join(config.dataDir, STORAGE_SUBDIR), logger)
    if (config.forceNewCluster) forceNewClusterAtStart(config, join(config.dataDir, STORAGE_SUBDIR), logger)
    const identity = checkIdentity(config, join(config.dataDir, STORAGE_SUBDIR), logger)
    startup.report('opening storage', 0)
    const node = new Node(config, logger, identity, startup)
    startup.report('checking disk')
    node.storage.probeFreeSpace(STARTUP_FREE_SPACE_PROBE_BYTES)
    startup.report('listening')
    await node.listen()
    node.loop.start(config.tickMs)
    node.diagnostics.start()
    node.consistencyCheck.start()
    node.watchProgress = setInterval(() => node.tellWatchProgress(), WATCH_PROGRESS_MS)
    node.watchProgress.unref()
    const st = node.replica.status()
    logger.info('node started', {clusterId: node.clusterId, address: node.advertise, term: st.term, lastIndex: st.lastIndex, commit: st.commitIndex, voters: st.conf.voters})
    return node
  }

  /** Bind the port, record this node's own address, and open the request routes on the services. */
  private async listen(): Promise<void> {
    const server = await DaemonServer.listen(this.config, this.transport, this.logger, this.clusterId)
    this.server = server
    this.addresses.set(this.id, server.address)
    server.serve(new Services({
      id: this.id,
      clusterId: this.clusterId,
      incarnation: this.identity.incarnation ?? 0,
      config: this.config,
      replica: this.replica,
      kv: this.kv,
      loop: this.loop,
      addresses: this.addresses,
      metrics: this.metrics,
      chaos: this.chaos,
      servedAt: server,
      diagnostics: this.diagnostics,
      hasher: this.hasher,
      watches: this.watches,
    }))
  }

  /**
   * Each watch's progress: the applied index, and how long this node has heard no leader — 0
   * when it leads, the election timer's elapsed ticks when it follows a known leader (the core
   * resets them whenever the leader is heard), else the time since a leader was last seen here.
   * Sampled once per {@link WATCH_PROGRESS_MS}, never per message.
   */
  private tellWatchProgress(): void {
    if (this.watches.size === 0) return
    const st = this.replica.status()
    const now = Date.now()
    if (st.leader !== null) this.leaderHeardAt = st.role === 'leader' ? now : Math.max(this.leaderHeardAt, now - st.electionElapsed * this.config.tickMs)
    this.watches.progress(this.kv.appliedIndex, now - this.leaderHeardAt)
  }

  /** The address peers and clients use. */
  get advertise(): string {
    return this.server?.address ?? ''
  }

  /** The port actually bound. */
  get port(): number {
    return this.server!.port
  }

  /** Set when the node stopped because of a storage failure. */
  get fatal(): Error | null {
    return this.loop.fatal
  }

  /** Called after a fatal stop (the daemon entry exits the process). */
  onFatal?: (err: Error) => void

  // ------------------------------------------------------------------ events and address book

  private onRaftEvent(e: RaftEvent): void {
    switch (e.type) {
      case 'roleChanged':
        this.logger.info('role changed', {from: e.from, to: e.to, term: e.term, cause: e.cause})
        break
      case 'leaderChanged':
        this.metrics.leaderChanges.inc()
        this.logger.info('leader changed', {leader: e.leader, term: e.term})
        break
      case 'electionStarted':
        if (!e.pre) this.metrics.elections.inc({cause: e.cause})
        this.logger.info('election started', {term: e.term, pre: e.pre, cause: e.cause})
        break
      case 'confChanged':
        this.onConfChanged(e)
        break
      case 'rebuildingChanged':
        this.onRebuildingChanged(e)
        break
      case 'progressReset':
        this.logger.warn(`follower ${e.node} lost data it had acknowledged (${e.reason === 'incarnation' ? 'its data folder is newer' : 'its log is shorter than its match'}): its match ${e.match} is forgotten and it is repaired from the log or a snapshot`, {follower: e.node, match: e.match, reason: e.reason, term: e.term})
        break
      default:
        this.logger.info(e.type, {...e})
    }
    // The replica emits events while it recovers, before the loop and the server exist.
    this.diagnostics.raft(e)
    if (this.loop !== undefined) this.loop.event(e)
    this.server?.publish(toAdminEvent(e))
  }

  /** A membership change applied: learn the new member's address, dial the members, drop the others, save the book. */
  private onConfChanged(e: Extract<RaftEvent, {type: 'confChanged'}>): void {
    this.logger.info('membership changed', {voters: e.conf.voters, learners: e.conf.learners, index: e.index})
    if (e.change?.address) this.addresses.set(e.change.node, normalizeAddress(e.change.address))
    const members = new Set([...e.conf.voters, ...e.conf.learners])
    for (const id of members) {
      const url = this.addresses.get(id)
      if (id !== this.id && url) this.transport.setPeer(id, url)
    }
    for (const id of this.transport.peers().keys()) if (!members.has(id)) this.transport.removePeer(id)
    this.addresses.save()
  }

  /**
   * Record the rebuilding mark in the identity file (fsynced), so a restart in the middle of
   * rebuilding still refuses votes. The core clears it only once the entries it caught up with
   * are durable.
   */
  private onRebuildingChanged(e: Extract<RaftEvent, {type: 'rebuildingChanged'}>): void {
    const {rebuilding: _old, ...rest} = this.identity
    this.identity = e.rebuilding ? {...rest, rebuilding: true} : rest
    writeIdentity(this.config.dataDir, this.identity, {sync: !this.config.unsafeNoFsync})
    if (e.rebuilding) this.logger.warn('lost data this node had acknowledged (a leader sent a commit index beyond its log): rebuilding, no votes until caught up', {term: e.term, lastIndex: e.index})
    else this.logger.info('caught up with the leader: rebuilding done, voting again', {term: e.term, lastIndex: e.index})
  }

  // ------------------------------------------------------------------ shutdown

  /** Stop accepting, finish the pending Ready, close sockets and files. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopping) return
    this.stopping = true
    this.diagnostics.stop()
    this.consistencyCheck.stop()
    if (this.watchProgress !== null) clearInterval(this.watchProgress)
    this.watchProgress = null
    this.server?.stopAccepting()
    this.loop.stop()
    try {
      await this.loop.flush()
    } catch (err) {
      this.logger.error('final flush failed', {error: (err as Error).message})
    }
    this.replica.stop()
    this.chaosNetwork.close()
    await this.transport.close()
    this.watches.close()
    await this.server?.close()
    try {
      this.storage.close()
    } catch {
      // already closed
    }
    this.logger.info('node stopped')
    this.logger.flush()
  }
}

function toAdminEvent(e: RaftEvent): AdminEvent {
  if (e.type === 'confChanged') return {type: 'confChanged', conf: {voters: e.conf.voters, learners: e.conf.learners}, index: e.index}
  return e
}

/**
 * `saveAsync` done at once: write and sync `write` in the loop, then call `done` (with the
 * error, as the background path reports it), so the replica goes on as after a background sync.
 */
function saveInLoop(storage: Storage, write: StorageWrite, saved: () => void, done: (err: Error | null) => void): void {
  let failure: Error | null = null
  try {
    storage.save(write)
  } catch (err) {
    failure = err as Error
  }
  saved()
  done(failure)
}
