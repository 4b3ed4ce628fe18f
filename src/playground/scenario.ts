/**
 * A playground scenario as data: seed, cluster size, settings and timed actions — all a run
 * depends on. Validation of untrusted scenarios (a pasted link, a loaded file), the link and
 * file encodings, and the guided scenarios. Browser-safe, imports nothing.
 */

/** Settings of a run (the core's options and the simulated network). */
export interface Settings {
  /** Base election timeout T in ticks of 10 ms: timeouts are drawn from [T, 2T). */
  readonly electionTicks: number
  /** Heartbeat interval in ticks (< electionTicks). */
  readonly heartbeatTicks: number
  readonly preVote: boolean
  readonly checkQuorum: boolean
  /** Message delays are drawn from [minDelayMs, maxDelayMs] virtual ms. */
  readonly minDelayMs: number
  readonly maxDelayMs: number
}

/** A node reference: an id (`n3`) or `leader` (whoever leads when the action runs). */
export type NodeRef = string

/** A user action, applied at virtual time `at` (ms), after every event of that time. */
export type Action =
  | {readonly at: number; readonly do: 'stop' | 'restart' | 'timeout' | 'remove' | 'transfer'; readonly node: NodeRef}
  | {readonly at: number; readonly do: 'request'; readonly value?: string}
  | {readonly at: number; readonly do: 'add'}
  | {readonly at: number; readonly do: 'partition'; readonly groups: readonly (readonly string[])[]; readonly oneWay: boolean}
  | {readonly at: number; readonly do: 'link'; readonly from: string; readonly to: string; readonly drop: boolean; readonly delayMs: number; readonly both: boolean}
  | {readonly at: number; readonly do: 'heal'}

/** An action without its time (what a click asks for; the engine stamps the time). */
export type UntimedAction = Action extends infer A ? (A extends Action ? Omit<A, 'at'> : never) : never

/** Everything a run depends on. */
export interface Scenario {
  /** Format tag of scenario files and links. */
  readonly format: typeof SCENARIO_FORMAT
  /** A guided scenario's name, when it is one (for its caption). */
  readonly name?: string
  readonly seed: number
  readonly nodes: number
  readonly settings: Settings
  readonly actions: readonly Action[]
}

export const SCENARIO_FORMAT = 'raftctl-playground/1'

/** Defaults: timeouts as in the Raft paper (150–300 ms), heartbeats every 50 ms. */
export const DEFAULT_SETTINGS: Settings = {electionTicks: 15, heartbeatTicks: 5, preVote: true, checkQuorum: true, minDelayMs: 10, maxDelayMs: 30}

/** Bounds of every field of a scenario (what the CLI flags and the page accept). */
export const SCENARIO_LIMITS = {
  minNodes: 1,
  maxNodes: 9,
  defaultNodes: 5,
  maxSeed: 0xffff_ffff,
  minElectionTicks: 3,
  maxElectionTicks: 100,
  maxDelayMs: 1000,
  maxActions: 2000,
  /** Latest virtual time an action may have (one hour). */
  maxActionTimeMs: 3_600_000,
  maxValueLength: 64,
  /** Longest link payload accepted, characters. */
  maxLinkLength: 200_000,
} as const

/** A scenario (or a link) that cannot be used, with a message for the user. */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError'
}

const NODE_ACTIONS = ['stop', 'restart', 'timeout', 'remove', 'transfer'] as const
const ACTIONS = [...NODE_ACTIONS, 'request', 'add', 'partition', 'link', 'heal'] as const
const NODE_ID = /^n[1-9]\d?$/

/** Check an untrusted value (a parsed file or link) and return it as a Scenario; throws ScenarioError saying what is wrong. */
export function parseScenario(value: unknown): Scenario {
  const o = record(value, 'the scenario')
  if (o.format !== SCENARIO_FORMAT) throw new ScenarioError(`not a playground scenario (format must be "${SCENARIO_FORMAT}")`)
  const seed = int(o.seed, 'seed', 0, SCENARIO_LIMITS.maxSeed)
  const nodes = int(o.nodes, 'nodes', SCENARIO_LIMITS.minNodes, SCENARIO_LIMITS.maxNodes)
  const settings = parseSettings(o.settings)
  if (!Array.isArray(o.actions)) throw new ScenarioError('actions must be a list')
  if (o.actions.length > SCENARIO_LIMITS.maxActions) throw new ScenarioError(`at most ${SCENARIO_LIMITS.maxActions} actions`)
  const actions = o.actions.map((a, i) => parseAction(a, `action ${i + 1}`))
  for (let i = 1; i < actions.length; i++) {
    if (actions[i]!.at < actions[i - 1]!.at) throw new ScenarioError(`action ${i + 1} comes before action ${i} in time`)
  }
  const name = o.name === undefined ? undefined : str(o.name, 'name', 64)
  return {format: SCENARIO_FORMAT, ...(name === undefined ? {} : {name}), seed, nodes, settings, actions}
}

/** Check settings; throws ScenarioError. */
export function parseSettings(value: unknown): Settings {
  const s = record(value, 'settings')
  const electionTicks = int(s.electionTicks, 'electionTicks', SCENARIO_LIMITS.minElectionTicks, SCENARIO_LIMITS.maxElectionTicks)
  const heartbeatTicks = int(s.heartbeatTicks, 'heartbeatTicks', 1, electionTicks - 1)
  const minDelayMs = int(s.minDelayMs, 'minDelayMs', 1, SCENARIO_LIMITS.maxDelayMs)
  const maxDelayMs = int(s.maxDelayMs, 'maxDelayMs', minDelayMs, SCENARIO_LIMITS.maxDelayMs)
  return {electionTicks, heartbeatTicks, preVote: bool(s.preVote, 'preVote'), checkQuorum: bool(s.checkQuorum, 'checkQuorum'), minDelayMs, maxDelayMs}
}

function parseAction(value: unknown, what: string): Action {
  const a = record(value, what)
  const at = int(a.at, `${what}: at`, 0, SCENARIO_LIMITS.maxActionTimeMs)
  const kind = a.do
  if (!ACTIONS.includes(kind as (typeof ACTIONS)[number])) throw new ScenarioError(`${what}: unknown action ${JSON.stringify(kind)} (one of ${ACTIONS.join(', ')})`)
  switch (kind as (typeof ACTIONS)[number]) {
    case 'request':
      return a.value === undefined ? {at, do: 'request'} : {at, do: 'request', value: str(a.value, `${what}: value`, SCENARIO_LIMITS.maxValueLength)}
    case 'add': return {at, do: 'add'}
    case 'heal': return {at, do: 'heal'}
    case 'partition': {
      if (!Array.isArray(a.groups) || a.groups.length < 2) throw new ScenarioError(`${what}: groups must be a list of at least two lists of nodes`)
      const groups = a.groups.map((g) => {
        if (!Array.isArray(g) || g.length === 0) throw new ScenarioError(`${what}: each group must be a non-empty list of nodes`)
        return g.map((id) => nodeId(id, what))
      })
      const all = groups.flat()
      if (new Set(all).size !== all.length) throw new ScenarioError(`${what}: a node is in two groups`)
      return {at, do: 'partition', groups, oneWay: bool(a.oneWay, `${what}: oneWay`)}
    }
    case 'link':
      return {
        at, do: 'link', from: nodeId(a.from, what), to: nodeId(a.to, what), drop: bool(a.drop, `${what}: drop`),
        delayMs: int(a.delayMs, `${what}: delayMs`, 0, SCENARIO_LIMITS.maxDelayMs), both: bool(a.both, `${what}: both`),
      }
    default: {
      const node = a.node === 'leader' ? 'leader' : nodeId(a.node, what)
      return {at, do: kind as (typeof NODE_ACTIONS)[number], node}
    }
  }
}

function record(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ScenarioError(`${what} must be an object`)
  return v as Record<string, unknown>
}

function int(v: unknown, what: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new ScenarioError(`${what} must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`)
  return v
}

function bool(v: unknown, what: string): boolean {
  if (typeof v !== 'boolean') throw new ScenarioError(`${what} must be true or false`)
  return v
}

function str(v: unknown, what: string, max: number): string {
  if (typeof v !== 'string' || v.length > max) throw new ScenarioError(`${what} must be a string of at most ${max} characters`)
  return v
}

function nodeId(v: unknown, what: string): string {
  if (typeof v !== 'string' || !NODE_ID.test(v)) throw new ScenarioError(`${what}: ${JSON.stringify(v)} is not a node (n1 … n99)`)
  return v
}

// ------------------------------------------------------------------ links

/**
 * The scenario as the fragment of a shareable link: `v1.<base64url JSON>.<checksum>`. The
 * checksum (FNV-1a of the JSON) makes a damaged or hand-edited link fail with a clear message
 * instead of replaying something else.
 */
export function encodeLink(s: Scenario): string {
  const json = JSON.stringify(s)
  return `v1.${base64url(new TextEncoder().encode(json))}.${fnv1a(json)}`
}

/** Decode and check a link fragment (with or without `#`, or a whole URL); throws ScenarioError. */
export function decodeLink(link: string): Scenario {
  const fragment = link.includes('#') ? link.slice(link.indexOf('#') + 1) : link
  if (fragment.length > SCENARIO_LIMITS.maxLinkLength) throw new ScenarioError('the link is too long')
  const m = /^v1\.([A-Za-z0-9_-]+)\.([0-9a-f]{8})$/.exec(fragment)
  if (!m) throw new ScenarioError('the link is malformed: it should end in #v1.<data>.<checksum>')
  let json: string
  try {
    json = new TextDecoder('utf-8', {fatal: true}).decode(unbase64url(m[1]!))
  } catch {
    throw new ScenarioError('the link is malformed: its data is not valid')
  }
  if (fnv1a(json) !== m[2]) throw new ScenarioError('the link was damaged or edited: its checksum does not match')
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch {
    throw new ScenarioError('the link is malformed: its data is not JSON')
  }
  return parseScenario(value)
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

function base64url(bytes: Uint8Array): string {
  let out = ''
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0)
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6))
    for (let k = 0; k < chars; k++) out += B64[(n >> (18 - 6 * k)) & 63]
  }
  return out
}

function unbase64url(text: string): Uint8Array {
  if (text.length % 4 === 1) throw new ScenarioError('bad base64')
  const out: number[] = []
  for (let i = 0; i < text.length; i += 4) {
    const chunk = text.slice(i, i + 4)
    let n = 0
    for (let k = 0; k < 4; k++) n = (n << 6) | (k < chunk.length ? B64.indexOf(chunk[k]!) : 0)
    const bytes = chunk.length - 1
    for (let k = 0; k < bytes; k++) out.push((n >> (16 - 8 * k)) & 255)
  }
  return Uint8Array.from(out)
}

/** FNV-1a 32-bit of a string's UTF-16 code units, as 8 hex digits. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193)
  return (h >>> 0).toString(16).padStart(8, '0')
}

// ------------------------------------------------------------------ building scenarios

/** A scenario with defaults for what is not given. */
export function scenario(parts: {seed: number; nodes?: number; settings?: Partial<Settings>; actions?: readonly Action[]; name?: string}): Scenario {
  return {
    format: SCENARIO_FORMAT,
    ...(parts.name === undefined ? {} : {name: parts.name}),
    seed: parts.seed,
    nodes: parts.nodes ?? SCENARIO_LIMITS.defaultNodes,
    settings: {...DEFAULT_SETTINGS, ...parts.settings},
    actions: parts.actions ?? [],
  }
}
