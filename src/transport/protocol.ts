/**
 * Constants and small helpers of the peer protocol on `/raft`: the path, the hello headers,
 * the close codes, and the client-side TLS options. Shared by the outbound and inbound sides.
 */
import type {IncomingMessage} from 'node:http'
import type {NodeId} from '../raft/types.js'
import {isValidNodeId} from './codec.js'

/** URL path of the peer route. */
export const RAFT_PATH = '/raft'

/** Hello header: the dialling node's id, percent-encoded (`encodeURIComponent`). */
export const NODE_HEADER = 'x-raftctl-node'

/** Hello header: the node id the dialler expects to reach, percent-encoded. */
export const TARGET_HEADER = 'x-raftctl-to'

/**
 * Hello header (peers on `/raft`, and clients on `/client` and `/admin`): the cluster id the
 * sender belongs to or expects, percent-encoded. Absent: unknown (not checked). A node whose
 * own cluster id is known refuses a different one with {@link CLUSTER_MISMATCH_STATUS}.
 */
export const CLUSTER_HEADER = 'x-raftctl-cluster'

/** Response header of a refused upgrade: the stable error code (e.g. `CLUSTER_MISMATCH`). */
export const ERROR_CODE_HEADER = 'x-raftctl-error'

/**
 * Response header of a request refused for its TLS client certificate (code `TLS_FAILED`, HTTP
 * {@link CLIENT_CERT_STATUS}): `none` when the client presented none, else the OpenSSL
 * verification code (e.g. `UNABLE_TO_VERIFY_LEAF_SIGNATURE`: not signed by the CA the node trusts).
 */
export const CLIENT_CERT_HEADER = 'x-raftctl-client-cert'

/** HTTP status of a request refused for its TLS client certificate (403 Forbidden: no secret opens it). */
export const CLIENT_CERT_STATUS = 403

/** HTTP status of an upgrade refused because the cluster ids differ (409 Conflict). */
export const CLUSTER_MISMATCH_STATUS = 409

/**
 * The refusal of an upgrade whose hello names another cluster than `own`, or undefined when
 * either id is unknown or they agree. The answer carries the code `CLUSTER_MISMATCH` and this
 * node's cluster id in headers, and a message naming both ids.
 */
export function checkClusterHeader(req: IncomingMessage, own: string | undefined): {status: number; message: string; headers: Record<string, string>; theirs: string} | undefined {
  const raw = req.headers[CLUSTER_HEADER]
  if (own === undefined || typeof raw !== 'string' || raw === '') return undefined
  let theirs: string
  try {
    theirs = decodeURIComponent(raw)
  } catch {
    theirs = raw
  }
  if (theirs === own) return undefined
  return {
    status: CLUSTER_MISMATCH_STATUS,
    message: `CLUSTER_MISMATCH: this node is in cluster ${own}; the request is for cluster ${theirs}`,
    headers: {[ERROR_CODE_HEADER]: 'CLUSTER_MISMATCH', [CLUSTER_HEADER]: encodeURIComponent(own)},
    theirs,
  }
}

/** WebSocket close codes used on peer connections. */
export const CLOSE_CODES = Object.freeze({
  /** Normal closure, e.g. replaced by a newer connection from the same peer. */
  NORMAL: 1000,
  /** This node is shutting down. */
  GOING_AWAY: 1001,
  /** A frame could not be decoded (CodecError). */
  INVALID_PAYLOAD: 1007,
  /** A protocol rule was broken: text frame, wrong `from`/`to`, data on an outbound link. */
  POLICY: 1008,
  /** Frame over `maxPayload` (sent by ws itself). */
  TOO_BIG: 1009,
})

/** Client-side TLS options for dialling `wss://` peers. */
export interface PeerTlsOptions {
  /** Trust anchors (PEM) used to verify peers' certificates. Default: the system store. */
  readonly ca?: string | Buffer
  /** Client certificate (PEM), for servers that require mutual TLS. */
  readonly cert?: string | Buffer
  /** Client key (PEM). */
  readonly key?: string | Buffer
  /** Verify the peer's certificate. Default true; turn off only for experiments. */
  readonly rejectUnauthorized?: boolean
  /** SNI / name to verify instead of the URL's host. */
  readonly servername?: string
}

/** Encode a node id for a hello header. */
export function encodeIdHeader(id: NodeId): string {
  return encodeURIComponent(id)
}

/** A valid node id from a hello header of an incoming request, or undefined. */
export function headerNodeId(req: IncomingMessage, header: string): NodeId | undefined {
  const raw = req.headers[header]
  if (typeof raw !== 'string') return undefined
  let id: string
  try {
    id = decodeURIComponent(raw)
  } catch {
    return undefined
  }
  return isValidNodeId(id) ? id : undefined
}

/**
 * Normalise a peer address: `ws://`, `wss://` (or `http://`, `https://`, mapped to them);
 * an empty path or `/` becomes `/raft`. Throws TypeError on anything else.
 */
export function normalizePeerUrl(address: string): string {
  let url: URL
  try {
    url = new URL(address)
  } catch {
    throw new TypeError(`invalid peer URL: ${address}`)
  }
  const schemes: Record<string, string> = {'ws:': 'ws:', 'wss:': 'wss:', 'http:': 'ws:', 'https:': 'wss:'}
  const scheme = schemes[url.protocol]
  if (scheme === undefined) throw new TypeError(`peer URL must be ws:// or wss://: ${address}`)
  url.protocol = scheme
  if (url.pathname === '/' || url.pathname === '') url.pathname = RAFT_PATH
  return url.href
}

/**
 * Reconnect delay after `attempt` consecutive failures (attempt ≥ 1): exponential from `minMs`,
 * capped at `maxMs`, with jitter in [50 %, 100 %] of the step, never below `minMs`.
 * `random` returns a number in [0, 1).
 */
export function backoffDelay(attempt: number, minMs: number, maxMs: number, random: () => number): number {
  const step = Math.min(maxMs, minMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30))
  return Math.max(minMs, Math.round(step * (0.5 + 0.5 * random())))
}
