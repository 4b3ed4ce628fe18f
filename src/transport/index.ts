/**
 * Public API of the WebSocket transport (DESIGN.md §1 `transport/`): the binary codec, the
 * node's listening server with authenticated routes, the peer transport implementing the
 * replica's Network port, and every limit. See docs/transport.md.
 */
export {
  CodecError, decodeFrame, decodeFrameItems, decodeMessage, encodeChunk, encodeFrame, encodeMessage, encodeMessages, frameSize,
  isValidNodeId, CHUNK_TYPE_CODE, FRAME_HEADER_BYTES, FRAME_MESSAGE_OVERHEAD, MAX_CHUNK_HEADER_BYTES, TYPE_CODES, WIRE_VERSION,
} from './codec.js'
export type {CodecErrorCode, CodecOptions, FrameItem, SnapshotChunk} from './codec.js'
export type {AdmissionStats} from './admission.js'
export * from './limits.js'
export {silentLogger} from './logger.js'
export type {LogFields, TransportLogger} from './logger.js'
export {PeerTransport} from './peers.js'
export type {PeerTransportOptions} from './peers.js'
export {backoffDelay, checkClusterHeader, CLOSE_CODES, CLUSTER_HEADER, CLUSTER_MISMATCH_STATUS, ERROR_CODE_HEADER, NODE_HEADER, normalizePeerUrl, RAFT_PATH, TARGET_HEADER} from './protocol.js'
export type {PeerTlsOptions} from './protocol.js'
export {DEFAULT_PUBLIC_HTTP_PATHS, NodeServer, requestPath, SECRET_HEADER} from './server.js'
export type {Credential, HttpHandler, NodeServerOptions, RouteOptions, ServerStats, ServerTlsOptions, UpgradeHandler, UpgradeRejection} from './server.js'
export type {PeerStats, TransportStats} from './stats.js'
export {corkForRun} from './cork.js'
