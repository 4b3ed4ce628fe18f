/**
 * The search engine behind the checker (src/verify/checker.ts): one key's ops compiled to a
 * string-register model, and a just-in-time linearization search over them (Wing & Gong,
 * Lowe) with memoization of configurations, symmetry and pruning rules, and budgets. See
 * docs/checker.md for the algorithm and why each rule is sound.
 */
import type {HistoryOp} from './history.js'

/** A verdict: linearizable, not linearizable, or not decided within the budget. */
export type Verdict = true | false | 'unknown'

/** Why a verdict is `'unknown'`. */
export type UnknownReason = 'time-limit' | 'state-limit' | 'memory-limit'

/** An op of the input with its position there. */
export interface IndexedOp {
  op: HistoryOp
  index: number
}

/** Limits of one search. */
export interface SearchBudget {
  /** `performance.now()` value after which the search gives up. */
  deadline: number
  /** Most configurations remembered. */
  maxStates: number
  /** Most bytes of remembered configurations (including the hash table). */
  maxMemoryBytes: number
}

/** The result of {@link searchKey}. */
export interface SearchOutcome {
  verdict: Verdict
  reason?: UnknownReason
  /** Configurations remembered. */
  states: number
  /** Longest partial linearization seen (indices into the compiled ops). */
  best: number[]
  /** The op whose return ended that longest attempt, or -1. */
  stuck: number
}

// ---------------------------------------------------------------------------------------------
// The register model, compiled: values interned to small integers (0 = absent).

const ABSENT = 0
const ILLEGAL = -1

const GET = 0
const PUT = 1
const DELETE = 2
const APPEND = 3
/** cas that must succeed (ok true) or may succeed (ok unknown). */
const CAS = 4
/** cas that completed with the comparison failing: legal only where the value differs. */
const CAS_FAIL = 5

/** Interns register values: id 0 is "absent", ids from 1 are strings. */
class ValueTable {
  private readonly ids = new Map<string, number>()
  private readonly strings: Array<string | null> = [null]

  id(value: string | null | undefined): number {
    if (value === null || value === undefined) return ABSENT
    let id = this.ids.get(value)
    if (id === undefined) {
      id = this.strings.length
      this.ids.set(value, id)
      this.strings.push(value)
    }
    return id
  }

  /** Number of ids handed out so far (including absent). */
  get size(): number {
    return this.strings.length
  }

  /** A fresh id equal to no string: stands for any value nobody observes. Not for appends. */
  opaque(): number {
    this.strings.push('\u0000unobserved')
    return this.strings.length - 1
  }

  text(id: number): string | null {
    return this.strings[id] ?? null
  }
}

/** One op of one key in model form. */
interface ModelOp {
  /** Position in the input history. */
  index: number
  kind: number
  /** Value written (put, cas) or read (get), interned. */
  arg: number
  /** What cas compares against, interned. */
  expected: number
  /** What append concatenates. */
  suffix: string
  call: number
  /** Infinity for optional (unknown) ops. */
  ret: number
  /** False for unknown ops: they may be linearized after their call, or never. */
  required: boolean
  /** Position in the required-ops bitset (by call time) or in the optional-ops bitset. */
  bit: number
  /**
   * For an optional op: the nearest earlier-called optional op with the same effect, or -1.
   * Such twins are interchangeable, so the search only linearizes an op after its twin.
   */
  twin: number
}

/** One key's ops in model form, ready for {@link searchKey}. */
export interface CompiledKey {
  /** The ops that constrain the history; `ops[i].index` is the op's position in the input. */
  ops: ReadonlyArray<Pick<ModelOp, 'index'>>
}

/** The full form of {@link CompiledKey}, private to this file. */
interface Compiled extends CompiledKey {
  ops: ModelOp[]
  values: ValueTable
  /** Number of required and of optional ops. */
  required: number
  optional: number
}

/**
 * Translate a key's ops to the model, dropping those that carry no constraint (gets that did
 * not succeed, writes that failed). Every completed op must have a `return`.
 */
export function compileKey(ops: readonly IndexedOp[]): CompiledKey {
  const values = new ValueTable()
  const out: ModelOp[] = []
  for (const x of ops) {
    const m = compileOp(x, values)
    if (m) out.push(m)
  }
  const kept = simplifyNoOps(out)
  dropHopeless(kept)
  mergeUnobserved(kept, values)
  const {required, optional} = assignBits(kept)
  linkTwins(kept)
  const compiled: Compiled = {ops: kept, values, required, optional}
  return compiled
}

/**
 * A cas that writes what it expects changes nothing: completed, it is a read of that value;
 * unknown, it constrains nothing and is dropped.
 */
function simplifyNoOps(ops: ModelOp[]): ModelOp[] {
  const kept: ModelOp[] = []
  for (const op of ops) {
    if (op.kind === CAS && op.arg === op.expected) {
      if (!op.required) continue
      op.kind = GET
    }
    kept.push(op)
  }
  return kept
}

/**
 * Without appends, an unknown cas expecting a value that nothing writes (and that is not the
 * initial absence) can never take effect: drop it. Mutates nothing else; returns in place.
 */
function dropHopeless(ops: ModelOp[]): void {
  if (ops.some((op) => op.kind === APPEND)) return
  const written = new Set<number>([ABSENT])
  for (const op of ops) if (producedValue(op) >= 0) written.add(producedValue(op))
  let j = 0
  for (const op of ops) if (op.required || op.kind !== CAS || written.has(op.expected)) ops[j++] = op
  ops.length = j
}

function compileOp(x: IndexedOp, values: ValueTable): ModelOp | undefined {
  const {op} = x
  const required = op.ok !== 'unknown'
  const base = {index: x.index, arg: ABSENT, expected: ABSENT, suffix: '', call: op.call, ret: required ? op.return! : Infinity, required, bit: -1, twin: -1}
  switch (op.op) {
    case 'get':
      return op.ok === true ? {...base, kind: GET, arg: values.id(op.output)} : undefined
    case 'cas':
      return {...base, kind: op.ok === false ? CAS_FAIL : CAS, arg: values.id(op.value), expected: values.id(op.expected)}
    case 'put':
      return op.ok === false ? undefined : {...base, kind: PUT, arg: values.id(op.value)}
    case 'delete':
      return op.ok === false ? undefined : {...base, kind: DELETE}
    case 'append':
      return op.ok === false ? undefined : {...base, kind: APPEND, suffix: op.value ?? ''}
  }
}

/** Indices of `ops` by call time (ties: input order). */
function byCallTime(ops: readonly ModelOp[]): number[] {
  return ops.map((_, i) => i).sort((a, b) => ops[a]!.call - ops[b]!.call || ops[a]!.index - ops[b]!.index)
}

/** Number required ops by call time, and optional ops separately. */
function assignBits(ops: ModelOp[]): {required: number; optional: number} {
  let required = 0
  let optional = 0
  for (const i of byCallTime(ops)) {
    const op = ops[i]!
    op.bit = op.required ? required++ : optional++
  }
  return {required, optional}
}

/**
 * Without appends, a value that no get returned and no cas compared against can never be
 * told apart from any other such value: write them all as one opaque value, so that
 * configurations differing only in which unobserved value is current are explored once.
 */
function mergeUnobserved(ops: ModelOp[], values: ValueTable): void {
  if (ops.some((op) => op.kind === APPEND)) return
  const observed = new Set<number>([ABSENT])
  for (const op of ops) {
    if (op.kind === GET) observed.add(op.arg)
    if (op.kind === CAS || op.kind === CAS_FAIL) observed.add(op.expected)
  }
  const opaque = values.opaque()
  for (const op of ops) {
    if ((op.kind === PUT || op.kind === CAS) && !observed.has(op.arg)) op.arg = opaque
  }
}

/** Set {@link ModelOp.twin} for every optional op (symmetry reduction). */
function linkTwins(ops: ModelOp[]): void {
  const lastByEffect = new Map<string, number>()
  for (const i of byCallTime(ops)) {
    const op = ops[i]!
    if (op.required) continue
    const effect = `${op.kind}:${op.arg}:${op.expected}:${op.suffix}`
    op.twin = lastByEffect.get(effect) ?? -1
    lastByEffect.set(effect, i)
  }
}

/** The register after `op` from `state`, or {@link ILLEGAL} when the op's result contradicts it. */
function step(values: ValueTable, op: ModelOp, state: number): number {
  switch (op.kind) {
    case GET:
      return op.arg === state ? state : ILLEGAL
    case PUT:
      return op.arg
    case DELETE:
      return ABSENT
    case APPEND:
      return values.id((values.text(state) ?? '') + op.suffix)
    case CAS:
      return op.expected === state ? op.arg : ILLEGAL
    default: // CAS_FAIL
      return op.expected !== state ? state : ILLEGAL
  }
}

// ---------------------------------------------------------------------------------------------
// Value demand: a pruning rule for keys without appends.

/**
 * Per register value: how many ops not yet linearized need it (a get that returned it, a cas
 * that must compare equal to it) and how many could still write it. Leaving a value that is
 * still needed, when nothing left can write it again, leads nowhere: the search does not
 * take such a step. Only for keys without appends (whose values are all known up front).
 */
class ValueDemand {
  private readonly needers: Int32Array
  private readonly producers: Int32Array

  /** Indices of the unknown cas ops, by the value they expect. */
  private readonly unknownCas = new Map<number, number[]>()

  constructor(key: Compiled) {
    this.needers = new Int32Array(key.values.size)
    this.producers = new Int32Array(key.values.size)
    key.ops.forEach((op, i) => {
      this.count(op, +1)
      if (op.kind === CAS && !op.required) {
        const list = this.unknownCas.get(op.expected)
        if (list) list.push(i)
        else this.unknownCas.set(op.expected, [i])
      }
    })
  }

  /** True when no op left can write `value`. */
  exhausted(value: number): boolean {
    return this.producers[value] === 0
  }

  /** The unknown cas ops expecting `value` (linearized or not). */
  unknownCasExpecting(value: number): readonly number[] {
    return this.unknownCas.get(value) ?? NONE
  }

  /** Add `delta` to the counts `op` contributes to (-1 when it is linearized, +1 when undone). */
  count(op: ModelOp, delta: number): void {
    const needs = neededValue(op)
    if (needs >= 0) this.needers[needs]! += delta
    const makes = producedValue(op)
    if (makes >= 0) this.producers[makes]! += delta
  }

  /** True when linearizing `op` would leave `state` for good while something still needs it. */
  stranded(op: ModelOp, state: number): boolean {
    const need = this.needers[state]! - (neededValue(op) === state ? 1 : 0)
    return need > 0 && this.producers[state] === 0
  }
}

const NONE: readonly number[] = []

/** The value a required op needs to see, or -1. */
function neededValue(op: ModelOp): number {
  if (op.kind === GET) return op.arg
  if (op.kind === CAS && op.required) return op.expected
  return -1
}

/** The value an op writes, or -1. */
function producedValue(op: ModelOp): number {
  if (op.kind === PUT || (op.kind === CAS && op.arg !== op.expected)) return op.arg
  if (op.kind === DELETE) return ABSENT
  return -1
}

// ---------------------------------------------------------------------------------------------
// Events

/**
 * The events of a key as a doubly linked list in time order (calls before returns at equal
 * times: intervals are closed). Event `2i` is op i's call, `2i + 1` its return; optional ops
 * have no return event. Linearized ops are unlinked ("lifted") and relinked on backtrack.
 */
class EventList {
  readonly head: number
  readonly next: Int32Array
  readonly prev: Int32Array

  constructor(ops: readonly ModelOp[]) {
    const n = ops.length
    this.head = 2 * n
    this.next = new Int32Array(2 * n + 1).fill(-1)
    this.prev = new Int32Array(2 * n + 1).fill(-1)
    let last = this.head
    for (const e of sortedEvents(ops)) {
      this.next[last] = e
      this.prev[e] = last
      last = e
    }
  }

  /** Remove op i's events; undo with {@link unlift}, in reverse order of lifts. */
  lift(i: number, required: boolean): void {
    this.unlink(2 * i)
    if (required) this.unlink(2 * i + 1)
  }

  unlift(i: number, required: boolean): void {
    if (required) this.relink(2 * i + 1)
    this.relink(2 * i)
  }

  private unlink(e: number): void {
    const p = this.prev[e]!
    const n = this.next[e]!
    this.next[p] = n
    if (n !== -1) this.prev[n] = p
  }

  private relink(e: number): void {
    const p = this.prev[e]!
    const n = this.next[e]!
    this.next[p] = e
    if (n !== -1) this.prev[n] = e
  }
}

function sortedEvents(ops: readonly ModelOp[]): number[] {
  const events: Array<{e: number; t: number}> = []
  ops.forEach((op, i) => {
    events.push({e: 2 * i, t: op.call})
    if (op.required) events.push({e: 2 * i + 1, t: op.ret})
  })
  // Equal times: calls (even) first, then by op order.
  events.sort((a, b) => a.t - b.t || (a.e & 1) - (b.e & 1) || a.e - b.e)
  return events.map((x) => x.e)
}

// ---------------------------------------------------------------------------------------------
// Configurations and the cache

/** Where an op lives in a {@link LinearizedSet}. */
export interface SetMember {
  required: boolean
  bit: number
}

/**
 * The set of linearized ops as two bitsets: optional ops, and required ops by call time. In
 * any configuration the required ops linearized form a prefix (every op called long before
 * the oldest pending one is done) plus a few bits in a window, so the cache stores only the
 * required words from the first not-full one (`low`) to the last non-empty one (`high`).
 * Exported for tests only.
 */
export class LinearizedSet {
  readonly optional: Uint32Array
  readonly required: Uint32Array
  /** What a full word of `required` holds (the last word may be partial). */
  private readonly fullWord: Uint32Array
  /** First word of `required` that is not full. */
  low = 0
  /** Last word of `required` with a bit set, or -1. */
  high = -1

  constructor(required: number, optional: number) {
    this.optional = new Uint32Array(Math.max(1, Math.ceil(optional / 32)))
    this.required = new Uint32Array(Math.max(1, Math.ceil(required / 32)))
    this.fullWord = this.required.map((_, w) => 2 ** Math.min(32, Math.max(0, required - 32 * w)) - 1)
    this.advanceLow()
  }

  /** True when `op` is in the set. */
  has(op: SetMember): boolean {
    const words = op.required ? this.required : this.optional
    return (words[op.bit >>> 5]! & (1 << (op.bit & 31))) !== 0
  }

  /** Flip op's bit. Setting a required bit updates `low` and `high`; on clearing, restore them. */
  toggle(op: SetMember): void {
    const w = op.bit >>> 5
    if (!op.required) {
      this.optional[w]! ^= 1 << (op.bit & 31)
      return
    }
    this.required[w]! ^= 1 << (op.bit & 31)
    if (w > this.high) this.high = w
    this.advanceLow()
  }

  private advanceLow(): void {
    while (this.low < this.required.length && this.required[this.low] === this.fullWord[this.low]) this.low++
  }
}

/**
 * Remembered configurations (linearized set + register value): open addressing over entry
 * numbers; each entry is `[state, low, length, optional words..., required words low..high]`
 * back to back in one pool of 32-bit words. Exported for tests only.
 */
export class StateCache {
  size = 0
  private usedWords = 0
  private pool: Uint32Array = new Uint32Array(1024)
  private offsets: Int32Array = new Int32Array(256)
  private hashes: Int32Array = new Int32Array(256)
  private slots: Int32Array = new Int32Array(512)

  constructor(private readonly set: LinearizedSet) {}

  /** Bytes held for the entries and the table. */
  get bytes(): number {
    return 4 * (this.usedWords + 2 * this.size + this.slots.length)
  }

  /**
   * Add the set's current configuration with register value `state`: true if it is new.
   * `hash` must be equal for equal sets (the search passes a Zobrist hash of the set).
   */
  add(hash: number, state: number): boolean {
    const h = mix(hash, state)
    const mask = this.slots.length - 1
    let slot = h & mask
    for (let entry = this.slots[slot]! - 1; entry >= 0; entry = this.slots[slot]! - 1) {
      if (this.hashes[entry] === h && this.matches(this.offsets[entry]!, state)) return false
      slot = (slot + 1) & mask
    }
    this.store(h, state)
    if (this.size * 2 > this.slots.length) this.rehash()
    else this.slots[slot] = this.size
    return true
  }

  private matches(at: number, state: number): boolean {
    const {optional, required, low, high} = this.set
    const length = Math.max(0, high - low + 1)
    const pool = this.pool
    if (pool[at] !== state || pool[at + 1] !== low || pool[at + 2] !== length) return false
    let p = at + 3
    for (let w = 0; w < optional.length; w++) if (pool[p++] !== optional[w]) return false
    for (let w = low; w <= high; w++) if (pool[p++] !== required[w]) return false
    return true
  }

  private store(h: number, state: number): void {
    const {optional, required, low, high} = this.set
    const length = Math.max(0, high - low + 1)
    const words = 3 + optional.length + length
    this.reserve(words)
    const at = this.usedWords
    this.pool[at] = state
    this.pool[at + 1] = low
    this.pool[at + 2] = length
    this.pool.set(optional, at + 3)
    if (length > 0) this.pool.set(required.subarray(low, high + 1), at + 3 + optional.length)
    this.usedWords += words
    this.offsets[this.size] = at
    this.hashes[this.size] = h
    this.size++
  }

  private reserve(words: number): void {
    if (this.usedWords + words > this.pool.length) {
      const pool = new Uint32Array(Math.max(this.pool.length * 2, this.usedWords + words))
      pool.set(this.pool.subarray(0, this.usedWords))
      this.pool = pool
    }
    if (this.size === this.offsets.length) {
      this.offsets = grown(this.offsets)
      this.hashes = grown(this.hashes)
    }
  }

  /** Rebuild the table at twice the size, with every entry including the newest. */
  private rehash(): void {
    this.slots = new Int32Array(this.slots.length * 2)
    const mask = this.slots.length - 1
    for (let entry = 0; entry < this.size; entry++) {
      let slot = this.hashes[entry]! & mask
      while (this.slots[slot] !== 0) slot = (slot + 1) & mask
      this.slots[slot] = entry + 1
    }
  }
}

function grown(a: Int32Array): Int32Array {
  const b = new Int32Array(a.length * 2)
  b.set(a)
  return b
}

/** Mix a set hash and a register value into a well-spread 32-bit hash (murmur3 finalizer). */
function mix(hash: number, state: number): number {
  let h = hash ^ Math.imul(state + 1, 0x9e3779b1)
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h | 0
}

/** Random-looking 32-bit words per op (fixed seed: runs are reproducible), XORed into the set hash. */
function zobristKeys(n: number): Int32Array {
  const keys = new Int32Array(n)
  let x = 0x2545f491
  for (let i = 0; i < n; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    keys[i] = x
  }
  return keys
}

// ---------------------------------------------------------------------------------------------
// The search

/** Results of {@link Search.tryLinearize}: moved forward; not possible now; this configuration fails. */
const ADVANCED = 0
const SKIPPED = 1
const DEAD = 2

/** How often (in loop iterations) the clock is read. */
const CLOCK_EVERY = 1024

/** Mutable state of one search: the partial linearization as a stack, and its configuration. */
class Search {
  readonly ops: readonly ModelOp[]
  readonly events: EventList
  readonly set: LinearizedSet
  readonly cache: StateCache
  private readonly zobrist: Int32Array
  /** Per depth: the op linearized, the register before it, `set.low`/`set.high` before it. */
  private readonly stack: Int32Array
  private readonly stackStates: Int32Array
  private readonly stackLow: Int32Array
  private readonly stackHigh: Int32Array
  /** 1 where the step at that depth was forced (a legal read-only op): no alternatives. */
  private readonly forced: Uint8Array
  /** Null when not pruning, or when the key has appends (values are then made during the search). */
  private readonly demand: ValueDemand | null
  depth = 0
  hash = 0
  state = ABSENT
  remaining = 0
  best: number[] = []
  stuck = -1

  constructor(
    private readonly key: Compiled,
    prune: boolean,
  ) {
    this.ops = key.ops
    const n = key.ops.length
    this.events = new EventList(key.ops)
    this.set = new LinearizedSet(key.required, key.optional)
    this.cache = new StateCache(this.set)
    this.zobrist = zobristKeys(n)
    this.stack = new Int32Array(n)
    this.stackStates = new Int32Array(n)
    this.stackLow = new Int32Array(n)
    this.stackHigh = new Int32Array(n)
    this.forced = new Uint8Array(n)
    this.remaining = key.required
    this.demand = !prune || key.ops.some((op) => op.kind === APPEND) ? null : new ValueDemand(key)
  }

  /**
   * Try to linearize op i now. A read-only op (get, failed cas) that is legal now is forced:
   * moving it to the front of any completion keeps that completion legal, so if the
   * configuration it leads to fails, so does the current one ({@link DEAD}).
   */
  tryLinearize(i: number): typeof ADVANCED | typeof SKIPPED | typeof DEAD {
    const op = this.ops[i]!
    if (op.twin >= 0 && !this.set.has(this.ops[op.twin]!)) return SKIPPED
    const next = step(this.key.values, op, this.state)
    if (next === ILLEGAL) return SKIPPED
    if (next !== this.state && this.demand?.stranded(op, this.state)) return SKIPPED
    const readOnly = op.kind === GET || op.kind === CAS_FAIL
    const {low, high} = this.set
    this.apply(i)
    const dead = next !== this.state ? this.collectDead(this.state, next) : NONE
    if (!this.cache.add(this.hash, next)) {
      for (let k = dead.length - 1; k >= 0; k--) this.unapply(dead[k]!)
      this.unapply(i)
      this.set.low = low
      this.set.high = high
      return readOnly ? DEAD : SKIPPED
    }
    this.push(i, readOnly, low, high)
    this.state = next
    this.events.lift(i, op.required)
    if (op.required) this.remaining--
    for (const j of dead) {
      this.push(j, true, this.set.low, this.set.high)
      this.events.lift(j, false)
    }
    return ADVANCED
  }

  /**
   * Undo linearization steps up to and including the newest one that has alternatives left
   * (forced steps have none). Returns the op of that step, or -1 when the search has failed.
   */
  backtrack(): number {
    while (this.depth > 0) {
      const d = --this.depth
      const i = this.stack[d]!
      const op = this.ops[i]!
      this.state = this.stackStates[d]!
      this.unapply(i)
      this.set.low = this.stackLow[d]!
      this.set.high = this.stackHigh[d]!
      this.events.unlift(i, op.required)
      if (op.required) this.remaining++
      if (this.forced[d] === 0) return i
    }
    return -1
  }

  /**
   * Having left value `left` for `now`: the unknown cas ops that can never take effect any more
   * (they expect a value no op left can write), marked as done so that configurations that
   * differ only in such ops are one. Returns them, already applied; cascades through the
   * values those ops would have written.
   */
  private collectDead(left: number, now: number): readonly number[] {
    const demand = this.demand
    if (!demand || !demand.exhausted(left)) return NONE
    const dead: number[] = []
    const work = [left]
    while (work.length > 0) {
      const value = work.pop()!
      if (value === now || !demand.exhausted(value)) continue
      for (const j of demand.unknownCasExpecting(value)) {
        const op = this.ops[j]!
        if (this.set.has(op)) continue
        this.apply(j)
        dead.push(j)
        const written = producedValue(op)
        if (written >= 0) work.push(written)
      }
    }
    return dead
  }

  /** Remember the deepest attempt and the op whose return ended it. */
  noteDeadEnd(stuck: number): void {
    if (this.depth > this.best.length || this.stuck === -1) {
      this.best = Array.from(this.stack.subarray(0, this.depth))
      this.stuck = stuck
    }
  }

  /** The current partial linearization. */
  current(): number[] {
    return Array.from(this.stack.subarray(0, this.depth))
  }

  private push(i: number, forced: boolean, low: number, high: number): void {
    const d = this.depth++
    this.stack[d] = i
    this.stackStates[d] = this.state
    this.stackLow[d] = low
    this.stackHigh[d] = high
    this.forced[d] = forced ? 1 : 0
  }

  /** Mark op i linearized in the set, the hash and the value demand. */
  private apply(i: number): void {
    this.set.toggle(this.ops[i]!)
    this.hash ^= this.zobrist[i]!
    this.demand?.count(this.ops[i]!, -1)
  }

  /** Undo {@link apply}; the caller restores `set.low` and `set.high`. */
  private unapply(i: number): void {
    this.set.toggle(this.ops[i]!)
    this.hash ^= this.zobrist[i]!
    this.demand?.count(this.ops[i]!, +1)
  }
}

/**
 * Run the just-in-time linearization search on one compiled key.
 *
 * @param prune use value-demand pruning (faster; off only to get longer partial linearizations
 * for counterexamples).
 */
export function searchKey(compiled: CompiledKey, budget: SearchBudget, prune = true): SearchOutcome {
  const s = new Search(compiled as Compiled, prune)
  const verdict = runSearch(s, budget)
  const outcome: SearchOutcome = {verdict: typeof verdict === 'boolean' ? verdict : 'unknown', states: s.cache.size, best: s.best, stuck: s.stuck}
  if (typeof verdict === 'string') outcome.reason = verdict
  if (verdict === true) outcome.best = s.current()
  return outcome
}

/** The search loop: true, false, or which budget ran out. */
function runSearch(s: Search, budget: SearchBudget): boolean | UnknownReason {
  const {next, head} = s.events
  let e = next[head]!
  let iterations = 0
  while (s.remaining > 0) {
    if (e < 0) throw new Error('checker: event list exhausted with ops left (internal error)')
    if (++iterations % CLOCK_EVERY === 0 && performance.now() > budget.deadline) return 'time-limit'
    const i = e >> 1
    if ((e & 1) === 0) {
      if (s.cache.size >= budget.maxStates) return 'state-limit'
      if (s.cache.bytes > budget.maxMemoryBytes) return 'memory-limit'
      const result = s.tryLinearize(i)
      if (result === ADVANCED) e = next[head]!
      if (result === SKIPPED) e = next[e]!
      if (result !== DEAD) continue
    } else {
      // Op i returns before it was linearized: this branch is dead.
      s.noteDeadEnd(i)
    }
    const undone = s.backtrack()
    if (undone < 0) return false
    e = next[2 * undone]!
  }
  return true
}
