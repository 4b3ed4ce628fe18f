/**
 * The decoding side of `raftctl wal dump` (src/daemon/wal-dump.ts): each entry type and KV op is
 * described without its values, data that does not decode is shown with the reason (never a
 * throw), and the directory argument finds the storage of a node's data directory.
 */
import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import {mkdirSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {describeEntry, formatEntryLine, resolveStorageDir} from '../../src/daemon/wal-dump.js'
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
