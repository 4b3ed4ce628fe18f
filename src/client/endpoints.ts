/**
 * Node addresses → WebSocket URLs of a route. Users and daemons write addresses in several
 * forms (`host:port`, `ws://host:port`, `http://host:port`, a peer URL ending in `/raft`);
 * every client turns them into `ws(s)://host:port[/prefix]/client` or `/admin` here.
 */
import {ROUTE_PATHS, type RouteName} from '../admin/protocol.js'
import {ClientError} from './errors.js'

const SCHEMES: Readonly<Record<string, string>> = {'ws:': 'ws:', 'wss:': 'wss:', 'http:': 'ws:', 'https:': 'wss:'}
/** A trailing route segment to replace: `/raft`, `/client`, `/admin`. */
const ROUTE_SUFFIX = /\/(raft|client|admin)\/?$/

/**
 * The URL of `route` on the node at `address`. `address` is `host:port` (plain `ws://`),
 * or a `ws://`, `wss://`, `http://` or `https://` URL; a trailing `/raft`, `/client` or
 * `/admin` is replaced, any other path is kept as a prefix. Throws ClientError `BAD_INPUT`.
 */
export function routeUrl(address: string, route: RouteName): string {
  const url = parseAddress(address)
  const scheme = SCHEMES[url.protocol]
  if (scheme === undefined) throw new ClientError('BAD_INPUT', `node address must be ws://, wss://, http:// or https://: ${address}`)
  url.protocol = scheme
  const prefix = url.pathname.replace(ROUTE_SUFFIX, '').replace(/\/+$/, '')
  url.pathname = `${prefix}${ROUTE_PATHS[route]}`
  url.search = ''
  url.hash = ''
  return url.href
}

function parseAddress(address: string): URL {
  const withScheme = address.includes('://') ? address : `ws://${address}`
  try {
    return new URL(withScheme)
  } catch {
    throw new ClientError('BAD_INPUT', `invalid node address: ${JSON.stringify(address)}`)
  }
}
