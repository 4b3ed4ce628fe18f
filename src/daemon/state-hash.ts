/**
 * The consistency hash of one replica (docs/doctor.md): SHA-256, hex, of the KV state machine's
 * snapshot encoding of the state after applying a log index. The replica applies through
 * {@link StateHasher.port}, which captures the state (copy-on-write, O(1)) exactly at an asked
 * index; the capture's pieces are then hashed a few per event-loop turn, so a large state never
 * blocks the loop.
 */
import {createHash} from 'node:crypto'
import type {KvResult, KvStateMachine} from '../kv/index.js'
import type {StateMachine} from '../replica/ports.js'
import {RaftctlError} from '../common/errors.js'

/** Snapshot pieces (about 256 KiB each) hashed per event-loop turn. */
export const HASH_PIECES_PER_TURN = 4

interface Wait {
  readonly index: number
  readonly done: (err: Error | null, hash?: string) => void
}

/** Hashes one replica's KV state at asked indexes. */
export class StateHasher {
  private waits: Wait[] = []
  /** True while a capture of ours is being hashed (the replica then snapshots synchronously). */
  private capturing = false

  /**
   * @param applied the replica's applied log index (config entries and no-ops included)
   * @param watch calls `poll` after every input of the replica until it returns true (the daemon's loop)
   */
  constructor(private readonly kv: KvStateMachine, private readonly applied: () => number, private readonly watch: (poll: () => boolean) => void) {}

  /** The state machine port the replica applies through: the KV state machine, watched. */
  port(): StateMachine<KvResult> {
    const kv = this.kv
    const self = this
    return {
      apply(index, data) {
        if (self.waits.length > 0) self.beforeApply(index)
        return kv.apply(index, data)
      },
      snapshot: () => kv.snapshot(),
      restore: (data) => {
        kv.restore(data)
        this.afterRestore()
      },
      beginRestore: (data) => {
        const job = kv.beginRestore(data)
        return {step: () => job.step(), commit: () => {
          job.commit()
          this.afterRestore()
        }}
      },
      beginStreamRestore: (byteLength) => {
        const job = kv.beginStreamRestore(byteLength)
        return {
          space: () => job.space(),
          received: (n) => job.received(n),
          step: () => job.step(),
          get done() {
            return job.done
          },
          commit: () => {
            job.commit()
            this.afterRestore()
          },
        }
      },
      // One capture at a time: while ours is open, the replica snapshots without one. Pieces in
      // one reused buffer: the storage writes each before pulling the next and keeps none, so
      // no buffer of the whole snapshot (122 MiB at 1M keys) starts a mark-compact per snapshot.
      get capture() {
        return self.capturing ? undefined : () => kv.capture(undefined, undefined, true)
      },
    }
  }

  /**
   * The hash of the state after applying `index` (default: the applied index now). Resolves once
   * this replica applied it; rejects with `INDEX_PASSED` when its state already moved past it,
   * `TIMEOUT` when it did not apply it within `timeoutMs`.
   */
  hash(index = this.applied(), timeoutMs = 5000): Promise<{index: number; hash: string}> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waits = this.waits.filter((w) => w !== wait)
        reject(new RaftctlError('TIMEOUT', `index ${index} was not applied within ${timeoutMs} ms (applied: ${this.applied()})`))
      }, timeoutMs)
      const wait: Wait = {index, done: (err, hash) => {
        clearTimeout(timer)
        if (err) reject(err)
        else resolve({index, hash: hash!})
      }}
      this.waits.push(wait)
      this.poll()
      if (this.waits.includes(wait)) this.watch(() => this.poll())
    })
  }

  /** Answer the waits whose index is applied; true when none is left. */
  poll(): boolean {
    if (this.waits.length === 0) return true
    const applied = this.applied()
    this.settle((w) => w.index <= applied)
    return this.waits.length === 0
  }

  /** Waits that pass the predicate are answered now: hashed if the state is still theirs, else INDEX_PASSED. */
  private settle(due: (w: Wait) => boolean): void {
    const now = this.waits.filter(due)
    if (now.length === 0) return
    this.waits = this.waits.filter((w) => !due(w))
    const kvIndex = this.kv.appliedIndex
    const current = now.filter((w) => kvIndex <= w.index)
    for (const w of now) if (kvIndex > w.index) w.done(passed(w.index, kvIndex))
    if (current.length > 0) this.digest().then((hash) => current.forEach((w) => w.done(null, hash)), (err: Error) => current.forEach((w) => w.done(err)))
  }

  /** The first KV command after an asked index is about to apply: the state now is the state there. */
  private beforeApply(index: number): void {
    this.settle((w) => w.index < index)
  }

  /** A snapshot replaced the state: waits it jumped over cannot be answered. */
  private afterRestore(): void {
    this.settle((w) => w.index < this.kv.appliedIndex)
  }

  /** SHA-256 of the snapshot encoding of the state now: captured at once, hashed over several turns. */
  private digest(): Promise<string> {
    const sha = createHash('sha256')
    if (this.capturing) return Promise.resolve(sha.update(this.kv.snapshot()).digest('hex'))
    let pieces: Iterator<Uint8Array>
    try {
      // Each piece is hashed before the next is asked for: one reused buffer, not the whole encoding.
      pieces = this.kv.capture(undefined, undefined, true)
    } catch {
      // A background snapshot holds the one capture: hash the encoding at once.
      return Promise.resolve(sha.update(this.kv.snapshot()).digest('hex'))
    }
    this.capturing = true
    return new Promise((resolve, reject) => {
      const step = (): void => {
        try {
          for (let i = 0; i < HASH_PIECES_PER_TURN; i++) {
            const r = pieces.next()
            if (r.done) {
              this.capturing = false
              return resolve(sha.digest('hex'))
            }
            sha.update(r.value)
          }
          setImmediate(step)
        } catch (err) {
          this.capturing = false
          pieces.return?.()
          reject(err as Error)
        }
      }
      step()
    })
  }
}

function passed(index: number, kvIndex: number): RaftctlError {
  return new RaftctlError('INDEX_PASSED', `the state already moved past index ${index} (a write at ${kvIndex} is applied); ask again at a newer index`)
}
