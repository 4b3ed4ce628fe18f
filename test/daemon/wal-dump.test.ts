/**
 * The decoding side of `raftctl wal dump` (src/daemon/wal-dump.ts): each entry type and KV op is
 * described without its values, data that does not decode is shown with the reason (never a
 * throw), and the directory argument finds the storage of a node's data directory.
 */
import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import {mkdirSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {describeEntry, formatEntryLine, formatHeaderLines, formatVerdict, resolveStorageDir, STORAGE_SUBDIR, walDump} from '../../src/daemon/wal-dump.js'
import {FileStorage} from '../../src/storage/index.js'
import {encodeCommand, type KvCommand} from '../../src/kv/index.js'
import {encodeConfChange, type EntryType} from '../../src/raft/index.js'
import {tempDir} from '../helpers.js'

function item(type: EntryType, data: Uint8Array) {
  return {entry: {index: 7, term: 3, type, data}, file: '/d/wal/0000000000000001.log', offset: 99}
}

const kv = (c: KvCommand) => describeEntry(item('normal', encodeCommand(c))).command

describe('describeEntry', () => {
  it('describes every KV op by key, sizes and session, never by value', () => {
    assert.deepEqual(kv({op: 'get', key: 'a'}), {op: 'get', key: 'a'})
    assert.deepEqual(kv({op: 'delete', key: 'a', session: {clientId: 'c', seq: 4}}), {op: 'delete', key: 'a', session: {clientId: 'c', seq: 4}})
    assert.deepEqual(kv({op: 'append', key: 'a', value: 'héllo'}), {op: 'append', key: 'a', valueBytes: 6})
    assert.deepEqual(kv({op: 'deletePrefix', prefix: 'users/', session: {clientId: 'c', seq: 5}}), {op: 'deletePrefix', key: 'users/', session: {clientId: 'c', seq: 5}})
    assert.deepEqual(kv({op: 'cas', key: 'a', expected: 'xy', value: 'z', session: {clientId: 'c', seq: 1}}), {op: 'cas', key: 'a', valueBytes: 1, expectedBytes: 2, session: {clientId: 'c', seq: 1}})
    const line = formatEntryLine(describeEntry(item('normal', encodeCommand({op: 'put', key: 'secret-key', value: 'secret-value'}))))
    assert.ok(!line.includes('secret-value') && line.includes('"secret-key"') && line.includes('value 12 B'), line)
  })

  it('tells the no-op, a config entry and undecodable data apart, with where the record is', () => {
    const noop = describeEntry(item('normal', new Uint8Array()))
    assert.deepEqual(noop, {index: 7, term: 3, bytes: 0, file: '/d/wal/0000000000000001.log', offset: 99, type: 'noop'})
    assert.deepEqual(describeEntry(item('config', encodeConfChange({type: 'remove', node: 'n3'}))).change, {type: 'remove', node: 'n3'})
    const junk = describeEntry(item('normal', Uint8Array.of(9, 9, 9)))
    assert.equal(junk.command, null)
    assert.match(junk.error!, /not a KV command/)
    const badConf = describeEntry(item('config', Uint8Array.of(1)))
    assert.equal(badConf.change, null)
    assert.match(badConf.error!, /not a membership change/)
    assert.match(formatEntryLine(junk), /^ +7 +3 +normal +not a KV command/)
  })
})

describe('resolveStorageDir', () => {
  it("takes a node's data directory (raft/wal inside) or a storage directory (wal/ inside), and refuses anything else", (t) => {
    const dir = tempDir('raftctl-walstore-')
    t.after(() => rmSync(dir, {recursive: true, force: true}))
    mkdirSync(join(dir, 'node', 'raft', 'wal'), {recursive: true})
    assert.equal(resolveStorageDir(join(dir, 'node')), join(dir, 'node', 'raft'))
    assert.equal(resolveStorageDir(join(dir, 'node', 'raft')), join(dir, 'node', 'raft'))
    assert.throws(() => resolveStorageDir(dir), (e: {code?: string}) => e.code === 'NOT_FOUND')
    assert.throws(() => resolveStorageDir(join(dir, 'missing')), (e: {code?: string}) => e.code === 'NOT_FOUND')
  })
})

describe('walDump', () => {
  it('reports each snapshot file with its index, term, sizes and members, and only the entries in range', (t) => {
    const dir = tempDir('raftctl-walstore-')
    t.after(() => rmSync(dir, {recursive: true, force: true}))
    const s = new FileStorage({dir: join(dir, STORAGE_SUBDIR), preallocateBytes: 0})
    s.load()
    for (let i = 1; i <= 6; i++) s.save({entries: [{index: i, term: 2, type: 'normal', data: encodeCommand({op: 'put', key: `k${i}`, value: 'v'})}], hardState: {term: 2, vote: null, commit: i}})
    s.saveSnapshot({meta: {index: 4, term: 2, conf: {voters: ['n1', 'n2'], learners: ['n3']}}, data: new Uint8Array(10)}, 4)
    s.close()
    const dump = walDump(dir, {from: 5})
    const [snap] = dump.header.snapshots
    assert.deepEqual({...snap, file: undefined, bytes: undefined}, {file: undefined, index: 4, term: 2, bytes: undefined, dataBytes: 10, voters: ['n1', 'n2'], learners: ['n3'], newest: true})
    assert.ok(snap.bytes > 10)
    assert.deepEqual([...dump.entries()].map((e) => e.index), [5, 6])
    assert.deepEqual({entryCount: dump.header.entryCount, shown: dump.header.shown, clean: dump.header.clean, corrupt: dump.header.corrupt}, {entryCount: 6, shown: 2, clean: true, corrupt: false})
    assert.ok(formatHeaderLines(dump.header).some((l) => l.startsWith('snapshot: index 4, term 2, ') && l.includes('voters n1 n2, learners n3')))
    assert.equal(formatVerdict(dump.header), 'verdict: clean')
  })
})
