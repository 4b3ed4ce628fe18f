/**
 * Public API of src/kv, the pure replicated key-value state machine: command and result
 * types and their binary codec, the state machine, its limits and errors.
 */
export {
  KV_CODEC_VERSION,
  decodeCommand,
  decodeResult,
  encodeCommand,
  encodeResult,
  errorResult,
  isSeq,
  type AppendCommand,
  type AppendResult,
  type CasCommand,
  type CasResult,
  type DeleteCommand,
  type DeletePrefixCommand,
  type DeletePrefixResult,
  type DeleteResult,
  type GetCommand,
  type GetResult,
  type KvCommand,
  type KvErrorResult,
  type KvOkResult,
  type KvOp,
  type KvResult,
  type KvSession,
  type KvWriteCommand,
  type PutCommand,
  type PutResult,
  type TxnCommand,
  type TxnCompare,
  type TxnOp,
  type TxnResult,
} from './commands.js'
export {crc32, useNativeCrc32} from './crc32.js'
export {KV_RESULT_CODES, KvError, isKvResultCode, type KvErrorCode, type KvResultCode} from './errors.js'
export {DEFAULT_KV_LIMITS, resolveLimits, type KvLimits, type KvOptions, type KvPayloadLimits} from './limits.js'
export {
  RANGE_ENTRY_OVERHEAD_BYTES, compareKeys, jsonStringBytes, rangeEntryBytes,
  type KeyRange, type RangeAnswer, type RangeEntry, type RangeQuery,
} from './range.js'
export {KV_SNAPSHOT_MAGIC, KV_SNAPSHOT_VERSION, KV_SNAPSHOT_VERSION_WITHOUT_MOD_INDEX, SnapshotChecksum} from './snapshot.js'
export {KvStateMachine, changesOf, type KvChangeListener, type KvChangeSummary} from './state-machine.js'
export type {KvChange} from './store.js'
