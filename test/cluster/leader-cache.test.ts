/**
 * The leader kept between commands (src/cluster/leader-cache.ts): the endpoint of the cached
 * leader goes first (matched by id, or by address for a remote cluster whose endpoints are named
 * by URL), the file round-trips, and a missing, malformed or unwritable cache is no error.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {readdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {LEADER_CACHE_FILE, leaderFirst, readCachedLeader, writeCachedLeader} from '../../src/cluster/leader-cache.js'
import {testTempDir} from '../helpers.js'

const ENDPOINTS = [
  {id: 'n1', url: 'ws://127.0.0.1:7001'},
  {id: 'n2', url: 'ws://127.0.0.1:7002'},
  {id: 'n3', url: 'ws://127.0.0.1:7003'},
]

test('the cached leader\'s endpoint goes first, the others keep their order', () => {
  assert.deepEqual(leaderFirst(ENDPOINTS, {id: 'n3', address: 'ws://127.0.0.1:7003'}).map((e) => e.id), ['n3', 'n1', 'n2'])
  assert.deepEqual(leaderFirst(ENDPOINTS, {id: 'n2', address: 'ws://elsewhere:1'}).map((e) => e.id), ['n2', 'n1', 'n3'], 'by id')
  const byUrl = ENDPOINTS.map((e) => ({id: e.url, url: e.url}))
  assert.deepEqual(leaderFirst(byUrl, {id: 'n2', address: '127.0.0.1:7002'}).map((e) => e.id), ['ws://127.0.0.1:7002', 'ws://127.0.0.1:7001', 'ws://127.0.0.1:7003'], 'by address')
  assert.deepEqual(leaderFirst(ENDPOINTS, {id: 'n9', address: 'ws://127.0.0.1:7009'}), ENDPOINTS, 'unknown leader: as given')
  assert.deepEqual(leaderFirst(ENDPOINTS, undefined), ENDPOINTS)
})

test('the cache round-trips; a missing or malformed one reads as none; an unwritable folder is no error', (t) => {
  const dir = testTempDir(t, 'raftctl-leader-cache-')
  assert.equal(readCachedLeader(dir), undefined)
  writeCachedLeader(dir, {id: 'n2', address: 'ws://127.0.0.1:7002'})
  assert.deepEqual(readCachedLeader(dir), {id: 'n2', address: 'ws://127.0.0.1:7002'})
  writeCachedLeader(dir, {id: 'n3', address: 'ws://127.0.0.1:7003'})
  assert.deepEqual(readCachedLeader(dir), {id: 'n3', address: 'ws://127.0.0.1:7003'})
  assert.deepEqual(readdirSync(dir), [LEADER_CACHE_FILE], 'no temporary file left')
  writeFileSync(join(dir, LEADER_CACHE_FILE), '{"id": 3')
  assert.equal(readCachedLeader(dir), undefined)
  writeCachedLeader(join(dir, 'no-such-folder'), {id: 'n1', address: 'ws://127.0.0.1:7001'})
  assert.deepEqual(readdirSync(dir), [LEADER_CACHE_FILE])
})
