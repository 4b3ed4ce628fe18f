/**
 * The leader kept between commands (src/cluster/leader-cache.ts): the cached leader is found
 * among the endpoints (by id, or by address for a remote cluster whose endpoints are named by
 * URL), the file round-trips, and a missing, malformed or unwritable cache is no error.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {readdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {LEADER_CACHE_FILE, cachedLeaderEndpoint, readCachedLeader, writeCachedLeader} from '../../src/cluster/leader-cache.js'
import {testTempDir} from '../helpers.js'

const ENDPOINTS = [
  {id: 'n1', url: 'ws://127.0.0.1:7001'},
  {id: 'n2', url: 'ws://127.0.0.1:7002'},
  {id: 'n3', url: 'ws://127.0.0.1:7003'},
]

test('the cached leader is found among the endpoints by id, or by address for endpoints named by URL', () => {
  assert.equal(cachedLeaderEndpoint(ENDPOINTS, {id: 'n3', address: 'ws://127.0.0.1:7003'}), 'n3')
  assert.equal(cachedLeaderEndpoint(ENDPOINTS, {id: 'n2', address: 'ws://elsewhere:1'}), 'n2', 'by id')
  const byUrl = ENDPOINTS.map((e) => ({id: e.url, url: e.url}))
  assert.equal(cachedLeaderEndpoint(byUrl, {id: 'n2', address: '127.0.0.1:7002'}), 'ws://127.0.0.1:7002', 'by address')
  assert.equal(cachedLeaderEndpoint(ENDPOINTS, {id: 'n9', address: 'ws://127.0.0.1:7009'}), undefined, 'not a node of these endpoints')
  assert.equal(cachedLeaderEndpoint(ENDPOINTS, undefined), undefined)
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
