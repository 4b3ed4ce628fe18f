/**
 * Helpers for the transport tests: fast-check arbitraries of every Raft message, a polling
 * waitFor, a node (server + peer transport) factory, and a raw WebSocket client that reports
 * the HTTP status of a refused upgrade.
 */
import fc from 'fast-check'
import {WebSocket} from 'ws'
import type {ClientOptions} from 'ws'
import type {ConfState, Entry, Message, NodeId} from '../../src/raft/types.js'
import {NodeServer} from '../../src/transport/server.js'
import type {NodeServerOptions} from '../../src/transport/server.js'
import {PeerTransport} from '../../src/transport/peers.js'
import type {PeerTransportOptions} from '../../src/transport/peers.js'

export const SECRET = 'test-secret-0123456789'

// ---------------------------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------------------------

/** Node ids: 1..16 code points (≤ 64 UTF-8 bytes), any Unicode but lone surrogates. */
export const nodeIdArb: fc.Arbitrary<NodeId> = fc.oneof(
  fc.constantFrom('n1', 'n2', 'n3', 'node-42'),
  fc.string({unit: 'binary', minLength: 1, maxLength: 16}),
)

/** u64 values: small ones, boundaries and anything up to 2^53 - 1. */
export const u64Arb: fc.Arbitrary<number> = fc.oneof(
  fc.nat(1000),
  fc.constantFrom(0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1),
  fc.maxSafeNat(),
)

const dataArb = fc.uint8Array({maxLength: 64})

/** fc.record with ordinary prototypes (deepStrictEqual compares prototypes). */
function rec<T extends object>(model: {[K in keyof T]: fc.Arbitrary<T[K]>}): fc.Arbitrary<T> {
  return fc.record(model, {noNullPrototype: true}) as fc.Arbitrary<T>
}

/** Consecutive entries following `prevIndex`, terms non-decreasing from 1. */
export function entriesArb(prevIndex: number): fc.Arbitrary<Entry[]> {
  return fc.array(rec({termStep: fc.nat(3), type: fc.constantFrom('normal' as const, 'config' as const), data: dataArb}), {maxLength: 8})
    .map((specs) => {
      let term = 1
      return specs.map((spec, i) => {
        term += spec.termStep
        return {term, index: prevIndex + 1 + i, type: spec.type, data: spec.data}
      })
    })
}

const confArb: fc.Arbitrary<ConfState> = fc.uniqueArray(nodeIdArb, {maxLength: 8}).chain((ids) =>
  fc.nat(ids.length).map((split) => ({voters: ids.slice(0, split), learners: ids.slice(split)})),
)

const head = {from: nodeIdArb, to: nodeIdArb, term: u64Arb}

/** The optional tail of append and heartbeat responses (the sender's incarnation, rebuilding, a short log's last index), each field absent or set. */
function lifeArb(withLastIndex: boolean): fc.Arbitrary<{incarnation?: number; rebuilding?: boolean; lastIndex?: number}> {
  const fields = {incarnation: fc.integer({min: 1, max: Number.MAX_SAFE_INTEGER}), rebuilding: fc.constant(true), ...(withLastIndex ? {lastIndex: u64Arb} : {})}
  return fc.record(fields, {requiredKeys: []})
}

/** Arbitrary messages of every type. */
export const messageArb: fc.Arbitrary<Message> = fc.oneof(
  rec({type: fc.constant('vote' as const), ...head, lastIndex: u64Arb, lastTerm: u64Arb, pre: fc.boolean(), transfer: fc.boolean()}),
  rec({type: fc.constant('voteResp' as const), ...head, granted: fc.boolean(), pre: fc.boolean()}),
  rec({...head, prevIndex: fc.oneof(fc.nat(100), fc.integer({min: 0, max: 2 ** 53 - 100})), prevTerm: u64Arb, commit: u64Arb})
    .chain((m) => entriesArb(m.prevIndex).map((entries): Message => ({type: 'append', ...m, entries}))),
  rec({type: fc.constant('appendResp' as const), ...head, success: fc.boolean(), index: u64Arb, hintIndex: u64Arb, hintTerm: u64Arb})
    .chain((m) => lifeArb(false).map((life): Message => ({...m, ...life}))),
  rec({type: fc.constant('heartbeat' as const), ...head, commit: u64Arb, round: u64Arb}),
  rec({type: fc.constant('heartbeatResp' as const), ...head, round: u64Arb})
    .chain((m) => lifeArb(true).map((life): Message => ({...m, ...life}))),
  rec({type: fc.constant('snapshot' as const), ...head, snapshot: rec({meta: rec({index: u64Arb, term: u64Arb, conf: confArb}), data: fc.uint8Array({maxLength: 256})})}),
  rec({type: fc.constant('timeoutNow' as const), ...head}),
)

/** One fixed example of every message type, from `from` to `to`. */
export function sampleMessages(from: NodeId, to: NodeId): Message[] {
  const entry = (index: number, term: number, text: string): Entry => ({index, term, type: 'normal', data: new TextEncoder().encode(text)})
  return [
    {type: 'vote', from, to, term: 5, lastIndex: 10, lastTerm: 4, pre: true, transfer: false},
    {type: 'voteResp', from, to, term: 5, granted: true, pre: false},
    {type: 'append', from, to, term: 5, prevIndex: 10, prevTerm: 4, commit: 9, entries: [entry(11, 5, 'x=1'), entry(12, 5, 'y=2')]},
    {type: 'append', from, to, term: 5, prevIndex: 12, prevTerm: 5, commit: 12, entries: []},
    {type: 'appendResp', from, to, term: 5, success: false, index: 10, hintIndex: 7, hintTerm: 3},
    {type: 'heartbeat', from, to, term: 5, commit: 12, round: 77},
    {type: 'heartbeatResp', from, to, term: 5, round: 77},
    {type: 'heartbeatResp', from, to, term: 5, round: 78, incarnation: 1733570000000, rebuilding: true, lastIndex: 3},
    {type: 'appendResp', from, to, term: 5, success: true, index: 12, hintIndex: 0, hintTerm: 0, incarnation: 1733570000000},
    {type: 'snapshot', from, to, term: 6, snapshot: {meta: {index: 100, term: 5, conf: {voters: ['n1', 'n2', 'n3'], learners: ['n4']}}, data: new Uint8Array([1, 2, 3, 255])}},
    {type: 'timeoutNow', from, to, term: 6},
  ]
}

// ---------------------------------------------------------------------------------------------
// Async helpers
// ---------------------------------------------------------------------------------------------

/** Poll `predicate` every 5 ms until true; reject after `timeoutMs` with `what` (a bound on a hang, long enough for a busy machine). */
export async function waitFor(predicate: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** A node under test: its server, its transport and everything it received. */
export interface TestNode {
  readonly id: NodeId
  readonly server: NodeServer
  readonly transport: PeerTransport
  readonly inbox: Message[]
  readonly unreachable: NodeId[]
  readonly reachable: NodeId[]
  close(): Promise<void>
}

/** Start a server on 127.0.0.1:port (default 0) with a PeerTransport attached. */
export async function startNode(
  id: NodeId,
  options: {port?: number; server?: Partial<NodeServerOptions>; transport?: Partial<PeerTransportOptions>} = {},
): Promise<TestNode> {
  const server = await NodeServer.listen({secret: SECRET, port: options.port ?? 0, ...options.server})
  const inbox: Message[] = []
  const unreachable: NodeId[] = []
  const reachable: NodeId[] = []
  const transport = new PeerTransport({
    self: id,
    secret: SECRET,
    onMessage: (m) => inbox.push(m),
    onUnreachable: (p) => unreachable.push(p),
    onReachable: (p) => reachable.push(p),
    ...options.transport,
  })
  transport.attach(server)
  return {
    id, server, transport, inbox, unreachable, reachable,
    async close() {
      await transport.close()
      await server.close()
    },
  }
}

/** Make every node a peer of every other. */
export function connectAll(nodes: readonly TestNode[]): void {
  for (const a of nodes) {
    for (const b of nodes) if (a !== b) a.transport.setPeer(b.id, b.server.url())
  }
}

/** Outcome of a raw client connection attempt. */
export type DialResult = {readonly kind: 'open'; readonly ws: WebSocket} | {readonly kind: 'refused'; readonly status: number; readonly body: string}

/** Dial `url` with raw ws and report either the open socket or the refusing HTTP status. */
export function dial(url: string, options: ClientOptions = {}): Promise<DialResult> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, {perMessageDeflate: false, ...options})
    ws.on('open', () => resolve({kind: 'open', ws}))
    ws.on('unexpected-response', (_req, res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        body += chunk
      })
      res.on('end', () => {
        resolve({kind: 'refused', status: res.statusCode ?? 0, body})
        ws.terminate()
      })
    })
    ws.on('error', (error) => reject(error))
  })
}

/** Headers of a well-formed peer hello from `from` to `to`. */
export function helloHeaders(from: NodeId, to: NodeId, secret = SECRET): Record<string, string> {
  return {authorization: `Bearer ${secret}`, 'x-raftctl-node': encodeURIComponent(from), 'x-raftctl-to': encodeURIComponent(to)}
}

/** Wait for a socket's close and return its code. */
export function closeCode(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) resolve(-1)
    ws.on('error', () => {})
    ws.once('close', (code: number) => resolve(code))
  })
}
