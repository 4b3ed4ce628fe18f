/**
 * The identity file of a data folder (src/storage/identity.ts): written whole, read back, and
 * refused as CORRUPT when torn or damaged, never silently replaced.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {decodeIdentity, encodeIdentity, hasStoredData, identityPath, readIdentity, writeIdentity} from '../../src/storage/identity.js'
import {StorageError} from '../../src/storage/errors.js'
import {testTempDir} from '../helpers.js'

const ID = {clusterId: '0123456789abcdef', nodeId: 'n2'}

function assertCorrupt(fn: () => unknown, file: string): void {
  assert.throws(fn, (err: unknown) => err instanceof StorageError && err.code === 'CORRUPT' && err.message.includes(file))
}

test('an identity written is read back; the temp file is gone', (t) => {
  const dir = testTempDir(t)
  writeIdentity(dir, ID)
  assert.deepEqual(readIdentity(dir), ID)
  assert.deepEqual(readdirSync(dir), ['identity.json'])
})

test('an unknown cluster id (null) round-trips', (t) => {
  const dir = testTempDir(t)
  writeIdentity(dir, {clusterId: null, nodeId: 'n1'})
  assert.deepEqual(readIdentity(dir), {clusterId: null, nodeId: 'n1'})
})

test('a folder without an identity file reads as null', (t) => {
  assert.equal(readIdentity(testTempDir(t)), null)
})

test('a torn identity file (every proper prefix) is CORRUPT and left as it is', (t) => {
  const dir = testTempDir(t)
  const text = encodeIdentity(ID)
  const file = identityPath(dir)
  for (let n = 0; n < text.trimEnd().length; n++) {
    writeFileSync(file, text.slice(0, n))
    assertCorrupt(() => readIdentity(dir), file)
    assert.equal(readFileSync(file, 'utf8'), text.slice(0, n))
  }
})

test('a flipped byte in the ids is CORRUPT (checksum), not another identity', (t) => {
  const dir = testTempDir(t)
  const file = identityPath(dir)
  const text = encodeIdentity(ID)
  writeFileSync(file, text.replace('"n2"', '"n3"'))
  assertCorrupt(() => readIdentity(dir), file)
  writeFileSync(file, text.replace('0123', '0124'))
  assertCorrupt(() => readIdentity(dir), file)
})

test('an unknown version, a missing node id and a non-object are CORRUPT', () => {
  assertCorrupt(() => decodeIdentity('{"version":2,"clusterId":null,"nodeId":"n1","crc32":0}', 'f'), 'f')
  assertCorrupt(() => decodeIdentity('{"version":1,"clusterId":null,"crc32":0}', 'f'), 'f')
  assertCorrupt(() => decodeIdentity('[1]', 'f'), 'f')
  assertCorrupt(() => decodeIdentity('null', 'f'), 'f')
})

test('reading does not write: the file and its mtime are unchanged', (t) => {
  const dir = testTempDir(t)
  writeIdentity(dir, ID)
  const before = statSync(identityPath(dir)).mtimeMs
  readIdentity(dir)
  assert.equal(statSync(identityPath(dir)).mtimeMs, before)
  assert.equal(existsSync(`${identityPath(dir)}.tmp`), false)
})

test('hasStoredData tells a folder with a WAL segment or snapshot from a new one (empty folders count as new)', (t) => {
  const dir = testTempDir(t)
  assert.equal(hasStoredData(dir), false)
  mkdirSync(join(dir, 'wal'))
  mkdirSync(join(dir, 'snapshots'))
  assert.equal(hasStoredData(dir), false)
  writeFileSync(join(dir, 'wal', '0000000000000001.log'), 'x')
  assert.equal(hasStoredData(dir), true)
})

test('the incarnation and the rebuilding mark round-trip; a file written before them reads with neither and its checksum still holds', (t) => {
  const dir = testTempDir(t)
  const full = {...ID, incarnation: 1765100000000, rebuilding: true}
  writeIdentity(dir, full)
  assert.deepEqual(readIdentity(dir), full)
  writeIdentity(dir, {...ID, incarnation: 5})
  assert.deepEqual(readIdentity(dir), {...ID, incarnation: 5})
  // The exact bytes an identity file had before incarnations existed (crc32 of the three fields).
  const old = encodeIdentity(ID)
  assert.doesNotMatch(old, /incarnation|rebuilding/)
  assert.deepEqual(decodeIdentity(old, 'identity.json'), ID)
})

test('an invalid incarnation or rebuilding mark is CORRUPT', () => {
  for (const bad of [0, -1, 1.5, '7']) {
    const text = encodeIdentity({...ID, incarnation: 3}).replace('"incarnation":3', `"incarnation":${JSON.stringify(bad)}`)
    assertCorrupt(() => decodeIdentity(text, 'identity.json'), 'identity.json')
  }
  const text = encodeIdentity({...ID, rebuilding: true}).replace('"rebuilding":true', '"rebuilding":false')
  assertCorrupt(() => decodeIdentity(text, 'identity.json'), 'identity.json')
})
