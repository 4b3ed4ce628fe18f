/**
 * The daemon's identity decision at start-up (src/daemon/identity.ts): refuse another node's
 * or another cluster's folder naming both ids, record a new folder's identity, adopt a folder
 * from before identities, and learn a cluster id that was unknown.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {planIdentity, type IdentityInputs} from '../../src/daemon/identity.js'
import {RaftctlError} from '../../src/common/errors.js'

const base: IdentityInputs = {nodeId: 'n3', clusterId: 'aaaa', initialCluster: [], recorded: null, hasData: false, generate: () => 'generated', incarnation: () => 42}

function refused(input: IdentityInputs, ...names: string[]): void {
  assert.throws(() => planIdentity(input), (err: unknown) => {
    assert.ok(err instanceof RaftctlError)
    assert.equal(err.code, 'IDENTITY_MISMATCH')
    assert.equal(err.exitCode, 1)
    for (const name of names) assert.match(err.message, new RegExp(`\\b${name}\\b`))
    return true
  })
}

test('another node\'s folder is refused naming both node ids', () => {
  refused({...base, recorded: {nodeId: 'n2', clusterId: 'aaaa'}}, 'n2', 'n3')
})

test('another cluster\'s folder is refused naming both cluster ids', () => {
  refused({...base, recorded: {nodeId: 'n3', clusterId: 'bbbb'}}, 'aaaa', 'bbbb')
})

test('the node\'s own folder is kept as it is; without --cluster-id too', () => {
  const recorded = {nodeId: 'n3', clusterId: 'aaaa'}
  assert.deepEqual(planIdentity({...base, recorded}), {action: 'keep', identity: recorded})
  assert.deepEqual(planIdentity({...base, clusterId: undefined, recorded}), {action: 'keep', identity: recorded})
})

test('a new folder records the given cluster id', () => {
  assert.deepEqual(planIdentity(base), {action: 'record', identity: {nodeId: 'n3', clusterId: 'aaaa', incarnation: 42}})
})

test('a new one-node founder without --cluster-id generates one; several founders or a joiner without it: unknown', () => {
  assert.deepEqual(planIdentity({...base, clusterId: undefined, initialCluster: ['n3']}).identity, {nodeId: 'n3', clusterId: 'generated', incarnation: 42})
  assert.deepEqual(planIdentity({...base, clusterId: undefined, initialCluster: ['n1', 'n3']}).identity, {nodeId: 'n3', clusterId: null, incarnation: 42})
  assert.deepEqual(planIdentity({...base, clusterId: undefined}).identity, {nodeId: 'n3', clusterId: null, incarnation: 42})
})

test('a folder with data and no identity file is adopted, never refused', () => {
  assert.deepEqual(planIdentity({...base, hasData: true}), {action: 'adopt', identity: {nodeId: 'n3', clusterId: 'aaaa'}})
  assert.deepEqual(planIdentity({...base, clusterId: undefined, initialCluster: ['n3'], hasData: true}), {action: 'adopt', identity: {nodeId: 'n3', clusterId: null}})
})

test('a recorded unknown cluster id learns the given one', () => {
  assert.deepEqual(planIdentity({...base, recorded: {nodeId: 'n3', clusterId: null}}), {action: 'learn', identity: {nodeId: 'n3', clusterId: 'aaaa'}})
})

test('a new folder of a node started with --rejoin (a member whose data was lost) is marked rebuilding; an existing folder is not', () => {
  assert.deepEqual(planIdentity({...base, rejoin: true}), {action: 'record', identity: {nodeId: 'n3', clusterId: 'aaaa', incarnation: 42, rebuilding: true}})
  const recorded = {nodeId: 'n3', clusterId: 'aaaa', incarnation: 7}
  assert.deepEqual(planIdentity({...base, rejoin: true, recorded}), {action: 'keep', identity: recorded})
  assert.deepEqual(planIdentity({...base, rejoin: true, hasData: true}), {action: 'adopt', identity: {nodeId: 'n3', clusterId: 'aaaa'}})
})

test('learning a cluster id keeps the incarnation and the rebuilding mark', () => {
  const recorded = {nodeId: 'n3', clusterId: null, incarnation: 7, rebuilding: true}
  assert.deepEqual(planIdentity({...base, recorded}), {action: 'learn', identity: {...recorded, clusterId: 'aaaa'}})
})
