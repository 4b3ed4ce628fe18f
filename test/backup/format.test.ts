/**
 * Snapshot files of `raftctl snapshot save` on their own: a file round-trips; every proper
 * prefix, every single flipped byte, an unknown version, a foreign file and trailing bytes are
 * refused with their stable codes, never read as a snapshot; the content hash is the live
 * definition (SHA-256 of the state machine's snapshot() after applying the same commands).
 */
import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {RaftctlError} from '../../src/common/errors.js'
import {encodeCommand, KvStateMachine} from '../../src/kv/index.js'
import {decodeBackup, encodeBackup, inspectSnapshotFile, loadSnapshotFile, type BackupMeta} from '../../src/backup/index.js'
import {testTempDir} from '../helpers.js'

/** A state machine that applied `n` session puts (indexes 1..n), and a meta at index n + 1 (a config entry after them). */
function state(n: number): {kv: KvStateMachine; meta: BackupMeta} {
  const kv = new KvStateMachine()
  for (let i = 1; i <= n; i++) kv.apply(i, encodeCommand({op: 'put', key: `k${i}`, value: `value ${i}`, session: {clientId: 'c1', seq: i}}))
  const meta: BackupMeta = {
    clusterId: 'c0ffee0123456789', node: 'n1', index: n + 1, term: 3,
    members: {voters: [{id: 'n1', address: 'ws://127.0.0.1:7001'}, {id: 'n2', address: null}], learners: []},
    dataBytes: 0, createdAt: '2026-12-07T10:00:00.000Z', version: '0.1.0',
  }
  return {kv, meta}
}

/** The code of the RaftctlError `fn` throws (fails when it returns). */
function codeOf(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    assert.ok(err instanceof RaftctlError, String(err))
    return err.code
  }
  return assert.fail('expected a refusal, the file was read')
}

describe('snapshot file format', () => {
  it('round-trips the metadata and the data, with the checksum it stores', () => {
    const {kv, meta} = state(5)
    const data = kv.snapshot()
    const buf = encodeBackup(meta, data)
    const file = decodeBackup(buf, 'x.snap')
    assert.deepEqual(file.meta, {...meta, dataBytes: data.length})
    assert.deepEqual(Buffer.from(file.data), Buffer.from(data))
    assert.equal(file.checksum, createHash('sha256').update(buf.subarray(0, buf.length - 32)).digest('hex'))
    assert.equal(file.bytes, buf.length)
  })

  it('refuses every proper prefix: empty as NOT_A_SNAPSHOT, the rest as SNAPSHOT_TRUNCATED', () => {
    const {kv, meta} = state(3)
    const buf = encodeBackup(meta, kv.snapshot())
    assert.equal(codeOf(() => decodeBackup(buf.subarray(0, 0), 'x')), 'NOT_A_SNAPSHOT')
    for (let n = 1; n < buf.length; n++) assert.equal(codeOf(() => decodeBackup(buf.subarray(0, n), 'x')), 'SNAPSHOT_TRUNCATED', `prefix of ${n} bytes`)
  })

  it('refuses one flipped bit at every offset, each with a stable code; past the header always as SNAPSHOT_CORRUPT or SNAPSHOT_TRUNCATED', () => {
    const {kv, meta} = state(3)
    const buf = encodeBackup(meta, kv.snapshot())
    for (let at = 0; at < buf.length; at++) {
      const bad = Buffer.from(buf)
      bad[at] ^= 0x10
      const code = codeOf(() => decodeBackup(bad, 'x'))
      if (at < 6) assert.equal(code, 'NOT_A_SNAPSHOT', `offset ${at}`)
      else if (at < 8) assert.equal(code, 'UNSUPPORTED_SNAPSHOT_VERSION', `offset ${at}`)
      else assert.ok(code === 'SNAPSHOT_CORRUPT' || code === 'SNAPSHOT_TRUNCATED', `offset ${at}: ${code}`)
    }
  })

  it('names the checksum mismatch and the file for a flipped byte in the data', () => {
    const {kv, meta} = state(3)
    const buf = encodeBackup(meta, kv.snapshot())
    buf[buf.length - 40] ^= 1
    assert.throws(() => decodeBackup(buf, '/backups/a.snap'), (err: RaftctlError) => err.code === 'SNAPSHOT_CORRUPT' && /\/backups\/a\.snap .*checksum mismatch/.test(err.message))
  })

  it('names the checksum mismatch for a flipped byte that makes the metadata invalid; invalid metadata under a valid checksum is named as such', () => {
    const {kv, meta} = state(3)
    const buf = encodeBackup(meta, kv.snapshot())
    const at = buf.indexOf('"voters"') + 2
    const flipped = Buffer.from(buf)
    flipped[at] ^= 4
    assert.throws(() => decodeBackup(flipped, 'x'), (err: RaftctlError) => err.code === 'SNAPSHOT_CORRUPT' && /checksum mismatch: .*in its metadata \(the metadata field members\.voters/.test(err.message))
    const written = encodeBackup({...meta, members: {voters: [], learners: []}}, kv.snapshot())
    assert.throws(() => decodeBackup(written, 'x'), (err: RaftctlError) => err.code === 'SNAPSHOT_CORRUPT' && /^x is a damaged snapshot: the metadata field members\.voters \(empty\)/.test(err.message))
  })

  it('refuses an unknown version, a foreign file, and bytes after the checksum', () => {
    const {kv, meta} = state(2)
    const buf = encodeBackup(meta, kv.snapshot())
    const v2 = Buffer.from(buf)
    v2.writeUInt16BE(2, 6)
    assert.throws(() => decodeBackup(v2, 'x'), (err: RaftctlError) => err.code === 'UNSUPPORTED_SNAPSHOT_VERSION' && /version 2 /.test(err.message))
    assert.equal(codeOf(() => decodeBackup(Buffer.from('{"not": "a snapshot"}\n'), 'x')), 'NOT_A_SNAPSHOT')
    assert.equal(codeOf(() => decodeBackup(Buffer.concat([buf, Buffer.from([0])]), 'x')), 'SNAPSHOT_CORRUPT')
  })
})

describe('reading a snapshot file back', () => {
  it('counts keys and sessions, and its content hash is SHA-256 of snapshot() of a state machine that applied the same commands', (t) => {
    const dir = testTempDir(t)
    const {kv, meta} = state(40)
    const path = join(dir, 'a.snap')
    writeFileSync(path, encodeBackup(meta, kv.snapshot()))
    const live = createHash('sha256').update(kv.snapshot()).digest('hex')
    const result = inspectSnapshotFile(path)
    assert.equal(result.keys, 40)
    assert.equal(result.sessions, 1)
    assert.equal(result.index, 41)
    assert.equal(result.contentHash, live)
    // One more write changes the live hash: the definition depends on the content.
    kv.apply(42, encodeCommand({op: 'put', key: 'k1', value: 'changed'}))
    assert.notEqual(createHash('sha256').update(kv.snapshot()).digest('hex'), result.contentHash)
  })

  it('refuses a file whose checksum holds but whose key-value state is invalid, and one that is unreadable', (t) => {
    const dir = testTempDir(t)
    const {meta} = state(0)
    const path = join(dir, 'bad.snap')
    writeFileSync(path, encodeBackup(meta, Buffer.from('RKVS but not a KV snapshot')))
    assert.throws(() => loadSnapshotFile(path), (err: RaftctlError) => err.code === 'SNAPSHOT_CORRUPT' && /key-value state is invalid/.test(err.message))
    assert.throws(() => loadSnapshotFile(join(dir, 'missing.snap')), (err: RaftctlError) => err.code === 'BAD_INPUT')
  })
})
