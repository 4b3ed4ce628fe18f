/**
 * The snapshot file of `raftctl snapshot save` (a backup): what one node's state machine held at
 * one applied index, with the membership, term and cluster id, checksummed as a whole. Written
 * by the save workflow (src/cluster/snapshot.ts) in pieces as the chunks arrive; read and
 * verified by `snapshot inspect`, `snapshot restore` and `node run --restore`. See
 * docs/operations.md.
 *
 * Layout (big-endian):
 * ```
 * "RCTBAK" (6 bytes) · u16 version = 1 · u32 metaLength · meta (UTF-8 JSON, metaLength bytes)
 * data (meta.dataBytes bytes: the KV state machine's snapshot, docs/kv.md)
 * SHA-256 (32 bytes) of every preceding byte
 * ```
 * Reading checks, in order: the magic (`NOT_A_SNAPSHOT`), the version
 * (`UNSUPPORTED_SNAPSHOT_VERSION`), the length against what the header announces
 * (`SNAPSHOT_TRUNCATED`), the SHA-256 and the metadata (`SNAPSHOT_CORRUPT`). Pure but for
 * node:crypto; the file itself is read by the caller.
 */
import {createHash} from 'node:crypto'
import {RaftctlError} from '../common/errors.js'

/** The six bytes every snapshot file starts with. */
export const BACKUP_MAGIC = 'RCTBAK'

/** The format version this build writes and reads. */
export const BACKUP_VERSION = 1

/** magic + version + metaLength. */
export const BACKUP_HEADER_BYTES = 12

/** Bytes of the trailing SHA-256. */
export const BACKUP_CHECKSUM_BYTES = 32

/** Largest metadata accepted (a member list of 1024 nodes with long addresses fits): 1 MiB. */
export const MAX_BACKUP_META_BYTES = 1024 * 1024

/** One member of the snapshot's configuration and the address it had. */
export interface BackupMember {
  readonly id: string
  readonly address: string | null
}

/** The metadata of a snapshot file. */
export interface BackupMeta {
  /** The cluster the snapshot was taken from (null: unknown, a cluster from before cluster ids). */
  readonly clusterId: string | null
  /** The node that produced it. */
  readonly node: string
  /** The log index the state reflects (every entry up to it applied, none after). */
  readonly index: number
  /** The term of the entry at `index`. */
  readonly term: number
  /** The configuration as of `index`. */
  readonly members: {readonly voters: readonly BackupMember[]; readonly learners: readonly BackupMember[]}
  /** Length of the data section (the KV snapshot). */
  readonly dataBytes: number
  /** When the node produced it (ISO 8601, the saving machine's clock). */
  readonly createdAt: string
  /** raftctl version of the node that produced it. */
  readonly version: string
}

/** A verified snapshot file. */
export interface BackupFile {
  readonly meta: BackupMeta
  /** The KV snapshot bytes (a view into the file's bytes). */
  readonly data: Uint8Array
  /** SHA-256 of the file (hex): the checksum stored in it, verified. */
  readonly checksum: string
  /** Size of the whole file. */
  readonly bytes: number
}

/** The header and metadata of a file: what the writer puts before the data. */
export function encodeBackupHead(meta: BackupMeta): Buffer {
  const json = Buffer.from(JSON.stringify(meta), 'utf8')
  const head = Buffer.alloc(BACKUP_HEADER_BYTES)
  head.write(BACKUP_MAGIC, 0, 'ascii')
  head.writeUInt16BE(BACKUP_VERSION, 6)
  head.writeUInt32BE(json.length, 8)
  return Buffer.concat([head, json])
}

/** The whole file for `meta` and `data`, in one buffer (tests and small states; the save workflow streams). */
export function encodeBackup(meta: BackupMeta, data: Uint8Array): Buffer {
  const head = encodeBackupHead({...meta, dataBytes: data.length})
  const hash = createHash('sha256').update(head).update(data).digest()
  return Buffer.concat([head, data, hash])
}

/**
 * Verify and decode the bytes of the snapshot file `file` (its name is only quoted in errors).
 * Throws RaftctlError `NOT_A_SNAPSHOT`, `UNSUPPORTED_SNAPSHOT_VERSION`, `SNAPSHOT_TRUNCATED` or
 * `SNAPSHOT_CORRUPT`, naming the file and the problem. The data are not decoded here (see
 * inspect.ts, which checks them as the KV state machine would).
 */
export function decodeBackup(buf: Buffer, file: string): BackupFile {
  checkMagic(buf, file)
  const version = buf.readUInt16BE(6)
  if (version !== BACKUP_VERSION) {
    throw new RaftctlError('UNSUPPORTED_SNAPSHOT_VERSION', `${file}: snapshot format version ${version} is unknown to this raftctl (it reads version ${BACKUP_VERSION}); a newer raftctl wrote it, or the header is damaged`)
  }
  const metaLength = buf.readUInt32BE(8)
  if (metaLength > MAX_BACKUP_META_BYTES) throw corrupt(file, `the metadata length ${metaLength} is over ${MAX_BACKUP_META_BYTES} bytes: the header is damaged`)
  const metaEnd = BACKUP_HEADER_BYTES + metaLength
  if (buf.length < metaEnd + BACKUP_CHECKSUM_BYTES) throw truncated(file, buf.length, metaEnd + BACKUP_CHECKSUM_BYTES, 'at least ')
  const meta = parseMetaOrChecksum(buf, metaEnd, file)
  const dataEnd = metaEnd + meta.dataBytes
  const expected = dataEnd + BACKUP_CHECKSUM_BYTES
  if (buf.length < expected) throw truncated(file, buf.length, expected, '')
  if (buf.length > expected) throw corrupt(file, `${buf.length - expected} bytes follow the checksum at offset ${dataEnd} (expected a file of ${expected} bytes)`)
  const stored = buf.subarray(dataEnd).toString('hex')
  const computed = createHash('sha256').update(buf.subarray(0, dataEnd)).digest('hex')
  if (stored !== computed) {
    throw corrupt(file, `checksum mismatch: the file changed after it was written (stored SHA-256 ${stored.slice(0, 16)}…, computed ${computed.slice(0, 16)}…)`)
  }
  return {meta, data: new Uint8Array(buf.buffer, buf.byteOffset + metaEnd, meta.dataBytes), checksum: stored, bytes: buf.length}
}

function checkMagic(buf: Buffer, file: string): void {
  const magic = Buffer.from(BACKUP_MAGIC, 'ascii')
  const n = Math.min(buf.length, magic.length)
  if (buf.length === 0 || !buf.subarray(0, n).equals(magic.subarray(0, n))) {
    throw new RaftctlError('NOT_A_SNAPSHOT', `${file} is not a raftctl snapshot file (it does not start with "${BACKUP_MAGIC}"; make one with "raftctl snapshot save")`)
  }
  if (buf.length < BACKUP_HEADER_BYTES) throw truncated(file, buf.length, BACKUP_HEADER_BYTES, 'at least ')
}

/**
 * The metadata; when it is invalid and the file's last 32 bytes are not the SHA-256 of the rest
 * either, the file was damaged after it was written (a flipped byte): say so first.
 */
function parseMetaOrChecksum(buf: Buffer, metaEnd: number, file: string): BackupMeta {
  try {
    return parseMeta(buf.subarray(BACKUP_HEADER_BYTES, metaEnd), file)
  } catch (err) {
    const end = buf.length - BACKUP_CHECKSUM_BYTES
    if (createHash('sha256').update(buf.subarray(0, end)).digest().equals(buf.subarray(end))) throw err
    throw corrupt(file, `checksum mismatch: the file changed after it was written, in its metadata (${(err as Error).message.replace(/^.* is a damaged snapshot: /, '')})`)
  }
}

/** The metadata, checked field by field (SNAPSHOT_CORRUPT naming the field). */
function parseMeta(bytes: Buffer, file: string): BackupMeta {
  let v: Record<string, unknown>
  try {
    v = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>
  } catch (err) {
    throw corrupt(file, `the metadata is not JSON: ${(err as Error).message}`)
  }
  const bad = (field: string): never => {
    throw corrupt(file, `the metadata field ${field} is missing or invalid`)
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return bad('(object)')
  const count = (field: string, min: number): number => (Number.isSafeInteger(v[field]) && (v[field] as number) >= min ? v[field] as number : bad(field))
  const str = (field: string): string => (typeof v[field] === 'string' && v[field] !== '' ? v[field] as string : bad(field))
  if (v.clusterId !== null && typeof v.clusterId !== 'string') bad('clusterId')
  const members = v.members as {voters?: unknown; learners?: unknown} | null
  if (typeof members !== 'object' || members === null) return bad('members')
  const list = (field: 'voters' | 'learners'): BackupMember[] => {
    const items = members[field]
    if (!Array.isArray(items)) return bad(`members.${field}`)
    return items.map((m: {id?: unknown; address?: unknown}) => {
      if (typeof m?.id !== 'string' || m.id === '' || (m.address !== null && typeof m.address !== 'string')) return bad(`members.${field}`)
      return {id: m.id, address: m.address as string | null}
    })
  }
  const voters = list('voters')
  if (voters.length === 0) bad('members.voters (empty)')
  return {
    clusterId: v.clusterId as string | null, node: str('node'), index: count('index', 1), term: count('term', 1),
    members: {voters, learners: list('learners')}, dataBytes: count('dataBytes', 0), createdAt: str('createdAt'), version: str('version'),
  }
}

function corrupt(file: string, problem: string): RaftctlError {
  return new RaftctlError('SNAPSHOT_CORRUPT', `${file} is a damaged snapshot: ${problem}`)
}

function truncated(file: string, size: number, expected: number, atLeast: string): RaftctlError {
  return new RaftctlError('SNAPSHOT_TRUNCATED', `${file} is truncated: it holds ${size} bytes, its header announces ${atLeast}${expected} (an interrupted copy or download?)`)
}
